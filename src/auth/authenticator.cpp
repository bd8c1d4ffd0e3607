#include "auth/authenticator.hpp"

#include <cstring>

#include "auth/der.hpp"
#include "auth/ntlmssp.hpp"
#include "auth/spnego.hpp"
#include "crypto/crypto.hpp"
#include "util/utf16.hpp"

namespace smbsrv::auth {

namespace {

using namespace ntlm::flag;

bool same(Bytes a, Bytes b) { return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0); }

// Flags assumed when SPNEGO selected NTLM without the client having sent a NEGOTIATE message.
constexpr std::uint32_t kDefaultClientFlags = kUnicode | kRequestTarget | kSign | kSeal | kNtlm | kAlwaysSign |
                                              kExtendedSessionSecurity | kTargetInfo | kVersion | k128 | kKeyExch | k56;

std::uint32_t challenge_flags(std::uint32_t client) {
  std::uint32_t f = kUnicode | kRequestTarget | kNtlm | kAlwaysSign | kExtendedSessionSecurity | kTargetInfo |
                    kVersion | kTargetTypeDomain;
  f |= client & (k128 | k56 | kKeyExch | kSign | kSeal);
  if ((f & (k128 | k56)) == 0) f |= k128;
  return f;
}

std::optional<std::string> decode_string(Bytes b, bool unicode) {
  if (unicode) return utf16le_to_utf8(b);
  std::string s;  // OEM: treat as Latin-1
  for (std::uint8_t c : b) {
    if (c < 0x80) s.push_back(static_cast<char>(c));
    else { s.push_back(static_cast<char>(0xC0 | (c >> 6))); s.push_back(static_cast<char>(0x80 | (c & 0x3F))); }
  }
  return s;
}

}  // namespace

struct Authenticator::Impl {
  enum class State { initial, challenged, done };

  AuthConfig cfg;
  State state = State::initial;
  bool spnego = false;
  std::vector<std::uint8_t> negotiate_msg;   // empty when SPNEGO skipped it
  std::vector<std::uint8_t> challenge_msg;
  std::array<std::uint8_t, 8> server_challenge{};
  std::uint32_t offered_flags = 0;
  std::vector<std::uint8_t> mech_types_der;  // for the SPNEGO mechListMIC

  std::array<std::uint8_t, 16> session_key{};
  bool guest = false, anonymous = false;
  std::string user, domain;
  std::uint32_t final_flags = 0;
  bool have_key = false;

  Step fail(NtStatus s) {
    state = State::done;
    Step st;
    st.status = s;
    return st;
  }

  // Builds the CHALLENGE for the given client flags and remembers it.
  void make_challenge(std::uint32_t client_flags) {
    offered_flags = challenge_flags(client_flags);
    if (cfg.random) cfg.random(server_challenge);
    else crypto::random_bytes(server_challenge);
    const std::uint64_t now = cfg.now ? cfg.now() : 0;
    const std::string& dns_domain = cfg.dns_domain_name.empty() ? cfg.netbios_domain_name : cfg.dns_domain_name;
    std::vector<std::uint8_t> info;
    ntlm::write_av_pair(info, ntlm::AvId::nb_domain_name, to_utf16le(cfg.netbios_domain_name));
    ntlm::write_av_pair(info, ntlm::AvId::nb_computer_name, to_utf16le(cfg.netbios_computer_name));
    ntlm::write_av_pair(info, ntlm::AvId::dns_domain_name, to_utf16le(dns_domain));
    ntlm::write_av_pair(info, ntlm::AvId::dns_computer_name, to_utf16le(cfg.dns_computer_name));
    std::uint8_t ts[8];
    for (int i = 0; i < 8; ++i) ts[i] = static_cast<std::uint8_t>(now >> (8 * i));
    ntlm::write_av_pair(info, ntlm::AvId::timestamp, Bytes(ts, 8));
    ntlm::write_av_pair(info, ntlm::AvId::eol, {});
    challenge_msg = ntlm::encode_challenge(offered_flags, server_challenge, to_utf16le(cfg.netbios_domain_name),
                                           info, ntlm::Version{});
  }

  Step first(Bytes in) {
    if (in[0] == der::kApplication0) {
      spnego::NegTokenInit init;
      if (!spnego::parse_init(in, init)) return fail(NtStatus::invalid_parameter);
      std::size_t idx = init.mech_types.size();
      for (std::size_t i = 0; i < init.mech_types.size(); ++i) {
        if (same(init.mech_types[i], spnego::kOidNtlmssp)) { idx = i; break; }
      }
      if (idx == init.mech_types.size()) {
        state = State::done;
        Step st;
        st.status = NtStatus::logon_failure;
        st.out_token = spnego::encode_resp(spnego::NegState::reject, std::nullopt, std::nullopt, std::nullopt);
        return st;
      }
      spnego = true;
      mech_types_der.assign(init.mech_types_der.begin(), init.mech_types_der.end());
      std::uint32_t client_flags = kDefaultClientFlags;
      if (idx == 0 && init.mech_token) {  // optimistic token is ours: the NEGOTIATE
        ntlm::Negotiate neg;
        if (!ntlm::parse_negotiate(*init.mech_token, neg)) return fail(NtStatus::invalid_parameter);
        negotiate_msg.assign(init.mech_token->begin(), init.mech_token->end());
        client_flags = neg.flags;
      }
      make_challenge(client_flags);
      state = State::challenged;
      Step st;
      st.status = NtStatus::more_processing_required;
      st.out_token = spnego::encode_resp(spnego::NegState::accept_incomplete, Bytes(spnego::kOidNtlmssp),
                                         Bytes(challenge_msg), std::nullopt);
      return st;
    }
    ntlm::Negotiate neg;
    if (!ntlm::parse_negotiate(in, neg)) return fail(NtStatus::invalid_parameter);
    negotiate_msg.assign(in.begin(), in.end());
    make_challenge(neg.flags);
    state = State::challenged;
    Step st;
    st.status = NtStatus::more_processing_required;
    st.out_token = challenge_msg;
    return st;
  }

  // Verifies an AUTHENTICATE message; fills the result fields.
  NtStatus authenticate(Bytes msg) {
    ntlm::Authenticate a;
    if (!ntlm::parse_authenticate(msg, a)) return NtStatus::invalid_parameter;
    const bool unicode = (a.flags & kUnicode) != 0;
    auto u = decode_string(a.user, unicode);
    auto d = decode_string(a.domain, unicode);
    if (!u || !d) return NtStatus::invalid_parameter;
    user = *u;
    domain = *d;
    final_flags = a.flags;

    // Anonymous: no user, no NT response, empty or single-zero LM response.
    if (user.empty() && a.nt_response.empty() &&
        (a.lm_response.empty() || (a.lm_response.size() == 1 && a.lm_response[0] == 0))) {
      if (!cfg.allow_guest) return NtStatus::logon_failure;
      anonymous = true;
      return NtStatus::success;
    }
    if (a.nt_response.size() <= 24) return NtStatus::logon_failure;  // LM / NTLMv1: refused
    // NTLMv2_RESPONSE: NTProofStr(16) + NTLMv2_CLIENT_CHALLENGE (28-byte header + AV pairs).
    if (a.nt_response.size() < 16 + 28) return NtStatus::invalid_parameter;
    const Bytes proof = a.nt_response.first(16);
    const Bytes blob = a.nt_response.subspan(16);
    std::vector<ntlm::AvPair> avs;
    if (!ntlm::parse_av_pairs(blob.subspan(28), avs)) return NtStatus::invalid_parameter;

    std::optional<NtHash> hash;
    if (cfg.credentials != nullptr && !user.empty()) hash = cfg.credentials->nt_hash(user, domain);
    if (!hash) {
      if (!cfg.allow_guest) return NtStatus::logon_failure;
      guest = true;
      return NtStatus::success;
    }

    ntlm::Key16 owf{};
    bool ok = false;
    for (const std::string_view dom : {std::string_view(domain), std::string_view()}) {
      owf = ntlm::ntowf_v2(*hash, user, dom);
      const auto expect = crypto::hmac_md5(owf, {server_challenge, blob});
      if (crypto::equal_ct(expect, proof)) { ok = true; break; }
    }
    if (!ok) return NtStatus::logon_failure;
    const auto base_key = crypto::hmac_md5(owf, {proof});

    if ((a.flags & kKeyExch) && (offered_flags & kKeyExch)) {
      if (a.encrypted_session_key.size() != 16) return NtStatus::invalid_parameter;
      crypto::rc4(base_key, a.encrypted_session_key, session_key);
    } else {
      session_key = base_key;
    }

    // MIC over NEGOTIATE || CHALLENGE || AUTHENTICATE (MIC zeroed), when the client says it sent one.
    for (const auto& av : avs) {
      if (av.id != ntlm::AvId::flags) continue;
      if (av.value.size() != 4) return NtStatus::invalid_parameter;
      const std::uint32_t avf = static_cast<std::uint32_t>(av.value[0]) | (static_cast<std::uint32_t>(av.value[1]) << 8) |
                                (static_cast<std::uint32_t>(av.value[2]) << 16) | (static_cast<std::uint32_t>(av.value[3]) << 24);
      if (avf & ntlm::kAvFlagMicPresent) {
        if (!a.has_version_and_mic_space) return NtStatus::invalid_parameter;
        static constexpr std::uint8_t kZero[16] = {};
        const auto mic = crypto::hmac_md5(session_key, {negotiate_msg, challenge_msg, msg.first(ntlm::kMicOffset),
                                                        Bytes(kZero, 16), msg.subspan(ntlm::kMicOffset + 16)});
        if (!crypto::equal_ct(mic, msg.subspan(ntlm::kMicOffset, 16))) {
          session_key = {};
          return NtStatus::logon_failure;
        }
      }
    }
    have_key = true;
    return NtStatus::success;
  }

  Step second(Bytes in) {
    if (!spnego) {
      if (ntlm::message_type(in) != ntlm::MessageType::authenticate) return fail(NtStatus::invalid_parameter);
      const NtStatus s = authenticate(in);
      if (s != NtStatus::success) { reset_result(); return fail(s); }
      state = State::done;
      Step st;
      st.status = NtStatus::success;
      return st;
    }
    spnego::NegTokenResp resp;
    if (!spnego::parse_resp(in, resp) || !resp.response_token) return fail(NtStatus::invalid_parameter);
    if (resp.supported_mech && !same(*resp.supported_mech, spnego::kOidNtlmssp)) return fail(NtStatus::invalid_parameter);
    const Bytes tok = *resp.response_token;
    const auto type = ntlm::message_type(tok);
    if (type == ntlm::MessageType::negotiate && negotiate_msg.empty()) {
      // The client preferred another mechanism and now starts NTLM properly: challenge again.
      ntlm::Negotiate neg;
      if (!ntlm::parse_negotiate(tok, neg)) return fail(NtStatus::invalid_parameter);
      negotiate_msg.assign(tok.begin(), tok.end());
      make_challenge(neg.flags);
      Step st;
      st.status = NtStatus::more_processing_required;
      st.out_token = spnego::encode_resp(spnego::NegState::accept_incomplete, std::nullopt, Bytes(challenge_msg),
                                         std::nullopt);
      return st;
    }
    if (type != ntlm::MessageType::authenticate) return fail(NtStatus::invalid_parameter);
    const NtStatus s = authenticate(tok);
    if (s != NtStatus::success) { reset_result(); return fail(s); }

    const bool ess = (final_flags & kExtendedSessionSecurity) != 0;
    if (resp.mech_list_mic && have_key) {
      if (!ess) { reset_result(); return fail(NtStatus::logon_failure); }
      const auto keys = ntlm::derive_keys(session_key, final_flags, true);
      const auto expect = ntlm::mac_ess(keys, final_flags, 0, mech_types_der);
      if (!crypto::equal_ct(expect, *resp.mech_list_mic)) { reset_result(); return fail(NtStatus::logon_failure); }
    }
    state = State::done;
    Step st;
    st.status = NtStatus::success;
    if (have_key && ess) {
      const auto keys = ntlm::derive_keys(session_key, final_flags, false);
      const auto mic = ntlm::mac_ess(keys, final_flags, 0, mech_types_der);
      st.out_token = spnego::encode_resp(spnego::NegState::accept_completed, std::nullopt, std::nullopt, Bytes(mic));
    } else {
      st.out_token = spnego::encode_resp(spnego::NegState::accept_completed, std::nullopt, std::nullopt, std::nullopt);
    }
    return st;
  }

  void reset_result() {
    session_key = {};
    guest = anonymous = have_key = false;
  }
};

Authenticator::Authenticator(AuthConfig config) : impl_(std::make_unique<Impl>()) { impl_->cfg = std::move(config); }
Authenticator::~Authenticator() = default;

Authenticator::Step Authenticator::step(Bytes in_token) {
  Impl& s = *impl_;
  if (in_token.empty()) return s.fail(NtStatus::invalid_parameter);
  switch (s.state) {
    case Impl::State::initial: return s.first(in_token);
    case Impl::State::challenged: return s.second(in_token);
    case Impl::State::done: break;
  }
  Step st;
  st.status = NtStatus::invalid_parameter;
  return st;
}

const std::array<std::uint8_t, 16>& Authenticator::session_key() const { return impl_->session_key; }
bool Authenticator::is_guest() const { return impl_->guest; }
bool Authenticator::is_anonymous() const { return impl_->anonymous; }
const std::string& Authenticator::user() const { return impl_->user; }
const std::string& Authenticator::domain() const { return impl_->domain; }

}  // namespace smbsrv::auth
