// Byte-range locks (MS-FSA 2.1.5.7 LockControl, 2.1.5.8 UnlockRange). Locks that wait
// (non-FAIL_IMMEDIATELY requests) are not implemented yet: a conflict fails at once, which is
// what a FAIL_IMMEDIATELY request gets.
#include <algorithm>

#include "ntcore/nt_core.hpp"
#include "ntcore/nt_internal.hpp"

namespace smbsrv::nt {
namespace {

/// Whether two ranges share a byte; a zero-length range overlaps nothing. A range may run to the
/// end of the 64-bit space (its last byte is then clamped to 2^64 - 1).
bool overlaps(std::uint64_t a_off, std::uint64_t a_len, std::uint64_t b_off, std::uint64_t b_len) {
  if (a_len == 0 || b_len == 0) return false;
  const std::uint64_t a_last = a_off + std::min(a_len - 1, ~a_off);
  const std::uint64_t b_last = b_off + std::min(b_len - 1, ~b_off);
  return a_off <= b_last && b_off <= a_last;
}

bool conflict(const ByteRangeLock& held, const NtCore::LockRange& want) {
  if (!overlaps(held.offset, held.length, want.offset, want.length)) return false;
  return want.exclusive || held.exclusive;  // shared locks coexist
}

}  // namespace

Result<void> NtCore::lock(const OpenRef& open, std::span<const LockRange> ranges) {
  std::lock_guard lk(mu_);
  if (open->closed) return NtStatus::file_closed;
  File& f = *open->file;
  std::vector<ByteRangeLock> added;
  for (const auto& r : ranges) {
    const auto hit = [&](const ByteRangeLock& l) { return conflict(l, r); };
    if (std::any_of(f.locks.begin(), f.locks.end(), hit) || std::any_of(added.begin(), added.end(), hit))
      return NtStatus::lock_not_granted;
    added.push_back({open.get(), r.offset, r.length, r.exclusive});
  }
  f.locks.insert(f.locks.end(), added.begin(), added.end());
  return {};
}

Result<void> NtCore::unlock(const OpenRef& open, std::span<const LockRange> ranges) {
  std::lock_guard lk(mu_);
  if (open->closed) return NtStatus::file_closed;
  File& f = *open->file;
  for (const auto& r : ranges) {
    auto it = std::find_if(f.locks.begin(), f.locks.end(), [&](const ByteRangeLock& l) {
      return l.open == open.get() && l.offset == r.offset && l.length == r.length;
    });
    if (it == f.locks.end()) return NtStatus::range_not_locked;
    f.locks.erase(it);
  }
  return {};
}

}  // namespace smbsrv::nt
