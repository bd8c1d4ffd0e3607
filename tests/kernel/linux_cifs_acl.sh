#!/usr/bin/env bash
# Security descriptors from the Linux kernel client: the system.cifs_acl xattr that getcifsacl
# and setcifsacl use (SMB2 QUERY_INFO / SET_INFO of the DACL) on a share with ":acls", read back
# after a remount. .ci/run runs it after linux_cifs_ea.sh.
# Usage: tests/kernel/linux_cifs_acl.sh [BUILD_DIR]
. "$(dirname "$0")/common.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# The guest has busybox only (no getcifsacl): the static xattr helper goes in through the share,
# with the descriptor to set (self-relative, DACL only: DENY FILE_WRITE_DATA to S-1-5-32-546, then
# ALLOW Everyone 0x001F01FF).
gcc -O2 -static -o "$T/xattr" tests/kernel/ea/xattr.c || { echo "cannot build the xattr helper"; exit 1; }
/usr/bin/python3 - "$T/sd.bin" <<'PY'
import struct, sys
deny = struct.pack('<BBHI', 1, 0, 24, 0x2) + bytes([1, 2, 0, 0, 0, 0, 0, 5]) + struct.pack('<II', 32, 546)
allow = struct.pack('<BBHI', 0, 0, 20, 0x001F01FF) + bytes([1, 1, 0, 0, 0, 0, 0, 1]) + struct.pack('<I', 0)
acl = struct.pack('<BBHHH', 2, 0, 8 + len(deny) + len(allow), 2, 0) + deny + allow
sd = struct.pack('<BBHIIII', 1, 0, 0x8004, 0, 0, 0, 20) + acl
open(sys.argv[1], 'wb').write(sd)
PY
bash "$H/run.sh" --server-cmd "mkdir -p \"\$SMB_WORKDIR/share\" && cp $T/xattr $T/sd.bin \"\$SMB_WORKDIR/share/\" && exec ./$BUILD/examples/smbsrv-share --listen \"\$SMB_ADDR:\$SMB_PORT\" --share \"share=\$SMB_WORKDIR/share:acls\" --user alice:secret" \
  --user alice --password secret --vers 3.1.1 --timeout 300 --script tests/kernel/acl/guest.sh
