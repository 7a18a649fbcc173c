#!/usr/bin/env python3
"""Layer tars for the image tests, written with tarfile so each entry is exactly what the
test needs (whiteouts, opaque markers, hardlinks, hostile names).
usage: layers.py base ROOTFS OUT | top OUT | hostile KIND OUT | hl-lower|hl-upper|hl-deleted OUT
       layers.py parents-lower|parents-upper OUT
       layers.py bomb LAYOUT | claim LAYOUT | members LAYOUT | layout LAYOUT TAR  (a one-layer OCI layout, tag "h")"""
import gzip, hashlib, io, json, os, sys, tarfile

def add_bytes(t, name, data, mode=0o644, uid=0, gid=0):
    i = tarfile.TarInfo(name)
    i.size, i.mode, i.uid, i.gid, i.mtime = len(data), mode, uid, gid, 1700000000
    t.addfile(i, io.BytesIO(data))

def add_special(t, name, kind, link="", mode=0o755, uid=0, gid=0):
    i = tarfile.TarInfo(name)
    i.type, i.linkname, i.mode, i.uid, i.gid, i.mtime = kind, link, mode, uid, gid, 1700000000
    t.addfile(i)

def base(rootfs, out):
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
        def owner(i):
            i.uid = i.gid = 0
            i.uname = i.gname = ""
            return i
        for entry in sorted(os.listdir(rootfs)):
            t.add(os.path.join(rootfs, entry), arcname=entry, filter=owner)
        add_special(t, "data", tarfile.DIRTYPE)
        add_bytes(t, "data/keep", b"kept from the base layer\n")
        add_bytes(t, "data/gone", b"deleted by the top layer\n")
        add_bytes(t, "data/owned", b"not root's\n", mode=0o640, uid=1000, gid=100)
        add_special(t, "opq", tarfile.DIRTYPE, mode=0o750)
        add_bytes(t, "opq/old", b"hidden by the opaque marker\n")
        add_special(t, "opq/sub", tarfile.DIRTYPE)
        add_bytes(t, "opq/sub/older", b"hidden too\n")
        add_bytes(t, "hl/a", b"one inode, two names\n", mode=0o600)
        add_special(t, "hl/b", tarfile.LNKTYPE, link="hl/a")
        add_special(t, "abs-link", tarfile.SYMTYPE, link="/data/keep", mode=0o777)
        i = tarfile.TarInfo("hl/xattr")
        i.size, i.mode, i.mtime = 5, 0o644, 1600000000
        i.pax_headers = {"SCHILY.xattr.user.pith": "kept"}
        t.addfile(i, io.BytesIO(b"xatt\n"))
        i = tarfile.TarInfo("dev/pith-null")
        i.type, i.devmajor, i.devminor, i.mode, i.mtime = tarfile.CHRTYPE, 1, 3, 0o666, 1700000000
        t.addfile(i)

def top(out):
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
        add_special(t, "data", tarfile.DIRTYPE)
        add_bytes(t, "data/.wh.gone", b"")
        add_special(t, "opq", tarfile.DIRTYPE, mode=0o750)
        add_bytes(t, "opq/.wh..wh..opq", b"")
        add_bytes(t, "opq/new", b"only this survives\n")
        add_bytes(t, "etc/motd", b"from the top layer\n")

def hostile(kind, out):
    with tarfile.open(out, "w") as t:
        if kind == "dotdot":
            add_bytes(t, "../escaped", b"outside\n")
        elif kind == "symlink":
            add_special(t, "evil", tarfile.SYMTYPE, link=os.environ["HOSTILE_TARGET"], mode=0o777)
            add_bytes(t, "evil/planted", b"written through a symlink\n")
        elif kind == "hardlink":
            add_special(t, "grab", tarfile.LNKTYPE, link="../../../../../../../etc/passwd")
        elif kind == "abs-hardlink":
            add_special(t, "grab", tarfile.LNKTYPE, link="/etc/passwd")
        elif kind == "whiteout":
            add_special(t, "up", tarfile.SYMTYPE, link="/", mode=0o777)
            add_bytes(t, "up" + os.environ["HOSTILE_TARGET"] + "/.wh.victim", b"")
        elif kind == "big":
            add_bytes(t, "big", b"\0" * (1 << 20))
        elif kind == "device":
            i = tarfile.TarInfo("dev/sda")
            i.type, i.devmajor, i.devminor, i.mode = tarfile.BLKTYPE, 8, 0, 0o660
            t.addfile(i)
        elif kind == "setuid":
            add_bytes(t, "bin/suid", b"#!/bin/sh\n", mode=0o4755)
            add_bytes(t, "bin/sgid", b"#!/bin/sh\n", mode=0o2711)
            add_special(t, "shared", tarfile.DIRTYPE, mode=0o2775)

# A hardlink in the upper layer to a file only the lower layer has (Docker writes these), in a
# directory the upper layer has no entry for; and a file the upper layer deletes.
def hl_lower(out):
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
        add_special(t, "lib", tarfile.DIRTYPE, mode=0o711, uid=7, gid=8)
        add_bytes(t, "lib/x", b"only in the lower layer\n", mode=0o4750, uid=1000, gid=100)
        add_bytes(t, "lib/gone", b"deleted above\n")

def hl_upper(out, deleted=False):
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
        if deleted:
            add_bytes(t, "lib/.wh.gone", b"")
            add_special(t, "lib/dead", tarfile.LNKTYPE, link="lib/gone")
        else:
            add_special(t, "lib/y", tarfile.LNKTYPE, link="lib/x")

# An upper layer with entries (a file, a whiteout) in directories it has no entry for: the
# merged view must show the lower layer's directories, owner and mode, as a flat unpack does.
def parents_lower(out):
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
        add_special(t, "srv", tarfile.DIRTYPE, mode=0o751, uid=5, gid=6)
        add_special(t, "srv/app", tarfile.DIRTYPE, mode=0o750, uid=5, gid=6)
        add_bytes(t, "srv/app/old", b"deleted above\n")
        add_bytes(t, "srv/app/keep", b"kept\n")
        add_special(t, "var", tarfile.DIRTYPE, mode=0o700, uid=7, gid=7)
        add_special(t, "var/log", tarfile.DIRTYPE, mode=0o710, uid=7, gid=7)

def parents_upper(out):
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
        add_bytes(t, "srv/app/new", b"added above\n")
        add_bytes(t, "var/log/.wh..wh..opq", b"")
        add_bytes(t, "srv/app/.wh.old", b"")

def layout(path, blob, media_type, diff_id):
    """An OCI layout holding one image (tag "h") of one layer blob."""
    os.makedirs(os.path.join(path, "blobs", "sha256"), exist_ok=True)
    def put(data):
        d = hashlib.sha256(data).hexdigest()
        with open(os.path.join(path, "blobs", "sha256", d), "wb") as f:
            f.write(data)
        return {"digest": "sha256:" + d, "size": len(data)}
    config = {"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/true"]},
              "rootfs": {"type": "layers", "diff_ids": [diff_id]}}
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": dict(mediaType="application/vnd.oci.image.config.v1+json", **put(json.dumps(config).encode())),
                "layers": [dict(mediaType=media_type, **put(blob))]}
    index = {"schemaVersion": 2, "manifests": [dict(mediaType=manifest["mediaType"], **put(json.dumps(manifest).encode()),
                                                    annotations={"org.opencontainers.image.ref.name": "h"})]}
    json.dump(index, open(os.path.join(path, "index.json"), "w"))
    json.dump({"imageLayoutVersion": "1.0.0"}, open(os.path.join(path, "oci-layout"), "w"))

# A gzip bomb: a tar of 64 files of 16 MiB of zeros (1 GiB), each file's data one gzip member
# (RFC 1952 allows members back to back), about 1 MB on disk. No entry alone is big.
def bomb(path):
    chunk, count = 1 << 24, 64
    zeros = b"\0" * chunk
    member = gzip.compress(zeros, 9)
    blob, diff = b"", hashlib.sha256()
    for n in range(count):
        head = tarfile.TarInfo("zeros/%02d" % n)
        head.size, head.mode = chunk, 0o644
        header = head.tobuf(format=tarfile.GNU_FORMAT)
        blob += gzip.compress(header, 9) + member
        diff.update(header)
        diff.update(zeros)
    tail = b"\0" * 1024  # the end-of-archive blocks (sizes are multiples of 512: no padding)
    blob += gzip.compress(tail, 9)
    diff.update(tail)
    layout(path, blob, "application/vnd.oci.image.layer.v1.tar+gzip", "sha256:" + diff.hexdigest())

# A gzip layer of four members (RFC 1952: back to back, as pigz and appending tools write), the
# second starting 1 byte and the third 2 bytes before a multiple of 128 KiB (the blocks a reader
# of 128 KiB takes from a file): a member header split across two reads. Its diff ID covers every
# byte, so a decompressor that stops early or drops bytes fails the load.
def members(path):
    data = hashlib.sha256(b"seed").digest()
    while len(data) < 600 << 10:
        data += hashlib.sha256(data[-32:]).digest()
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        add_bytes(t, "members/data", data)
        add_bytes(t, "members/small", b"after the member boundaries\n")
    tar = raw.getvalue()
    def member(chunk, level=0):
        return gzip.compress(chunk, level, mtime=0)
    blob, at = b"", 0
    for edge in ((128 << 10) - 1, (256 << 10) - 2):
        want, n = edge - len(blob), 1
        while len(member(tar[at:at + n])) < want:
            n += max(1, (want - len(member(tar[at:at + n]))) // 2)
        while len(member(tar[at:at + n])) > want:
            n -= 1
        assert len(member(tar[at:at + n])) == want, "no member of that size"
        blob += member(tar[at:at + n])
        at += n
    half = at + (len(tar) - at) // 2
    blob += member(tar[at:half], 6) + member(tar[half:], 6)
    layout(path, blob, "application/vnd.oci.image.layer.v1.tar+gzip", "sha256:" + hashlib.sha256(tar).hexdigest())

# A header that claims a 1 TiB regular file, followed by a little data and nothing else.
def claim(path):
    head = tarfile.TarInfo("huge")
    head.size = 1 << 40
    blob = head.tobuf(format=tarfile.GNU_FORMAT) + b"x" * 4096
    layout(path, blob, "application/vnd.oci.image.layer.v1.tar", "sha256:" + hashlib.sha256(blob).hexdigest())

def layout_of_tar(path, tar):
    blob = open(tar, "rb").read()
    layout(path, blob, "application/vnd.oci.image.layer.v1.tar", "sha256:" + hashlib.sha256(blob).hexdigest())

if __name__ == "__main__":
    {"base": lambda: base(sys.argv[2], sys.argv[3]), "top": lambda: top(sys.argv[2]),
     "hostile": lambda: hostile(sys.argv[2], sys.argv[3]), "hl-lower": lambda: hl_lower(sys.argv[2]),
     "hl-upper": lambda: hl_upper(sys.argv[2]), "hl-deleted": lambda: hl_upper(sys.argv[2], deleted=True),
     "parents-lower": lambda: parents_lower(sys.argv[2]), "parents-upper": lambda: parents_upper(sys.argv[2]),
     "bomb": lambda: bomb(sys.argv[2]), "claim": lambda: claim(sys.argv[2]), "members": lambda: members(sys.argv[2]),
     "layout": lambda: layout_of_tar(sys.argv[2], sys.argv[3])}[sys.argv[1]]()
