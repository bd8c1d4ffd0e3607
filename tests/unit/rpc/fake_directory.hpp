// A fixed rpc::Directory for the srvsvc / wkssvc / lsarpc tests and the fuzz target.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "rpc/rpc.hpp"
#include "util/upcase.hpp"

namespace smbsrv::rpc::test {

class FakeDirectory : public Directory {
 public:
  std::vector<ShareInfo> list = {
      {"IPC$", kStypeIpc | kStypeSpecial, "IPC Service", "", 0, 1},
      {"Data", kStypeDisktree, "Team data", "C:\\Data", 0x30, 2},
      {"Public", kStypeDisktree, "", "C:\\Public", 0, 0},
  };
  std::string server_name() const override { return "SMBSRV"; }
  std::string domain_name() const override { return "WORKGROUP"; }
  std::vector<ShareInfo> shares(const PipeClient&) const override { return list; }
  std::optional<ShareInfo> share(std::string_view name, const PipeClient&) const override {
    for (const auto& s : list)
      if (iequal_names(s.name, name)) return s;
    if (iequal_names(name, "hidden")) return ShareInfo{"hidden", kStypeDisktree, "not browseable", "C:\\h", 0, 0};
    return std::nullopt;
  }
  codec::Sid machine_sid() const override {
    codec::Sid s;
    s.authority[5] = 5;
    s.sub_authorities = {21, 1111, 2222, 3333};
    return s;
  }
  std::vector<Account> accounts() const override { return {{"alice", 1000}, {"bob", 1001}}; }
};

inline PipeClient alice() { return PipeClient{"alice", "WORKGROUP", false, "127.0.0.1:5000"}; }

/// Writes `bytes` to $SMBSRV_RPC_DUMP_DIR/<name>.bin when that variable is set (the impacket
/// cross-check, tests/unit/rpc/check_impacket.py, parses them).
inline void dump(const std::string& name, const std::vector<std::uint8_t>& bytes) {
  const char* dir = std::getenv("SMBSRV_RPC_DUMP_DIR");
  if (dir == nullptr) return;
  std::ofstream out(std::string(dir) + "/" + name + ".bin", std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace smbsrv::rpc::test
