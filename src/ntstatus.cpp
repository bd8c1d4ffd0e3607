// NTSTATUS names and the errno → NTSTATUS mapping; also the Dialect spellings.
#include "smbsrv/ntstatus.hpp"

#include <cerrno>
#include <cstdio>

#include "smbsrv/server.hpp"

namespace smbsrv {

std::string_view to_string(NtStatus status) noexcept {
  switch (status) {
#define SMBSRV_NTSTATUS(name, value, text) \
  case NtStatus::name:                     \
    return text;
#include "smbsrv/ntstatus.def"
#undef SMBSRV_NTSTATUS
  }
  // Unknown value: format it into a per-thread buffer (valid until the next call on this thread).
  thread_local char buf[20];
  std::snprintf(buf, sizeof buf, "STATUS_0x%08X", static_cast<unsigned>(status));
  return buf;
}

NtStatus from_errno(int err) noexcept {
  switch (err) {
    case 0: return NtStatus::success;
    case ENOENT: return NtStatus::object_name_not_found;
    case EEXIST: return NtStatus::object_name_collision;
    case EACCES:
    case EPERM: return NtStatus::access_denied;
    case ENOTEMPTY: return NtStatus::directory_not_empty;
    case ENOTDIR: return NtStatus::object_path_not_found;  // a parent is not a directory
    case EISDIR: return NtStatus::file_is_a_directory;
    case ENOSPC:
    case EDQUOT: return NtStatus::disk_full;
    case EFBIG: return NtStatus::file_too_large;
    case EROFS: return NtStatus::media_write_protected;
    case ENAMETOOLONG: return NtStatus::object_name_invalid;
    case ELOOP: return NtStatus::access_denied;  // a symlink where none may be followed
    case EXDEV: return NtStatus::not_same_device;
    case EMLINK: return NtStatus::too_many_links;
    case EBUSY:
    case ETXTBSY: return NtStatus::sharing_violation;
    case EMFILE:
    case ENFILE: return NtStatus::too_many_opened_files;
    case ENOMEM: return NtStatus::no_memory;
    case EINVAL: return NtStatus::invalid_parameter;
    case EBADF: return NtStatus::invalid_handle;
    case ENOSYS:
    case EOPNOTSUPP: return NtStatus::not_supported;
    case EIO: return NtStatus::unsuccessful;
    default: return NtStatus::unsuccessful;
  }
}

NtStatus from_errc(std::error_code ec) noexcept {
  if (!ec) return NtStatus::success;
  if (ec.category() == std::generic_category() || ec.category() == std::system_category())
    return from_errno(ec.value());
  // Another category: compare against the portable conditions it may map to.
  const auto cond = ec.default_error_condition();
  if (cond.category() == std::generic_category()) return from_errno(cond.value());
  return NtStatus::unsuccessful;
}

std::string_view to_string(Dialect d) noexcept {
  switch (d) {
    case Dialect::smb2_0_2: return "2.0.2";
    case Dialect::smb2_1: return "2.1";
    case Dialect::smb3_0: return "3.0";
    case Dialect::smb3_0_2: return "3.0.2";
    case Dialect::smb3_1_1: return "3.1.1";
  }
  return "unknown";
}

std::optional<Dialect> parse_dialect(std::string_view text) noexcept {
  struct Form {
    std::string_view text;
    Dialect dialect;
  };
  static constexpr Form kForms[] = {
      {"2.0.2", Dialect::smb2_0_2}, {"2.02", Dialect::smb2_0_2}, {"SMB2_02", Dialect::smb2_0_2},
      {"2.1", Dialect::smb2_1},     {"2.10", Dialect::smb2_1},   {"SMB2_10", Dialect::smb2_1},
      {"3.0", Dialect::smb3_0},     {"3.00", Dialect::smb3_0},   {"SMB3_00", Dialect::smb3_0},
      {"3.0.2", Dialect::smb3_0_2}, {"3.02", Dialect::smb3_0_2}, {"SMB3_02", Dialect::smb3_0_2},
      {"3.1.1", Dialect::smb3_1_1}, {"3.11", Dialect::smb3_1_1}, {"SMB3_11", Dialect::smb3_1_1},
  };
  for (const auto& f : kForms)
    if (f.text == text) return f.dialect;
  return std::nullopt;
}

}  // namespace smbsrv
