#!/bin/sh
# Guest script: SMB3 multichannel from the Linux client. The mount (options multichannel,
# max_channels=2 from the host script) must end up with 2 channels; then data goes both ways and
# must read back whole: one 32 MiB file (written with one fsync, read back with the page cache
# dropped) and four 8 MiB files written and read in parallel. Then a 32 MiB copy inside the share
# goes on while the host destroys the second channel's TCP connection (drop.sh): half of the copy
# is written and synced, the host drops the channel, the other half goes through the same fd, and
# the copy must match. Each phase starts with the CREATE of a file mc/phase-*, so the host can
# split the packet capture into phases.
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
conns() { netstat -tn 2>/dev/null | awk -v p=":$SMB_PORT" '$6 == "ESTABLISHED" && substr($5, length($5) - length(p) + 1) == p {print $5}' | sort | tr '\n' ' '; }
show() {  # the channel and interface parts of DebugData, and the client's TCP connections
  sed -n '/Extra Channels:/,/^[[:space:]]*Shares:/p; /Server interfaces:/,/^[[:space:]]*MIDs:/p' /proc/fs/cifs/DebugData \
    | grep -v -e '^[[:space:]]*$' -e 'Shares:' -e 'MIDs:' | sed 's/^/#   /'
  echo "#   TCP to the server: $(conns)"
}
reconnects() { sed -n 's/^\([0-9]*\) session \([0-9]*\) share reconnects.*/\1/p' /proc/fs/cifs/Stats; }
phase() { touch "$D/phase-$1"; echo "# phase $1 at uptime $(uptime_s)"; }

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
rm -f /tmp/part? /tmp/sum?

# 5: a copy inside the share through one fd; the second channel is destroyed half-way
echo 3 > /proc/sys/vm/drop_caches
r0=$(reconnects)
phase 5-copy-drop
t=$(uptime_s)
exec 3>$D/copy
dd if=$D/big bs=1M count=16 2>/dev/null >&3
sync
check copy-first-half test "$(stat -c %s $D/copy)" = 16777216
touch $D/go-drop
i=0
while [ ! -e $D/dropped ] && [ $i -lt 150 ]; do sleep 0.2; i=$((i + 1)); done
check channel-dropped grep -q '^destroyed [1-9]' $D/dropped
echo "# drop.sh: $(cat $D/dropped 2>/dev/null)"
dd if=$D/big bs=1M skip=16 2>/dev/null >&3 && pass copy-second-half || fail copy-second-half "dd exit $?"
exec 3>&-
sync
echo "# copy done in $(elapsed $t) s"
echo 3 > /proc/sys/vm/drop_caches
expect_eq copy-size 33554432 "$(stat -c %s $D/copy)"
expect_eq copy-sha256 "$want" "$(sha256sum $D/copy | cut -d' ' -f1)"
echo "# channel reconnects: $(reconnects) (before the drop: $r0)"
if wait_channels 2 20; then pass two-channels-after-drop; else fail two-channels-after-drop "$(channels) channel(s)"; fi
show

phase 6-end
rm -rf $D
smb_umount
finish
