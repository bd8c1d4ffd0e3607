#!/usr/bin/env bash
# Server side of the multichannel test, run by run.sh --server-cmd inside the harness's network
# namespace (as root, cwd = project root). It gives the namespace's tap a second address
# (MC_ADDR2, same /24 as SMB_ADDR), starts a capture of the SMB port on the tap into
# $MC_OUT/mc.pcapng (MC_OUT is a host directory that outlives the run), starts the host agent
# agent.sh (it stops the capture, records TCP counters and drops the second channel when the guest
# asks), and then runs the server so that it listens on both addresses:
#   server.sh samba            Samba smbd (../shared/interop/linux-cifs/examples/samba-server.sh)
#                              with both addresses in 'interfaces' and a link speed on each:
#                              Samba leaves an interface whose speed it cannot read (a tap
#                              reports none) out of FSCTL_QUERY_NETWORK_INTERFACE_INFO.
#   server.sh smbsrv BUILD     ./BUILD/examples/smbsrv-share on 0.0.0.0 with --multichannel
set -u
: "${SMB_WORKDIR:?run me from run.sh --server-cmd}" "${SMB_PORT:?}" "${MC_OUT:?}" "${MC_ADDR2:?}"
KIND=${1:?samba|smbsrv} BUILD=${2:-build-test}
H=../shared/interop/linux-cifs
ip addr add "$MC_ADDR2/24" dev smbi0 || { echo "[server.sh] cannot add $MC_ADDR2 to smbi0" >&2; exit 1; }
# The whole packets (the SMB2 headers of 4 MiB WRITEs are found by TCP reassembly), a larger
# kernel buffer so a burst on the tap is not dropped. The agent stops it (SIGINT: it closes the
# file properly) when the guest asks, before the 256 MiB phase; the subshell reaps it and says so
# in tshark.done. Otherwise run.sh's SIGTERM of the group stops it.
( tshark -i smbi0 -f "tcp port $SMB_PORT" -B 64 -q -w "$MC_OUT/mc.pcapng" &
  echo $! > "$MC_OUT/tshark.pid"; wait $!; echo "tshark exit $?" > "$MC_OUT/tshark.done" ) &
for i in $(seq 100); do [ -s "$MC_OUT/mc.pcapng" ] && break; sleep 0.1; done
[ -s "$MC_OUT/mc.pcapng" ] || echo "[server.sh] warning: tshark has not started writing" >&2
bash tests/kernel/multichannel/agent.sh &
case $KIND in
  samba)
    exec bash "$H/examples/samba-server.sh" \
      --conf "interfaces = \"$SMB_ADDR;speed=1000000000\" \"$MC_ADDR2;speed=1000000000\"" \
      --conf "server multi channel support = yes" ;;
  smbsrv)
    mkdir -p "$SMB_WORKDIR/share"
    exec "./$BUILD/examples/smbsrv-share" --listen "0.0.0.0:$SMB_PORT" --share "share=$SMB_WORKDIR/share" \
      --user alice:secret --multichannel ;;
  *) echo "[server.sh] unknown server $KIND" >&2; exit 2 ;;
esac
