#!/usr/bin/env python3
"""Layer tars for the image tests, written with tarfile so each entry is exactly what the
test needs (whiteouts, opaque markers, hardlinks, hostile names).
usage: layers.py base ROOTFS OUT | top OUT | hostile KIND OUT"""
import io, os, sys, tarfile

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
        elif kind == "whiteout":
            add_special(t, "up", tarfile.SYMTYPE, link="/", mode=0o777)
            add_bytes(t, "up" + os.environ["HOSTILE_TARGET"] + "/.wh.victim", b"")
        elif kind == "big":
            add_bytes(t, "big", b"\0" * (1 << 20))

if __name__ == "__main__":
    {"base": lambda: base(sys.argv[2], sys.argv[3]), "top": lambda: top(sys.argv[2]),
     "hostile": lambda: hostile(sys.argv[2], sys.argv[3])}[sys.argv[1]]()
