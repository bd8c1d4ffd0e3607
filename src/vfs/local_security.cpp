// The "user.smbsrv.sd" xattr of LocalVfs (see local_security.hpp).
#include "vfs/local_security.hpp"

#include <sys/xattr.h>

#include <cerrno>

namespace smbsrv::detail {

Result<std::vector<std::uint8_t>> get_local_security(int fd) {
  // One call for the usual descriptor (a few ACEs: well under 1 KiB); every CREATE on an :acls
  // share reads it. A larger one is sized first.
  std::vector<std::uint8_t> buf(1024);
  if (const ssize_t n = ::fgetxattr(fd, kSecurityXattr, buf.data(), buf.size()); n >= 0) {
    buf.resize(static_cast<std::size_t>(n));
    return buf;
  }
  if (errno == ENODATA || errno == ENOTSUP) return std::vector<std::uint8_t>{};
  if (errno != ERANGE) return from_errno(errno);
  // The size may change between the two calls (another open setting it): ERANGE tries again.
  for (int attempt = 0; attempt < 4; ++attempt) {
    const ssize_t size = ::fgetxattr(fd, kSecurityXattr, nullptr, 0);
    if (size < 0) {
      if (errno == ENODATA || errno == ENOTSUP) return std::vector<std::uint8_t>{};
      return from_errno(errno);
    }
    buf.resize(static_cast<std::size_t>(size));
    const ssize_t n = ::fgetxattr(fd, kSecurityXattr, buf.data(), buf.size());
    if (n >= 0) {
      buf.resize(static_cast<std::size_t>(n));
      return buf;
    }
    if (errno == ENODATA) return std::vector<std::uint8_t>{};
    if (errno != ERANGE) return from_errno(errno);
  }
  return NtStatus::internal_error;
}

Result<void> set_local_security(int fd, std::span<const std::uint8_t> descriptor) {
  if (::fsetxattr(fd, kSecurityXattr, descriptor.data(), descriptor.size(), 0) == 0) return {};
  if (errno == ENOTSUP) return NtStatus::not_supported;
  if (errno == E2BIG || errno == ENOSPC || errno == ERANGE) return NtStatus::disk_full;
  return from_errno(errno);
}

}  // namespace smbsrv::detail
