// CREATE request (MS-SMB2 2.2.13), create contexts (2.2.13.2) and response (2.2.14).
#include "codec/chain.hpp"
#include "codec/messages.hpp"
#include "codec/wire.hpp"
#include "util/utf16.hpp"

namespace smbsrv::codec {
namespace {
constexpr std::size_t kContextFixedSize = 16;
constexpr std::size_t kMaxCreateContexts = 64;

// 2.2.13.2: Next 0, NameOffset 4, NameLength 6, Reserved 8, DataOffset 10, DataLength 12,
// Buffer 16; offsets relative to the context start. `element` runs from the context start to the
// end of the contexts area; the context itself ends at Next (or the area end for the last).
std::optional<std::uint64_t> parse_context(Bytes element, std::vector<CreateContext>& out) {
  ByteReader r(element);
  const std::uint32_t next = r.u32();
  const std::uint16_t name_offset = r.u16();
  const std::uint16_t name_length = r.u16();
  r.skip(2);
  const std::uint16_t data_offset = r.u16();
  const std::uint32_t data_length = r.u32();
  if (!r.ok()) return std::nullopt;
  Bytes self = element;
  if (next != 0 && !slice(element, 0, next, self)) return std::nullopt;
  CreateContext c;
  // Every tag is at least 4 bytes; Windows refuses shorter names (smbtorture smb2.create.blob).
  if (name_length < 4 || !detail::buffer(self, kContextFixedSize, name_offset, name_length, c.name))
    return std::nullopt;
  if (!detail::buffer(self, kContextFixedSize, data_offset, data_length, c.data)) return std::nullopt;
  out.push_back(c);
  return next;
}
}  // namespace

// 2.2.13 body: StructureSize 0 (57), SecurityFlags 2, RequestedOplockLevel 3,
// ImpersonationLevel 4, SmbCreateFlags 8, Reserved 16, DesiredAccess 24, FileAttributes 28,
// ShareAccess 32, CreateDisposition 36, CreateOptions 40, NameOffset 44, NameLength 46,
// CreateContextsOffset 48, CreateContextsLength 52, Buffer 56 (0x78).
Result<CreateRequest> decode_create_request(Bytes msg) {
  ByteReader r;
  if (!detail::open_body(msg, r, 57)) return NtStatus::invalid_parameter;
  CreateRequest req;
  req.security_flags = r.u8();
  req.requested_oplock_level = r.u8();
  req.impersonation_level = r.u32();
  req.smb_create_flags = r.u64();
  r.skip(8);
  req.desired_access = r.u32();
  req.file_attributes = r.u32();
  req.share_access = r.u32();
  req.create_disposition = r.u32();
  req.create_options = r.u32();
  const std::uint16_t name_offset = r.u16();
  const std::uint16_t name_length = r.u16();
  const std::uint32_t contexts_offset = r.u32();
  const std::uint32_t contexts_length = r.u32();
  if (!r.ok()) return NtStatus::invalid_parameter;
  const std::size_t fixed_end = r.pos();

  Bytes name;
  if (!detail::buffer(msg, fixed_end, name_offset, name_length, name))
    return NtStatus::invalid_parameter;

  if (contexts_length != 0) {
    Bytes area;
    if (!detail::buffer(msg, fixed_end, contexts_offset, contexts_length, area) ||
        contexts_offset % 8 != 0)
      return NtStatus::invalid_parameter;
    const detail::ChainRules rules{8, kMaxCreateContexts};
    const bool ok = detail::walk_chain(area, 0, rules, [&](std::size_t, Bytes element) {
      return parse_context(element, req.create_contexts);
    });
    if (!ok) return NtStatus::invalid_parameter;
  }

  // Structure is sound; now the name's content.
  if (name.size() % 2 != 0) return NtStatus::object_name_invalid;
  auto utf8 = utf16le_to_utf8(name);
  if (!utf8) return NtStatus::object_name_invalid;
  req.name = std::move(*utf8);
  return req;
}

// 2.2.14 body: StructureSize 0 (89), OplockLevel 2, Flags 3, CreateAction 4, CreationTime 8,
// LastAccessTime 16, LastWriteTime 24, ChangeTime 32, AllocationSize 40, EndofFile 48,
// FileAttributes 56, Reserved2 60, FileId 64, CreateContextsOffset 80, CreateContextsLength 84,
// Buffer 88 (0x98).
void encode_create_response(ByteWriter& w, std::size_t hdr, const CreateResponse& r) {
  w.u16(89);
  w.u8(r.oplock_level);
  w.u8(r.flags);
  w.u32(r.create_action);
  w.u64(r.creation_time);
  w.u64(r.last_access_time);
  w.u64(r.last_write_time);
  w.u64(r.change_time);
  w.u64(r.allocation_size);
  w.u64(r.end_of_file);
  w.u32(r.file_attributes);
  w.u32(0);
  detail::write_file_id(w, r.file_id);
  const std::size_t offset_at = w.size();
  w.u32(0);
  w.u32(0);
  if (r.create_contexts.empty()) {
    w.u8(0);  // the Buffer byte counted by StructureSize 89
    return;
  }
  detail::pad_from(w, hdr, 8);
  const std::size_t first = w.size();
  std::size_t previous = 0;
  for (std::size_t i = 0; i < r.create_contexts.size(); ++i) {
    const auto& c = r.create_contexts[i];
    if (i != 0) {
      detail::pad_from(w, hdr, 8);
      w.put_u32(previous, detail::u32_of(w.size() - previous));  // Next of the previous context
    }
    const std::size_t start = w.size();
    previous = start;
    const std::size_t name_end = kContextFixedSize + c.name.size();
    const std::size_t data_offset = c.data.empty() ? 0 : (name_end + 7) & ~std::size_t{7};
    w.u32(0);  // Next, patched
    w.u16(detail::u16_of(kContextFixedSize));
    w.u16(detail::u16_of(c.name.size()));
    w.u16(0);
    w.u16(detail::u16_of(data_offset));
    w.u32(detail::u32_of(c.data.size()));
    w.bytes(Bytes(reinterpret_cast<const std::uint8_t*>(c.name.data()), c.name.size()));
    if (!c.data.empty()) {
      while (w.size() - start < data_offset) w.u8(0);
      w.bytes(c.data);
    }
  }
  w.put_u32(offset_at, detail::u32_of(first - hdr));
  w.put_u32(offset_at + 4, detail::u32_of(w.size() - first));
}

}  // namespace smbsrv::codec
