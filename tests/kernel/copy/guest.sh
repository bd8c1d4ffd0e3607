#!/bin/sh
# Guest script: copy_file_range(2) of a 32 MiB file inside the mount (the kernel sends it as
# server-side copy), then a remount and the copy's hash compared with the original's.
. /smbi/lib.sh
smb_mount || { fail mount "see dmesg"; finish; exit 1; }
check copier-present test -x $MNT/copy_file_range
dd if=/dev/urandom of=/tmp/big.bin bs=1M count=32 2>/dev/null
check put-big sh -c "cat /tmp/big.bin > $MNT/big.bin && sync"
check copy_file_range $MNT/copy_file_range $MNT/big.bin $MNT/big.copy
smb_umount
smb_mount
expect_eq copy-sha256 "$(sha256sum /tmp/big.bin | cut -d' ' -f1)" "$(sha256sum $MNT/big.copy | cut -d' ' -f1)"
rm -f $MNT/big.bin $MNT/big.copy $MNT/copy_file_range
smb_umount
finish
