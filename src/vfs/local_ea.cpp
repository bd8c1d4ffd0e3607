// Extended attributes of the local backend as "user." xattrs (see local_ea.hpp).
#include "vfs/local_ea.hpp"

#include <sys/xattr.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <optional>
#include <string>

#include "codec/ea.hpp"

namespace smbsrv::detail {
namespace {

constexpr std::string_view kUserPrefix = "user.";
constexpr std::size_t kMaxEaValue = 65535;  // EaValueLength is 16 bits (MS-FSCC 2.4.15)

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && codec::ea_name_equal(s.substr(0, prefix.size()), prefix);
}

NtStatus xattr_error(int err) {
  switch (err) {
    case E2BIG: case ENOSPC: case ERANGE: return NtStatus::ea_too_large;
    case ENOTSUP: return NtStatus::eas_not_supported;
    case EPERM: case EACCES: case EROFS: return NtStatus::access_denied;
    case EDQUOT: return NtStatus::disk_full;
    default: return from_errno(err);
  }
}

/// Sets (value) or removes (nullopt or empty) xattr `key`; removing an absent one succeeds.
Result<void> put_value(int fd, const std::string& key, const std::optional<std::vector<std::uint8_t>>& v) {
  if (v && !v->empty()) {
    if (::fsetxattr(fd, key.c_str(), v->data(), v->size(), 0) != 0) return xattr_error(errno);
  } else if (::fremovexattr(fd, key.c_str()) != 0 && errno != ENODATA) {
    return xattr_error(errno);
  }
  return {};
}

}  // namespace

Result<std::optional<std::vector<std::uint8_t>>> read_xattr(int fd, const std::string& key) {
  for (int attempt = 0; attempt < 4; ++attempt) {
    const ssize_t size = ::fgetxattr(fd, key.c_str(), nullptr, 0);
    if (size < 0) {
      if (errno == ENODATA) return std::optional<std::vector<std::uint8_t>>{};
      return xattr_error(errno);
    }
    std::vector<std::uint8_t> v(static_cast<std::size_t>(size));
    const ssize_t n = ::fgetxattr(fd, key.c_str(), v.data(), v.size());
    if (n >= 0) {
      v.resize(static_cast<std::size_t>(n));
      return std::optional<std::vector<std::uint8_t>>{std::move(v)};
    }
    if (errno == ENODATA) return std::optional<std::vector<std::uint8_t>>{};
    if (errno != ERANGE) return xattr_error(errno);  // ERANGE: it grew meanwhile, ask again
  }
  return NtStatus::internal_error;
}

Result<std::vector<char>> list_xattr_names(int fd) {
  std::vector<char> names;
  for (int attempt = 0;; ++attempt) {
    const ssize_t size = ::flistxattr(fd, nullptr, 0);
    if (size < 0) {
      if (errno == ENOTSUP) return std::vector<char>{};
      return xattr_error(errno);
    }
    names.resize(static_cast<std::size_t>(size));
    const ssize_t n = ::flistxattr(fd, names.data(), names.size());
    if (n >= 0) {
      names.resize(static_cast<std::size_t>(n));
      break;
    }
    if (errno != ERANGE || attempt == 3) return xattr_error(errno);
  }
  return names;
}

bool reserved_ea_name(std::string_view name) {
  return starts_with_nocase(name, "smbsrv.") || codec::ea_name_equal(name, "DOSATTRIB") ||
         starts_with_nocase(name, "DosStream.");
}

Result<std::vector<ExtendedAttribute>> list_local_eas(int fd) {
  auto listed = list_xattr_names(fd);
  if (!listed) return listed.status();
  const std::vector<char>& names = *listed;
  std::vector<ExtendedAttribute> out;
  for (std::size_t pos = 0; pos < names.size();) {
    const std::string key(names.data() + pos);  // NUL-terminated by flistxattr
    pos += key.size() + 1;
    if (!key.starts_with(kUserPrefix)) continue;
    std::string name = key.substr(kUserPrefix.size());
    if (!codec::valid_ea_name(name) || reserved_ea_name(name)) continue;
    auto v = read_xattr(fd, key);
    if (!v) return v.status();
    if (!*v || (*v)->empty() || (*v)->size() > kMaxEaValue) continue;  // gone meanwhile, or not an EA
    out.push_back({std::move(name), std::move(**v)});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

std::uint32_t local_ea_size_at(int dirfd, const char* name) {
  // Through /proc/self/fd (the l*xattr calls: a final symlink is never followed).
  char path[64 + 256];
  const int plen = std::snprintf(path, sizeof path, "/proc/self/fd/%d/%s", dirfd, name);
  if (plen < 0 || static_cast<std::size_t>(plen) >= sizeof path) return 0;
  char names[4096];
  ssize_t n = ::llistxattr(path, names, sizeof names);
  std::vector<char> big;
  if (n < 0 && errno == ERANGE) {  // many xattrs: ask for the size, then read them all
    const ssize_t want = ::llistxattr(path, nullptr, 0);
    if (want <= 0) return 0;
    big.resize(static_cast<std::size_t>(want));
    n = ::llistxattr(path, big.data(), big.size());
  }
  if (n <= 0) return 0;
  const char* list = big.empty() ? names : big.data();
  std::size_t total = 0;
  for (std::size_t pos = 0; pos < static_cast<std::size_t>(n);) {
    const std::string_view key(list + pos);  // NUL-terminated by llistxattr
    pos += key.size() + 1;
    if (!key.starts_with(kUserPrefix)) continue;
    const std::string_view ea = key.substr(kUserPrefix.size());
    if (!codec::valid_ea_name(ea) || reserved_ea_name(ea)) continue;  // as list_local_eas()
    const ssize_t len = ::lgetxattr(path, std::string(key).c_str(), nullptr, 0);
    if (len <= 0 || static_cast<std::size_t>(len) > kMaxEaValue) continue;
    total = codec::add_full_ea_entry(total, ea.size(), static_cast<std::size_t>(len));
  }
  return static_cast<std::uint32_t>(std::min<std::size_t>(total, UINT32_MAX));
}

Result<void> set_local_eas(int fd, std::span<const ExtendedAttribute> changes) {
  for (const auto& c : changes)
    if (!codec::valid_ea_name(c.name)) return NtStatus::invalid_ea_name;
  // The server's own xattrs: ACCESS_DENIED, as Samba answers for its NT ACL xattr (smbtorture
  // smb2.ea.acl_xattr expects exactly that).
  for (const auto& c : changes)
    if (reserved_ea_name(c.name)) return NtStatus::access_denied;
  // What each touched name held before, to put back when a change fails part way.
  std::vector<std::pair<std::string, std::optional<std::vector<std::uint8_t>>>> before;
  for (const auto& c : changes) {
    std::string key = std::string(kUserPrefix) + c.name;
    if (std::any_of(before.begin(), before.end(), [&](const auto& b) { return b.first == key; })) continue;
    auto v = read_xattr(fd, key);
    if (!v) return v.status();
    before.emplace_back(std::move(key), std::move(*v));
  }
  for (const auto& c : changes) {
    const std::string key = std::string(kUserPrefix) + c.name;
    if (auto r = put_value(fd, key, c.value); !r) {
      for (auto it = before.rbegin(); it != before.rend(); ++it) (void)put_value(fd, it->first, it->second);
      return r.status();
    }
  }
  return {};
}

}  // namespace smbsrv::detail
