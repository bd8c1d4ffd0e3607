#!/usr/bin/env bash
# SMB3 multichannel from the Linux kernel client (6.1). The server gets a second address on the
# namespace's tap (MC_ADDR2 = 10.87.0.3 next to 10.87.0.1) and listens on both; the guest mounts
# 10.87.0.1 with multichannel,max_channels=2, must see 2 channels, moves data both ways, and a
# copy must survive the destruction of the second channel's TCP connection (guest side:
# multichannel/guest.sh; server side: multichannel/server.sh, drop.sh). A capture of the tap is
# then split by TCP connection: the READ and WRITE requests each carried, per guest phase, and the
# test fails unless data went over two connections to two different server addresses.
# Usage: tests/kernel/linux_cifs_multichannel.sh [BUILD_DIR] [--samba] [--vers V] [--keep-pcap]
#   default: ./BUILD_DIR/examples/smbsrv-share --multichannel on 0.0.0.0
#   --samba: Samba smbd, the reference (../shared/interop/linux-cifs/setup.sh --with-samba)
#   --vers:  3.1.1 (default), 3.0 or 3.02
#   --keep-pcap: keep the capture (its directory is printed) instead of removing it
KIND=smbsrv VERS=3.1.1 KEEP=0 ARGS=()
while [ $# -gt 0 ]; do
  case $1 in
    --samba) KIND=samba; shift;;
    --vers) VERS=$2; shift 2;;
    --keep-pcap) KEEP=1; shift;;
    *) ARGS+=("$1"); shift;;
  esac
done
set -- "${ARGS[@]}"
. "$(dirname "$0")/common.sh"
command -v tshark >/dev/null || { echo "tshark missing (apt-get install tshark)"; exit 1; }
if [ $KIND = samba ]; then command -v smbd >/dev/null || { echo "smbd missing ($H/setup.sh --with-samba)"; exit 1; }; fi
MC_OUT=$(mktemp -d)
if [ $KEEP = 1 ]; then trap 'echo "capture kept: $MC_OUT/mc.pcapng"' EXIT; else trap 'rm -rf "$MC_OUT"' EXIT; fi
export MC_OUT MC_ADDR2=10.87.0.3
bash "$H/run.sh" --server-cmd "exec bash tests/kernel/multichannel/server.sh $KIND $BUILD" \
  --user alice --password secret --vers "$VERS" --mount-opts multichannel,max_channels=2 \
  --mem 640 --timeout 300 --script tests/kernel/multichannel/guest.sh
rc=$?

# ---- the capture: per phase and TCP connection, the SMB2 READ and WRITE requests
P=$MC_OUT/mc.pcapng
[ -s "$P" ] || { echo "FAIL pcap: no capture in $P"; exit 1; }
# One line per frame: stream, server address, commands, response flags, names (a frame may hold
# several PDUs: the fields are ';'-separated lists). A CREATE of mc/phase-X starts phase X (only
# its first CREATE: the cleanup opens the markers again).
tshark -r "$P" -Y 'smb2' -T fields -E occurrence=a -E aggregator=';' \
  -e tcp.stream -e ip.src -e ip.dst -e smb2.cmd -e smb2.flags.response -e smb2.filename 2>/dev/null \
| awk -F'\t' '
  BEGIN { phase = "0-mount" }
  {
    srv = ($2 ~ /^10\.87\.0\.2$/) ? $3 : $2
    key = $1 " " srv
    if (!(key in seen)) { seen[key] = 1; order[++nk] = key }
    n = split($4, cmd, ";"); split($5, rsp, ";"); split($6, name, ";")
    for (i = 1; i <= n; i++) {
      if (rsp[i] != "0") continue
      if (cmd[i] == 5 && match(name[i], /phase-[0-9a-z-]+/)) {
        p = substr(name[i], RSTART + 6, RLENGTH - 6)
        if (!(p in phases)) { phases[p] = 1; plist[++np] = p; phase = p }
      }
      if (cmd[i] == 8) { rd[phase, key]++; trd[key]++ }
      if (cmd[i] == 9) { wr[phase, key]++; twr[key]++ }
    }
  }
  END {
    printf "%-20s %-24s %6s %6s\n", "phase", "stream (server addr)", "WRITE", "READ"
    plist[0] = "0-mount"
    for (j = 0; j <= np; j++)
      for (k = 1; k <= nk; k++)
        if ((plist[j], order[k]) in rd || (plist[j], order[k]) in wr) {
          split(order[k], s, " ")
          printf "%-20s %-24s %6d %6d\n", plist[j], "tcp " s[1] " (" s[2] ")", wr[plist[j], order[k]], rd[plist[j], order[k]]
        }
    for (k = 1; k <= nk; k++) {
      split(order[k], s, " ")
      printf "%-20s %-24s %6d %6d\n", "total", "tcp " s[1] " (" s[2] ")", twr[order[k]], trd[order[k]]
      if (twr[order[k]] + trd[order[k]] > 0) { streams++; addr[s[2]] = 1 }
    }
    for (a in addr) naddr++
    printf "SUMMARY streams-with-data=%d addresses-with-data=%d\n", streams, naddr
  }' > "$MC_OUT/counts.txt"
cat "$MC_OUT/counts.txt"
echo "TCP resets per stream (tcp.stream: frames with RST):"
tshark -r "$P" -Y 'tcp.flags.reset == 1' -T fields -e tcp.stream -e ip.src -e ip.dst 2>/dev/null | sort | uniq -c | sed 's/^/  /'
s=$(sed -n 's/^SUMMARY streams-with-data=\([0-9]*\) addresses-with-data=\([0-9]*\)$/\1 \2/p' "$MC_OUT/counts.txt")
set -- $s
if [ "${1:-0}" -ge 2 ] && [ "${2:-0}" -ge 2 ]; then
  echo "PASS data-on-two-channels ($1 TCP connections, $2 server addresses carried READ/WRITE)"
else
  echo "FAIL data-on-two-channels: READ/WRITE went over ${1:-0} TCP connection(s) to ${2:-0} server address(es)"
  rc=1
fi
exit $rc
