#!/usr/bin/env bash
# SMB3 multichannel from the Linux kernel client (6.1). The server gets a second address on the
# namespace's tap (MC_ADDR2 = 10.87.0.3 next to 10.87.0.1) and listens on both; the guest mounts
# 10.87.0.1 with multichannel,max_channels=2, must see 2 channels, and moves data both ways
# (multichannel/guest.sh). Its last phase writes 256 MiB of random data into the share and copies
# it inside the share through one fd while the host destroys the second channel's TCP connection
# half-way; size and sha256 must match. Then, in the same VM, the harness's default file-operation
# script (default-test.sh, with --big-mb 16 --nfiles 500) runs on a mount with the same options.
# Server side: multichannel/server.sh (second address, capture, server) and agent.sh (acts when
# the guest asks: stops the capture, records TCP counters, drops the channel).
# What the peers show decides, besides the guest's own checks:
#  - a capture of the tap (phases 1-4; it is stopped before the 256 MiB phase) split by TCP
#    connection: the READ and WRITE requests each carried, per guest phase; it fails unless data
#    went over two connections to two different server addresses;
#  - the host kernel's TCP counters of the server's connections (ss -tni: bytes_received,
#    bytes_acked) at the start of the 256 MiB phase, at the drop and at its end: it fails unless,
#    before the drop, two connections to two different server addresses each moved >= 16 MiB.
#    Whether the client's re-bound channel carried data after the drop (during the copy's second
#    half, or only in the read-back: a fourth snapshot after the copy) is reported, not required.
# A run takes about 2 min under TCG on a 2-core machine (the guest's limit: --timeout below).
# Usage: tests/kernel/linux_cifs_multichannel.sh [BUILD_DIR] [--samba] [--vers V] [--keep-pcap]
#   default: ./BUILD_DIR/examples/smbsrv-share --multichannel on 0.0.0.0
#   --samba: Samba smbd, the reference (../shared/interop/linux-cifs/setup.sh --with-samba)
#   --vers:  3.1.1 (default), 3.0 or 3.02
#   --keep-pcap: keep the capture and the TCP counters (their directory is printed) instead of
#                removing them
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
T0=$(date +%s)
MC_OUT=$(mktemp -d)
if [ $KEEP = 1 ]; then trap 'echo "capture and TCP counters kept: $MC_OUT"' EXIT; else trap 'rm -rf "$MC_OUT"' EXIT; fi
export MC_OUT MC_ADDR2=10.87.0.3

# ---- one guest script (run.sh takes one): ours without its final 'finish', then the harness's
# default script without its '. /smbi/lib.sh' (already sourced), so lib.sh's counters run on and
# the default script's 'finish' gives the summary line and the exit status of both.
G=$MC_OUT/guest.sh
for f in "tests/kernel/multichannel/guest.sh:finish" "$H/guest/default-test.sh:. /smbi/lib.sh"; do
  [ "$(grep -cxF -- "${f#*:}" "${f%%:*}")" = 1 ] || { echo "FAIL combine: '${f#*:}' is not exactly once in ${f%%:*}"; exit 1; }
done
{
  grep -vxF finish tests/kernel/multichannel/guest.sh
  cat <<'GLUE'
# ---- added by linux_cifs_multichannel.sh: the harness's default script, same mount options
echo "# ---- default-test.sh on a mount with $SMB_MOUNT_OPTS, at uptime $(uptime_s)"
(  # report (not a check: the counts are the main shell's) the channels of its mount
  _j=0
  until grep -q " $MNT cifs " /proc/mounts && [ "$(channels)" -ge 2 ]; do
    [ $_j -ge 300 ] && break; sleep 0.2; _j=$((_j + 1))
  done
  echo "# default-test.sh's mount: $(channels) channel(s) at uptime $(uptime_s)"
) &
GLUE
  grep -vxF '. /smbi/lib.sh' "$H/guest/default-test.sh"
} > "$G"

# The guest's limit: its part takes 95-100 s under TCG on this 2-core machine with another job
# running; 240 s leaves room for a slower machine and still bounds a hang (watchdog dump at 220 s).
bash "$H/run.sh" --server-cmd "exec bash tests/kernel/multichannel/server.sh $KIND $BUILD" \
  --user alice --password secret --vers "$VERS" --mount-opts multichannel,max_channels=2 \
  --mem 640 --timeout 240 --big-mb 16 --nfiles 500 --script "$G"
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
echo "TCP resets per stream in the capture (phases 0-4; tcp.stream: frames with RST):"
tshark -r "$P" -Y 'tcp.flags.reset == 1' -T fields -e tcp.stream -e ip.src -e ip.dst 2>/dev/null | sort | uniq -c | sed 's/^/  /'
s=$(sed -n 's/^SUMMARY streams-with-data=\([0-9]*\) addresses-with-data=\([0-9]*\)$/\1 \2/p' "$MC_OUT/counts.txt")
set -- $s
if [ "${1:-0}" -ge 2 ] && [ "${2:-0}" -ge 2 ]; then
  echo "PASS data-on-two-channels ($1 TCP connections, $2 server addresses carried READ/WRITE)"
else
  echo "FAIL data-on-two-channels: READ/WRITE went over ${1:-0} TCP connection(s) to ${2:-0} server address(es)"
  rc=1
fi

# ---- the 256 MiB phase: the server's TCP counters (agent.sh: at its start, at the drop, after the
# copy, at its end)
# "server-addr:port<-client-addr:port bytes_received bytes_acked" per established connection
counters() {
  awk '$1 ~ /^[0-9]+$/ && NF >= 4 { k = $3 "<-" $4; next }
       k != "" { r = a = 0
                 for (i = 1; i <= NF; i++) {
                   if ($i ~ /^bytes_received:/) r = substr($i, 16)
                   if ($i ~ /^bytes_acked:/) a = substr($i, 13) }
                 print k, r, a; k = "" }' "$1"
}
missing=""
for s in start drop end; do [ -f "$MC_OUT/tcp-$s.txt" ] || missing="$missing $s"; done
if [ -n "$missing" ]; then
  echo "FAIL 256MiB-on-two-channels: agent.sh recorded no TCP counters at:$missing"
  rc=1
else
  { counters "$MC_OUT/tcp-start.txt" | sed 's/^/start /'
    counters "$MC_OUT/tcp-drop.txt" | sed 's/^/drop /'
    counters "$MC_OUT/tcp-end.txt" | sed 's/^/end /'
    [ -f "$MC_OUT/tcp-copied.txt" ] && counters "$MC_OUT/tcp-copied.txt" | sed 's/^/copied /'; } \
  | awk -v min=$((16 << 20)) -v a2="$MC_ADDR2" '
    function mib(x) { return sprintf("%.1f", x / 1048576) }
    { if ($1 != "copied" && !($2 in seen)) { seen[$2] = 1; order[++n] = $2 }
      rcv[$1, $2] = $3; ack[$1, $2] = $4; at[$1, $2] = 1 }
    END {
      print "TCP counters of the server'"'"'s connections in the 256 MiB phase (MiB; in = bytes_received,"
      print "out = bytes_acked; before = start to drop, after = drop to end; counted from 0 for a"
      print "connection that is not in the earlier snapshot):"
      printf "  %-34s %-10s %8s %8s   %8s %8s  %s\n", "connection (server<-client)", "server", "in", "out", "in", "out", ""
      printf "  %-34s %-10s %17s   %17s\n", "", "", "before the drop", "after the drop"
      for (i = 1; i <= n; i++) {
        k = order[i]; split(k, p, ":"); srv = p[1]; note = ""
        if (("drop", k) in at) {
          b_in = rcv["drop", k] - rcv["start", k]; b_out = ack["drop", k] - ack["start", k]
          bi = mib(b_in); bo = mib(b_out)
          if (b_in + b_out >= min) big[srv] = 1
          if (!(("start", k) in at)) note = note " new-before-drop"
        } else { bi = bo = "-"; if (("start", k) in at) note = note " closed-before-drop" }
        if (("end", k) in at) {
          a_in = rcv["end", k] - rcv["drop", k]; a_out = ack["end", k] - ack["drop", k]
          ai = mib(a_in); ao = mib(a_out)
          if (!(("drop", k) in at)) {
            note = note " new-after-drop"
            if (srv == a2) {
              rebound++; if (a_in + a_out >= 1048576) rebound_data++
              rb = rb "\n  " k ": " mib(a_in) " MiB in, " mib(a_out) " MiB out after the drop"
              if (("copied", k) in at)
                rb = rb "; of which by the end of the copy (before the read-back): " mib(rcv["copied", k]) " in, " mib(ack["copied", k]) " out"
              else rb = rb "; not yet connected at the end of the copy"
            }
          }
        } else { ai = ao = "-"; if (("drop", k) in at) note = note " gone-after-drop" }
        printf "  %-34s %-10s %8s %8s   %8s %8s %s\n", k, srv, bi, bo, ai, ao, note
      }
      for (s in big) nbig++
      printf "TCPSUMMARY addresses-with-16MiB-before-drop=%d rebound=%d rebound-with-data=%d\n", nbig, rebound, rebound_data
      if (rebound) print "re-bound channel(s) on " a2 " after the drop:" rb
      else print "no new connection to " a2 " after the drop (the client had not re-bound the channel by the end snapshot)"
    }' > "$MC_OUT/tcp.txt"
  cat "$MC_OUT/tcp.txt"
  nbig=$(sed -n 's/^TCPSUMMARY addresses-with-16MiB-before-drop=\([0-9]*\) .*/\1/p' "$MC_OUT/tcp.txt")
  rbd=$(sed -n 's/^TCPSUMMARY .* rebound-with-data=\([0-9]*\)$/\1/p' "$MC_OUT/tcp.txt")
  if [ "${nbig:-0}" -ge 2 ]; then
    echo "PASS 256MiB-on-two-channels (before the drop, connections to ${nbig} server addresses each moved >= 16 MiB)"
  else
    echo "FAIL 256MiB-on-two-channels: before the drop, connections to only ${nbig:-0} server address(es) moved >= 16 MiB"
    rc=1
  fi
  if [ "${rbd:-0}" -ge 1 ]; then echo "NOTE the re-bound channel carried data after the drop"
  else echo "NOTE the re-bound channel carried no data (>= 1 MiB) after the drop"; fi
fi
echo "wall time: $(( $(date +%s) - T0 )) s"
exit $rc
