// Server-side copy (MS-SMB2 3.3.5.15.5, 3.3.5.15.6), called by the IOCTL handler.
#pragma once

#include "engine/request.hpp"

namespace smbsrv::engine::handlers {

/// FSCTL_SRV_REQUEST_RESUME_KEY: the key that names io.file_id's open as a copy source.
void request_resume_key(Ctx& ctx, Request& req, Response& rsp, const codec::IoctlRequest& io);
/// FSCTL_SRV_COPYCHUNK and FSCTL_SRV_COPYCHUNK_WRITE: copies the chunks from the open the
/// SourceKey names to io.file_id's open, in a job.
void copychunk(Ctx& ctx, Request& req, Response& rsp, const codec::IoctlRequest& io);

}  // namespace smbsrv::engine::handlers
