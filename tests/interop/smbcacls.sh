#!/usr/bin/env bash
# smbcacls (Samba 4.17) reads a file's security descriptor and names its SIDs through lsarpc on
# IPC$: the owner is the user's account, TESTSRV\alice, and --numeric shows the same SID that
# lsarpc's lookupnames gives. smbcacls cannot be given a port, so the test runs in a network
# namespace of its own (unshare -n: only its loopback), with the server on 127.0.0.1:445.
# Usage: smbcacls.sh SERVER_BIN
command -v smbcacls >/dev/null || { echo "smbcacls missing"; exit 77; }
if [ -z "${SMBSRV_IN_NETNS:-}" ]; then
  unshare -n true 2>/dev/null || { echo "cannot make a network namespace here (needs root)"; exit 77; }
  exec unshare -n env SMBSRV_IN_NETNS=1 bash "$0" "$@"
fi
ip link set lo up
. "$(dirname "$0")/common.sh"
BIN=$1
# "acls": a second share that stores descriptors (":acls", Share::AclMode::nt).
start_server "$BIN" --listen 127.0.0.1:445 --server-name TESTSRV --machine-sid S-1-5-21-1111-2222-3333 \
  --share "acls=$WORK/acls:acls"
echo hello > "$SHARE_DIR/f.txt"
out=$(cd "$WORK" && smbcacls //127.0.0.1/share f.txt -U "$SMB_USER%$SMB_PASS" 2>&1)
grep -qx "OWNER:TESTSRV\\\\$SMB_USER" <<<"$out" || fail "owner not named: $out"
grep -qx "ACL:Everyone:ALLOWED/0x0/FULL" <<<"$out" || fail "DACL: $out"
echo "PASS smbcacls names the owner"
num=$(cd "$WORK" && smbcacls --numeric //127.0.0.1/share f.txt -U "$SMB_USER%$SMB_PASS" 2>&1)
sid=$(sed -n 's/^OWNER://p' <<<"$num")
names=$(cd "$WORK" && rpcclient -s "$WORK/client.conf" 127.0.0.1 -U "$SMB_USER%$SMB_PASS" -c "lookupnames $SMB_USER" 2>&1)
grep -q "^$SMB_USER $sid (User: 1)" <<<"$names" || fail "owner SID $sid is not what lookupnames gives: $names"
echo "PASS the owner SID is the account's ($sid)"
# A stored descriptor: an ACE smbcacls adds is there when read back, the owner stays, and a file
# created in a directory with an inheritable ACE inherits it.
mkdir -p "$WORK/acls/dir"
echo hello > "$WORK/acls/g.txt"
cacls() { (cd "$WORK" && smbcacls //127.0.0.1/acls "$@" -U "$SMB_USER%$SMB_PASS" 2>&1); }
cacls g.txt -a "ACL:Everyone:DENIED/0x0/0x00000116" >/dev/null || fail "smbcacls -a failed: $(cacls g.txt -a 'ACL:Everyone:DENIED/0x0/0x00000116')"
out=$(cacls g.txt)
grep -qx "ACL:Everyone:DENIED/0x0/0x00000116" <<<"$out" || fail "added ACE not stored: $out"
grep -qx "OWNER:TESTSRV\\\\$SMB_USER" <<<"$out" || fail "owner lost: $out"
echo "PASS smbcacls stores an ACE"
# ... and the stored DACL decides opens: its DENY of writing data, EAs and attributes (not the
# standard rights smbcacls' "W" includes) refuses smbclient's upload; reading is still allowed.
out=$(smbclient //127.0.0.1/acls -U "$SMB_USER%$SMB_PASS" -s "$WORK/client.conf" -c "put $WORK/acls/g.txt g.txt" 2>&1) \
  && fail "writing through a denying ACE succeeded: $out"
grep -q NT_STATUS_ACCESS_DENIED <<<"$out" || fail "writing through a denying ACE: $out"
out=$(smbclient //127.0.0.1/acls -U "$SMB_USER%$SMB_PASS" -s "$WORK/client.conf" -c "get g.txt $WORK/g.back" 2>&1) \
  || fail "reading a file whose DACL allows it failed: $out"
echo "PASS the stored DACL is enforced"
# The directory's own ACE lets its owner add files (FILE_ADD_FILE); the inheritable one is for them.
dacl="ACL:Everyone:ALLOWED/OI|CI/R,ACL:TESTSRV\\$SMB_USER:ALLOWED/0x0/FULL"
cacls dir -S "$dacl" >/dev/null || fail "smbcacls -S failed: $(cacls dir -S "$dacl")"
smbclient //127.0.0.1/acls -U "$SMB_USER%$SMB_PASS" -s "$WORK/client.conf" -c "put $WORK/acls/g.txt dir\\new.txt" >/dev/null 2>&1 \
  || fail "smbclient put failed"
out=$(cacls 'dir\new.txt')
grep -qx "ACL:Everyone:ALLOWED/0x0/R" <<<"$out" || fail "not inherited: $out"
echo "PASS a new file inherits its directory's ACE"
