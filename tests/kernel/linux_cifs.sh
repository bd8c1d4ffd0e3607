#!/usr/bin/env bash
# The Linux kernel client (cifs.ko in a small VM) against the example server, through
# ../shared/interop/linux-cifs (present on the project's machines, not in a user's clone).
# Runs the harness's default file-operation test in each configuration below.
# Usage: tests/kernel/linux_cifs.sh [BUILD_DIR]
. "$(dirname "$0")/common.sh"
# "vers | client options | share suffix (':encrypt' makes the share demand encryption) | server
# options". With --signing enabled the client signs nothing and large READs go out by sendfile.
CONFIGS=(
  "2.1||" "2.1|--sign|" "2.1|||--signing enabled"
  "3.0||" "3.0|--sign|" "3.0|--seal|"
  "3.02||" "3.02|--sign|"
  "3.1.1||" "3.1.1|--sign|" "3.1.1|--seal|" "3.1.1||:encrypt" "3.1.1|||--signing enabled"
)
pass=0 fail=0
for c in "${CONFIGS[@]}"; do
  IFS='|' read -r v opts suffix srvopts <<<"$c"
  log=$(mktemp)
  # One attempt: a configuration that fails fails the run (no retry; a flaky one is a bug to
  # fix). The guest runs under TCG on a shared 2-core machine; a full run takes 22-45 s, and the
  # guest's time limit is what bounds a slow one (--timeout, run.sh's default made explicit).
  # shellcheck disable=SC2086
  bash "$H/run.sh" --server-cmd "./$BUILD/examples/smbsrv-share --listen \"\$SMB_ADDR:\$SMB_PORT\" --share \"share=\$SMB_WORKDIR/share$suffix\" --user alice:secret --log-level debug $srvopts" \
    --user alice --password secret --vers "$v" --timeout 300 $opts > "$log" 2>&1
  rc=$?
  summary=$(tail -n 1 "$log")
  name="vers=$v${opts:+ $opts}${suffix:+ share$suffix}${srvopts:+ server $srvopts}"
  if [ $rc -eq 0 ]; then pass=$((pass + 1)); echo "PASS kernel $name: $summary"
  else fail=$((fail + 1)); echo "FAIL kernel $name: $summary"; grep -E "^FAIL|CIFS: VFS" "$log" | head -20; grep -E "\| " "$log" | tail -40; fi
  rm -f "$log"
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
