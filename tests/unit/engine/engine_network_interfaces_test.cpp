// FSCTL_QUERY_NETWORK_INTERFACE_INFO (MS-SMB2 3.3.5.15.11): the list the transport supplies
// (ServerState::network_interfaces), as NETWORK_INTERFACE_INFO entries (2.2.32.5).
#include <gtest/gtest.h>

#include "support/engine_client.hpp"

namespace smbsrv::test {
namespace {

constexpr codec::FileId kNoFile{~0ULL, ~0ULL};

struct Interfaces : ::testing::Test {
  std::shared_ptr<engine::ServerState> st = make_test_state();
  EngineClient c{st};
  void SetUp() override {
    codec::NetworkInterfaceInfo v4;
    v4.if_index = 2;
    v4.link_speed = 10'000'000'000;
    v4.capability = codec::kInterfaceRssCapable;
    v4.address = {192, 0, 2, 7};
    codec::NetworkInterfaceInfo v6;
    v6.if_index = 2;
    v6.ipv6 = true;
    v6.link_speed = 10'000'000'000;
    v6.address = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7};
    st->network_interfaces = [v4, v6] { return std::vector<codec::NetworkInterfaceInfo>{v4, v6}; };
  }
  Rsp query(const codec::FileId& f = kNoFile, std::uint32_t max_out = 65536) {
    return c.one({Command::ioctl, EngineClient::ioctl_body(codec::kFsctlQueryNetworkInterfaceInfo, f, {}, max_out)});
  }
  static Vec output(const Rsp& r) { return r.buffer(r.u32(32), r.u32(36)); }
  static std::uint32_t u32(const Vec& v, std::size_t at) {
    std::uint32_t r = 0;
    for (std::size_t i = 0; i < 4; ++i) r |= static_cast<std::uint32_t>(v[at + i]) << (8 * i);
    return r;
  }
};

TEST_F(Interfaces, EachAddressIsOneEntry) {
  c.connect({0x0311});
  auto r = query();
  ASSERT_EQ(r.status(), NtStatus::success);
  const Vec out = output(r);
  ASSERT_EQ(out.size(), 2 * codec::kNetworkInterfaceInfoSize);
  EXPECT_EQ(u32(out, 0), codec::kNetworkInterfaceInfoSize);  // Next
  EXPECT_EQ(u32(out, 4), 2u);                                 // IfIndex
  EXPECT_EQ(u32(out, 8), codec::kInterfaceRssCapable);
  EXPECT_EQ(u32(out, 16), 1410065408u);  // LinkSpeed 10 Gb/s, low half
  EXPECT_EQ(out[24], 0x02);              // AF_INET
  EXPECT_EQ((Vec{out.begin() + 28, out.begin() + 32}), (Vec{192, 0, 2, 7}));
  const std::size_t b = codec::kNetworkInterfaceInfoSize;
  EXPECT_EQ(u32(out, b), 0u);  // the last
  EXPECT_EQ(out[b + 24], 0x17);  // AF_INET6
  EXPECT_EQ(out[b + 32], 0x20);  // Family 2, Port 2, FlowInfo 4, then the address
  EXPECT_EQ(out[b + 47], 7);
}

TEST_F(Interfaces, Refusals) {
  c.connect({0x0311});
  // It concerns no file: any other FileId is INVALID_PARAMETER, before the size check.
  EXPECT_EQ(query(codec::FileId{1, 1}, 1).status(), NtStatus::invalid_parameter);
  EXPECT_EQ(query(kNoFile, 1).status(), NtStatus::buffer_too_small);
  st->network_interfaces = nullptr;
  EXPECT_EQ(query().status(), NtStatus::not_supported);
}

TEST_F(Interfaces, NotBefore3x) {
  c.connect({0x0210});
  EXPECT_EQ(query().status(), NtStatus::not_supported);
}

}  // namespace
}  // namespace smbsrv::test
