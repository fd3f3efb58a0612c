#!/usr/bin/env bash
# Quick start, tests: set up everything the suite needs (packages, services), then run it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests
exec node scripts/test.mjs "$@"
