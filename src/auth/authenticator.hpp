// Server side of SESSION_SETUP authentication: NTLMv2 (MS-NLMP), either inside SPNEGO (MS-SPNG,
// RFC 4178: what Windows, macOS and smbclient send) or as raw NTLMSSP (what the Linux client
// sends). One Authenticator per session-setup exchange; it answers in the same framing the client
// used.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "smbsrv/credentials.hpp"
#include "smbsrv/ntstatus.hpp"

namespace smbsrv::auth {

using Bytes = std::span<const std::uint8_t>;

/// The SPNEGO NegTokenInit2 ("hint") for the NEGOTIATE response SecurityBuffer: mechTypes =
/// [NTLMSSP 1.3.6.1.4.1.311.2.2.10], negHints.hintName "not_defined_in_RFC4178@please_ignore".
std::vector<std::uint8_t> negotiate_hint_token();

struct AuthConfig {
  std::string netbios_computer_name = "SMBSRV";  // MsvAvNbComputerName
  std::string netbios_domain_name = "WORKGROUP"; // MsvAvNbDomainName, CHALLENGE TargetName
  std::string dns_computer_name = "smbsrv";      // MsvAvDnsComputerName
  std::string dns_domain_name = "";              // MsvAvDnsDomainName (empty → NetBIOS domain)
  bool allow_guest = false;      // unknown users / anonymous → guest session without a key
  const CredentialStore* credentials = nullptr;
  /// Current time as FILETIME (MsvAvTimestamp) — injected so tests are deterministic.
  std::function<std::uint64_t()> now;
  /// Fills the 8-byte server challenge — injected so tests are deterministic.
  std::function<void(std::span<std::uint8_t>)> random;
};

class Authenticator {
 public:
  explicit Authenticator(AuthConfig config);
  ~Authenticator();
  Authenticator(const Authenticator&) = delete;
  Authenticator& operator=(const Authenticator&) = delete;

  struct Step {
    /// more_processing_required (send out_token, expect another round), success, logon_failure
    /// (bad user/password, NTLMv1/LM refused, bad MIC), invalid_parameter (malformed token).
    NtStatus status = NtStatus::invalid_parameter;
    std::vector<std::uint8_t> out_token;  // may be non-empty with success (SPNEGO accept-completed)
  };

  /// Feeds the client's SecurityBuffer. Detects SPNEGO (DER 0x60 / 0xA1) or raw NTLMSSP
  /// ("NTLMSSP\0") on the first call. An empty or unrecognised token → invalid_parameter.
  Step step(Bytes in_token);

  // Valid after step() returned success.
  /// The exported session key (KEY_EXCH-decrypted when negotiated), 16 bytes; all zero for
  /// guest/anonymous.
  const std::array<std::uint8_t, 16>& session_key() const;
  bool is_guest() const;
  bool is_anonymous() const;
  const std::string& user() const;    // UTF-8
  const std::string& domain() const;  // UTF-8

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace smbsrv::auth
