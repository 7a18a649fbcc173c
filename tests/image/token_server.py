#!/usr/bin/env python3
"""A token server for the distribution registry's `auth: token:` mode, for tests only.

GET /token?service=S&scope=repository:NAME:ACTIONS with Basic credentials USER:PASS
answers {"token": JWT}, the JWT signed RS256 by the key given, its certificate in the x5c
header (the registry checks it against its rootcertbundle). Wrong or missing credentials
get 401. Every request is logged, one line each, to LOG.

usage: token_server.py PORT CERT KEY SIGN_CERT SIGN_KEY ISSUER USER:PASS LOG
"""
import base64
import http.server
import json
import os
import ssl
import subprocess
import sys
import time
import urllib.parse


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def der_of(pem_path):
    pem = open(pem_path).read()
    body = pem.split("-----BEGIN CERTIFICATE-----")[1].split("-----END CERTIFICATE-----")[0]
    return base64.b64decode("".join(body.split()))


def sign(key_path, data):
    return subprocess.run(["openssl", "dgst", "-sha256", "-sign", key_path], input=data,
                          stdout=subprocess.PIPE, check=True).stdout


def main():
    port, cert, key, sign_cert, sign_key, issuer, creds, log = sys.argv[1:9]
    x5c = base64.b64encode(der_of(sign_cert)).decode()
    expected = "Basic " + base64.b64encode(creds.encode()).decode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):
            with open(log, "a") as f:
                f.write("%s %s\n" % (self.command, self.path))

        def do_GET(self):
            url = urllib.parse.urlparse(self.path)
            q = urllib.parse.parse_qs(url.query)
            if url.path != "/token":
                self.send_error(404)
                return
            if self.headers.get("Authorization") != expected:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="tokens"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            access = []
            for scope in q.get("scope", []):
                for one in scope.split(" "):
                    parts = one.split(":")
                    if len(parts) >= 3:
                        access.append({"type": parts[0], "name": ":".join(parts[1:-1]),
                                       "actions": parts[-1].split(",")})
            now = int(time.time())
            header = {"alg": "RS256", "typ": "JWT", "x5c": [x5c]}
            claims = {"iss": issuer, "sub": creds.split(":")[0], "aud": q.get("service", [""])[0],
                      "exp": now + 300, "nbf": now - 10, "iat": now, "jti": os.urandom(8).hex(),
                      "access": access}
            signing_input = (b64url(json.dumps(header).encode()) + "." +
                             b64url(json.dumps(claims).encode())).encode()
            token = signing_input.decode() + "." + b64url(sign(sign_key, signing_input))
            body = json.dumps({"token": token, "access_token": token, "expires_in": 300}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
