# Shared helpers for the interop tests: start the example server on an ephemeral port on
# 127.0.0.1 with a fresh share, and stop it on exit.
# Usage: . common.sh; start_server SERVER_BINARY [extra args...]  → sets PORT, SHARE_DIR, WORK
# SMBSRV_SHARE_FLAGS (e.g. ":acls") is appended to the share's --share spec.
set -u
SMB_USER=alice
SMB_PASS='Secret-pw1'
WORK=$(mktemp -d /tmp/smbsrv-interop.XXXXXX)
SHARE_DIR="$WORK/share"
mkdir -p "$SHARE_DIR"
SERVER_PID=
# On exit: stop the server (it exits 0 on SIGTERM) and fail the test when it did not exit
# cleanly or its log holds a sanitizer report (ASan/UBSan builds: scripts/test.sh --sanitize;
# TSan: scripts/test.sh --tsan, whose reports start "WARNING: ThreadSanitizer: data race" etc.).
SANITIZER_REPORT='ERROR: (Address|Leak|Thread|Memory)Sanitizer|(WARNING|FATAL): ThreadSanitizer|runtime error:'
cleanup() {
  local rc=$? server_rc=0
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null || server_rc=$?
    if [ "$server_rc" -ne 0 ]; then
      echo "FAIL: the server exited with status $server_rc"
      tail -n 60 "$WORK/server.log"
      rc=1
    fi
  fi
  if [ -f "$WORK/server.log" ] && grep -qE "$SANITIZER_REPORT" "$WORK/server.log"; then
    echo "FAIL: sanitizer report in the server log:"
    grep -E -A100 "$SANITIZER_REPORT" "$WORK/server.log" | head -n 300
    rc=1
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT

start_server() {
  local bin=$1; shift
  "$bin" --listen 127.0.0.1:0 --share "share=$SHARE_DIR${SMBSRV_SHARE_FLAGS:-}" --user "$SMB_USER:$SMB_PASS" --state-dir "$WORK/state" "$@" \
    > "$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/server.log" | head -n1)
    [ -n "$PORT" ] && break
    sleep 0.05
  done
  if [ -z "${PORT:-}" ]; then echo "server did not start:"; cat "$WORK/server.log"; exit 1; fi
  printf '[global]\nclient min protocol = SMB2_02\nclient max protocol = SMB3_11\n' > "$WORK/client.conf"
}

server_log_tail() { echo "---- server log ----"; tail -n 40 "$WORK/server.log"; }
fail() { echo "FAIL: $*"; server_log_tail; exit 1; }
# Runs smbclient commands with the caller's SMB array (the smbclient command line); fails on a
# non-zero exit or any NT_STATUS error in the output, else prints the output.
run_smbclient() {
  local out
  out=$(cd "$WORK" && "${SMB[@]}" -c "$1" 2>&1) || fail "smbclient -c '$1' exited non-zero: $out"
  if grep -q NT_STATUS_ <<<"$out"; then fail "smbclient -c '$1': $out"; fi
  printf '%s\n' "$out"
}
