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

/// Access-based enumeration is in force on `share`: asked for, and descriptors are enforced
/// (without stored descriptors there is nothing to filter by). TREE_CONNECT advertises it,
/// QUERY_DIRECTORY applies it.
inline bool enumerates_by_access(const Share& share) {
  return share.access_based_enumeration && share.acl_mode == Share::AclMode::nt;
}

}  // namespace smbsrv::engine::handlers
