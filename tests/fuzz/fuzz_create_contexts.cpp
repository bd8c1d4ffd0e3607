// A CREATE request including its create-context chain; every name/data view must lie inside the
// message. Each context's data is also decoded as a lease request.
#include "codec/messages.hpp"

using namespace smbsrv;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes msg(data, size);
  auto r = codec::decode_create_request(msg);
  if (!r) return 0;
  auto inside = [&](Bytes b) {
    if (b.empty()) return;
    if (b.data() < msg.data() || b.data() + b.size() > msg.data() + msg.size()) __builtin_trap();
  };
  volatile std::size_t total = r->name.size();
  for (const auto& c : r->create_contexts) {
    inside(c.name);
    inside(c.data);
    total = total + c.name.size() + c.data.size();
    // Every context's data also goes through the lease decoder (RqLs, 2.2.13.2.8/2.2.13.2.10):
    // it must accept exactly the two sizes and never read past the data.
    if (auto l = codec::decode_lease_context(c.data)) total = total + l->state;
  }
  (void)total;
  return 0;
}
