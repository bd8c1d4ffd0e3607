#!/bin/sh
# Guest script: a file open for writing survives a dropped TCP connection. Half of 8 MiB of known
# data goes out through fd 3 and is synced; the host then destroys the server's connections
# (drop.sh); the client reconnects (a new session, PreviousSessionId = the old one) and reopens
# its handle; the second half goes through the same fd. The file must then read back whole,
# through the mount (page cache dropped) and in the server's directory (drop.sh's checksum).
. /smbi/lib.sh
smb_mount || { fail mount "see dmesg"; finish; exit 1; }
D=$MNT/reconnect
mkdir -p $D
dd if=/dev/urandom of=/tmp/data bs=1M count=8 2>/dev/null
dd if=/tmp/data of=/tmp/p1 bs=1M count=4 2>/dev/null
dd if=/tmp/data of=/tmp/p2 bs=1M skip=4 2>/dev/null
want=$(sha256sum /tmp/data | cut -d' ' -f1)
reconnects() { sed -n 's/^\([0-9]*\) session \([0-9]*\) share reconnects.*/\1/p' /proc/fs/cifs/Stats; }
r0=$(reconnects)
exec 3>$D/data
cat /tmp/p1 >&3
sync
check first-half-on-server test "$(stat -c %s $D/data)" = 4194304
touch $D/drop-now
# Each look at the directory goes to the server once the attribute cache expires (1 s); the
# first one after the drop meets the dead connection and the client reconnects.
i=0
while [ ! -e $D/dropped ] && [ $i -lt 300 ]; do sleep 0.2; i=$((i + 1)); done
check connection-dropped test -e $D/dropped
echo "# drop.sh: $(cat $D/dropped 2>/dev/null)"
r1=$(reconnects)
check client-reconnected test "${r1:-0}" -gt "${r0:-0}"
cat /tmp/p2 >&3 && pass write-after-reconnect || fail write-after-reconnect "write through fd 3: $?"
exec 3>&-
sync
echo 3 > /proc/sys/vm/drop_caches
expect_eq size-through-mount 8388608 "$(stat -c %s $D/data)"
expect_eq sha256-through-mount "$want" "$(sha256sum $D/data | cut -d' ' -f1)"
touch $D/verify-now
i=0
while [ ! -e $D/server-sum ] && [ $i -lt 300 ]; do sleep 0.2; i=$((i + 1)); done
expect_eq sha256-on-server "$want" "$(cat $D/server-sum 2>/dev/null)"
grep -i reconnect /proc/fs/cifs/Stats
rm -rf $D
smb_umount
finish
