#!/usr/bin/env bash
# Host side of the forced-reconnect test, started next to the server inside the harness's network
# namespace (as root, so ss -K may destroy sockets there). It talks to the guest through files in
# the share's directory (server side):
#   guest creates reconnect/drop-now   -> the server's TCP connections are destroyed (ss -K: the
#                                         socket is aborted and the guest gets a RST), then
#                                         reconnect/dropped is written
#   guest creates reconnect/verify-now -> sha256 of reconnect/data as the server's directory has
#                                         it goes to reconnect/server-sum
# Each wait is for a file, bounded by the guest's time limit (run.sh ends the process group).
D="$SMB_WORKDIR/share/reconnect"
wait_for() { while [ ! -e "$1" ]; do sleep 0.1; done; }
wait_for "$D/drop-now"
peers() { ss -Htn state established "( sport = :$SMB_PORT )" | awk '{print $4}' | sort | tr '\n' ' '; }
before=$(peers)
killed=$(ss -K -Htn state established "( sport = :$SMB_PORT )" | wc -l)
echo "[drop.sh] destroyed $killed connection(s) of the server (client ends: $before)" >&2
echo "destroyed $killed: $before" > "$D/dropped.tmp" && mv "$D/dropped.tmp" "$D/dropped"
wait_for "$D/verify-now"
sha256sum "$D/data" | cut -d' ' -f1 > "$D/server-sum.tmp" && mv "$D/server-sum.tmp" "$D/server-sum"
echo "[drop.sh] server-side sha256 written" >&2
