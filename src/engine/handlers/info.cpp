// QUERY_INFO and SET_INFO (MS-SMB2 3.3.5.20, 3.3.5.21; MS-FSA 2.1.5.11, 2.1.5.14). Name and
// deletion state come from the NT core; everything the backend holds is read or changed in a job.
#include <deque>

#include "codec/aapl.hpp"
#include "codec/access_mask.hpp"
#include "codec/fscc.hpp"
#include "codec/security_descriptor.hpp"
#include "codec/ea.hpp"
#include "engine/dispatch.hpp"
#include "engine/handlers/ea.hpp"
#include "engine/handlers/pipe.hpp"
#include "engine/handlers/descriptor.hpp"
#include "engine/notify.hpp"
#include "engine/rpc_directory.hpp"
#include "engine/sd_policy.hpp"
#include "engine/stream_name.hpp"
#include "util/upcase.hpp"

namespace smbsrv::engine::handlers {

codec::Sid session_owner_sid(const Ctx& ctx, const Session& session) {
  if (session.is_guest || session.is_anonymous || session.user.empty()) return codec::everyone_sid();
  codec::Sid user = ctx.server.machine_sid;
  user.sub_authorities.push_back(rid_of_account(session.user));
  return user;
}

AccessToken session_token(const Ctx& ctx, const Session& session) {
  AccessToken t;
  t.sids.push_back(session_owner_sid(ctx, session));
  if (session.is_guest || session.is_anonymous || session.user.empty()) {
    t.sids.push_back(builtin_guests_sid());
  } else {
    t.sids.push_back(codec::everyone_sid());
    t.sids.push_back(authenticated_users_sid());
    t.sids.push_back(builtin_users_sid());
  }
  return t;
}

namespace {

using namespace smbsrv::access;

/// The security descriptor this server reports when none is stored (MS-DTYP 2.4.6): the caller's
/// account as owner (its SID is what lsarpc's lookups return: smbcacls and the Security tab show
/// the name), Everyone (S-1-1-0) for a guest and as group, and a DACL that grants Everyone the
/// share's maximal access, for the parts AdditionalInformation selects.
codec::SecurityDescriptor synthesized_security(const Ctx& ctx, const Session& session, std::uint32_t additional,
                                               std::uint32_t access) {
  const codec::Sid everyone = codec::everyone_sid();
  codec::SecurityDescriptor sd;
  if (additional & codec::kOwnerSecurityInformation) sd.owner = session_owner_sid(ctx, session);
  if (additional & codec::kGroupSecurityInformation) sd.group = everyone;
  if (additional & codec::kDaclSecurityInformation) {
    sd.dacl = std::vector<codec::Ace>{{codec::kAccessAllowedAceType, 0, access, everyone}};
  }
  return sd;
}

std::vector<std::uint8_t> security_descriptor(const Ctx& ctx, const Session& session, std::uint32_t additional,
                                              std::uint32_t access) {
  return codec::encode_security_descriptor(synthesized_security(ctx, session, additional, access));
}

constexpr std::uint32_t kAllSecurityInformation = codec::kOwnerSecurityInformation |
                                                  codec::kGroupSecurityInformation |
                                                  codec::kDaclSecurityInformation | codec::kSaclSecurityInformation;

/// MS-FSA 2.1.5.13 / 2.1.5.16: the access a QUERY or SET of these parts needs on the handle.
bool security_access_ok(std::uint32_t granted, std::uint32_t additional, bool set) {
  const std::uint32_t owner_group = codec::kOwnerSecurityInformation | codec::kGroupSecurityInformation;
  if ((additional & codec::kSaclSecurityInformation) && !(granted & kAccessSystemSecurity)) return false;
  if (set) {
    if ((additional & owner_group) && !(granted & kWriteOwner)) return false;
    if ((additional & codec::kDaclSecurityInformation) && !(granted & kWriteDac)) return false;
    return true;
  }
  return !((additional & (owner_group | codec::kDaclSecurityInformation)) && !(granted & kReadControl));
}

/// The file itself behind an open, whose descriptor and stream list the open reads: the open's own
/// backend file, or for a stream open the file's (opened here into `holder`). Runs in a job with
/// the open's handle locked.
Result<VfsFile*> file_itself(Open& o, nt::NtCore& nt, std::unique_ptr<VfsFile>& holder) {
  if (!o.handle.file) return NtStatus::file_closed;
  if (o.stream.empty()) return o.handle.file.get();
  OpenParams p;
  p.disposition = CreateDisposition::open;
  auto base = o.tree->share->vfs->open(nt.path(o.nt), p);
  if (!base) return base.status();
  holder = std::move(base->file);
  return holder.get();
}

/// FileStreamInformation (MS-FSCC 2.4.44) lists the file's streams from any of its opens: a stream
/// open asks the file itself (and reports the file's unnamed stream, not its own size). Runs in a
/// job with the open's handle locked.
NtStatus list_streams(Open& o, nt::NtCore& nt, FileInfo& info, std::vector<StreamInfo>& out) {
  std::unique_ptr<VfsFile> holder;
  auto file = file_itself(o, nt, holder);
  if (!file) return file.status();
  if (holder) {  // a stream open: the file's own size and allocation
    auto st = holder->stat();
    if (!st) return st.status();
    info = *st;
  }
  auto l = (*file)->list_streams();
  if (!l) return l.status();
  out = std::move(*l);
  std::erase_if(out, [](const StreamInfo& s) { return apple_stream_hidden(apple_stream(s.name), s.size); });
  return NtStatus::success;
}

/// FileHardLinkInformation (MS-FSCC 2.4.16): the names of the file at `path` in the share, each as
/// its directory's FileId and its name. A file with more than one link has its other names found
/// by walking the share (the backend keeps no name index), visiting at most kMaxLinkScan entries;
/// past that, the names found so far. Runs in a job.
Result<std::vector<fscc::LinkEntry>> hard_links(Vfs& vfs, const SmbPath& path, const FileInfo& info) {
  constexpr std::size_t kMaxLinkScan = 100000;
  const auto dir_id = [&](const SmbPath& dir) -> std::uint64_t {
    OpenParams p;
    p.directory = true;
    auto d = vfs.open(dir, p);
    if (!d) return 0;
    auto st = d->file->stat();
    return st ? st->file_id : 0;
  };
  std::vector<fscc::LinkEntry> out;
  out.push_back({dir_id(path.is_root() ? path : path.parent()), std::string(path.is_root() ? "" : path.name())});
  if (info.is_directory || info.link_count <= 1 || path.is_root()) return out;
  const auto same_path = [&](const SmbPath& a, const SmbPath& b) {
    const auto& x = a.components();
    const auto& y = b.components();
    return std::equal(x.begin(), x.end(), y.begin(), y.end(), [&](const std::string& m, const std::string& n) {
      return vfs.case_sensitive() ? m == n : iequal_names(m, n);
    });
  };
  std::deque<SmbPath> todo{SmbPath{}};
  std::size_t seen = 0;
  while (!todo.empty() && out.size() < info.link_count && seen < kMaxLinkScan) {
    const SmbPath dir = std::move(todo.front());
    todo.pop_front();
    OpenParams p;
    p.directory = true;
    auto d = vfs.open(dir, p);
    if (!d) continue;  // gone meanwhile, or not for us
    auto st = d->file->stat();
    auto listed = d->file->list();
    if (!st || !listed) continue;
    for (auto& e : *listed) {
      if (++seen > kMaxLinkScan) break;
      auto child = dir.child(e.name);
      if (!child) continue;
      if (e.info.is_directory) {
        todo.push_back(std::move(*child));
      } else if (e.info.file_id == info.file_id && !same_path(*child, path)) {
        out.push_back({st->file_id, std::move(e.name)});
      }
    }
  }
  return out;
}

/// Answers with `bytes`, cut to the client's buffer where the class allows it (3.3.5.20.1).
void answer(Response& rsp, const codec::QueryInfoRequest& q, std::vector<std::uint8_t> bytes, std::size_t fixed,
            std::size_t min) {
  if (q.output_buffer_length < min) return rsp.fail(NtStatus::info_length_mismatch);
  Response::BodyBuilder b;
  if (bytes.size() > q.output_buffer_length) {
    if (q.info_type == codec::kInfoSecurity) {
      // 3.3.5.20.3: BUFFER_TOO_SMALL, telling the size needed.
      codec::encode_buffer_too_small_response(b.w, static_cast<std::uint32_t>(bytes.size()));
      rsp.set_body(b.buf);
      rsp.status = NtStatus::buffer_too_small;
      return;
    }
    // Fixed-size classes that do not fit fail; variable ones return what fits.
    if (fixed != 0) return rsp.fail(NtStatus::info_length_mismatch);
    bytes.resize(q.output_buffer_length);
    rsp.status = NtStatus::buffer_overflow;
  }
  codec::encode_query_info_response(b.w, 0, bytes);
  rsp.set_body(b.buf);
}

}  // namespace

void query_info(Ctx& ctx, Request& req, Response& rsp) {
  auto decoded = codec::decode_query_info_request(req.msg);
  if (!decoded) return rsp.fail(decoded.status());
  const auto& q = *decoded;
  if (q.output_buffer_length > ctx.server.config.max_transact) return rsp.fail(NtStatus::invalid_parameter);
  auto open = ctx.find_open(req, q.file_id);
  if (!open) return rsp.fail(open.status());
  if ((*open)->pipe) {
    auto info = pipe_query_info(**open, q);
    if (!info) return rsp.fail(info.status());
    return answer(rsp, q, std::move(info->bytes), info->fixed, info->min);
  }
  // MS-FSA 2.1.5.12: the classes that report attributes and times need FILE_READ_ATTRIBUTES on
  // the handle (smbtorture smb2.streams.attributes, smb2.getinfo.getinfo_access).
  if (q.info_type == codec::kInfoFile && !((*open)->granted_access & kFileReadAttributes)) {
    switch (q.file_info_class) {
      case fscc::kFileBasicInformation:
      case fscc::kFileAllInformation:
      case fscc::kFileNetworkOpenInformation:
      case fscc::kFileAttributeTagInformation: return rsp.fail(NtStatus::access_denied);
      default: break;
    }
  }
  struct Query {
    codec::QueryInfoRequest q;
    std::shared_ptr<Open> open;
    nt::NtCore* nt;
    bool zero_file_id = false;  // ServerConfig::aapl_zero_file_id on an AAPL connection
    Result<std::vector<std::uint8_t>> data = NtStatus::file_closed;
    bool overflow = false;  // FileHardLinkInformation: not every name fit
  };
  if (q.info_type == codec::kInfoFile && q.file_info_class == fscc::kFileFullEaInformation) {
    struct EaQuery {
      codec::QueryInfoRequest q;
      std::shared_ptr<Open> open;
      EaQueryAnswer answer;
    };
    return rsp.defer(make_job(
        EaQuery{q, *open, {}},
        [](EaQuery& s) {
          std::lock_guard lk(s.open->handle.mu);
          s.answer = query_full_ea(*s.open, s.q);
        },
        [](Ctx&, Request&, Response& r, EaQuery& s) {
          if (s.answer.status != NtStatus::success && s.answer.status != NtStatus::buffer_overflow)
            return r.fail(s.answer.status);
          Response::BodyBuilder b;
          codec::encode_query_info_response(b.w, 0, s.answer.bytes);
          r.set_body(b.buf);
          r.status = s.answer.status;
        }));
  }
  // MS-SMB2 3.3.5.20.1: FileNormalizedNameInformation is a 3.1.1 class.
  if (q.info_type == codec::kInfoFile && q.file_info_class == fscc::kFileNormalizedNameInformation &&
      ctx.conn.dialect < Dialect::smb3_1_1)
    return rsp.fail(NtStatus::not_supported);
  switch (q.info_type) {
    case codec::kInfoFile:
      return rsp.defer(make_job(
          Query{q, *open, &ctx.nt, ctx.conn.aapl.negotiated && ctx.server.config.aapl_zero_file_id},
          [](Query& s) {
            OpenHandle& h = s.open->handle;
            std::lock_guard lk(h.mu);
            if (!h.file) return;
            auto info = h.file->stat();
            if (!info) {
              s.data = info.status();
              return;
            }
            if (s.zero_file_id) info->file_id = 0;
            if (s.open->apple == AppleStream::afp_info) info->size = codec::kAfpInfoSize;  // as it reads
            fscc::OpenContext oc;
            const SmbPath path = s.nt->path(s.open->nt);
            oc.name = path.to_wire();
            if (!s.open->stream.empty()) {
              // As NTFS names a stream open. FileNormalizedNameInformation gives the stream's
              // name as created, whatever case this open used (smbtorture smb2.getinfo.normalized).
              std::string stream = s.open->stream;
              if (s.q.file_info_class == fscc::kFileNormalizedNameInformation) {
                Vfs& vfs = *s.open->tree->share->vfs;
                std::vector<StreamInfo> named;
                FileInfo ignored = *info;
                if (list_streams(*s.open, *s.nt, ignored, named) == NtStatus::success)
                  for (const auto& n : named)
                    if (stream_key(vfs, n.name) == stream_key(vfs, stream)) stream = n.name;
              }
              oc.name += ":" + stream;
            }
            oc.delete_pending = s.nt->delete_pending(s.open->nt);
            oc.access_mask = s.open->granted_access;
            oc.position = h.position;
            oc.mode = h.mode;
            if (s.q.file_info_class == fscc::kFileEaInformation || s.q.file_info_class == fscc::kFileAllInformation)
              oc.ea_size = ea_size_of(*h.file);
            if (s.q.file_info_class == fscc::kFileStreamInformation) {
              if (auto st = list_streams(*s.open, *s.nt, *info, oc.streams); st != NtStatus::success) {
                s.data = st;
                return;
              }
            }
            if (s.q.file_info_class == fscc::kFileHardLinkInformation) {
              auto links = hard_links(*s.open->tree->share->vfs, path, *info);
              if (!links) {
                s.data = links.status();
                return;
              }
              s.data = fscc::encode_links_information(*links, s.q.output_buffer_length, s.overflow);
              return;
            }
            s.data = fscc::encode_file_info(s.q.file_info_class, *info, oc);
          },
          [](Ctx&, Request&, Response& r, Query& s) {
            if (!s.data) return r.fail(s.data.status());
            answer(r, s.q, std::move(*s.data), fscc::fixed_file_info_size(s.q.file_info_class),
                   fscc::min_file_info_buffer(s.q.file_info_class));
            if (s.overflow && r.status == NtStatus::success) r.status = NtStatus::buffer_overflow;
          }));
    case codec::kInfoFilesystem:
      return rsp.defer(make_job(
          Query{q, *open, &ctx.nt},
          [](Query& s) {
            auto fs = s.open->tree->share->vfs->fs_info();
            if (!fs) {
              s.data = fs.status();
              return;
            }
            fs->named_streams = fs->named_streams && s.open->tree->share->named_streams;
            // FILE_PERSISTENT_ACLS only where descriptors are stored.
            if (s.open->tree->share->acl_mode != Share::AclMode::nt) fs->persistent_acls = false;
            s.data = fscc::encode_fs_info(s.q.file_info_class, *fs);
          },
          [](Ctx&, Request&, Response& r, Query& s) {
            if (!s.data) return r.fail(s.data.status());
            answer(r, s.q, std::move(*s.data), fscc::fixed_fs_info_size(s.q.file_info_class),
                   fscc::min_fs_info_buffer(s.q.file_info_class));
          }));
    case codec::kInfoSecurity: {
      // The handle's access decides, whether descriptors are stored or made up (smbtorture
      // smb2.getinfo.getinfo_access: a SYNCHRONIZE-only handle may not read the DACL).
      if (!security_access_ok((*open)->granted_access, q.additional_information, false))
        return rsp.fail(NtStatus::access_denied);
      if (!req.tree->share || req.tree->share->acl_mode != Share::AclMode::nt)
        return answer(rsp, q, security_descriptor(ctx, *req.session, q.additional_information, req.tree->maximal_access),
                      0, 0);
      // The stored descriptor's selected parts; the synthesized one while none is stored.
      struct SdQuery {
        Query query;
        codec::SecurityDescriptor synthesized;
      };
      return rsp.defer(make_job(
          SdQuery{Query{q, *open, &ctx.nt},
                  synthesized_security(ctx, *req.session, kAllSecurityInformation, req.tree->maximal_access)},
          [](SdQuery& s) {
            Open& o = *s.query.open;
            std::lock_guard lk(o.handle.mu);
            std::unique_ptr<VfsFile> holder;
            auto file = file_itself(o, *s.query.nt, holder);
            if (!file) {
              s.query.data = file.status();
              return;
            }
            auto stored = stored_security(**file);
            if (!stored) {
              s.query.data = stored.status();
              return;
            }
            const auto& sd = *stored ? **stored : s.synthesized;
            s.query.data = codec::encode_security_descriptor(select_security(sd, s.query.q.additional_information));
          },
          [](Ctx&, Request&, Response& r, SdQuery& s) {
            if (!s.query.data) return r.fail(s.query.data.status());
            answer(r, s.query.q, std::move(*s.query.data), 0, 0);
          }));
    }
    case codec::kInfoQuota:
      return rsp.fail(NtStatus::not_supported);
    default:
      return rsp.fail(NtStatus::invalid_parameter);
  }
}

namespace {

/// The new name of a rename or hard link: share-relative, not the root, and a valid Windows name
/// where the share asks for them.
Result<SmbPath> target_path(const Open& o, std::string_view name) {
  while (!name.empty() && (name.front() == '\\' || name.front() == '/')) name.remove_prefix(1);
  auto to = SmbPath::parse(name);
  if (!to) return to.status();
  if (to->is_root()) return NtStatus::object_name_invalid;
  if (o.tree->share->windows_names)
    if (auto ok = check_win32_names(*to); !ok) return ok.status();
  return to;
}

/// A named stream renamed to the file's unnamed data stream ("::$DATA"): its data becomes the
/// file's, which must be empty unless the rename may replace (Windows; smbtorture
/// smb2.streams.rename2), and the handle goes on as a handle of the file. Handle locked.
NtStatus stream_to_default(nt::NtCore& nt, Open& o, bool replace) {
  Vfs& vfs = *o.tree->share->vfs;
  const SmbPath path = nt.path(o.nt);
  OpenParams p;
  p.write = true;
  p.non_directory = true;
  p.disposition = CreateDisposition::open;
  auto base = vfs.open(path, p);
  if (!base) return base.status();
  auto bi = base->file->stat();
  if (!bi) return bi.status();
  if (bi->size != 0 && !replace) return NtStatus::object_name_collision;
  if (!nt.rename_stream(o.nt, {}, {})) return NtStatus::sharing_violation;  // the file has opens
  const auto back = [&](NtStatus st) {
    (void)nt.rename_stream(o.nt, stream_key(vfs, o.stream), o.stream);
    return st;
  };
  if (auto t = base->file->truncate(0); !t) return back(t.status());
  std::vector<std::uint8_t> buf(64 * 1024);
  for (std::uint64_t off = 0;;) {
    auto n = o.handle.file->read(off, buf);
    if (!n) return back(n.status());
    if (*n == 0) break;
    auto w = base->file->write(off, std::span(buf.data(), *n));
    if (!w) return back(w.status());
    off += *n;
  }
  if (auto r = vfs.remove_stream(path, o.stream); !r) return back(r.status());
  o.handle.file = std::move(base->file);
  o.stream.clear();
  return NtStatus::success;
}

/// A rename of a named stream to ":new[:$DATA]" (MS-FSA 2.1.5.15.11: a stream keeps its file;
/// only a named stream is renamed, to another named stream of the same file or to its unnamed
/// data stream).
NtStatus rename_stream(nt::NtCore& nt, Open& o, std::string_view name, bool replace) {
  if (name.empty()) return NtStatus::invalid_parameter;
  auto split = split_stream_name(name);
  if (!split) return split.status();
  // "file:stream" names a stream by its file's path: Windows refuses it as the rename of an open
  // file onto a name in use (smbtorture smb2.streams.rename2); a plain file name is no stream.
  if (!split->file.empty())
    return o.stream.empty() || split->kind == StreamName::Kind::none ? NtStatus::invalid_parameter
                                                                    : NtStatus::sharing_violation;
  if (o.stream.empty()) return NtStatus::invalid_parameter;
  if (split->kind == StreamName::Kind::default_data) return stream_to_default(nt, o, replace);
  if (split->kind != StreamName::Kind::named) return NtStatus::invalid_parameter;
  Vfs& vfs = *o.tree->share->vfs;
  if (!nt.rename_stream(o.nt, stream_key(vfs, split->stream), split->stream)) return NtStatus::sharing_violation;
  const SmbPath path = nt.path(o.nt);
  if (auto r = vfs.rename_stream(path, o.stream, split->stream, replace); !r) {
    (void)nt.rename_stream(o.nt, stream_key(vfs, o.stream), o.stream);  // back to the old key
    return r.status();
  }
  report_stream(nt, &vfs, path, o.stream, codec::kActionRemovedStream);
  report_stream(nt, &vfs, path, split->stream, codec::kActionAddedStream);
  o.stream = split->stream;
  return NtStatus::success;
}

/// The blocking part of a SET_INFO on a file: the backend change and the NT core's state.
NtStatus set_file_info(nt::NtCore& nt, Open& o, const codec::SetInfoRequest& s, bool aapl, bool& data_changed,
                       bool& handles_affected) {
  OpenHandle& h = o.handle;
  std::lock_guard lk(h.mu);
  if (!h.file) return NtStatus::file_closed;
  Vfs& vfs = *o.tree->share->vfs;
  auto need = [&](std::uint32_t bits) { return (o.granted_access & bits) != 0; };
  switch (s.file_info_class) {
    case fscc::kFileBasicInformation: {
      auto bi = fscc::decode_basic_info(s.buffer);
      if (!bi) return bi.status();
      if (!need(kFileWriteAttributes)) return NtStatus::access_denied;
      // FileAttributes 0 leaves them unchanged; NORMAL alone clears them (MS-FSCC 2.4.7). They
      // go first: a backend may stamp ChangeTime when they change, and a ChangeTime set in the
      // same request must win.
      if (bi->attributes != 0) {
        if (!o.is_directory && (bi->attributes & kAttrDirectory)) return NtStatus::invalid_parameter;
        // MS-FSA 2.1.5.14.2: a directory cannot be TEMPORARY (smbtorture smb2.create.dosattr_tmp_dir).
        if (o.is_directory && (bi->attributes & kAttrTemporary)) return NtStatus::invalid_parameter;
        if (auto r = h.file->set_attributes(bi->attributes & kAttrSettable); !r) return r.status();
      }
      FileTimes t;
      if (bi->creation) t.creation = bi->creation;
      if (bi->last_access) t.last_access = bi->last_access;
      if (bi->last_write) t.last_write = bi->last_write;
      if (bi->change) t.change = bi->change;
      if (auto r = h.file->set_times(t); !r) return r.status();
      // MODIFIED for watchers of what changed (MS-FSA 2.1.5.14.2 reports the filter bits of the
      // fields set).
      std::uint32_t changed = 0;
      if (bi->attributes != 0) changed |= codec::kNotifyAttributes;
      if (bi->creation) changed |= codec::kNotifyCreation;
      if (bi->last_access) changed |= codec::kNotifyLastAccess;
      if (bi->last_write) changed |= codec::kNotifyLastWrite;
      if (changed) nt.report_of(o.nt, codec::kActionModified, changed);
      return NtStatus::success;
    }
    case fscc::kFileEndOfFileInformation:
    case fscc::kFileAllocationInformation: {
      auto v = fscc::decode_u64_info(s.buffer);
      if (!v) return v.status();
      if (!need(kFileWriteData)) return NtStatus::access_denied;
      if (o.is_directory) return NtStatus::invalid_parameter;
      if (s.file_info_class == fscc::kFileEndOfFileInformation && o.apple == AppleStream::afp_info) {
        // The FinderInfo blob is 60 bytes: it cannot grow, and a smaller end of file changes
        // nothing (macOS; engine/apple.hpp).
        return *v > codec::kAfpInfoSize ? NtStatus::allotted_space_exceeded : NtStatus::success;
      }
      if (s.file_info_class == fscc::kFileEndOfFileInformation && *v == 0 && !o.stream.empty() &&
          (aapl || o.apple == AppleStream::afp_resource)) {
        // macOS: a named stream truncated to nothing is deleted; the handle stays open.
        if (auto r = h.file->truncate(0); !r) return r.status();
        const SmbPath path = nt.path(o.nt);
        if (auto r = vfs.remove_stream(path, o.stream); !r && r.status() != NtStatus::object_name_not_found)
          return r.status();
        report_stream(nt, &vfs, path, o.stream, codec::kActionRemovedStream);
        data_changed = true;
        return NtStatus::success;
      }
      if (s.file_info_class == fscc::kFileEndOfFileInformation) {
        if (auto r = h.file->truncate(*v); !r) return r.status();
      } else {
        // Allocation below EOF truncates (MS-FSA 2.1.5.15.1); above it reserves room, where the
        // backend can.
        auto info = h.file->stat();
        if (!info) return info.status();
        if (*v < info->size) {
          if (auto r = h.file->truncate(*v); !r) return r.status();
        } else if (auto r = h.file->set_allocation(*v); !r) {
          return r.status();
        }
      }
      data_changed = true;
      nt.report_of(o.nt, codec::kActionModified,
                   s.file_info_class == fscc::kFileEndOfFileInformation ? codec::kNotifySize | codec::kNotifyLastWrite
                                                                        : codec::kNotifySize);
      return NtStatus::success;
    }
    case fscc::kFileDispositionInformation:
    case fscc::kFileDispositionInformationEx: {
      auto del = fscc::decode_disposition_info(s.buffer, s.file_info_class == fscc::kFileDispositionInformationEx);
      if (!del) return del.status();
      if (!need(kDelete)) return NtStatus::access_denied;
      if (*del) {
        auto info = h.file->stat();
        if (!info) return info.status();
        if (info->attributes & kAttrReadonly) return NtStatus::cannot_delete;
        if (o.is_directory) {
          auto entries = h.file->list();
          if (!entries) return entries.status();
          if (!entries->empty()) return NtStatus::directory_not_empty;
        }
        if (nt.path(o.nt).is_root()) return NtStatus::cannot_delete;
      }
      nt.set_delete_pending(o.nt, *del);
      handles_affected = *del;
      return NtStatus::success;
    }
    case fscc::kFileRenameInformation:
    case fscc::kFileRenameInformationEx: {
      auto ri = fscc::decode_rename_info(s.buffer, s.file_info_class == fscc::kFileRenameInformationEx);
      if (!ri) return ri.status();
      if (!need(kDelete)) return NtStatus::access_denied;
      if (ri->root_directory != 0) return NtStatus::invalid_parameter;
      if (!o.stream.empty() || (!ri->file_name.empty() && ri->file_name.front() == ':')) {
        if (auto st = rename_stream(nt, o, ri->file_name, ri->replace_if_exists); st != NtStatus::success) return st;
        handles_affected = true;
        return NtStatus::success;
      }
      auto to = target_path(o, ri->file_name);
      if (!to) return to.status();
      if (auto r = nt.check_rename(o.nt, aapl); !r) return r.status();
      const SmbPath from = nt.path(o.nt);
      if (auto r = vfs.rename(from, *to, ri->replace_if_exists); !r) return r.status();
      nt.renamed(o.nt, from, *to);
      report_rename(nt, &vfs, from, *to, o.is_directory);
      handles_affected = true;
      return NtStatus::success;
    }
    case fscc::kFileLinkInformation: {
      // MS-FSA 2.1.5.15.6. No access on the handle is needed: the link is a new name in the
      // target directory.
      auto li = fscc::decode_rename_info(s.buffer, false);
      if (!li) return li.status();
      if (o.is_directory) return NtStatus::file_is_a_directory;
      if (li->root_directory != 0) return NtStatus::invalid_parameter;
      auto fs = vfs.fs_info();
      if (!fs) return fs.status();
      if (!fs->hard_links) return NtStatus::not_supported;
      if (o.tree->read_only) return NtStatus::access_denied;
      if (nt.delete_pending(o.nt)) return NtStatus::access_denied;  // Open.Link.IsDeleted
      auto to = target_path(o, li->file_name);
      if (!to) return to.status();
      if (li->replace_if_exists) {
        // A name being replaced must not belong to an open file, a read-only file or a directory.
        OpenParams pp;
        if (auto t = vfs.open(*to, pp)) {
          auto ti = t->file->stat();
          if (!ti) return ti.status();
          auto self = h.file->stat();
          if (!self) return self.status();
          if (ti->is_directory) return NtStatus::access_denied;
          if (ti->file_id != self->file_id &&
              ((ti->attributes & kAttrReadonly) || nt.in_use({&vfs, ti->file_id})))
            return NtStatus::access_denied;
        }
      }
      if (auto r = vfs.link(nt.path(o.nt), *to, li->replace_if_exists); !r) return r.status();
      report_name(nt, &vfs, *to, codec::kActionAdded, false);
      return NtStatus::success;
    }
    case fscc::kFileFullEaInformation: {
      // MS-FSA 2.1.5.15.5. Access first (the handle is checked before the buffer is looked at),
      // then the whole list is validated before anything changes.
      if (!need(kFileWriteEa)) return NtStatus::access_denied;
      auto eas = codec::decode_full_ea_list(s.buffer);
      if (!eas) return eas.status();
      auto fs = vfs.fs_info();
      if (!fs) return fs.status();
      if (!fs->extended_attributes) return NtStatus::eas_not_supported;
      return apply_eas(*h.file, *eas, false);
    }
    case fscc::kFilePositionInformation: {
      auto v = fscc::decode_u64_info(s.buffer);
      if (!v) return v.status();
      h.position = *v;
      return NtStatus::success;
    }
    case fscc::kFileModeInformation: {
      auto v = fscc::decode_mode_info(s.buffer);
      if (!v) return v.status();
      if (*v & ~0x0000103Eu) return NtStatus::invalid_parameter;  // only the bits of MS-FSCC 2.4.26
      h.mode = *v;
      return NtStatus::success;
    }
    case fscc::kFileValidDataLengthInformation:
    case fscc::kFileShortNameInformation:
      return NtStatus::not_supported;
    default:
      return NtStatus::invalid_info_class;
  }
}

void set_info_done(Response& rsp) {
  Response::BodyBuilder b;
  codec::encode_set_info_response(b.w);
  rsp.set_body(b.buf);
}

/// SET_INFO SMB2_0_INFO_SECURITY on a share in AclMode::nt (MS-FSA 2.1.5.16): the parts
/// AdditionalInformation selects replace the stored ones (the synthesized descriptor stands in
/// while none is stored). The descriptor is decoded here; a bad one stores nothing.
void set_stored_security(Ctx& ctx, Request& req, Response& rsp, const codec::SetInfoRequest& s,
                         const std::shared_ptr<Open>& open) {
  if (!security_access_ok(open->granted_access, s.additional_information, true))
    return rsp.fail(NtStatus::access_denied);
  auto in = codec::decode_security_descriptor(s.buffer);
  if (!in) return rsp.fail(in.status());
  struct SdSet {
    std::shared_ptr<Open> open;
    nt::NtCore* nt;
    codec::SecurityDescriptor in;
    std::uint32_t additional;
    codec::SecurityDescriptor synthesized;
    NtStatus status = NtStatus::success;
  };
  rsp.defer(make_job(
      SdSet{open, &ctx.nt, std::move(*in), s.additional_information,
            synthesized_security(ctx, *req.session, kAllSecurityInformation, req.tree->maximal_access)},
      [](SdSet& st) {
        Open& o = *st.open;
        std::lock_guard lk(o.handle.mu);
        std::unique_ptr<VfsFile> holder;
        auto file = file_itself(o, *st.nt, holder);
        if (!file) {
          st.status = file.status();
          return;
        }
        auto stored = stored_security(**file);
        if (!stored) {
          st.status = stored.status();
          return;
        }
        const auto merged = merge_security(*stored ? **stored : st.synthesized, st.in, st.additional);
        if (auto r = (*file)->set_security(codec::encode_security_descriptor(merged)); !r) {
          st.status = r.status();
          return;
        }
        if (o.nt) st.nt->report_of(o.nt, codec::kActionModified, codec::kNotifySecurity);
      },
      [](Ctx&, Request&, Response& r, SdSet& st) {
        if (st.status != NtStatus::success) return r.fail(st.status);
        set_info_done(r);
      }));
}

}  // namespace

void set_info(Ctx& ctx, Request& req, Response& rsp) {
  auto decoded = codec::decode_set_info_request(req.msg);
  if (!decoded) return rsp.fail(decoded.status());
  const auto& s = *decoded;
  auto open = ctx.find_open(req, s.file_id);
  if (!open) return rsp.fail(open.status());
  if ((*open)->pipe) {
    if (auto st = pipe_set_info(s); st != NtStatus::success) return rsp.fail(st);
    return set_info_done(rsp);
  }
  if (s.info_type == codec::kInfoSecurity) {
    if (req.tree->read_only) return rsp.fail(NtStatus::access_denied);
    if (req.tree->share && req.tree->share->acl_mode == Share::AclMode::nt)
      return set_stored_security(ctx, req, rsp, s, *open);
    // AclMode::none: descriptors are not stored; accept the owner/DACL the client sets, as a
    // share without ACL support does, so copies that carry ACLs do not fail (given the access
    // such a SET needs on the handle).
    if (!security_access_ok((*open)->granted_access, s.additional_information, true))
      return rsp.fail(NtStatus::access_denied);
    if ((*open)->nt) ctx.nt.report_of((*open)->nt, codec::kActionModified, codec::kNotifySecurity);
    return set_info_done(rsp);
  }
  if (s.info_type == codec::kInfoFilesystem || s.info_type == codec::kInfoQuota)
    return rsp.fail(NtStatus::not_supported);
  if (s.info_type != codec::kInfoFile) return rsp.fail(NtStatus::invalid_parameter);
  if (s.file_info_class == fscc::kFileFullEaInformation && s.buffer.size() > ctx.server.config.max_ea_list_size)
    return rsp.fail(NtStatus::ea_too_large);
  struct Setting {
    codec::SetInfoRequest s;
    std::shared_ptr<Open> open;
    nt::NtCore* nt;
    bool aapl = false;  // the connection negotiated Apple's extensions
    NtStatus status = NtStatus::success;
  };
  // A rename first breaks the handle caching of the file's other opens, here on the executor
  // (the core does no backend I/O), so that the breaks go out before the answers of requests
  // the client sent after it (smbtorture smb2.lease.rename_wait). It is then held while the
  // breaks await acknowledgment (MS-FSA 2.1.5.15.11): it answers STATUS_PENDING and runs again
  // once they are over. Only the last request of a chain can wait; one inside a compound carries
  // on once the breaks are sent.
  const bool rename = s.file_info_class == fscc::kFileRenameInformation ||
                      s.file_info_class == fscc::kFileRenameInformationEx;
  if (rename && ((*open)->granted_access & kDelete)) {
    std::optional<nt::NtCore::LockWait> wait;
    if (req.may_go_async) {
      const std::uint64_t token = req.async_id ? *req.async_id : ctx.conn.next_async_id++;
      ctx.conn.core_waits_in_flight[token] = false;
      req.core_wait_token = token;
      wait = nt::NtCore::LockWait{ctx.owner, token};
    }
    if (ctx.nt.break_for_rename((*open)->nt, wait)) return rsp.go_async(*req.core_wait_token, true, (*open)->file_id);
  }
  rsp.defer(make_job(
      Setting{s, *open, &ctx.nt, ctx.conn.aapl.negotiated},
      [](Setting& st) {
        bool data_changed = false;      // other clients' caches of the data must go
        bool handles_affected = false;  // delete or rename: others' cached handles must go
        st.status = set_file_info(*st.nt, *st.open, st.s, st.aapl, data_changed, handles_affected);
        if (data_changed) st.nt->data_changed(st.open->nt);
        if (handles_affected) st.nt->handles_affected(st.open->nt);
      },
      [](Ctx&, Request&, Response& r, Setting& st) {
        if (st.status != NtStatus::success) return r.fail(st.status);
        set_info_done(r);
      }));
}

}  // namespace smbsrv::engine::handlers
