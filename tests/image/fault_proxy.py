#!/usr/bin/env python3
"""A plain-HTTP proxy in front of a TLS registry that breaks things on purpose, for tests.

Rules are read from RULES at every request, one per line (PATTERN is a substring of the path,
e.g. a blob's hex digest; COUNT is how many requests the rule hits, then it is spent):
  drop PATTERN AFTER COUNT            close the connection after AFTER bytes of the body
  stall PATTERN AFTER SECONDS COUNT   stop sending for SECONDS after AFTER bytes
  flip PATTERN OFFSET COUNT           change the byte at OFFSET of the blob
  status PATTERN CODE COUNT [RETRY_AFTER]   answer CODE (and Retry-After) instead
  norange PATTERN COUNT               forward without the Range header (a server ignoring it)
Every request is logged to LOG: method, path, range asked, status, body bytes sent, fault.

usage: fault_proxy.py PORT UPSTREAM_HOST:PORT CA_FILE|- RULES LOG [LISTEN_ADDRESS (127.0.0.1)]
(CA_FILE - : the upstream speaks plain HTTP)
"""
import http.client
import http.server
import socket
import ssl
import sys
import threading
import time

FORWARD = ("Authorization", "Accept", "Range", "User-Agent")
BACK = ("Content-Type", "Content-Length", "Content-Range", "Docker-Content-Digest", "WWW-Authenticate",
        "Accept-Ranges", "Docker-Distribution-Api-Version", "Location", "Etag")


def main():
    port, upstream, ca, rules_path, log_path = sys.argv[1:6]
    listen = sys.argv[6] if len(sys.argv) > 6 else "127.0.0.1"
    host, uport = upstream.rsplit(":", 1)
    ctx = ssl.create_default_context(cafile=ca) if ca != "-" else None
    spent = {}
    lock = threading.Lock()

    def rule_for(path):
        try:
            lines = open(rules_path).read().splitlines()
        except FileNotFoundError:
            return None
        for line in lines:
            words = line.split()
            if len(words) < 3 or words[1] not in path:
                continue
            count = int(words[-1] if words[0] != "status" else words[3])
            with lock:
                if spent.get(line, 0) >= count:
                    continue
                spent[line] = spent.get(line, 0) + 1
            return words
        return None

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass

        def record(self, status, sent, fault):
            with open(log_path, "a") as f:
                f.write("%s %s range=%s status=%s bytes=%d fault=%s\n" % (
                    self.command, self.path, self.headers.get("Range", "-"), status, sent, fault))

        def answer(self, status, retry_after, fault):
            self.send_response(status)
            if retry_after:
                self.send_header("Retry-After", retry_after)
            self.send_header("Content-Length", "0")
            self.end_headers()
            self.record(status, 0, fault)

        def relay(self):
            rule = rule_for(self.path)
            if rule and rule[0] == "status":
                self.answer(int(rule[2]), rule[4] if len(rule) > 4 else None, "status" + rule[2])
                return
            conn = (http.client.HTTPSConnection(host, int(uport), context=ctx, timeout=60) if ctx
                    else http.client.HTTPConnection(host, int(uport), timeout=60))
            headers = {k: self.headers[k] for k in FORWARD if self.headers.get(k)}
            if rule and rule[0] == "norange":
                headers.pop("Range", None)
            conn.request(self.command, self.path, headers=headers)
            resp = conn.getresponse()
            self.send_response(resp.status)
            for k in BACK:
                if resp.getheader(k) is not None:
                    self.send_header(k, resp.getheader(k))
            self.end_headers()
            start = 0
            cr = resp.getheader("Content-Range")
            if cr and cr.startswith("bytes "):
                start = int(cr[6:].split("-")[0])
            sent, fault = 0, "-"
            while self.command != "HEAD":
                chunk = resp.read(16384)
                if not chunk:
                    break
                if rule and rule[0] == "flip":
                    off = int(rule[2]) - start - sent
                    if 0 <= off < len(chunk):
                        chunk = chunk[:off] + bytes([chunk[off] ^ 0x55]) + chunk[off + 1:]
                        fault = "flip"
                if rule and rule[0] in ("drop", "stall") and sent + len(chunk) > int(rule[2]) and fault == "-":
                    cut = int(rule[2]) - sent
                    self.wfile.write(chunk[:cut])
                    sent += cut
                    self.wfile.flush()
                    if rule[0] == "drop":
                        fault = "drop"
                        self.record(resp.status, sent, fault)
                        self.close_connection = True
                        self.connection.shutdown(socket.SHUT_RDWR)
                        conn.close()
                        return
                    fault = "stall"
                    time.sleep(float(rule[3]))
                    chunk = chunk[cut:]
                try:
                    self.wfile.write(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    fault = "client-gone"
                    break
                sent += len(chunk)
            self.record(resp.status, sent, fault)
            conn.close()

        def do_GET(self):
            self.relay()

        def do_HEAD(self):
            self.relay()

    server = http.server.ThreadingHTTPServer((listen, int(port)), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
