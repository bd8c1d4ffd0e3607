// Named pipes on IPC$ (see pipe.hpp). Services run here, on the connection's executor: they are
// in-memory state machines (DCE/RPC), and the PipeInstance contract forbids blocking.
#include "engine/handlers/pipe.hpp"

#include <algorithm>

#include "codec/access_mask.hpp"
#include "codec/fscc.hpp"
#include "codec/pipe.hpp"
#include "engine/async.hpp"
#include "engine/dispatch.hpp"
#include "log.hpp"
#include "util/upcase.hpp"

namespace smbsrv::engine::handlers {
namespace {

using namespace smbsrv::access;
using codec::Command;

/// What a pipe reports as its quotas and AllocationSize (Windows reports 4096 for srvsvc).
constexpr std::uint32_t kPipeQuota = 4096;

/// The pipe's name without a "\PIPE\" or "PIPE\" prefix (clients send "srvsvc"; some add it).
std::string_view pipe_name(std::string_view n) {
  if (!n.empty() && n.front() == '\\') n.remove_prefix(1);
  if (n.size() >= 5 && iequal_names(n.substr(0, 5), "PIPE\\")) n.remove_prefix(5);
  return n;
}

/// Up to `max` bytes of the next message; `more` when that message has bytes left after them.
std::vector<std::uint8_t> take(PipeOpen& p, std::size_t max, bool& more) {
  more = false;
  if (p.unread.empty()) return {};
  const auto& m = p.unread.front();
  const std::size_t n = std::min(max, m.size() - p.front_read);
  std::vector<std::uint8_t> out(m.begin() + static_cast<std::ptrdiff_t>(p.front_read),
                                m.begin() + static_cast<std::ptrdiff_t>(p.front_read + n));
  p.front_read += n;
  p.unread_bytes -= n;
  if (p.front_read == m.size()) {
    p.unread.pop_front();
    p.front_read = 0;
  } else {
    more = true;
  }
  return out;
}

void read_answer(Response& rsp, const std::vector<std::uint8_t>& data, bool more) {
  Response::BodyBuilder b;
  codec::encode_read_response(b.w, data);
  rsp.set_body(b.buf);
  if (more) rsp.status = NtStatus::buffer_overflow;  // message mode: the rest comes on the next READ
}

void ioctl_answer(Response& rsp, std::uint32_t ctl_code, const codec::FileId& fid, std::vector<std::uint8_t> data,
                  bool more) {
  codec::IoctlResponse out;
  out.ctl_code = ctl_code;
  out.file_id = fid;
  out.output = std::move(data);
  Response::BodyBuilder b;
  codec::encode_ioctl_response(b.w, 0, out);
  rsp.set_body(b.buf);
  if (more) rsp.status = NtStatus::buffer_overflow;
}

/// READs and transceives pending on the open (AsyncId order: first come, first served) get the
/// data that has arrived.
void feed_waiters(Ctx& ctx, const std::shared_ptr<Open>& open) {
  PipeOpen& p = *open->pipe;
  std::vector<std::uint64_t> ids;
  for (const auto& [id, a] : ctx.conn.async_commands)
    if (a.file_id == open->file_id && (a.command == Command::read || a.command == Command::ioctl) && !a.running)
      ids.push_back(id);
  for (const auto id : ids) {
    if (p.unread.empty()) return;
    const auto& a = ctx.conn.async_commands.at(id);
    Response rsp;
    bool more = false;
    if (a.command == Command::read) {
      auto r = codec::decode_read_request(a.msg);
      if (!r) continue;  // decoded once already
      const auto data = take(p, r->length, more);  // before `more` is read
      read_answer(rsp, data, more);
    } else {
      auto io = codec::decode_ioctl_request(a.msg);
      if (!io) continue;
      auto data = take(p, io->max_output_response, more);
      ioctl_answer(rsp, io->ctl_code, open->file_id, std::move(data), more);
    }
    ctx.complete_async(id, rsp);
  }
}

/// Waits (STATUS_PENDING) for data on an empty pipe, within the connection's cap.
void wait_for_data(Ctx& ctx, Request& req, Response& rsp, const std::shared_ptr<Open>& open) {
  if (!req.may_go_async) return rsp.fail(NtStatus::pipe_empty);  // inside a compound: cannot wait
  const auto waiting = std::count_if(ctx.conn.async_commands.begin(), ctx.conn.async_commands.end(), [](const auto& e) {
    return e.second.command == Command::read || e.second.command == Command::ioctl;
  });
  if (static_cast<std::size_t>(waiting) >= ctx.server.config.max_pending_pipe_reads_per_connection)
    return rsp.fail(NtStatus::insufficient_resources);
  rsp.go_async(ctx.conn.next_async_id++, false, open->file_id);
}

/// One message to the service; its answers join the unread ones.
NtStatus deliver(Ctx& ctx, const std::shared_ptr<Open>& open, Bytes data) {
  PipeOpen& p = *open->pipe;
  if (p.unread_bytes >= ctx.server.config.max_pipe_unread_bytes) return NtStatus::insufficient_resources;
  std::vector<std::vector<std::uint8_t>> answers;
  try {
    answers = p.instance->write(data);
  } catch (const std::exception& e) {  // an application's service: its failure ends only this call
    SMBSRV_LOG_ERROR("{}: pipe {}: {}", ctx.peer, p.name, e.what());
    return NtStatus::pipe_broken;
  }
  for (auto& m : answers) {
    if (m.empty()) continue;  // a zero-length message cannot be told from "no data"
    p.unread_bytes += m.size();
    p.unread.push_back(std::move(m));
  }
  return NtStatus::success;
}

}  // namespace

void pipe_create(Ctx& ctx, Request& req, Response& rsp, const codec::CreateRequest& c) {
  auto& conn = ctx.conn;
  const auto& cfg = ctx.server.config;
  if (c.create_disposition > 5) return rsp.fail(NtStatus::invalid_parameter);
  if (c.impersonation_level > 3) return rsp.fail(NtStatus::bad_impersonation_level);
  const std::string_view name = pipe_name(c.name);
  // An unknown pipe fails at once (a client that waits here stalls its share listing).
  PipeFactory factory = name.empty() ? nullptr : ctx.server.find_pipe_service(name);
  if (!factory) return rsp.fail(NtStatus::object_name_not_found);
  const std::uint64_t sid = req.session->session_id;
  std::size_t pipes = 0;
  for (const auto& [id, o] : conn.client->opens) if (o->pipe && o->session_id == sid) ++pipes;
  if (pipes >= cfg.max_pipe_opens_per_session) return rsp.fail(NtStatus::insufficient_resources);
  if (ctx.open_limit_reached(sid)) return rsp.fail(NtStatus::too_many_opened_files);
  PipeClient client;
  client.user = req.session->user;
  client.domain = req.session->domain;
  client.guest = req.session->is_guest || req.session->is_anonymous;
  client.address = ctx.peer;
  std::unique_ptr<PipeInstance> instance;
  try {
    instance = factory(client);
  } catch (const std::exception& e) {
    SMBSRV_LOG_ERROR("{}: pipe {}: {}", ctx.peer, name, e.what());
    return rsp.fail(NtStatus::insufficient_resources);
  }
  if (!instance) return rsp.fail(NtStatus::access_denied);

  std::uint32_t access = map_generic(c.desired_access);
  if (access & kMaximumAllowed) access = (access & ~kMaximumAllowed) | kFileGenericRead | kFileGenericWrite;
  auto o = std::make_shared<Open>();
  o->file_id = {ctx.server.next_persistent_id.fetch_add(1, std::memory_order_relaxed), conn.client->next_volatile_id++};
  o->session_id = sid;
  o->tree_id = req.tree->tree_id;
  o->tree = req.tree;
  o->granted_access = access & kRequestableAccess;
  o->pipe = std::make_unique<PipeOpen>();
  o->pipe->name = std::string(name);
  o->pipe->instance = std::move(instance);
  ctx.register_open(o);

  // No oplock on a pipe, whatever was asked (MS-SMB2 4.4 shows a batch request answered with none).
  codec::CreateResponse r;
  r.create_action = static_cast<std::uint32_t>(CreateAction::opened);
  r.allocation_size = kPipeQuota;
  r.file_attributes = kAttrNormal;
  r.file_id = o->file_id;
  Response::BodyBuilder b;
  codec::encode_create_response(b.w, 0, r);
  rsp.set_body(b.buf);
  rsp.file_id_out = o->file_id;
}

void pipe_read(Ctx& ctx, Request& req, Response& rsp, const std::shared_ptr<Open>& open, const codec::ReadRequest& r) {
  if (!(open->granted_access & kDataRead)) return rsp.fail(NtStatus::access_denied);
  PipeOpen& p = *open->pipe;
  if (p.unread.empty()) return wait_for_data(ctx, req, rsp, open);
  bool more = false;
  const auto data = take(p, r.length, more);
  read_answer(rsp, data, more);
}

void pipe_write(Ctx& ctx, Request&, Response& rsp, const std::shared_ptr<Open>& open, Bytes data) {
  if (!(open->granted_access & kDataWrite)) return rsp.fail(NtStatus::access_denied);
  if (auto s = deliver(ctx, open, data); s != NtStatus::success) return rsp.fail(s);
  Response::BodyBuilder b;
  codec::encode_write_response(b.w, {static_cast<std::uint32_t>(data.size()), 0});
  rsp.set_body(b.buf);
  feed_waiters(ctx, open);
}

bool pipe_fsctl(Ctx& ctx, Request& req, Response& rsp, const codec::IoctlRequest& io) {
  switch (io.ctl_code) {
    case codec::kFsctlPipeWait: {
      // MS-FSCC 2.3.49: sent on the IPC$ tree itself (no open). Our pipes always have an
      // instance free, so a known name answers at once.
      if (!req.tree->is_ipc) return rsp.fail(NtStatus::not_supported), true;
      auto w = codec::decode_pipe_wait_request(io.input);
      if (!w) return rsp.fail(w.status()), true;
      if (!ctx.server.find_pipe_service(pipe_name(w->name))) return rsp.fail(NtStatus::object_name_not_found), true;
      ioctl_answer(rsp, io.ctl_code, io.file_id, {}, false);
      return true;
    }
    case codec::kFsctlPipeTransceive:
    case codec::kFsctlPipePeek:
      break;
    default:
      return false;
  }
  // 3.3.5.15.3: not a pipe share → STATUS_NOT_SUPPORTED.
  if (!req.tree->is_ipc) return rsp.fail(NtStatus::not_supported), true;
  auto found = ctx.find_open(req, io.file_id);
  if (!found) return rsp.fail(found.status()), true;
  const auto& open = *found;
  if (!open->pipe) return rsp.fail(NtStatus::invalid_device_request), true;
  PipeOpen& p = *open->pipe;
  if (io.ctl_code == codec::kFsctlPipePeek) {
    // MS-FSCC 2.3.46: the state, what is available, and as much of the next message as fits.
    if (io.max_output_response < codec::kPipePeekFixedSize) return rsp.fail(NtStatus::buffer_too_small), true;
    const std::size_t room = io.max_output_response - codec::kPipePeekFixedSize;
    std::vector<std::uint8_t> out;
    ByteWriter w(out);
    bool more = false;
    if (p.unread.empty()) {
      codec::encode_pipe_peek(w, 0, 0, 0, {});
    } else {
      const auto& m = p.unread.front();
      const Bytes rest = Bytes(m).subspan(p.front_read);
      const std::size_t n = std::min(room, rest.size());
      more = n < rest.size();
      codec::encode_pipe_peek(w, static_cast<std::uint32_t>(p.unread_bytes), static_cast<std::uint32_t>(p.unread.size()),
                              static_cast<std::uint32_t>(rest.size()), rest.first(n));
    }
    ioctl_answer(rsp, io.ctl_code, open->file_id, std::move(out), more);
    return true;
  }
  // FSCTL_PIPE_TRANSCEIVE: a write, then a read of at most MaxOutputResponse (3.3.5.15.3). With
  // answers still unread the pipe is busy, as on Windows (a transaction needs an empty pipe).
  if (!(open->granted_access & kDataRead) || !(open->granted_access & kDataWrite))
    return rsp.fail(NtStatus::access_denied), true;
  if (!p.unread.empty()) return rsp.fail(NtStatus::pipe_busy), true;
  if (auto s = deliver(ctx, open, io.input); s != NtStatus::success) return rsp.fail(s), true;
  if (p.unread.empty()) return wait_for_data(ctx, req, rsp, open), true;
  bool more = false;
  auto data = take(p, io.max_output_response, more);
  ioctl_answer(rsp, io.ctl_code, open->file_id, std::move(data), more);
  return true;
}

Result<PipeInfo> pipe_query_info(const Open& open, const codec::QueryInfoRequest& q) {
  const PipeOpen& p = *open.pipe;
  PipeInfo out;
  if (q.info_type == codec::kInfoFile) {
    switch (q.file_info_class) {
      case codec::kFilePipeInformation:
        out.bytes = codec::encode_pipe_information({});
        out.fixed = out.min = out.bytes.size();
        return out;
      case codec::kFilePipeLocalInformation:
        out.bytes = codec::encode_pipe_local_information(static_cast<std::uint32_t>(p.unread_bytes), kPipeQuota);
        out.fixed = out.min = out.bytes.size();
        return out;
      case fscc::kFileBasicInformation:
      case fscc::kFileStandardInformation:
      case fscc::kFileNetworkOpenInformation:
      case fscc::kFileAccessInformation:
      case fscc::kFilePositionInformation:
      case fscc::kFileModeInformation:
      case fscc::kFileInternalInformation: {
        FileInfo info;  // no times; EndOfFile is what can be read
        info.attributes = kAttrNormal;
        info.size = p.unread_bytes;
        info.allocation_size = kPipeQuota;
        info.file_id = open.file_id.persistent;
        fscc::OpenContext oc;
        oc.name = p.name;
        oc.access_mask = open.granted_access;
        auto bytes = fscc::encode_file_info(q.file_info_class, info, oc);
        if (!bytes) return bytes.status();
        out.bytes = std::move(*bytes);
        out.fixed = fscc::fixed_file_info_size(q.file_info_class);
        out.min = fscc::min_file_info_buffer(q.file_info_class);
        return out;
      }
      default:
        return NtStatus::invalid_parameter;
    }
  }
  if (q.info_type == codec::kInfoFilesystem && q.file_info_class == fscc::kFileFsDeviceInformation) {
    // FILE_FS_DEVICE_INFORMATION (MS-FSCC 2.5.10): a named-pipe device, no characteristics.
    std::vector<std::uint8_t> b;
    ByteWriter w(b);
    w.u32(codec::kFileDeviceNamedPipe);
    w.u32(0);
    out.bytes = std::move(b);
    out.fixed = out.min = 8;
    return out;
  }
  return NtStatus::invalid_parameter;
}

NtStatus pipe_set_info(const codec::SetInfoRequest& s) {
  if (s.info_type != codec::kInfoFile || s.file_info_class != codec::kFilePipeInformation)
    return NtStatus::invalid_parameter;
  auto p = codec::decode_pipe_information(s.buffer);
  if (!p) return p.status();
  // Only message mode with queued completion is served, which is what clients ask for.
  if (p->read_mode != codec::kFilePipeMessageMode || p->completion_mode != 0) return NtStatus::invalid_parameter;
  return NtStatus::success;
}

}  // namespace smbsrv::engine::handlers
