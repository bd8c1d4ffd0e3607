// The "user.smbsrv.dos" record of LocalVfs (see dos_record.hpp and docs/DESIGN.md).
#include "vfs/dos_record.hpp"

#include <sys/xattr.h>

#include <array>
#include <cerrno>
#include <cstdio>

#include "util/byte_writer.hpp"

namespace smbsrv::detail {
namespace {
constexpr std::uint8_t kHasCreation = 0x1, kHasChange = 0x2, kHasEaSize = 0x4;

/// getxattr on fd, or on the entry `name` of directory fd through /proc/self/fd (lgetxattr: a
/// final symlink is never followed; the directory fd itself may be O_PATH).
ssize_t get_xattr(int fd, const char* name, const char* key, void* buf, std::size_t size) {
  if (name == nullptr) return ::fgetxattr(fd, key, buf, size);
  char path[64 + 256];
  const int n = std::snprintf(path, sizeof path, "/proc/self/fd/%d/%s", fd, name);
  if (n < 0 || static_cast<std::size_t>(n) >= sizeof path) {
    errno = ENAMETOOLONG;
    return -1;
  }
  return ::lgetxattr(path, key, buf, size);
}
}  // namespace

std::vector<std::uint8_t> encode_dos_record(const DosRecord& r) {
  std::vector<std::uint8_t> out;
  ByteWriter w(out);
  w.u8(kDosRecordVersion);
  w.u8(static_cast<std::uint8_t>((r.creation ? kHasCreation : 0) | (r.change ? kHasChange : 0) |
                                 (r.ea_size ? kHasEaSize : 0)));
  w.u16(r.ea_size.value_or(0));
  w.u32(r.attributes);
  w.u64(r.creation.value_or(0));
  w.u64(r.change.value_or(0));
  w.u64(r.change_anchor);
  return out;
}

std::optional<DosRecord> decode_dos_record(Bytes b) {
  ByteReader r(b);
  const std::uint8_t version = r.u8();
  const std::uint8_t flags = r.u8();
  const std::uint16_t ea_size = r.u16();  // 0 in records written before it was kept
  DosRecord d;
  d.attributes = r.u32() & kAttrSettable;
  const FileTime creation = r.u64(), change = r.u64();
  d.change_anchor = r.u64();
  if (!r.ok() || version != kDosRecordVersion) return std::nullopt;
  if (flags & kHasCreation) d.creation = creation;
  if (flags & kHasChange) d.change = change;
  if (flags & kHasEaSize) d.ea_size = ea_size;
  return d;
}

std::optional<std::uint32_t> parse_samba_dosattrib(Bytes b) {
  // Only the textual prefix is read ("0x" and up to 8 hex digits); the binary blob after it
  // (timestamps, versions) is not interpreted.
  if (b.size() < 3 || b[0] != '0' || (b[1] != 'x' && b[1] != 'X')) return std::nullopt;
  std::uint32_t v = 0;
  std::size_t i = 2;
  for (; i < b.size() && i < 10; ++i) {
    const char c = static_cast<char>(b[i]);
    std::uint32_t digit;
    if (c >= '0' && c <= '9') digit = static_cast<std::uint32_t>(c - '0');
    else if (c >= 'a' && c <= 'f') digit = static_cast<std::uint32_t>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') digit = static_cast<std::uint32_t>(c - 'A' + 10);
    else break;
    v = (v << 4) | digit;
  }
  if (i == 2) return std::nullopt;
  return v & kAttrSettable;
}

std::optional<DosRecord> read_dos(int fd, const char* name) {
  std::array<std::uint8_t, 64> buf{};
  ssize_t n = get_xattr(fd, name, kDosXattr, buf.data(), buf.size());
  if (n >= 0) return decode_dos_record(Bytes(buf.data(), static_cast<std::size_t>(n)));
  if (errno != ENODATA) return std::nullopt;  // ENOTSUP (no user xattrs), a vanished entry...
  n = get_xattr(fd, name, kSambaDosXattr, buf.data(), buf.size());
  if (n < 0 && errno != ERANGE) return std::nullopt;
  // ERANGE: a long Samba record; its first bytes are all we need, so read them into a larger buffer.
  if (n < 0) {
    std::vector<std::uint8_t> big(4096);
    n = get_xattr(fd, name, kSambaDosXattr, big.data(), big.size());
    if (n < 0) return std::nullopt;
    auto a = parse_samba_dosattrib(Bytes(big.data(), static_cast<std::size_t>(n)));
    if (!a) return std::nullopt;
    return DosRecord{.attributes = *a};
  }
  auto a = parse_samba_dosattrib(Bytes(buf.data(), static_cast<std::size_t>(n)));
  if (!a) return std::nullopt;
  return DosRecord{.attributes = *a};
}

Result<void> write_dos(int fd, const DosRecord& r) {
  const auto v = encode_dos_record(r);
  if (::fsetxattr(fd, kDosXattr, v.data(), v.size(), 0) == 0) return {};
  if (errno == ENOTSUP || errno == EPERM) return {};  // no user xattrs here (EPERM: not a regular file or directory)
  return from_errno(errno);
}

}  // namespace smbsrv::detail
