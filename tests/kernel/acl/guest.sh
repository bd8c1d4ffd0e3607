#!/bin/sh
# Guest script: a file's security descriptor through the cifs client's system.cifs_acl xattr (what
# getcifsacl and setcifsacl use): read it, set a DACL with a DENY ACE, and read the DACL back
# after a remount, on a share that stores descriptors (":acls").
. /smbi/lib.sh
smb_mount || { fail mount "see dmesg"; finish; exit 1; }
X=$MNT/xattr
check xattr-present test -x $X
echo data > $MNT/f.txt
sd=$($X hex $MNT/f.txt system.cifs_acl)
# Revision 1, self-relative, a DACL present.
case "$sd" in 0100*) pass getcifsacl "${#sd} hex digits" ;; *) fail getcifsacl "[$sd]" ;; esac
check setcifsacl $X setfrom $MNT/f.txt system.cifs_acl $MNT/sd.bin
smb_umount
smb_mount
sd=$($X hex $MNT/f.txt system.cifs_acl)
# DENY (type 1) FILE_WRITE_DATA to BUILTIN\Guests (S-1-5-32-546), then ALLOW Everyone full access.
deny=010018000200000001020000000000052000000022020000
allow=00001400ff011f00010100000000000100000000
case "$sd" in *$deny$allow*) pass dacl-after-remount ;; *) fail dacl-after-remount "[$sd]" ;; esac
rm -f $MNT/f.txt
smb_umount
finish
