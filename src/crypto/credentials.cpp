#include "smbsrv/credentials.hpp"

#include "crypto/crypto.hpp"
#include "util/utf16.hpp"

namespace smbsrv {
namespace {

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

NtHash nt_hash_of_password(std::string_view password) {
  const std::vector<std::uint8_t> u16 = to_utf16le(password);
  return crypto::md4(u16);
}

void InMemoryCredentialStore::add_user(std::string_view user, std::string_view password) {
  add_user_hash(user, nt_hash_of_password(password));
}

void InMemoryCredentialStore::add_user_hash(std::string_view user, const NtHash& hash) {
  std::lock_guard<std::mutex> lock(mu_);
  users_[lower_ascii(user)] = hash;
}

std::optional<NtHash> InMemoryCredentialStore::nt_hash(std::string_view user, std::string_view) const {
  const std::string key = lower_ascii(user);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = users_.find(key);
  if (it == users_.end()) return std::nullopt;
  return it->second;
}

}  // namespace smbsrv
