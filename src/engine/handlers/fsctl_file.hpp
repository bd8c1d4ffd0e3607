// FSCTLs on files and directories (engine/handlers/fsctl_file.cpp), called by ioctl().
#pragma once

#include "codec/messages.hpp"
#include "engine/request.hpp"

namespace smbsrv::engine::handlers {

/// Serves `io` when its control code is one of the file FSCTLs (sparse files, zeroing, allocated
/// ranges, reparse points, previous versions, TRIM, compression, file regions): returns true
/// with rsp answered or deferred. False: not one of them, rsp untouched.
bool file_fsctl(Ctx& ctx, Request& req, Response& rsp, const codec::IoctlRequest& io);

}  // namespace smbsrv::engine::handlers
