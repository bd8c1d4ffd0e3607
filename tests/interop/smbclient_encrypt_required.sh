#!/usr/bin/env bash
# Server-side encryption requirements against smbclient (Samba 4.17), the client NOT asking for
# encryption (--client-protection=sign):
#   share  : a share exported with ":encrypt". 3.0/3.0.2/3.1.1 clients must still work, encrypting
#            because the TREE_CONNECT answer carries SHAREFLAG_ENCRYPT_DATA (the server's trace log
#            shows every request on that tree arrived encrypted); 2.0.2/2.1 clients, which cannot
#            encrypt, are refused at TREE_CONNECT with ACCESS_DENIED (and still reach other shares).
#   server : the server started with --encrypt. 3.x clients work, 2.x ones are refused at
#            SESSION_SETUP with ACCESS_DENIED.
# Samba 4.17's smbclient honours a share's encryption demand even with --client-protection=off
# or "client smb encrypt = off", so at 3.x it cannot be made to refuse; only 2.x clients can.
# Usage: smbclient_encrypt_required.sh SERVER_BIN share|server
command -v smbclient >/dev/null || { echo "smbclient missing"; exit 77; }
. "$(dirname "$0")/common.sh"
BIN=$1 MODE=$2
mkdir -p "$WORK/secure"
if [ "$MODE" = share ]; then
  start_server "$BIN" --signing required --log-level trace --share "secure=$WORK/secure:encrypt"
  TARGET=secure
else
  start_server "$BIN" --signing required --log-level trace --encrypt
  TARGET=share
fi
smb() {  # smb DIALECT PROTECTION SHARE COMMANDS
  (cd "$WORK" && smbclient -s "$WORK/client.conf" "//127.0.0.1/$3" -p "$PORT" -U "$SMB_USER%$SMB_PASS" \
     --option="client min protocol=$1" --option="client max protocol=$1" "--client-protection=$2" -c "$4" 2>&1)
}
head -c 1048576 /dev/urandom > "$WORK/one.bin"
for d in SMB3_11 SMB3_02 SMB3_00; do
  before=$(wc -l < "$WORK/server.log")
  out=$(smb "$d" sign "$TARGET" "put one.bin one.bin; get one.bin back.bin; ls; rm one.bin")
  grep -q NT_STATUS_ <<<"$out" && fail "$d on $TARGET: $out"
  cmp -s "$WORK/one.bin" "$WORK/back.bin" || fail "$d: file differs after round trip"
  rm -f "$WORK/back.bin"
  new=$(tail -n +"$((before + 1))" "$WORK/server.log")
  # Every WRITE and READ of this connection arrived encrypted (and so was answered encrypted).
  grep -qE "WRITE mid=[0-9]+ -> STATUS_SUCCESS \(encrypted\)" <<<"$new" || fail "$d: no encrypted WRITE in the log"
  grep -qE "READ mid=[0-9]+ -> STATUS_SUCCESS \(encrypted\)" <<<"$new" || fail "$d: no encrypted READ in the log"
  if grep -E " (CREATE|WRITE|READ|QUERY_DIRECTORY) mid=" <<<"$new" | grep -qv "(encrypted)"; then
    fail "$d: a plain request on the encrypted $MODE: $(grep -E ' (CREATE|WRITE|READ) mid=' <<<"$new" | grep -v '(encrypted)' | head -3)"
  fi
  echo "ok $d on $TARGET (client did not ask for encryption; it encrypted)"
done
for d in SMB2_10 SMB2_02; do
  out=$(smb "$d" off "$TARGET" "ls")
  if [ "$MODE" = share ]; then
    grep -q "tree connect failed: NT_STATUS_ACCESS_DENIED" <<<"$out" || fail "$d not refused at TREE_CONNECT: $out"
    out=$(smb "$d" off share "ls")
    grep -q NT_STATUS_ <<<"$out" && fail "$d refused on the plain share too: $out"
  else
    grep -q "NT_STATUS_ACCESS_DENIED" <<<"$out" || fail "$d not refused at SESSION_SETUP: $out"
    grep -q "refused: the server requires encryption" "$WORK/server.log" || fail "$d: no refusal logged"
  fi
  echo "ok $d refused (cannot encrypt)"
done
echo "PASS smbclient encryption required by the $MODE"
