// Create contexts the server answers (MS-SMB2 2.2.14.2) and the names of those it looks at
// (2.2.13.2). Parsing the chain itself is decode_create_request's (create.cpp, through chain.hpp);
// leases are in oplock_break.cpp.
#include <cstring>

#include "codec/messages.hpp"

namespace smbsrv::codec {

bool context_is(const CreateContext& c, const CreateContextTag& tag) {
  return c.name.size() == tag.size() && std::memcmp(c.name.data(), tag.data(), tag.size()) == 0;
}

bool context_is(const CreateContext& c, const CreateContextGuid& guid) {
  return c.name.size() == guid.size() && std::memcmp(c.name.data(), guid.data(), guid.size()) == 0;
}

std::string context_name(const CreateContextTag& tag) { return std::string(tag.data(), tag.size()); }

// 2.2.14.2.5 SMB2_CREATE_QUERY_MAXIMAL_ACCESS_RESPONSE: QueryStatus 0, MaximalAccess 4.
std::vector<std::uint8_t> encode_maximal_access_response(NtStatus query_status, std::uint32_t maximal_access) {
  std::vector<std::uint8_t> out;
  out.reserve(8);
  ByteWriter w(out);
  w.u32(static_cast<std::uint32_t>(query_status));
  w.u32(maximal_access);
  return out;
}

// 2.2.13.2.6 SMB2_CREATE_ALLOCATION_SIZE: AllocationSize 0 (8 bytes).
Result<std::uint64_t> decode_allocation_size(Bytes data) {
  if (data.size() != 8) return NtStatus::invalid_parameter;
  ByteReader r(data);
  return r.u64();
}

// 2.2.14.2.9 SMB2_CREATE_QUERY_ON_DISK_ID: DiskFileId 0, VolumeId 8, Reserved 16 (16 bytes).
std::vector<std::uint8_t> encode_query_on_disk_id_response(std::uint64_t disk_file_id, std::uint64_t volume_id) {
  std::vector<std::uint8_t> out;
  out.reserve(32);
  ByteWriter w(out);
  w.u64(disk_file_id);
  w.u64(volume_id);
  w.zeros(16);
  return out;
}

}  // namespace smbsrv::codec
