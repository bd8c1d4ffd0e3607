#!/usr/bin/env bash
# The Linux kernel client (cifs.ko in a small VM) against the example server, through
# ../shared/interop/linux-cifs (present on the project's machines, not in a user's clone).
# Runs the harness's default file-operation test in each configuration below.
# Usage: tests/kernel/linux_cifs.sh [BUILD_DIR]
. "$(dirname "$0")/common.sh"
# "vers | client options | share suffix (':encrypt' makes the share demand encryption) | server
# options | big-file MiB". With --signing enabled the client signs nothing and large READs go out
# by sendfile.
#
# The big file is 64 MiB in three configurations and 16 MiB (four 4 MiB WRITEs and READs, still
# multi-credit) in the rest. The harness has a known stall during long writes under TCG (its
# README, "Known issue": about 1 in 45 runs, seen with Samba too): the guest's network goes dead,
# "sends on sock ... stuck for 15 seconds", then "Error connecting to socket" (-113, the guest
# cannot even ARP the host) and no new connection ever reaches the server. CI on 2026-12-06 hit
# it once in vers=3.1.1 server --signing enabled. Fewer 64 MiB writes make that less likely; it
# is not retried.
CONFIGS=(
  "2.1||||64" "2.1|--sign|||16" "2.1|||--signing enabled|16"
  "3.0||||16" "3.0|--sign|||16" "3.0|--seal|||16"
  "3.02||||16" "3.02|--sign|||16"
  "3.1.1||||64" "3.1.1|--sign|||16" "3.1.1|--seal|||64" "3.1.1||:encrypt||16" "3.1.1|||--signing enabled|16"
)
pass=0 fail=0
for c in "${CONFIGS[@]}"; do
  IFS='|' read -r v opts suffix srvopts bigmb <<<"$c"
  # The many-files step (create, list, delete): 2000 files with the 64 MiB configurations, 500
  # with the others (CI time: each 2000-file pass costs 10-20 s under TCG).
  nfiles=$([ "$bigmb" = 64 ] && echo 2000 || echo 500)
  log=$(mktemp)
  # One attempt: a configuration that fails fails the run (no retry; a flaky one is a bug to
  # fix). The guest runs under TCG on a shared 2-core machine; a full run takes 22-45 s, and the
  # guest's time limit is what bounds a slow one (--timeout, run.sh's default made explicit).
  # shellcheck disable=SC2086
  bash "$H/run.sh" --server-cmd "./$BUILD/examples/smbsrv-share --listen \"\$SMB_ADDR:\$SMB_PORT\" --share \"share=\$SMB_WORKDIR/share$suffix\" --user alice:secret --log-level debug $srvopts" \
    --user alice --password secret --vers "$v" --big-mb "$bigmb" --nfiles "$nfiles" --timeout 300 $opts > "$log" 2>&1
  rc=$?
  summary=$(tail -n 1 "$log")
  name="vers=$v${opts:+ $opts}${suffix:+ share$suffix}${srvopts:+ server $srvopts}"
  if [ $rc -eq 0 ]; then pass=$((pass + 1)); echo "PASS kernel $name: $summary"
  else fail=$((fail + 1)); echo "FAIL kernel $name: $summary"; grep -E "^FAIL|CIFS: VFS" "$log" | head -20; grep -E "\| " "$log" | tail -40; fi
  rm -f "$log"
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
