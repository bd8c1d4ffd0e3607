// SMB2 packet header (MS-SMB2 2.2.1), error response (2.2.2), transform header (2.2.41) and
// compound splitting (3.3.5.2.7).
#include <cstring>

#include "codec/messages.hpp"
#include "codec/wire.hpp"

namespace smbsrv::codec {

const char* command_name(Command c) noexcept {
  switch (c) {
    case Command::negotiate: return "NEGOTIATE";
    case Command::session_setup: return "SESSION_SETUP";
    case Command::logoff: return "LOGOFF";
    case Command::tree_connect: return "TREE_CONNECT";
    case Command::tree_disconnect: return "TREE_DISCONNECT";
    case Command::create: return "CREATE";
    case Command::close: return "CLOSE";
    case Command::flush: return "FLUSH";
    case Command::read: return "READ";
    case Command::write: return "WRITE";
    case Command::lock: return "LOCK";
    case Command::ioctl: return "IOCTL";
    case Command::cancel: return "CANCEL";
    case Command::echo: return "ECHO";
    case Command::query_directory: return "QUERY_DIRECTORY";
    case Command::change_notify: return "CHANGE_NOTIFY";
    case Command::query_info: return "QUERY_INFO";
    case Command::set_info: return "SET_INFO";
    case Command::oplock_break: return "OPLOCK_BREAK";
  }
  return "UNKNOWN";
}

namespace {
constexpr std::size_t kFlagsOffset = 16;
constexpr std::size_t kCommandOffset = 12;
constexpr std::size_t kNextCommandOffset = 20;

void put_le32(std::span<std::uint8_t> msg, std::size_t at, std::uint32_t v) {
  for (std::size_t i = 0; i < 4; ++i) msg[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

// 2.2.1.1 (async) / 2.2.1.2 (sync): ProtocolId 0, StructureSize 4, CreditCharge 6, Status 8,
// Command 12, CreditRequest/Response 14, Flags 16, NextCommand 20, MessageId 24,
// AsyncId 32 | Reserved 32 + TreeId 36, SessionId 40, Signature 48.
Result<Header> decode_header_impl(Bytes msg, bool known_command_only) {
  if (msg.size() < kHeaderSize) return NtStatus::invalid_parameter;
  ByteReader r(msg);
  const Bytes proto = r.bytes(4);
  if (!r.ok() || proto[0] != 0xFE || proto[1] != 'S' || proto[2] != 'M' || proto[3] != 'B')
    return NtStatus::invalid_parameter;
  if (r.u16() != kHeaderSize) return NtStatus::invalid_parameter;
  Header h;
  h.credit_charge = r.u16();
  h.status = r.u32();
  const std::uint16_t cmd = r.u16();
  if (known_command_only && cmd >= kCommandCount) return NtStatus::invalid_parameter;
  h.command = static_cast<Command>(cmd);  // the enum's underlying type holds any raw value
  h.credit = r.u16();
  h.flags = r.u32();
  h.next_command = r.u32();
  h.message_id = r.u64();
  if (h.flags & kFlagAsyncCommand) {
    h.async_id = r.u64();
  } else {
    r.skip(4);  // Reserved
    h.tree_id = r.u32();
  }
  h.session_id = r.u64();
  const Bytes sig = r.bytes(16);
  if (!r.ok()) return NtStatus::invalid_parameter;
  std::memcpy(h.signature.data(), sig.data(), sig.size());
  return h;
}
}  // namespace

Result<Header> decode_header(Bytes msg) { return decode_header_impl(msg, true); }

Result<Header> decode_header_any_command(Bytes msg) { return decode_header_impl(msg, false); }

std::optional<Command> peek_command(Bytes msg) {
  if (msg.size() < kHeaderSize) return std::nullopt;
  return static_cast<Command>(
      static_cast<std::uint16_t>(msg[kCommandOffset] | (msg[kCommandOffset + 1] << 8)));
}

void set_flags(std::span<std::uint8_t> msg, std::uint32_t or_bits) {
  if (msg.size() < kHeaderSize) return;
  for (std::size_t i = 0; i < 4; ++i)
    msg[kFlagsOffset + i] = static_cast<std::uint8_t>(msg[kFlagsOffset + i] | (or_bits >> (8 * i)));
}

void mark_signed(std::span<std::uint8_t> msg) { set_flags(msg, kFlagSigned); }

void set_next_command(std::span<std::uint8_t> msg, std::uint32_t next) {
  if (msg.size() < kHeaderSize) return;
  put_le32(msg, kNextCommandOffset, next);
}

void encode_header(ByteWriter& w, const Header& h) {
  w.u8(0xFE);
  w.u8('S');
  w.u8('M');
  w.u8('B');
  w.u16(static_cast<std::uint16_t>(kHeaderSize));
  w.u16(h.credit_charge);
  w.u32(h.status);
  w.u16(static_cast<std::uint16_t>(h.command));
  w.u16(h.credit);
  w.u32(h.flags);
  w.u32(h.next_command);
  w.u64(h.message_id);
  if (h.flags & kFlagAsyncCommand) {
    w.u64(h.async_id);
  } else {
    w.u32(0);
    w.u32(h.tree_id);
  }
  w.u64(h.session_id);
  w.bytes(h.signature);
}

void encode_buffer_too_small_response(ByteWriter& w, std::uint32_t needed) {
  std::array<std::uint8_t, 4> data{};
  for (std::size_t i = 0; i < 4; ++i) data[i] = static_cast<std::uint8_t>(needed >> (8 * i));
  encode_error_response(w, data);
}

Protocol protocol_of(Bytes frame) {
  if (frame.size() < 4 || frame[1] != 'S' || frame[2] != 'M' || frame[3] != 'B') return Protocol::other;
  switch (frame[0]) {
    case 0xFF: return Protocol::smb1;
    case 0xFE: return Protocol::smb2;
    case 0xFD: return Protocol::transform;
    case 0xFC: return Protocol::compressed;
    default: return Protocol::other;
  }
}

void put_header(std::span<std::uint8_t, kHeaderSize> out, const Header& h) {
  std::size_t at = 0;
  const auto put = [&](std::uint64_t v, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) out[at++] = static_cast<std::uint8_t>(v >> (8 * i));
  };
  put(0x424D53FE, 4);  // 0xFE 'S' 'M' 'B'
  put(kHeaderSize, 2);
  put(h.credit_charge, 2);
  put(h.status, 4);
  put(static_cast<std::uint16_t>(h.command), 2);
  put(h.credit, 2);
  put(h.flags, 4);
  put(h.next_command, 4);
  put(h.message_id, 8);
  if (h.flags & kFlagAsyncCommand) {
    put(h.async_id, 8);
  } else {
    put(0, 4);
    put(h.tree_id, 4);
  }
  put(h.session_id, 8);
  for (auto b : h.signature) out[at++] = b;
}

// 2.2.2: StructureSize 9, ErrorContextCount 1 byte, Reserved 1 byte, ByteCount 4, ErrorData.
void encode_error_response(ByteWriter& w, Bytes data) {
  w.u16(9);
  w.u8(0);
  w.u8(0);
  w.u32(detail::u32_of(data.size()));
  detail::variable_part(w, data);
}

// 2.2.41: ProtocolId 0, Signature 4, Nonce 20, OriginalMessageSize 36, Reserved 40,
// Flags/EncryptionAlgorithm 42, SessionId 44.
Result<TransformHeader> decode_transform_header(Bytes frame) {
  if (frame.size() < kTransformHeaderSize) return NtStatus::invalid_parameter;
  ByteReader r(frame);
  const Bytes proto = r.bytes(4);
  if (!r.ok() || proto[0] != 0xFD || proto[1] != 'S' || proto[2] != 'M' || proto[3] != 'B')
    return NtStatus::invalid_parameter;
  TransformHeader t;
  const Bytes sig = r.bytes(16);
  const Bytes nonce = r.bytes(16);
  t.original_message_size = r.u32();
  r.skip(2);
  t.flags = r.u16();
  t.session_id = r.u64();
  if (!r.ok()) return NtStatus::invalid_parameter;
  std::memcpy(t.signature.data(), sig.data(), sig.size());
  std::memcpy(t.nonce.data(), nonce.data(), nonce.size());
  if (t.original_message_size != frame.size() - kTransformHeaderSize)
    return NtStatus::invalid_parameter;
  return t;
}

void encode_transform_header(ByteWriter& w, const TransformHeader& t) {
  w.u8(0xFD);
  w.u8('S');
  w.u8('M');
  w.u8('B');
  w.bytes(t.signature);
  w.bytes(t.nonce);
  w.u32(t.original_message_size);
  w.u16(0);
  w.u16(t.flags);
  w.u64(t.session_id);
}

// 3.3.5.2.7: NextCommand (header offset 20) is the offset from this header to the next one.
Result<void> split_compound(Bytes frame, std::vector<Bytes>& out) {
  constexpr std::size_t kMaxMessages = 256;
  out.clear();
  std::size_t pos = 0;
  for (;;) {
    if (out.size() >= kMaxMessages) return NtStatus::invalid_parameter;
    const std::size_t left = frame.size() - pos;
    if (left < kHeaderSize) return NtStatus::invalid_parameter;
    ByteReader r(frame.subspan(pos));
    r.seek(kNextCommandOffset);
    const std::uint32_t next = r.u32();
    if (!r.ok()) return NtStatus::invalid_parameter;
    if (next == 0) {
      out.push_back(frame.subspan(pos));
      return {};
    }
    if (next % 8 != 0 || next < kHeaderSize || next >= left) return NtStatus::invalid_parameter;
    out.push_back(frame.subspan(pos, next));
    pos += next;
  }
}

Result<std::vector<Bytes>> split_compound(Bytes frame) {
  std::vector<Bytes> out;
  if (auto r = split_compound(frame, out); !r) return r.status();
  return out;
}

}  // namespace smbsrv::codec
