// QUERY_DIRECTORY (MS-SMB2 3.3.5.18). The listing is taken once per enumeration (at the first
// call, RESTART_SCANS or REOPEN) and served from the open afterwards, so a large directory is not
// re-scanned per call. All of it is a job: listing a directory is backend I/O.
#include <map>

#include "codec/aapl.hpp"
#include "codec/access_mask.hpp"
#include "codec/fscc.hpp"
#include "engine/dispatch.hpp"
#include "engine/handlers/descriptor.hpp"

namespace smbsrv::engine::handlers {
namespace {

bool has_wildcard(std::string_view p) { return p.find_first_of("*?<>\"") != std::string_view::npos; }

struct Listing {
  codec::QueryDirectoryRequest q;
  std::shared_ptr<Open> open;
  nt::NtCore* nt = nullptr;
  std::optional<AccessToken> abe;  // access-based enumeration: the session's token
  // Apple's READ_DIR_ATTR (engine/apple.hpp): FileIdBothDirectoryInformation entries carry the
  // Finder's extras.
  bool read_dir_attr = false;
  bool zero_file_id = false;
  std::uint32_t max_access = 0;
  NtStatus status = NtStatus::success;
  std::vector<std::uint8_t> out;
};

/// Access-based enumeration: whether the user may see `name` in `dir`, that is, whether its stored
/// DACL grants FILE_GENERIC_READ (READ_CONTROL, FILE_READ_DATA, FILE_READ_ATTRIBUTES, FILE_READ_EA;
/// SYNCHRONIZE aside), as smbtorture smb2.acls.ACCESSBASED expects. Without a stored descriptor,
/// or when it cannot be read, the entry is shown: the share's access governs it.
bool visible(Vfs& vfs, const SmbPath& dir, const std::string& name, const AccessToken& token) {
  auto path = dir.child(name);
  if (!path) return true;
  auto opened = vfs.open(*path, OpenParams{});
  if (!opened) return true;
  auto sd = stored_security(*opened->file);
  if (!sd || !*sd) return true;
  constexpr std::uint32_t kNeed = access::kFileGenericRead & ~access::kSynchronize;
  return (granted_access(**sd, token) & kNeed) == kNeed;
}

/// The Finder's extras of entry `e` of `dir`: the resource fork's size and the FinderInfo, from
/// one listing of the entry's streams (and a read of AFP_AfpInfo when it has one).
codec::AaplDirExtras apple_extras(const Listing& s, const SmbPath& dir, const DirEntry& e) {
  codec::AaplDirExtras x;
  x.max_access = s.max_access;
  x.zero_file_id = s.zero_file_id;
  if (e.name == "." || e.name == "..") return x;
  auto path = dir.child(e.name);
  if (!path) return x;
  Vfs& vfs = *s.open->tree->share->vfs;
  auto opened = vfs.open(*path, OpenParams{});
  if (!opened) return x;
  auto streams = opened->file->list_streams();
  if (!streams) return x;
  for (const auto& st : *streams) {
    const AppleStream kind = apple_stream(st.name);
    if (kind == AppleStream::afp_resource && !e.info.is_directory) {
      x.resource_fork_size = st.size;
    } else if (kind == AppleStream::afp_info && !apple_stream_hidden(kind, st.size)) {
      OpenParams p;
      auto info = vfs.open_stream(*path, st.name, p);
      if (!info) continue;
      codec::AfpInfo blob{};
      if (auto n = info->file->read(0, blob); n && *n == blob.size())
        x.finder_info = codec::listing_finder_info(blob, e.info.is_directory);
    }
  }
  return x;
}

/// (Re)starts or refreshes the enumeration state of `h` (its mutex held).
NtStatus load_entries(Listing& s, OpenHandle& h) {
  const auto& q = s.q;
  Vfs& vfs = *s.open->tree->share->vfs;
  const bool restart = (q.flags & (codec::kRestartScans | codec::kReopen)) != 0;
  if (!h.enum_started || restart) {
    auto listed = h.file->list();
    if (!listed) return listed.status();
    auto self = h.file->stat();
    if (!self) return self.status();
    // "." and ".." first, as Windows and Samba report them (".." of the root is the root).
    FileInfo parent_info = *self;
    const SmbPath path = s.nt->path(s.open->nt);
    if (!path.is_root()) {
      OpenParams pp;
      pp.directory = true;
      if (auto parent = vfs.open(path.parent(), pp))
        if (auto pi = parent->file->stat()) parent_info = *pi;
    }
    h.enum_entries.clear();
    h.enum_entries.push_back({".", *self});
    h.enum_entries.push_back({"..", parent_info});
    for (auto& e : *listed)
      if (!s.abe || visible(vfs, path, e.name, *s.abe)) h.enum_entries.push_back(std::move(e));
    h.enum_pos = 0;
    h.enum_started = true;
    h.enum_pattern = q.file_name.empty() ? "*" : q.file_name;
    return NtStatus::success;
  }
  if (h.enum_pos >= h.enum_entries.size()) return NtStatus::success;
  // A continuation (a new pattern without RESTART keeps the position and the first pattern, as
  // Windows does). The rest of the listing must reflect the directory as it is now: entries
  // removed since the listing was taken (through another handle, say) are dropped, and the
  // information of the others is refreshed. Entries created since are not added.
  auto listed = h.file->list();
  if (!listed) return listed.status();
  std::map<std::string, FileInfo> now;
  for (auto& e : *listed) now.emplace(std::move(e.name), std::move(e.info));
  std::size_t keep = h.enum_pos;
  for (std::size_t i = h.enum_pos; i < h.enum_entries.size(); ++i) {
    auto& e = h.enum_entries[i];
    if (!(i < 2 && (e.name == "." || e.name == ".."))) {
      auto it = now.find(e.name);
      if (it == now.end()) continue;
      e.info = it->second;
    }
    if (keep != i) h.enum_entries[keep] = std::move(e);
    ++keep;
  }
  h.enum_entries.resize(keep);
  return NtStatus::success;
}

void run_listing(Listing& s) {
  const auto& q = s.q;
  OpenHandle& h = s.open->handle;
  std::lock_guard lk(h.mu);
  if (!h.file) {
    s.status = NtStatus::file_closed;
    return;
  }
  if (auto st = load_entries(s, h); st != NtStatus::success) {
    s.status = st;
    return;
  }
  if (q.flags & codec::kIndexSpecified) {
    // FileIndex is the one this server reported for an entry (its position in the listing): the
    // enumeration resumes after that entry.
    if (q.file_index < h.enum_entries.size()) h.enum_pos = std::size_t{q.file_index} + 1;
  }
  const bool case_sensitive = s.open->tree->share->vfs->case_sensitive();
  const SmbPath dir = s.read_dir_attr ? s.nt->path(s.open->nt) : SmbPath{};
  const bool first_call = h.enum_pos == 0;
  std::size_t prev = std::string::npos;
  std::size_t count = 0;
  const std::string& pattern = h.enum_pattern;
  const bool literal = !has_wildcard(pattern);
  while (h.enum_pos < h.enum_entries.size()) {
    const auto& e = h.enum_entries[h.enum_pos];
    if (!fscc::wildcard_match(pattern, e.name, case_sensitive)) {
      ++h.enum_pos;
      continue;
    }
    if (!fscc::append_dir_entry(q.file_information_class, e, static_cast<std::uint32_t>(h.enum_pos), s.out, prev,
                                q.output_buffer_length, s.open->tree->share->short_names)) {
      if (count == 0) {  // 3.3.5.18: not even one entry fits
        s.status = NtStatus::info_length_mismatch;
        return;
      }
      break;
    }
    if (s.read_dir_attr && q.file_information_class == fscc::kFileIdBothDirectoryInformation)
      codec::patch_id_both_entry(std::span<std::uint8_t>(s.out).subspan(prev), apple_extras(s, dir, e));
    ++h.enum_pos;
    ++count;
    if (q.flags & codec::kReturnSingleEntry) break;
    if (literal) {
      h.enum_pos = h.enum_entries.size();  // an exact name matches at most once
      break;
    }
  }
  if (count == 0) s.status = first_call ? NtStatus::no_such_file : NtStatus::no_more_files;
}

}  // namespace

void query_directory(Ctx& ctx, Request& req, Response& rsp) {
  auto decoded = codec::decode_query_directory_request(req.msg);
  if (!decoded) return rsp.fail(decoded.status());
  const auto& q = *decoded;
  auto open = ctx.find_open(req, q.file_id);
  if (!open) return rsp.fail(open.status());
  if (!(*open)->is_directory) return rsp.fail(NtStatus::invalid_parameter);
  if (!fscc::is_directory_class(q.file_information_class)) return rsp.fail(NtStatus::invalid_info_class);
  if (q.output_buffer_length == 0 || q.output_buffer_length > ctx.server.config.max_transact)
    return rsp.fail(NtStatus::invalid_parameter);
  if (q.file_name.find_first_of("\\/:") != std::string::npos) return rsp.fail(NtStatus::object_name_invalid);
  Listing listing{q, *open, &ctx.nt};
  if (const auto& share = (*open)->tree->share;
      share && enumerates_by_access(*share))
    listing.abe = session_token(ctx, *req.session);
  if (ctx.conn.aapl.read_dir_attr) {
    listing.read_dir_attr = true;
    listing.zero_file_id = ctx.server.config.aapl_zero_file_id;
    listing.max_access = (*open)->tree->maximal_access;
  }
  rsp.defer(make_job(std::move(listing), run_listing, [](Ctx&, Request&, Response& r, Listing& s) {
    if (s.status != NtStatus::success) return r.fail(s.status);
    Response::BodyBuilder b;
    codec::encode_query_directory_response(b.w, 0, s.out);
    r.set_body(b.buf);
  }));
}

}  // namespace smbsrv::engine::handlers
