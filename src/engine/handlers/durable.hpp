// Durable handles in CREATE (MS-SMB2 3.3.5.9.6 DHnQ, 3.3.5.9.7 DHnC, 3.3.5.9.10 DH2Q,
// 3.3.5.9.12 DH2C): what the request asks for, granting durability to a new open, and
// reestablishing an orphan (engine/durable_opens.hpp) on a new connection.
#pragma once

#include <optional>
#include <vector>

#include "engine/request.hpp"

namespace smbsrv::engine::handlers {

struct DurableAsk {
  bool request_v1 = false;                        // DHnQ
  std::optional<codec::DurableRequestV2> request_v2;  // DH2Q (3.x only)
  std::optional<codec::FileId> reconnect_v1;      // DHnC
  std::optional<codec::DurableReconnectV2> reconnect_v2;  // DH2C (3.x only)
  bool reconnect() const { return reconnect_v1 || reconnect_v2; }
};
/// The durable-handle contexts of `c`: invalid_parameter for a malformed one or a combination
/// the spec refuses (a v2 context with any other durable context).
Result<DurableAsk> parse_durable(const codec::CreateRequest& c, Dialect dialect);

/// 3.3.5.9.7 / 3.3.5.9.12: answers a reconnect CREATE (everything but the name, the durable
/// context and the lease key is ignored).
void reconnect_durable(Ctx& ctx, Request& req, Response& rsp, const codec::CreateRequest& c, const DurableAsk& ask);

/// A DH2Q with SMB2_FLAGS_REPLAY_OPERATION whose CreateGuid names an open this session has on
/// this connection: the original answer again (3.3.5.9.10). False when it is not such a replay.
bool replay_durable(Ctx& ctx, Request& req, Response& rsp, const codec::CreateRequest& c, const DurableAsk& ask);

/// Successful Open Initialization (3.3.5.9.6 / 3.3.5.9.10): makes `open` durable when it was
/// asked for and the open qualifies, and adds the response context to `out`. Runs before the
/// open is registered.
void grant_durable(Ctx& ctx, Request& req, Open& open, const DurableAsk& ask, const nt::LeaseGrant& grant,
                   std::vector<codec::OwnedCreateContext>& out);

/// The CREATE response for `open` (create.cpp): its file's attributes, the oplock or lease
/// granted (`lease`: the client's lease context, answered with the grant), then `contexts`.
void answer_create(Response& rsp, const Open& open, const FileInfo& info, CreateAction action,
                   const nt::LeaseGrant& grant, const std::optional<codec::LeaseContext>& lease,
                   std::vector<codec::OwnedCreateContext> contexts);

/// The connection is gone: `open` becomes an orphan when it is durable and still qualifies
/// (3.3.7.1). False: the caller closes it.
bool keep_durable(ServerState& server, const std::shared_ptr<Open>& open);

}  // namespace smbsrv::engine::handlers
