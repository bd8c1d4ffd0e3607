// Oplocks and leases through the engine (MS-SMB2 3.3.5.9.8, 3.3.4.6/3.3.4.7, 3.3.5.22): grants,
// break notifications pushed to the holder's connection, a conflicting CREATE that waits
// (STATUS_PENDING, then its final response) for the acknowledgment or the timeout, breaks on
// WRITE, bad acknowledgments, CANCEL, and teardown while a break is pending.
#include <gtest/gtest.h>

#include <atomic>

#include "support/engine_client.hpp"

namespace smbsrv::test {
namespace {

using codec::Command;
using Key = std::array<std::uint8_t, 16>;

constexpr std::uint32_t R = 1, H = 2, W = 4;

struct Clock {
  std::shared_ptr<std::atomic<std::uint64_t>> t = std::make_shared<std::atomic<std::uint64_t>>(0x01DA000000000000);
  void advance_seconds(std::uint64_t s) { *t += s * 10'000'000; }
};

Vec lease_data(const Key& key, std::uint32_t state, int version, std::uint16_t epoch = 0) {
  Body d;
  d.bytes(key).u32(state).u32(0).u64(0);
  if (version == 2) d.zeros(16).u16(epoch).u16(0);
  return d.b;
}

/// CREATE with RequestedOplockLevel `oplock` and, when `lease` is given, an RqLs context.
Vec create_with(std::string_view name, std::uint32_t access, std::uint32_t disposition, std::uint8_t oplock,
                const std::optional<Vec>& lease) {
  const Vec name16 = to_utf16le(name);
  Body b;
  b.u16(57).u8(0).u8(oplock).u32(2).u64(0).u64(0).u32(access).u32(0).u32(kShareAll).u32(disposition).u32(0);
  b.u16(0x78).u16(static_cast<std::uint16_t>(name16.size()));
  const std::size_t ctx_at = b.b.size();
  b.u32(0).u32(0);
  if (name16.empty()) b.u8(0);
  else b.bytes(name16);
  if (lease) {
    b.align8();
    b.put32(ctx_at, b.off());
    b.u32(0).u16(16).u16(4).u16(0).u16(24).u32(static_cast<std::uint32_t>(lease->size()));
    const std::uint8_t tag[4] = {'R', 'q', 'L', 's'};
    b.bytes(tag).zeros(4).bytes(*lease);
    b.put32(ctx_at + 4, static_cast<std::uint32_t>(24 + lease->size()));
  }
  return b.b;
}

/// The RqLs response context of a CREATE response: (state, flags, epoch).
struct LeaseRsp {
  bool present = false;
  std::uint32_t state = 0, flags = 0;
  std::uint16_t epoch = 0;
};
LeaseRsp lease_of(const Rsp& r) {
  LeaseRsp out;
  auto d = create_response_context(r, "RqLs");
  if (d && d->size() >= 32) {
    out.present = true;
    out.state = le32(*d, 16);
    out.flags = le32(*d, 20);
    if (d->size() == 52) out.epoch = le16(*d, 48);
  }
  return out;
}

Vec lease_ack(const Key& key, std::uint32_t state) {
  return Body{}.u16(36).u16(0).u32(0).bytes(key).u32(state).u64(0).b;
}
Vec oplock_ack(const codec::FileId& f, std::uint8_t level) {
  return Body{}.u16(24).u8(level).u8(0).u32(0).fid(f).b;
}

struct Fixture : ::testing::Test {
  Clock clock;
  std::shared_ptr<engine::ServerState> st;
  std::unique_ptr<EngineClient> a, b;
  Key ka{}, kb{};

  void SetUp() override {
    st = make_test_state();
    st->now = [t = clock.t] { return t->load(); };
    a = std::make_unique<EngineClient>(st);
    b = std::make_unique<EngineClient>(st);
    b->client_guid[0] = 0x99;  // another client
    ka.fill(0xA1);
    kb.fill(0xB2);
    ASSERT_NO_FATAL_FAILURE(a->connect({0x0311}));
    ASSERT_NO_FATAL_FAILURE(b->connect({0x0311}));
  }

  Rsp create(EngineClient& c, std::string_view name, std::uint8_t oplock, const std::optional<Vec>& lease,
             std::uint32_t access = access::kFullAccess, std::uint32_t disposition = 3) {
    return c.one({Command::create, create_with(name, access, disposition, oplock, lease)});
  }
  static codec::FileId fid_of(const Rsp& r) { return {r.u64(64), r.u64(72)}; }
};

using Leases = Fixture;

TEST_F(Leases, GrantsRequestedState) {
  auto r = create(*a, "f.txt", codec::kOplockLease, lease_data(ka, R | W | H, 1));
  ASSERT_EQ(r.status(), NtStatus::success);
  EXPECT_EQ(r.body()[2], codec::kOplockLease);
  auto l = lease_of(r);
  ASSERT_TRUE(l.present);
  EXPECT_EQ(l.state, R | W | H);
  // A second open with the same key shares the lease; W stays (no other client).
  auto r2 = create(*a, "f.txt", codec::kOplockLease, lease_data(ka, R | W | H, 1));
  ASSERT_EQ(r2.status(), NtStatus::success);
  EXPECT_EQ(lease_of(r2).state, R | W | H);
  EXPECT_TRUE(a->take_pushed().empty());
  // The same key on another file is refused (3.3.5.9.8).
  EXPECT_EQ(create(*a, "g.txt", codec::kOplockLease, lease_data(ka, R, 1)).status(), NtStatus::invalid_parameter);
}

TEST_F(Leases, UpgradeAndV2Epoch) {
  auto r = create(*a, "f.txt", codec::kOplockLease, lease_data(ka, R, 2, 5));
  ASSERT_EQ(r.status(), NtStatus::success);
  auto l = lease_of(r);
  EXPECT_EQ(l.state, R);
  EXPECT_EQ(l.epoch, 6);
  auto r2 = create(*a, "f.txt", codec::kOplockLease, lease_data(ka, R | H, 2, 5));
  auto l2 = lease_of(r2);
  EXPECT_EQ(l2.state, R | H);
  EXPECT_EQ(l2.epoch, 7);
  // Asking for less never downgrades.
  EXPECT_EQ(lease_of(create(*a, "f.txt", codec::kOplockLease, lease_data(ka, R, 2))).state, R | H);
}

TEST_F(Leases, UpgradeOnlyWhenGrantableInFull) {
  ASSERT_EQ(lease_of(create(*a, "f.txt", codec::kOplockLease, lease_data(ka, R, 1))).state, R);
  ASSERT_EQ(lease_of(create(*b, "f.txt", codec::kOplockLease, lease_data(kb, R, 1))).state, R);
  EXPECT_EQ(lease_of(create(*a, "f.txt", codec::kOplockLease, lease_data(ka, R | W | H, 1))).state, R);
  // What can be granted in full is: RH beside another reader.
  EXPECT_EQ(lease_of(create(*a, "f.txt", codec::kOplockLease, lease_data(ka, R | H, 1))).state, R | H);
}

TEST_F(Leases, DirectoriesAndInvalidStatesGetNone) {
  ASSERT_EQ(a->create("d", access::kFullAccess, kShareAll, 2, 1).status, NtStatus::success);
  auto r = create(*a, "d", codec::kOplockLease, lease_data(ka, R | H, 2));
  ASSERT_EQ(r.status(), NtStatus::success);
  EXPECT_EQ(r.body()[2], codec::kOplockNone);
  EXPECT_FALSE(lease_of(r).present);
  auto w = create(*a, "x.txt", codec::kOplockLease, lease_data(kb, W, 1));  // W alone is no lease state
  EXPECT_EQ(w.body()[2], codec::kOplockLease);
  EXPECT_TRUE(lease_of(w).present);
  EXPECT_EQ(lease_of(w).state, 0u);
}

TEST_F(Leases, ConflictingOpenWaitsForTheAck) {
  ASSERT_EQ(lease_of(create(*a, "f.txt", codec::kOplockLease, lease_data(ka, R | W | H, 1))).state, R | W | H);
  const std::uint64_t mid = b->next_mid;
  auto interim = create(*b, "f.txt", codec::kOplockLease, lease_data(kb, R | H, 1));
  ASSERT_EQ(interim.status(), NtStatus::pending);
  EXPECT_TRUE(interim.hdr.flags & codec::kFlagAsyncCommand);
  EXPECT_NE(interim.hdr.async_id, 0u);
  EXPECT_EQ(interim.hdr.message_id, mid);
  EXPECT_TRUE(b->take_pushed().empty());

  auto notes = a->take_pushed();
  ASSERT_EQ(notes.size(), 1u);
  const Rsp& n = notes[0];
  EXPECT_EQ(n.hdr.command, Command::oplock_break);
  EXPECT_EQ(n.hdr.message_id, 0xFFFFFFFFFFFFFFFFULL);
  EXPECT_EQ(n.u16(0), 44);
  EXPECT_EQ(n.u32(4), codec::kLeaseBreakAckRequired);
  EXPECT_EQ(n.body()[8], 0xA1);
  EXPECT_EQ(n.u32(24), R | W | H);
  EXPECT_EQ(n.u32(28), R | H);

  auto ack = a->one({Command::oplock_break, lease_ack(ka, R | H)});
  ASSERT_EQ(ack.status(), NtStatus::success);
  EXPECT_EQ(ack.u16(0), 36);
  EXPECT_EQ(ack.u32(24), R | H);

  auto fin = b->take_pushed();
  ASSERT_EQ(fin.size(), 1u);
  EXPECT_EQ(fin[0].status(), NtStatus::success);
  EXPECT_EQ(fin[0].hdr.command, Command::create);
  EXPECT_EQ(fin[0].hdr.message_id, mid);
  EXPECT_EQ(fin[0].hdr.async_id, interim.hdr.async_id);
  EXPECT_TRUE(fin[0].is_signed());
  EXPECT_TRUE(fin[0].sig_valid);
  EXPECT_EQ(lease_of(fin[0]).state, R | H);
  // Acknowledging again: no break in progress.
  EXPECT_EQ(a->one({Command::oplock_break, lease_ack(ka, R | H)}).status(), NtStatus::unsuccessful);
}

TEST_F(Leases, ALeaseBreakGoesToTheClientsOldestConnection) {
  // 3.3.4.7, as Windows (smbtorture smb2.lease.v2_complex1): a lease is the client's, and its
  // break goes out on the client's oldest live connection, though the open holding it came in
  // on another connection of the same ClientGuid, with a session of its own.
  EngineClient c(st);  // a's ClientGuid
  ASSERT_NO_FATAL_FAILURE(c.connect({0x0311}));
  Key kc{};
  kc.fill(0xC3);
  ASSERT_EQ(lease_of(create(c, "f.txt", codec::kOplockLease, lease_data(kc, R | W | H, 2))).state, R | W | H);
  ASSERT_EQ(create(*b, "f.txt", codec::kOplockNone, std::nullopt).status(), NtStatus::pending);
  EXPECT_TRUE(c.take_pushed().empty());
  auto notes = a->take_pushed();
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].hdr.command, Command::oplock_break);
  EXPECT_EQ(notes[0].body()[8], 0xC3);
  // Acknowledged on that connection too: the lease table is the client's (3.3.5.22.2).
  EXPECT_EQ(a->one({Command::oplock_break, lease_ack(kc, R | H)}).status(), NtStatus::success);
  ASSERT_EQ(b->take_pushed().size(), 1u);
  // An oplock break stays with its open's connection (3.3.4.6).
  ASSERT_EQ(create(c, "g.txt", codec::kOplockBatch, std::nullopt).body()[2], codec::kOplockBatch);
  ASSERT_EQ(create(*b, "g.txt", codec::kOplockNone, std::nullopt).status(), NtStatus::pending);
  EXPECT_TRUE(a->take_pushed().empty());
  EXPECT_EQ(c.take_pushed().size(), 1u);
  // Once the oldest connection is gone, the next one gets the client's lease breaks.
  a->shutdown();
  Key kd{};
  kd.fill(0xD4);
  ASSERT_EQ(lease_of(create(c, "h.txt", codec::kOplockLease, lease_data(kd, R | W | H, 2))).state, R | W | H);
  ASSERT_EQ(create(*b, "h.txt", codec::kOplockNone, std::nullopt).status(), NtStatus::pending);
  auto later = c.take_pushed();
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].body()[8], 0xD4);
}

TEST_F(Leases, TimeoutCompletesTheBreak) {
  ASSERT_EQ(lease_of(create(*a, "f.txt", codec::kOplockLease, lease_data(ka, R | W | H, 1))).state, R | W | H);
  ASSERT_EQ(create(*b, "f.txt", codec::kOplockNone, std::nullopt).status(), NtStatus::pending);
  ASSERT_EQ(a->take_pushed().size(), 1u);
  clock.advance_seconds(10);
  a->tick();
  EXPECT_TRUE(b->take_pushed().empty());
  clock.advance_seconds(30);
  b->tick();
  auto fin = b->take_pushed();
  ASSERT_EQ(fin.size(), 1u);
  EXPECT_EQ(fin[0].status(), NtStatus::success);
}

TEST_F(Leases, CloseInsteadOfAckReleasesTheWaiter) {
  auto r = create(*a, "f.txt", codec::kOplockLease, lease_data(ka, R | W | H, 1));
  ASSERT_EQ(create(*b, "f.txt", codec::kOplockNone, std::nullopt).status(), NtStatus::pending);
  ASSERT_EQ(a->close(fid_of(r)).status(), NtStatus::success);
  auto fin = b->take_pushed();
  ASSERT_EQ(fin.size(), 1u);
  EXPECT_EQ(fin[0].status(), NtStatus::success);
  // The lease is gone with its last open.
  EXPECT_EQ(a->one({Command::oplock_break, lease_ack(ka, 0)}).status(), NtStatus::object_name_not_found);
}

TEST_F(Leases, WriteByAnotherOpenBreaksRead) {
  ASSERT_EQ(lease_of(create(*a, "f.txt", codec::kOplockLease, lease_data(ka, R, 1))).state, R);
  auto rb = create(*b, "f.txt", codec::kOplockNone, std::nullopt);
  ASSERT_EQ(rb.status(), NtStatus::success);  // R alone needs no break on open
  EXPECT_TRUE(a->take_pushed().empty());
  const Vec data{1, 2, 3};
  ASSERT_EQ(b->write(fid_of(rb), 0, data).status(), NtStatus::success);
  auto notes = a->take_pushed();
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].u32(4), 0u);  // R → none: no acknowledgment
  EXPECT_EQ(notes[0].u32(28), 0u);
  EXPECT_EQ(a->one({Command::oplock_break, lease_ack(ka, 0)}).status(), NtStatus::unsuccessful);
}

TEST_F(Leases, DeleteByAnotherClientBreaksHandleCaching) {
  ASSERT_EQ(lease_of(create(*a, "f.txt", codec::kOplockLease, lease_data(ka, R | H, 1))).state, R | H);
  auto rb = create(*b, "f.txt", codec::kOplockNone, std::nullopt);
  ASSERT_EQ(rb.status(), NtStatus::success);  // RH holds no write caching: nothing to break
  EXPECT_TRUE(a->take_pushed().empty());
  const Vec yes{1};
  ASSERT_EQ(b->set_info(fid_of(rb), codec::kInfoFile, 13 /*FileDispositionInformation*/, yes).status(),
            NtStatus::success);
  auto n = a->take_pushed();
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].u32(4), codec::kLeaseBreakAckRequired);
  EXPECT_EQ(n[0].u32(28), R);
}

TEST_F(Leases, OverwriteBreaksToNoneAndWaitsForTheAck) {
  // As Windows (smbtorture smb2.lease.breaking2): RWH -> none in one break, acknowledged.
  ASSERT_EQ(lease_of(create(*a, "f.txt", codec::kOplockLease, lease_data(ka, R | W | H, 1))).state, R | W | H);
  ASSERT_EQ(create(*b, "f.txt", codec::kOplockNone, std::nullopt, access::kFullAccess, 5 /*overwrite_if*/).status(),
            NtStatus::pending);
  auto n = a->take_pushed();
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].u32(28), 0u);
  ASSERT_EQ(a->one({Command::oplock_break, lease_ack(ka, 0)}).status(), NtStatus::success);
  // B's CREATE resumes on B's executor (here: when B next runs) and truncates; nothing is left
  // to break.
  auto fin = b->take_pushed();
  ASSERT_EQ(fin.size(), 1u);
  EXPECT_EQ(fin[0].status(), NtStatus::success);
  EXPECT_EQ(fin[0].u32(4), 3u);  // FILE_OVERWRITTEN
  EXPECT_TRUE(a->take_pushed().empty());
}

TEST_F(Leases, BadAcks) {
  EXPECT_EQ(a->one({Command::oplock_break, lease_ack(ka, 0)}).status(), NtStatus::object_name_not_found);
  auto r = create(*a, "f.txt", codec::kOplockLease, lease_data(ka, R | W | H, 1));
  EXPECT_EQ(a->one({Command::oplock_break, lease_ack(ka, R)}).status(), NtStatus::unsuccessful);
  EXPECT_EQ(a->one({Command::oplock_break, oplock_ack(fid_of(r), 0)}).status(), NtStatus::invalid_device_state);
  EXPECT_EQ(a->one({Command::oplock_break, oplock_ack({9, 9}, 0)}).status(), NtStatus::file_closed);
  ASSERT_EQ(create(*b, "f.txt", codec::kOplockNone, std::nullopt).status(), NtStatus::pending);
  // More than the break offered (RH) is refused; the break stays pending.
  EXPECT_EQ(a->one({Command::oplock_break, lease_ack(ka, R | W | H)}).status(), NtStatus::request_not_accepted);
  EXPECT_TRUE(b->take_pushed().empty());
  EXPECT_EQ(a->one({Command::oplock_break, lease_ack(ka, R)}).status(), NtStatus::success);
  EXPECT_EQ(b->take_pushed().size(), 1u);
}

TEST_F(Leases, OplockBatchBreaksToLevelII) {
  auto r = create(*a, "o.txt", codec::kOplockBatch, std::nullopt);
  ASSERT_EQ(r.status(), NtStatus::success);
  EXPECT_EQ(r.body()[2], codec::kOplockBatch);
  auto interim = create(*b, "o.txt", codec::kOplockLevelII, std::nullopt);
  ASSERT_EQ(interim.status(), NtStatus::pending);
  auto notes = a->take_pushed();
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].u16(0), 24);
  EXPECT_EQ(notes[0].body()[2], codec::kOplockLevelII);
  EXPECT_EQ(notes[0].u64(8), fid_of(r).persistent);
  auto ack = a->one({Command::oplock_break, oplock_ack(fid_of(r), codec::kOplockLevelII)});
  ASSERT_EQ(ack.status(), NtStatus::success);
  EXPECT_EQ(ack.body()[2], codec::kOplockLevelII);
  auto fin = b->take_pushed();
  ASSERT_EQ(fin.size(), 1u);
  EXPECT_EQ(fin[0].status(), NtStatus::success);
  EXPECT_EQ(fin[0].body()[2], codec::kOplockLevelII);
  // A WRITE through b breaks a's level II, and b's own, to none without an acknowledgment
  // (smbtorture smb2.oplock.batch6); acknowledging it anyway is a protocol error (levelii500).
  const Vec data{1};
  ASSERT_EQ(b->write(fid_of(fin[0]), 0, data).status(), NtStatus::success);
  auto n2 = a->take_pushed();
  ASSERT_EQ(n2.size(), 1u);
  EXPECT_EQ(n2[0].body()[2], codec::kOplockNone);
  auto self = b->take_pushed();
  ASSERT_EQ(self.size(), 1u);
  EXPECT_EQ(self[0].body()[2], codec::kOplockNone);
  EXPECT_EQ(a->one({Command::oplock_break, oplock_ack(fid_of(r), 0)}).status(), NtStatus::invalid_oplock_protocol);
}

TEST_F(Leases, OplockAckOfAHigherLevelIsRefused) {
  auto r = create(*a, "o.txt", codec::kOplockExclusive, std::nullopt);
  ASSERT_EQ(r.body()[2], codec::kOplockExclusive);
  ASSERT_EQ(create(*b, "o.txt", codec::kOplockNone, std::nullopt).status(), NtStatus::pending);
  EXPECT_EQ(a->one({Command::oplock_break, oplock_ack(fid_of(r), codec::kOplockExclusive)}).status(),
            NtStatus::invalid_oplock_protocol);
  EXPECT_EQ(b->take_pushed().size(), 1u);
}

TEST_F(Leases, CancelCompletesThePendingCreate) {
  create(*a, "f.txt", codec::kOplockLease, lease_data(ka, R | W | H, 1));
  auto interim = create(*b, "f.txt", codec::kOplockNone, std::nullopt);
  ASSERT_EQ(interim.status(), NtStatus::pending);
  Req c{Command::cancel, EngineClient::empty4_body()};
  c.message_id = interim.hdr.message_id;
  c.sign = false;
  Vec m = b->frame({c});
  m[16] = static_cast<std::uint8_t>(m[16] | codec::kFlagAsyncCommand);
  for (std::size_t i = 0; i < 8; ++i) m[32 + i] = static_cast<std::uint8_t>(interim.hdr.async_id >> (8 * i));
  auto rep = b->raw(m);
  EXPECT_TRUE(rep.msgs.empty());
  auto fin = b->take_pushed();
  ASSERT_EQ(fin.size(), 1u);
  EXPECT_EQ(fin[0].status(), NtStatus::cancelled);
  EXPECT_EQ(fin[0].hdr.async_id, interim.hdr.async_id);
  // The ack still works and resumes nothing.
  EXPECT_EQ(a->one({Command::oplock_break, lease_ack(ka, R | H)}).status(), NtStatus::success);
  EXPECT_TRUE(b->take_pushed().empty());
}

TEST_F(Leases, TeardownOfTheWaiterThenAck) {
  create(*a, "f.txt", codec::kOplockLease, lease_data(ka, R | W | H, 1));
  ASSERT_EQ(create(*b, "f.txt", codec::kOplockNone, std::nullopt).status(), NtStatus::pending);
  b.reset();  // the waiting client goes away
  EXPECT_EQ(a->one({Command::oplock_break, lease_ack(ka, R | H)}).status(), NtStatus::success);
}

TEST_F(Leases, TeardownOfTheHolderResumesTheWaiter) {
  create(*a, "f.txt", codec::kOplockLease, lease_data(ka, R | W | H, 1));
  ASSERT_EQ(create(*b, "f.txt", codec::kOplockLease, lease_data(kb, R | W | H, 1)).status(), NtStatus::pending);
  a->shutdown();
  a.reset();
  auto fin = b->take_pushed();
  ASSERT_EQ(fin.size(), 1u);
  EXPECT_EQ(fin[0].status(), NtStatus::success);
  EXPECT_EQ(lease_of(fin[0]).state, R | W | H);  // alone again: everything
}

TEST_F(Leases, InsideACompoundTheCreateDoesNotWait) {
  create(*a, "f.txt", codec::kOplockLease, lease_data(ka, R | W | H, 1));
  Req c1{Command::create, create_with("f.txt", access::kFullAccess, 3, 0, std::nullopt)};
  Req c2{Command::close, EngineClient::close_body(codec::kAllOnesFileId)};
  c2.flags = codec::kFlagRelatedOperations;
  auto rep = b->send({c1, c2});
  ASSERT_EQ(rep.msgs.size(), 2u);
  EXPECT_EQ(rep.at(0).status(), NtStatus::success);
  EXPECT_EQ(rep.at(1).status(), NtStatus::success);
  EXPECT_EQ(a->take_pushed().size(), 1u);  // the break was still sent
}

TEST(LeasesEncrypted, BreakNotificationIsEncrypted) {
  auto st = make_test_state();
  EngineClient a(st), b(st);
  b.client_guid[0] = 0x77;
  const std::vector<EngineClient::Ctx> ctx{EngineClient::preauth_ctx(), EngineClient::encryption_ctx({2})};
  ASSERT_NO_FATAL_FAILURE(a.connect({0x0311}, "share", ctx));
  a.encrypt = true;
  ASSERT_NO_FATAL_FAILURE(b.connect({0x0311}));
  Key k{};
  k.fill(0x42);
  auto r = a.one({Command::create, create_with("e.txt", access::kFullAccess, 3, codec::kOplockLease, lease_data(k, R | W | H, 2))});
  ASSERT_EQ(r.status(), NtStatus::success);
  EXPECT_EQ(r.body()[2], codec::kOplockLease);
  EXPECT_EQ(lease_of(r).state, R | W | H);
  auto interim = b.one({Command::create, create_with("e.txt", access::kFullAccess, 3, 0, std::nullopt)});
  ASSERT_EQ(interim.status(), NtStatus::pending);
  auto notes = a.take_pushed();
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_TRUE(notes[0].encrypted);
  EXPECT_EQ(notes[0].u16(0), 44);
}

}  // namespace
}  // namespace smbsrv::test
