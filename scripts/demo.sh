#!/usr/bin/env bash
# Quick start, main job: set up, then diagnose the bundled seed cases (exit 1 = problems found, as here).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >&2
node dist/cli/main.js doctor examples/seed-case-a-forged-rst-after-failed-logins.pcap examples/seed-case-b-tns-redirect-blocked.pcap "$@" || [ $? -eq 1 ]
