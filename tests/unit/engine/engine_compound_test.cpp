// Related compounds (MS-SMB2 3.3.5.2.7.2): what a related request inherits from the ones before
// it — the FileId the chain created or used, and a failure only from a failed CREATE.
#include <gtest/gtest.h>

#include "codec/fscc.hpp"
#include "support/engine_client.hpp"

namespace smbsrv::test {
namespace {

constexpr std::uint32_t kOpen = 1, kCreate = 2, kOpenIf = 3;
constexpr std::uint32_t kDirectoryFile = 0x1;
constexpr std::uint32_t kFsctlUnknown = 0x00090000 | (0x3FF << 2);  // not a control code we serve

Req related(Req r) {
  r.flags |= codec::kFlagRelatedOperations;
  return r;
}

Vec notify_body(const codec::FileId& f) { return EngineClient::change_notify_body(f, 0x17); }

struct Compound : ::testing::Test {
  std::shared_ptr<engine::ServerState> st = make_test_state();
  EngineClient c{st};
  void SetUp() override { c.connect({0x0311}); }
  static codec::FileId fid_of(const Rsp& create) { return {create.u64(64), create.u64(72)}; }
};

TEST_F(Compound, CreateThenChangeNotifyUsesTheNewHandle) {
  Req cr{Command::create, EngineClient::create_body("d", access::kFullAccess, kShareAll, kCreate, kDirectoryFile)};
  auto rep = c.send({cr, related({Command::change_notify, notify_body(codec::kAllOnesFileId)})});
  ASSERT_EQ(rep.msgs.size(), 2u);
  ASSERT_EQ(rep.at(0).status(), NtStatus::success);
  EXPECT_EQ(rep.at(1).status(), NtStatus::pending);  // waits on the directory the CREATE opened
  // Closing the directory ends it with STATUS_NOTIFY_CLEANUP: it was registered on that handle.
  EXPECT_EQ(c.close(fid_of(rep.at(0))).status(), NtStatus::success);
  auto fin = c.take_pushed();
  ASSERT_EQ(fin.size(), 1u);
  EXPECT_EQ(fin[0].status(), NtStatus::notify_cleanup);
  EXPECT_EQ(fin[0].hdr.async_id, rep.at(1).hdr.async_id);
}

TEST_F(Compound, ChangeNotifyInTheMiddleOfAChainIsInternalError) {
  // Windows fails a request that would go async when it is not the last of the chain, and the
  // chain goes on (3.3.5.2.7 <262>; smbtorture compound.interim2).
  Req cr{Command::create, EngineClient::create_body("d", access::kFullAccess, kShareAll, kCreate, kDirectoryFile)};
  Req qi{Command::query_info,
         EngineClient::query_info_body(codec::kAllOnesFileId, codec::kInfoFile, fscc::kFileBasicInformation)};
  auto rep = c.send({cr, related({Command::change_notify, notify_body(codec::kAllOnesFileId)}), related(qi)});
  ASSERT_EQ(rep.msgs.size(), 3u);
  EXPECT_EQ(rep.at(0).status(), NtStatus::success);
  EXPECT_EQ(rep.at(1).status(), NtStatus::internal_error);
  EXPECT_EQ(rep.at(2).status(), NtStatus::success);
  EXPECT_EQ(c.close(fid_of(rep.at(0))).status(), NtStatus::success);
}

TEST_F(Compound, FailedIoctlDoesNotStopTheCloseAfterIt) {
  // CREATE + IOCTL (fails) + CLOSE: the CLOSE closes the handle; nothing leaks.
  Req cr{Command::create, EngineClient::create_body("f.txt", access::kFullAccess, kShareAll, kOpenIf, 0)};
  Req io{Command::ioctl, EngineClient::ioctl_body(kFsctlUnknown, codec::kAllOnesFileId, {})};
  Req cl{Command::close, EngineClient::close_body(codec::kAllOnesFileId)};
  auto rep = c.send({cr, related(io), related(cl)});
  ASSERT_EQ(rep.msgs.size(), 3u);
  ASSERT_EQ(rep.at(0).status(), NtStatus::success);
  EXPECT_TRUE(is_error(rep.at(1).status()));
  EXPECT_EQ(rep.at(2).status(), NtStatus::success);
  EXPECT_EQ(c.close(fid_of(rep.at(0))).status(), NtStatus::file_closed);  // already closed
}

TEST_F(Compound, FailedIoctlOnADirectoryLetsItBeRemoved) {
  // The case a client hit: the leaked handle kept the directory from being removed.
  auto made = c.create("dir", access::kFullAccess, kShareAll, kCreate, kDirectoryFile);
  ASSERT_EQ(made.status, NtStatus::success);
  ASSERT_EQ(c.close(made.fid).status(), NtStatus::success);
  Req cr{Command::create, EngineClient::create_body("dir", access::kFullAccess, kShareAll, kOpen, kDirectoryFile)};
  Req io{Command::ioctl, EngineClient::ioctl_body(kFsctlUnknown, codec::kAllOnesFileId, {})};
  Req cl{Command::close, EngineClient::close_body(codec::kAllOnesFileId)};
  auto rep = c.send({cr, related(io), related(cl)});
  ASSERT_EQ(rep.msgs.size(), 3u);
  EXPECT_EQ(rep.at(2).status(), NtStatus::success);
  // Delete on close succeeds and the directory is gone.
  auto del = c.create("dir", access::kFullAccess, kShareAll, kOpen, kDirectoryFile | 0x1000);
  ASSERT_EQ(del.status, NtStatus::success);
  EXPECT_EQ(c.close(del.fid).status(), NtStatus::success);
  EXPECT_EQ(c.create("dir", access::kFullAccess, kShareAll, kOpen, kDirectoryFile).status,
            NtStatus::object_name_not_found);
}

TEST_F(Compound, FailedCreateFailsEveryLaterRequestThatTakesAFileId) {
  Req cr{Command::create, EngineClient::create_body("missing.txt", access::kFullAccess, kShareAll, kOpen, 0)};
  std::vector<Req> chain{cr};
  chain.push_back(related({Command::ioctl, EngineClient::ioctl_body(kFsctlUnknown, codec::kAllOnesFileId, {})}));
  chain.push_back(related({Command::query_info, EngineClient::query_info_body(codec::kAllOnesFileId, codec::kInfoFile,
                                                                              fscc::kFileStandardInformation)}));
  chain.push_back(related({Command::change_notify, notify_body(codec::kAllOnesFileId)}));
  chain.push_back(related({Command::close, EngineClient::close_body(codec::kAllOnesFileId)}));
  auto rep = c.send(chain);
  ASSERT_EQ(rep.msgs.size(), chain.size());
  for (std::size_t i = 0; i < chain.size(); ++i)
    EXPECT_EQ(rep.at(i).status(), NtStatus::object_name_not_found) << "message " << i;
}

TEST_F(Compound, EveryFileIdCommandInheritsTheCreatedHandle) {
  // READ, WRITE, LOCK, IOCTL, QUERY_DIRECTORY, QUERY_INFO, SET_INFO, FLUSH, then CLOSE, all with
  // the all-ones FileId after a CREATE.
  const Vec data{'a', 'b', 'c'};
  Req cr{Command::create, EngineClient::create_body("all.txt", access::kFullAccess, kShareAll, kOpenIf, 0)};
  std::vector<Req> chain{cr};
  chain.push_back(related({Command::write, EngineClient::write_body(codec::kAllOnesFileId, 0, data)}));
  chain.push_back(related({Command::read, EngineClient::read_body(codec::kAllOnesFileId, 0, 3)}));
  // LOCK: one exclusive range, then unlock it.
  chain.push_back(related({Command::lock, Body{}.u16(48).u16(1).u32(0).fid(codec::kAllOnesFileId).u64(0).u64(1).u32(0x12).u32(0).b}));
  chain.push_back(related({Command::lock, Body{}.u16(48).u16(1).u32(0).fid(codec::kAllOnesFileId).u64(0).u64(1).u32(4).u32(0).b}));
  chain.push_back(related({Command::query_info, EngineClient::query_info_body(codec::kAllOnesFileId, codec::kInfoFile,
                                                                              fscc::kFileStandardInformation)}));
  Vec eof(8, 0);
  eof[0] = 2;
  chain.push_back(related({Command::set_info, EngineClient::set_info_body(codec::kAllOnesFileId, codec::kInfoFile,
                                                                          fscc::kFileEndOfFileInformation, eof)}));
  chain.push_back(related({Command::flush, Body{}.u16(24).u16(0).u32(0).fid(codec::kAllOnesFileId).b}));
  chain.push_back(related({Command::close, EngineClient::close_body(codec::kAllOnesFileId)}));
  auto rep = c.send(chain);
  ASSERT_EQ(rep.msgs.size(), chain.size());
  for (std::size_t i = 0; i < chain.size(); ++i) EXPECT_EQ(rep.at(i).status(), NtStatus::success) << "message " << i;
  EXPECT_EQ(EngineClient::read_data(rep.at(2)), data);
  EXPECT_EQ(rep.at(5).u64(8 + 8), 3u);  // EndOfFile before the SET_INFO
  EXPECT_EQ(c.close(fid_of(rep.at(0))).status(), NtStatus::file_closed);
}

TEST_F(Compound, QueryDirectoryInheritsTheCreatedDirectory) {
  Req cr{Command::create, EngineClient::create_body("qd", access::kFullAccess, kShareAll, kCreate, kDirectoryFile)};
  Req qd{Command::query_directory, EngineClient::query_directory_body(codec::kAllOnesFileId, "*")};
  Req cl{Command::close, EngineClient::close_body(codec::kAllOnesFileId)};
  auto rep = c.send({cr, related(qd), related(cl)});
  ASSERT_EQ(rep.msgs.size(), 3u);
  EXPECT_EQ(rep.at(1).status(), NtStatus::success);  // "." and ".."
  EXPECT_EQ(rep.at(2).status(), NtStatus::success);
}

TEST_F(Compound, AFileIdNamedByAFailedRequestIsThenUsed) {
  // A request that names a FileId passes it on even when that FileId is unknown (smbtorture
  // compound.related5: IOCTL on a bad handle, then a related CLOSE, both FILE_CLOSED).
  Req io{Command::ioctl, EngineClient::ioctl_body(kFsctlUnknown, codec::kAllOnesFileId, {})};
  Req cl{Command::close, EngineClient::close_body(codec::kAllOnesFileId)};
  auto rep = c.send({io, related(cl)});
  ASSERT_EQ(rep.msgs.size(), 2u);
  EXPECT_EQ(rep.at(1).status(), NtStatus::file_closed);
}

TEST_F(Compound, ARelatedRequestAfterOneWithAnUnknownSessionIsInvalid) {
  // smbtorture compound.invalid2, as Windows answers: CREATE; a related CLOSE (SessionId and
  // TreeId -1: inherited, it closes the new handle); two unrelated CLOSEs with SessionId -1
  // (no such session); a related CLOSE after them, which has no session to inherit.
  Req cr{Command::create, EngineClient::create_body("inv2.txt", access::kFullAccess, kShareAll, kOpenIf, 0)};
  auto unknown = [](Req r) {
    r.session_id = ~0ULL;
    r.tree_id = 0xFFFFFFFFu;
    return r;
  };
  Req cl{Command::close, EngineClient::close_body(codec::kAllOnesFileId)};
  c.strict_signing = false;
  auto rep = c.send({cr, related(unknown(cl)), unknown(cl), unknown(cl), related(unknown(cl))});
  ASSERT_EQ(rep.msgs.size(), 5u);
  EXPECT_EQ(rep.at(0).status(), NtStatus::success);
  EXPECT_EQ(rep.at(1).status(), NtStatus::success);
  EXPECT_EQ(rep.at(2).status(), NtStatus::user_session_deleted);
  EXPECT_EQ(rep.at(3).status(), NtStatus::user_session_deleted);
  EXPECT_EQ(rep.at(4).status(), NtStatus::invalid_parameter);
  // Signed with the chain's session, which the client checks it with.
  EXPECT_TRUE(rep.at(4).is_signed());
  EXPECT_TRUE(crypto::smb2_verify(c.alg, c.signing_key, rep.at(4).msg));
}

}  // namespace
}  // namespace smbsrv::test
