// IOCTL / FSCTL (MS-SMB2 3.3.5.15).
#include "codec/copychunk.hpp"
#include "engine/dispatch.hpp"
#include "engine/handlers/fsctl_file.hpp"
#include "engine/handlers/pipe.hpp"
#include "engine/handlers/copychunk.hpp"

namespace smbsrv::engine::handlers {
namespace {

void answer(Response& rsp, const codec::IoctlRequest& io, codec::IoctlResponse& out) {
  if (out.output.size() > io.max_output_response) return rsp.fail(NtStatus::buffer_too_small);
  Response::BodyBuilder b;
  codec::encode_ioctl_response(b.w, 0, out);
  rsp.set_body(b.buf);
}

}  // namespace

void ioctl(Ctx& ctx, Request& req, Response& rsp) {
  auto decoded = codec::decode_ioctl_request(req.msg);
  if (!decoded) return rsp.fail(decoded.status());
  const auto& io = *decoded;
  auto& conn = ctx.conn;
  // 3.3.5.15: only FSCTLs are supported through SMB2 IOCTL.
  if (!(io.flags & codec::kIoctlIsFsctl)) return rsp.fail(NtStatus::not_supported);
  if (io.max_output_response > ctx.server.config.max_transact || io.input.size() > ctx.server.config.max_transact)
    return rsp.fail(NtStatus::invalid_parameter);

  if (pipe_fsctl(ctx, req, rsp, io)) return;  // TRANSCEIVE, PEEK, WAIT

  codec::IoctlResponse out;
  out.ctl_code = io.ctl_code;
  out.file_id = io.file_id;
  switch (io.ctl_code) {
    case codec::kFsctlValidateNegotiateInfo: {
      // 3.3.5.15.12: with 3.1.1 the client must not send it — disconnect. Every field must equal
      // what the NEGOTIATE said, else the connection is torn down too.
      auto v = codec::decode_validate_negotiate_info(io.input);
      if (conn.dialect == Dialect::smb3_1_1 || !v || v->capabilities != conn.client_capabilities ||
          v->guid != conn.client_guid || v->security_mode != conn.client_security_mode ||
          v->dialects != conn.client_dialects) {
        rsp.disconnect = true;
        return;
      }
      if (io.max_output_response < 24) return rsp.fail(NtStatus::invalid_parameter);
      ByteWriter w(out.output);
      codec::encode_validate_negotiate_response(w, conn.server_capabilities, ctx.server.server_guid,
                                                conn.server_security_mode, static_cast<std::uint16_t>(conn.dialect));
      return answer(rsp, io, out);
    }
    case codec::kFsctlQueryNetworkInterfaceInfo: {
      // 3.3.5.15.11: the server's interfaces, for a 3.x client to open further channels to. It
      // concerns no file: a FileId other than all-ones is INVALID_PARAMETER, as on Windows, before
      // any other check (smbtorture smb2.ioctl.bug14788.NETWORK_INTERFACE).
      if (io.file_id.persistent != ~0ULL || io.file_id.volatile_ != ~0ULL) return rsp.fail(NtStatus::invalid_parameter);
      if (conn.dialect < Dialect::smb3_0) return rsp.fail(NtStatus::not_supported);
      auto list = ctx.server.network_interfaces ? ctx.server.network_interfaces()
                                                : std::vector<codec::NetworkInterfaceInfo>{};
      if (list.empty()) return rsp.fail(NtStatus::not_supported);
      ByteWriter w(out.output);
      codec::encode_network_interface_info(w, list);
      return answer(rsp, io, out);
    }
    case codec::kFsctlDfsGetReferrals:
    case codec::kFsctlDfsGetReferralsEx:
      return rsp.fail(NtStatus::fs_driver_required);  // not a DFS server
    case codec::kFsctlCreateOrGetObjectId: {
      auto open = ctx.find_open(req, io.file_id);
      if (!open) return rsp.fail(open.status());
      struct ObjectId {
        std::shared_ptr<Open> open;
        codec::IoctlRequest io;
        codec::IoctlResponse out;
        Result<FileInfo> info = NtStatus::file_closed;
      };
      rsp.defer(make_job(
          ObjectId{*open, io, std::move(out)},
          [](ObjectId& s) {
            std::lock_guard lk(s.open->handle.mu);
            if (s.open->handle.file) s.info = s.open->handle.file->stat();
          },
          [](Ctx&, Request&, Response& r, ObjectId& s) {
            if (!s.info) return r.fail(s.info.status());
            if (s.io.max_output_response < 64) return r.fail(NtStatus::buffer_too_small);
            // FILE_OBJECTID_BUFFER (MS-FSCC 2.1.3): ObjectId derived from the stable file id.
            ByteWriter w(s.out.output);
            codec::encode_object_id_buffer(w, codec::object_id_of(s.info->file_id));
            answer(r, s.io, s.out);
          }));
      return;
    }
    case codec::kFsctlSrvRequestResumeKey:
      return request_resume_key(ctx, req, rsp, io);
    case codec::kFsctlSrvCopychunk:
    case codec::kFsctlSrvCopychunkWrite:
      return copychunk(ctx, req, rsp, io);
    case codec::kFsctlLmrRequestResiliency: {
      // 3.3.5.15.9: the open becomes resilient, which turns on lock sequence checking (3.3.5.14).
      // Keeping a resilient open across a lost connection comes with durable handles.
      if (conn.dialect == Dialect::smb2_0_2) return rsp.fail(NtStatus::invalid_device_request);
      auto open = ctx.find_open(req, io.file_id);
      if (!open) return rsp.fail(open.status());
      auto q = codec::decode_network_resiliency_request(io.input);
      if (!q) return rsp.fail(q.status());
      if (q->timeout_ms > ctx.server.config.max_resiliency_timeout_ms) return rsp.fail(NtStatus::invalid_parameter);
      (*open)->is_resilient = true;
      (*open)->resiliency_timeout_ms = q->timeout_ms;
      return answer(rsp, io, out);
    }
    default: {
      if (file_fsctl(ctx, req, rsp, io)) return;
      if (req.tree->is_ipc) return rsp.fail(NtStatus::not_supported);
      // The open is looked up before the object store sees the control code, so a bad FileId
      // (or a failed CREATE before it in a related compound) wins over an unknown FSCTL.
      auto open = ctx.find_open(req, io.file_id);
      if (!open) return rsp.fail(open.status());
      return rsp.fail(NtStatus::invalid_device_request);
    }
  }
}

}  // namespace smbsrv::engine::handlers
