// macOS's stream semantics (engine/apple.hpp).
#include "engine/apple.hpp"

#include <algorithm>

#include "codec/aapl.hpp"
#include "smbsrv/vfs.hpp"
#include "util/upcase.hpp"

namespace smbsrv::engine {

AppleStream apple_stream(std::string_view stream) {
  if (iequal_names(stream, "AFP_AfpInfo")) return AppleStream::afp_info;
  if (iequal_names(stream, "AFP_Resource")) return AppleStream::afp_resource;
  return AppleStream::none;
}

bool apple_stream_hidden(AppleStream kind, std::uint64_t size) {
  switch (kind) {
    case AppleStream::afp_info: return size != codec::kAfpInfoSize;
    case AppleStream::afp_resource: return size == 0;
    case AppleStream::none: break;
  }
  return false;
}

Result<std::size_t> read_afp_info(VfsFile& f, std::uint64_t offset, std::span<std::uint8_t> out) {
  if (offset > codec::kAfpInfoSize) return std::size_t{0};
  codec::AfpInfo blob{};
  auto n = f.read(0, blob);
  if (!n) return n.status();
  if (*n != codec::kAfpInfoSize) blob = codec::default_afp_info();  // created, not yet written
  const std::size_t take = std::min(out.size(), blob.size());
  std::copy_n(blob.begin(), take, out.begin());
  return take;
}

Result<std::size_t> write_afp_info(VfsFile& f, std::uint64_t offset, std::span<const std::uint8_t> data) {
  if (offset != 0 || !codec::valid_afp_info(data)) return NtStatus::invalid_parameter;
  if (codec::empty_afp_info(data)) {
    if (auto t = f.truncate(0); !t) return t.status();
    return data.size();
  }
  return f.write(0, data);
}

}  // namespace smbsrv::engine
