#!/usr/bin/env python3
"""Add multi-arch images to an OCI layout: from the image tagged TAG, a copy whose config
says linux/arm64/v8, and two indexes over both (tagged "multi", and "multi-noplat" whose
amd64 entry carries no platform, so it must be read from the config).
usage: index.py LAYOUT TAG"""
import hashlib, json, os, sys

layout, tag = sys.argv[1], sys.argv[2]

def blob(data):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(layout, "blobs", "sha256", d), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + d, "size": len(data)}

def read(desc):
    with open(os.path.join(layout, "blobs", "sha256", desc["digest"].split(":")[1]), "rb") as f:
        return json.load(f)

index = json.load(open(os.path.join(layout, "index.json")))
desc = next(m for m in index["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag)
manifest = read(desc)
config = read(manifest["config"])
config.update(architecture="arm64", variant="v8")
arm_manifest = dict(manifest, config=dict(manifest["config"], **blob(json.dumps(config).encode())))
arm = dict(mediaType="application/vnd.oci.image.manifest.v1+json", **blob(json.dumps(arm_manifest).encode()),
           platform={"os": "linux", "architecture": "arm64", "variant": "v8"})
amd = {"mediaType": desc["mediaType"], "digest": desc["digest"], "size": desc["size"]}
MT = "application/vnd.oci.image.index.v1+json"
for name, first in (("multi", dict(amd, platform={"os": "linux", "architecture": "amd64"})), ("multi-noplat", amd)):
    sub = {"schemaVersion": 2, "mediaType": MT, "manifests": [arm, first]}
    index["manifests"].append(dict(mediaType=MT, **blob(json.dumps(sub).encode()),
                                   annotations={"org.opencontainers.image.ref.name": name}))
json.dump(index, open(os.path.join(layout, "index.json"), "w"))
