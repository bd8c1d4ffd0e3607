#include "smbsrv/credentials.hpp"

#include "crypto/crypto.hpp"
#include "util/upcase.hpp"
#include "util/utf16.hpp"

namespace smbsrv {

NtHash nt_hash_of_password(std::string_view password) {
  const std::vector<std::uint8_t> u16 = to_utf16le(password);
  return crypto::md4(u16);
}

void InMemoryCredentialStore::add_user(std::string_view user, std::string_view password) {
  add_user_hash(user, nt_hash_of_password(password));
}

void InMemoryCredentialStore::add_user_hash(std::string_view user, const NtHash& hash) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto [it, added] = users_.insert_or_assign(upcase_utf8(user), hash);
  if (added) names_.emplace_back(user);
}

std::vector<std::string> InMemoryCredentialStore::user_names() const {
  std::lock_guard<std::mutex> lock(mu_);
  return names_;
}

std::optional<NtHash> InMemoryCredentialStore::nt_hash(std::string_view user, std::string_view) const {
  const std::string key = upcase_utf8(user);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = users_.find(key);
  if (it == users_.end()) return std::nullopt;
  return it->second;
}

}  // namespace smbsrv
