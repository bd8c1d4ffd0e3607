// Named pipes on IPC$ (MS-SMB2 3.3.5.9 with a pipe name, 3.3.5.12 and 3.3.5.13 on a pipe,
// 3.3.5.15.3 FSCTL_PIPE_TRANSCEIVE; MS-FSCC 2.3.46 and 2.3.49 PEEK and WAIT). A pipe open holds
// its service's instance (smbsrv/pipe.hpp) and the answers not yet read, in message mode: a
// READ smaller than the next message gets STATUS_BUFFER_OVERFLOW with its first part; a READ on
// an empty pipe pends until a WRITE gives it data, or CANCEL or CLOSE end it.
#pragma once

#include "engine/request.hpp"

namespace smbsrv::engine::handlers {

/// CREATE on an IPC$ tree.
void pipe_create(Ctx& ctx, Request& req, Response& rsp, const codec::CreateRequest& c);
void pipe_read(Ctx& ctx, Request& req, Response& rsp, const std::shared_ptr<Open>& open, const codec::ReadRequest& r);
void pipe_write(Ctx& ctx, Request& req, Response& rsp, const std::shared_ptr<Open>& open, Bytes data);
/// FSCTL_PIPE_TRANSCEIVE, FSCTL_PIPE_PEEK, FSCTL_PIPE_WAIT; false for any other control code.
bool pipe_fsctl(Ctx& ctx, Request& req, Response& rsp, const codec::IoctlRequest& io);
/// QUERY_INFO on a pipe: the bytes of the class, and its fixed and minimum sizes (as
/// fscc::fixed_file_info_size / min_file_info_buffer) for the caller to cut to the client's buffer.
struct PipeInfo {
  std::vector<std::uint8_t> bytes;
  std::size_t fixed = 0, min = 0;
};
Result<PipeInfo> pipe_query_info(const Open& open, const codec::QueryInfoRequest& q);
/// SET_INFO on a pipe: FilePipeInformation (message read mode, queued completion) only.
NtStatus pipe_set_info(const codec::SetInfoRequest& s);

}  // namespace smbsrv::engine::handlers
