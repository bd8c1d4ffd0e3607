# Sourced by tests/kernel/linux_cifs*.sh (with the caller's arguments: [BUILD_DIR]): goes to the
# project root, finds the linux-cifs harness in ../shared/interop (present on the project's
# machines, not in a user's clone: the test is then skipped), sets H and BUILD, and prepares
# the harness's cached kernel and initramfs.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[1]}")/../.."
H=../shared/interop/linux-cifs
[ -f "$H/run.sh" ] || { echo "no linux-cifs harness here; skipped"; exit 0; }
BUILD=${1:-build-test}
bash "$H/setup.sh" >/dev/null || { echo "linux-cifs setup failed"; exit 1; }
