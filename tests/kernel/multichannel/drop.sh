#!/usr/bin/env bash
# Host side of the channel drop, started by server.sh inside the harness's namespace (root, so
# ss -K may destroy sockets there). It talks to the guest through files in the share's directory:
#   guest creates mc/go-drop -> every server-side TCP connection on MC_ADDR2 is destroyed (ss -K:
#                               the socket is aborted and the guest gets a RST); the connections
#                               before and what was destroyed go to mc/dropped
# The wait is bounded by the run (run.sh ends the process group).
D="$SMB_WORKDIR/share/mc"
while [ ! -e "$D/go-drop" ]; do sleep 0.1; done
conns() { ss -Htn state established "( sport = :$SMB_PORT )" | awk '{print $3 "<-" $4}' | sort | tr '\n' ' '; }
before=$(conns)
killed=$(ss -K -Htn state established "( sport = :$SMB_PORT and src $MC_ADDR2 )" | awk '{print $3 "<-" $4}' | tr '\n' ' ')
n=$(echo "$killed" | wc -w)
echo "[drop.sh] destroyed $n connection(s) on $MC_ADDR2: $killed(all before: $before)" >&2
echo "destroyed $n: $killed| before: $before" > "$D/dropped.tmp" && mv "$D/dropped.tmp" "$D/dropped"
