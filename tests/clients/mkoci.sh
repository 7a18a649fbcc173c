#!/bin/sh
# mkoci.sh ROOTFS OUT.tar REF: an OCI image archive (one uncompressed layer) of ROOTFS,
# for `ctr image import`; no registry, no network.
set -eu
rootfs=$1 out=$2 ref=$3
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
mkdir -p "$t/blobs/sha256"
blob() { # FILE -> moves it into blobs, prints "digest size"
	d=$(sha256sum "$1" | cut -d' ' -f1)
	s=$(stat -c %s "$1")
	mv "$1" "$t/blobs/sha256/$d"
	echo "$d $s"
}
tar -C "$rootfs" --numeric-owner --owner=0 --group=0 -cf "$t/layer" .
set -- $(blob "$t/layer"); ldig=$1 lsize=$2
arch=$(dpkg --print-architecture 2>/dev/null || uname -m)
printf '{"architecture":"%s","os":"linux","config":{"Env":["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
	"$arch" "$ldig" > "$t/config"
set -- $(blob "$t/config"); cdig=$1 csize=$2
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
	"$cdig" "$csize" "$ldig" "$lsize" > "$t/manifest"
set -- $(blob "$t/manifest"); mdig=$1 msize=$2
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s"}}]}' \
	"$mdig" "$msize" "$ref" > "$t/index.json"
printf '{"imageLayoutVersion":"1.0.0"}' > "$t/oci-layout"
tar -C "$t" -cf "$out" oci-layout index.json blobs
