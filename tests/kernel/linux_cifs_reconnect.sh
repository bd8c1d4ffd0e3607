#!/usr/bin/env bash
# The kernel client's forced reconnect: a file stays open for writing in the guest while the host
# destroys the server's TCP connection (ss -K inside the harness's namespace); the client
# reconnects, reopens the handle (without durable handles: a plain CREATE) and goes on writing
# through the same descriptor. The file's checksum must match through the mount and in the
# server's directory. Guest side: tests/kernel/reconnect/guest.sh; host side: reconnect/drop.sh.
# .ci/run runs it after linux_cifs.sh.
# Usage: tests/kernel/linux_cifs_reconnect.sh [BUILD_DIR]
. "$(dirname "$0")/common.sh"
bash "$H/run.sh" --server-cmd "mkdir -p \"\$SMB_WORKDIR/share/reconnect\" && { bash tests/kernel/reconnect/drop.sh & } && exec ./$BUILD/examples/smbsrv-share --listen \"\$SMB_ADDR:\$SMB_PORT\" --share \"share=\$SMB_WORKDIR/share\" --user alice:secret --log-level debug" \
  --user alice --password secret --vers 3.1.1 --timeout 300 --script tests/kernel/reconnect/guest.sh
