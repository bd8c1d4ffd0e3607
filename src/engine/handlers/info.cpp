// QUERY_INFO and SET_INFO (MS-SMB2 3.3.5.20, 3.3.5.21; MS-FSA 2.1.5.11, 2.1.5.14).
#include <algorithm>

#include "codec/fscc.hpp"
#include "engine/request.hpp"

namespace smbsrv::engine {
namespace {

// A self-relative security descriptor (MS-DTYP 2.4.6): owner and group S-1-1-0 (Everyone) and a
// DACL that grants Everyone the share's maximal access. POSIX permissions are not mapped yet.
std::vector<std::uint8_t> security_descriptor(std::uint32_t additional, std::uint32_t access) {
  const std::uint8_t everyone[] = {1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0};  // S-1-1-0
  std::vector<std::uint8_t> sd(20, 0);
  ByteWriter w(sd);
  std::uint16_t control = 0x8000;  // SE_SELF_RELATIVE
  std::uint32_t owner = 0, group = 0, dacl = 0;
  if (additional & 0x1) { owner = static_cast<std::uint32_t>(sd.size()); w.bytes(everyone); }
  if (additional & 0x2) { group = static_cast<std::uint32_t>(sd.size()); w.bytes(everyone); }
  if (additional & 0x4) {
    control |= 0x0004;  // SE_DACL_PRESENT
    dacl = static_cast<std::uint32_t>(sd.size());
    w.u8(2); w.u8(0); w.u16(8 + 20); w.u16(1); w.u16(0);        // ACL header, one ACE
    w.u8(0); w.u8(0); w.u16(20); w.u32(access); w.bytes(everyone);  // ACCESS_ALLOWED_ACE
  }
  sd[0] = 1;
  w.put_u16(2, control);
  w.put_u32(4, owner);
  w.put_u32(8, group);
  w.put_u32(16, dacl);
  return sd;
}

}  // namespace

void Connection::on_query_info(Request& req, Response& rsp) {
  auto decoded = codec::decode_query_info_request(req.msg);
  if (!decoded) return rsp.fail(decoded.status());
  const auto& q = *decoded;
  if (q.output_buffer_length > server_->config.max_transact) return rsp.fail(NtStatus::invalid_parameter);
  auto open = find_open(req, q.file_id);
  if (!open) return rsp.fail(open.status());
  auto& o = **open;

  Result<std::vector<std::uint8_t>> data = NtStatus::invalid_info_class;
  std::size_t fixed = 0;
  std::size_t min = 0;  // the smallest buffer the class accepts
  switch (q.info_type) {
    case codec::kInfoFile: {
      std::lock_guard olk(o.mu);
      if (!o.file) return rsp.fail(NtStatus::file_closed);
      auto info = o.file->stat();
      if (!info) return rsp.fail(info.status());
      fscc::OpenContext ctx;
      ctx.name = o.name;
      ctx.access_mask = o.granted_access;
      ctx.position = o.position;
      ctx.mode = o.mode;
      if (o.file_object) {
        std::lock_guard tlk(server_->files.mutex());
        ctx.delete_pending = o.file_object->delete_pending;
        ctx.name = o.file_object->path.to_wire();
      }
      data = fscc::encode_file_info(q.file_info_class, *info, ctx);
      fixed = fscc::fixed_file_info_size(q.file_info_class);
      min = fscc::min_file_info_buffer(q.file_info_class);
      break;
    }
    case codec::kInfoFilesystem: {
      auto fs = req.tree->share->vfs->fs_info();
      if (!fs) return rsp.fail(fs.status());
      data = fscc::encode_fs_info(q.file_info_class, *fs);
      fixed = fscc::fixed_fs_info_size(q.file_info_class);
      min = fscc::min_fs_info_buffer(q.file_info_class);
      break;
    }
    case codec::kInfoSecurity:
      data = security_descriptor(q.additional_information, req.tree->maximal_access);
      break;
    case codec::kInfoQuota:
      return rsp.fail(NtStatus::not_supported);
    default:
      return rsp.fail(NtStatus::invalid_parameter);
  }
  if (!data) return rsp.fail(data.status());
  auto& bytes = *data;
  if (q.output_buffer_length < min) return rsp.fail(NtStatus::info_length_mismatch);
  Response::BodyBuilder b;
  if (bytes.size() > q.output_buffer_length) {
    // Fixed-size classes that do not fit fail; variable ones return what fits (3.3.5.20.1).
    if (fixed != 0 || q.info_type == codec::kInfoSecurity) {
      if (q.info_type == codec::kInfoSecurity) {
        // 3.3.5.20.3: BUFFER_TOO_SMALL with the needed size as a 4-byte error data.
        std::vector<std::uint8_t> need;
        ByteWriter nw(need);
        nw.u32(static_cast<std::uint32_t>(bytes.size()));
        codec::encode_error_response(b.w, need);
        rsp.set_body(b.buf);
        rsp.status = NtStatus::buffer_too_small;
        return;
      }
      return rsp.fail(NtStatus::info_length_mismatch);
    }
    bytes.resize(q.output_buffer_length);
    rsp.status = NtStatus::buffer_overflow;
  }
  codec::encode_query_info_response(b.w, 0, bytes);
  rsp.set_body(b.buf);
}

void Connection::on_set_info(Request& req, Response& rsp) {
  auto decoded = codec::decode_set_info_request(req.msg);
  if (!decoded) return rsp.fail(decoded.status());
  const auto& s = *decoded;
  auto open = find_open(req, s.file_id);
  if (!open) return rsp.fail(open.status());
  auto& o = **open;
  if (s.info_type == codec::kInfoSecurity) {
    // Security descriptors are not stored; accept the owner/DACL the client sets, as a share
    // without ACL support does, so copies that carry ACLs do not fail.
    if (req.tree->read_only) return rsp.fail(NtStatus::access_denied);
    Response::BodyBuilder b;
    codec::encode_set_info_response(b.w);
    rsp.set_body(b.buf);
    return;
  }
  if (s.info_type == codec::kInfoFilesystem || s.info_type == codec::kInfoQuota)
    return rsp.fail(NtStatus::not_supported);
  if (s.info_type != codec::kInfoFile) return rsp.fail(NtStatus::invalid_parameter);

  Vfs& vfs = *req.tree->share->vfs;
  std::unique_lock olk(o.mu);
  if (!o.file) return rsp.fail(NtStatus::file_closed);
  auto need = [&](std::uint32_t bits) { return (o.granted_access & bits) != 0; };
  bool data_changed = false;  // other clients' caches must go (break_caches_for_write)
  bool handles_affected = false;  // delete or rename: others' cached handles must go
  switch (s.file_info_class) {
    case fscc::kFileBasicInformation: {
      auto bi = fscc::decode_basic_info(s.buffer);
      if (!bi) return rsp.fail(bi.status());
      if (!need(kFileWriteAttributes)) return rsp.fail(NtStatus::access_denied);
      FileTimes t;
      if (bi->creation) t.creation = bi->creation;
      if (bi->last_access) t.last_access = bi->last_access;
      if (bi->last_write) t.last_write = bi->last_write;
      if (bi->change) t.change = bi->change;
      if (auto r = o.file->set_times(t); !r) return rsp.fail(r.status());
      if (bi->attributes != 0) {
        if (o.is_directory == false && (bi->attributes & kAttrDirectory)) return rsp.fail(NtStatus::invalid_parameter);
        if (auto r = o.file->set_attributes(bi->attributes & ~(kAttrDirectory | kAttrNormal)); !r)
          return rsp.fail(r.status());
      }
      break;
    }
    case fscc::kFileEndOfFileInformation:
    case fscc::kFileAllocationInformation: {
      auto v = fscc::decode_u64_info(s.buffer);
      if (!v) return rsp.fail(v.status());
      if (!need(kFileWriteData)) return rsp.fail(NtStatus::access_denied);
      if (o.is_directory) return rsp.fail(NtStatus::invalid_parameter);
      if (s.file_info_class == fscc::kFileEndOfFileInformation) {
        if (auto r = o.file->truncate(*v); !r) return rsp.fail(r.status());
      } else {
        // Allocation below EOF truncates (MS-FSA 2.1.5.14.2); above it is only a hint.
        auto info = o.file->stat();
        if (!info) return rsp.fail(info.status());
        if (*v < info->size) {
          if (auto r = o.file->truncate(*v); !r) return rsp.fail(r.status());
        }
      }
      data_changed = true;
      break;
    }
    case fscc::kFileDispositionInformation:
    case fscc::kFileDispositionInformationEx: {
      auto del = fscc::decode_disposition_info(s.buffer, s.file_info_class == fscc::kFileDispositionInformationEx);
      if (!del) return rsp.fail(del.status());
      if (!need(kDelete)) return rsp.fail(NtStatus::access_denied);
      if (*del) {
        auto info = o.file->stat();
        if (!info) return rsp.fail(info.status());
        if (info->attributes & kAttrReadonly) return rsp.fail(NtStatus::cannot_delete);
        if (o.is_directory) {
          auto entries = o.file->list();
          if (!entries) return rsp.fail(entries.status());
          if (!entries->empty()) return rsp.fail(NtStatus::directory_not_empty);
        }
        if (o.file_object && o.file_object->path.is_root()) return rsp.fail(NtStatus::cannot_delete);
      }
      if (o.file_object) {
        std::lock_guard tlk(server_->files.mutex());
        o.file_object->delete_pending = *del;
      }
      o.delete_on_close = false;  // the object's flag rules now
      handles_affected = *del;
      break;
    }
    case fscc::kFileRenameInformation:
    case fscc::kFileRenameInformationEx: {
      auto ri = fscc::decode_rename_info(s.buffer, s.file_info_class == fscc::kFileRenameInformationEx);
      if (!ri) return rsp.fail(ri.status());
      if (!need(kDelete)) return rsp.fail(NtStatus::access_denied);
      if (ri->root_directory != 0) return rsp.fail(NtStatus::invalid_parameter);
      std::string_view name = ri->file_name;
      while (!name.empty() && (name.front() == '\\' || name.front() == '/')) name.remove_prefix(1);
      auto to = SmbPath::parse(name);
      if (!to) return rsp.fail(to.status());
      if (to->is_root()) return rsp.fail(NtStatus::object_name_invalid);
      if (!o.file_object) return rsp.fail(NtStatus::file_closed);
      SmbPath from;
      {
        std::lock_guard tlk(server_->files.mutex());
        from = o.file_object->path;
      }
      if (from.is_root()) return rsp.fail(NtStatus::access_denied);
      // Windows refuses to rename a directory that has open files below it.
      if (o.is_directory && server_->files.has_open_below(&vfs, from)) return rsp.fail(NtStatus::access_denied);
      if (server_->files.parent_blocks_rename(&vfs, from.parent())) return rsp.fail(NtStatus::sharing_violation);
      if (auto r = vfs.rename(from, *to, ri->replace_if_exists); !r) return rsp.fail(r.status());
      server_->files.renamed(&vfs, from, *to);
      o.name = to->to_wire();
      handles_affected = true;
      break;
    }
    case fscc::kFilePositionInformation: {
      auto v = fscc::decode_u64_info(s.buffer);
      if (!v) return rsp.fail(v.status());
      o.position = *v;
      break;
    }
    case fscc::kFileModeInformation: {
      auto v = fscc::decode_mode_info(s.buffer);
      if (!v) return rsp.fail(v.status());
      // Only the documented bits (MS-FSCC 2.4.26).
      if (*v & ~0x0000103Eu) return rsp.fail(NtStatus::invalid_parameter);
      o.mode = *v;
      break;
    }
    case fscc::kFileValidDataLengthInformation:
    case fscc::kFileShortNameInformation:
      return rsp.fail(NtStatus::not_supported);
    default:
      return rsp.fail(NtStatus::invalid_info_class);
  }
  olk.unlock();
  if (data_changed) break_caches_for_write(o);
  if (handles_affected) break_cached_handles(o);
  Response::BodyBuilder b;
  codec::encode_set_info_response(b.w);
  rsp.set_body(b.buf);
}

}  // namespace smbsrv::engine
