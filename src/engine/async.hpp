// Requests answered STATUS_PENDING (MS-SMB2 3.3.4.2; Connection.AsyncCommandList): how they are
// recorded, resumed, cancelled (3.3.5.16) and completed; and the break notifications the NT core
// asks a connection to send (3.3.4.6, 3.3.4.7).
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "engine/request.hpp"

namespace smbsrv::engine {

/// A request whose handler went async (rsp.async_id) for the first time: records it.
void register_async(Ctx& ctx, Request& req, Response& rsp);
/// After any run of a request: settles its NT-core wait token, and for a resumed request either
/// keeps the command waiting (it went async again) or forgets it (its final response is out).
void settle_async(Ctx& ctx, Request& req, Response& rsp);
/// Ends the waiting async commands `which` selects with `status` (their final responses go into
/// ctx.out). Commands whose job is running end when it finishes.
void end_async_commands(Ctx& ctx, const std::function<bool(const AsyncCommand&)>& which, NtStatus status);
/// Takes `o` out of its client's open-table counts (opens and durable opens per session) and out
/// of the server's resume keys; the caller has erased it from the table.
void uncount_open(ServerState& server, ClientState& client, const Open& o);
/// The notification for a break, sealed when the open was made through encrypted messages.
std::optional<std::vector<std::uint8_t>> encode_break(Ctx& ctx, const nt::BreakNotice& n);

}  // namespace smbsrv::engine
