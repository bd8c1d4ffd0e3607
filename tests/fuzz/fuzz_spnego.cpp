// The DER reader (walked recursively into constructed values) and the SPNEGO token parsers.
#include "auth/der.hpp"
#include "auth/spnego.hpp"

using namespace smbsrv::auth;

namespace {
const std::uint8_t* g_begin = nullptr;
const std::uint8_t* g_end = nullptr;
void inside(der::Bytes b) {
  if (b.empty()) return;
  if (b.data() < g_begin || b.data() + b.size() > g_end) __builtin_trap();
}

void walk(der::Bytes contents, int depth) {
  if (depth > 16) return;
  der::Reader r(contents);
  der::Tlv t;
  while (r.next(t)) {
    inside(t.value);
    inside(t.encoded);
    if (t.tag & 0x20) walk(t.value, depth + 1);  // constructed
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const der::Bytes in(data, size);
  g_begin = data;
  g_end = data + size;
  der::Tlv t;
  der::Bytes rest;
  if (der::read(in, t, rest)) inside(rest);
  (void)der::read_exact(in, t);
  walk(in, 0);
  spnego::NegTokenInit init;
  if (spnego::parse_init(in, init)) {
    for (auto m : init.mech_types) inside(m);
    inside(init.mech_types_der);
    if (init.mech_token) inside(*init.mech_token);
    if (init.mech_list_mic) inside(*init.mech_list_mic);
  }
  spnego::NegTokenResp resp;
  if (spnego::parse_resp(in, resp)) {
    if (resp.supported_mech) inside(*resp.supported_mech);
    if (resp.response_token) inside(*resp.response_token);
    if (resp.mech_list_mic) inside(*resp.mech_list_mic);
  }
  return 0;
}
