// The default of the optional VfsFile operations (smbsrv/vfs.hpp).
#include <algorithm>
#include <vector>

#include "smbsrv/vfs.hpp"

namespace smbsrv {

Result<std::uint64_t> VfsFile::copy_from(VfsFile& src, std::uint64_t src_offset, std::uint64_t dst_offset,
                                         std::uint64_t length) {
  if (length == 0) return std::uint64_t{0};
  constexpr std::uint64_t kPiece = 1u << 20;
  std::vector<std::uint8_t> buf(static_cast<std::size_t>(std::min(length, kPiece)));
  auto piece = [&](std::uint64_t n) { return std::span<std::uint8_t>(buf.data(), static_cast<std::size_t>(n)); };

  if (dst_offset > src_offset && dst_offset - src_offset < length) {
    // The target may start inside the source range of the same file (this object, or another open
    // of it): copy from the end backwards, as memmove does, so that no byte is overwritten before
    // it has been read. (Harmless between different files.)
    auto info = src.stat();
    if (!info) return info.status();
    const std::uint64_t avail = src_offset >= info->size ? 0 : std::min(length, info->size - src_offset);
    std::uint64_t left = avail;
    while (left > 0) {
      const std::uint64_t n = std::min(left, kPiece);
      left -= n;
      auto got = src.read(src_offset + left, piece(n));
      if (!got) return got.status();
      if (*got == 0) continue;
      auto put = write(dst_offset + left, std::span<const std::uint8_t>(buf.data(), *got));
      if (!put) return put.status();
    }
    return avail;
  }
  // Forwards. With the target before the source in the same file this is safe too: each piece is
  // read before the write that may overlap it.
  std::uint64_t done = 0;
  while (done < length) {
    const std::uint64_t n = std::min(length - done, kPiece);
    auto got = src.read(src_offset + done, piece(n));
    if (!got) return got.status();
    if (*got == 0) break;
    auto put = write(dst_offset + done, std::span<const std::uint8_t>(buf.data(), *got));
    if (!put) return put.status();
    done += *got;
    if (*got < n) break;  // the source ended
  }
  return done;
}

}  // namespace smbsrv
