// Durable handles through the engine (MS-SMB2 3.3.5.9.6/.7/.10/.12, 3.3.7.1): granted only with
// a batch oplock or a handle lease; an open that survives its connection or a LOGOFF keeps its
// data position and comes back on a new connection of the same user; another user is refused;
// the scavenger closes it after its timeout; the limits of ServerConfig hold.
#include <gtest/gtest.h>

#include <atomic>

#include "support/engine_client.hpp"

namespace smbsrv::test {
namespace {

using codec::Command;
using Guid = std::array<std::uint8_t, 16>;

using Context = CreateContextSpec;

/// CREATE of `name` (share all, open_if) with RequestedOplockLevel `oplock` and `contexts`.
Vec create_with(std::string_view name, std::uint8_t oplock, const std::vector<Context>& contexts) {
  return create_body_with_contexts(name, 3, oplock, contexts);
}

Context dh2q(const Guid& g, std::uint32_t timeout_ms = 0) {
  Body d;
  d.u32(timeout_ms).u32(0).u64(0).bytes(g);
  return {"DH2Q", d.b};
}
Context dh2c(const codec::FileId& f, const Guid& g) { return {"DH2C", Body{}.fid(f).bytes(g).u32(0).b}; }
Context dhnq() { return {"DHnQ", Vec(16, 0)}; }
Context dhnc(const codec::FileId& f) { return {"DHnC", Body{}.fid(f).b}; }

Context app_instance_id(std::uint8_t id) {
  const auto& n = codec::kCtxAppInstanceId;
  Body d;
  d.u16(20).u16(0).bytes(Vec(16, id));
  return {std::string(n.begin(), n.end()), d.b};
}

codec::FileId fid_of(const Rsp& r) { return {r.u64(64), r.u64(72)}; }

struct Durable : ::testing::Test {
  std::shared_ptr<std::atomic<std::uint64_t>> t = std::make_shared<std::atomic<std::uint64_t>>(0x01DA000000000000);
  std::shared_ptr<engine::ServerState> st;
  Guid guid{};

  void SetUp() override { make(ServerConfig{}); }
  void make(ServerConfig cfg) {
    st = make_test_state(std::move(cfg), {{"bob", "Secret2"}});
    st->now = [t = t] { return t->load(); };
    guid.fill(0x5A);
  }
  std::unique_ptr<EngineClient> client(const std::string& user = "alice", const std::string& pw = "Secret1",
                                       std::uint8_t client_guid0 = 1) {
    auto c = std::make_unique<EngineClient>(st);
    c->client_guid[0] = client_guid0;
    EXPECT_EQ(c->negotiate({0x0311}).status(), NtStatus::success);
    EXPECT_EQ(c->session_setup(user, pw), NtStatus::success);
    EXPECT_EQ(c->tree_connect("share").status(), NtStatus::success);
    return c;
  }
  void advance_seconds(std::uint64_t s) { *t += s * 10'000'000; }
};

TEST_F(Durable, V2SurvivesTheConnectionAndComesBackWithItsData) {
  auto a = client();
  auto r = a->one({Command::create, create_with("d.txt", 0x09 /*batch*/, {dh2q(guid)})});
  ASSERT_EQ(r.status(), NtStatus::success);
  auto ctx = create_response_context(r, "DH2Q");
  ASSERT_TRUE(ctx.has_value());
  EXPECT_EQ(le32(*ctx, 0), 60000u);  // the default timeout when the client asks for 0
  const auto fid = fid_of(r);
  const Vec data{'h', 'e', 'l', 'l', 'o'};
  ASSERT_EQ(a->write(fid, 0, data).status(), NtStatus::success);
  a->shutdown();
  EXPECT_EQ(st->durable.size(), 1u);
  EXPECT_EQ(st->nt.census().durable, 1u);

  auto b = client();
  // Without the CreateGuid: not found; with it: the same open.
  Guid wrong = guid;
  wrong[0] ^= 1;
  EXPECT_EQ(b->one({Command::create, create_with("d.txt", 0, {dh2c(fid, wrong)})}).status(),
            NtStatus::object_name_not_found);
  auto back = b->one({Command::create, create_with("ignored-for-oplocks", 0, {dh2c(fid, guid)})});
  ASSERT_EQ(back.status(), NtStatus::success);
  EXPECT_EQ(back.body()[2], 0x09);  // still batch
  EXPECT_FALSE(create_response_context(back, "DH2Q").has_value());
  const auto fid2 = fid_of(back);
  EXPECT_EQ(fid2.persistent, fid.persistent);
  EXPECT_EQ(EngineClient::read_data(b->read(fid2, 0, 5)), data);
  EXPECT_EQ(st->durable.size(), 0u);
  ASSERT_EQ(b->close(fid2).status(), NtStatus::success);
  EXPECT_EQ(st->nt.census().opens, 0u);
}

TEST_F(Durable, OnlyWithBatchOrHandleCaching) {
  auto a = client();
  auto none = a->one({Command::create, create_with("n.txt", 0, {dh2q(guid)})});
  ASSERT_EQ(none.status(), NtStatus::success);
  EXPECT_FALSE(create_response_context(none, "DH2Q").has_value());
  auto v1 = a->one({Command::create, create_with("b.txt", 0x09, {dhnq()})});
  ASSERT_EQ(v1.status(), NtStatus::success);
  EXPECT_TRUE(create_response_context(v1, "DHnQ").has_value());
  // A v2 context beside any other durable context is refused.
  EXPECT_EQ(a->one({Command::create, create_with("c.txt", 0x09, {dhnq(), dh2q(guid)})}).status(),
            NtStatus::invalid_parameter);
  // Malformed: the wrong size.
  EXPECT_EQ(a->one({Command::create, create_with("c.txt", 0x09, {{"DHnQ", Vec(15, 0)}})}).status(),
            NtStatus::invalid_parameter);
  a->shutdown();
  EXPECT_EQ(st->durable.size(), 1u);  // b.txt only; n.txt closed
}

TEST_F(Durable, AnotherUserIsRefusedAndTheOwnerStillGetsItBack) {
  auto a = client();
  auto r = a->one({Command::create, create_with("d.txt", 0x09, {dhnq()})});
  ASSERT_EQ(r.status(), NtStatus::success);
  const auto fid = fid_of(r);
  a->shutdown();
  auto bob = client("bob", "Secret2");
  EXPECT_EQ(bob->one({Command::create, create_with("d.txt", 0, {dhnc(fid)})}).status(), NtStatus::access_denied);
  auto alice = client();
  EXPECT_EQ(alice->one({Command::create, create_with("d.txt", 0, {dhnc(fid)})}).status(), NtStatus::success);
}

TEST_F(Durable, LogoffKeepsItTreeDisconnectDoesNot) {
  auto a = client();
  auto r = a->one({Command::create, create_with("d.txt", 0x09, {dhnq()})});
  const auto fid = fid_of(r);
  ASSERT_EQ(a->logoff().status(), NtStatus::success);
  EXPECT_EQ(st->durable.size(), 1u);
  ASSERT_EQ(a->session_setup(), NtStatus::success);
  ASSERT_EQ(a->tree_connect("share").status(), NtStatus::success);
  auto back = a->one({Command::create, create_with("d.txt", 0, {dhnc(fid)})});
  ASSERT_EQ(back.status(), NtStatus::success);
  ASSERT_EQ(a->tree_disconnect().status(), NtStatus::success);
  EXPECT_EQ(st->durable.size(), 0u);
  EXPECT_EQ(st->nt.census().opens, 0u);
}

// A client that drops its connection and reconnects at once may send the reconnect before the
// server has seen the old connection close (smbtorture smb2.durable-open.reopen2 failed so,
// now and then): the reconnect waits for the close instead of failing.
TEST_F(Durable, ReconnectWaitsForTheOldConnectionToClose) {
  auto a = client();
  auto r = a->one({Command::create, create_with("d.txt", 0x09, {dhnq()})});
  ASSERT_EQ(r.status(), NtStatus::success);
  const auto fid = fid_of(r);
  auto b = client();  // the same ClientGuid: the same client on a new connection
  auto interim = b->one({Command::create, create_with("d.txt", 0, {dhnc(fid)})});
  ASSERT_EQ(interim.status(), NtStatus::pending);
  EXPECT_EQ(st->nt.census().waiters, 1u);
  EXPECT_TRUE(b->take_pushed().empty());
  a->shutdown();
  auto fin = b->take_pushed();
  ASSERT_EQ(fin.size(), 1u);
  ASSERT_EQ(fin[0].status(), NtStatus::success);
  EXPECT_EQ(fin[0].hdr.async_id, interim.hdr.async_id);
  EXPECT_EQ(fid_of(fin[0]).persistent, fid.persistent);
  EXPECT_EQ(fin[0].body()[2], 0x09);
  EXPECT_EQ(st->durable.size(), 0u);
  EXPECT_EQ(st->nt.census().waiters, 0u);
}

TEST_F(Durable, ReconnectWaitsOnlyForAConnectionOfTheSameClientAndNotForever) {
  auto a = client();
  const auto fid = fid_of(a->one({Command::create, create_with("d.txt", 0x09, {dhnq()})}));
  // Its own connection, or another client: no teardown to wait for.
  EXPECT_EQ(a->one({Command::create, create_with("d.txt", 0, {dhnc(fid)})}).status(),
            NtStatus::object_name_not_found);
  auto other = client("alice", "Secret1", 2);
  EXPECT_EQ(other->one({Command::create, create_with("d.txt", 0, {dhnc(fid)})}).status(),
            NtStatus::object_name_not_found);
  EXPECT_EQ(st->nt.census().waiters, 0u);
  // The same client, but the old connection never ends: the wait does, after a few seconds.
  auto b = client();
  ASSERT_EQ(b->one({Command::create, create_with("d.txt", 0, {dhnc(fid)})}).status(), NtStatus::pending);
  advance_seconds(1);
  st->tick();
  EXPECT_TRUE(b->take_pushed().empty());
  advance_seconds(5);
  st->tick();
  auto fin = b->take_pushed();
  ASSERT_EQ(fin.size(), 1u);
  EXPECT_EQ(fin[0].status(), NtStatus::object_name_not_found);
  EXPECT_EQ(st->nt.census().waiters, 0u);
  // The holder closing its handle ends a wait at once.
  ASSERT_EQ(b->one({Command::create, create_with("d.txt", 0, {dhnc(fid)})}).status(), NtStatus::pending);
  ASSERT_EQ(a->close(fid).status(), NtStatus::success);
  fin = b->take_pushed();
  ASSERT_EQ(fin.size(), 1u);
  EXPECT_EQ(fin[0].status(), NtStatus::object_name_not_found);
  // A waiting reconnect whose own connection goes away leaves nothing behind.
  auto c = client();
  const auto fid2 = fid_of(a->one({Command::create, create_with("e.txt", 0x09, {dhnq()})}));
  ASSERT_EQ(c->one({Command::create, create_with("e.txt", 0, {dhnc(fid2)})}).status(), NtStatus::pending);
  c->shutdown();
  EXPECT_EQ(st->nt.census().waiters, 0u);
}

TEST_F(Durable, ScavengerClosesItAfterTheTimeout) {
  auto a = client();
  auto r = a->one({Command::create, create_with("d.txt", 0x09, {dh2q(guid, 2000)})});
  ASSERT_EQ(le32(*create_response_context(r, "DH2Q"), 0), 2000u);
  const auto fid = fid_of(r);
  a->shutdown();
  advance_seconds(1);
  st->tick();
  EXPECT_EQ(st->durable.size(), 1u);
  advance_seconds(2);
  st->tick();
  EXPECT_EQ(st->durable.size(), 0u);
  EXPECT_EQ(st->nt.census().opens, 0u);
  auto b = client();
  EXPECT_EQ(b->one({Command::create, create_with("d.txt", 0, {dh2c(fid, guid)})}).status(),
            NtStatus::object_name_not_found);
}

TEST_F(Durable, ConflictingOpenEndsTheOrphanAndTheScavengerReleasesIt) {
  auto a = client();
  auto r = a->one({Command::create, create_with("d.txt", 0x09, {dh2q(guid)})});
  const auto fid = fid_of(r);
  a->shutdown();
  auto b = client();
  b->client_guid[0] = 0x77;  // another client: its batch request breaks the orphan's batch
  auto other = b->one({Command::create, create_with("d.txt", 0x09, {})});
  ASSERT_EQ(other.status(), NtStatus::success);
  EXPECT_EQ(other.body()[2], 0x09);
  st->tick();
  EXPECT_EQ(st->durable.size(), 0u);
  auto c = client();
  EXPECT_EQ(c->one({Command::create, create_with("d.txt", 0, {dh2c(fid, guid)})}).status(),
            NtStatus::object_name_not_found);
}

TEST_F(Durable, LimitsHold) {
  ServerConfig cfg;
  cfg.max_durable_orphans = 1;
  cfg.max_durable_opens_per_session = 2;
  make(cfg);
  auto a = client();
  int granted = 0;
  for (const char* n : {"1", "2", "3"}) {
    auto r = a->one({Command::create, create_with(n, 0x09, {dhnq()})});
    ASSERT_EQ(r.status(), NtStatus::success);
    granted += create_response_context(r, "DHnQ").has_value() ? 1 : 0;
  }
  EXPECT_EQ(granted, 2);
  a->shutdown();
  EXPECT_EQ(st->durable.size(), 1u);
  EXPECT_EQ(st->nt.census().opens, 1u);
}

// 3.3.5.9.13: the same AppInstanceId from another client closes the first open (no break, even
// though neither shares anything); the first client's CLOSE then gets FILE_CLOSED (smbtorture
// smb2.durable-v2-open.app-instance).
TEST_F(Durable, AppInstanceIdFromAnotherClientReplacesTheOpen) {
  auto a = client("alice", "Secret1", 1);
  auto b = client("alice", "Secret1", 2);
  Vec share_none = create_with("app.dat", 0x09, {dh2q(guid), app_instance_id(3)});
  share_none[32] = 0;  // ShareAccess 0 (body offset 32)
  auto first = a->one({Command::create, share_none});
  ASSERT_EQ(first.status(), NtStatus::success);
  Guid guid2 = guid;
  guid2[0] ^= 1;
  Vec second_req = create_with("app.dat", 0x09, {dh2q(guid2), app_instance_id(3)});
  second_req[32] = 0;
  auto second = b->one({Command::create, second_req});
  ASSERT_EQ(second.status(), NtStatus::success);
  EXPECT_EQ(second.body()[2], 0x09);  // batch, with no break sent to the first
  EXPECT_TRUE(a->take_pushed().empty());
  EXPECT_EQ(a->close(fid_of(first)).status(), NtStatus::file_closed);
  ASSERT_EQ(b->close(fid_of(second)).status(), NtStatus::success);
  EXPECT_EQ(st->nt.census().opens, 0u);
}

}  // namespace
}  // namespace smbsrv::test
