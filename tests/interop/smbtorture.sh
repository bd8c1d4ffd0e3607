#!/usr/bin/env bash
# Runs a curated smbtorture list against the example server and compares with the reviewed
# known-failures file: an unexpected failure fails the test, and so does an unexpected pass
# (so the list is kept honest).
# Usage: smbtorture.sh SERVER_BIN KNOWN_FAILURES_FILE TEST...
command -v smbtorture >/dev/null || { echo "smbtorture missing"; exit 77; }
. "$(dirname "$0")/common.sh"
BIN=$1 KNOWN=$2; shift 2
start_server "$BIN" --signing required
rc=0
for t in "$@"; do
  timeout 300 smbtorture "//127.0.0.1/share" -p "$PORT" -U "$SMB_USER%$SMB_PASS" -s "$WORK/client.conf" \
    --format=subunit "$t" > "$WORK/torture.out" 2>&1
  while read -r verdict name; do
    name=${name%% *}
    known=no; grep -qxF "$name" "$KNOWN" && known=yes
    case "$verdict" in
      success:) if [ $known = yes ]; then echo "UNEXPECTED PASS $name (remove it from $(basename "$KNOWN"))"; rc=1; else echo "pass $name"; fi ;;
      failure:|error:) if [ $known = yes ]; then echo "known failure $name"; else echo "FAIL $name"; rc=1; fi ;;
      skip:) echo "skip $name" ;;
    esac
  done < <(grep -E '^(success|failure|error|skip): ' "$WORK/torture.out")
done
[ $rc = 0 ] || { grep -vE '^(test|time|success|failure|error|skip|progress|\]|  )' "$WORK/torture.out" | tail -n 30; server_log_tail; }
exit $rc
