#include "transport/interfaces.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>

namespace smbsrv::transport {
namespace {

constexpr std::uint64_t kDefaultLinkSpeed = 1'000'000'000;  // what to say when the kernel does not know

struct Listen {
  bool any_v4 = false, any_v6 = false;
  std::optional<HostAddress> exact;  // a specific address (family and bytes only)
};

std::optional<Listen> parse_listen(std::string_view text) {
  const std::string s(text);
  Listen l;
  HostAddress a;
  if (inet_pton(AF_INET, s.c_str(), a.address.data()) == 1) {
    if (std::all_of(a.address.begin(), a.address.begin() + 4, [](std::uint8_t b) { return b == 0; })) {
      l.any_v4 = true;
    } else {
      l.exact = a;
    }
    return l;
  }
  std::string v6 = s;
  if (v6.size() > 2 && v6.front() == '[' && v6.back() == ']') v6 = v6.substr(1, v6.size() - 2);
  if (inet_pton(AF_INET6, v6.c_str(), a.address.data()) == 1) {
    a.ipv6 = true;
    if (std::all_of(a.address.begin(), a.address.end(), [](std::uint8_t b) { return b == 0; })) {
      l.any_v4 = l.any_v6 = true;  // Linux's default: an IPv6 wildcard listener takes IPv4 too
    } else {
      l.exact = a;
    }
    return l;
  }
  return std::nullopt;
}

bool same_address(const HostAddress& a, const HostAddress& b) {
  if (a.ipv6 != b.ipv6) return false;
  const std::size_t n = a.ipv6 ? 16 : 4;
  return std::equal(a.address.begin(), a.address.begin() + static_cast<std::ptrdiff_t>(n), b.address.begin());
}

bool link_local_v6(const HostAddress& a) { return a.ipv6 && a.address[0] == 0xfe && (a.address[1] & 0xc0) == 0x80; }

std::string to_text(const HostAddress& a) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(a.ipv6 ? AF_INET6 : AF_INET, a.address.data(), buf, sizeof buf);
  return buf;
}

}  // namespace

std::vector<codec::NetworkInterfaceInfo> select_interfaces(std::string_view listen_address,
                                                           const std::vector<NetworkInterface>& configured,
                                                           const std::vector<HostAddress>& host) {
  std::vector<codec::NetworkInterfaceInfo> out;
  auto listen = parse_listen(listen_address);
  if (!listen) return out;
  const bool loopback_only = listen->exact && std::any_of(host.begin(), host.end(), [&](const HostAddress& h) {
                               return h.loopback && same_address(h, *listen->exact);
                             });
  for (const auto& h : host) {
    if (!h.up || h.if_index == 0 || link_local_v6(h)) continue;  // 3.3.5.15.11: never IfIndex 0
    // Served: the listener's exact address, or any address of a wildcard's family.
    const bool served = listen->exact ? same_address(h, *listen->exact) : (h.ipv6 ? listen->any_v6 : listen->any_v4);
    if (!served) continue;
    // Loopback only for a server that listens on loopback alone: a remote client told 127.0.0.1
    // would connect to itself.
    if (h.loopback && !loopback_only) continue;
    const NetworkInterface* conf = nullptr;
    if (!configured.empty()) {
      const std::string text = to_text(h);
      auto it = std::find_if(configured.begin(), configured.end(),
                             [&](const NetworkInterface& c) { return c.name == h.name || c.name == text; });
      if (it == configured.end()) continue;
      conf = &*it;
    }
    codec::NetworkInterfaceInfo e;
    e.if_index = h.if_index;
    e.ipv6 = h.ipv6;
    e.address = h.address;
    e.scope_id = h.scope_id;
    e.link_speed = conf && conf->link_speed ? conf->link_speed : (h.link_speed ? h.link_speed : kDefaultLinkSpeed);
    if (conf && conf->rss_capable) e.capability |= codec::kInterfaceRssCapable;
    out.push_back(e);
  }
  return out;
}

std::vector<HostAddress> host_addresses() {
  std::vector<HostAddress> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || !i->ifa_name) continue;
    const int family = i->ifa_addr->sa_family;
    if (family != AF_INET && family != AF_INET6) continue;
    HostAddress h;
    h.name = i->ifa_name;
    h.if_index = if_nametoindex(i->ifa_name);
    h.up = (i->ifa_flags & IFF_UP) != 0 && (i->ifa_flags & IFF_RUNNING) != 0;
    h.loopback = (i->ifa_flags & IFF_LOOPBACK) != 0;
    if (family == AF_INET) {
      sockaddr_in sin{};
      std::memcpy(&sin, i->ifa_addr, sizeof sin);
      std::memcpy(h.address.data(), &sin.sin_addr, 4);
    } else {
      sockaddr_in6 sin6{};
      std::memcpy(&sin6, i->ifa_addr, sizeof sin6);
      h.ipv6 = true;
      std::memcpy(h.address.data(), &sin6.sin6_addr, 16);
      h.scope_id = sin6.sin6_scope_id;
    }
    // The kernel's link speed in Mb/s; -1 or absent for virtual links.
    std::ifstream speed("/sys/class/net/" + h.name + "/speed");
    long long mbps = 0;
    if (speed >> mbps && mbps > 0) h.link_speed = static_cast<std::uint64_t>(mbps) * 1'000'000;
    out.push_back(std::move(h));
  }
  freeifaddrs(list);
  return out;
}

}  // namespace smbsrv::transport
