// The name <-> SID translation behind lsarpc's lookups (MS-LSAT 3.1.4.5-11): the machine's
// account domain (Directory::machine_sid, named Directory::server_name, with its accounts),
// BUILTIN and the well-known principals a security descriptor names. Internal to src/rpc.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "codec/security_descriptor.hpp"
#include "rpc/rpc.hpp"

namespace smbsrv::rpc::lsa {

// SID_NAME_USE (MS-LSAT 2.2.13).
inline constexpr std::uint16_t kSidTypeUser = 1;
inline constexpr std::uint16_t kSidTypeDomain = 3;
inline constexpr std::uint16_t kSidTypeAlias = 4;
inline constexpr std::uint16_t kSidTypeWellKnownGroup = 5;
inline constexpr std::uint16_t kSidTypeUnknown = 8;

/// LSAPR_SID_ENUM_BUFFER.Entries is [range(0,20480)] (MS-LSAT 2.2.18) and the names' Count
/// [range(0,1000)] (3.1.4.5-8): larger counts are rejected while decoding.
inline constexpr std::uint32_t kMaxLookupSids = 20480;
inline constexpr std::uint32_t kMaxLookupNames = 1000;

/// A referenced domain (LSAPR_TRUST_INFORMATION, MS-LSAT 2.2.11).
struct Domain {
  std::string name;
  codec::Sid sid;
};

/// The ReferencedDomains list a lookup builds: each domain once, in first-use order.
class DomainList {
 public:
  std::int32_t add(const Domain& d);
  const std::vector<Domain>& domains() const { return domains_; }

 private:
  std::vector<Domain> domains_;
};

/// One translated principal. `use` kSidTypeUnknown = not mapped; `domain_index` -1 = no domain.
struct Translation {
  std::uint16_t use = kSidTypeUnknown;
  std::string name;            // isolated name (no domain part)
  codec::Sid sid;              // the full SID (name lookups)
  std::int32_t domain_index = -1;
  bool mapped() const { return use != kSidTypeUnknown; }
  /// The last sub-authority (LSAPR_TRANSLATED_SID.RelativeId); 0 for a domain.
  std::uint32_t rid() const;
};

class Resolver {
 public:
  explicit Resolver(const Directory& dir);
  Translation sid_to_name(const codec::Sid& sid, DomainList& domains) const;
  /// "name", "DOMAIN\name" or "DOMAIN" (case-insensitive; DOMAIN is the server name, the
  /// workgroup, BUILTIN, NT AUTHORITY or empty for Everyone and CREATOR OWNER).
  Translation name_to_sid(std::string_view name, DomainList& domains) const;

 private:
  std::string server_;
  std::string workgroup_;
  codec::Sid machine_;
  std::vector<Account> accounts_;
};

codec::Sid make_sid(std::uint8_t authority, std::vector<std::uint32_t> subs);
std::string sid_to_string(const codec::Sid& sid);

}  // namespace smbsrv::rpc::lsa
