// Shared by fuzz_rpc_pdu, fuzz_ndr and make_corpus: the fake interface the pipe target binds to,
// and the NDR shapes fuzz_ndr decodes (selected by the input's first byte).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "rpc/ndr.hpp"
#include "rpc/pdu.hpp"
#include "rpc/rpc.hpp"

namespace smbsrv::fuzz {

inline rpc::SyntaxId echo_syntax() { return {rpc::uuid_from_string("4b324fc8-1670-01d3-1278-5a47bf6ee188"), 3, 0}; }

/// Opnum 0 echoes the stub; opnum 1 answers n bytes (n = stub[0] * 256, up to 64 KiB) so the
/// response spans fragments; opnum 2 faults as an interface does on bad stub data.
class EchoInterface : public rpc::Interface {
 public:
  rpc::SyntaxId abstract_syntax() const override { return echo_syntax(); }
  rpc::CallResult call(std::uint16_t opnum, std::span<const std::uint8_t> stub, const rpc::CallContext&) override {
    if (opnum == 0) return {0, {stub.begin(), stub.end()}};
    if (opnum == 1) return {0, std::vector<std::uint8_t>(stub.empty() ? 0 : std::size_t{stub[0]} * 256, 0xAB)};
    if (opnum == 2) return {rpc::kNcaFaultNdr, {}};
    return {rpc::kNcaOpRangeError, {}};
  }
};

// ---- NDR shapes (MS-SRVS / MS-LSAT-like) -------------------------------------------------------

struct ShareItem {
  std::optional<std::string> name;
  std::uint32_t type = 0;
  std::optional<std::string> remark;
  friend bool operator==(const ShareItem&, const ShareItem&) = default;
};

/// SHARE_ENUM_STRUCT level 1-like: level, container pointer -> count, pointer -> conformant array
/// of {unique string, u32, unique string}.
inline bool read_share_enum(rpc::NdrReader& r, std::vector<ShareItem>& out) {
  return r.param([&] {
    r.u32();
    r.unique([&] {
      std::uint32_t n = r.u32();
      r.unique([&, n] {
        std::uint32_t max = r.conformance(12);
        if (max != n) { r.fail(); return; }
        out.resize(max);
        for (auto& it : out) {
          r.unique_wstring(it.name);
          it.type = r.u32();
          r.unique_wstring(it.remark);
        }
      });
    });
  });
}

inline void write_share_enum(rpc::NdrWriter& w, const std::vector<ShareItem>& items) {
  w.param([&] {
    w.u32(1);
    w.unique(true, [&] {
      w.u32(static_cast<std::uint32_t>(items.size()));
      w.unique(true, [&] {
        w.conformance(static_cast<std::uint32_t>(items.size()));
        for (const auto& it : items) {
          w.unique_wstring(it.name ? std::optional<std::string_view>(*it.name) : std::nullopt);
          w.u32(it.type);
          w.unique_wstring(it.remark ? std::optional<std::string_view>(*it.remark) : std::nullopt);
        }
      });
    });
  });
}

/// LSAPR_SID_ENUM_BUFFER-like: count, pointer -> conformant array of pointers to RPC_SID.
inline bool read_sid_enum(rpc::NdrReader& r, std::vector<std::optional<codec::Sid>>& out) {
  return r.param([&] {
    std::uint32_t n = r.u32();
    r.unique([&, n] {
      std::uint32_t max = r.conformance(4);
      if (max != n) { r.fail(); return; }
      out.resize(max);
      for (auto& s : out) {
        r.unique([&] { s = r.sid(); });
      }
    });
  });
}

/// An array of RPC_UNICODE_STRING (LSAPR_TRANSLATED_NAMES-like): count, pointer -> conformant
/// array of {enum16 use, RPC_UNICODE_STRING, u32 index}.
struct Name {
  std::uint16_t use = 0;
  std::string name;
  std::uint32_t index = 0;
  friend bool operator==(const Name&, const Name&) = default;
};
inline bool read_names(rpc::NdrReader& r, std::vector<Name>& out) {
  return r.param([&] {
    std::uint32_t n = r.u32();
    r.unique([&, n] {
      std::uint32_t max = r.conformance(16);
      if (max != n) { r.fail(); return; }
      out.resize(max);
      for (auto& e : out) {
        e.use = r.enum16();
        r.unicode_string(e.name);
        e.index = r.u32();
      }
    });
  });
}
inline void write_names(rpc::NdrWriter& w, const std::vector<Name>& names) {
  w.param([&] {
    w.u32(static_cast<std::uint32_t>(names.size()));
    w.unique(true, [&] {
      w.conformance(static_cast<std::uint32_t>(names.size()));
      for (const auto& e : names) {
        w.enum16(e.use);
        w.unicode_string(e.name);
        w.u32(e.index);
      }
    });
  });
}

}  // namespace smbsrv::fuzz
