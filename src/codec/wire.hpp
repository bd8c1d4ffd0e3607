// Codec-internal helpers shared by the per-command files: opening a request body and locating
// offset/length buffers inside the message. Not part of the codec interface.
#pragma once

#include <cstddef>
#include <cstdint>

#include "codec/messages.hpp"
#include "util/byte_reader.hpp"
#include "util/byte_writer.hpp"

namespace smbsrv::codec::detail {

/// Positions a reader at the body (msg[64..]) and checks StructureSize == `structure_size`. The
/// fixed part (structure_size rounded down to even: an odd StructureSize counts one byte of the
/// variable Buffer, which may be absent when that buffer is empty, MS-SMB2 2.2) must be present.
/// Returns false (reader failed) on any violation; the reader is left just after StructureSize.
inline bool open_body(Bytes msg, ByteReader& r, std::uint16_t structure_size) {
  r = ByteReader(msg);
  const std::size_t fixed = structure_size & ~std::size_t{1};
  if (msg.size() < kHeaderSize || msg.size() - kHeaderSize < fixed) return false;
  r.seek(kHeaderSize);
  if (r.u16() != structure_size) return false;
  return r.ok();
}

/// The buffer [offset, offset+length) of the message (offsets count from the header start). An
/// empty buffer is accepted whatever its offset (clients send 0). A non-empty buffer must start at
/// or after `min_offset` (the end of the fixed part) and end inside the message.
inline bool buffer(Bytes msg, std::size_t min_offset, std::uint64_t offset, std::uint64_t length,
                   Bytes& out) {
  if (length == 0) {
    out = {};
    return true;
  }
  if (offset < min_offset) return false;
  return slice(msg, offset, length, out);
}

inline FileId read_file_id(ByteReader& r) {
  FileId f;
  f.persistent = r.u64();
  f.volatile_ = r.u64();
  return f;
}

inline void write_file_id(ByteWriter& w, const FileId& f) {
  w.u64(f.persistent);
  w.u64(f.volatile_);
}

/// Pads with zeros until (w.size() - hdr) is a multiple of `a`: alignment relative to the header.
inline void pad_from(ByteWriter& w, std::size_t hdr, std::size_t a) {
  while ((w.size() - hdr) % a != 0) w.u8(0);
}

inline std::uint16_t u16_of(std::size_t v) { return static_cast<std::uint16_t>(v); }
inline std::uint32_t u32_of(std::size_t v) { return static_cast<std::uint32_t>(v); }

/// Appends the variable part of a response: `data`, or one zero byte when it is empty so that the
/// body is as long as its odd StructureSize says (MS-SMB2 2.2: the Buffer counts one byte).
inline void variable_part(ByteWriter& w, Bytes data) {
  if (data.empty()) {
    w.u8(0);
  } else {
    w.bytes(data);
  }
}

}  // namespace smbsrv::codec::detail
