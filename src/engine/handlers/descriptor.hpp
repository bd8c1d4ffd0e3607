// What QUERY_INFO / SET_INFO security and CREATE share about descriptors (the policy itself is
// engine/sd_policy.hpp).
#pragma once

#include "codec/security_descriptor.hpp"
#include "engine/dispatch.hpp"
#include "engine/sd_policy.hpp"

namespace smbsrv::engine::handlers {

/// The SID of the session's user as descriptors name it: the machine SID plus the account's
/// RID (what lsarpc's lookups return), Everyone for a guest or anonymous session.
codec::Sid session_owner_sid(const Ctx& ctx, const Session& session);

/// The SIDs the session's access is checked against: its user, Everyone, and Authenticated
/// Users and BUILTIN\Users for an account (BUILTIN\Guests for a guest or anonymous session).
AccessToken session_token(const Ctx& ctx, const Session& session);

}  // namespace smbsrv::engine::handlers
