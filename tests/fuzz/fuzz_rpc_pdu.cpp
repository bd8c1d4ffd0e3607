// The DCE/RPC pipe endpoint (make_rpc_pipe) fed a sequence of messages ([u16 LE length][bytes],
// at most 32) with an echo interface. Every PDU is also given to each PDU decoder. Invariants:
// every answer is one whole PDU of a type a server sends, that decodes; response fragments fit the
// negotiated size, carry FIRST on the first and LAST on the last, and alloc_hint counts down by
// the stub bytes sent.
#include <cstdint>

#include "fuzz/fuzz_support.hpp"
#include "fuzz/rpc_fuzz_support.hpp"

using namespace smbsrv;
using namespace smbsrv::fuzz;
using rpc::PType;

namespace {

void decode_all(Bytes pdu) {
  (void)rpc::decode_bind(pdu);
  (void)rpc::decode_bind_ack(pdu);
  (void)rpc::decode_bind_nak(pdu);
  (void)rpc::decode_request(pdu);
  (void)rpc::decode_response(pdu);
  (void)rpc::decode_fault(pdu);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::unique_ptr<rpc::Interface>> ifs;
  ifs.push_back(std::make_unique<EchoInterface>());
  rpc::PipeLimits limits;
  limits.max_request = 64 * 1024;
  auto pipe = rpc::make_rpc_pipe(std::move(ifs), "\\PIPE\\srvsvc", PipeClient{}, limits);
  Chunks chunks(data, size);
  Vec msg;
  std::size_t max_frag = 65535;
  for (int i = 0; i < 32 && chunks.next(msg); ++i) {
    Bytes rest(msg);
    while (auto s = rpc::split_pdu(rest)) {
      decode_all(s->pdu);
      rest = rest.subspan(s->pdu.size());
    }
    auto out = pipe->write(msg);
    bool in_response = false;
    std::uint32_t hint = 0;
    for (const auto& m : out) {
      auto s = rpc::split_pdu(m);
      if (!s || s->pdu.size() != m.size()) __builtin_trap();
      switch (static_cast<PType>(s->hdr.ptype)) {
        case PType::bind_ack:
        case PType::alter_context_resp: {
          auto a = rpc::decode_bind_ack(m);
          if (!a) __builtin_trap();
          if (a->max_xmit_frag < 1432 || a->max_xmit_frag > 4280) __builtin_trap();
          max_frag = a->max_xmit_frag;
          break;
        }
        case PType::bind_nak:
          if (!rpc::decode_bind_nak(m)) __builtin_trap();
          break;
        case PType::fault:
          if (!rpc::decode_fault(m) || in_response) __builtin_trap();
          break;
        case PType::response: {
          auto r = rpc::decode_response(m);
          if (!r || m.size() > max_frag) __builtin_trap();
          bool first = r->hdr.pfc_flags & rpc::kPfcFirstFrag;
          bool last = r->hdr.pfc_flags & rpc::kPfcLastFrag;
          if (first == in_response) __builtin_trap();
          if (!first && r->alloc_hint != hint) __builtin_trap();
          if (r->stub.size() > r->alloc_hint) __builtin_trap();
          hint = r->alloc_hint - static_cast<std::uint32_t>(r->stub.size());
          if (last != (hint == 0)) __builtin_trap();
          in_response = !last;
          break;
        }
        default:
          __builtin_trap();
      }
    }
    if (in_response) __builtin_trap();
  }
  return 0;
}
