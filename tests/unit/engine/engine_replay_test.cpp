// Replayed CREATEs (MS-SMB2 3.3.5.9.10) and channel sequence numbers (3.3.5.2.10) through the
// engine: a replay of a DH2Q CREATE answers as the original did, with the open's oplock or lease
// as it is now and as far as the replay asks for it, leaving the open as it is; a replay naming
// another lease (or a lease where there was none) is refused; one whose original still waits for
// a break acknowledgment is refused, and so is a CREATE without the replay flag that names the
// CreateGuid of an open; a stale ChannelSequence fails WRITE, SET_INFO and IOCTL.
#include <gtest/gtest.h>

#include "support/engine_client.hpp"

namespace smbsrv::test {
namespace {

using codec::Command;
using Guid = std::array<std::uint8_t, 16>;
using Key = std::array<std::uint8_t, 16>;
using Context = CreateContextSpec;

Context dh2q(const Guid& g) {
  Body d;
  d.u32(0).u32(0).u64(0).bytes(g);
  return {"DH2Q", d.b};
}
Context rqls(const Key& key, std::uint32_t state) {
  Body d;
  d.bytes(key).u32(state).u32(0).u64(0);
  return {"RqLs", d.b};
}
Vec create_with(std::string_view name, std::uint8_t oplock, const std::vector<Context>& contexts) {
  return create_body_with_contexts(name, 3 /*open_if*/, oplock, contexts);
}
codec::FileId fid_of(const Rsp& r) { return {r.u64(64), r.u64(72)}; }
std::uint32_t action_of(const Rsp& r) { return r.u32(4); }
std::uint8_t oplock_of(const Rsp& r) { return r.body()[2]; }
Vec oplock_ack(const codec::FileId& f, std::uint8_t level) { return Body{}.u16(24).u8(level).u8(0).u32(0).fid(f).b; }

constexpr std::uint32_t kReplay = codec::kFlagReplayOperation;
constexpr std::uint32_t kRWH = 7;

struct Replay : ::testing::Test {
  std::shared_ptr<engine::ServerState> st = make_test_state(ServerConfig{}, {});
  Guid guid{};
  void SetUp() override { guid.fill(0x42); }
  std::unique_ptr<EngineClient> client(std::uint8_t client_guid0 = 1) {
    auto c = std::make_unique<EngineClient>(st);
    c->client_guid[0] = client_guid0;
    EXPECT_EQ(c->negotiate({0x0311}).status(), NtStatus::success);
    EXPECT_EQ(c->session_setup("alice", "Secret1"), NtStatus::success);
    EXPECT_EQ(c->tree_connect("share").status(), NtStatus::success);
    return c;
  }
};

TEST_F(Replay, AnswersAsTheOriginalWithTheOplockItAsksFor) {
  auto a = client();
  auto first = a->one({Command::create, create_with("r.txt", 0x09, {dh2q(guid)})});
  ASSERT_EQ(first.status(), NtStatus::success);
  EXPECT_EQ(action_of(first), 2u);  // FILE_CREATED
  ASSERT_EQ(oplock_of(first), 0x09);

  auto again = a->one({Command::create, create_with("r.txt", 0x09, {dh2q(guid)}), 1, 32, kReplay});
  ASSERT_EQ(again.status(), NtStatus::success);
  EXPECT_EQ(fid_of(again), fid_of(first));
  EXPECT_EQ(action_of(again), 2u);  // as the original: created, not opened
  EXPECT_EQ(oplock_of(again), 0x09);
  EXPECT_TRUE(create_response_context(again, "DH2Q").has_value());
  EXPECT_EQ(Vec(again.body().begin() + 8, again.body().begin() + 64),
            Vec(first.body().begin() + 8, first.body().begin() + 64));  // times, sizes, attributes

  // Asking for no oplock: none in the answer, and no durability; the open keeps its batch.
  auto none = a->one({Command::create, create_with("r.txt", 0, {dh2q(guid)}), 1, 32, kReplay});
  ASSERT_EQ(none.status(), NtStatus::success);
  EXPECT_EQ(oplock_of(none), 0);
  EXPECT_FALSE(create_response_context(none, "DH2Q").has_value());

  // A lease where the original had an oplock: refused.
  Key key{};
  key.fill(3);
  auto leased = a->one({Command::create, create_with("r.txt", 0xFF, {dh2q(guid), rqls(key, kRWH)}), 1, 32, kReplay});
  EXPECT_EQ(leased.status(), NtStatus::access_denied);
  EXPECT_EQ(st->nt.census().opens, 1u);
  // The open kept its batch oplock: another client's open breaks it.
  auto b = client(2);
  EXPECT_EQ(b->one({Command::create, create_with("r.txt", 0, {})}).status(), NtStatus::pending);
  EXPECT_EQ(a->take_pushed().size(), 1u);
}

TEST_F(Replay, NamesTheOriginalLease) {
  auto a = client();
  Key key{}, other{};
  key.fill(1);
  other.fill(2);
  auto first = a->one({Command::create, create_with("l.txt", 0xFF, {dh2q(guid), rqls(key, kRWH)})});
  ASSERT_EQ(first.status(), NtStatus::success);
  ASSERT_EQ(oplock_of(first), 0xFF);
  // Asking for less still answers with the lease as it is.
  auto again = a->one({Command::create, create_with("l.txt", 0xFF, {dh2q(guid), rqls(key, 1)}), 1, 32, kReplay});
  ASSERT_EQ(again.status(), NtStatus::success);
  EXPECT_EQ(fid_of(again), fid_of(first));
  auto l = create_response_context(again, "RqLs");
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(le32(*l, 16), kRWH);
  EXPECT_EQ(a->one({Command::create, create_with("l.txt", 0xFF, {dh2q(guid), rqls(other, kRWH)}), 1, 32, kReplay})
                .status(),
            NtStatus::access_denied);
  EXPECT_EQ(a->one({Command::create, create_with("l.txt", 0x09, {dh2q(guid)}), 1, 32, kReplay}).status(),
            NtStatus::access_denied);
}

TEST_F(Replay, OfAnOpenThatIsNotDurable) {
  auto a = client();
  auto first = a->one({Command::create, create_with("n.txt", 0, {dh2q(guid)})});
  ASSERT_EQ(first.status(), NtStatus::success);
  EXPECT_FALSE(create_response_context(first, "DH2Q").has_value());
  auto again = a->one({Command::create, create_with("n.txt", 0, {dh2q(guid)}), 1, 32, kReplay});
  ASSERT_EQ(again.status(), NtStatus::success);
  EXPECT_EQ(fid_of(again), fid_of(first));
  EXPECT_EQ(action_of(again), 2u);
  EXPECT_EQ(st->nt.census().opens, 1u);
  // Without the replay flag the CreateGuid is taken.
  EXPECT_EQ(a->one({Command::create, create_with("n.txt", 0, {dh2q(guid)})}).status(), NtStatus::duplicate_objectid);
  // Once a request used the open, a replay opens anew.
  ASSERT_EQ(a->read(fid_of(first), 0, 1).status(), NtStatus::end_of_file);
  auto fresh = a->one({Command::create, create_with("n.txt", 0, {dh2q(guid)}), 1, 32, kReplay});
  ASSERT_EQ(fresh.status(), NtStatus::success);
  EXPECT_NE(fid_of(fresh), fid_of(first));
  EXPECT_EQ(action_of(fresh), 1u);
  EXPECT_EQ(st->nt.census().opens, 2u);
}

TEST_F(Replay, RefusedWhileTheOriginalWaitsForABreakAcknowledgment) {
  auto a = client(1);
  auto held = a->one({Command::create, create_with("p.txt", 0x09, {})});
  ASSERT_EQ(held.status(), NtStatus::success);
  ASSERT_EQ(oplock_of(held), 0x09);
  auto b = client(2);
  auto interim = b->one({Command::create, create_with("p.txt", 0, {dh2q(guid)})});
  ASSERT_EQ(interim.status(), NtStatus::pending);
  auto brk = a->take_pushed();
  ASSERT_EQ(brk.size(), 1u);
  EXPECT_EQ(b->one({Command::create, create_with("p.txt", 0, {dh2q(guid)}), 1, 32, kReplay}).status(),
            NtStatus::access_denied);
  EXPECT_TRUE(b->take_pushed().empty());
  ASSERT_EQ(a->one({Command::oplock_break, oplock_ack(fid_of(held), 0x01)}).status(), NtStatus::success);
  auto fin = b->take_pushed();
  ASSERT_EQ(fin.size(), 1u);
  ASSERT_EQ(fin[0].status(), NtStatus::success);
  EXPECT_EQ(action_of(fin[0]), 1u);
  // Now the replay finds the open.
  auto again = b->one({Command::create, create_with("p.txt", 0, {dh2q(guid)}), 1, 32, kReplay});
  ASSERT_EQ(again.status(), NtStatus::success);
  EXPECT_EQ(fid_of(again), fid_of(fin[0]));
}

TEST_F(Replay, StaleChannelSequenceFailsWritesOnly) {
  auto a = client();
  auto r = a->one({Command::create, create_with("c.txt", 0, {})});
  ASSERT_EQ(r.status(), NtStatus::success);
  const auto fid = fid_of(r);
  const Vec data{'x'};
  const auto write = [&](std::uint16_t csn) {
    Req q{Command::write, EngineClient::write_body(fid, 0, data)};
    q.channel_sequence = csn;
    return a->one(q).status();
  };
  const auto read = [&](std::uint16_t csn) {
    Req q{Command::read, EngineClient::read_body(fid, 0, 1)};
    q.channel_sequence = csn;
    return a->one(q).status();
  };
  EXPECT_EQ(write(0), NtStatus::success);
  EXPECT_EQ(write(0x8000), NtStatus::file_not_available);  // more than 0x7FFF ahead: behind
  EXPECT_EQ(write(0xFFFF), NtStatus::file_not_available);
  EXPECT_EQ(write(0x7FFF), NtStatus::success);  // ahead: the open's now
  EXPECT_EQ(write(0x7FFE), NtStatus::file_not_available);
  EXPECT_EQ(read(0x7FFE), NtStatus::success);  // READ is not refused
  EXPECT_EQ(write(0x8000), NtStatus::success);
  EXPECT_EQ(write(0xFFFF), NtStatus::success);
  EXPECT_EQ(write(0), NtStatus::success);  // wraps
  EXPECT_EQ(write(0xFFFF), NtStatus::file_not_available);
}

}  // namespace
}  // namespace smbsrv::test
