// Configurable per-connection and per-session limits (ServerConfig): the status a client gets
// past each one, that freeing a slot makes room again, and that other sessions / connections of
// the same server are unaffected.
#include <gtest/gtest.h>

#include "support/engine_client.hpp"

namespace smbsrv::test {
namespace {

constexpr std::uint32_t kCreate = 2;

ServerConfig limits_config() {
  ServerConfig cfg;
  cfg.max_sessions_per_connection = 2;
  cfg.max_trees_per_session = 2;
  cfg.max_opens_per_session = 3;
  cfg.max_opens_per_connection = 4;
  cfg.max_credits = 16;
  return cfg;
}

TEST(EngineLimits, SessionsPerConnection) {
  auto st = make_test_state(limits_config());
  EngineClient c(st);
  ASSERT_EQ(c.negotiate({0x0311}).status(), NtStatus::success);
  ASSERT_EQ(c.session_setup(), NtStatus::success);
  ASSERT_EQ(c.session_setup(), NtStatus::success);
  EXPECT_EQ(c.session_setup(), NtStatus::insufficient_resources);
  EXPECT_FALSE(c.closed);
  // Another connection of the same server is not affected.
  EngineClient other(st);
  other.connect({0x0311});
  EXPECT_EQ(other.create("x.txt", access::kFullAccess, kShareAll, kCreate).status, NtStatus::success);
}

TEST(EngineLimits, SessionSlotIsFreedByLogoff) {
  auto st = make_test_state(limits_config());
  EngineClient c(st);
  ASSERT_EQ(c.negotiate({0x0300}).status(), NtStatus::success);
  ASSERT_EQ(c.session_setup(), NtStatus::success);
  ASSERT_EQ(c.session_setup(), NtStatus::success);
  ASSERT_EQ(c.logoff().status(), NtStatus::success);
  EXPECT_EQ(c.session_setup(), NtStatus::success);
}

TEST(EngineLimits, TreesPerSession) {
  auto st = make_test_state(limits_config());
  EngineClient c(st);
  c.connect({0x0311});
  const auto first = c.tree_id;
  ASSERT_EQ(c.tree_connect("share").status(), NtStatus::success);
  EXPECT_EQ(c.tree_connect("share").status(), NtStatus::insufficient_resources);
  c.tree_id = first;
  ASSERT_EQ(c.tree_disconnect().status(), NtStatus::success);
  EXPECT_EQ(c.tree_connect("share").status(), NtStatus::success);
  // A second session on the same connection has its own budget.
  ASSERT_EQ(c.session_setup(), NtStatus::success);
  EXPECT_EQ(c.tree_connect("share").status(), NtStatus::success);
  EXPECT_EQ(c.tree_connect("share").status(), NtStatus::success);
  EXPECT_EQ(c.tree_connect("share").status(), NtStatus::insufficient_resources);
}

TEST(EngineLimits, OpensPerSessionAndPerConnection) {
  auto st = make_test_state(limits_config());
  EngineClient c(st);
  c.connect({0x0311});
  std::vector<codec::FileId> a;
  for (int i = 0; i < 3; ++i) {
    auto r = c.create("a" + std::to_string(i), access::kFullAccess, kShareAll, kCreate);
    ASSERT_EQ(r.status, NtStatus::success);
    a.push_back(r.fid);
  }
  // Per session: 3.
  EXPECT_EQ(c.create("a3", access::kFullAccess, kShareAll, kCreate).status, NtStatus::too_many_opened_files);
  ASSERT_EQ(c.close(a.back()).status(), NtStatus::success);
  a.pop_back();
  // The refused CREATE created nothing: FILE_CREATE of the same name now succeeds.
  ASSERT_EQ(c.create("a3", access::kFullAccess, kShareAll, kCreate).status, NtStatus::success);

  // A second session on the connection: its own 3, but only 4 on the connection in all.
  const auto sess_a = c.session_id;
  const auto key_a = c.signing_key;
  ASSERT_EQ(c.session_setup(), NtStatus::success);
  ASSERT_EQ(c.tree_connect("share").status(), NtStatus::success);
  auto b0 = c.create("b0", access::kFullAccess, kShareAll, kCreate);
  ASSERT_EQ(b0.status, NtStatus::success);
  EXPECT_EQ(c.create("b1", access::kFullAccess, kShareAll, kCreate).status, NtStatus::too_many_opened_files);
  ASSERT_EQ(c.close(b0.fid).status(), NtStatus::success);
  EXPECT_EQ(c.create("b1", access::kFullAccess, kShareAll, kCreate).status, NtStatus::success);

  // Logging session A off releases its opens: B can open up to its own cap.
  const auto sess_b = c.session_id;
  const auto key_b = c.signing_key;
  const auto tree_b = c.tree_id;
  c.session_id = sess_a;
  c.signing_key = key_a;
  ASSERT_EQ(c.logoff().status(), NtStatus::success);
  c.session_id = sess_b;
  c.signing_key = key_b;
  c.tree_id = tree_b;
  EXPECT_EQ(c.create("b2", access::kFullAccess, kShareAll, kCreate).status, NtStatus::success);
  EXPECT_EQ(c.create("b3", access::kFullAccess, kShareAll, kCreate).status, NtStatus::success);
  EXPECT_EQ(c.create("b4", access::kFullAccess, kShareAll, kCreate).status, NtStatus::too_many_opened_files);

  // Another connection is not affected.
  EngineClient other(st);
  other.connect({0x0210});
  EXPECT_EQ(other.create("c0", access::kFullAccess, kShareAll, kCreate).status, NtStatus::success);
}

TEST(EngineLimits, TreeDisconnectReleasesOpenSlots) {
  auto st = make_test_state(limits_config());
  EngineClient c(st);
  c.connect({0x0302});
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(c.create("t" + std::to_string(i), access::kFullAccess, kShareAll, kCreate).status, NtStatus::success);
  ASSERT_EQ(c.tree_disconnect().status(), NtStatus::success);
  ASSERT_EQ(c.tree_connect("share").status(), NtStatus::success);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(c.create("t" + std::to_string(i), access::kFullAccess, kShareAll, 1).status, NtStatus::success);
}

TEST(EngineLimits, CreditsAreCappedAndTheWindowEnforced) {
  auto st = make_test_state(limits_config());
  EngineClient c(st);
  c.connect({0x0311});
  for (int i = 0; i < 10; ++i) {
    Req r{Command::echo, EngineClient::echo_body()};
    r.credit_request = 1000;
    ASSERT_EQ(c.one(r).status(), NtStatus::success);
    // The window starts with MessageId 0; every grant adds to it, every request uses one.
    const std::uint64_t outstanding = 1 + c.credits_granted - c.next_mid;
    EXPECT_LE(outstanding, 16u);
    EXPECT_GE(outstanding, 1u);
  }
  // A MessageId past the capped window ends the connection.
  Req r{Command::echo, EngineClient::echo_body()};
  r.message_id = c.next_mid + 16;
  EXPECT_TRUE(c.send(r).closed());
}

TEST(EngineLimits, FrameSizeLimitsBeforeAndAfterAuthentication) {
  ServerConfig cfg;
  cfg.max_preauth_frame_size = 4096;
  cfg.max_frame_size = 200000;
  auto st = make_test_state(cfg);
  EngineClient c(st);
  EXPECT_EQ(c.connection().max_frame_size(), 4096u);
  c.connect({0x0311});
  EXPECT_EQ(c.connection().max_frame_size(), 200000u);

  // Defaults: 64 KiB, then derived from max_read/max_write/max_transact; never over 24 bits.
  EngineClient d(make_test_state());
  EXPECT_EQ(d.connection().max_frame_size(), 64u * 1024);
  d.connect({0x0311});
  EXPECT_EQ(d.connection().max_frame_size(), (8u << 20) + 64 * 1024);
  ServerConfig big;
  big.max_frame_size = 1u << 30;
  EngineClient e(make_test_state(big));
  e.connect({0x0311});
  EXPECT_EQ(e.connection().max_frame_size(), 0x00FFFFFFu);
}

}  // namespace
}  // namespace smbsrv::test
