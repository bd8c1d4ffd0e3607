#include "engine/rpc_directory.hpp"

#include <algorithm>
#include <stdexcept>

#include "engine/server_state.hpp"
#include "util/upcase.hpp"

namespace smbsrv::engine {
namespace {

constexpr std::uint32_t kShi1005EncryptData = 0x00008000;  // SHI1005_FLAGS_ENCRYPT_DATA (MS-SRVS 2.2.4.29)

rpc::ShareInfo info_of(const Share& s) {
  rpc::ShareInfo i;
  i.name = s.name;
  i.type = rpc::kStypeDisktree;
  i.comment = s.comment;
  i.path = "C:\\" + s.name;  // a Windows-style path: clients show it, none opens it
  i.flags_1005 = s.encrypt_data ? kShi1005EncryptData : 0;
  return i;
}

rpc::ShareInfo ipc_info() {
  rpc::ShareInfo i;
  i.name = "IPC$";
  i.type = rpc::kStypeIpc | rpc::kStypeSpecial;
  i.comment = "Remote IPC";  // what Windows Server shows
  return i;
}

class ServerDirectory final : public rpc::Directory {
 public:
  ServerDirectory(const ServerState& state, codec::Sid sid) : state_(state), sid_(std::move(sid)) {}

  std::string server_name() const override { return state_.config.server_name; }
  std::string domain_name() const override { return state_.config.domain_name; }

  std::vector<rpc::ShareInfo> shares(const PipeClient&) const override {
    std::vector<rpc::ShareInfo> out;
    for (const auto& s : state_.all_shares())
      if (s->browseable) out.push_back(info_of(*s));
    out.push_back(ipc_info());  // listed, as on Windows and Samba; clients hide '$' names
    return out;
  }

  std::optional<rpc::ShareInfo> share(std::string_view name, const PipeClient&) const override {
    if (iequal_names(name, "IPC$")) return ipc_info();
    auto s = state_.find_share(name);
    if (!s) return std::nullopt;
    return info_of(*s);
  }

  codec::Sid machine_sid() const override { return sid_; }

  std::vector<rpc::Account> accounts() const override {
    std::vector<rpc::Account> out;
    if (!state_.credentials) return out;
    for (auto& name : state_.credentials->user_names()) {
      const auto rid = rid_of_account(name);
      out.push_back({std::move(name), rid});
    }
    return out;
  }

 private:
  const ServerState& state_;
  const codec::Sid sid_;
};

}  // namespace

std::shared_ptr<const rpc::Directory> make_directory(const ServerState& state, codec::Sid machine_sid) {
  return std::make_shared<ServerDirectory>(state, std::move(machine_sid));
}

std::uint32_t rid_of_account(std::string_view name) {
  // FNV-1a over the upper-cased UTF-8 name, into [1000, 1000 + 10^9): collisions between a
  // server's few accounts are vanishingly unlikely.
  std::uint32_t h = 2166136261u;
  for (const char c : upcase_utf8(name)) {
    h ^= static_cast<std::uint8_t>(c);
    h *= 16777619u;
  }
  return 1000 + h % 1'000'000'000u;
}

codec::Sid machine_sid_of(const std::string& configured, const std::function<void(std::span<std::uint8_t>)>& random) {
  if (!configured.empty()) {
    auto sid = codec::parse_sid(configured);
    const std::array<std::uint8_t, 6> nt_authority{0, 0, 0, 0, 0, 5};
    if (!sid || sid->authority != nt_authority || sid->sub_authorities.size() != 4 || sid->sub_authorities[0] != 21)
      throw std::invalid_argument("machine_sid must look like S-1-5-21-a-b-c: " + configured);
    return *sid;
  }
  std::array<std::uint8_t, 12> r{};
  random(r);
  codec::Sid sid;
  sid.authority = {0, 0, 0, 0, 0, 5};
  sid.sub_authorities.push_back(21);
  for (std::size_t i = 0; i < 3; ++i)
    sid.sub_authorities.push_back(static_cast<std::uint32_t>(r[4 * i]) | static_cast<std::uint32_t>(r[4 * i + 1]) << 8 |
                                  static_cast<std::uint32_t>(r[4 * i + 2]) << 16 |
                                  static_cast<std::uint32_t>(r[4 * i + 3]) << 24);
  return sid;
}

}  // namespace smbsrv::engine
