// IOCTL / FSCTL (MS-SMB2 3.3.5.15).
#include <algorithm>

#include "engine/request.hpp"

namespace smbsrv::engine {

void Connection::on_ioctl(Request& req, Response& rsp) {
  auto decoded = codec::decode_ioctl_request(req.msg);
  if (!decoded) return rsp.fail(decoded.status());
  const auto& io = *decoded;
  // 3.3.5.15: only FSCTLs are supported through SMB2 IOCTL.
  if (!(io.flags & codec::kIoctlIsFsctl)) return rsp.fail(NtStatus::not_supported);
  if (io.max_output_response > server_->config.max_transact || io.input.size() > server_->config.max_transact)
    return rsp.fail(NtStatus::invalid_parameter);

  codec::IoctlResponse out;
  out.ctl_code = io.ctl_code;
  out.file_id = io.file_id;
  switch (io.ctl_code) {
    case codec::kFsctlValidateNegotiateInfo: {
      std::unique_lock lk(mu_);
      // 3.3.5.15.12: with 3.1.1 the client must not send it — disconnect.
      if (dialect_ == 0x0311) {
        rsp.disconnect = true;
        return;
      }
      ByteReader r(io.input);
      const std::uint32_t caps = r.u32();
      std::array<std::uint8_t, 16> guid{};
      auto g = r.bytes(16);
      if (r.ok()) std::copy(g.begin(), g.end(), guid.begin());
      const std::uint16_t sec = r.u16();
      const std::uint16_t count = r.u16();
      std::vector<std::uint16_t> dialects;
      for (std::uint16_t i = 0; i < count && r.ok(); ++i) dialects.push_back(r.u16());
      if (!r.ok() || count == 0) {
        rsp.disconnect = true;
        return;
      }
      // Every field must equal what the NEGOTIATE said, else the connection is torn down.
      if (caps != client_capabilities_ || guid != client_guid_ || sec != client_security_mode_ ||
          dialects != client_dialects_) {
        rsp.disconnect = true;
        return;
      }
      if (io.max_output_response < 24) return rsp.fail(NtStatus::invalid_parameter);
      ByteWriter w(out.output);
      w.u32(server_capabilities_);
      w.bytes(server_->server_guid);
      w.u16(server_security_mode_);
      w.u16(dialect_);
      break;
    }
    case codec::kFsctlQueryNetworkInterfaceInfo:
      return rsp.fail(NtStatus::not_supported);  // no multichannel
    case codec::kFsctlDfsGetReferrals:
    case codec::kFsctlDfsGetReferralsEx:
      return rsp.fail(NtStatus::fs_driver_required);  // not a DFS server
    case codec::kFsctlCreateOrGetObjectId: {
      auto open = find_open(req, io.file_id);
      if (!open) return rsp.fail(open.status());
      auto& o = **open;
      std::lock_guard olk(o.mu);
      if (!o.file) return rsp.fail(NtStatus::file_closed);
      auto info = o.file->stat();
      if (!info) return rsp.fail(info.status());
      if (io.max_output_response < 64) return rsp.fail(NtStatus::buffer_too_small);
      // FILE_OBJECTID_BUFFER (MS-FSCC 2.1.3): ObjectId derived from the stable file id.
      ByteWriter w(out.output);
      w.u64(info->file_id);
      w.u64(0x736D6273727600ULL);  // "smbsrv" marker: distinguishes our ids
      w.zeros(48);                 // BirthVolumeId, BirthObjectId, DomainId
      break;
    }
    case codec::kFsctlPipeTransceive:
      return rsp.fail(NtStatus::not_supported);  // named pipes are not served yet
    default:
      if (req.tree->is_ipc) return rsp.fail(NtStatus::not_supported);
      return rsp.fail(NtStatus::invalid_device_request);
  }
  if (out.output.size() > io.max_output_response) return rsp.fail(NtStatus::buffer_too_small);
  Response::BodyBuilder b;
  codec::encode_ioctl_response(b.w, 0, out);
  rsp.set_body(b.buf);
}

}  // namespace smbsrv::engine
