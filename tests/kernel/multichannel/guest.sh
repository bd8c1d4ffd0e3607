#!/bin/sh
# Guest script: SMB3 multichannel from the Linux client. The mount (options multichannel,
# max_channels=2 from the host script) must end up with 2 channels; then data goes both ways and
# must read back whole: one 32 MiB file (written with one fsync, read back with the page cache
# dropped) and four 8 MiB files written and read in parallel. Each of these phases starts with the
# CREATE of a file mc/phase-*, so the host can split its packet capture into phases.
# Then the guest asks the host to stop the capture, and phase 5: a 256 MiB file of random data is
# written into the share, and copied inside the share through one fd while the host destroys the
# second channel's TCP connection: half of the copy is written and synced, the host drops the
# channel, the other half goes through the same fd, and the copy must match (size and sha256).
# The host agent (agent.sh) records the server-side TCP counters at the start of phase 5, at the
# drop, after the copy and at its end, so the host script can tell how much each connection carried.
# The guest talks to the agent through files: it creates mc/req-WHAT and waits (bounded) for
# mc/ack-WHAT. The host script runs the harness's default script right after this one in the same
# shell (it drops the final 'finish' below, so lib.sh's counts go on); its glue uses channels().
. /smbi/lib.sh
D=$MNT/mc
channels() {  # 1 + "Extra Channels: N" of the (only) session in DebugData
  _n=$(sed -n 's/^[[:space:]]*Extra Channels: \([0-9]*\).*/\1/p' /proc/fs/cifs/DebugData | head -n 1)
  echo $((1 + ${_n:-0}))
}
wait_channels() {  # wait_channels N SECONDS -> 0 once there are N channels
  # The 6.1 client opens the extra channel during the mount; it gives up at once (and says so in
  # dmesg) when the server lacks the MULTI_CHANNEL capability or lists no usable interface.
  _i=0
  while [ "$(channels)" -lt "$1" ] && [ $_i -lt $(($2 * 5)) ]; do
    dmesg | grep -q -e 'no multichannel support' -e 'multichannel not available' -e 'does not advertise interfaces' && break
    sleep 0.2; _i=$((_i + 1))
  done
  [ "$(channels)" -ge "$1" ]
}
conns() {  # the client's established connections to the server: "local-port->server-addr:port ..."
  netstat -tn 2>/dev/null | awk -v p=":$SMB_PORT" '$6 == "ESTABLISHED" && substr($5, length($5) - length(p) + 1) == p {
    sub(/.*:/, "", $4); print $4 "->" $5 }' | sort -t '>' -k 2 | tr '\n' ' '
}
show() {  # the channel and interface parts of DebugData, and the client's TCP connections
  sed -n '/Extra Channels:/,/^[[:space:]]*Shares:/p; /Server interfaces:/,/^[[:space:]]*MIDs:/p' /proc/fs/cifs/DebugData \
    | grep -v -e '^[[:space:]]*$' -e 'Shares:' -e 'MIDs:' | sed 's/^/#   /'
  echo "#   TCP to the server: $(conns)"
}
reconnects() { sed -n 's/^\([0-9]*\) session \([0-9]*\) share reconnects.*/\1/p' /proc/fs/cifs/Stats; }
phase() { touch "$D/phase-$1"; echo "# phase $1 at uptime $(uptime_s)"; }
ask() {  # ask WHAT SECONDS: create mc/req-WHAT, wait (bounded) for the agent's mc/ack-WHAT, print it
  touch "$D/req-$1"
  _i=0
  while [ ! -e "$D/ack-$1" ] && [ $_i -lt $(($2 * 5)) ]; do sleep 0.2; _i=$((_i + 1)); done
  cat "$D/ack-$1" 2>/dev/null
}

t0=$(uptime_s)
smb_mount || { fail mount "see dmesg"; finish; exit 1; }
echo "# mounted in $(elapsed $t0) s, $(channels) channel(s) right after the mount"
if wait_channels 2 20; then pass two-channels "after $(elapsed $t0) s"; else
  fail two-channels "$(channels) channel(s) $(elapsed $t0) s after the mount: $(dmesg | grep -i -e multichannel -e interfaces | tail -n 1)"; fi
show
n=$(conns | wc -w)
expect_eq tcp-connections 2 "$n"
mkdir -p $D

# 1, 2: one big file, one fsync; read back with the page cache dropped
dd if=/dev/urandom of=/tmp/big bs=1M count=32 2>/dev/null
want=$(sha256sum /tmp/big | cut -d' ' -f1)
phase 1-write
t=$(uptime_s)
check write-32MiB dd if=/tmp/big of=$D/big bs=1M conv=fsync
echo "# 32 MiB written in $(elapsed $t) s"
echo 3 > /proc/sys/vm/drop_caches
phase 2-read
t=$(uptime_s)
expect_eq read-32MiB-sha256 "$want" "$(sha256sum $D/big | cut -d' ' -f1)"
echo "# 32 MiB read in $(elapsed $t) s"

# 3, 4: four writers and four readers at once
for i in 0 1 2 3; do dd if=/tmp/big of=/tmp/part$i bs=1M skip=$((i * 8)) count=8 2>/dev/null; done
phase 3-parallel-write
t=$(uptime_s)
for i in 0 1 2 3; do dd if=/tmp/part$i of=$D/part$i bs=1M conv=fsync 2>/dev/null & done
wait
echo "# 4 x 8 MiB written in $(elapsed $t) s"
echo 3 > /proc/sys/vm/drop_caches
phase 4-parallel-read
t=$(uptime_s)
for i in 0 1 2 3; do sha256sum $D/part$i > /tmp/sum$i & done
wait
for i in 0 1 2 3; do
  expect_eq parallel-sha256-$i "$(sha256sum /tmp/part$i | cut -d' ' -f1)" "$(cut -d' ' -f1 /tmp/sum$i)"
done
echo "# 4 x 8 MiB read in $(elapsed $t) s"
rm -f /tmp/part? /tmp/sum? /tmp/big

# Stop the capture: phase 5 is about 1 GiB on the tap. The agent SIGINTs tshark and waits for it.
a=$(ask stop-capture 30)
echo "# capture: ${a:-no answer from the agent in 30 s}"
case $a in stopped*) pass capture-stopped;; *) fail capture-stopped "${a:-no answer from the agent in 30 s}";; esac

# 5: 256 MiB of random data written into the share (streamed: guest RAM is 640 MB), then copied
# inside the share through one fd; the second channel is destroyed half-way
copy_with_drop() {
  MB=256 HALF=128
  phase 5-copy-drop
  a=$(ask snap-start 30)
  echo "# TCP connections at the start: ${a:-no answer from the agent in 30 s}"
  r0=$(reconnects)
  t=$(uptime_s)
  # 32 MiB at a time through /tmp: into the file (fd 3, one open) and into sha256sum. Not
  # 'dd | tee file | sha256sum': busybox tee copies in small blocks, 3x slower under TCG.
  want=$(set -o pipefail
    { _c=0
      while [ $_c -lt $((MB / 32)) ]; do
        dd if=/dev/urandom of=/tmp/chunk bs=1M count=32 iflag=fullblock 2>/dev/null || exit 1
        dd if=/tmp/chunk bs=1M 2>/dev/null >&3 || exit 1
        dd if=/tmp/chunk bs=1M 2>/dev/null || exit 1
        _c=$((_c + 1))
      done; } 3>$D/big256 | sha256sum | cut -d' ' -f1)
  rc=$?
  rm -f /tmp/chunk
  echo "# $MB MiB written in $(elapsed $t) s"
  check write-${MB}MiB test $rc -eq 0 -a "$(stat -c %s $D/big256)" = $((MB << 20))
  sync
  echo 3 > /proc/sys/vm/drop_caches
  t=$(uptime_s)
  exec 3>$D/copy
  dd if=$D/big256 bs=1M count=$HALF iflag=fullblock 2>/dev/null >&3
  sync
  check copy-first-half test "$(stat -c %s $D/copy)" = $((HALF << 20))
  echo "# first half copied in $(elapsed $t) s"
  a=$(ask drop 30)
  echo "# drop: ${a:-no answer from the agent in 30 s}"
  case $a in "destroyed "[1-9]*) pass channel-dropped;; *) fail channel-dropped "${a:-no answer from the agent in 30 s}";; esac
  echo "# TCP to the server right after the drop: $(conns)"
  t2=$(uptime_s)
  dd if=$D/big256 bs=1M skip=$HALF iflag=fullblock 2>/dev/null >&3 && pass copy-second-half || fail copy-second-half "dd exit $?"
  exec 3>&-
  sync
  echo "# second half copied in $(elapsed $t2) s (whole copy $(elapsed $t) s)"
  echo "# TCP to the server after the copy: $(conns)(channel reconnects: $(reconnects))"
  a=$(ask snap-copied 30)
  echo 3 > /proc/sys/vm/drop_caches
  t=$(uptime_s)
  expect_eq copy-size $((MB << 20)) "$(stat -c %s $D/copy)"
  expect_eq copy-sha256 "$want" "$(sha256sum $D/copy | cut -d' ' -f1)"
  echo "# $MB MiB read back in $(elapsed $t) s"
  echo "# channel reconnects: $(reconnects) (before the drop: $r0)"
  if wait_channels 2 20; then pass two-channels-after-drop; else fail two-channels-after-drop "$(channels) channel(s)"; fi
  show
  a=$(ask snap-end 30)
  echo "# TCP connections at the end: ${a:-no answer from the agent in 30 s}"
}
# With the capture still running, phase 5 would fill the disk and tshark's memory: not run.
case $a in stopped*) copy_with_drop;; *) fail copy-with-drop "not run: the capture did not stop";; esac

phase 6-end
rm -rf $D
smb_umount
finish
