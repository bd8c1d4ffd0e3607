// Server-side copy (MS-SMB2 2.2.31.1, 2.2.32.1, 2.2.32.3): the FSCTL payloads of
// FSCTL_SRV_REQUEST_RESUME_KEY, FSCTL_SRV_COPYCHUNK and FSCTL_SRV_COPYCHUNK_WRITE.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "smbsrv/result.hpp"
#include "util/byte_reader.hpp"
#include "util/byte_writer.hpp"

namespace smbsrv::codec {

// kFsctlSrvRequestResumeKey (0x00140078) is in messages.hpp.
inline constexpr std::uint32_t kFsctlSrvCopychunk = 0x001440F2;
inline constexpr std::uint32_t kFsctlSrvCopychunkWrite = 0x001480F2;

/// The opaque key that names a source open (2.2.32.3 ResumeKey).
using ResumeKey = std::array<std::uint8_t, 24>;

/// SRV_REQUEST_RESUME_KEY response: ResumeKey, ContextLength (0) and 4 bytes of unused Context,
/// 32 bytes in all (3.3.5.15.5: OutputCount MUST be 32).
inline constexpr std::size_t kResumeKeyResponseSize = 32;
void encode_resume_key_response(ByteWriter& w, const ResumeKey& key);

/// One SRV_COPYCHUNK (2.2.31.1.1).
struct SrvCopychunk {
  std::uint64_t source_offset = 0;
  std::uint64_t target_offset = 0;
  std::uint32_t length = 0;
};

/// SRV_COPYCHUNK_COPY (2.2.31.1): SourceKey 0, ChunkCount 24, Reserved 28, Chunks 32 (24 bytes
/// each).
struct SrvCopychunkCopy {
  ResumeKey source_key{};
  std::vector<SrvCopychunk> chunks;  // ChunkCount of them
};
inline constexpr std::size_t kCopychunkCopyFixedSize = 32;
inline constexpr std::size_t kCopychunkSize = 24;
/// `input` is the IOCTL's input buffer. Shorter than the fixed part, or ChunkCount chunks that do
/// not fit → invalid_parameter (3.3.5.15.6 answers that with the server's limits). Bytes after the
/// chunks are ignored. Never allocates more than the input can hold.
Result<SrvCopychunkCopy> decode_srv_copychunk_copy(Bytes input);

/// SRV_COPYCHUNK_RESPONSE (2.2.32.1): ChunksWritten, ChunkBytesWritten, TotalBytesWritten. After
/// STATUS_INVALID_PARAMETER the three fields carry the server's limits instead (3.3.5.15.6.2).
struct SrvCopychunkResponse {
  std::uint32_t chunks_written = 0;
  std::uint32_t chunk_bytes_written = 0;
  std::uint32_t total_bytes_written = 0;
};
inline constexpr std::size_t kCopychunkResponseSize = 12;
void encode_srv_copychunk_response(ByteWriter& w, const SrvCopychunkResponse& r);

}  // namespace smbsrv::codec
