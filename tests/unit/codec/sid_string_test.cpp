// SID string forms (MS-DTYP 2.4.2.1) and the machine SID / account RIDs the RPC services use.
#include <gtest/gtest.h>

#include "codec/security_descriptor.hpp"
#include "engine/rpc_directory.hpp"

namespace smbsrv::codec {
namespace {

TEST(SidString, RoundTrips) {
  for (const char* s : {"S-1-1-0", "S-1-5-32-544", "S-1-5-21-1-2-3-1000", "S-1-5-21-4294967295-0-7"}) {
    auto sid = parse_sid(s);
    ASSERT_TRUE(sid) << s;
    EXPECT_EQ(sid_to_string(*sid), s);
  }
  EXPECT_EQ(sid_to_string(everyone_sid()), "S-1-1-0");
}

TEST(SidString, RejectsMalformed) {
  for (const char* s : {"", "S", "S-1", "S-1-", "S-2-5", "S-1-5-", "S-1-5--1", "S-1-5-x", "S-1-5-4294967296",
                        "S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16", "X-1-5"})
    EXPECT_FALSE(parse_sid(s)) << s;
}

TEST(MachineSid, ConfiguredOrRandom) {
  auto zero = [](std::span<std::uint8_t> out) { std::fill(out.begin(), out.end(), std::uint8_t{1}); };
  EXPECT_EQ(sid_to_string(engine::machine_sid_of("S-1-5-21-10-20-30", zero)), "S-1-5-21-10-20-30");
  EXPECT_EQ(sid_to_string(engine::machine_sid_of("", zero)), "S-1-5-21-16843009-16843009-16843009");
  EXPECT_THROW(engine::machine_sid_of("S-1-5-32-544", zero), std::invalid_argument);
  EXPECT_THROW(engine::machine_sid_of("S-1-5-21-1-2", zero), std::invalid_argument);
}

TEST(AccountRid, StableAndCaseInsensitive) {
  EXPECT_EQ(engine::rid_of_account("alice"), engine::rid_of_account("ALICE"));
  EXPECT_NE(engine::rid_of_account("alice"), engine::rid_of_account("bob"));
  EXPECT_GE(engine::rid_of_account("alice"), 1000u);
}

}  // namespace
}  // namespace smbsrv::codec
