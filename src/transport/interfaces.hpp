// The host's network interfaces as FSCTL_QUERY_NETWORK_INTERFACE_INFO lists them (MS-SMB2
// 3.3.5.15.11): from getifaddrs(3), filtered by what the server listens on and by
// ServerConfig::network_interfaces (smbsrv/server.hpp states the rules).
#pragma once

#include <string_view>
#include <vector>

#include "codec/messages.hpp"
#include "smbsrv/server.hpp"

namespace smbsrv::transport {

/// One address of one interface, as found on the host.
struct HostAddress {
  std::string name;  // "eth0"
  std::uint32_t if_index = 0;
  bool up = false, loopback = false;
  bool ipv6 = false;
  std::array<std::uint8_t, 16> address{};  // network byte order
  std::uint32_t scope_id = 0;
  std::uint64_t link_speed = 0;  // bits per second, 0: unknown
};

/// The entries to list, from `host` (pure: tests pass their own).
std::vector<codec::NetworkInterfaceInfo> select_interfaces(std::string_view listen_address,
                                                           const std::vector<NetworkInterface>& configured,
                                                           const std::vector<HostAddress>& host);

/// The host's addresses now (getifaddrs, if_nametoindex, /sys/class/net/NAME/speed).
std::vector<HostAddress> host_addresses();

}  // namespace smbsrv::transport
