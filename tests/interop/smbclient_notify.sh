#!/usr/bin/env bash
# smbclient's notify: one smbclient watches a directory (CHANGE_NOTIFY, WATCH_TREE, all changes)
# while another creates files in it; the watcher must print a change for a file the other
# client created. The watcher arms its handle at a moment this script cannot see, so the
# creator keeps adding files (f1, f2, ...) until the watcher reports one of them, within a
# generous bound: the outcome does not depend on how fast either side is. At one dialect.
# Usage: smbclient_notify.sh SERVER_BIN DIALECT
command -v smbclient >/dev/null || { echo "smbclient missing"; exit 77; }
. "$(dirname "$0")/common.sh"
BIN=$1 DIALECT=$2
start_server "$BIN"
SMB=(smbclient -s "$WORK/client.conf" "//127.0.0.1/share" -p "$PORT" -U "$SMB_USER%$SMB_PASS"
     --option="client min protocol=$DIALECT" --option="client max protocol=$DIALECT")
mkdir "$SHARE_DIR/watched"
: > "$WORK/empty"
# The watcher prints one line per change ("<action> <name>"); stdbuf makes each line reach the
# file as it is printed.
stdbuf -oL "${SMB[@]}" -c "notify watched" > "$WORK/notify.out" 2>&1 &
WATCHER=$!
stop_watcher() { kill "$WATCHER" 2>/dev/null; wait "$WATCHER" 2>/dev/null; }
seen=
for i in $(seq 1 300); do
  kill -0 "$WATCHER" 2>/dev/null || { cat "$WORK/notify.out"; fail "the watcher exited"; }
  (cd "$WORK" && "${SMB[@]}" -c "put empty watched\\f$i" > "$WORK/put.out" 2>&1) || { cat "$WORK/put.out"; stop_watcher; fail "put f$i failed"; }
  seen=$(grep -oE 'f[0-9]+' "$WORK/notify.out" | head -n1)
  [ -n "$seen" ] && break
done
stop_watcher
[ -n "$seen" ] || { cat "$WORK/notify.out"; fail "the watcher reported none of $i created files"; }
# The first change it reports names a file the other client created, as added (action 1).
grep -qE "^0*1 +(watched\\\\)?$seen\$" "$WORK/notify.out" || { cat "$WORK/notify.out"; fail "unexpected report"; }
echo "PASS smbclient notify $DIALECT (saw $seen)"
