#!/usr/bin/env bash
# smbclient file round trips at one dialect, with signing required (or a chosen 3.1.1 signing
# algorithm): ls, mkdir, put, get, hardlink, rename, rm, rmdir and a 32 MiB file compared by hash.
# Usage: smbclient_roundtrip.sh SERVER_BIN DIALECT [SIGNING_ALGORITHM|-] [CIPHER [SERVER_ARGS...]]
# With CIPHER the client requires encryption with that cipher (--client-protection=encrypt);
# CIPHER "off": no signing and no encryption.
command -v smbclient >/dev/null || { echo "smbclient missing"; exit 77; }
. "$(dirname "$0")/common.sh"
BIN=$1 DIALECT=$2 ALG=${3:-} CIPHER=${4:-}
[ "$ALG" = "-" ] && ALG=
shift $(( $# < 4 ? $# : 4 ))
start_server "$BIN" --signing required "$@"
SMB=(smbclient -s "$WORK/client.conf" "//127.0.0.1/share" -p "$PORT" -U "$SMB_USER%$SMB_PASS"
     --option="client min protocol=$DIALECT" --option="client max protocol=$DIALECT")
if [ "$CIPHER" = off ]; then
  # Neither signed nor sealed (the server must allow it: --signing enabled). Large READs then
  # leave the server by sendfile (zero-copy).
  SMB+=(--client-protection=off)
elif [ -n "$CIPHER" ]; then
  SMB+=(--client-protection=encrypt --option="client smb3 encryption algorithms=$CIPHER")
else
  SMB+=(--client-protection=sign)
fi
# "SIGNING_ALG/CIPHER": sign with SIGNING_ALG while offering only CIPHER (negotiated, not used).
if [[ "$ALG" == */* ]]; then
  SMB+=(--option="client smb3 encryption algorithms=${ALG#*/}"); ALG=${ALG%/*}
fi
[ -n "$ALG" ] && SMB+=(--option="client smb3 signing algorithms=$ALG")
run() { run_smbclient "$@"; }
head -c 33554432 /dev/urandom > "$WORK/big.bin"
echo "hello smbsrv" > "$WORK/small.txt"
run "ls" >/dev/null
run "mkdir dir1; put small.txt dir1\\small.txt; put big.bin big.bin" >/dev/null
out=$(run "ls; ls dir1\\*")
grep -q "big.bin" <<<"$out" || fail "big.bin not listed: $out"
grep -q "small.txt" <<<"$out" || fail "small.txt not listed: $out"
run "get big.bin big.back; get dir1\\small.txt small.back" >/dev/null
cmp -s "$WORK/big.bin" "$WORK/big.back" || fail "32 MiB file differs after round trip"
cmp -s "$WORK/small.txt" "$WORK/small.back" || fail "small file differs"
[ "$(sha256sum < "$SHARE_DIR/big.bin")" = "$(sha256sum < "$WORK/big.bin")" ] || fail "server copy differs"
# A hard link (SET_INFO FileLinkInformation): a second name for the same file on disk.
run "hardlink dir1\\small.txt small.link" >/dev/null
[ "$(stat -c %i "$SHARE_DIR/dir1/small.txt")" = "$(stat -c %i "$SHARE_DIR/small.link" 2>/dev/null)" ] ||
  fail "hardlink did not link on disk: $(ls -li "$SHARE_DIR" "$SHARE_DIR/dir1")"
out=$(run "hardlink dir1\\small.txt small.link" 2>&1)
grep -q NT_STATUS_OBJECT_NAME_COLLISION <<<"$out" || fail "hardlink over an existing name: $out"
run "rm small.link" >/dev/null
run "rename big.bin big2.bin; rename dir1 dir2" >/dev/null
[ -f "$SHARE_DIR/big2.bin" ] && [ -d "$SHARE_DIR/dir2" ] || fail "rename did not happen on disk"
run "rm big2.bin; rm dir2\\small.txt; rmdir dir2" >/dev/null
[ -z "$(ls -A "$SHARE_DIR")" ] || fail "share not empty after rm: $(ls -A "$SHARE_DIR")"
# A wrong password must fail.
out=$(cd "$WORK" && smbclient -s "$WORK/client.conf" //127.0.0.1/share -p "$PORT" -U "$SMB_USER%wrong" -c ls 2>&1)
grep -q NT_STATUS_LOGON_FAILURE <<<"$out" || fail "wrong password not refused: $out"
echo "PASS smbclient $DIALECT ${ALG:-default} ${CIPHER:-}"
