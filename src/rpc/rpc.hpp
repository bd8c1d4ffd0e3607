// DCE/RPC over named pipes (MS-RPCE 2.1.1.2 "SMB": connection-oriented PDUs, C706 chapter 12), the
// contract between the pipe endpoint (rpc_pipe.cpp: bind, alter_context, request, fragments) and
// the interfaces it serves (srvsvc.cpp, wkssvc.cpp, lsarpc.cpp). Sans-I/O: bytes in, bytes out;
// nothing here blocks or touches the network.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "codec/security_descriptor.hpp"  // codec::Sid
#include "smbsrv/pipe.hpp"

namespace smbsrv::rpc {

/// A UUID in its NDR wire form (C706 appendix A: time_low, time_mid, time_hi little-endian in
/// NDR20 LE, then the 8 bytes as they are).
struct Uuid {
  std::array<std::uint8_t, 16> bytes{};
  friend bool operator==(const Uuid&, const Uuid&) = default;
};
/// Parses "8a885d04-1ceb-11c9-9fe8-08002b104860" into its little-endian wire form. Precondition:
/// a well-formed literal (used for constants).
Uuid uuid_from_string(std::string_view text);

/// p_syntax_id_t (C706 12.6.3.1): an interface or transfer syntax and its version.
struct SyntaxId {
  Uuid uuid;
  std::uint16_t major = 0, minor = 0;  // if_version: major in the low 16 bits on the wire
  friend bool operator==(const SyntaxId&, const SyntaxId&) = default;
};

/// Fault statuses (MS-RPCE 2.2.2.11 / C706 appendix E).
inline constexpr std::uint32_t kNcaOpRangeError = 0x1C010002;     // nca_s_op_rng_error
inline constexpr std::uint32_t kNcaUnkIf = 0x1C010003;            // nca_s_unk_if
inline constexpr std::uint32_t kNcaProtoError = 0x1C01000B;       // nca_proto_error
inline constexpr std::uint32_t kNcaFaultNdr = 0x000006F7;         // nca_s_fault_ndr (RPC_X_BAD_STUB_DATA)
inline constexpr std::uint32_t kNcaFaultAccessDenied = 0x00000005; // nca_s_fault_access_denied

/// What a call may know about its caller and its server.
struct CallContext {
  const PipeClient& client;
};

/// The answer to one request: stub data (NDR20), or a fault PDU with `fault` when non-zero.
struct CallResult {
  std::uint32_t fault = 0;
  std::vector<std::uint8_t> stub;
};

/// One interface (srvsvc, wkssvc, lsarpc, ...), one object per pipe open, so it may keep per-open
/// state (lsarpc's policy handles).
class Interface {
 public:
  virtual ~Interface() = default;
  virtual SyntaxId abstract_syntax() const = 0;
  /// Decodes `stub` (the request's stub data, NDR20 little-endian), runs opnum, encodes the
  /// response. An opnum it does not serve: fault kNcaOpRangeError. Stub data it cannot decode:
  /// fault kNcaFaultNdr. Never throws on bad input.
  virtual CallResult call(std::uint16_t opnum, std::span<const std::uint8_t> stub, const CallContext& ctx) = 0;
};

struct PipeLimits {
  std::size_t max_fragment = 65535;          // a larger frag_length is a protocol error
  std::size_t max_request = 1u << 20;        // reassembled request stub data
  std::size_t max_contexts = 32;             // presentation contexts per association
};

/// The DCE/RPC endpoint of one pipe open. `secondary_address` goes into bind_ack
/// (e.g. "\\PIPE\\srvsvc").
std::unique_ptr<PipeInstance> make_rpc_pipe(std::vector<std::unique_ptr<Interface>> interfaces,
                                             std::string secondary_address, PipeClient client,
                                             PipeLimits limits = {});

// ---- What the services know about the server (filled in by the engine) ----

/// SHARE_TYPE values (MS-SRVS 2.2.2.4).
inline constexpr std::uint32_t kStypeDisktree = 0x00000000;
inline constexpr std::uint32_t kStypeIpc = 0x00000003;
inline constexpr std::uint32_t kStypeSpecial = 0x80000000;

struct ShareInfo {
  std::string name;
  std::uint32_t type = kStypeDisktree;  // IPC$: kStypeIpc | kStypeSpecial
  std::string comment;
  std::string path;                     // for levels 2/502: a Windows-style path, "C:\\name"
  std::uint32_t flags_1005 = 0;         // SHI1005_FLAGS (MS-SRVS 2.2.4.29)
  std::uint32_t current_uses = 0;
};

/// A local account: its name and its RID under the machine SID.
struct Account {
  std::string name;
  std::uint32_t rid = 0;
};

class Directory {
 public:
  virtual ~Directory() = default;
  virtual std::string server_name() const = 0;  // NetBIOS-style computer name, e.g. "SMBSRV"
  virtual std::string domain_name() const = 0;  // workgroup, e.g. "WORKGROUP"
  /// The shares `client` may see (browseable ones), IPC$ included, in a stable order.
  virtual std::vector<ShareInfo> shares(const PipeClient& client) const = 0;
  /// One share by name (case-insensitive), browseable or not; nullopt when unknown.
  virtual std::optional<ShareInfo> share(std::string_view name, const PipeClient& client) const = 0;
  /// S-1-5-21-a-b-c: this server's accounts domain.
  virtual codec::Sid machine_sid() const = 0;
  virtual std::vector<Account> accounts() const = 0;
};

/// The built-in services. Each pipe open gets fresh interface objects.
/// Wall-clock time for NetrRemoteTOD (srvsvc); empty = std::chrono::system_clock::now.
using WallClock = std::function<std::chrono::system_clock::time_point()>;
std::unique_ptr<Interface> make_srvsvc(std::shared_ptr<const Directory> dir, WallClock clock = {});
std::unique_ptr<Interface> make_wkssvc(std::shared_ptr<const Directory> dir);
std::unique_ptr<Interface> make_lsarpc(std::shared_ptr<const Directory> dir);

}  // namespace smbsrv::rpc
