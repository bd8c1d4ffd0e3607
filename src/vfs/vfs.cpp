// The defaults of the optional VfsFile operations (smbsrv/vfs.hpp).
#include <algorithm>
#include <array>

#include "smbsrv/vfs.hpp"

namespace smbsrv {

Result<void> VfsFile::zero_range(std::uint64_t offset, std::uint64_t length) {
  static constexpr std::array<std::uint8_t, 64 * 1024> kZeros{};
  while (length > 0) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(length, kZeros.size()));
    auto w = write(offset, std::span<const std::uint8_t>(kZeros.data(), n));
    if (!w) return w.status();
    if (*w == 0) return NtStatus::disk_full;
    offset += *w;
    length -= *w;
  }
  return {};
}

}  // namespace smbsrv
