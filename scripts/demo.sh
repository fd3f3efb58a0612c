#!/usr/bin/env bash
# Quick start, main job: set up, then read the bundled example capture.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >&2
node dist/cli/main.js read -tttt examples/web-and-dns.pcap "$@"
