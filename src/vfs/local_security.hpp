// Security descriptors of the local backend: one xattr per file or directory,
// "user.smbsrv.sd", holding the self-relative descriptor the server built (hidden from the EA
// list like every "smbsrv.*" name: local_ea.hpp reserved_ea_name). Internal to the local backend.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "smbsrv/vfs.hpp"

namespace smbsrv::detail {

inline constexpr const char* kSecurityXattr = "user.smbsrv.sd";

/// VfsFile::get_security() on `fd`: the stored bytes, empty when there are none (or the file
/// system has no user xattrs).
Result<std::vector<std::uint8_t>> get_local_security(int fd);
/// VfsFile::set_security() on `fd`. No user xattrs → not_supported; no room → disk_full.
Result<void> set_local_security(int fd, std::span<const std::uint8_t> descriptor);

}  // namespace smbsrv::detail
