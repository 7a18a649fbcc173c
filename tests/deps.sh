#!/bin/sh
# Install the Debian packages pith needs to build and test; a no-op when all are present.
set -eu
pkgs="build-essential pkg-config libseccomp-dev libcap-dev libjansson-dev libmnl-dev
      libcriterion-dev busybox-static iproute2 file crun runc uidmap
      jq conmon podman containerd"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "missing packages:$missing (run 'make deps' as root, or: sudo apt-get install$missing)" >&2
	exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq </dev/null
apt-get install -y -qq --no-install-recommends $missing </dev/null
