// What QUERY_INFO / SET_INFO security and CREATE share about descriptors (the policy itself is
// engine/sd_policy.hpp).
#pragma once

#include "codec/security_descriptor.hpp"
#include "engine/dispatch.hpp"

namespace smbsrv::engine::handlers {

/// The SID of the session's user as descriptors name it: the machine SID plus the account's
/// RID (what lsarpc's lookups return), Everyone for a guest or anonymous session.
codec::Sid session_owner_sid(const Ctx& ctx, const Session& session);

}  // namespace smbsrv::engine::handlers
