// File: smbsrv/credentials.hpp
// Where users come from. NTLM needs the NT hash (MD4 of the UTF-16LE password), not the password.
//
//   auto creds = std::make_shared<smbsrv::InMemoryCredentialStore>();
//   creds->add_user("alice", "secret");
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smbsrv {

using NtHash = std::array<std::uint8_t, 16>;

/// MD4(UTF-16LE(password)).
NtHash nt_hash_of_password(std::string_view password);

class CredentialStore {
 public:
  virtual ~CredentialStore() = default;
  /// The NT hash of `user` (case-insensitive) in `domain`, or nullopt when unknown.
  /// Called from network threads; must be thread-safe and must not block for long.
  virtual std::optional<NtHash> nt_hash(std::string_view user, std::string_view domain) const = 0;
  /// The users this store knows, for name and SID lookups (lsarpc: the Security tab, smbcacls).
  /// A store that cannot list its users returns none; logons work the same.
  virtual std::vector<std::string> user_names() const { return {}; }
};

/// A thread-safe map of users; the domain is ignored.
class InMemoryCredentialStore : public CredentialStore {
 public:
  void add_user(std::string_view user, std::string_view password);
  void add_user_hash(std::string_view user, const NtHash& hash);
  std::optional<NtHash> nt_hash(std::string_view user, std::string_view domain) const override;
  std::vector<std::string> user_names() const override;  // as added (not lower-cased), in order

 private:
  mutable std::mutex mu_;
  std::map<std::string, NtHash, std::less<>> users_;  // key: upper-cased user name
  std::vector<std::string> names_;                    // as first added
};

}  // namespace smbsrv
