#!/bin/sh
# Install the Debian packages pith needs to build and test; a no-op when all are present.
set -eu
# libmbedtls-dev, dpkg-dev: the static libcurl pith-image-pull links (image/curl-minimal.sh)
pkgs="build-essential pkg-config libseccomp-dev libcap-dev libjansson-dev libmnl-dev
      libcriterion-dev busybox-static iproute2 file crun runc uidmap
      jq conmon podman containerd docker.io libisal-dev
      libarchive-dev nettle-dev libssl-dev umoci skopeo docker-registry curl
      libcurl4-openssl-dev python3 libmbedtls-dev dpkg-dev
      libacl1-dev libzstd-dev liblz4-dev libbz2-dev liblzma-dev libxml2-dev zlib1g-dev"
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
# docker.io's init script would start a system dockerd: the tests run private ones only
policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	policy=yes
fi
apt-get install -y -qq --no-install-recommends $missing </dev/null || { rc=$?; [ -z "$policy" ] || rm -f /usr/sbin/policy-rc.d; exit $rc; }
[ -z "$policy" ] || rm -f /usr/sbin/policy-rc.d
