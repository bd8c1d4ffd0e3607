// SESSION_SETUP with PreviousSessionId (MS-SMB2 3.3.5.5.3): a new session of the same user
// replaces the previous one — on the same connection or on another — whose requests then get
// USER_SESSION_DELETED and whose opens are closed (their share modes no longer stand in the way).
// Another user's PreviousSessionId changes nothing. The other connection tears its session down
// on its own executor, when it handles its mailbox (pump()). A failed reauthentication deletes
// the session as well.
#include <gtest/gtest.h>

#include "support/engine_client.hpp"

namespace smbsrv::test {
namespace {

constexpr std::uint8_t kInfoFile = 1, kFilePositionInformation = 14;

struct Reconnect : ::testing::Test {
  std::shared_ptr<engine::ServerState> st;
  std::unique_ptr<EngineClient> a, b;

  void SetUp() override {
    st = make_test_state({}, {{"bob", "Secret2"}});
    a = std::make_unique<EngineClient>(st);
    b = std::make_unique<EngineClient>(st);
    ASSERT_NO_FATAL_FAILURE(a->connect({0x0311}));
    ASSERT_EQ(b->negotiate({0x0311}).status(), NtStatus::success);
  }

  /// An exclusive open (no sharing) that a second open can only get once this one is closed.
  static codec::FileId open_exclusive(EngineClient& c, std::string_view name) {
    auto cr = c.create(name, access::kFullAccess, 0, 3);
    EXPECT_EQ(cr.status, NtStatus::success);
    return cr.fid;
  }
  static NtStatus position_of(EngineClient& c, const codec::FileId& f) {
    return c.query_info(f, kInfoFile, kFilePositionInformation).status();
  }
};

TEST_F(Reconnect, AnotherConnectionsSessionIsTornDown) {
  const auto fid = open_exclusive(*a, "f.txt");
  const std::size_t sessions_before = st->sessions.size();
  b->previous_session_id = a->session_id;
  ASSERT_EQ(b->session_setup(), NtStatus::success);
  ASSERT_EQ(b->tree_connect("share").status(), NtStatus::success);
  // The old connection handles the teardown on its executor (its mailbox), before anything the
  // client sends it afterwards.
  a->pump();
  EXPECT_EQ(position_of(*a, fid), NtStatus::user_session_deleted);
  EXPECT_EQ(st->sessions.size(), sessions_before);  // one replaced by the other
  // Its open is closed: the new session gets the file with no sharing conflict.
  auto again = b->create("f.txt", access::kFullAccess, 0, 1 /*open*/);
  EXPECT_EQ(again.status, NtStatus::success);
  EXPECT_EQ(again.action, 1u);  // FILE_OPENED
}

TEST_F(Reconnect, SessionOnTheSameConnectionIsTornDown) {
  const auto fid = open_exclusive(*a, "g.txt");
  const auto old_sid = a->session_id;
  const auto old_key = a->signing_key;
  const auto old_tree = a->tree_id;
  a->previous_session_id = old_sid;
  ASSERT_EQ(a->session_setup(), NtStatus::success);
  ASSERT_NE(a->session_id, old_sid);
  ASSERT_EQ(a->tree_connect("share").status(), NtStatus::success);
  // The opens were closed before the SESSION_SETUP answer.
  auto again = a->create("g.txt", access::kFullAccess, 0, 1);
  EXPECT_EQ(again.status, NtStatus::success);
  // The old session is gone; its answer is still signed with its key.
  a->session_id = old_sid;
  a->signing_key = old_key;
  a->tree_id = old_tree;
  auto r = a->query_info(fid, kInfoFile, kFilePositionInformation);
  EXPECT_EQ(r.status(), NtStatus::user_session_deleted);
  EXPECT_TRUE(r.is_signed());
}

TEST_F(Reconnect, AnotherUsersPreviousSessionIdIsIgnored) {
  const auto fid = open_exclusive(*a, "h.txt");
  b->previous_session_id = a->session_id;
  ASSERT_EQ(b->session_setup("bob", "Secret2"), NtStatus::success);
  ASSERT_EQ(b->tree_connect("share").status(), NtStatus::success);
  a->pump();
  EXPECT_EQ(position_of(*a, fid), NtStatus::success);
  EXPECT_EQ(b->create("h.txt", access::kFullAccess, 0, 1).status, NtStatus::sharing_violation);
}

TEST_F(Reconnect, UnknownPreviousSessionIdIsIgnored) {
  const auto fid = open_exclusive(*a, "i.txt");
  b->previous_session_id = a->session_id ^ 0x5555;
  ASSERT_EQ(b->session_setup(), NtStatus::success);
  a->pump();
  EXPECT_EQ(position_of(*a, fid), NtStatus::success);
}

TEST_F(Reconnect, FailedReauthenticationDeletesTheSession) {
  // 3.3.5.5.3: a failed authentication removes the session, a reauthentication too, and closes
  // its opens (smbtorture smb2.session.reauth6).
  const auto fid = open_exclusive(*a, "r.txt");
  NtlmClient cl;
  cl.user = "alice";
  cl.password = "wrong";
  Req r1 = a->session_setup_req(cl.make_negotiate());
  r1.sign = true;
  auto c1 = a->one(r1);
  ASSERT_EQ(c1.status(), NtStatus::more_processing_required);
  Req r2 = a->session_setup_req(cl.make_authenticate(EngineClient::security_buffer(c1)));
  r2.sign = true;
  EXPECT_EQ(a->one(r2).status(), NtStatus::logon_failure);
  EXPECT_EQ(position_of(*a, fid), NtStatus::user_session_deleted);
  ASSERT_EQ(b->session_setup(), NtStatus::success);
  ASSERT_EQ(b->tree_connect("share").status(), NtStatus::success);
  EXPECT_EQ(b->create("r.txt", access::kFullAccess, 0, 1).status, NtStatus::success);
}

TEST_F(Reconnect, ClosedConnectionsLeaveTheSessionTable) {
  EXPECT_EQ(st->sessions.size(), 1u);
  ASSERT_EQ(b->session_setup(), NtStatus::success);
  EXPECT_EQ(st->sessions.size(), 2u);
  ASSERT_EQ(b->logoff().status(), NtStatus::success);
  EXPECT_EQ(st->sessions.size(), 1u);
  a->shutdown();
  EXPECT_EQ(st->sessions.size(), 0u);
  // A failed authentication leaves nothing behind either.
  EXPECT_EQ(b->session_setup("alice", "wrong"), NtStatus::logon_failure);
  EXPECT_EQ(st->sessions.size(), 0u);
}

}  // namespace
}  // namespace smbsrv::test
