# Sourced: a Debian docker-registry on loopback, ours alone, for producers that read or write
# only registries (the .NET SDK's PublishContainer). The caller stops it by its pid.
#   registry_start DIR   -> REGISTRY_PID, REGISTRY_PORT (data and log in DIR); 1 if it never answers
registry_start() {
	REGISTRY_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	printf 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
		"$1/registry" "$REGISTRY_PORT" > "$1/registry.yml"
	docker-registry serve "$1/registry.yml" >"$1/registry.log" 2>&1 &
	REGISTRY_PID=$!
	for _ in $(seq 100); do
		curl -fs "http://127.0.0.1:$REGISTRY_PORT/v2/" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "registry on 127.0.0.1:$REGISTRY_PORT did not answer: $(tail -3 "$1/registry.log")" >&2
	return 1
}
