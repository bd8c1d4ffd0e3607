// Named pipes on IPC$ (engine/handlers/pipe.cpp) with an application's pipe service: CREATE,
// message-mode READ and WRITE, FSCTL_PIPE_TRANSCEIVE / PEEK / WAIT, pending READs, QUERY_INFO,
// limits.
#include <gtest/gtest.h>

#include "codec/fscc.hpp"
#include "codec/pipe.hpp"
#include "support/engine_client.hpp"
#include "util/utf16.hpp"

namespace smbsrv::test {
namespace {

/// Answers each message with itself, or with `split` messages when the message is "split".
class Echo : public PipeInstance {
 public:
  std::vector<std::vector<std::uint8_t>> write(std::span<const std::uint8_t> m) override {
    const std::string s(m.begin(), m.end());
    if (s == "split") return {Vec{'a', 'b'}, Vec{'c'}};
    if (s == "silent") return {};
    if (s == "throw") throw std::runtime_error("service failed");
    if (s == "big") return {Vec(1000, 'x')};
    return {Vec(m.begin(), m.end())};
  }
};

Vec bytes(std::string_view s) { return Vec(s.begin(), s.end()); }

struct Pipe : ::testing::Test {
  std::shared_ptr<engine::ServerState> st = make_test_state(config());
  EngineClient c{st};
  static ServerConfig config() {
    ServerConfig cfg;
    cfg.max_pipe_opens_per_session = 3;
    cfg.max_pending_pipe_reads_per_connection = 2;
    cfg.max_pipe_unread_bytes = 2000;
    return cfg;
  }
  void SetUp() override {
    st->add_pipe_service("echo", [](const PipeClient& who) -> std::unique_ptr<PipeInstance> {
      EXPECT_EQ(who.user, "alice");
      EXPECT_FALSE(who.guest);
      return std::make_unique<Echo>();
    });
    st->add_pipe_service("closed", [](const PipeClient&) { return std::unique_ptr<PipeInstance>(); });
    c.connect({0x0311}, "IPC$");
  }
  codec::FileId open(std::string_view name = "echo") {
    auto o = c.create(name, access::kFileGenericRead | access::kFileGenericWrite, kShareAll, 1);
    EXPECT_EQ(o.status, NtStatus::success);
    return o.fid;
  }
  Rsp transceive(const codec::FileId& f, const Vec& in, std::uint32_t max_out) {
    return c.ioctl(codec::kFsctlPipeTransceive, f, in, max_out);
  }
  static Vec output(const Rsp& r) { return r.buffer(r.u32(32), r.u32(36)); }
};

TEST_F(Pipe, UnknownPipesFailAtOnce) {
  EXPECT_EQ(c.create("nosuch", access::kFileGenericRead, kShareAll, 1).status, NtStatus::object_name_not_found);
  EXPECT_EQ(c.create("", access::kFileGenericRead, kShareAll, 1).status, NtStatus::object_name_not_found);
  EXPECT_EQ(c.create("closed", access::kFileGenericRead, kShareAll, 1).status, NtStatus::access_denied);
}

TEST_F(Pipe, OpenAnswersLikeWindows) {
  auto o = c.create("ECHO", access::kFileGenericRead | access::kFileGenericWrite, kShareAll, 1);
  ASSERT_EQ(o.status, NtStatus::success);
  EXPECT_EQ(o.rsp.body()[2], 0);  // no oplock
  EXPECT_EQ(o.action, 1u);        // FILE_OPENED
  EXPECT_EQ(o.rsp.u64(40), 4096u);  // AllocationSize
  EXPECT_EQ(o.rsp.u32(56), kAttrNormal);
  EXPECT_EQ(c.create("\\PIPE\\echo", access::kFileGenericRead, kShareAll, 1).status, NtStatus::success);
}

TEST_F(Pipe, WriteThenReadInMessageMode) {
  auto f = open();
  auto w = c.write(f, 0, bytes("hello"));
  ASSERT_EQ(w.status(), NtStatus::success);
  EXPECT_EQ(w.u32(4), 5u);
  auto r = c.read(f, 0, 3);
  EXPECT_EQ(r.status(), NtStatus::buffer_overflow);  // the message goes on
  EXPECT_EQ(EngineClient::read_data(r), bytes("hel"));
  r = c.read(f, 0, 100);
  EXPECT_EQ(r.status(), NtStatus::success);
  EXPECT_EQ(EngineClient::read_data(r), bytes("lo"));
  // Two messages are two READs, even when one READ could hold both.
  ASSERT_EQ(c.write(f, 0, bytes("split")).status(), NtStatus::success);
  EXPECT_EQ(EngineClient::read_data(c.read(f, 0, 100)), bytes("ab"));
  EXPECT_EQ(EngineClient::read_data(c.read(f, 0, 100)), bytes("c"));
  EXPECT_EQ(c.close(f).status(), NtStatus::success);
  EXPECT_EQ(c.read(f, 0, 100).status(), NtStatus::file_closed);
}

TEST_F(Pipe, TransceiveWritesThenReads) {
  auto f = open();
  auto t = transceive(f, bytes("ping"), 1024);
  ASSERT_EQ(t.status(), NtStatus::success);
  EXPECT_EQ(output(t), bytes("ping"));
  // An answer larger than MaxOutputResponse: the first part, STATUS_BUFFER_OVERFLOW; the rest by READ.
  t = transceive(f, bytes("big"), 600);
  ASSERT_EQ(t.status(), NtStatus::buffer_overflow);
  EXPECT_EQ(output(t).size(), 600u);
  // With an answer unread the pipe is busy.
  EXPECT_EQ(transceive(f, bytes("ping"), 1024).status(), NtStatus::pipe_busy);
  auto r = c.read(f, 0, 1000);
  EXPECT_EQ(r.status(), NtStatus::success);
  EXPECT_EQ(EngineClient::read_data(r).size(), 400u);
}

TEST_F(Pipe, ReadOnAnEmptyPipeWaitsForAWrite) {
  auto f = open();
  auto r = c.read(f, 0, 100);
  ASSERT_EQ(r.status(), NtStatus::pending);
  EXPECT_TRUE(c.take_pushed().empty());
  ASSERT_EQ(c.write(f, 0, bytes("late")).status(), NtStatus::success);
  auto done = c.take_pushed();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].status(), NtStatus::success);
  EXPECT_EQ(done[0].hdr.command, Command::read);
  EXPECT_EQ(EngineClient::read_data(done[0]), bytes("late"));
}

TEST_F(Pipe, CloseAndCancelEndWaitingReads) {
  auto f = open();
  ASSERT_EQ(c.read(f, 0, 100).status(), NtStatus::pending);
  ASSERT_EQ(c.close(f).status(), NtStatus::success);
  auto done = c.take_pushed();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].status(), NtStatus::cancelled);

  auto g = open();
  auto r = c.read(g, 0, 100);
  ASSERT_EQ(r.status(), NtStatus::pending);
  Req cancel{Command::cancel, Body{}.u16(4).u16(0).b};
  cancel.charge = 0;
  cancel.message_id = r.hdr.message_id;  // the synchronous form: by MessageId
  EXPECT_TRUE(c.send(cancel).msgs.empty());
  done = c.take_pushed();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].status(), NtStatus::cancelled);
}

TEST_F(Pipe, WaitingReadsAreCapped) {
  auto f = open();
  auto g = open();
  EXPECT_EQ(c.read(f, 0, 10).status(), NtStatus::pending);
  EXPECT_EQ(c.read(g, 0, 10).status(), NtStatus::pending);
  EXPECT_EQ(c.read(f, 0, 10).status(), NtStatus::insufficient_resources);
}

TEST_F(Pipe, OpensPerSessionAreCapped) {
  open();
  open();
  open();
  EXPECT_EQ(c.create("echo", access::kFileGenericRead, kShareAll, 1).status, NtStatus::insufficient_resources);
}

TEST_F(Pipe, UnreadAnswersAreCapped) {
  auto f = open();
  ASSERT_EQ(c.write(f, 0, bytes("big")).status(), NtStatus::success);
  ASSERT_EQ(c.write(f, 0, bytes("big")).status(), NtStatus::success);
  EXPECT_EQ(c.write(f, 0, bytes("big")).status(), NtStatus::insufficient_resources);  // 2000 unread
  EXPECT_EQ(c.read(f, 0, 1000).status(), NtStatus::success);
  EXPECT_EQ(c.write(f, 0, bytes("big")).status(), NtStatus::success);
}

TEST_F(Pipe, AServiceThatThrowsBreaksOnlyThatCall) {
  auto f = open();
  EXPECT_EQ(c.write(f, 0, bytes("throw")).status(), NtStatus::pipe_broken);
  EXPECT_EQ(output(transceive(f, bytes("ok"), 10)), bytes("ok"));
}

TEST_F(Pipe, TransceiveWithoutAnAnswerWaits) {
  auto f = open();
  auto t = transceive(f, bytes("silent"), 100);
  ASSERT_EQ(t.status(), NtStatus::pending);
  ASSERT_EQ(c.write(f, 0, bytes("now")).status(), NtStatus::success);
  auto done = c.take_pushed();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].hdr.command, Command::ioctl);
  EXPECT_EQ(output(done[0]), bytes("now"));
}

TEST_F(Pipe, PeekShowsTheNextMessage) {
  auto f = open();
  auto p = c.ioctl(codec::kFsctlPipePeek, f, {}, 64);
  ASSERT_EQ(p.status(), NtStatus::success);
  EXPECT_EQ(output(p), (Body{}.u32(3).u32(0).u32(0).u32(0).b));
  ASSERT_EQ(c.write(f, 0, bytes("split")).status(), NtStatus::success);
  p = c.ioctl(codec::kFsctlPipePeek, f, {}, 64);
  ASSERT_EQ(p.status(), NtStatus::success);
  Vec want = Body{}.u32(3).u32(3).u32(2).u32(2).b;
  want.push_back('a');
  want.push_back('b');
  EXPECT_EQ(output(p), want);
  p = c.ioctl(codec::kFsctlPipePeek, f, {}, 17);
  EXPECT_EQ(p.status(), NtStatus::buffer_overflow);
  EXPECT_EQ(output(p).size(), 17u);
  EXPECT_EQ(c.ioctl(codec::kFsctlPipePeek, f, {}, 8).status(), NtStatus::buffer_too_small);
  EXPECT_EQ(EngineClient::read_data(c.read(f, 0, 100)), bytes("ab"));  // peeking took nothing
}

TEST_F(Pipe, WaitNamesAPipe) {
  auto wait_for = [&](std::string_view name) {
    const Vec n = to_utf16le(name);
    Vec in = Body{}.u64(0).u32(static_cast<std::uint32_t>(n.size())).u8(0).u8(0).b;
    in.insert(in.end(), n.begin(), n.end());
    return c.ioctl(codec::kFsctlPipeWait, codec::kAllOnesFileId, in, 0).status();
  };
  EXPECT_EQ(wait_for("echo"), NtStatus::success);
  EXPECT_EQ(wait_for("nosuch"), NtStatus::object_name_not_found);
  EXPECT_EQ(c.ioctl(codec::kFsctlPipeWait, codec::kAllOnesFileId, Vec(5, 0), 0).status(), NtStatus::invalid_parameter);
}

TEST_F(Pipe, QueryInfoOnAPipe) {
  auto f = open();
  ASSERT_EQ(c.write(f, 0, bytes("hello")).status(), NtStatus::success);
  auto q = c.query_info(f, codec::kInfoFile, codec::kFilePipeInformation);
  ASSERT_EQ(q.status(), NtStatus::success);
  EXPECT_EQ(q.buffer(q.u16(2), q.u32(4)), (Body{}.u32(1).u32(0).b));
  q = c.query_info(f, codec::kInfoFile, fscc::kFileStandardInformation);
  ASSERT_EQ(q.status(), NtStatus::success);
  EXPECT_EQ(q.u64(8 + 8), 5u);  // EndOfFile: what can be read
  q = c.query_info(f, codec::kInfoFile, codec::kFilePipeLocalInformation);
  ASSERT_EQ(q.status(), NtStatus::success);
  EXPECT_EQ(q.u32(4), 40u);
  q = c.query_info(f, codec::kInfoFilesystem, fscc::kFileFsDeviceInformation);
  ASSERT_EQ(q.status(), NtStatus::success);
  EXPECT_EQ(q.u32(8), codec::kFileDeviceNamedPipe);
  EXPECT_EQ(c.query_info(f, codec::kInfoFile, fscc::kFileAllInformation).status(), NtStatus::invalid_parameter);
  EXPECT_EQ(c.query_info(f, codec::kInfoSecurity, 0).status(), NtStatus::invalid_parameter);
  EXPECT_EQ(c.set_info(f, codec::kInfoFile, codec::kFilePipeInformation, Body{}.u32(1).u32(0).b).status(),
            NtStatus::success);
  EXPECT_EQ(c.set_info(f, codec::kInfoFile, codec::kFilePipeInformation, Body{}.u32(0).u32(0).b).status(),
            NtStatus::invalid_parameter);
  EXPECT_EQ(c.set_info(f, codec::kInfoFile, fscc::kFileEndOfFileInformation, Body{}.u64(0).b).status(),
            NtStatus::invalid_parameter);
}

TEST_F(Pipe, FileCommandsOnAPipe) {
  auto f = open();
  EXPECT_EQ(c.one({Command::flush, Body{}.u16(24).u16(0).u32(0).fid(f).b}).status(), NtStatus::success);
  EXPECT_EQ(c.query_directory(f, "*").status(), NtStatus::invalid_parameter);
  EXPECT_EQ(c.close(f, codec::kClosePostqueryAttrib).status(), NtStatus::success);
}

TEST_F(Pipe, PipeWaitDecoderRejectsEveryTruncation) {
  const Vec n = to_utf16le("srvsvc");
  Vec in = Body{}.u64(5).u32(static_cast<std::uint32_t>(n.size())).u8(1).u8(0).b;
  in.insert(in.end(), n.begin(), n.end());
  auto ok = codec::decode_pipe_wait_request(in);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->name, "srvsvc");
  EXPECT_TRUE(ok->timeout_specified);
  for (std::size_t len = 0; len < in.size(); ++len)
    EXPECT_FALSE(codec::decode_pipe_wait_request(std::span<const std::uint8_t>(in).first(len))) << len;
}

}  // namespace
}  // namespace smbsrv::test
