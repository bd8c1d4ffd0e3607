#!/usr/bin/env bash
# impacket's SMBConnection.listShares() and its srvs/wkst/lsat DCE/RPC calls over IPC$.
# Usage: impacket_rpc.sh SERVER_BIN DIALECT_HEX
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import impacket' 2>/dev/null || { echo "impacket missing"; exit 77; }
. "$(dirname "$0")/common.sh"
BIN=$1 DIALECT=$2
mkdir -p "$WORK/docs"
start_server "$BIN" --signing required --server-name TESTSRV --workgroup TESTGROUP \
  --machine-sid S-1-5-21-1111-2222-3333 --share "docs=$WORK/docs:comment=Team documents"
/usr/bin/python3 "$(dirname "$0")/impacket_rpc.py" "$PORT" "$SMB_USER" "$SMB_PASS" "$DIALECT" || { server_log_tail; exit 1; }
