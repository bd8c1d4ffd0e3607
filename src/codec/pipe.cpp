#include "codec/pipe.hpp"

#include "util/utf16.hpp"

namespace smbsrv::codec {

Result<PipeWaitRequest> decode_pipe_wait_request(Bytes input) {
  ByteReader r(input);
  PipeWaitRequest q;
  q.timeout = static_cast<std::int64_t>(r.u64());
  const std::uint32_t name_length = r.u32();
  q.timeout_specified = r.u8() != 0;
  r.skip(1);  // Padding
  if (!r.ok() || name_length % 2 != 0 || name_length > r.remaining()) return NtStatus::invalid_parameter;
  auto name = utf16le_to_utf8(r.bytes(name_length));
  if (!name) return NtStatus::invalid_parameter;
  q.name = std::move(*name);
  return q;
}

void encode_pipe_peek(ByteWriter& w, std::uint32_t available, std::uint32_t messages, std::uint32_t message_length,
                      Bytes data) {
  w.u32(kFilePipeConnectedState);
  w.u32(available);
  w.u32(messages);
  w.u32(message_length);
  w.bytes(data);
}

std::vector<std::uint8_t> encode_pipe_information(const PipeInformation& p) {
  std::vector<std::uint8_t> out;
  ByteWriter w(out);
  w.u32(p.read_mode);
  w.u32(p.completion_mode);
  return out;
}

Result<PipeInformation> decode_pipe_information(Bytes b) {
  if (b.size() < 8) return NtStatus::info_length_mismatch;
  ByteReader r(b);
  PipeInformation p;
  p.read_mode = r.u32();
  p.completion_mode = r.u32();
  if (p.read_mode > 1 || p.completion_mode > 1) return NtStatus::invalid_parameter;
  return p;
}

std::vector<std::uint8_t> encode_pipe_local_information(std::uint32_t read_data_available, std::uint32_t quota) {
  std::vector<std::uint8_t> out;
  ByteWriter w(out);
  w.u32(kFilePipeMessageMode);     // NamedPipeType: FILE_PIPE_MESSAGE_TYPE
  w.u32(2);                        // NamedPipeConfiguration: FILE_PIPE_FULL_DUPLEX
  w.u32(0xFFFFFFFF);               // MaximumInstances: unlimited
  w.u32(1);                        // CurrentInstances
  w.u32(quota);                    // InboundQuota
  w.u32(read_data_available);      // ReadDataAvailable
  w.u32(quota);                    // OutboundQuota
  w.u32(quota);                    // WriteQuotaAvailable
  w.u32(kFilePipeConnectedState);  // NamedPipeState
  w.u32(0);                        // NamedPipeEnd: FILE_PIPE_CLIENT_END
  return out;
}

}  // namespace smbsrv::codec
