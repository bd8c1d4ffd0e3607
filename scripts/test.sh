#!/usr/bin/env bash
# Installs dependencies (incl. smbclient, smbtorture, impacket), builds with -Werror, and runs
# every test: unit tests, load tests and interop tests against real clients on 127.0.0.1.
#
#   scripts/test.sh [CTEST_ARGS...]             the normal build (build-test), every label
#   scripts/test.sh --sanitize [CTEST_ARGS...]  ASan+UBSan build (build-asan): the unit, interop
#                                               and fuzz-replay labels; any sanitizer report fails
#
# Nothing is retried: a test that fails fails the run. A flaky test is a bug; while its fix is
# pending it may be quarantined, visibly and with its reason, in tests/quarantine.txt (printed
# at the start of every run and passed to ctest as -E).
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=normal
case "${1:-}" in
  --sanitize) MODE=asan; shift ;;
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
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSMBSRV_WERROR=ON \
    -DSMBSRV_ENABLE_INTEROP_TESTS=ON -DSMBSRV_SANITIZE="address;undefined" >/dev/null
  cmake --build build-asan
  build_done
  # Stop at the first report (also in the example server the interop tests drive: their
  # common.sh fails on a report in its log or a non-zero exit).
  export ASAN_OPTIONS=halt_on_error=1:abort_on_error=0:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  cd build-asan && exec ctest -L 'unit|interop|fuzz-replay' -LE consumer --output-on-failure -j2 "${CTEST_ARGS[@]}"
fi

cmake -S . -B build-test -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSMBSRV_WERROR=ON \
  -DSMBSRV_ENABLE_INTEROP_TESTS=ON -DSMBSRV_BUILD_BENCH=ON >/dev/null
cmake --build build-test
build_done
cd build-test && exec ctest --output-on-failure -j2 "${CTEST_ARGS[@]}"
