#!/bin/sh
# pith-image pull against Debian's docker-registry on 127.0.0.1, over TLS from a CA made here,
# once with htpasswd basic auth and once with token auth (token_server.py), images pushed by
# skopeo and podman; then faults from fault_proxy.py (drops, stalls, 500/429, a flipped byte)
# and SIGKILLs at random moments; pith-image push read back by skopeo. No network beyond loopback.
# usage: pull.sh BUILD_DIR WORK_DIR   (WORK_DIR: run.sh's, with its layouts L, Lm, U (umoci's unpack of L:t), the
#        podman-loadable skopeo-oci.tar and expected.txt, the output the test image prints)
set -eu
build=$(cd "${1:?usage: pull.sh BUILD_DIR WORK_DIR}" && pwd)
W=$(cd "${2:?usage: pull.sh BUILD_DIR WORK_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tier-skip.sh"
. "$here/lib.sh"
command -v docker-registry >/dev/null || { tier_skip "pull tests" "docker-registry is not installed"; exit 0; }
command -v openssl >/dev/null || { tier_skip "pull tests" "openssl is not installed"; exit 0; }
P=$(mktemp -d "$W/pull.XXXXXX")
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	umount_under "$P"
	rm -rf "$P"
	[ -z "${PR:-}" ] || rm -rf "$PR"
	[ -z "${A:-}" ] || rm -rf "/etc/containers/certs.d/$A"
}
trap cleanup EXIT
img="$build/pith-image"

# the offline commands load no TLS stack: pull and push are pith-image-pull, run by pith-image
if ldd "$img" | grep -q libcurl; then echo "FAIL pith-image links libcurl" >&2; exit 1; fi
expected=$(cat "$W/expected.txt")
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() { # PORT: until something listens (10 s)
	for _ in $(seq 100); do
		python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$1" 2>/dev/null \
			&& return 0
		sleep 0.1
	done
	echo "nothing listens on $1" >&2; return 1
}
cd "$P"

# --- a CA, the registries' certificate (127.0.0.1), and the token signer's key
mkdir certs
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out certs/ca.crt -days 2 -subj /CN=pith-test-ca 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > san.ext
openssl x509 -req -in server.csr -CA certs/ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 \
	-extfile san.ext 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout sign.key -out sign.crt -days 2 -subj /CN=pith-token-signer 2>/dev/null

registry() { # NAME PORT AUTH-YAML [TLS-YAML]: a registry over TLS
	mkdir -p "$1"
	cat > "$1/config.yml" <<EOF
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $P/$1/data
http:
  addr: 127.0.0.1:$2
  secret: pith-test
  tls:
    certificate: $P/server.crt
    key: $P/server.key
${4:-}
$3
EOF
	docker-registry serve "$1/config.yml" >"$1/log" 2>&1 &
	pids="$pids $!"
	wait_port "$2"
}
python3 -c 'import crypt; print("user:" + crypt.crypt("secret", crypt.mksalt(crypt.METHOD_BLOWFISH)))' > htpasswd 2>/dev/null
PA=$(free_port)
registry basic "$PA" "auth:
  htpasswd:
    realm: pith-test
    path: $P/htpasswd"
TP=$(free_port)
python3 "$here/token_server.py" "$TP" server.crt server.key sign.crt sign.key pith-test-issuer user:secret \
	"$P/token.log" &
pids="$pids $!"
wait_port "$TP"
PB=$(free_port)
registry token "$PB" "auth:
  token:
    realm: https://127.0.0.1:$TP/token
    service: pith-test-registry
    issuer: pith-test-issuer
    rootcertbundle: $P/sign.crt"
A=127.0.0.1:$PA
B=127.0.0.1:$PB

# --- real producers push: skopeo to both, podman to the token registry
skopeo copy -q --dest-cert-dir certs --dest-creds user:secret oci:"$W/L:t" "docker://$A/test/t:1"
# the test image and a 24 MiB layer of noise: to cut in the middle, small enough to pull often
mkdir -p nz/noise && head -c 25165824 /dev/urandom > nz/noise/a && tar -C nz -cf noise.tar noise
cp -a "$W/L" Lf && umoci raw add-layer --image Lf:t noise.tar && skopeo copy -q --dest-compress oci:Lf:t oci:Lfz:t
skopeo copy -q --dest-cert-dir certs --dest-creds user:secret oci:Lfz:t "docker://$A/test/big:1"
skopeo copy -q --all --dest-cert-dir certs --dest-creds user:secret oci:"$W/Lm:multi" "docker://$A/test/multi:1"
skopeo copy -q --dest-cert-dir certs --dest-creds user:secret oci:"$W/L:t" "docker://$B/skopeo/t:1"
# podman refuses a runroot longer than 50 characters: its dirs live in /tmp
PR=$(mktemp -d /tmp/pith-pull-pr.XXXXXX)
PM="podman --root $PR/root --runroot $PR/run --tmpdir $PR/tmp --storage-driver vfs --cgroup-manager cgroupfs --events-backend file"
mkdir -p "$PR/tmp"
$PM load -q -i "$W/skopeo-oci.tar" >/dev/null
$PM push -q --cert-dir certs --creds user:secret localhost/t:latest "$B/podman/t:1"
$PM rmi -a -f >/dev/null 2>&1 || true

runs() { # IMAGE: bundle from the store S and run it under pith; prints what it printed
	"$img" --store S bundle "$1" B >/dev/null && timeout 60 "$build/pith" --root "$P/run" run -b B "pull-$$" 2>&1
	"$img" --store S bundle --rm B >/dev/null 2>&1 || true
}
no_leftovers() { ! ls S/layers S/blobs/sha256 | grep -q tmp; }
named() { [ -s S/names.json ] && jq -e --arg n "$1" 'has($n)' S/names.json >/dev/null; }

# --- basic auth over TLS, credentials from --creds, then from auth files
rm -rf S
if "$img" --store S pull --cert-dir certs --creds user:secret "$A/test/t:1" >pull.out 2>pull.err \
	&& [ "$(runs "$A/test/t:1")" = "$expected" ]; then pass "basic auth over TLS (--creds, --cert-dir): pulled and runs under pith"
else fail "basic auth pull: $(cat pull.err)"; fi
rm -rf S
if "$img" --store S pull --cert-dir certs "$A/test/t:1" 2>pull.err; then fail "pulled without credentials"
elif grep -q 'user name and password' pull.err && ! named "$A/test/t:1"; then pass "no credentials: $(cat pull.err)"
else fail "no credentials: $(cat pull.err)"; fi
if "$img" --store S pull --cert-dir certs --creds user:wrong "$A/test/t:1" 2>pull.err; then fail "pulled with a wrong password"
elif grep -q 'refused' pull.err; then pass "wrong password: $(cat pull.err)"; else fail "wrong password: $(cat pull.err)"; fi
auth=$(printf user:secret | base64)
printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$A" "$auth" > auth.json
mkdir -p dockercfg && printf '{"auths": {"https://%s": {"auth": "%s"}}}\n' "$A" "$auth" > dockercfg/config.json
rm -rf S
REGISTRY_AUTH_FILE=$P/auth.json "$img" --store S pull --cert-dir certs "$A/test/t:1" >/dev/null 2>pull.err \
	&& pass "credentials from REGISTRY_AUTH_FILE (podman's auth.json)" || fail "auth.json: $(cat pull.err)"
rm -rf S
wrong=$(printf user:wrong | base64)
printf '{"auths": {"%s": {"auth": "%s"}, "%s/test": {"auth": "%s"}}}\n' "$A" "$wrong" "$A" "$auth" > auth2.json
REGISTRY_AUTH_FILE=$P/auth2.json "$img" --store S pull --cert-dir certs "$A/test/t:1" >/dev/null 2>pull.err \
	&& pass "auth.json: an entry for $A/test wins over the one for $A" || fail "auth.json per repository: $(cat pull.err)"
rm -rf S
env -u REGISTRY_AUTH_FILE XDG_RUNTIME_DIR=$P/none DOCKER_CONFIG=$P/dockercfg "$img" --store S pull --cert-dir certs \
	"$A/test/t:1" >/dev/null 2>pull.err && pass "credentials from docker's config.json" || fail "config.json: $(cat pull.err)"
rm -rf S
if "$img" --store S pull --creds user:secret "$A/test/t:1" 2>pull.err; then fail "pulled from an unknown CA"
elif grep -qi 'certificate' pull.err && grep -q 'cert-dir' pull.err; then pass "unknown CA refused: $(cat pull.err)"
else fail "unknown CA: $(cat pull.err)"; fi
"$img" --store S pull --insecure "$A" --creds user:secret "$A/test/t:1" >/dev/null 2>pull.err \
	&& pass "--insecure $A: TLS without verification" || fail "--insecure: $(cat pull.err)"
rm -rf S
mkdir -p "/etc/containers/certs.d/$A" && cp certs/ca.crt "/etc/containers/certs.d/$A/ca.crt"
"$img" --store S pull --creds user:secret "$A/test/t:1" >/dev/null 2>pull.err \
	&& pass "per-registry CA from /etc/containers/certs.d/$A" || fail "certs.d: $(cat pull.err)"
rm -rf "/etc/containers/certs.d/$A"

# --- the certificate's names: its DNS name (localhost) is one, its IP (127.0.0.1) is another (an
# mbedTLS libcurl matches IP addresses only through image/tls.c), and 127.0.0.2 is not one
rm -rf S
"$img" --store S pull --cert-dir certs --creds user:secret "localhost:$PA/test/t:1" >/dev/null 2>pull.err \
	&& pass "TLS to localhost:$PA: the certificate's DNS name" || fail "localhost: $(cat pull.err)"
PN=$(free_port)
python3 -c 'import socket, ssl, sys
c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); c.load_cert_chain(sys.argv[2], sys.argv[3])
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.2", int(sys.argv[1]))); s.listen(8)
while True:
    a = s.accept()[0]
    try: c.wrap_socket(a, server_side=True).close()
    except (OSError, ssl.SSLError): a.close()' "$PN" server.crt server.key &
pids="$pids $!"
python3 -c 'import socket, sys, time
for _ in range(100):
    try: socket.create_connection(("127.0.0.2", int(sys.argv[1])), 1); break
    except OSError: time.sleep(0.1)' "$PN"
if "$img" --store S pull --cert-dir certs --creds user:secret "127.0.0.2:$PN/test/t:1" 2>pull.err; then
	fail "pulled from 127.0.0.2 with a certificate for 127.0.0.1"
elif grep -qi 'certificate' pull.err; then pass "a certificate for 127.0.0.1 refused at 127.0.0.2: $(cat pull.err)"
else fail "name mismatch at 127.0.0.2: $(cat pull.err)"; fi

# --- a client certificate from the cert dir (NAME.cert with NAME.key), for a registry that wants one
openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj /CN=pith-client 2>/dev/null
mkdir mtls && cp certs/ca.crt mtls/ca.crt && mv client.key mtls/client.key
openssl x509 -req -in client.csr -CA certs/ca.crt -CAkey ca.key -CAcreateserial -out mtls/client.cert -days 2 2>/dev/null
PC=$(free_port)
registry mtls "$PC" "" "    clientcas:
      - $P/certs/ca.crt"
skopeo copy -q --dest-cert-dir mtls oci:"$W/L:t" "docker://127.0.0.1:$PC/test/t:1"
rm -rf S
"$img" --store S pull --cert-dir mtls "127.0.0.1:$PC/test/t:1" >/dev/null 2>pull.err \
	&& pass "client certificate from --cert-dir" || fail "client certificate: $(cat pull.err)"
rm -rf S
if "$img" --store S pull --cert-dir certs "127.0.0.1:$PC/test/t:1" >/dev/null 2>pull.err; then
	fail "pulled without the client certificate the registry asks for"
else pass "no client certificate, no pull: $(cat pull.err)"; fi

# --- token auth: the Bearer challenge, a JWT from the realm, images from podman and skopeo
for name in podman/t:1 skopeo/t:1; do
	rm -rf S
	if "$img" --store S pull --cert-dir certs --creds user:secret "$B/$name" >/dev/null 2>pull.err \
		&& [ "$(runs "$B/$name")" = "$expected" ]; then pass "token auth: $name (pushed by ${name%%/*}) pulled and runs"
	else fail "token auth $name: $(cat pull.err)"; fi
done
grep -q "scope=repository%3Apodman%2Ft%3Apull" token.log && pass "the token was asked for the pull scope" \
	|| fail "token requests: $(tail -3 token.log)"
if "$img" --store S pull --cert-dir certs --creds user:nope "$B/skopeo/t:1" 2>pull.err; then fail "token with a wrong password"
elif grep -q 'token from https://127.0.0.1:'"$TP"'/token: HTTP 401' pull.err; then pass "token refused: $(cat pull.err)"
else fail "token refused: $(cat pull.err)"; fi

# --- push (an OCI layout to the token registry): skopeo reads it back, pith pulls and runs it
rm -rf S
"$img" --store S push --cert-dir certs --creds user:secret oci:"$W/L:t" "$B/pith/t:1" >/dev/null 2>push.err \
	&& skopeo copy -q --src-cert-dir certs --src-creds user:secret "docker://$B/pith/t:1" oci:pushed:t \
	&& umoci unpack --image pushed:t PU >/dev/null && python3 "$here/compare.py" PU/rootfs "$W/U/rootfs" >/dev/null \
	&& "$img" --store S pull --cert-dir certs --creds user:secret "$B/pith/t:1" >/dev/null 2>>push.err \
	&& [ "$(runs "$B/pith/t:1")" = "$expected" ] \
	&& pass "push to the token registry: skopeo copies it back (umoci unpacks the same tree), pith pulls and runs it" \
	|| fail "push: $(cat push.err)"

# --- a pinned digest; a multi-arch index with --platform; JSON progress events
digest=$(jq -r --arg n "$A/test/t:1" '.[$n]' S/names.json 2>/dev/null || true)
rm -rf S
"$img" --store S pull --cert-dir certs --creds user:secret "$A/test/t:1" >/dev/null
digest=$(jq -r --arg n "$A/test/t:1" '.[$n]' S/names.json)
"$img" --store S pull --cert-dir certs --creds user:secret "$A/test/t@$digest" >/dev/null 2>pull.err \
	&& named "$A/test/t@$digest" && pass "pull by digest: $A/test/t@$digest" || fail "by digest: $(cat pull.err)"
other=sha256:$(printf x | sha256sum | cut -d' ' -f1)
"$img" --store S pull --cert-dir certs --creds user:secret "$A/test/t@$other" 2>pull.err \
	&& fail "an unknown digest pulled" || pass "unknown digest: $(cat pull.err)"
"$img" --store S pull --cert-dir certs --creds user:secret --platform linux/arm64 "$A/test/multi:1" >/dev/null 2>pull.err \
	&& [ "$("$img" --store S inspect "$A/test/multi:1" | jq -r .architecture)" = arm64 ] \
	&& pass "multi-arch index (skopeo --all): --platform linux/arm64 picked" || fail "multi-arch: $(cat pull.err)"
rm -rf S
"$img" --store S pull --cert-dir certs --creds user:secret --progress json "$A/test/t:1" >events.json 2>pull.err \
	&& python3 -c 'import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
kinds = [e["event"] for e in ev]
assert kinds.count("layer") == kinds.count("layer-done") == 2 and "progress" in kinds and kinds[-1] == "done" and ev[-1]["ok"], kinds' events.json \
	&& pass "--progress json: one event per line ($(wc -l < events.json) events)" || fail "json progress: $(cat events.json pull.err)"

# --- faults between pith and the registry (plain HTTP to the proxy on loopback)
PP=$(free_port)
python3 "$here/fault_proxy.py" "$PP" "$A" certs/ca.crt "$P/rules" "$P/proxy.log" &
pids="$pids $!"
wait_port "$PP"
X=127.0.0.1:$PP
big_manifest=$(curl -s --cacert certs/ca.crt -u user:secret -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
	"https://$A/v2/test/big/manifests/1")
big=$(echo "$big_manifest" | jq -r '.layers | max_by(.size) | .digest' | cut -d: -f2)
big_size=$(echo "$big_manifest" | jq -r '.layers | max_by(.size) | .size')
pullx() { "$img" --store S pull --creds user:secret "$@" "$X/test/big:1"; }
blob_bytes() { awk -v b="$big" 'index($2, b) && $1 == "GET" { sub("bytes=", "", $5); s += $5 } END { print s + 0 }' proxy.log; }
rm -rf S; : > proxy.log
printf 'drop %s 4000000 1\ndrop %s 6000000 1\n' "$big" "$big" > rules
if pullx >/dev/null 2>pull.err && [ "$(runs "$X/test/big:1")" = "$expected" ]; then
	sent=$(blob_bytes)
	# the second drop is 6000000 bytes into the resumed answer
	if grep "$big" proxy.log | grep -q 'range=bytes=4000000- status=206' && grep "$big" proxy.log | grep -q 'range=bytes=10000000- status=206' \
		&& [ "$sent" -lt $((big_size + 1000000)) ]; then
		pass "two drops mid-blob: resumed with Range at 4000000 and 10000000, $sent bytes sent for a $big_size-byte blob"
	else fail "drops: not resumed by Range ($sent bytes for $big_size): $(grep "$big" proxy.log)"; fi
else fail "pull through drops: $(cat pull.err)"; fi
rm -rf S; : > proxy.log
printf 'drop %s 5000000 1\nnorange %s 1\n' "$big" "$big" > rules
pullx --progress json >events.json 2>pull.err && grep "$big" proxy.log | grep -q 'range=bytes=5000000- status=200' \
	&& [ "$(blob_bytes)" = $((big_size + 5000000)) ] \
	&& jq -s -e 'any(.[]; .event == "retry" and .offset == 5000000)' events.json >/dev/null \
	&& [ "$(runs "$X/test/big:1")" = "$expected" ] \
	&& pass "a server that ignores Range: the blob again whole, its first 5000000 bytes dropped; a retry event says so" \
	|| fail "no Range support: $(cat pull.err) $(grep "$big" proxy.log) $(grep retry events.json) bytes $(blob_bytes) run: $(runs "$X/test/big:1")"
rm -rf S; : > proxy.log
printf 'stall %s 3000000 20 1\n' "$big" > rules
start=$(date +%s)
# resumed before the 20 s stall ends
pullx --stall-timeout 3 --progress json >events.json 2>pull.err && grep "$big" proxy.log | grep -q 'range=bytes=3000000- status=206' \
	&& [ $(( $(date +%s) - start )) -lt 20 ] \
	&& pass "a stalled blob (3 s stall timeout): resumed from byte 3000000 after $(( $(date +%s) - start )) s" \
	|| fail "stall: $(cat pull.err) $(grep "$big" proxy.log) $(grep retry events.json) $(( $(date +%s) - start )) s"
rm -rf S; : > proxy.log
printf 'status manifests/1 500 1\nstatus %s 429 1 1\nstatus %s 503 1\n' "$big" "$big" > rules
pullx >/dev/null 2>pull.err && grep -q 'status=500' proxy.log && grep -q 'status=429' proxy.log \
	&& grep -q 'status=503' proxy.log && grep "$big" proxy.log | grep -q 'status=200' \
	&& pass "500 on the manifest, 429 (Retry-After: 1) and 503 on a blob: retried, pulled" \
	|| fail "5xx/429: $(cat pull.err) $(cat proxy.log)"
rm -rf S; : > proxy.log
printf 'flip %s 12000000 99\n' "$big" > rules
if pullx 2>pull.err; then fail "a blob with a flipped byte was pulled: $(cat proxy.log)"
elif grep -q "$big" pull.err && ! named "$X/test/big:1" && no_leftovers && [ ! -e "S/layers/$big" ]; then
	pass "flipped byte: refused naming the blob, nothing named or half-written: $(cat pull.err)"
else fail "flipped byte: $(cat pull.err); layers: $(ls S/layers)"; fi
: > rules
pullx >/dev/null 2>pull.err || fail "pull after the corruption: $(cat pull.err)"
: > proxy.log
start=$(date +%s%N)
pullx >/dev/null 2>pull.err && ms=$(( ($(date +%s%N) - start) / 1000000 )) && ! grep -q '/blobs/' proxy.log \
	&& pass "every layer present: no blob GET ($(grep -c GET proxy.log) GETs, ${ms} ms)" \
	|| fail "all present: $(cat pull.err) $(cat proxy.log)"

# --- the store is shared while a pull downloads: ls, bundle and a second pull of the same
# image go on beside a pull held back 12 s; the layer both unpacked is committed once
rm -rf S; "$img" --store S pull --creds user:secret "$X/test/t:1" >/dev/null 2>pull.err || fail "pull t: $(cat pull.err)"
: > proxy.log
printf 'stall %s 1000000 12 1\n' "$big" > rules
pullx >/dev/null 2>pull1.err & p1=$!
sleep 1
# the second pull downloads beside the first, then waits for it to commit alone
pullx >/dev/null 2>pull2.err & p2=$!
if timeout 4 "$img" --store S ls >/dev/null 2>ls.err && timeout 4 "$img" --store S bundle "$X/test/t:1" "$P/Bc" 2>>ls.err \
	&& timeout 4 "$img" --store S bundle --rm "$P/Bc" 2>>ls.err && kill -0 $p1 2>/dev/null; then
	shared=yes
else shared="no: $(cat ls.err)"; fi
wait $p1 && r1=0 || r1=$?
wait $p2 && r2=0 || r2=$?
: > rules
if [ "$shared" = yes ] && [ $r1 = 0 ] && [ $r2 = 0 ] && [ "$(runs "$X/test/big:1")" = "$expected" ] && no_leftovers; then
	pass "ls, bundle and a second pull of the same image beside a held-back pull; both pulls complete"
else fail "store shared during a pull: $shared; pulls rc $r1 $r2: $(cat pull1.err pull2.err)"; fi

# a device with no CA bundle at all: a loopback registry in plain HTTP still pulls (curl stops
# at the missing bundle file before any handshake; that is no reason to refuse plain HTTP here)
rm -rf S; : > proxy.log
if unshare -m sh -c 'mount -t tmpfs none /etc/ssl/certs && exec "$@"' sh \
	"$img" --store S pull --creds user:secret "$X/test/t:1" >/dev/null 2>pull.err \
	&& [ "$(runs "$X/test/t:1")" = "$expected" ]; then
	pass "no CA bundle on the machine: a loopback registry is pulled over plain HTTP"
else fail "no CA bundle, loopback plain HTTP: $(cat pull.err)"; fi

# --- --jobs: with the first layer stalled for 3 s, the others finish meanwhile only in parallel
first=$(echo "$big_manifest" | jq -r '.layers[0].digest' | cut -d: -f2)
config=$(echo "$big_manifest" | jq -r '.config.digest' | cut -d: -f2)
order() { grep -v "$config" proxy.log | grep -v 'fault=client-gone' | awk '$1 == "GET" && /blobs/ { n = split($2, p, ":"); print substr(p[n], 1, 12) }' | tr '\n' ' '; }
for jobs in 3 1; do
	rm -rf S; : > proxy.log
	printf 'stall %s 500000 3 1\n' "$first" > rules
	pullx --jobs $jobs >/dev/null 2>pull.err || fail "--jobs $jobs: $(cat pull.err)"
	eval "order_$jobs=\"$(order)\""
done
: > rules
case "$order_3" in "${first%"${first#????????????}"}"*) fail "--jobs 3: layers finished in the order $order_3";;
*) case "$order_1" in "${first%"${first#????????????}"}"*) pass "--jobs 3 pulls layers in parallel (finished: $order_3; with --jobs 1: $order_1)";;
   *) fail "--jobs 1: order $order_1";; esac;; esac

# --- a layer that hardlinks a file of the layer below (run.sh's Hl image) pulled in parallel,
# its lower layer held back 3 s: the upper waits for the lower to land before it copies the
# target up, and the rootfs is umoci's
skopeo copy -q --dest-cert-dir certs --dest-creds user:secret oci:"$W/Hl:h" "docker://$A/test/hl:1"
hl_lower=$(skopeo inspect --raw --cert-dir certs --creds user:secret "docker://$A/test/hl:1" | jq -r '.layers[0].digest' | cut -d: -f2)
rm -rf S; : > proxy.log
printf 'stall %s 10 3 1\n' "$hl_lower" > rules
if "$img" --store S pull --jobs 3 --creds user:secret "$X/test/hl:1" >/dev/null 2>pull.err \
	&& "$img" --store S bundle "$X/test/hl:1" "$P/Bhl" 2>>pull.err \
	&& python3 "$here/compare.py" "$P/Bhl/rootfs" "$W/Uh/rootfs" >compare.out 2>&1; then
	pass "hardlink to a lower layer, pulled with --jobs 3 and the lower held back: $(tail -1 compare.out)"
else fail "hardlink to a lower layer in a parallel pull: $(cat pull.err) $(cat compare.out 2>/dev/null)"; fi
"$img" --store S bundle --rm "$P/Bhl" 2>/dev/null || true
: > rules

# --- plain HTTP only for loopback names and --insecure hosts: 127.0.0.2 is neither
python3 "$here/fault_proxy.py" "$PP" "$A" certs/ca.crt "$P/rules" "$P/proxy2.log" 127.0.0.2 &
pids="$pids $!"
python3 -c 'import socket, sys, time
for _ in range(100):
    try: socket.create_connection(("127.0.0.2", int(sys.argv[1])), 1); break
    except OSError: time.sleep(0.1)' "$PP"
rm -rf S
if "$img" --store S pull --creds user:secret "127.0.0.2:$PP/test/t:1" 2>pull.err; then fail "plain HTTP to 127.0.0.2 without --insecure"
elif grep -q 'https://127.0.0.2' pull.err && [ ! -s proxy2.log ]; then pass "no plain HTTP to a host not named insecure: $(cat pull.err)"
else fail "plain HTTP refused: $(cat pull.err) $(cat proxy2.log)"; fi
"$img" --store S pull --insecure "127.0.0.2:$PP" --creds user:secret "127.0.0.2:$PP/test/t:1" >/dev/null 2>pull.err \
	&& [ -s proxy2.log ] && pass "--insecure 127.0.0.2:$PP: plain HTTP" || fail "--insecure plain HTTP: $(cat pull.err)"

# --- on a terminal: a line per layer and a total (stderr); quiet when not a terminal
rm -rf S
script -qec "$img --store S pull --creds user:secret $X/test/big:1" /dev/null >tty.out 2>&1 \
	&& grep -q "$X/test/big:1: 3/3 layers" tty.out && grep -q "${big%"${big#????????????}"}  done" tty.out \
	&& rm -rf S && "$img" --store S pull --creds user:secret "$X/test/big:1" >quiet.out 2>quiet.err && [ ! -s quiet.err ] \
	&& pass "progress on a terminal, per layer and total; nothing on stderr otherwise" \
	|| fail "terminal progress: $(tail -c 400 tty.out) $(cat quiet.err)"

# --- SIGKILL at random moments: the store stays usable, the next pull completes
rm -rf S; : > rules
killed_ok=1
for i in 1 2 3 4 5; do
	pullx --jobs 2 >/dev/null 2>&1 &
	pid=$!
	sleep "0.$(shuf -i 05-95 -n 1)"
	kill -KILL $pid 2>/dev/null || true
	wait $pid 2>/dev/null || true
	"$img" --store S ls >/dev/null && "$img" --store S gc >/dev/null || killed_ok=0
	no_leftovers || killed_ok=0
	if named "$X/test/big:1"; then [ "$(runs "$X/test/big:1")" = "$expected" ] || killed_ok=0; fi
done
pullx >/dev/null 2>pull.err && [ "$(runs "$X/test/big:1")" = "$expected" ] && "$img" --store S gc >/dev/null \
	&& no_leftovers || killed_ok=0
[ $killed_ok = 1 ] && pass "SIGKILL during pull x5: ls, gc and the next pull are clean" || fail "store after SIGKILL: $(cat pull.err)"

# --- landing (image/land.c): every layer unpacked into its temporary, then one syncfs on the
# thread that lands them (the flusher's early ones come from another), then the renames. A
# SIGKILL at that syncfs, or between two renames, leaves no name and no half layer (only
# temporaries, or whole layers whose sync came first), and the next pull completes.
gcc -std=gnu11 -O2 -Wall -Wextra -Werror -shared -fPIC -o landing.so "$here/landing.c" -ldl
nbig=$(echo "$big_manifest" | jq '.layers | length')
rm -rf S; : > rules; : > landing.log
if LANDING_LOG=$P/landing.log LD_PRELOAD=$P/landing.so pullx --jobs 3 >/dev/null 2>pull.err \
	&& awk -v n="$nbig" '$1 == "syncfs" && $2 == "main" && !s { s = NR } $1 == "rename" { r++; if (!s || NR < s) bad = 1 }
		END { exit !(s && r == n && !bad) }' landing.log; then
	pass "landing: $nbig layers renamed into place only after the one syncfs that lands them"
else fail "landing order: $(cat pull.err) $(tr '\n' ' ' < landing.log)"; fi
for step in sync rename2; do
	rm -rf S
	case $step in sync) want=0;; rename2) want=1;; esac
	rc=0; LANDING_KILL=$step LD_PRELOAD=$P/landing.so pullx --jobs 3 >/dev/null 2>&1 || rc=$?
	landed=$(ls S/layers | grep -vc tmp || true)
	if [ $rc = 137 ] && ! named "$X/test/big:1" && [ "$landed" = $want ] && "$img" --store S ls >/dev/null \
		&& pullx >/dev/null 2>pull.err && [ "$(runs "$X/test/big:1")" = "$expected" ] \
		&& "$img" --store S gc >/dev/null && no_leftovers; then
		pass "SIGKILL at the landing's $step: no name, $landed of $nbig layers in place, the next pull completes"
	else fail "SIGKILL at the landing's $step: exit $rc, $landed layers in place: $(ls S/layers) $(cat pull.err)"; fi
done

[ $fails = 0 ] && echo "pull tests: all passed" || { echo "pull tests: $fails failed" >&2; exit 1; }
