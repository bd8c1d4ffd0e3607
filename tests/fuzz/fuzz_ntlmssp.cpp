// NTLMSSP message parsers (NEGOTIATE, CHALLENGE, AUTHENTICATE) and AV pairs.
#include <vector>

#include "auth/ntlmssp.hpp"

using namespace smbsrv::auth;

namespace {
const std::uint8_t* g_begin = nullptr;
const std::uint8_t* g_end = nullptr;
void inside(ntlm::Bytes b) {
  if (b.empty()) return;
  if (b.data() < g_begin || b.data() + b.size() > g_end) __builtin_trap();
  volatile std::uint8_t s = b.back();
  (void)s;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ntlm::Bytes msg(data, size);
  g_begin = data;
  g_end = data + size;
  (void)ntlm::message_type(msg);
  ntlm::Negotiate n;
  (void)ntlm::parse_negotiate(msg, n);
  ntlm::Challenge c;
  if (ntlm::parse_challenge(msg, c)) {
    inside(c.target_name);
    inside(c.target_info);
    std::vector<ntlm::AvPair> avs;
    if (ntlm::parse_av_pairs(c.target_info, avs))
      for (const auto& av : avs) inside(av.value);
  }
  ntlm::Authenticate a;
  if (ntlm::parse_authenticate(msg, a)) {
    for (auto b : {a.lm_response, a.nt_response, a.domain, a.user, a.workstation, a.encrypted_session_key}) inside(b);
    // NTLMv2 responses carry AV pairs after a 28-byte header (MS-NLMP 2.2.2.7).
    if (a.nt_response.size() > 44) {
      std::vector<ntlm::AvPair> avs;
      (void)ntlm::parse_av_pairs(a.nt_response.subspan(44), avs);
    }
  }
  std::vector<ntlm::AvPair> avs;
  if (ntlm::parse_av_pairs(msg, avs))
    for (const auto& av : avs) inside(av.value);
  return 0;
}
