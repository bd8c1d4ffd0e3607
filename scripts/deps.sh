#!/usr/bin/env bash
# Installs what smbsrv needs to build and test on Debian 12 (idempotent; needs root or sudo).
set -euo pipefail
PKGS=(build-essential cmake ninja-build pkg-config libssl-dev libasio-dev libspdlog-dev
      libgtest-dev libgmock-dev libbenchmark-dev)
[ "${1:-}" = "--test" ] && PKGS+=(smbclient samba-testsuite python3-impacket attr)
missing=()
for p in "${PKGS[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
