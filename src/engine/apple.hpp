// What macOS expects of a server beyond MS-SMB2 (ServerConfig::aapl): the AAPL create context,
// the Finder's extras in directory listings, and the semantics of the two streams the Mac keeps
// its metadata in, AFP_AfpInfo (FinderInfo, 60 bytes) and AFP_Resource (the resource fork).
// As a Mac server does:
// - an AFP_AfpInfo that is not a valid 60-byte blob, and an AFP_Resource without data, do not
//   exist: an OPEN fails with OBJECT_NAME_NOT_FOUND and FileStreamInformation leaves them out;
// - AFP_AfpInfo reads as the 60 bytes from offset 0 for any offset up to 60 (nothing past it),
//   and as an empty blob right after it was created; a write must be one valid blob, and one
//   whose FinderInfo is all zero deletes the stream; its end of file cannot grow past 60 bytes
//   (STATUS_ALLOTTED_SPACE_EXCEEDED) and setting a smaller one does nothing;
// - on a connection that negotiated AAPL, setting a named stream's end of file to 0 deletes it.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "smbsrv/result.hpp"

namespace smbsrv {
class VfsFile;
}

namespace smbsrv::engine {

enum class AppleStream : std::uint8_t { none, afp_info, afp_resource };

/// Which of the two a stream name (as opened, without ":$DATA") is; case-insensitive.
AppleStream apple_stream(std::string_view stream);

/// Whether an existing stream of that kind and size counts as absent (see above).
bool apple_stream_hidden(AppleStream kind, std::uint64_t size);

/// READ of an AFP_AfpInfo open (its handle locked).
Result<std::size_t> read_afp_info(VfsFile& f, std::uint64_t offset, std::span<std::uint8_t> out);

/// WRITE of an AFP_AfpInfo open (its handle locked): the bytes written, or invalid_parameter for
/// anything but one valid blob at offset 0. An all-zero FinderInfo empties the stream, which then
/// does not exist for anyone.
Result<std::size_t> write_afp_info(VfsFile& f, std::uint64_t offset, std::span<const std::uint8_t> data);

}  // namespace smbsrv::engine
