#!/bin/sh
# Guest script: user xattrs on a cifs mount are SMB extended attributes (cifs.ko maps "user.x"
# to EA "x"): set two, list, read one back, remove one, and see them again after a remount.
. /smbi/lib.sh
smb_mount || { fail mount "see dmesg"; finish; exit 1; }
X=$MNT/xattr
check xattr-present test -x $X
echo data > $MNT/f.txt
check setfattr-color $X set $MNT/f.txt user.color blue
check setfattr-size $X set $MNT/f.txt user.size XL
expect_eq getfattr-color "blue" "$($X get $MNT/f.txt user.color)"
expect_eq listfattr "user.color user.size" "$($X list $MNT/f.txt | sort | tr '\n' ' ' | sed 's/ $//')"
check removefattr-size $X rm $MNT/f.txt user.size
mkdir $MNT/d
check setfattr-dir $X set $MNT/d user.dir yes
smb_umount
smb_mount
expect_eq after-remount "user.color" "$($X list $MNT/f.txt | tr '\n' ' ' | sed 's/ $//')"
expect_eq dir-after-remount "yes" "$($X get $MNT/d user.dir)"
rm -rf $MNT/f.txt $MNT/d $X
smb_umount
finish
