#!/usr/bin/env bash
# Installs dependencies (incl. smbclient, smbtorture, impacket), builds with -Werror, and runs
# every test: unit tests and interop tests against real clients on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh --test
cmake -S . -B build-test -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSMBSRV_WERROR=ON \
  -DSMBSRV_ENABLE_INTEROP_TESTS=ON -DSMBSRV_BUILD_BENCH=ON >/dev/null
cmake --build build-test
cd build-test && ctest --output-on-failure -j2 "$@"
