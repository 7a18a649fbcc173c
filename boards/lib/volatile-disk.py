#!/usr/bin/env python3
"""volatile-disk.py IMAGE SOCKET: serve IMAGE over NBD on a unix socket as a disk with a volatile
write cache, for boards/powercut.sh.

A killed emulator alone loses only what the guest had not yet sent to its disk: every write qemu
acknowledged is in the host's page cache and survives. A real disk (eMMC, SD, SSD) acknowledges
writes into a cache and keeps them only once flushed; between two flushes it may persist any subset,
in any order. This server does the same: writes since the last FLUSH are held in memory (reads see
them), a FLUSH (or a FUA write) puts them into IMAGE in order. When the connection ends without
NBD_CMD_DISC (the emulator was killed: the power cut), a random subset of the unflushed writes
reaches IMAGE and the rest is lost; a clean disconnect (qemu sends DISC when it powers off) keeps
them all. Prints one line on exit, how many were kept and lost. Env: VOLATILE_SEED.

The protocol (fixed newstyle handshake, NBD_OPT_GO or NBD_OPT_EXPORT_NAME, simple replies) is the
one in the NBD project's proto.md; only what qemu's client asks for is served.
"""
import os
import random
import socket
import struct
import sys

NBDMAGIC = 0x4E42444D41474943
IHAVEOPT = 0x49484156454F5054
REPLY_MAGIC = 0x3E889045565A9
REQ_MAGIC, SIMPLE_REPLY = 0x25609513, 0x67446698
OPT_EXPORT_NAME, OPT_ABORT, OPT_INFO, OPT_GO = 1, 2, 6, 7
REP_ACK, REP_INFO, REP_ERR_UNSUP = 1, 3, 0x80000001
FLAG_HAS_FLAGS, FLAG_SEND_FLUSH, FLAG_SEND_FUA = 1, 4, 8
CMD_READ, CMD_WRITE, CMD_DISC, CMD_FLUSH = 0, 1, 2, 3
CMD_FLAG_FUA = 1
EINVAL = 22


class VolatileDisk:
    def __init__(self, path):
        self.fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
        self.size = os.fstat(self.fd).st_size
        self.pending = []  # (offset, bytes) since the last flush, oldest first

    def read(self, off, n):
        buf = bytearray(os.pread(self.fd, n, off))
        for woff, data in self.pending:  # the cache answers reads
            lo, hi = max(off, woff), min(off + n, woff + len(data))
            if lo < hi:
                buf[lo - off:hi - off] = data[lo - woff:hi - woff]
        return bytes(buf)

    def write(self, off, data, fua):
        self.pending.append((off, data))
        if fua:
            self.flush()

    def flush(self):
        for off, data in self.pending:
            os.pwrite(self.fd, data, off)
        self.pending = []

    def cut(self, rng):
        kept = [w for w in self.pending if rng.random() < 0.5]
        lost = len(self.pending) - len(kept)
        self.pending = kept
        self.flush()
        return len(kept), lost


def recv_exact(conn, n):
    chunks = []
    while n:
        c = conn.recv(min(n, 1 << 20))
        if not c:
            raise EOFError
        chunks.append(c)
        n -= len(c)
    return b"".join(chunks)


def option_reply(conn, opt, kind, data=b""):
    conn.sendall(struct.pack(">QIII", REPLY_MAGIC, opt, kind, len(data)) + data)


def handshake(conn, disk):
    """Options until the export is chosen; True when transmission starts."""
    tflags = FLAG_HAS_FLAGS | FLAG_SEND_FLUSH | FLAG_SEND_FUA
    conn.sendall(struct.pack(">QQH", NBDMAGIC, IHAVEOPT, 1 | 2))  # FIXED_NEWSTYLE | NO_ZEROES
    cflags, = struct.unpack(">I", recv_exact(conn, 4))
    while True:
        magic, opt, length = struct.unpack(">QII", recv_exact(conn, 16))
        recv_exact(conn, length)
        if magic != IHAVEOPT:
            return False
        if opt == OPT_EXPORT_NAME:
            conn.sendall(struct.pack(">QH", disk.size, tflags) + (b"" if cflags & 2 else bytes(124)))
            return True
        if opt in (OPT_GO, OPT_INFO):
            option_reply(conn, opt, REP_INFO, struct.pack(">HQH", 0, disk.size, tflags))
            option_reply(conn, opt, REP_ACK)
            if opt == OPT_GO:
                return True
        elif opt == OPT_ABORT:
            option_reply(conn, opt, REP_ACK)
            return False
        else:  # structured replies, meta contexts, lists: the simple protocol is enough
            option_reply(conn, opt, REP_ERR_UNSUP)


def transmission(conn, disk):
    while True:
        magic, flags, cmd, handle, off, length = struct.unpack(">IHHQQI", recv_exact(conn, 28))
        if magic != REQ_MAGIC:
            return False
        error, data = 0, b""
        if cmd == CMD_WRITE:
            payload = recv_exact(conn, length)
            if off + length > disk.size:
                error = EINVAL
            else:
                disk.write(off, payload, flags & CMD_FLAG_FUA)
        elif cmd == CMD_READ:
            if off + length > disk.size:
                error = EINVAL
            else:
                data = disk.read(off, length)
        elif cmd == CMD_FLUSH:
            disk.flush()
        elif cmd == CMD_DISC:
            return True
        else:
            error = EINVAL
        conn.sendall(struct.pack(">IIQ", SIMPLE_REPLY, error, handle) + data)


def main():
    image, sock_path = sys.argv[1], sys.argv[2]
    disk = VolatileDisk(image)
    rng = random.Random(os.environ.get("VOLATILE_SEED"))
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(sock_path)
    srv.listen(1)
    conn, _ = srv.accept()
    srv.close()
    os.unlink(sock_path)
    clean = False
    try:
        if handshake(conn, disk):
            clean = transmission(conn, disk)
    except (EOFError, ConnectionError):
        pass
    if clean:
        n = len(disk.pending)
        disk.flush()
        print(f"volatile-disk: clean disconnect, {n} unflushed writes kept", flush=True)
    else:
        kept, lost = disk.cut(rng)
        print(f"volatile-disk: power cut: {kept} unflushed writes kept, {lost} lost", flush=True)


if __name__ == "__main__":
    main()
