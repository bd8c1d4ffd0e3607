#!/usr/bin/env bash
# Usage: impacket.sh SERVER_BIN DIALECT_HEX [SHARE_FLAGS|- [EXPECT [SERVER_ARGS...]]]
#   SHARE_FLAGS: suffix for the share definition, e.g. ":encrypt" ("-": none)
#   EXPECT: see impacket_client.py (ok, encrypted, refused-login, refused-tree)
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import impacket' 2>/dev/null || { echo "impacket missing"; exit 77; }
. "$(dirname "$0")/common.sh"
BIN=$1 DIALECT=$2 FLAGS=${3:--} EXPECT=${4:-ok}
[ "$FLAGS" = "-" ] && FLAGS=
shift $(( $# < 4 ? $# : 4 ))
SHARE=share
if [ -n "$FLAGS" ]; then
  SHARE=secure
  mkdir -p "$WORK/secure"
  set -- --share "secure=$WORK/secure$FLAGS" "$@"
fi
start_server "$BIN" --signing required "$@"
/usr/bin/python3 "$(dirname "$0")/impacket_client.py" "$PORT" "$SMB_USER" "$SMB_PASS" "$DIALECT" "$SHARE" "$EXPECT" \
  || { server_log_tail; exit 1; }
