#include "auth/spnego.hpp"

#include <cstring>
#include <string_view>

#include "auth/authenticator.hpp"
#include "auth/der.hpp"

namespace smbsrv::auth {
namespace spnego {

const std::uint8_t kOidSpnego[8] = {0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02};
const std::uint8_t kOidNtlmssp[12] = {0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a};

namespace {

bool equal(Bytes a, Bytes b) { return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0); }

// Reads [n] { OCTET STRING } and returns the octets.
bool octets_in(const der::Tlv& field, Bytes& out) {
  der::Tlv os;
  if (!der::read_exact(field.value, os) || os.tag != der::kOctetString) return false;
  out = os.value;
  return true;
}

bool parse_neg_token_init_seq(Bytes seq_encoded, NegTokenInit& out) {
  der::Tlv seq;
  if (!der::read_exact(seq_encoded, seq) || seq.tag != der::kSequence) return false;
  der::Reader r(seq.value);
  der::Tlv f;
  int last = -1;
  bool have_mechs = false;
  while (r.next(f)) {
    const int n = f.tag - 0xA0;
    if (n < 0 || n > 4 || n <= last) return false;  // context tags, in order, each at most once
    last = n;
    switch (n) {
      case 0: {  // mechTypes: SEQUENCE OF OID
        der::Tlv list;
        if (!der::read_exact(f.value, list) || list.tag != der::kSequence) return false;
        out.mech_types_der = list.encoded;
        der::Reader lr(list.value);
        der::Tlv oid;
        while (lr.next(oid)) {
          if (oid.tag != der::kOid) return false;
          out.mech_types.push_back(oid.encoded);
        }
        if (lr.failed()) return false;
        have_mechs = true;
        break;
      }
      case 1: {  // reqFlags: BIT STRING (ignored)
        der::Tlv bs;
        if (!der::read_exact(f.value, bs) || bs.tag != der::kBitString) return false;
        break;
      }
      case 2: {
        Bytes b;
        if (!octets_in(f, b)) return false;
        out.mech_token = b;
        break;
      }
      case 3: {  // mechListMIC in NegTokenInit; negHints in NegTokenInit2 (a SEQUENCE): ignore that
        der::Tlv inner;
        if (!der::read_exact(f.value, inner)) return false;
        if (inner.tag == der::kOctetString) out.mech_list_mic = inner.value;
        break;
      }
      case 4: {
        Bytes b;
        if (!octets_in(f, b)) return false;
        out.mech_list_mic = b;
        break;
      }
      default: return false;
    }
  }
  return !r.failed() && have_mechs;
}

}  // namespace

bool parse_init(Bytes token, NegTokenInit& out) {
  out = NegTokenInit{};
  der::Tlv app;
  if (!der::read_exact(token, app) || app.tag != der::kApplication0) return false;
  der::Tlv oid;
  Bytes rest;
  if (!der::read(app.value, oid, rest) || oid.tag != der::kOid || !equal(oid.encoded, kOidSpnego)) return false;
  der::Tlv choice;
  if (!der::read_exact(rest, choice) || choice.tag != der::context(0)) return false;
  return parse_neg_token_init_seq(choice.value, out);
}

bool parse_resp(Bytes token, NegTokenResp& out) {
  out = NegTokenResp{};
  der::Tlv choice;
  if (!der::read_exact(token, choice) || choice.tag != der::context(1)) return false;
  der::Tlv seq;
  if (!der::read_exact(choice.value, seq) || seq.tag != der::kSequence) return false;
  der::Reader r(seq.value);
  der::Tlv f;
  int last = -1;
  while (r.next(f)) {
    const int n = f.tag - 0xA0;
    if (n < 0 || n > 3 || n <= last) return false;
    last = n;
    switch (n) {
      case 0: {
        der::Tlv e;
        if (!der::read_exact(f.value, e) || e.tag != der::kEnumerated || e.value.size() != 1 || e.value[0] > 3)
          return false;
        out.neg_state = static_cast<NegState>(e.value[0]);
        break;
      }
      case 1: {
        der::Tlv oid;
        if (!der::read_exact(f.value, oid) || oid.tag != der::kOid) return false;
        out.supported_mech = oid.encoded;
        break;
      }
      case 2: {
        Bytes b;
        if (!octets_in(f, b)) return false;
        out.response_token = b;
        break;
      }
      case 3: {
        Bytes b;
        if (!octets_in(f, b)) return false;
        out.mech_list_mic = b;
        break;
      }
      default: return false;
    }
  }
  return !r.failed();
}

std::vector<std::uint8_t> encode_resp(std::optional<NegState> state, std::optional<Bytes> supported_mech,
                                      std::optional<Bytes> response_token, std::optional<Bytes> mech_list_mic) {
  std::vector<std::uint8_t> body;
  if (state) {
    const std::uint8_t v = static_cast<std::uint8_t>(*state);
    const auto e = der::tlv(der::kEnumerated, {Bytes(&v, 1)});
    der::write(body, der::context(0), {e});
  }
  if (supported_mech) der::write(body, der::context(1), {*supported_mech});
  if (response_token) {
    const auto os = der::tlv(der::kOctetString, {*response_token});
    der::write(body, der::context(2), {os});
  }
  if (mech_list_mic) {
    const auto os = der::tlv(der::kOctetString, {*mech_list_mic});
    der::write(body, der::context(3), {os});
  }
  const auto seq = der::tlv(der::kSequence, {body});
  return der::tlv(der::context(1), {seq});
}

std::vector<std::uint8_t> encode_init(std::span<const Bytes> mech_types, std::optional<Bytes> mech_token,
                                      std::vector<std::uint8_t>* mech_types_der) {
  std::vector<std::uint8_t> oids;
  for (Bytes m : mech_types) oids.insert(oids.end(), m.begin(), m.end());
  const auto list = der::tlv(der::kSequence, {oids});
  if (mech_types_der) *mech_types_der = list;
  std::vector<std::uint8_t> body;
  der::write(body, der::context(0), {list});
  if (mech_token) {
    const auto os = der::tlv(der::kOctetString, {*mech_token});
    der::write(body, der::context(2), {os});
  }
  const auto seq = der::tlv(der::kSequence, {body});
  const auto choice = der::tlv(der::context(0), {seq});
  return der::tlv(der::kApplication0, {Bytes(kOidSpnego), choice});
}

std::vector<std::uint8_t> encode_hint() {
  static constexpr std::string_view kHint = "not_defined_in_RFC4178@please_ignore";
  const auto list = der::tlv(der::kSequence, {Bytes(kOidNtlmssp)});
  const auto gs = der::tlv(der::kGeneralString,
                           {Bytes(reinterpret_cast<const std::uint8_t*>(kHint.data()), kHint.size())});
  const auto hint_name = der::tlv(der::context(0), {gs});
  const auto hints = der::tlv(der::kSequence, {hint_name});
  std::vector<std::uint8_t> body;
  der::write(body, der::context(0), {list});
  der::write(body, der::context(3), {hints});
  const auto seq = der::tlv(der::kSequence, {body});
  const auto choice = der::tlv(der::context(0), {seq});
  return der::tlv(der::kApplication0, {Bytes(kOidSpnego), choice});
}

}  // namespace spnego

std::vector<std::uint8_t> negotiate_hint_token() { return spnego::encode_hint(); }

}  // namespace smbsrv::auth
