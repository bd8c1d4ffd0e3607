// SMB1 multi-protocol NEGOTIATE (MS-SMB2 3.3.5.3; MS-CIFS 2.2.3.1 header, 2.2.4.52.1 request):
// the only SMB1 message the server reads, to find out whether the client speaks SMB2.
#include <algorithm>
#include <string_view>

#include "codec/messages.hpp"

namespace smbsrv::codec {
namespace {
constexpr std::size_t kSmb1HeaderSize = 32;
// The smallest SMB_COM_NEGOTIATE: header, WordCount (1), ByteCount (2).
constexpr std::size_t kSmb1NegotiateMinSize = kSmb1HeaderSize + 1 + 2;
constexpr std::uint8_t kSmbComNegotiate = 0x72;
constexpr std::uint8_t kDialectBufferFormat = 0x02;
}  // namespace

// MS-CIFS 2.2.3.1 header: Protocol 0 (0xFF 'SMB'), Command 4, Status 5, Flags 9, Flags2 10,
// PIDHigh 12, SecurityFeatures 14, Reserved 22, TID 24, PIDLow 26, UID 28, MID 30.
// 2.2.4.52.1: SMB_Parameters = WordCount 32 (MUST be 0; any words are skipped) + Words;
// SMB_Data = ByteCount (2) + Dialects, each BufferFormat 0x02 + a NUL-terminated OEM string.
Result<Smb1Negotiate> decode_smb1_negotiate(Bytes frame) {
  if (frame.size() < kSmb1NegotiateMinSize) return NtStatus::invalid_parameter;
  ByteReader r(frame);
  const Bytes proto = r.bytes(4);
  const std::uint8_t command = r.u8();
  if (!r.ok() || proto[0] != 0xFF || proto[1] != 'S' || proto[2] != 'M' || proto[3] != 'B' ||
      command != kSmbComNegotiate)
    return NtStatus::invalid_parameter;
  r.seek(kSmb1HeaderSize);
  const std::uint8_t word_count = r.u8();
  r.skip(std::size_t{word_count} * 2);
  const std::uint16_t byte_count = r.u16();
  if (!r.ok()) return NtStatus::invalid_parameter;
  // A ByteCount past the end of the frame is clamped (what the engine always did).
  const Bytes strings = r.bytes(std::min<std::size_t>(byte_count, r.remaining()));
  if (!r.ok()) return NtStatus::invalid_parameter;

  Smb1Negotiate out;
  ByteReader s(strings);
  while (s.remaining() != 0) {
    if (s.u8() != kDialectBufferFormat) break;
    const Bytes rest = s.rest();
    std::size_t n = 0;
    while (n < rest.size() && rest[n] != 0) ++n;
    if (n == rest.size()) return NtStatus::invalid_parameter;  // no terminating NUL
    const std::string_view name(reinterpret_cast<const char*>(rest.data()), n);
    if (name == "SMB 2.002") out.smb2_002 = true;
    if (name == "SMB 2.???") out.smb2_wildcard = true;
    s.skip(n + 1);
  }
  return out;
}

}  // namespace smbsrv::codec
