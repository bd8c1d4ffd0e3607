#!/usr/bin/env bash
# Host agent of the multichannel test, started by server.sh inside the harness's namespace (root,
# so ss sees and may destroy the namespace's sockets). The guest asks through files in the share's
# directory mc/: it creates mc/req-WHAT, the agent acts once and answers in mc/ack-WHAT (written
# whole, then renamed into place). The guest's waits are bounded; the agent's loop is bounded by
# the run (run.sh ends the server's process group).
#   req-stop-capture  SIGINT to tshark (its pid in $MC_OUT/tshark.pid), so that it flushes and
#                     closes the capture; wait (at most 20 s) for server.sh's $MC_OUT/tshark.done.
#                     The 256 MiB phase is kept out of the capture: about 1 GiB on the tap, and
#                     tshark's reassembly would need GBs of RAM. Answer: "stopped ..." or "FAILED ..."
#   req-snap-NAME     the server-side TCP connections' counters (ss -tni: bytes_received,
#                     bytes_acked) into $MC_OUT/tcp-NAME.txt. Answer: the connections.
#   req-drop          the counters into $MC_OUT/tcp-drop.txt, then every server-side TCP
#                     connection on MC_ADDR2 is destroyed (ss -K: the socket is aborted and the
#                     guest gets a RST). Answer: "destroyed N: CONNS| before: CONNS".
# $MC_OUT (a host directory that outlives the run) also gets agent.log, one line per request.
set -u
: "${SMB_WORKDIR:?}" "${SMB_PORT:?}" "${MC_OUT:?}" "${MC_ADDR2:?}"
D="$SMB_WORKDIR/share/mc"
log() { echo "[agent.sh] $*" >&2; echo "$(date +%T.%N | cut -c1-12) $*" >> "$MC_OUT/agent.log"; }
conns() { ss -Htn state established "( sport = :$SMB_PORT )" | awk '{print $3 "<-" $4}' | sort | tr '\n' ' '; }
snap() { ss -Htni state established "( sport = :$SMB_PORT )" > "$MC_OUT/tcp-$1.txt"; }
answer() { printf '%s\n' "$2" > "$D/ack-$1.tmp" && mv "$D/ack-$1.tmp" "$D/ack-$1"; log "$1: $2"; }

stop_capture() {
  local pid i
  pid=$(cat "$MC_OUT/tshark.pid" 2>/dev/null)
  [ -n "$pid" ] || { answer stop-capture "FAILED: no tshark pid"; return; }
  kill -INT "$pid" 2>/dev/null
  for i in $(seq 200); do [ -e "$MC_OUT/tshark.done" ] && break; sleep 0.1; done
  if [ -e "$MC_OUT/tshark.done" ]; then
    answer stop-capture "stopped after $(awk -v i="$i" 'BEGIN{printf "%.1f", (i-1)/10}') s: $(cat "$MC_OUT/tshark.done")"
  else
    kill -KILL "$pid" 2>/dev/null
    answer stop-capture "FAILED: tshark (pid $pid) still running 20 s after SIGINT; killed"
  fi
}

drop() {
  local before killed n
  snap drop
  before=$(conns)
  killed=$(ss -K -Htn state established "( sport = :$SMB_PORT and src $MC_ADDR2 )" | awk '{print $3 "<-" $4}' | tr '\n' ' ')
  n=$(echo "$killed" | wc -w)
  answer drop "destroyed $n: $killed| before: $before"
}

# Each request is handled once: the agent remembers it (the guest's final rm -rf of mc/ may take
# an ack away before its request, which must not look like a new request).
declare -A handled=()
while :; do
  for r in "$D"/req-*; do
    [ -e "$r" ] || continue
    what=${r##*/req-}
    [ -n "${handled[$what]:-}" ] && continue
    handled[$what]=1
    case $what in
      stop-capture) stop_capture ;;
      drop) drop ;;
      snap-*) snap "${what#snap-}"; answer "$what" "$(conns)" ;;
      *) answer "$what" "FAILED: unknown request" ;;
    esac
  done
  sleep 0.1
done
