// lsarpc (src/rpc/lsarpc.cpp, lsa_wire.cpp, lsa_names.cpp) against impacket-marshalled requests
// (their policy handle, 20 x 0xAB, is replaced by one the service issued).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "rpc/lsa_names.hpp"
#include "rpc/ndr.hpp"
#include "unit/rpc/fake_directory.hpp"
#include "unit/rpc/rpc_vectors.hpp"

namespace smbsrv::rpc {
namespace {

constexpr std::uint32_t kSuccess = 0, kSomeNotMapped = 0x107, kNoneMapped = 0xC0000073,
                        kInvalidHandle = 0xC0000008, kInvalidParameter = 0xC000000D;

const vectors::Vector& vec(const char* name) {
  for (const auto& v : vectors::lsarpc())
    if (std::string(v.name) == name) return v;
  throw std::runtime_error(name);
}

std::uint32_t tail_status(const CallResult& res) {
  EXPECT_EQ(res.fault, 0u);
  if (res.stub.size() < 4) return 0xFFFFFFFF;
  const auto* p = res.stub.data() + res.stub.size() - 4;
  return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 | std::uint32_t{p[3]} << 24;
}

struct Fixture {
  PipeClient client = test::alice();
  std::unique_ptr<Interface> svc = make_lsarpc(std::make_shared<test::FakeDirectory>());
  std::vector<std::uint8_t> handle;  // 20 bytes

  CallResult call(std::uint16_t opnum, const std::vector<std::uint8_t>& stub) {
    return svc->call(opnum, stub, CallContext{client});
  }
  std::vector<std::uint8_t> open(const char* name = "open_policy2") {
    CallResult res = call(vec(name).opnum, vec(name).stub);
    EXPECT_EQ(tail_status(res), kSuccess) << name;
    return {res.stub.end() - 24, res.stub.end() - 4};
  }
  /// The named vector with its 0xAB handle replaced by `h` (default: the open one).
  std::vector<std::uint8_t> with_handle(const char* name, const std::vector<std::uint8_t>* h = nullptr) {
    std::vector<std::uint8_t> s = vec(name).stub;
    const auto& use = h ? *h : handle;
    std::copy(use.begin(), use.end(), s.begin());
    return s;
  }
};

struct Name {
  std::uint16_t use = 0;
  std::string name;
  std::int32_t domain = 0;
};
struct SidsReply {
  std::vector<std::pair<std::string, std::string>> domains;  // name, SID
  std::vector<Name> names;
  std::uint32_t mapped = 0, status = 0;
};

SidsReply read_names(const std::vector<std::uint8_t>& stub, bool ex) {
  SidsReply out;
  NdrReader r(stub);
  std::vector<std::string> dnames;
  std::vector<codec::Sid> dsids;
  r.unique_param([&] {
    std::uint32_t n = r.u32();
    r.unique([&, n] {
      EXPECT_EQ(r.conformance(12), n);
      dnames.resize(n);
      dsids.resize(n);
      for (std::uint32_t i = 0; i < n; ++i) {
        r.align(4);
        r.unicode_string(dnames[i]);
        r.unique([&, i] { dsids[i] = r.sid(); });
      }
    });
    r.u32();
  });
  r.param([&] {
    std::uint32_t n = r.u32();
    r.unique([&, n] {
      EXPECT_EQ(r.conformance(16), n);
      out.names.resize(n);
      for (auto& nm : out.names) {
        r.align(4);
        nm.use = r.enum16();
        r.unicode_string(nm.name);
        nm.domain = static_cast<std::int32_t>(r.u32());
        if (ex) r.u32();
      }
    });
  });
  out.mapped = r.u32();
  out.status = r.u32();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.remaining(), 0u);
  for (std::size_t i = 0; i < dnames.size(); ++i) out.domains.emplace_back(dnames[i], lsa::sid_to_string(dsids[i]));
  return out;
}

/// "DOMAIN\name (use)" per translated entry, as rpcclient prints them.
std::vector<std::string> render(const SidsReply& r) {
  std::vector<std::string> out;
  for (const Name& n : r.names) {
    std::string dom = n.domain >= 0 && static_cast<std::size_t>(n.domain) < r.domains.size()
                          ? r.domains[static_cast<std::size_t>(n.domain)].first
                          : "?";
    out.push_back(dom + "\\" + n.name + " (" + std::to_string(n.use) + ")");
  }
  return out;
}

TEST(Lsarpc, AbstractSyntaxIsLsarpcV0) {
  Fixture f;
  EXPECT_EQ(f.svc->abstract_syntax().uuid, uuid_from_string("12345778-1234-abcd-ef00-0123456789ab"));
  EXPECT_EQ(f.svc->abstract_syntax().major, 0);
}

TEST(Lsarpc, OpenPolicyVariantsGiveDistinctHandlesAndCloseForgetsThem) {
  Fixture f;
  auto a = f.open("open_policy2");
  auto b = f.open("open_policy2_qos");
  auto c = f.open("open_policy");
  EXPECT_NE(a, b);
  EXPECT_NE(b, c);
  EXPECT_NE(a, std::vector<std::uint8_t>(20, 0));
  CallResult closed = f.call(0, f.with_handle("close", &a));
  EXPECT_EQ(tail_status(closed), kSuccess);
  EXPECT_EQ(std::vector<std::uint8_t>(closed.stub.begin(), closed.stub.begin() + 20), std::vector<std::uint8_t>(20, 0));
  EXPECT_EQ(tail_status(f.call(0, f.with_handle("close", &a))), kInvalidHandle);  // twice
  EXPECT_EQ(tail_status(f.call(0, vec("close").stub)), kInvalidHandle);           // never issued
  f.handle = a;
  EXPECT_EQ(read_names(f.call(57, f.with_handle("lookup_sids2")).stub, true).status, kInvalidHandle);
  f.handle = b;
  EXPECT_EQ(read_names(f.call(57, f.with_handle("lookup_sids2")).stub, true).status, kSomeNotMapped);
}

TEST(Lsarpc, OpenPolicy3ReturnsRevisionInfoAndAHandle) {
  Fixture f;
  NdrWriter w;  // impacket has no LsarOpenPolicy3: SystemName, ObjectAttributes, access, InVersion 1, V1
  w.unique_wstring_param("\\\\srv");
  w.param([&] {
    w.u32(24);
    for (int i = 0; i < 2; ++i) w.unique(false, [] {});
    w.u32(0);
    for (int i = 0; i < 2; ++i) w.unique(false, [] {});
  });
  w.u32(0x02000000);
  w.u32(1);
  w.param([&] { w.u32(1); w.u32(1); w.u32(0); });
  CallResult res = f.call(130, w.take());
  ASSERT_EQ(res.fault, 0u);
  NdrReader r(res.stub);
  EXPECT_EQ(r.u32(), 1u);  // OutVersion
  EXPECT_EQ(r.u32(), 1u);  // union arm
  EXPECT_EQ(r.u32(), 1u);  // Revision
  EXPECT_EQ(r.u32(), 0u);  // SupportedFeatures
  ContextHandle h = r.context_handle();
  EXPECT_FALSE(h.is_null());
  EXPECT_EQ(r.u32(), kSuccess);
  EXPECT_TRUE(r.ok());
}

TEST(Lsarpc, PolicyHandlesAreBoundedPerOpen) {
  Fixture f;
  for (int i = 0; i < 64; ++i) f.open();
  EXPECT_EQ(tail_status(f.call(44, vec("open_policy2").stub)), 0xC000009Au);  // INSUFFICIENT_RESOURCES
}

TEST(Lsarpc, QueryInformationPolicyAccountAndPrimaryDomain) {
  Fixture f;
  f.handle = f.open();
  for (const char* base : {"query_info_policy", "query_info_policy2"}) {
    const std::string b(base);
    const std::uint16_t op = b == "query_info_policy" ? 7 : 46;
    CallResult acct = f.call(op, f.with_handle((b + "_5").c_str()));
    NdrReader r(acct.stub);
    std::string name;
    codec::Sid sid;
    EXPECT_TRUE(r.unique_param([&] {
      EXPECT_EQ(r.enum16(), 5u);
      r.align(4);
      r.unicode_string(name);
      r.unique([&] { sid = r.sid(); });
    }));
    EXPECT_EQ(r.u32(), kSuccess);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(name, "SMBSRV");
    EXPECT_EQ(lsa::sid_to_string(sid), "S-1-5-21-1111-2222-3333");

    CallResult prim = f.call(op, f.with_handle((b + "_3").c_str()));
    NdrReader p(prim.stub);
    bool has_sid = true;
    EXPECT_TRUE(p.unique_param([&] {
      EXPECT_EQ(p.enum16(), 3u);
      p.align(4);
      p.unicode_string(name);
      has_sid = p.unique([] {});
    }));
    EXPECT_EQ(p.u32(), kSuccess);
    EXPECT_EQ(name, "WORKGROUP");
    EXPECT_FALSE(has_sid);

    EXPECT_EQ(tail_status(f.call(op, f.with_handle((b + "_12").c_str()))), kSuccess);
    EXPECT_EQ(tail_status(f.call(op, f.with_handle((b + "_1").c_str()))), kInvalidParameter);
  }
  EXPECT_EQ(tail_status(f.call(46, vec("query_info_policy2_5").stub)), kInvalidHandle);
}

TEST(Lsarpc, LookupSidsVariantsTranslateAccountsWellKnownAndDomains) {
  Fixture f;
  f.handle = f.open();
  // SIDS = machine-1000, S-1-1-0, S-1-5-32-544, machine, S-1-5-21-9-9-9-500 (unknown domain).
  const std::vector<std::string> want = {"SMBSRV\\alice (1)", "\\Everyone (5)", "BUILTIN\\Administrators (4)",
                                         "SMBSRV\\SMBSRV (3)", "?\\ (8)"};
  struct Case { const char* name; std::uint16_t op; bool ex; };
  for (Case c : {Case{"lookup_sids", 15, false}, Case{"lookup_sids2", 57, true}, Case{"lookup_sids3", 76, true}}) {
    std::vector<std::uint8_t> stub = c.op == 76 ? vec(c.name).stub : f.with_handle(c.name);
    SidsReply r = read_names(f.call(c.op, stub).stub, c.ex);
    EXPECT_EQ(r.status, kSomeNotMapped) << c.name;
    EXPECT_EQ(r.mapped, 4u);
    EXPECT_EQ(render(r), want) << c.name;
    EXPECT_EQ(r.names[4].domain, -1);
    ASSERT_EQ(r.domains.size(), 3u);
    EXPECT_EQ(r.domains[0], (std::pair<std::string, std::string>{"SMBSRV", "S-1-5-21-1111-2222-3333"}));
    EXPECT_EQ(r.domains[1], (std::pair<std::string, std::string>{"", "S-1-1"}));
    EXPECT_EQ(r.domains[2], (std::pair<std::string, std::string>{"BUILTIN", "S-1-5-32"}));
  }
  SidsReply none = read_names(f.call(57, f.with_handle("lookup_sids2_none")).stub, true);
  EXPECT_EQ(none.status, kNoneMapped);
  EXPECT_EQ(none.mapped, 0u);
  ASSERT_EQ(none.names.size(), 1u);
  EXPECT_EQ(none.names[0].use, 8u);
}

struct Sid2 {
  std::uint16_t use = 0;
  std::optional<std::string> sid;
  std::int32_t domain = 0;
};

std::vector<Sid2> read_sids_ex2(const std::vector<std::uint8_t>& stub, std::uint32_t& status, std::uint32_t& mapped) {
  NdrReader r(stub);
  std::vector<Sid2> out;
  std::vector<std::string> dnames;
  r.unique_param([&] {
    std::uint32_t n = r.u32();
    r.unique([&, n] {
      r.conformance(12);
      dnames.resize(n);
      for (std::uint32_t i = 0; i < n; ++i) {
        r.align(4);
        r.unicode_string(dnames[i]);
        r.unique([&] { r.sid(); });
      }
    });
    r.u32();
  });
  std::vector<codec::Sid> sids;
  r.param([&] {
    std::uint32_t n = r.u32();
    r.unique([&, n] {
      r.conformance(16);
      out.resize(n);
      sids.resize(n);
      for (std::uint32_t i = 0; i < n; ++i) {
        out[i].use = r.enum16();
        if (r.unique([&, i] { sids[i] = r.sid(); })) out[i].sid = "";
        out[i].domain = static_cast<std::int32_t>(r.u32());
        r.u32();
      }
    });
  });
  mapped = r.u32();
  status = r.u32();
  EXPECT_TRUE(r.ok());
  for (std::size_t i = 0; i < out.size(); ++i)
    if (out[i].sid) out[i].sid = lsa::sid_to_string(sids[i]);
  return out;
}

TEST(Lsarpc, LookupNames3And4TranslateQualifiedAndIsolatedNames) {
  Fixture f;
  f.handle = f.open();
  // NAMES = alice, SMBSRV\bob, Everyone, BUILTIN\Administrators, nosuchuser.
  for (std::uint16_t op : {std::uint16_t{68}, std::uint16_t{77}}) {
    std::uint32_t status = 0, mapped = 0;
    auto sids = read_sids_ex2(f.call(op, op == 68 ? f.with_handle("lookup_names3") : vec("lookup_names4").stub).stub,
                              status, mapped);
    EXPECT_EQ(status, kSomeNotMapped);
    EXPECT_EQ(mapped, 4u);
    ASSERT_EQ(sids.size(), 5u);
    EXPECT_EQ(sids[0].sid, "S-1-5-21-1111-2222-3333-1000");
    EXPECT_EQ(sids[0].use, 1u);
    EXPECT_EQ(sids[1].sid, "S-1-5-21-1111-2222-3333-1001");
    EXPECT_EQ(sids[2].sid, "S-1-1-0");
    EXPECT_EQ(sids[2].use, 5u);
    EXPECT_EQ(sids[3].sid, "S-1-5-32-544");
    EXPECT_EQ(sids[3].use, 4u);
    EXPECT_FALSE(sids[4].sid.has_value());
    EXPECT_EQ(sids[4].use, 8u);
    EXPECT_EQ(sids[4].domain, -1);
  }
  std::uint32_t status = 0, mapped = 0;
  read_sids_ex2(f.call(68, f.with_handle("lookup_names3_none")).stub, status, mapped);
  EXPECT_EQ(status, kNoneMapped);
}

TEST(Lsarpc, LookupNamesLevel14ReturnsRids) {
  Fixture f;
  f.handle = f.open();
  CallResult res = f.call(14, f.with_handle("lookup_names"));
  EXPECT_EQ(tail_status(res), kSomeNotMapped);
  NdrReader r(res.stub);
  std::vector<std::string> names;
  r.unique_param([&] {
    names.resize(r.u32());
    r.unique([&] {
      r.conformance(12);
      for (auto& s : names) { r.align(4); r.unicode_string(s); r.unique([&] { r.sid(); }); }
    });
    r.u32();
  });
  std::vector<std::uint32_t> rids;
  r.param([&] {
    std::uint32_t n = r.u32();
    r.unique([&, n] {
      r.conformance(12);
      for (std::uint32_t i = 0; i < n; ++i) { r.enum16(); rids.push_back(r.u32()); r.u32(); }
    });
  });
  EXPECT_EQ(r.u32(), 4u);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(rids, (std::vector<std::uint32_t>{1000, 1001, 0, 544, 0}));
}

TEST(Lsarpc, NameResolutionIsCaseInsensitiveAndKnowsDomains) {
  test::FakeDirectory dir;
  lsa::Resolver res(dir);
  lsa::DomainList d;
  EXPECT_EQ(res.name_to_sid("ALICE", d).use, lsa::kSidTypeUser);
  EXPECT_EQ(res.name_to_sid("workgroup\\Bob", d).use, lsa::kSidTypeUser);
  EXPECT_EQ(res.name_to_sid("smbsrv", d).use, lsa::kSidTypeDomain);
  EXPECT_EQ(res.name_to_sid("BUILTIN\\", d).use, lsa::kSidTypeDomain);
  EXPECT_EQ(res.name_to_sid("nt authority\\system", d).use, lsa::kSidTypeWellKnownGroup);
  EXPECT_EQ(res.name_to_sid("\\Everyone", d).use, lsa::kSidTypeWellKnownGroup);
  EXPECT_EQ(res.name_to_sid("OTHER\\alice", d).use, lsa::kSidTypeUnknown);
  EXPECT_EQ(res.name_to_sid("BUILTIN\\alice", d).use, lsa::kSidTypeUnknown);
  EXPECT_EQ(res.name_to_sid("", d).use, lsa::kSidTypeUnknown);
  // An unknown RID in the machine domain still references the domain.
  lsa::DomainList d2;
  lsa::Translation t = res.sid_to_name(lsa::make_sid(5, {21, 1111, 2222, 3333, 4242}), d2);
  EXPECT_EQ(t.use, lsa::kSidTypeUnknown);
  EXPECT_EQ(t.domain_index, 0);
  EXPECT_EQ(res.sid_to_name(lsa::make_sid(5, {18}), d2).name, "SYSTEM");
  EXPECT_EQ(d2.domains().back().name, "NT AUTHORITY");
}

TEST(Lsarpc, GetUserNameIsTheCallerInTheServersDomain) {
  Fixture f;
  CallResult res = f.call(45, vec("get_user_name").stub);  // DomainName NULL: only the user
  ASSERT_EQ(res.fault, 0u);
  NdrReader r(res.stub);
  std::string user;
  r.param([&] { r.unique([&] { r.unicode_string(user); }); });
  EXPECT_FALSE(r.unique_param([] {}));
  EXPECT_EQ(r.u32(), kSuccess);
  EXPECT_EQ(user, "alice");

  NdrWriter w;  // with a DomainName pointer (what Windows' LsaGetUserName sends)
  w.unique_param(false, [] {});
  w.param([&] { w.unique(false, [] {}); });
  w.unique_param(true, [&] { w.unique(false, [] {}); });
  CallResult both = f.call(45, w.take());
  NdrReader b(both.stub);
  std::string domain;
  b.param([&] { b.unique([&] { b.unicode_string(user); }); });
  EXPECT_TRUE(b.unique_param([&] { b.unique([&] { b.unicode_string(domain); }); }));
  EXPECT_EQ(b.u32(), kSuccess);
  EXPECT_EQ(domain, "SMBSRV");

  f.client.user.clear();
  CallResult anon = f.call(45, vec("get_user_name").stub);
  NdrReader a(anon.stub);
  a.param([&] { a.unique([&] { a.unicode_string(user); }); });
  EXPECT_EQ(user, "ANONYMOUS LOGON");
}

TEST(Lsarpc, CountsAboveTheirRangeFault) {
  Fixture f;
  f.handle = f.open();
  NdrWriter w;  // LookupSids2 with Entries 20481
  w.context_handle(ContextHandle{});
  w.param([&] { w.u32(20481); w.unique(false, [] {}); });
  EXPECT_EQ(f.call(57, w.take()).fault, kNcaFaultNdr);
  NdrWriter n;  // LookupNames3 with Count 1001
  n.context_handle(ContextHandle{});
  n.u32(1001);
  EXPECT_EQ(f.call(68, n.take()).fault, kNcaFaultNdr);
  // A count the stub does not carry: rejected before anything is sized with it.
  NdrWriter big;
  big.context_handle(ContextHandle{});
  big.param([&] { big.u32(20480); big.unique(true, [&] { big.conformance(20480); }); });
  EXPECT_EQ(f.call(57, big.take()).fault, kNcaFaultNdr);
}

TEST(Lsarpc, OtherOpnumsAndTruncationsFault) {
  Fixture f;
  f.handle = f.open();
  for (int op : {1, 2, 8, 58, 129, 131, 500}) EXPECT_EQ(f.call(static_cast<std::uint16_t>(op), {}).fault, kNcaOpRangeError) << op;
  for (const auto& v : vectors::lsarpc()) {
    std::vector<std::uint8_t> full = v.stub;
    for (std::size_t n = 0; n < full.size(); ++n) {
      CallResult res = f.call(v.opnum, std::vector<std::uint8_t>(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n)));
      if (res.fault != 0) EXPECT_EQ(res.fault, kNcaFaultNdr) << v.name << " " << n;
      else EXPECT_FALSE(res.stub.empty());
    }
  }
}

TEST(Lsarpc, DumpsResponsesForTheImpacketCheck) {
  Fixture f;
  f.handle = f.open();
  for (const auto& v : vectors::lsarpc()) {
    std::vector<std::uint8_t> stub = v.stub;
    if (v.stub.size() >= 20 && std::all_of(v.stub.begin(), v.stub.begin() + 20, [](std::uint8_t b) { return b == 0xAB; }))
      stub = f.with_handle(v.name);
    test::dump(std::string("lsarpc.") + v.name, f.call(v.opnum, stub).stub);
    if (v.opnum == 0) f.handle = f.open();  // the close above consumed it
  }
}

}  // namespace
}  // namespace smbsrv::rpc
