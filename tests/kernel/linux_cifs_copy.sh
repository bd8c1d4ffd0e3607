#!/usr/bin/env bash
# Server-side copy from the Linux kernel client: inside a cifs mount, copy_file_range(2) of a
# 32 MiB file (what coreutils cp does), which cifs.ko sends as FSCTL_SRV_REQUEST_RESUME_KEY and
# FSCTL_SRV_COPYCHUNK_WRITE; the copy must read back identical after a remount. .ci/run runs it after linux_cifs.sh.
# To see that no READ or WRITE of the data crossed the wire, add
#   tshark -i smbi0 -f "tcp port \$SMB_PORT" -w /tmp/copy.pcapng &
# in front of the server command and count the commands (December 2026, with 64 MiB: 1 RESUME_KEY,
# 64 COPYCHUNK_WRITE, no READ or WRITE of either file). 32 MiB rather than 64: fewer long writes
# under the harness's known TCG network stall (see linux_cifs.sh).
# Usage: tests/kernel/linux_cifs_copy.sh [BUILD_DIR]
. "$(dirname "$0")/common.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# The guest has busybox only: a static copier goes in through the share itself.
gcc -O2 -static -o "$T/copy_file_range" tests/kernel/copy/copy_file_range.c || { echo "cannot build the copier"; exit 1; }
bash "$H/run.sh" --server-cmd "mkdir -p \"\$SMB_WORKDIR/share\" && cp $T/copy_file_range \"\$SMB_WORKDIR/share/\" && exec ./$BUILD/examples/smbsrv-share --listen \"\$SMB_ADDR:\$SMB_PORT\" --share \"share=\$SMB_WORKDIR/share\" --user alice:secret" \
  --user alice --password secret --vers 3.1.1 --mem 640 --timeout 300 --script tests/kernel/copy/guest.sh
