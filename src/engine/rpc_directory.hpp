// What the DCE/RPC services (src/rpc) know about this server, read from ServerState: its names,
// its shares and its accounts, and the machine SID the accounts' SIDs are built on.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "rpc/rpc.hpp"

namespace smbsrv::engine {

struct ServerState;

/// The Directory of `state`, which must outlive it (ServerState owns it).
std::shared_ptr<const rpc::Directory> make_directory(const ServerState& state, codec::Sid machine_sid);

/// A local account's RID: stable for its name (case-insensitive), whatever the other accounts
/// are, so SIDs stay the same across restarts without storing anything; from 1000 up, as
/// Windows numbers local accounts.
std::uint32_t rid_of_account(std::string_view name);

/// The SID of `config.machine_sid`, or a random S-1-5-21-a-b-c when it is empty. Throws
/// std::invalid_argument when it is not an S-1-5-21 SID with three sub-authorities after 21.
codec::Sid machine_sid_of(const std::string& configured, const std::function<void(std::span<std::uint8_t>)>& random);

}  // namespace smbsrv::engine
