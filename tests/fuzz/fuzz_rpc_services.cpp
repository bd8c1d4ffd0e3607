// srvsvc, wkssvc and lsarpc call decoders (src/rpc/srvsvc.cpp, wkssvc.cpp, lsarpc.cpp and
// lsa_wire.cpp) over a fixed fake Directory. Input: byte 0 selects the interface (% 3: srvsvc,
// wkssvc, lsarpc; bit 2: lsarpc first opens a policy handle and it replaces the stub's first 20
// bytes, so the handle-taking opnums get past the handle check), bytes 1-2 the opnum (LE), the
// rest is the request stub. Seeds: the impacket-marshalled requests (tests/unit/rpc/gen_vectors.py).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "rpc/rpc.hpp"
#include "unit/rpc/fake_directory.hpp"

using namespace smbsrv;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  static const auto dir = std::make_shared<rpc::test::FakeDirectory>();
  const PipeClient client = rpc::test::alice();
  const rpc::CallContext ctx{client};
  const std::uint8_t mode = data[0];
  const auto opnum = static_cast<std::uint16_t>(data[1] | (data[2] << 8));
  std::vector<std::uint8_t> stub(data + 3, data + size);

  std::unique_ptr<rpc::Interface> svc;
  switch (mode % 3) {
    case 0: svc = rpc::make_srvsvc(dir, [] { return std::chrono::system_clock::time_point{}; }); break;
    case 1: svc = rpc::make_wkssvc(dir); break;
    default: svc = rpc::make_lsarpc(dir); break;
  }
  if (mode % 3 == 2 && (mode & 4) != 0 && stub.size() >= 20) {
    // LsarOpenPolicy2 with a NULL SystemName and empty object attributes.
    const std::vector<std::uint8_t> open = {0, 0, 0, 0, 24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
    rpc::CallResult h = svc->call(44, open, ctx);
    if (h.fault == 0 && h.stub.size() == 24) std::copy(h.stub.begin(), h.stub.begin() + 20, stub.begin());
  }
  rpc::CallResult res = svc->call(opnum, stub, ctx);
  if (res.fault == 0 && res.stub.empty()) __builtin_trap();  // an answer always has a status
  return 0;
}
