# Shared helpers for the interop tests: start the example server on an ephemeral port on
# 127.0.0.1 with a fresh share, and stop it on exit.
# Usage: . common.sh; start_server SERVER_BINARY [extra args...]  → sets PORT, SHARE_DIR, WORK
set -u
SMB_USER=alice
SMB_PASS='Secret-pw1'
WORK=$(mktemp -d /tmp/smbsrv-interop.XXXXXX)
SHARE_DIR="$WORK/share"
mkdir -p "$SHARE_DIR"
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

start_server() {
  local bin=$1; shift
  "$bin" --listen 127.0.0.1:0 --share "share=$SHARE_DIR" --user "$SMB_USER:$SMB_PASS" "$@" \
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
