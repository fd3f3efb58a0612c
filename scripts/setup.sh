#!/usr/bin/env bash
# Installs what wiresage and its tests need on Debian 12 (as root), then builds.
# Idempotent and quick when everything is already there.
#   bash scripts/setup.sh          # runtime + build
#   bash scripts/setup.sh --tests  # also the packages the test suite uses
set -euo pipefail
cd "$(dirname "$0")/.."

# build-essential and python3: node-gyp builds the live-capture addon (native/) at npm ci.
runtime_pkgs=(libpcap-dev tcpdump build-essential python3)
test_pkgs=(tshark nftables iproute2 ethtool procps mariadb-server mariadb-client postgresql redis-server redis-tools dnsmasq curl openssl
  # capture in containers, pods, namespaces and over ssh (issue 7); the web UI's browser tests (issue 9)
  docker.io containerd containernetworking-plugins podman busybox-static openssh-server openssh-client sudo util-linux chromium)

want=("${runtime_pkgs[@]}")
[[ "${1:-}" == "--tests" ]] && want+=("${test_pkgs[@]}")

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Do not let wireshark-common ask whether non-root users may capture.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm ci only when the lock file changed since the last install.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
# The addon build is not fatal in npm ci (capture then says why); retry it once the packages are in.
[[ -f build/Release/wiresage_capture.node ]] || npm run --silent build:addon

npm run --silent build
