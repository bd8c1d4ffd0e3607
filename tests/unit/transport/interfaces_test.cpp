// What FSCTL_QUERY_NETWORK_INTERFACE_INFO lists (transport/interfaces.hpp): only addresses the
// server listens on, loopback only for a loopback-only server, no IfIndex 0, no interface that
// is down, no IPv6 link-local address; ServerConfig::network_interfaces restricts and describes.
#include "transport/interfaces.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

namespace smbsrv::transport {
namespace {

HostAddress addr(std::string name, std::uint32_t index, const char* text, bool loopback = false) {
  HostAddress h;
  h.name = std::move(name);
  h.if_index = index;
  h.up = true;
  h.loopback = loopback;
  if (inet_pton(AF_INET, text, h.address.data()) != 1) {
    h.ipv6 = true;
    EXPECT_EQ(inet_pton(AF_INET6, text, h.address.data()), 1) << text;
  }
  return h;
}

std::vector<HostAddress> host() {
  auto down = addr("eth2", 4, "198.51.100.9");
  down.up = false;
  auto eth0 = addr("eth0", 2, "192.0.2.7");
  eth0.link_speed = 10'000'000'000;
  return {addr("lo", 1, "127.0.0.1", true), addr("lo", 1, "::1", true), eth0, addr("eth0", 2, "2001:db8::7"),
          addr("eth0", 2, "fe80::1"),       addr("eth1", 3, "203.0.113.5"), down, addr("weird", 0, "192.0.2.99")};
}

std::vector<std::uint32_t> indexes(const std::vector<codec::NetworkInterfaceInfo>& l) {
  std::vector<std::uint32_t> out;
  for (const auto& e : l) out.push_back(e.if_index);
  return out;
}

TEST(NetworkInterfaces, AnIPv4WildcardListsEveryIPv4AddressButLoopback) {
  auto l = select_interfaces("0.0.0.0", {}, host());
  EXPECT_EQ(indexes(l), (std::vector<std::uint32_t>{2, 3}));
  EXPECT_FALSE(l[0].ipv6);
  EXPECT_EQ(l[0].link_speed, 10'000'000'000u);  // as the kernel reports it
  EXPECT_EQ(l[1].link_speed, 1'000'000'000u);   // unknown: 1 Gb/s
  EXPECT_EQ(l[0].capability, 0u);
}

TEST(NetworkInterfaces, AnIPv6WildcardAddsIPv6ButNotLinkLocal) {
  auto l = select_interfaces("::", {}, host());
  EXPECT_EQ(indexes(l), (std::vector<std::uint32_t>{2, 2, 3}));
  EXPECT_TRUE(l[1].ipv6);
}

TEST(NetworkInterfaces, AnExactAddressListsOnlyItself) {
  auto l = select_interfaces("203.0.113.5", {}, host());
  EXPECT_EQ(indexes(l), (std::vector<std::uint32_t>{3}));
  // Loopback is listed only for a server that listens on loopback alone.
  l = select_interfaces("127.0.0.1", {}, host());
  ASSERT_EQ(indexes(l), (std::vector<std::uint32_t>{1}));
  EXPECT_EQ(l[0].address[0], 127);
  // An address of no interface: nothing.
  EXPECT_TRUE(select_interfaces("192.0.2.200", {}, host()).empty());
  EXPECT_TRUE(select_interfaces("not an address", {}, host()).empty());
}

TEST(NetworkInterfaces, ConfigurationRestrictsAndDescribes) {
  std::vector<NetworkInterface> conf = {{"eth1", 25'000'000'000, true}, {"2001:db8::7", 0, false}};
  auto l = select_interfaces("::", conf, host());
  ASSERT_EQ(indexes(l), (std::vector<std::uint32_t>{2, 3}));
  EXPECT_TRUE(l[0].ipv6);  // named by its address
  EXPECT_EQ(l[1].link_speed, 25'000'000'000u);
  EXPECT_EQ(l[1].capability, codec::kInterfaceRssCapable);
  // A configured interface the server does not listen on is still left out.
  EXPECT_TRUE(select_interfaces("192.0.2.7", conf, host()).empty());
}

}  // namespace
}  // namespace smbsrv::transport
