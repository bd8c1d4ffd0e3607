#!/usr/bin/env bash
# smbclient's scopy: a server-side copy (FSCTL_SRV_REQUEST_RESUME_KEY, then FSCTL_SRV_COPYCHUNK_WRITE
# requests of at most the server's limits) of a file of 64 MiB and a bit (so the last request is
# short) and of a small one into a subdirectory; the copies must be identical to the sources on
# disk. At one dialect.
# Usage: smbclient_scopy.sh SERVER_BIN DIALECT
command -v smbclient >/dev/null || { echo "smbclient missing"; exit 77; }
. "$(dirname "$0")/common.sh"
BIN=$1 DIALECT=$2
start_server "$BIN"
SMB=(smbclient -s "$WORK/client.conf" "//127.0.0.1/share" -p "$PORT" -U "$SMB_USER%$SMB_PASS"
     --option="client min protocol=$DIALECT" --option="client max protocol=$DIALECT")
run() { run_smbclient "$@"; }
head -c $(((64 << 20) + 777)) /dev/urandom > "$SHARE_DIR/big.bin"
head -c 12345 /dev/urandom > "$SHARE_DIR/small.bin"
mkdir "$SHARE_DIR/dir"
run "scopy big.bin big.copy; scopy small.bin dir\\small.copy"
cmp -s "$SHARE_DIR/big.bin" "$SHARE_DIR/big.copy" || fail "64 MiB copy differs"
cmp -s "$SHARE_DIR/small.bin" "$SHARE_DIR/dir/small.copy" || fail "small copy differs"
echo "PASS smbclient scopy $DIALECT"
