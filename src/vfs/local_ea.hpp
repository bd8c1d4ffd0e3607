// Extended attributes of the local backend: EA "name" is the xattr "user.<name>", as Samba keeps
// them and as the Linux cifs client maps them (setfattr -n user.foo on a mount is SMB EA "foo").
// Internal to the local backend.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "smbsrv/vfs.hpp"

namespace smbsrv::detail {

/// Names the server keeps for itself under "user." and never shows or lets a client change: our
/// own records ("smbsrv.*": DOS attributes, the sparse flag), Samba's DOS attributes ("DOSATTRIB")
/// and Samba's named streams ("DosStream.*"). Compared case-insensitively (EA names are).
bool reserved_ea_name(std::string_view name);
/// The EAs of the open file or directory `fd`, sorted by name: every "user." xattr but the
/// reserved ones and those no EA can carry (an invalid EA name, an empty value or one over 65535
/// bytes). A file system without user xattrs has none.
Result<std::vector<ExtendedAttribute>> list_local_eas(int fd);
/// The EaSize of entry `name` of directory `dirfd` (FileInfo::ea_size): one listing of its
/// xattrs, and one size query per EA among them; 0 when it has none or cannot be read.
std::uint32_t local_ea_size_at(int dirfd, const char* name);
/// The value of xattr `key` of `fd`; nullopt when it does not exist.
Result<std::optional<std::vector<std::uint8_t>>> read_xattr(int fd, const std::string& key);
/// The names of every xattr of `fd`, each NUL-terminated, as flistxattr(2) gives them; none on a
/// file system without xattrs.
Result<std::vector<char>> list_xattr_names(int fd);
/// VfsFile::set_eas() on `fd`: a reserved name → access_denied before anything changes; a
/// failure part way restores the values the touched names had. E2BIG/ENOSPC/ERANGE (no room for
/// the value on this file system) → ea_too_large (MS-FSA 2.1.5.15.5), no user xattrs →
/// eas_not_supported.
Result<void> set_local_eas(int fd, std::span<const ExtendedAttribute> changes);

}  // namespace smbsrv::detail
