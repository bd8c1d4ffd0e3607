#!/usr/bin/env bash
# Installs dependencies (incl. smbclient, smbtorture, impacket), builds with -Werror, and runs
# every test: unit tests, the deterministic simulation, load tests and interop tests against real
# clients on 127.0.0.1.
#
#   scripts/test.sh [CTEST_ARGS...]             the normal build (build-test), every label
#   scripts/test.sh --sanitize [CTEST_ARGS...]  ASan+UBSan build (build-asan): the unit, sim,
#                                               interop and fuzz-replay labels; any sanitizer
#                                               report fails
#   scripts/test.sh --tsan [CTEST_ARGS...]      ThreadSanitizer build (build-tsan, clang 14): the
#                                               unit (engine race tests included), load and interop
#                                               labels; any TSan report fails
#
# Nothing is retried: a test that fails fails the run. A flaky test is a bug; while its fix is
# pending it may be quarantined, visibly and with its reason, in tests/quarantine.txt (printed
# at the start of every run and passed to ctest as -E).
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=normal
case "${1:-}" in
  --sanitize) MODE=asan; shift ;;
  --tsan) MODE=tsan; shift ;;
esac

# ---- quarantine: "NAME_REGEX | BUILDS | SINCE | REASON | FIX" lines (see the file's header) ----
QUARANTINE_FILE=tests/quarantine.txt
QUARANTINE=
trim() { local s=$1; s=${s#"${s%%[![:space:]]*}"}; printf '%s' "${s%"${s##*[![:space:]]}"}"; }
nq=0
while IFS= read -r line || [ -n "$line" ]; do
  [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
  IFS='|' read -r re builds since reason fix extra <<<"$line"
  re=$(trim "$re") builds=$(trim "${builds:-}") since=$(trim "${since:-}") reason=$(trim "${reason:-}")
  fix=$(trim "${fix:-}")
  if [ -z "$re" ] || [ -z "$builds" ] || ! [[ "$since" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] ||
     [ -z "$reason" ] || [ -z "$fix" ] || [ -n "${extra:-}" ]; then
    echo "$QUARANTINE_FILE: malformed line (need NAME_REGEX | BUILDS | YYYY-MM-DD | REASON | FIX):"
    echo "  $line"
    exit 1
  fi
  [[ ",$builds," == *,all,* || ",$builds," == *,"$MODE",* ]] || continue
  echo "QUARANTINED ($MODE build) $re -- since $since: $reason; fix: $fix"
  QUARANTINE+="${QUARANTINE:+|}($re)"
  nq=$((nq + 1))
done < "$QUARANTINE_FILE"
echo "quarantine: $nq test pattern(s) excluded from the $MODE run ($QUARANTINE_FILE)"
# The ctest arguments, with the quarantine merged into a -E/--exclude-regex given by the caller.
CTEST_ARGS=()
user_exclude=
while [ $# -gt 0 ]; do
  case "$1" in
    -E|--exclude-regex) user_exclude+="${user_exclude:+|}($2)"; shift 2 ;;
    --exclude-regex=*) user_exclude+="${user_exclude:+|}(${1#*=})"; shift ;;
    *) CTEST_ARGS+=("$1"); shift ;;
  esac
done
exclude=$QUARANTINE
[ -n "$user_exclude" ] && exclude+="${exclude:+|}$user_exclude"
[ -n "$exclude" ] && CTEST_ARGS=(-E "$exclude" "${CTEST_ARGS[@]}")

bash scripts/deps.sh --test
build_start=$(date +%s)
build_done() { echo "build ($MODE): $(( $(date +%s) - build_start )) s"; }

if [ "$MODE" = asan ]; then
  # -O1 -g1 rather than RelWithDebInfo's -O2 -g: ASan's usual optimisation level, with line tables
  # (all a report's stack needs); the build takes ~40% less CPU, the largest part of CI.
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSMBSRV_WERROR=ON \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
    -DSMBSRV_ENABLE_INTEROP_TESTS=ON -DSMBSRV_SANITIZE="address;undefined" >/dev/null
  cmake --build build-asan
  build_done
  # Stop at the first report (also in the example server the interop tests drive: their
  # common.sh fails on a report in its log or a non-zero exit).
  export ASAN_OPTIONS=halt_on_error=1:abort_on_error=0:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  cd build-asan && exec ctest -L 'unit|sim|interop|fuzz-replay' -LE consumer --output-on-failure -j2 "${CTEST_ARGS[@]}"
fi

if [ "$MODE" = tsan ]; then
  # clang 14 rather than GCC 12: GCC's -fsanitize=thread breaks -Werror (-Wtsan on Asio's
  # atomic_thread_fence, a bogus -Warray-bounds from tests/support), and GCC 12's libtsan is the
  # older runtime, which keeps less history to restore the earlier access's stack from. Neither
  # models fences; Asio's handlers are synchronised by its scheduler's mutex and epoll, not by them.
  TSAN_PKGS=(clang-14 libclang-rt-14-dev llvm-14)
  missing=()
  for p in "${TSAN_PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    SUDO=; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
  # The TSan runtime maps its shadow at fixed addresses; with more ASLR entropy than it knows
  # (vm.mmap_rnd_bits > 28 on some kernels) it dies with "unexpected memory mapping". Then run
  # without address randomisation (the build too: gtest_discover_tests runs the test binaries).
  NORAND=()
  if [ "$(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null || echo 28)" -gt 28 ]; then
    NORAND=(setarch "$(uname -m)" -R)
  fi
  cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSMBSRV_WERROR=ON \
    -DCMAKE_CXX_COMPILER=clang++-14 -DSMBSRV_ENABLE_INTEROP_TESTS=ON -DSMBSRV_SANITIZE=thread >/dev/null
  # Only what the TSan labels run. smbsrv_alloc_test cannot link here: it replaces operator new,
  # which clang's static TSan runtime defines too (ctest lists it as smbsrv_alloc_test_NOT_BUILT,
  # without a label, so -L leaves it out). The fuzz replays are single-threaded.
  "${NORAND[@]}" cmake --build build-tsan --target smbsrv_unit_tests smbsrv_load_tests smbsrv-share
  build_done
  # Stop at the first report, in the test binaries and in the example server the interop tests
  # drive (common.sh fails on a report in the server's log or on its non-zero exit).
  export TSAN_OPTIONS="halt_on_error=1:abort_on_error=0:second_deadlock_stack=1:exitcode=66:suppressions=$PWD/tests/tsan-suppressions.txt:external_symbolizer_path=/usr/lib/llvm-14/bin/llvm-symbolizer"
  cd build-tsan && exec "${NORAND[@]}" ctest -L 'unit|load|interop' --output-on-failure -j2 "${CTEST_ARGS[@]}"
fi

cmake -S . -B build-test -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSMBSRV_WERROR=ON \
  -DSMBSRV_ENABLE_INTEROP_TESTS=ON -DSMBSRV_BUILD_BENCH=ON >/dev/null
cmake --build build-test
build_done
cd build-test && exec ctest --output-on-failure -j2 "${CTEST_ARGS[@]}"
