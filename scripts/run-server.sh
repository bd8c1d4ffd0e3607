#!/usr/bin/env bash
# Installs dependencies, builds, and starts the example share server. Arguments go to
# smbsrv-share (default: ./smbshare as "share" on port 445, or 4445 when not root).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --target smbsrv-share
if [ $# -eq 0 ] && [ "$(id -u)" -ne 0 ]; then set -- --listen 0.0.0.0:4445; fi
exec ./build/examples/smbsrv-share "$@"
