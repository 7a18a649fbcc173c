#!/usr/bin/env python3
"""Compare two root filesystems file by file: type, mode, owner, size, content hash,
link target, device number, hardlink count, xattrs, and the mtime of all but directories
(a directory's changes with what is written into it). Prints each difference; exit 1 if any.
usage: compare.py OURS REFERENCE"""
import hashlib, os, stat, sys

def describe(root):
    out = {}
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            rec = {"type": stat.S_IFMT(st.st_mode), "mode": oct(stat.S_IMODE(st.st_mode)),
                   "uid": st.st_uid, "gid": st.st_gid,
                   "xattrs": {x: os.getxattr(p, x, follow_symlinks=False)
                              for x in sorted(os.listxattr(p, follow_symlinks=False))}}
            if not stat.S_ISDIR(st.st_mode):
                rec["mtime"] = int(st.st_mtime)
            if stat.S_ISREG(st.st_mode):
                with open(p, "rb") as f:
                    rec["sha256"] = hashlib.sha256(f.read()).hexdigest()
                rec["size"], rec["nlink"] = st.st_size, st.st_nlink
            elif stat.S_ISLNK(st.st_mode):
                rec["target"] = os.readlink(p)
            elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
                rec["rdev"] = st.st_rdev
            out[os.path.relpath(p, root)] = rec
    return out

ours, ref = describe(sys.argv[1]), describe(sys.argv[2])
bad = 0
for path in sorted(set(ours) | set(ref)):
    if ours.get(path) != ref.get(path):
        print(f"differs: {path}: ours {ours.get(path)} reference {ref.get(path)}")
        bad += 1
print(f"compared {len(ref)} entries, {bad} differ")
sys.exit(1 if bad else 0)
