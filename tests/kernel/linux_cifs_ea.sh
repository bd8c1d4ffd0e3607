#!/usr/bin/env bash
# Extended attributes from the Linux kernel client: setxattr/getxattr/listxattr/removexattr of
# "user." names on a cifs mount (SMB2 SET_INFO / QUERY_INFO FileFullEaInformation), read back
# after a remount. .ci/run runs it after linux_cifs.sh.
# Usage: tests/kernel/linux_cifs_ea.sh [BUILD_DIR]
. "$(dirname "$0")/common.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# The guest has busybox only (no getfattr/setfattr): a static helper goes in through the share.
gcc -O2 -static -o "$T/xattr" tests/kernel/ea/xattr.c || { echo "cannot build the xattr helper"; exit 1; }
bash "$H/run.sh" --server-cmd "mkdir -p \"\$SMB_WORKDIR/share\" && cp $T/xattr \"\$SMB_WORKDIR/share/\" && exec ./$BUILD/examples/smbsrv-share --listen \"\$SMB_ADDR:\$SMB_PORT\" --share \"share=\$SMB_WORKDIR/share\" --user alice:secret" \
  --user alice --password secret --vers 3.1.1 --timeout 300 --script tests/kernel/ea/guest.sh
