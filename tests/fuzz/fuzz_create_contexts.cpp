// A CREATE request including its create-context chain; every name/data view must lie inside the
// message. Each context's data is also decoded as a lease request and as each durable-handle
// context (DHnQ, DHnC, DH2Q, DH2C), as an AllocationSize (AlSi), and as Apple's AAPL query and
// an AFP_AfpInfo blob.
#include "codec/aapl.hpp"
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
    // Durable-handle contexts (2.2.13.2.3/.4/.11/.12): fixed sizes, nothing read past the data.
    if (codec::decode_durable_request(c.data)) total = total + 1;
    if (auto d = codec::decode_durable_reconnect(c.data)) total = total + d->persistent;
    if (auto d = codec::decode_durable_request_v2(c.data)) total = total + d->timeout_ms + d->create_guid[15];
    if (auto d = codec::decode_durable_reconnect_v2(c.data)) total = total + d->flags + d->create_guid[15];
    // AlSi (2.2.13.2.6): exactly 8 bytes.
    if (auto a = codec::decode_allocation_size(c.data)) total = total + *a;
    if (auto a = codec::decode_app_instance_id(c.data)) total = total + (*a)[15];
    if (auto v = codec::decode_app_instance_version(c.data)) total = total + v->high + v->low;
    // AAPL (Apple's SERVER_QUERY): at least 24 bytes; AfpInfo checks look at 60 bytes at most.
    if (auto q = codec::decode_aapl_query(c.data)) total = total + q->request_bitmap + q->client_caps;
    if (codec::empty_afp_info(c.data)) total = total + 1;
    total = total + codec::listing_finder_info(c.data, c.data.size() % 2 == 0)[9];
  }
  (void)total;
  return 0;
}
