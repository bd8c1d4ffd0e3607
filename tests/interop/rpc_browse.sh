#!/usr/bin/env bash
# Share browsing and the DCE/RPC services on IPC$ against Samba 4.17's tools:
#   list     : `smbclient -L` at 2.1, 3.0.2 and 3.1.1, signed and (3.x) encrypted, lists every
#              browseable share with its comment, and IPC$; a ":hidden" share is left out.
#   rpcclient: srvinfo, netshareenumall, netsharegetinfo, lsaquery, lookupnames, lookupsids (with
#              the SID lookupnames gave), getusername, wkssvc's wkssvc_wkstagetinfo, as Samba
#              prints them.
# Usage: rpc_browse.sh SERVER_BIN list|rpcclient
command -v smbclient >/dev/null || { echo "smbclient missing"; exit 77; }
command -v rpcclient >/dev/null || { echo "rpcclient missing"; exit 77; }
. "$(dirname "$0")/common.sh"
BIN=$1 MODE=$2
mkdir -p "$WORK/docs" "$WORK/secret"
start_server "$BIN" --signing enabled --server-name TESTSRV --workgroup TESTGROUP \
  --machine-sid S-1-5-21-1111-2222-3333 \
  --share "docs=$WORK/docs:ro:comment=Team documents: read-only" --share "secret=$WORK/secret:hidden"

if [ "$MODE" = list ]; then
  for combo in "SMB2_10 sign" "SMB3_02 sign" "SMB3_02 encrypt" "SMB3_11 sign" "SMB3_11 encrypt" "SMB3_11 off"; do
    read -r d prot <<<"$combo"
    out=$(cd "$WORK" && smbclient -s "$WORK/client.conf" -L "//127.0.0.1" -p "$PORT" -U "$SMB_USER%$SMB_PASS" \
            --option="client min protocol=$d" --option="client max protocol=$d" "--client-protection=$prot" 2>&1)
    grep -q NT_STATUS_ <<<"$out" && fail "$d $prot: $out"
    grep -qE '^\s+docs\s+Disk\s+Team documents: read-only$' <<<"$out" || fail "$d $prot: docs missing: $out"
    grep -qE '^\s+share\s+Disk' <<<"$out" || fail "$d $prot: share missing: $out"
    grep -qE '^\s+IPC\$\s+IPC\s+Remote IPC$' <<<"$out" || fail "$d $prot: IPC\$ missing: $out"
    grep -q secret <<<"$out" && fail "$d $prot: the hidden share is listed: $out"
    echo "PASS list $d $prot"
  done
  # The hidden share still works for whoever names it.
  out=$(cd "$WORK" && smbclient -s "$WORK/client.conf" "//127.0.0.1/secret" -p "$PORT" -U "$SMB_USER%$SMB_PASS" -c ls 2>&1)
  grep -q NT_STATUS_ <<<"$out" && fail "hidden share: $out"
  echo "PASS hidden share reachable"
  exit 0
fi

rpc() {  # rpc COMMAND...: rpcclient over 3.1.1, signed
  (cd "$WORK" && rpcclient -s "$WORK/client.conf" "127.0.0.1" -p "$PORT" -U "$SMB_USER%$SMB_PASS" -c "$*" 2>&1)
}
expect() {  # expect NAME REGEX OUTPUT
  grep -qE "$2" <<<"$3" || fail "$1: no match for /$2/ in: $3"
  echo "PASS $1"
}
out=$(rpc srvinfo)
expect srvinfo-name 'TESTSRV' "$out"
expect srvinfo-platform 'platform_id\s*:\s*500' "$out"
expect srvinfo-version 'os version\s*:\s*[0-9]+\.[0-9]+' "$out"
out=$(rpc netshareenumall)
expect netshareenumall-docs 'netname: docs' "$out"
expect netshareenumall-remark 'remark:\s*Team documents: read-only' "$out"
expect netshareenumall-ipc 'netname: IPC\$' "$out"
expect netshareenumall-path 'path:\s*C:\\docs' "$out"
out=$(rpc netsharegetinfo docs)
expect netsharegetinfo 'netname: docs' "$out"
out=$(rpc netsharegetinfo nosuch)
expect netsharegetinfo-unknown 'WERR_NERR_NETNAMENOTFOUND|WERR_NET_NAME_NOT_FOUND' "$out"
# The primary domain (class 3, lsaquery's default): a workgroup server is in no domain, so the
# workgroup and no SID, as a standalone Samba answers; the account domain (class 5) is the machine.
out=$(rpc lsaquery)
expect lsaquery-primary-name 'Domain Name: TESTGROUP' "$out"
expect lsaquery-primary-sid 'Domain Sid: \(NULL SID\)' "$out"
out=$(rpc lsaquery 5)
expect lsaquery-account-name 'Domain Name: TESTSRV' "$out"
expect lsaquery-account-sid 'Domain Sid: S-1-5-21-1111-2222-3333' "$out"
out=$(rpc lookupnames "$SMB_USER")
expect lookupnames "^$SMB_USER S-1-5-21-1111-2222-3333-[0-9]+ \\(User: 1\\)" "$out"
sid=$(awk '{print $2}' <<<"$out" | head -n1)
out=$(rpc lookupsids "$sid" S-1-1-0 S-1-5-32-544)
expect lookupsids-user "^$sid TESTSRV\\\\$SMB_USER \\(1\\)" "$out"
expect lookupsids-everyone '^S-1-1-0 \\Everyone \(5\)|^S-1-1-0 Everyone \(5\)' "$out"
expect lookupsids-builtin '^S-1-5-32-544 BUILTIN\\Administrators \(4\)' "$out"
out=$(rpc lookupsids S-1-5-21-9-9-9-1000)
expect lookupsids-unknown 'NT_STATUS_NONE_MAPPED|\*unknown\*' "$out"
out=$(rpc getusername)
expect getusername "Account Name: $SMB_USER" "$out"
# rpcclient prints nothing for a successful NetWkstaGetInfo, and the error otherwise.
out=$(rpc wkssvc_wkstagetinfo)
[ -z "$out" ] || fail "wkssvc_wkstagetinfo: $out"
echo "PASS wkstagetinfo"
out=$(rpc netshareenum 2)
expect netshareenum-sticky 'netname: docs' "$out"
out=$(rpc netsharegetinfo docs 502)
expect netsharegetinfo-502 'netname: docs' "$out"
