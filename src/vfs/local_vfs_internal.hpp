// Test hooks of the local backend (not part of the public API).
#pragma once

#include <cstdint>

namespace smbsrv::detail {

/// Enables (the default) or disables the openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS) fast path,
/// so tests can exercise the plain openat(O_NOFOLLOW) walk that is used when openat2 is missing.
void local_vfs_use_openat2(bool enabled) noexcept;
/// Whether openat2 is currently enabled and not known to be unavailable.
bool local_vfs_openat2_active() noexcept;
/// Directory scans made so far by case-insensitive lookups that missed (the name index did not
/// answer), in this process.
std::uint64_t local_vfs_lookup_scans() noexcept;

}  // namespace smbsrv::detail
