#include "engine/server_state.hpp"

#include <chrono>

#include "crypto/crypto.hpp"
#include "engine/request.hpp"
#include "engine/rpc_directory.hpp"
#include "util/upcase.hpp"

namespace smbsrv::engine {
namespace {

nt::NtCore::Options core_options(const ServerConfig& c) {
  nt::NtCore::Options o;
  o.leasing = c.leases;
  o.break_timeout = std::uint64_t{c.lease_break_timeout_seconds} * 10'000'000;
  o.max_notify_changes = c.max_notify_changes;
  return o;
}

}  // namespace

ServerState::ServerState(ServerConfig cfg, std::shared_ptr<const CredentialStore> creds)
    : config(std::move(cfg)),
      credentials(std::move(creds)),
      machine_sid(machine_sid_of(config.machine_sid, [](std::span<std::uint8_t> out) { crypto::random_bytes(out); })),
      directory(make_directory(*this, machine_sid)),
      now([] {
        const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
        const auto ticks = std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch).count() / 100;
        return kFileTimeUnixEpoch + static_cast<std::uint64_t>(ticks);
      }),
      random([](std::span<std::uint8_t> out) { crypto::random_bytes(out); }),
      nt(now, core_options(config)) {
  crypto::random_bytes(server_guid);
  register_builtin_pipes();
}

void ServerState::register_builtin_pipes() {
  // MS-SRVS, MS-WKST, MS-LSAT over DCE/RPC (src/rpc): each open gets its own association. The
  // LSA's endpoint is \PIPE\lsass; clients open it as "lsarpc" (and some as "lsass").
  struct Builtin {
    const char* pipe;
    const char* address;
    std::unique_ptr<rpc::Interface> (*make)(std::shared_ptr<const rpc::Directory>);
  };
  static const Builtin kBuiltins[] = {
      {"srvsvc", "\\PIPE\\srvsvc", [](std::shared_ptr<const rpc::Directory> d) { return rpc::make_srvsvc(std::move(d)); }},
      {"wkssvc", "\\PIPE\\wkssvc", [](std::shared_ptr<const rpc::Directory> d) { return rpc::make_wkssvc(std::move(d)); }},
      {"lsarpc", "\\PIPE\\lsass", [](std::shared_ptr<const rpc::Directory> d) { return rpc::make_lsarpc(std::move(d)); }},
      {"lsass", "\\PIPE\\lsass", [](std::shared_ptr<const rpc::Directory> d) { return rpc::make_lsarpc(std::move(d)); }},
  };
  for (const auto& b : kBuiltins) {
    add_pipe_service(b.pipe, [dir = directory, &b](const PipeClient& client) {
      std::vector<std::unique_ptr<rpc::Interface>> interfaces;
      interfaces.push_back(b.make(dir));
      return rpc::make_rpc_pipe(std::move(interfaces), b.address, client);
    });
  }
}

ServerState::~ServerState() {
  for (auto& o : durable.take_all()) close_open(nt, *o);
}

void ServerState::tick() {
  nt.tick();
  for (auto& o : durable.take_finished(now(), nt)) close_open(nt, *o);
}

void ServerState::add_share(Share share) {
  auto key = upcase_utf8(share.name);
  auto p = std::make_shared<const Share>(std::move(share));
  std::lock_guard lk(shares_mu_);
  shares_[key] = std::move(p);
}

void ServerState::remove_share(std::string_view name) {
  std::lock_guard lk(shares_mu_);
  shares_.erase(upcase_utf8(name));
}

std::shared_ptr<ClientState> ServerState::client_group(const std::array<std::uint8_t, 16>& client_guid) {
  std::lock_guard lk(groups_mu_);
  // Groups of clients that left are swept once the table has doubled since the last sweep.
  if (groups_.size() >= 2 * groups_swept_ + 64) {
    std::erase_if(groups_, [](const auto& g) { return g.second.expired(); });
    groups_swept_ = groups_.size();
  }
  auto& slot = groups_[client_guid];
  auto group = slot.lock();
  if (!group) {
    group = std::make_shared<ClientState>();
    slot = group;
  }
  return group;
}

std::shared_ptr<const Share> ServerState::find_share(std::string_view name) const {
  std::lock_guard lk(shares_mu_);
  auto it = shares_.find(upcase_utf8(name));
  return it == shares_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const Share>> ServerState::all_shares() const {
  std::lock_guard lk(shares_mu_);
  std::vector<std::shared_ptr<const Share>> out;
  out.reserve(shares_.size());
  for (const auto& [key, share] : shares_) out.push_back(share);
  return out;
}

void ServerState::add_pipe_service(std::string_view name, PipeFactory factory) {
  auto key = upcase_utf8(name);
  std::lock_guard lk(pipes_mu_);
  pipes_[std::move(key)] = std::move(factory);
}

void ServerState::remove_pipe_service(std::string_view name) {
  std::lock_guard lk(pipes_mu_);
  pipes_.erase(upcase_utf8(name));
}

PipeFactory ServerState::find_pipe_service(std::string_view name) const {
  std::lock_guard lk(pipes_mu_);
  auto it = pipes_.find(upcase_utf8(name));
  return it == pipes_.end() ? nullptr : it->second;
}

std::shared_ptr<ServerState> make_server_state(ServerConfig config,
                                               std::shared_ptr<const CredentialStore> credentials) {
  return std::make_shared<ServerState>(std::move(config), std::move(credentials));
}

}  // namespace smbsrv::engine
