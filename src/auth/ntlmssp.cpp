#include "auth/ntlmssp.hpp"

#include <cstring>

#include "crypto/crypto.hpp"
#include "util/byte_reader.hpp"
#include "util/byte_writer.hpp"
#include "util/upcase.hpp"
#include "util/utf16.hpp"

namespace smbsrv::auth::ntlm {

const std::uint8_t kSignature[8] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};

namespace {

// A security buffer (Len, MaxLen, Offset) resolved against the whole message.
bool field(ByteReader& r, Bytes msg, Bytes& out) {
  const std::uint16_t len = r.u16();
  (void)r.u16();  // MaxLen
  const std::uint32_t off = r.u32();
  if (!r.ok()) return false;
  if (len == 0) { out = {}; return true; }
  return slice(msg, off, len, out);
}

bool header(Bytes msg, MessageType type, ByteReader& r) {
  r = ByteReader(msg);
  const Bytes sig = r.bytes(8);
  const std::uint32_t t = r.u32();
  return r.ok() && std::memcmp(sig.data(), kSignature, 8) == 0 && t == static_cast<std::uint32_t>(type);
}

void put_field(ByteWriter& w, std::size_t at, std::size_t len, std::size_t off) {
  w.put_u16(at, static_cast<std::uint16_t>(len));
  w.put_u16(at + 2, static_cast<std::uint16_t>(len));
  w.put_u32(at + 4, static_cast<std::uint32_t>(off));
}

void put_version(ByteWriter& w, const Version& v) {
  w.u8(v.major);
  w.u8(v.minor);
  w.u16(v.build);
  w.zeros(3);
  w.u8(v.ntlm_revision);
}

}  // namespace

std::optional<MessageType> message_type(Bytes msg) {
  ByteReader r(msg);
  const Bytes sig = r.bytes(8);
  const std::uint32_t t = r.u32();
  if (!r.ok() || std::memcmp(sig.data(), kSignature, 8) != 0 || t < 1 || t > 3) return std::nullopt;
  return static_cast<MessageType>(t);
}

bool parse_av_pairs(Bytes in, std::vector<AvPair>& out) {
  out.clear();
  ByteReader r(in);
  while (true) {
    const std::uint16_t id = r.u16();
    const std::uint16_t len = r.u16();
    const Bytes value = r.bytes(len);
    if (!r.ok()) return false;
    if (id == 0) return true;
    out.push_back(AvPair{static_cast<AvId>(id), value});
  }
}

void write_av_pair(std::vector<std::uint8_t>& out, AvId id, Bytes value) {
  ByteWriter w(out);
  w.u16(static_cast<std::uint16_t>(id));
  w.u16(static_cast<std::uint16_t>(value.size()));
  w.bytes(value);
}

bool parse_negotiate(Bytes msg, Negotiate& out) {
  ByteReader r;
  if (!header(msg, MessageType::negotiate, r)) return false;
  out.flags = r.u32();
  // DomainNameFields / WorkstationFields / Version are optional in practice and unused here.
  return r.ok();
}

std::vector<std::uint8_t> encode_negotiate(std::uint32_t flags) {
  std::vector<std::uint8_t> out;
  ByteWriter w(out);
  w.bytes(kSignature);
  w.u32(1);
  w.u32(flags);
  w.u16(0); w.u16(0); w.u32(40);
  w.u16(0); w.u16(0); w.u32(40);
  put_version(w, Version{});
  return out;
}

bool parse_challenge(Bytes msg, Challenge& out) {
  ByteReader r;
  if (!header(msg, MessageType::challenge, r)) return false;
  if (!field(r, msg, out.target_name)) return false;
  out.flags = r.u32();
  const Bytes ch = r.bytes(8);
  r.skip(8);
  if (!r.ok()) return false;
  std::memcpy(out.server_challenge.data(), ch.data(), 8);
  return field(r, msg, out.target_info);
}

std::vector<std::uint8_t> encode_challenge(std::uint32_t flags, std::span<const std::uint8_t, 8> server_challenge,
                                           Bytes target_name, Bytes target_info, const Version& version) {
  std::vector<std::uint8_t> out;
  ByteWriter w(out);
  w.bytes(kSignature);
  w.u32(2);
  w.zeros(8);  // TargetNameFields
  w.u32(flags);
  w.bytes(server_challenge);
  w.zeros(8);  // Reserved
  w.zeros(8);  // TargetInfoFields
  put_version(w, version);
  const std::size_t name_off = w.size();
  w.bytes(target_name);
  const std::size_t info_off = w.size();
  w.bytes(target_info);
  put_field(w, 12, target_name.size(), name_off);
  put_field(w, 40, target_info.size(), info_off);
  return out;
}

bool parse_authenticate(Bytes msg, Authenticate& out) {
  ByteReader r;
  if (!header(msg, MessageType::authenticate, r)) return false;
  if (!field(r, msg, out.lm_response) || !field(r, msg, out.nt_response) || !field(r, msg, out.domain) ||
      !field(r, msg, out.user) || !field(r, msg, out.workstation) || !field(r, msg, out.encrypted_session_key))
    return false;
  out.flags = r.u32();
  if (!r.ok()) return false;
  out.has_version_and_mic_space = msg.size() >= kMicOffset + 16;
  return true;
}

std::vector<std::uint8_t> encode_authenticate(const AuthenticateFields& f, const Version& version) {
  std::vector<std::uint8_t> out;
  ByteWriter w(out);
  w.bytes(kSignature);
  w.u32(3);
  w.zeros(6 * 8);
  w.u32(f.flags);
  put_version(w, version);
  w.zeros(16);  // MIC
  const Bytes parts[] = {f.lm_response, f.nt_response, f.domain, f.user, f.workstation, f.encrypted_session_key};
  std::size_t at = 12;
  for (Bytes p : parts) {
    put_field(w, at, p.size(), w.size());
    w.bytes(p);
    at += 8;
  }
  return out;
}

Key16 ntowf_v2(std::span<const std::uint8_t, 16> nt_hash, std::string_view user, std::string_view domain) {
  std::string s = upcase_utf8(user);
  s.append(domain);
  const std::vector<std::uint8_t> u16 = to_utf16le(s);
  return crypto::hmac_md5(nt_hash, {u16});
}

DirectionKeys derive_keys(Bytes exported_session_key, std::uint32_t flags, bool client_to_server) {
  static constexpr char kSignC2S[] = "session key to client-to-server signing key magic constant";
  static constexpr char kSignS2C[] = "session key to server-to-client signing key magic constant";
  static constexpr char kSealC2S[] = "session key to client-to-server sealing key magic constant";
  static constexpr char kSealS2C[] = "session key to server-to-client sealing key magic constant";
  auto magic = [](const char* s, std::size_t n) {  // n includes the terminating NUL
    return Bytes(reinterpret_cast<const std::uint8_t*>(s), n);
  };
  DirectionKeys k;
  const Bytes sign_magic = client_to_server ? magic(kSignC2S, sizeof kSignC2S) : magic(kSignS2C, sizeof kSignS2C);
  const Bytes seal_magic = client_to_server ? magic(kSealC2S, sizeof kSealC2S) : magic(kSealS2C, sizeof kSealS2C);
  std::vector<std::uint8_t> buf(exported_session_key.begin(), exported_session_key.end());
  buf.insert(buf.end(), sign_magic.begin(), sign_magic.end());
  k.sign_key = crypto::md5(buf);
  std::size_t seal_len = 5;
  if (flags & flag::k128) seal_len = 16;
  else if (flags & flag::k56) seal_len = 7;
  seal_len = std::min(seal_len, exported_session_key.size());
  buf.assign(exported_session_key.begin(), exported_session_key.begin() + static_cast<std::ptrdiff_t>(seal_len));
  buf.insert(buf.end(), seal_magic.begin(), seal_magic.end());
  const auto seal = crypto::md5(buf);
  k.seal_key.assign(seal.begin(), seal.end());
  return k;
}

std::array<std::uint8_t, 16> mac_ess(const DirectionKeys& keys, std::uint32_t flags, std::uint32_t seq, Bytes data) {
  const std::uint8_t seq_le[4] = {static_cast<std::uint8_t>(seq), static_cast<std::uint8_t>(seq >> 8),
                                  static_cast<std::uint8_t>(seq >> 16), static_cast<std::uint8_t>(seq >> 24)};
  const auto h = crypto::hmac_md5(keys.sign_key, {Bytes(seq_le, 4), data});
  std::array<std::uint8_t, 16> sig{};
  sig[0] = 1;  // Version
  std::memcpy(sig.data() + 4, h.data(), 8);
  if (flags & flag::kKeyExch) {
    std::uint8_t enc[8];
    crypto::rc4(keys.seal_key, Bytes(sig.data() + 4, 8), std::span<std::uint8_t>(enc, 8));
    std::memcpy(sig.data() + 4, enc, 8);
  }
  std::memcpy(sig.data() + 12, seq_le, 4);
  return sig;
}

}  // namespace smbsrv::auth::ntlm
