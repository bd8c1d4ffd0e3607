// QUERY_DIRECTORY (MS-SMB2 3.3.5.18). The listing is taken once per enumeration (at the first
// call, RESTART_SCANS or REOPEN) and served from the Open afterwards, so a large directory is
// not re-scanned per call.
#include <algorithm>
#include <map>

#include "codec/fscc.hpp"
#include "engine/request.hpp"

namespace smbsrv::engine {
namespace {

bool has_wildcard(std::string_view p) {
  return p.find_first_of("*?<>\"") != std::string_view::npos;
}

}  // namespace

void Connection::on_query_directory(Request& req, Response& rsp) {
  auto decoded = codec::decode_query_directory_request(req.msg);
  if (!decoded) return rsp.fail(decoded.status());
  const auto& q = *decoded;
  auto open = find_open(req, q.file_id);
  if (!open) return rsp.fail(open.status());
  auto& o = **open;
  if (!o.is_directory) return rsp.fail(NtStatus::invalid_parameter);
  if (!fscc::is_directory_class(q.file_information_class)) return rsp.fail(NtStatus::invalid_info_class);
  if (q.output_buffer_length == 0 || q.output_buffer_length > server_->config.max_transact)
    return rsp.fail(NtStatus::invalid_parameter);
  if (q.file_name.find_first_of("\\/:") != std::string::npos) return rsp.fail(NtStatus::object_name_invalid);

  const bool case_sensitive = req.tree->share->vfs->case_sensitive();
  std::lock_guard olk(o.mu);
  if (!o.file) return rsp.fail(NtStatus::file_closed);
  const bool restart = (q.flags & (codec::kRestartScans | codec::kReopen)) != 0;
  if (!o.enum_started || restart || (!q.file_name.empty() && q.file_name != o.enum_pattern && !o.enum_started)) {
    auto listed = o.file->list();
    if (!listed) return rsp.fail(listed.status());
    auto self = o.file->stat();
    if (!self) return rsp.fail(self.status());
    // "." and ".." first, as Windows and Samba report them (".." of the root is the root).
    FileInfo parent_info = *self;
    if (o.file_object && !o.file_object->path.is_root()) {
      OpenParams pp;
      pp.directory = true;
      if (auto parent = req.tree->share->vfs->open(o.file_object->path.parent(), pp)) {
        if (auto pi = parent->file->stat()) parent_info = *pi;
      }
    }
    o.enum_entries.clear();
    o.enum_entries.push_back({".", *self});
    o.enum_entries.push_back({"..", parent_info});
    for (auto& e : *listed) o.enum_entries.push_back(std::move(e));
    o.enum_pos = 0;
    o.enum_started = true;
    o.enum_pattern = q.file_name.empty() ? "*" : q.file_name;
  } else if (o.enum_pos < o.enum_entries.size()) {
    // A continuation (a new pattern without RESTART keeps the position and the first pattern,
    // as Windows does). The rest of the listing must reflect the directory as it is now:
    // entries removed since the listing was taken (through another handle, say) are dropped,
    // and the information of the others is refreshed. Entries created since are not added.
    auto listed = o.file->list();
    if (!listed) return rsp.fail(listed.status());
    std::map<std::string, FileInfo> now;
    for (auto& e : *listed) now.emplace(std::move(e.name), std::move(e.info));
    std::size_t keep = o.enum_pos;
    for (std::size_t i = o.enum_pos; i < o.enum_entries.size(); ++i) {
      auto& e = o.enum_entries[i];
      if (!(i < 2 && (e.name == "." || e.name == ".."))) {
        auto it = now.find(e.name);
        if (it == now.end()) continue;
        e.info = it->second;
      }
      if (keep != i) o.enum_entries[keep] = std::move(e);
      ++keep;
    }
    o.enum_entries.resize(keep);
  }
  if (q.flags & codec::kIndexSpecified) {
    // FileIndex is the one this server reported for an entry (its position in the listing):
    // the enumeration resumes after that entry.
    if (q.file_index < o.enum_entries.size()) o.enum_pos = std::size_t{q.file_index} + 1;
  }

  const bool first_call = o.enum_pos == 0;
  std::vector<std::uint8_t> out;
  std::size_t prev = std::string::npos;
  std::size_t count = 0;
  const std::string& pattern = o.enum_pattern;
  const bool literal = !has_wildcard(pattern);
  while (o.enum_pos < o.enum_entries.size()) {
    const auto& e = o.enum_entries[o.enum_pos];
    if (!fscc::wildcard_match(pattern, e.name, case_sensitive)) {
      ++o.enum_pos;
      continue;
    }
    if (!fscc::append_dir_entry(q.file_information_class, e, static_cast<std::uint32_t>(o.enum_pos), out, prev,
                                q.output_buffer_length)) {
      if (count == 0) return rsp.fail(NtStatus::info_length_mismatch);  // 3.3.5.18: not even one fits
      break;
    }
    ++o.enum_pos;
    ++count;
    if (q.flags & codec::kReturnSingleEntry) break;
    if (literal) {
      o.enum_pos = o.enum_entries.size();  // an exact name matches at most once
      break;
    }
  }
  if (count == 0) return rsp.fail(first_call ? NtStatus::no_such_file : NtStatus::no_more_files);
  Response::BodyBuilder b;
  codec::encode_query_directory_response(b.w, 0, out);
  rsp.set_body(b.buf);
}

}  // namespace smbsrv::engine
