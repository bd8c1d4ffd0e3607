// A NEGOTIATE request (with 3.1.1 negotiate contexts), then the typed parser of each context.
// The typed parsers also run on the raw input after the first byte.
#include "codec/messages.hpp"

using namespace smbsrv;

namespace {
void typed(std::uint16_t type, Bytes d) {
  switch (type) {
    case codec::kPreauthIntegrityCapabilities:
      if (auto p = codec::decode_preauth_context(d); p && !p->salt.empty()) {
        volatile std::uint8_t s = p->salt.back();
        (void)s;
      }
      break;
    case codec::kEncryptionCapabilities: (void)codec::decode_encryption_context(d); break;
    case codec::kSigningCapabilities: (void)codec::decode_signing_context(d); break;
    default: break;
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const Bytes rest(data + 1, size - 1);
  if (data[0] < 8) {  // a bare context body
    typed(static_cast<std::uint16_t>(data[0] % 3 + 1), rest);
    return 0;
  }
  auto r = codec::decode_negotiate_request(rest);
  if (!r) return 0;
  for (const auto& c : r->negotiate_contexts) {
    if (!c.data.empty() && (c.data.data() < rest.data() || c.data.data() + c.data.size() > rest.data() + rest.size()))
      __builtin_trap();
    typed(c.context_type, c.data);
  }
  return 0;
}
