// srvsvc (src/rpc/srvsvc.cpp) against request stubs impacket marshalled (rpc_vectors.hpp) and
// stubs written here; responses are read back with the NDR reader.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "rpc/ndr.hpp"
#include "unit/rpc/rpc_vectors.hpp"
#include "unit/rpc/fake_directory.hpp"

namespace smbsrv::rpc {
namespace {

using test::FakeDirectory;

struct Fixture {
  std::shared_ptr<FakeDirectory> dir = std::make_shared<FakeDirectory>();
  PipeClient client = test::alice();
  std::unique_ptr<Interface> svc = make_srvsvc(dir, [] {
    using namespace std::chrono;
    return sys_days{year{2024} / February / 29} + hours{13} + minutes{45} + seconds{30} + milliseconds{250};
  });
  CallResult call(std::uint16_t opnum, const std::vector<std::uint8_t>& stub) {
    return svc->call(opnum, stub, CallContext{client});
  }
};

const vectors::Vector& vec(const char* name) {
  for (const auto& v : vectors::srvsvc())
    if (std::string(v.name) == name) return v;
  throw std::runtime_error(name);
}

std::vector<std::uint8_t> share_enum_stub(std::uint32_t level, std::uint32_t pref_max, std::optional<std::uint32_t> resume) {
  NdrWriter w;
  w.unique_wstring_param("\\\\127.0.0.1");
  w.param([&] {
    w.u32(level);
    w.u32(level);
    w.unique(true, [&] { w.u32(0); w.unique(false, [] {}); });
  });
  w.u32(pref_max);
  w.unique_param(resume.has_value(), [&] { w.u32(*resume); });
  return w.take();
}

struct EnumReply {
  std::uint32_t level = 0;
  std::vector<std::string> names;
  std::vector<std::uint32_t> types;
  std::uint32_t total = 0;
  std::optional<std::uint32_t> resume;
  std::uint32_t status = 0;
};

// Reads a NetrShareEnum response of level 0 or 1.
EnumReply read_enum(const std::vector<std::uint8_t>& stub) {
  EnumReply e;
  NdrReader r(stub);
  std::vector<std::optional<std::string>> names, comments;
  r.param([&] {
    e.level = r.u32();
    r.u32();
    r.unique([&] {
      r.u32();
      r.unique([&] {
        std::uint32_t n = r.conformance(4);
        names.resize(n);
        comments.resize(n);
        for (std::uint32_t i = 0; i < n; ++i) {
          r.unique_wstring(names[i]);
          if (e.level == 1) {
            e.types.push_back(r.u32());
            r.unique_wstring(comments[i]);
          }
        }
      });
    });
  });
  e.total = r.u32();
  r.unique_param([&] { e.resume = r.u32(); });
  e.status = r.u32();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.remaining(), 0u);
  for (auto& n : names) e.names.push_back(n.value_or("<null>"));
  return e;
}

TEST(Srvsvc, AbstractSyntaxIsSrvsvcV3) {
  Fixture f;
  EXPECT_EQ(f.svc->abstract_syntax().uuid, uuid_from_string("4b324fc8-1670-01d3-1278-5a47bf6ee188"));
  EXPECT_EQ(f.svc->abstract_syntax().major, 3);
  EXPECT_EQ(f.svc->abstract_syntax().minor, 0);
}

TEST(Srvsvc, ShareEnumLevel1FromImpacketListsEveryShare) {
  Fixture f;
  CallResult res = f.call(15, vec("share_enum_1").stub);
  ASSERT_EQ(res.fault, 0u);
  EnumReply e = read_enum(res.stub);
  EXPECT_EQ(e.level, 1u);
  EXPECT_EQ(e.names, (std::vector<std::string>{"IPC$", "Data", "Public"}));
  EXPECT_EQ(e.types, (std::vector<std::uint32_t>{kStypeIpc | kStypeSpecial, 0, 0}));
  EXPECT_EQ(e.total, 3u);
  EXPECT_EQ(e.resume, 0u);
  EXPECT_EQ(e.status, 0u);
}

TEST(Srvsvc, ShareEnumEveryLevelAnswers) {
  Fixture f;
  for (const char* name : {"share_enum_0", "share_enum_2", "share_enum_502", "share_enum_1_null_server_null_resume"}) {
    CallResult res = f.call(15, vec(name).stub);
    ASSERT_EQ(res.fault, 0u) << name;
    ASSERT_GE(res.stub.size(), 4u);
    EXPECT_EQ(res.stub[res.stub.size() - 4], 0) << name;  // NERR_Success
  }
  EnumReply e = read_enum(f.call(15, vec("share_enum_0").stub).stub);
  EXPECT_EQ(e.names.size(), 3u);
  EnumReply n = read_enum(f.call(15, vec("share_enum_1_null_server_null_resume").stub).stub);
  EXPECT_FALSE(n.resume.has_value());
}

TEST(Srvsvc, ShareEnumUnknownLevelIsInvalidLevel) {
  Fixture f;
  CallResult res = f.call(15, share_enum_stub(7, 0xFFFFFFFF, 0));
  ASSERT_EQ(res.fault, 0u);
  NdrReader r(res.stub);
  r.param([&] { EXPECT_EQ(r.u32(), 7u); r.u32(); EXPECT_FALSE(r.unique([] {})); });
  r.u32();
  r.unique_param([&] { r.u32(); });
  EXPECT_EQ(r.u32(), 124u);
  EXPECT_TRUE(r.ok());
}

TEST(Srvsvc, ShareEnumPagesWithResumeHandleAndMoreData) {
  Fixture f;
  for (std::uint32_t pref : {1u, 40u, 80u}) {
    std::vector<std::string> all;
    std::uint32_t resume = 0;
    for (int round = 0; round < 10; ++round) {
      EnumReply e = read_enum(f.call(15, share_enum_stub(1, pref, resume)).stub);
      EXPECT_EQ(e.total, 3u);
      ASSERT_FALSE(e.names.empty());
      all.insert(all.end(), e.names.begin(), e.names.end());
      ASSERT_TRUE(e.resume.has_value());
      if (e.status == 0) {
        EXPECT_EQ(*e.resume, 0u);
        break;
      }
      EXPECT_EQ(e.status, 234u);  // ERROR_MORE_DATA
      EXPECT_EQ(*e.resume, all.size());
      resume = *e.resume;
    }
    EXPECT_EQ(all, (std::vector<std::string>{"IPC$", "Data", "Public"})) << pref;
  }
  // One entry per call at the smallest preference.
  EnumReply first = read_enum(f.call(15, vec("share_enum_1_small").stub).stub);
  EXPECT_EQ(first.status, 234u);
  EXPECT_GE(first.names.size(), 1u);
  // A resume handle past the end: nothing more, success.
  EnumReply past = read_enum(f.call(15, share_enum_stub(1, 0xFFFFFFFF, 99)).stub);
  EXPECT_TRUE(past.names.empty());
  EXPECT_EQ(past.status, 0u);
}

std::uint32_t status_of(const CallResult& res) {
  EXPECT_EQ(res.fault, 0u);
  if (res.stub.size() < 4) return 0xFFFFFFFF;
  const auto* p = res.stub.data() + res.stub.size() - 4;
  return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 | std::uint32_t{p[3]} << 24;
}

TEST(Srvsvc, ShareGetInfoLevels) {
  Fixture f;
  for (const char* name : {"share_get_info_0", "share_get_info_1", "share_get_info_2", "share_get_info_501",
                           "share_get_info_502", "share_get_info_1005"})
    EXPECT_EQ(status_of(f.call(16, vec(name).stub)), 0u) << name;
  EXPECT_EQ(status_of(f.call(16, vec("share_get_info_7").stub)), 124u);
  EXPECT_EQ(status_of(f.call(16, vec("share_get_info_unknown").stub)), 2310u);

  // Level 2 in full: name, type, remark, permissions, max uses, current uses, path, no password.
  CallResult res = f.call(16, vec("share_get_info_2").stub);
  NdrReader r(res.stub);
  std::optional<std::string> name, remark, path, passwd;
  std::uint32_t type = 0, perms = 1, max_uses = 0, uses = 0;
  r.param([&] {
    EXPECT_EQ(r.u32(), 2u);
    r.unique([&] {
      r.unique_wstring(name);
      type = r.u32();
      r.unique_wstring(remark);
      perms = r.u32();
      max_uses = r.u32();
      uses = r.u32();
      r.unique_wstring(path);
      r.unique_wstring(passwd);
    });
  });
  EXPECT_EQ(r.u32(), 0u);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(name, "Data");
  EXPECT_EQ(remark, "Team data");
  EXPECT_EQ(path, "C:\\Data");
  EXPECT_EQ(passwd, "");  // an empty password string, as Samba sends
  EXPECT_EQ(type, 0u);
  EXPECT_EQ(perms, 0u);
  EXPECT_EQ(max_uses, 0xFFFFFFFFu);
  EXPECT_EQ(uses, 2u);

  // 1005: the flags.
  CallResult flags = f.call(16, vec("share_get_info_1005").stub);
  NdrReader fr(flags.stub);
  fr.param([&] { fr.u32(); fr.unique([&] { EXPECT_EQ(fr.u32(), 0x30u); }); });
  EXPECT_TRUE(fr.ok());
}

TEST(Srvsvc, ServerGetInfoLevels) {
  Fixture f;
  for (const char* name : {"server_get_info_100", "server_get_info_101", "server_get_info_102"})
    EXPECT_EQ(status_of(f.call(21, vec(name).stub)), 0u) << name;
  EXPECT_EQ(status_of(f.call(21, vec("server_get_info_103").stub)), 124u);

  CallResult res = f.call(21, vec("server_get_info_101").stub);
  NdrReader r(res.stub);
  std::optional<std::string> name, comment;
  std::uint32_t platform = 0, major = 0, minor = 1, type = 0;
  r.param([&] {
    EXPECT_EQ(r.u32(), 101u);
    r.unique([&] {
      platform = r.u32();
      r.unique_wstring(name);
      major = r.u32();
      minor = r.u32();
      type = r.u32();
      r.unique_wstring(comment);
    });
  });
  EXPECT_EQ(r.u32(), 0u);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(platform, 500u);
  EXPECT_EQ(name, "SMBSRV");
  EXPECT_EQ(major, 10u);
  EXPECT_EQ(minor, 0u);
  EXPECT_EQ(type, 0x9003u);
  EXPECT_EQ(comment, "");
}

TEST(Srvsvc, RemoteTodReportsTheInjectedClockInUtc) {
  Fixture f;
  CallResult res = f.call(28, vec("remote_tod").stub);
  ASSERT_EQ(res.fault, 0u);
  NdrReader r(res.stub);
  std::vector<std::uint32_t> v;
  EXPECT_TRUE(r.unique_param([&] {
    for (int i = 0; i < 12; ++i) v.push_back(r.u32());
  }));
  EXPECT_EQ(r.u32(), 0u);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(v.size(), 12u);
  EXPECT_EQ(v[0], 1709214330u);  // 2024-02-29T13:45:30Z
  EXPECT_EQ(v[2], 13u);
  EXPECT_EQ(v[3], 45u);
  EXPECT_EQ(v[4], 30u);
  EXPECT_EQ(v[5], 25u);  // hundredths
  EXPECT_EQ(v[6], 0u);   // UTC
  EXPECT_EQ(v[8], 29u);
  EXPECT_EQ(v[9], 2u);
  EXPECT_EQ(v[10], 2024u);
  EXPECT_EQ(v[11], 4u);  // Thursday
}

TEST(Srvsvc, OtherOpnumsAreOpRangeErrors) {
  Fixture f;
  for (int op : {0, 14, 17, 22, 27, 29, 200})
    EXPECT_EQ(f.call(static_cast<std::uint16_t>(op), vec("remote_tod").stub).fault, kNcaOpRangeError) << op;
}

TEST(Srvsvc, EveryTruncationIsAFaultOrAnAnswer) {
  Fixture f;
  for (const auto& v : vectors::srvsvc()) {
    for (std::size_t n = 0; n < v.stub.size(); ++n) {
      std::vector<std::uint8_t> cut(v.stub.begin(), v.stub.begin() + static_cast<std::ptrdiff_t>(n));
      CallResult res = f.call(v.opnum, cut);
      // A prefix that ends inside the request faults; one that only drops trailing padding may
      // still decode.
      if (res.fault != 0) EXPECT_EQ(res.fault, kNcaFaultNdr) << v.name << " " << n;
      else EXPECT_FALSE(res.stub.empty());
    }
    EXPECT_EQ(f.call(v.opnum, {}).fault, kNcaFaultNdr) << v.name;
  }
}

TEST(Srvsvc, DumpsResponsesForTheImpacketCheck) {
  Fixture f;
  for (const auto& v : vectors::srvsvc()) test::dump(std::string("srvsvc.") + v.name, f.call(v.opnum, v.stub).stub);
}

}  // namespace
}  // namespace smbsrv::rpc
