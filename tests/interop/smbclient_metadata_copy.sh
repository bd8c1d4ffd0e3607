#!/usr/bin/env bash
# A file written over SMB 3.1.1 with two named streams, DOS attributes and all four times, copied
# with smbclient to the client and back under a new name (the data, each stream, `setmode` and
# `utimes` with what `allinfo` showed): `allinfo` of the copy shows the same attributes, times and
# streams, and the data and streams read back equal. (smbclient has no EA commands; impacket_ea.sh
# covers EAs.)
# Usage: smbclient_metadata_copy.sh SERVER_BIN
command -v smbclient >/dev/null || { echo "smbclient missing"; exit 77; }
. "$(dirname "$0")/common.sh"
start_server "$1"
SMB=(smbclient -s "$WORK/client.conf" "//127.0.0.1/share" -p "$PORT" -U "$SMB_USER%$SMB_PASS"
     --option="client min protocol=SMB3_11" --option="client max protocol=SMB3_11")
run() { "${SMB[@]}" -c "$1" 2>&1; }
fail() { echo "FAIL: $*"; exit 1; }
L="$WORK/local"
mkdir -p "$L"
head -c 70000 /dev/urandom > "$L/data"
printf '[ZoneTransfer]\r\nZoneId=3\r\n' > "$L/zone"
head -c 3000 /dev/urandom > "$L/blob"
run "put $L/data f.txt; put $L/zone f.txt:Zone.Identifier; put $L/blob f.txt:blob; setmode f.txt +hs;
     utimes f.txt 2020:01:02-03:04:05 2021:02:03-04:05:06 2022:03:04-05:06:07 2023:04:05-06:07:08" >/dev/null
src=$(run "allinfo f.txt")
grep -q '^attributes: HSA' <<<"$src" || fail "attributes were not set: $src"
grep -q 'create_time: *Thu Jan  2 03:04:05 2020 UTC' <<<"$src" || fail "times were not set: $src"
# To the client and back.
run "get f.txt $L/f; get f.txt:Zone.Identifier $L/f.zone; get f.txt:blob $L/f.blob" >/dev/null
stamp() {  # the allinfo time of field $1 as utimes wants it
  local t; t=$(sed -n "s/^$1: *//p" <<<"$src" | sed 's/ UTC$//')
  date -u -d "$t" +%Y:%m:%d-%H:%M:%S
}
attrs=$(sed -n 's/^attributes: \([A-Z]*\) .*/\1/p' <<<"$src")
mode="+"
for a in R H S A; do [[ $attrs == *$a* ]] && mode+=${a,,}; done
run "put $L/f g.txt; put $L/f.zone g.txt:Zone.Identifier; put $L/f.blob g.txt:blob; setmode g.txt $mode;
     utimes g.txt $(stamp create_time) $(stamp access_time) $(stamp write_time) $(stamp change_time)" >/dev/null
dst=$(run "allinfo g.txt")
for field in create_time access_time write_time change_time attributes stream; do
  a=$(grep "^$field" <<<"$src") b=$(grep "^$field" <<<"$dst")
  [ "$a" = "$b" ] || fail "$field differs after the copy: [$a] vs [$b]"
done
run "get g.txt $L/g; get g.txt:Zone.Identifier $L/g.zone; get g.txt:blob $L/g.blob" >/dev/null
cmp -s "$L/data" "$L/g" || fail "the data differs"
cmp -s "$L/zone" "$L/g.zone" || fail "Zone.Identifier differs"
cmp -s "$L/blob" "$L/g.blob" || fail "the blob stream differs"
echo "PASS smbclient metadata copy${SMBSRV_SHARE_FLAGS:-}"
