#!/usr/bin/env bash
# Runs a curated smbtorture list against the example server and compares with the reviewed
# known-failures file: an unexpected failure fails the test, and so does an unexpected pass
# (so the list is kept honest).
# Usage: smbtorture.sh SERVER_BIN KNOWN_FAILURES_FILE TEST...
#
# Each TEST is an smbtorture name without globs (a suite such as smb2.read, or one test such as
# smb2.create.open). smbtorture's subunit output names tests relative to their suite ("eof",
# "open"); they are reported and compared with their full name (smb2.read.eof, smb2.create.open).
# The known-failures file holds full names, one a line; '#' starts a comment line.
# A test that starts but never reports a verdict (smbtorture crashed or timed out) is an error.
# TEST@SHARE runs the test against another share of the server: `nostreams` (a share without
# named streams, for smb2.create_no_streams). smb2.acls.ACCESSBASED connects by itself to
# `hideunread`, a share with enforced descriptors and access-based enumeration;
# smb2.ioctl.bug14788 to `noperm`, named after the share of Samba's test environment whose
# directory has no permissions; the FSCTLs it sends there concern no file, so a plain share serves.
command -v smbtorture >/dev/null || { echo "smbtorture missing"; exit 77; }
. "$(dirname "$0")/common.sh"
BIN=$1 KNOWN=$2; shift 2
grep -vE '^[[:space:]]*(#|$)' "$KNOWN" | sed 's/[[:space:]]*$//' > "$WORK/known.txt"
mkdir -p "$WORK/nostreams" "$WORK/hideunread" "$WORK/noperm"
start_server "$BIN" --signing required --share "nostreams=$WORK/nostreams:nostreams" \
  --share "hideunread=$WORK/hideunread:acls:abe" --share "noperm=$WORK/noperm"
rc=0
npass=0 nknown=0 nfail=0
report() {  # verdict fullname
  local known=no
  grep -qxF "$2" "$WORK/known.txt" && known=yes
  case "$1" in
    success:) if [ $known = yes ]; then echo "UNEXPECTED PASS $2 (remove it from $(basename "$KNOWN"))"; rc=1; nfail=$((nfail+1))
              else echo "pass $2"; npass=$((npass+1)); fi ;;
    failure:|error:) if [ $known = yes ]; then echo "known failure $2"; nknown=$((nknown+1))
                     else echo "FAIL $2"; rc=1; nfail=$((nfail+1)); fi ;;
    skip:) echo "skip $2" ;;
  esac
}
slow=()
for spec in "$@"; do
  t=${spec%@*} share=share
  [ "$t" != "$spec" ] && share=${spec##*@}
  t0=$(date +%s)
  # acl_xattr_name: the EA smb2.ea.acl_xattr must find hidden and refused (the server's own
  # record, see smbtorture-tests.txt); other tests ignore it.
  timeout 300 smbtorture "//127.0.0.1/$share" -p "$PORT" -U "$SMB_USER%$SMB_PASS" -s "$WORK/client.conf" \
    --option=torture:acl_xattr_name=smbsrv.dos --format=subunit "$t" > "$WORK/torture.out" 2>&1
  cp "$WORK/torture.out" "$WORK/torture.$t.out"
  pending=
  while read -r verdict name; do
    name=${name% [}  # "failure: NAME [" (vfs.fruit's names have spaces)
    if [ "$name" = "${t##*.}" ]; then full=$t; else full=$t.$name; fi
    if [ "$verdict" = "test:" ]; then pending=$full; continue; fi
    pending=
    report "$verdict" "$full"
  done < <(grep -E '^(test|success|failure|error|skip): ' "$WORK/torture.out")
  [ -n "$pending" ] && report error: "$pending"
  secs=$(( $(date +%s) - t0 ))
  [ "$secs" -ge 10 ] && slow+=("$t ${secs}s")
done
echo "smbtorture: $npass passed, $nknown known failures, $nfail unexpected"
# What the run's time goes to (CI budget): invocations of 10 s or more.
[ ${#slow[@]} -gt 0 ] && printf 'slow: %s\n' "${slow[@]}"
if [ $rc != 0 ]; then
  for f in "$WORK"/torture.*.out; do
    grep -qE '^(failure|error): |PANIC' "$f" || continue
    echo "---- $f"; grep -vE '^(test|time|success|skip|progress|  )' "$f" | tail -n 30
  done
  server_log_tail
fi
exit $rc
