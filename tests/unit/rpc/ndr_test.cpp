// NDR20 writer/reader (src/rpc/ndr.hpp): layouts written by hand from C706 chapter 14 and
// MS-DTYP, round trips, the deferral order of embedded pointers, and truncations.
#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "unit/hex_util.hpp"
#include "rpc/ndr.hpp"

namespace smbsrv::rpc {
namespace {

using test::hex;
using test::unhex;

// Every strict prefix of `in` makes `decode` fail (return false) without crashing.
void expect_every_truncation_fails(const std::vector<std::uint8_t>& in,
                                   const std::function<bool(Bytes)>& decode) {
  ASSERT_TRUE(decode(in));
  for (std::size_t n = 0; n < in.size(); ++n) {
    EXPECT_FALSE(decode(Bytes(in.data(), n))) << "prefix " << n;
  }
}

TEST(Ndr, UuidFromStringIsLittleEndianInItsFirstThreeFields) {
  Uuid u = uuid_from_string("8a885d04-1ceb-11c9-9fe8-08002b104860");
  EXPECT_EQ(hex(u.bytes), "045d888aeb1cc9119fe808002b104860");
}

TEST(Ndr, PrimitivesAlignToTheirSize) {
  NdrWriter w;
  w.param([&] {
    w.u8(1);
    w.u16(0x0203);
    w.u8(4);
    w.u32(0x05060708);
    w.u8(9);
    w.hyper(-2);
    w.enum16(7);
  });
  EXPECT_EQ(hex(w.bytes()), "01000302040000000807060509000000feffffffffffffff0700");
  NdrReader r(w.bytes());
  EXPECT_EQ(r.u8(), 1);
  EXPECT_EQ(r.u16(), 0x0203);
  EXPECT_EQ(r.u8(), 4);
  EXPECT_EQ(r.u32(), 0x05060708u);
  EXPECT_EQ(r.u8(), 9);
  EXPECT_EQ(r.hyper(), -2);
  EXPECT_EQ(r.enum16(), 7);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.remaining(), 0u);
}

// A top-level [unique, string] wchar_t* "ab": referent id, then at once max_count 3, offset 0,
// actual_count 3, "a" "b" NUL.
constexpr const char* kUniqueAb = "00000200 03000000 00000000 03000000 6100 6200 0000";

TEST(Ndr, UniqueStringParamLayout) {
  NdrWriter w;
  w.unique_wstring_param("ab");
  EXPECT_TRUE(w.ok());
  EXPECT_EQ(hex(w.bytes()), hex(unhex(kUniqueAb)));
  NdrWriter n;
  n.unique_wstring_param(std::nullopt);
  EXPECT_EQ(hex(n.bytes()), "00000000");
}

TEST(Ndr, UniqueStringParamDecodesAndEveryTruncationFails) {
  auto in = unhex(kUniqueAb);
  NdrReader r(in);
  auto s = r.unique_wstring_param();
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(*s, "ab");
  expect_every_truncation_fails(in, [](Bytes b) {
    NdrReader rr(b);
    auto v = rr.unique_wstring_param();
    return rr.ok() && v.has_value();
  });
  auto null_ptr = unhex("00000000");
  NdrReader rn(null_ptr);
  EXPECT_FALSE(rn.unique_wstring_param().has_value());
  EXPECT_TRUE(rn.ok());
}

TEST(Ndr, StringChecksOffsetCountsAndTerminator) {
  auto decode = [](std::string_view h) {
    auto in = unhex(h);
    NdrReader r(in);
    std::string s = r.wstring();
    return r.ok() ? std::optional<std::string>(s) : std::nullopt;
  };
  EXPECT_EQ(decode("03000000 00000000 03000000 6100 6200 0000"), "ab");
  // max_count larger than what is sent is a buffer size, not data: accepted.
  EXPECT_EQ(decode("00010000 00000000 03000000 6100 6200 0000"), "ab");
  EXPECT_FALSE(decode("03000000 01000000 03000000 6100 6200 0000"));  // offset != 0
  EXPECT_FALSE(decode("02000000 00000000 03000000 6100 6200 0000"));  // actual > max
  EXPECT_FALSE(decode("03000000 00000000 03000000 6100 6200 6300"));  // no NUL
  // The string ends at its first NUL (impacket sends a ServerName of ten NULs).
  EXPECT_EQ(decode("03000000 00000000 03000000 6100 0000 0000"), "a");
  EXPECT_EQ(decode("03000000 00000000 03000000 0000 0000 0000"), "");
  EXPECT_FALSE(decode("00000000 00000000 00000000"));                 // not even the NUL
  EXPECT_FALSE(decode("ffffffff 00000000 ffffffff 6100"));            // count beyond the bytes
  EXPECT_EQ(decode("02000000 00000000 02000000 00d8 0000"), "\xED\xA0\x80");  // lone surrogate, kept
}

// RPC_UNICODE_STRING "ab" in a parameter: Length 4, MaximumLength 4, referent id, then deferred
// max_count 2, offset 0, actual_count 2, "a" "b" (no NUL).
constexpr const char* kUnicodeAb = "0400 0400 00000200 02000000 00000000 02000000 6100 6200";

TEST(Ndr, UnicodeStringLayoutAndRoundTrip) {
  NdrWriter w;
  w.param([&] { w.unicode_string("ab"); });
  EXPECT_EQ(hex(w.bytes()), hex(unhex(kUnicodeAb)));
  auto in = unhex(kUnicodeAb);
  expect_every_truncation_fails(in, [](Bytes b) {
    NdrReader r(b);
    std::string s;
    r.param([&] { r.unicode_string(s); });
    return r.ok() && s == "ab";
  });
  NdrWriter e;
  e.param([&] { e.unicode_string(""); });
  EXPECT_EQ(hex(e.bytes()), "0000000000000000");
  NdrReader re(e.bytes());
  std::string s = "x";
  EXPECT_TRUE(re.param([&] { re.unicode_string(s); }));
  EXPECT_EQ(s, "");
}

TEST(Ndr, UnicodeStringChecksLengths) {
  auto decode = [](std::string_view h) {
    auto in = unhex(h);
    NdrReader r(in);
    std::string s;
    r.param([&] { r.unicode_string(s); });
    return r.ok() ? std::optional<std::string>(s) : std::nullopt;
  };
  // MaximumLength above Length and a counted NUL are both accepted.
  EXPECT_EQ(decode("0600 0800 00000200 04000000 00000000 03000000 6100 6200 0000"), "ab");
  EXPECT_FALSE(decode("0300 0400 00000200 02000000 00000000 02000000 6100 6200"));  // odd Length
  EXPECT_FALSE(decode("0400 0400 00000200 02000000 00000000 02000000 0000 0000"));  // NUL left inside
  EXPECT_FALSE(decode("0600 0400 00000200 03000000 00000000 03000000 6100 6200 6300"));  // Length > Max
  EXPECT_FALSE(decode("0400 0400 00000200 02000000 00000000 01000000 6100"));  // actual != Length/2
}

TEST(Ndr, SidLayout) {
  codec::Sid sid;  // S-1-5-32-544
  sid.authority = {0, 0, 0, 0, 0, 5};
  sid.sub_authorities = {32, 544};
  NdrWriter w;
  w.param([&] { w.sid(sid); });
  const std::string expect = "02000000 01 02 000000000005 20000000 20020000";
  EXPECT_EQ(hex(w.bytes()), hex(unhex(expect)));
  expect_every_truncation_fails(unhex(expect), [&](Bytes b) {
    NdrReader r(b);
    codec::Sid s = r.sid();
    return r.ok() && s == sid;
  });
  auto mismatch = unhex("03000000 01 02 000000000005 20000000 20020000");
  NdrReader r(mismatch);
  r.sid();
  EXPECT_FALSE(r.ok());
  auto too_many = unhex("10000000 01 10 000000000005");
  NdrReader r2(too_many);
  r2.sid();
  EXPECT_FALSE(r2.ok());
}

TEST(Ndr, ContextHandleAndUuid) {
  ContextHandle h;
  h.attributes = 0;
  for (std::uint8_t i = 0; i < 16; ++i) h.uuid.bytes[i] = static_cast<std::uint8_t>(i + 1);
  NdrWriter w;
  w.param([&] {
    w.u8(0xAA);
    w.context_handle(h);
    w.uuid(h.uuid);
  });
  EXPECT_EQ(w.size(), 4u + 20u + 16u);
  NdrReader r(w.bytes());
  EXPECT_EQ(r.u8(), 0xAA);
  EXPECT_EQ(r.context_handle(), h);
  EXPECT_EQ(r.uuid(), h.uuid);
  EXPECT_TRUE(r.ok());
  EXPECT_FALSE(h.is_null());
  EXPECT_TRUE(ContextHandle{}.is_null());
}

// struct S { DWORD a; [unique,string] wchar_t* p; [unique,string] wchar_t* q; } as a parameter:
// the two referents follow the structure, in order.
TEST(Ndr, EmbeddedPointersAreDeferredToAfterTheStructure) {
  NdrWriter w;
  w.param([&] {
    w.u32(7);
    w.unique_wstring("a");
    w.unique_wstring("bc");
  });
  w.param([&] { w.u32(0x11); });
  const std::string expect =
      "07000000 00000200 04000200"          // a, p's and q's referent ids
      "02000000 00000000 02000000 6100 0000"  // *p
      "03000000 00000000 03000000 6200 6300 0000 0000"  // *q (after alignment)
      "11000000";
  EXPECT_TRUE(w.ok());
  EXPECT_EQ(hex(w.bytes()), hex(unhex(expect)));

  auto in = unhex(expect);
  expect_every_truncation_fails(in, [](Bytes b) {
    NdrReader r(b);
    std::uint32_t a = 0, tail = 0;
    std::optional<std::string> p, q;
    r.param([&] {
      a = r.u32();
      r.unique_wstring(p);
      r.unique_wstring(q);
    });
    r.param([&] { tail = r.u32(); });
    return r.ok() && a == 7 && p == "a" && q == "bc" && tail == 0x11;
  });
}

// A SHARE_INFO_1_CONTAINER-like tree (MS-SRVS 2.2.4.33): the container's pointer to the array is
// deferred; in the array, all elements' fixed parts come first, then each element's strings.
TEST(Ndr, NestedDeferralIsDepthFirstAfterEachConstruct) {
  struct Item { std::string name; std::uint32_t type; std::string remark; };
  std::vector<Item> items = {{"A", 1, "x"}, {"B", 2, ""}};
  NdrWriter w;
  w.param([&] {
    w.u32(1);
    w.unique(true, [&] {
      w.u32(static_cast<std::uint32_t>(items.size()));
      w.unique(true, [&] {
        w.conformance(static_cast<std::uint32_t>(items.size()));
        for (auto& it : items) {
          w.unique_wstring(it.name);
          w.u32(it.type);
          w.unique_wstring(it.remark);
        }
      });
    });
  });
  const std::string expect =
      "01000000 00000200"                          // level, container referent
      "02000000 04000200"                          // count, array referent
      "02000000"                                   // max_count
      "08000200 01000000 0c000200"                 // [0]
      "10000200 02000000 14000200"                 // [1]
      "02000000 00000000 02000000 4100 0000"       // [0].name
      "02000000 00000000 02000000 7800 0000"       // [0].remark
      "02000000 00000000 02000000 4200 0000"       // [1].name
      "01000000 00000000 01000000 0000";           // [1].remark ""
  EXPECT_EQ(hex(w.bytes()), hex(unhex(expect)));

  auto in = unhex(expect);
  expect_every_truncation_fails(in, [&](Bytes b) {
    NdrReader r(b);
    std::vector<Item> out;
    r.param([&] {
      r.u32();
      r.unique([&] {
        std::uint32_t n = r.u32();
        r.unique([&, n] {
          std::uint32_t max = r.conformance(12);
          if (max != n) { r.fail(); return; }
          out.resize(max);
          for (auto& it : out) {
            r.unique([&] { it.name = r.wstring(); });
            it.type = r.u32();
            r.unique([&] { it.remark = r.wstring(); });
          }
        });
      });
    });
    return r.ok() && out.size() == 2 && out[0].name == "A" && out[0].remark == "x" &&
           out[1].name == "B" && out[1].type == 2 && out[1].remark == "";
  });
}

TEST(Ndr, CountsBeyondTheInputFailBeforeAllocating) {
  auto in = unhex("ffffff7f 00000000");
  NdrReader r(in);
  EXPECT_EQ(r.conformance(1), 0u);
  EXPECT_FALSE(r.ok());
  auto in2 = unhex("02000000 01000000");
  NdrReader r2(in2);
  EXPECT_EQ(r2.conformance(4), 0u);  // 2 * 4 > 4 left
  EXPECT_FALSE(r2.ok());
  NdrReader r3(in2);
  EXPECT_EQ(r3.conformance(2), 2u);
  EXPECT_TRUE(r3.ok());
}

TEST(Ndr, RefPointerMustBeNonNull) {
  auto in = unhex("00000000");
  NdrReader r(in);
  r.param([&] { r.ref([&] {}); });
  EXPECT_FALSE(r.ok());
  auto in2 = unhex("00000200 05000000");
  NdrReader r2(in2);
  std::uint32_t v = 0;
  r2.param([&] { r2.ref([&] { v = r2.u32(); }); });
  EXPECT_TRUE(r2.ok());
  EXPECT_EQ(v, 5u);
}

// A linked list (struct L { [unique] struct L* next; }) nests one deferred body per element: the
// depth bound stops hostile input, not a handful of levels.
TEST(Ndr, DeferredDepthIsBounded) {
  auto list = [](int n) {
    std::vector<std::uint8_t> v;
    for (int i = 0; i < n; ++i) { v.push_back(0); v.push_back(0); v.push_back(2); v.push_back(0); }
    for (int i = 0; i < 4; ++i) v.push_back(0);
    return v;
  };
  auto decode = [](Bytes b) {
    NdrReader r(b);
    int depth = 0;
    std::function<void()> node = [&] { ++depth; r.unique(node); };
    r.param(node);
    return r.ok();
  };
  EXPECT_TRUE(decode(list(8)));
  EXPECT_FALSE(decode(list(kNdrMaxDepth + 8)));
}

TEST(Ndr, EmbeddedPointerOutsideAParamIsReported) {
  NdrWriter w;
  w.unique_wstring("a");
  EXPECT_FALSE(w.ok());
  auto in = unhex("00000200 02000000 00000000 02000000 6100 0000");
  NdrReader r(in);
  std::optional<std::string> s;
  r.unique_wstring(s);
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace smbsrv::rpc
