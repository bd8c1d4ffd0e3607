// Server-side copy payloads (MS-SMB2 2.2.31.1, 2.2.32.1, 2.2.32.3).
#include "codec/copychunk.hpp"

#include <algorithm>

namespace smbsrv::codec {

void encode_resume_key_response(ByteWriter& w, const ResumeKey& key) {
  w.bytes(key);
  w.u32(0);   // ContextLength: unused (2.2.32.3)
  w.zeros(4);  // Context
}

Result<SrvCopychunkCopy> decode_srv_copychunk_copy(Bytes input) {
  ByteReader r(input);
  SrvCopychunkCopy c;
  const Bytes key = r.bytes(c.source_key.size());
  const std::uint32_t count = r.u32();
  r.skip(4);  // Reserved
  // The chunks must fit in what is left: checked by division before anything is allocated.
  if (!r.ok() || r.remaining() / kCopychunkSize < count) return NtStatus::invalid_parameter;
  std::copy(key.begin(), key.end(), c.source_key.begin());
  c.chunks.resize(count);
  for (auto& ch : c.chunks) {
    ch.source_offset = r.u64();
    ch.target_offset = r.u64();
    ch.length = r.u32();
    r.skip(4);  // Reserved
  }
  if (!r.ok()) return NtStatus::invalid_parameter;
  return c;
}

void encode_srv_copychunk_response(ByteWriter& w, const SrvCopychunkResponse& r) {
  w.u32(r.chunks_written);
  w.u32(r.chunk_bytes_written);
  w.u32(r.total_bytes_written);
}

}  // namespace smbsrv::codec
