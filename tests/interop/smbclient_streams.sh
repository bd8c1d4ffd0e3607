#!/usr/bin/env bash
# Named streams through smbclient: `put` into "file:stream" (on a file and on a directory), `allinfo`
# lists the streams with their sizes, `get` reads each back, and the data sits in the file's
# user.DosStream.<name>:$DATA xattr on disk (Samba's streams_xattr layout: the bytes and a NUL);
# `del` of the file takes its streams along. At one dialect.
# Usage: smbclient_streams.sh SERVER_BIN DIALECT
command -v smbclient >/dev/null || { echo "smbclient missing"; exit 77; }
command -v getfattr >/dev/null || { echo "getfattr (attr) missing"; exit 77; }
. "$(dirname "$0")/common.sh"
BIN=$1 DIALECT=$2
start_server "$BIN"
SMB=(smbclient -s "$WORK/client.conf" "//127.0.0.1/share" -p "$PORT" -U "$SMB_USER%$SMB_PASS"
     --option="client min protocol=$DIALECT" --option="client max protocol=$DIALECT")
run() { run_smbclient "$@"; }
printf 'the file itself' > "$WORK/base.txt"
printf 'Zone.Identifier data [ZoneTransfer] ZoneId=3' > "$WORK/zone.txt"
head -c 3000 /dev/urandom > "$WORK/blob.bin"
mkdir "$SHARE_DIR/dir"
run "put base.txt f.txt; put zone.txt f.txt:Zone.Identifier; put blob.bin f.txt:blob; put zone.txt dir:tag" >/dev/null
zsize=$(stat -c %s "$WORK/zone.txt")
info=$(run "allinfo f.txt")
grep -qF 'stream: [::$DATA], 15 bytes' <<<"$info" || fail "allinfo lacks the unnamed stream: $info"
grep -qF "stream: [:Zone.Identifier:\$DATA], $zsize bytes" <<<"$info" || fail "allinfo lacks Zone.Identifier: $info"
grep -qF 'stream: [:blob:$DATA], 3000 bytes' <<<"$info" || fail "allinfo lacks blob: $info"
dinfo=$(run "allinfo dir")
grep -qF "stream: [:tag:\$DATA], $zsize bytes" <<<"$dinfo" || fail "allinfo of the directory lacks its stream: $dinfo"
run "get f.txt:Zone.Identifier zone.back; get f.txt:blob blob.back; get f.txt base.back; get dir:tag tag.back" >/dev/null
cmp -s "$WORK/zone.txt" "$WORK/zone.back" || fail "Zone.Identifier read back differs"
cmp -s "$WORK/blob.bin" "$WORK/blob.back" || fail "blob read back differs"
cmp -s "$WORK/base.txt" "$WORK/base.back" || fail "the file's own data changed"
cmp -s "$WORK/zone.txt" "$WORK/tag.back" || fail "the directory's stream differs"
# On disk: the file holds its own data; each stream is an xattr of its bytes and one NUL.
cmp -s "$WORK/base.txt" "$SHARE_DIR/f.txt" || fail "f.txt on disk is not the file's data"
want=$(od -An -tx1 "$WORK/zone.txt" | tr -d ' \n')00
got=$(getfattr --only-values -n 'user.DosStream.Zone.Identifier:$DATA' "$SHARE_DIR/f.txt" 2>/dev/null | od -An -tx1 | tr -d ' \n')
[ "$got" = "$want" ] || fail "user.DosStream.Zone.Identifier:\$DATA holds $got, want $want"
# Deleting the file deletes its streams; a new file of that name has none.
run "del f.txt; put base.txt f.txt" >/dev/null
info=$(run "allinfo f.txt")
grep -q 'Zone.Identifier' <<<"$info" && fail "a new f.txt still has the old streams: $info"
echo "PASS smbclient streams $DIALECT"
