#!/usr/bin/env bash
# Usage: impacket_ea.sh SERVER_BIN — extended attributes through impacket (impacket_ea.py).
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import impacket' 2>/dev/null || { echo "impacket missing"; exit 77; }
. "$(dirname "$0")/common.sh"
start_server "$1" --signing required
/usr/bin/python3 "$(dirname "$0")/impacket_ea.py" "$PORT" "$SMB_USER" "$SMB_PASS" "$SHARE_DIR" \
  || { server_log_tail; exit 1; }
