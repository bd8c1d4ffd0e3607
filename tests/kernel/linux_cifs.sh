#!/usr/bin/env bash
# The Linux kernel client (cifs.ko in a small VM) against the example server, through
# ../shared/interop/linux-cifs (present on the project's machines, not in a user's clone).
# Runs the harness's default file-operation test at each dialect the kernel client speaks.
# Usage: tests/kernel/linux_cifs.sh [BUILD_DIR] [VERS...]
set -uo pipefail
cd "$(dirname "$0")/../.."
H=../shared/interop/linux-cifs
[ -x "$H/run.sh" ] || [ -f "$H/run.sh" ] || { echo "no linux-cifs harness here; skipped"; exit 0; }
BUILD=${1:-build-test}; shift || true
VERSIONS=("$@"); [ ${#VERSIONS[@]} -eq 0 ] && VERSIONS=(2.1 3.0 3.02 3.1.1)
bash "$H/setup.sh" >/dev/null || { echo "linux-cifs setup failed"; exit 1; }
pass=0 fail=0
for v in "${VERSIONS[@]}"; do
  for mode in "" --sign; do
    log=$(mktemp)
    bash "$H/run.sh" --server-cmd "./$BUILD/examples/smbsrv-share --listen \"\$SMB_ADDR:\$SMB_PORT\" --share \"share=\$SMB_WORKDIR/share\" --user alice:secret --log-level debug" \
      --user alice --password secret --vers "$v" $mode > "$log" 2>&1
    rc=$?
    summary=$(tail -n 1 "$log")
    if [ $rc -eq 0 ]; then pass=$((pass + 1)); echo "PASS kernel vers=$v $mode: $summary"
    else fail=$((fail + 1)); echo "FAIL kernel vers=$v $mode: $summary"; grep -E "^FAIL|CIFS: VFS" "$log" | head -20; grep -E "\| " "$log" | tail -40; fi
    rm -f "$log"
  done
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
