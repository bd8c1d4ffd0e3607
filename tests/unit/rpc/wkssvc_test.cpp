// wkssvc (src/rpc/wkssvc.cpp): NetrWkstaGetInfo against impacket-marshalled requests.
#include <gtest/gtest.h>

#include <string>

#include "rpc/ndr.hpp"
#include "unit/rpc/fake_directory.hpp"
#include "unit/rpc/rpc_vectors.hpp"

namespace smbsrv::rpc {
namespace {

const vectors::Vector& vec(const char* name) {
  for (const auto& v : vectors::wkssvc())
    if (std::string(v.name) == name) return v;
  throw std::runtime_error(name);
}

struct Fixture {
  PipeClient client = test::alice();
  std::unique_ptr<Interface> svc = make_wkssvc(std::make_shared<test::FakeDirectory>());
  CallResult call(std::uint16_t opnum, const std::vector<std::uint8_t>& stub) {
    return svc->call(opnum, stub, CallContext{client});
  }
};

TEST(Wkssvc, AbstractSyntaxIsWkssvcV1) {
  Fixture f;
  EXPECT_EQ(f.svc->abstract_syntax().uuid, uuid_from_string("6bffd098-a112-3610-9833-46c3f87e345a"));
  EXPECT_EQ(f.svc->abstract_syntax().major, 1);
}

TEST(Wkssvc, WkstaGetInfoLevels100To102) {
  Fixture f;
  for (std::uint32_t level : {100u, 101u, 102u}) {
    CallResult res = f.call(0, vec(("wksta_get_info_" + std::to_string(level)).c_str()).stub);
    ASSERT_EQ(res.fault, 0u);
    NdrReader r(res.stub);
    std::optional<std::string> computer, langroup, lanroot;
    std::uint32_t platform = 0, major = 0, minor = 1, users = 9;
    r.param([&] {
      EXPECT_EQ(r.u32(), level);
      r.unique([&] {
        platform = r.u32();
        r.unique_wstring(computer);
        r.unique_wstring(langroup);
        major = r.u32();
        minor = r.u32();
        if (level >= 101) r.unique_wstring(lanroot);
        if (level == 102) users = r.u32();
      });
    });
    EXPECT_EQ(r.u32(), 0u);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.remaining(), 0u);
    EXPECT_EQ(platform, 500u);
    EXPECT_EQ(computer, "SMBSRV");
    EXPECT_EQ(langroup, "WORKGROUP");
    EXPECT_EQ(major, 10u);
    EXPECT_EQ(minor, 0u);
    if (level >= 101) { EXPECT_EQ(lanroot, ""); }
    if (level == 102) { EXPECT_EQ(users, 0u); }
  }
}

TEST(Wkssvc, OtherLevelsAreInvalidLevel) {
  Fixture f;
  CallResult res = f.call(0, vec("wksta_get_info_502").stub);
  ASSERT_EQ(res.fault, 0u);
  NdrReader r(res.stub);
  r.param([&] { EXPECT_EQ(r.u32(), 502u); EXPECT_FALSE(r.unique([] {})); });
  EXPECT_EQ(r.u32(), 124u);
  EXPECT_TRUE(r.ok());
}

TEST(Wkssvc, OtherOpnumsFaultAndTruncationsFault) {
  Fixture f;
  EXPECT_EQ(f.call(1, vec("wksta_get_info_100").stub).fault, kNcaOpRangeError);
  EXPECT_EQ(f.call(27, vec("wksta_get_info_100").stub).fault, kNcaOpRangeError);
  for (const auto& v : vectors::wkssvc()) {
    for (std::size_t n = 0; n < v.stub.size(); ++n) {
      CallResult res = f.call(v.opnum, std::vector<std::uint8_t>(v.stub.begin(), v.stub.begin() + static_cast<std::ptrdiff_t>(n)));
      EXPECT_EQ(res.fault, kNcaFaultNdr) << v.name << " " << n;
    }
  }
}

TEST(Wkssvc, DumpsResponsesForTheImpacketCheck) {
  Fixture f;
  for (const auto& v : vectors::wkssvc()) test::dump(std::string("wkssvc.") + v.name, f.call(v.opnum, v.stub).stub);
}

}  // namespace
}  // namespace smbsrv::rpc
