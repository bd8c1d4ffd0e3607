// NTFS's name tunneling (ntcore/name_tunnel.hpp): a deleted long name is recalled by its short
// name in the same directory of the same backend for 15 seconds of the server's clock.
#include "ntcore/name_tunnel.hpp"

#include <gtest/gtest.h>

#include "codec/fscc.hpp"
#include "smbsrv/memory_vfs.hpp"

namespace smbsrv::nt {
namespace {

SmbPath path(std::string_view p) { return *SmbPath::parse(p); }

TEST(NameTunnel, RecallsADeletedLongNameForFifteenSeconds) {
  std::uint64_t now = 1'000'000'000;
  std::function<std::uint64_t()> clock = [&] { return now; };
  NameTunnel t(clock);
  auto vfs = make_memory_vfs({});
  auto other = make_memory_vfs({});
  const std::string long_name = "torture_search.txt";
  const auto sn = fscc::short_name_of(long_name);
  ASSERT_TRUE(sn);
  t.removed(*vfs, path("dir\\" + long_name));
  EXPECT_EQ(t.recall(*vfs, path("DIR"), *sn), long_name);  // the share is case-insensitive
  EXPECT_FALSE(t.recall(*vfs, path("other"), *sn));
  EXPECT_FALSE(t.recall(*other, path("dir"), *sn));  // another share's backend
  now += NameTunnel::kAge + 1;
  EXPECT_FALSE(t.recall(*vfs, path("dir"), *sn));
}

TEST(NameTunnel, An83NameIsItsOwnShortName) {
  std::uint64_t now = 0;
  std::function<std::uint64_t()> clock = [&] { return now; };
  NameTunnel t(clock);
  auto vfs = make_memory_vfs({});
  t.removed(*vfs, path("A.TXT"));
  EXPECT_FALSE(t.recall(*vfs, path(""), "A.TXT"));
}

}  // namespace
}  // namespace smbsrv::nt
