#!/usr/bin/env bash
# compare_samba.sh - end-to-end comparison of smbsrv (examples/smbsrv-share) with Samba's smbd.
#
# Both servers listen on 127.0.0.1 only and export the same directory (a fresh temp dir), and the
# same smbclient drives both. The two servers alternate run by run (run 1: smbsrv then Samba,
# run 2: Samba then smbsrv, ...). For each case the table shows the median and min-max wall time,
# MB/s where a payload size applies, the smbsrv/Samba ratio (time ratio for latency cases,
# throughput ratio for the rest: > 1 means smbsrv is faster), and each server's CPU time
# (utime+stime from /proc/<pid>/stat; smbd forks per connection, so its whole process tree
# counts, reaped children included through cutime+cstime) per GiB moved, or per run.
# It asserts nothing; it exits non-zero only when a server fails to start.
#
# Usage: bench/e2e/compare_samba.sh            (from the source tree, after building)
# Environment (defaults in brackets):
#   BENCH_BUILD     build directory holding examples/smbsrv-share   [<repo>/build]
#   BENCH_BASELINE_BUILD  another build directory (e.g. of the commit before a change): its
#                   smbsrv-share runs as a third server, "baseline", alternated with the other two,
#                   and the table gains a smbsrv/baseline column (before/after in one run)  []
#   BENCH_SMBSRV_ARGS  extra smbsrv-share options, e.g. "--workers 2"  []
#   BENCH_RUNS      runs per case and server                          [3]
#   BENCH_BIG_MB    size of the sequential read/write file in MiB     [1024]
#   BENCH_PAR_MB    size of the file read by each parallel client     [256]
#   BENCH_PAR       parallel client counts, space separated           ["8 32"]
#   BENCH_FILES     number of 4 KiB files created                     [2000]
#   BENCH_LIST      entries in the listed directory                   [10000]
#   BENCH_CONN      connections per connection-setup run              [50]
#   BENCH_CASES     regex selecting case names                        [all]
#   BENCH_PORT1 / BENCH_PORT2  smbsrv / smbd ports                    [14451 / 14452]
#   BENCH_KEEP=1    keep the temp dir (logs, configs)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BUILD=${BENCH_BUILD:-$REPO/build}
export BENCH_RUNS=${BENCH_RUNS:-3} BENCH_BIG_MB=${BENCH_BIG_MB:-1024} BENCH_PAR_MB=${BENCH_PAR_MB:-256}
export BENCH_PAR=${BENCH_PAR:-"8 32"} BENCH_FILES=${BENCH_FILES:-2000} BENCH_LIST=${BENCH_LIST:-10000}
export BENCH_CONN=${BENCH_CONN:-50} BENCH_CASES=${BENCH_CASES:-.}
PORT1=${BENCH_PORT1:-14451} PORT2=${BENCH_PORT2:-14452} PORT3=${BENCH_PORT3:-14453}
USER_NAME=bench PASS=Bench-Pass1

CMDLINE="$(for v in BENCH_RUNS BENCH_BIG_MB BENCH_PAR_MB BENCH_PAR BENCH_FILES BENCH_LIST BENCH_CONN BENCH_CASES; do
  printf "%s='%s' " "$v" "${!v}"; done)$0 $*"

SMBSRV=$BUILD/examples/smbsrv-share
if [ ! -x "$SMBSRV" ]; then
  echo "compare_samba.sh: $SMBSRV not found; build first (cmake -B build && cmake --build build)" >&2
  exit 2
fi
BASELINE=
if [ -n "${BENCH_BASELINE_BUILD:-}" ]; then
  BASELINE=$BENCH_BASELINE_BUILD/examples/smbsrv-share
  [ -x "$BASELINE" ] || { echo "compare_samba.sh: $BASELINE not found" >&2; exit 2; }
  CMDLINE="BENCH_BASELINE_BUILD='$BENCH_BASELINE_BUILD' $CMDLINE"
fi
if ! command -v smbd >/dev/null && [ ! -x /usr/sbin/smbd ]; then
  echo "compare_samba.sh: smbd missing: apt-get install samba" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y samba >/dev/null
fi
export PATH=$PATH:/usr/sbin
command -v smbclient >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y smbclient >/dev/null

TMP=$(mktemp -d /tmp/smbsrv-vs-samba.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
SHARE=$TMP/share TINY=$TMP/tiny SRC=$TMP/src
mkdir -p "$SHARE" "$TINY" "$SRC/files" "$TMP/samba"/{private,lock,state,cache,run/ncalrpc,log}
chmod 0777 "$SHARE" "$TINY"

# ---- test data (one share directory served by both servers) ----
echo "preparing data in $TMP ..."
head -c $((BENCH_BIG_MB << 20)) /dev/urandom >"$SHARE/big.dat"
cp "$SHARE/big.dat" "$SRC/big.dat"
head -c $((BENCH_PAR_MB << 20)) /dev/urandom >"$SHARE/par.dat"
python3 - "$SHARE/list" "$BENCH_LIST" "$SRC/files" "$BENCH_FILES" <<'EOF'
import os, sys
d, n, f, m = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
os.makedirs(d, exist_ok=True)
for i in range(n):
    open(os.path.join(d, "entry_%05d.txt" % i), "wb").close()
blob = os.urandom(4096)
for i in range(m):
    with open(os.path.join(f, "f%05d.bin" % i), "wb") as fh:
        fh.write(blob)
EOF
echo hello >"$TINY/hello.txt"
sync

# ---- smbsrv ----
"$SMBSRV" --listen 127.0.0.1:$PORT1 --share bench="$SHARE" --share tiny="$TINY" \
  --user $USER_NAME:$PASS --signing enabled --log-level warn ${BENCH_SMBSRV_ARGS:-} >"$TMP/smbsrv.log" 2>&1 &
OURS=$!
PIDS+=("$OURS")
BASE_PID=0
if [ -n "$BASELINE" ]; then
  "$BASELINE" --listen 127.0.0.1:$PORT3 --share bench="$SHARE" --share tiny="$TINY" \
    --user $USER_NAME:$PASS --signing enabled --log-level warn ${BENCH_SMBSRV_ARGS:-} >"$TMP/baseline.log" 2>&1 &
  BASE_PID=$!
  PIDS+=("$BASE_PID")
fi

# ---- Samba (private configuration, everything inside $TMP/samba) ----
S=$TMP/samba
echo "root = $USER_NAME" >"$S/usermap"
cat >"$S/smb.conf" <<EOF
[global]
  server role = standalone server
  workgroup = WORKGROUP
  netbios name = SMBBENCH
  interfaces = lo
  bind interfaces only = yes
  smb ports = $PORT2
  disable netbios = yes
  server min protocol = SMB2_02
  server max protocol = SMB3_11
  server signing = auto
  server smb encrypt = default
  passdb backend = tdbsam:$S/private/passdb.tdb
  private dir = $S/private
  lock directory = $S/lock
  state directory = $S/state
  cache directory = $S/cache
  pid directory = $S/run
  ncalrpc dir = $S/run/ncalrpc
  log file = $S/log/log.%m
  log level = 0
  username map = $S/usermap
  map to guest = Never
  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes
  kernel oplocks = no

[bench]
  path = $SHARE
  read only = no
  create mask = 0666
  directory mask = 0777

[tiny]
  path = $TINY
  read only = no
EOF
printf '%s\n%s\n' "$PASS" "$PASS" | smbpasswd -c "$S/smb.conf" -s -a root >/dev/null
# smbd signals its whole process group when it shuts down: give it a group of its own (job
# control makes the background job a process group leader), or it takes this script with it.
set -m
smbd --foreground --no-process-group --debug-stdout -s "$S/smb.conf" >"$S/log/smbd.out" 2>&1 &
SAMBA=$!
set +m
PIDS+=("$SAMBA")

wait_port() {  # port pid name
  for _ in $(seq 1 100); do
    if ! kill -0 "$2" 2>/dev/null; then echo "compare_samba.sh: $3 exited at start" >&2; return 1; fi
    if smbclient -L 127.0.0.1 -p "$1" -U "$USER_NAME%$PASS" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "compare_samba.sh: $3 does not answer on port $1" >&2
  return 1
}
if ! wait_port $PORT1 $OURS smbsrv; then tail -20 "$TMP/smbsrv.log" >&2; exit 1; fi
if ! wait_port $PORT2 $SAMBA smbd; then tail -20 "$S/log/smbd.out" >&2; exit 1; fi
if [ -n "$BASELINE" ] && ! wait_port $PORT3 $BASE_PID baseline; then tail -20 "$TMP/baseline.log" >&2; exit 1; fi
echo "smbsrv pid $OURS on 127.0.0.1:$PORT1, smbd pid $SAMBA on 127.0.0.1:$PORT2"
[ -n "$BASELINE" ] && echo "baseline ($BASELINE) pid $BASE_PID on 127.0.0.1:$PORT3"

# ---- the runs and the table (python3: timing, /proc accounting, statistics) ----
export TMP SHARE SRC PORT1 PORT2 PORT3 OURS SAMBA BASE_PID USER_NAME PASS CMDLINE
python3 - <<'EOF'
import os, re, statistics, subprocess, sys, time

E = os.environ
RUNS, BIG, PARMB = int(E["BENCH_RUNS"]), int(E["BENCH_BIG_MB"]), int(E["BENCH_PAR_MB"])
NFILES, NLIST, NCONN = int(E["BENCH_FILES"]), int(E["BENCH_LIST"]), int(E["BENCH_CONN"])
PARS = [int(x) for x in E["BENCH_PAR"].split()]
SEL = re.compile(E["BENCH_CASES"])
TMP, SRC = E["TMP"], E["SRC"]
SERVERS = {"smbsrv": (int(E["PORT1"]), int(E["OURS"])), "samba": (int(E["PORT2"]), int(E["SAMBA"]))}
if int(E["BASE_PID"]):
    SERVERS["baseline"] = (int(E["PORT3"]), int(E["BASE_PID"]))
HZ = os.sysconf("SC_CLK_TCK")
MiB = 1 << 20

def stat_fields(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return None
    rest = s[s.rindex(")") + 2:].split()  # fields from 3 (state) on
    return {"ppid": int(rest[1]), "ticks": sum(int(x) for x in rest[11:15])}  # utime stime cutime cstime

def tree(root):
    """root and every descendant, with their stat fields."""
    all_ = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            f = stat_fields(d)
            if f: all_[int(d)] = f
    out, todo = {}, [root]
    while todo:
        p = todo.pop()
        if p in all_ and p not in out:
            out[p] = all_[p]
            todo.extend(c for c, f in all_.items() if f["ppid"] == p)
    return out

BASE = {name: set(tree(pid)) for name, (_, pid) in SERVERS.items()}

def cpu_seconds(name):
    """CPU seconds of the server's process tree, after per-connection children have gone."""
    pid = SERVERS[name][1]
    deadline = time.time() + 5
    while True:
        t = tree(pid)
        if set(t) <= BASE[name] | {pid} or time.time() > deadline:
            return sum(f["ticks"] for f in t.values()) / HZ
        time.sleep(0.02)

def smbclient(name, share, cmds, extra=(), cwd=None):
    port = SERVERS[name][0]
    return ["smbclient", f"//127.0.0.1/{share}", "-p", str(port), "-U", f"{E['USER_NAME']}%{E['PASS']}",
            "-m", "SMB3", *extra, "-c", cmds]

PLAIN = ["--client-protection=off"]
GMAC = ["--client-protection=sign", "--option=client smb3 signing algorithms=AES-128-GMAC"]
CMAC = ["--client-protection=sign", "--option=client smb3 signing algorithms=AES-128-CMAC"]
GCM = ["--client-protection=encrypt", "--option=client smb3 encryption algorithms=AES-128-GCM"]

failures = []

def run_procs(argvs, name, label):
    """Starts the commands together, waits for all. Returns (wall seconds, smbclient's own
    transfer rate in MB/s averaged over the processes or None), or None on failure."""
    outs = [open(os.path.join(TMP, f"out.{i}"), "w+b") for i in range(len(argvs))]
    errs = [open(os.path.join(TMP, f"err.{i}"), "w+b") for i in range(len(argvs))]
    t0 = time.perf_counter()
    ps = [subprocess.Popen(a, stdin=subprocess.DEVNULL, stdout=o, stderr=e) for a, o, e in zip(argvs, outs, errs)]
    rcs = [p.wait() for p in ps]
    wall = time.perf_counter() - t0
    texts = []
    for o, e in zip(outs, errs):
        o.seek(0); e.seek(0)
        texts.append((o.read() + e.read()).decode(errors="replace"))
        o.close(); e.close()
    bad = [t for rc, t in zip(rcs, texts) if rc != 0]
    if bad:
        failures.append(f"{label} [{name}]: {len(bad)} of {len(ps)} smbclient failed: {bad[0].strip()[-300:]}")
        return None
    # get/put print "(N KiloBytes/sec) (average N KiloBytes/sec)"; keep the last average.
    rates = []
    for t in texts:
        m = re.findall(r"average ([0-9.]+) (?:[Kk]ilo[Bb]ytes/sec|kb/s)", t)
        if m: rates.append(float(m[-1]) * 1024 / MiB)
    return wall, (statistics.mean(rates) if len(rates) == len(texts) else None)

# Each case: (name, bytes moved per run or 0, function(server, run) -> list of argv lists).
cases = []
big = BIG * MiB
for mode, opt in (("plain", PLAIN), ("sign-gmac", GMAC), ("sign-cmac", CMAC), ("enc-gcm", GCM)):
    cases.append((f"read {BIG}MiB {mode}", big,
                  lambda s, r, opt=opt: [smbclient(s, "bench", "get big.dat /dev/null", opt)]))
    cases.append((f"write {BIG}MiB {mode}", big,
                  lambda s, r, opt=opt: [smbclient(s, "bench", f"put {SRC}/big.dat w_{s}.dat", opt)]))
cases.append((f"create {NFILES}x4KiB", NFILES * 4096,
              lambda s, r: [smbclient(s, "bench", f"mkdir c_{s}_{r}; cd c_{s}_{r}; lcd {SRC}/files; prompt off; mput *",
                                      PLAIN)]))
cases.append((f"list {NLIST} entries", 0, lambda s, r: [smbclient(s, "bench", "ls list\\*", PLAIN)]))
cases.append((f"connect x{NCONN}", 0,
              lambda s, r: [smbclient(s, "tiny", "ls", PLAIN)]))  # repeated NCONN times below
for n in PARS:
    cases.append((f"{n} clients x read {PARMB}MiB", n * PARMB * MiB,
                  lambda s, r, n=n: [smbclient(s, "bench", "get par.dat /dev/null", PLAIN)] * n))

results = {}  # (case, server) -> list of (wall, cpu)
order = list(SERVERS)
for name, nbytes, make in cases:
    if not SEL.search(name):
        continue
    for r in range(RUNS):
        # Alternate the order run by run (with three servers: rotate, so each goes first in turn).
        for s in (order[r % len(order):] + order[:r % len(order)] if len(order) > 2
                  else (order if r % 2 == 0 else order[::-1])):
            c0 = cpu_seconds(s)
            rate = None
            if name.startswith("connect"):
                wall = 0.0
                for _ in range(NCONN):
                    w = run_procs(make(s, r), s, name)
                    if w is None:
                        wall = None
                        break
                    wall += w[0]
            else:
                w = run_procs(make(s, r), s, name)
                wall, rate = w if w else (None, None)
            c1 = cpu_seconds(s)
            if wall is not None:
                results.setdefault((name, s), []).append((wall, c1 - c0, rate))
            print(f"  {name:32s} run {r + 1} {s:7s} "
                  + (f"{wall:8.3f} s  cpu {c1 - c0:6.2f} s" if wall is not None else "FAILED"),
                  file=sys.stderr, flush=True)
    for d in ("w_smbsrv.dat", "w_samba.dat", "w_baseline.dat"):
        try: os.unlink(os.path.join(E["SHARE"], d))
        except OSError: pass

def fmt_case(name, nbytes):
    rows = {}
    for s in SERVERS:
        v = results.get((name, s))
        if not v:
            rows[s] = None
            continue
        walls = sorted(w for w, _, _ in v)
        med = statistics.median(walls)
        cpu = statistics.median(c for _, c, _ in v)
        rates = [x for _, _, x in v if x is not None]
        rows[s] = (med, walls[0], walls[-1], cpu, statistics.median(rates) if rates else None)
    out = []
    for s in SERVERS:
        x = rows[s]
        if x is None:
            out.append(f"| {name} | {s} | failed | | | |")
            continue
        med, lo, hi, cpu, rate = x
        if name.startswith("create"):
            mbs = f"{NFILES / med:.0f} files/s"
        elif name.startswith("list"):
            mbs = f"{NLIST / med:.0f} entries/s"
        elif name.startswith("connect"):
            mbs = f"{med / NCONN * 1000:.0f} ms/conn"
        else:
            mbs = f"{nbytes / MiB / med:.0f}" + (f" ({rate:.0f})" if rate else "")
        cpu_s = f"{cpu / (nbytes / (1 << 30)):.2f} s/GiB" if nbytes >= (64 << 20) else f"{cpu:.2f} s/run"
        out.append(f"| {name} | {s} | {med:.3f} ({lo:.3f}-{hi:.3f}) | {mbs} | {cpu_s} |")
    if rows["smbsrv"] and rows["samba"]:
        ratio = rows["samba"][0] / rows["smbsrv"][0]
        cpu_ratio = (rows["smbsrv"][3] / rows["samba"][3]) if rows["samba"][3] > 0 else float("nan")
        out[0] += f" {ratio:.2f}x | {cpu_ratio:.2f} |"
    else:
        out[0] += " - | - |"
    for i in range(1, len(out)):
        out[i] += " | |"
    if "baseline" in SERVERS:
        if rows["smbsrv"] and rows["baseline"]:
            ratio = rows["baseline"][0] / rows["smbsrv"][0]
            cpu_ratio = (rows["smbsrv"][3] / rows["baseline"][3]) if rows["baseline"][3] > 0 else float("nan")
            out[0] += f" {ratio:.2f}x | {cpu_ratio:.2f} |"
        else:
            out[0] += " - | - |"
        for i in range(1, len(out)):
            out[i] += " | |"
    return out

print()
print(f"# smbsrv vs Samba {subprocess.run(['smbd', '--version'], capture_output=True, text=True).stdout.strip()}, "
      f"{time.strftime('%Y-%m-%d %H:%M %Z')}, {os.cpu_count()} CPUs, {RUNS} runs each")
print(f"# command: {E['CMDLINE']}")
print()
if "baseline" in SERVERS:
    print("| case | server | wall s median (min-max) | MB/s (smbclient) or rate | server CPU | smbsrv/Samba speed | smbsrv/Samba CPU | smbsrv/baseline speed | smbsrv/baseline CPU |")
    print("|---|---|---|---|---|---|---|---|---|")
else:
    print("| case | server | wall s median (min-max) | MB/s (smbclient) or rate | server CPU | smbsrv/Samba speed | smbsrv/Samba CPU |")
    print("|---|---|---|---|---|---|---|")
for name, nbytes, _ in cases:
    if SEL.search(name):
        for line in fmt_case(name, nbytes):
            print(line)
print()
print("MB/s = payload / wall time, which includes smbclient start-up, connection and authentication; "
      "in brackets the transfer rate smbclient itself reports (median).")
print("speed ratio = Samba wall / smbsrv wall (> 1: smbsrv faster); CPU ratio = smbsrv CPU / Samba CPU "
      "(< 1: smbsrv cheaper); CPU is per GiB for payload cases, per run otherwise.")
for f in failures:
    print("FAILED:", f)
EOF
exit 0
