// FILE_NOTIFY_INFORMATION chains (MS-FSCC 2.4.42) and the CHANGE_NOTIFY request (MS-SMB2 2.2.35).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "codec/messages.hpp"

namespace smbsrv::codec {
namespace {

using Buf = std::vector<std::uint8_t>;

std::uint32_t u32(const Buf& b, std::size_t at) {
  return static_cast<std::uint32_t>(b.at(at) | b.at(at + 1) << 8 | b.at(at + 2) << 16 | b.at(at + 3) << 24);
}

Buf encode(const std::vector<NotifyEntry>& e) {
  Buf b;
  ByteWriter w(b);
  encode_notify_information(w, e);
  return b;
}

TEST(NotifyInformation, LayoutOfAChain) {
  const std::vector<NotifyEntry> e = {{kActionRenamedOld, "a"}, {kActionRenamedNew, "dir\\bc"}};
  const Buf b = encode(e);
  // First entry: 12 + 2 bytes of name, padded to 16.
  EXPECT_EQ(u32(b, 0), 16u);
  EXPECT_EQ(u32(b, 4), kActionRenamedOld);
  EXPECT_EQ(u32(b, 8), 2u);
  EXPECT_EQ(b.at(12), 'a');
  EXPECT_EQ(b.at(13), 0);
  EXPECT_EQ(b.at(14), 0);  // padding
  // Second (last) entry: NextEntryOffset 0, not padded.
  EXPECT_EQ(u32(b, 16), 0u);
  EXPECT_EQ(u32(b, 20), kActionRenamedNew);
  EXPECT_EQ(u32(b, 24), 12u);
  EXPECT_EQ(b.at(28 + 6), '\\');
  EXPECT_EQ(b.size(), 16u + 12u + 12u);
  EXPECT_EQ(notify_information_size(e), b.size());
}

TEST(NotifyInformation, RoundTripsAndSizeMatchesForNonAscii) {
  const std::vector<NotifyEntry> e = {{kActionAdded, "\xC3\xA9t\xC3\xA9"},  // été: 3 UTF-16 units
                                      {kActionRemoved, "x"},
                                      {kActionModified, "sub\\\xF0\x9F\x98\x80.txt"}};  // a surrogate pair
  const Buf b = encode(e);
  EXPECT_EQ(notify_information_size(e), b.size());
  auto d = decode_notify_information(b);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, e);
  EXPECT_EQ(notify_information_size({}), 0u);
  EXPECT_TRUE(encode({}).empty());
}

TEST(NotifyInformation, EveryTruncationIsRejected) {
  const Buf b = encode({{kActionAdded, "first"}, {kActionRemoved, "second"}});
  for (std::size_t n = 0; n < b.size(); ++n) {
    auto d = decode_notify_information(Bytes(b.data(), n));
    EXPECT_FALSE(d.ok()) << n;
  }
}

TEST(NotifyInformation, BadOffsetsAndLengthsAreRejected) {
  Buf b = encode({{kActionAdded, "ab"}, {kActionRemoved, "c"}});
  Buf bad = b;
  bad[0] = 2;  // NextEntryOffset not 4-aligned
  EXPECT_FALSE(decode_notify_information(bad).ok());
  bad = b;
  bad[0] = 8;  // inside the first entry's name
  EXPECT_FALSE(decode_notify_information(bad).ok());
  bad = b;
  bad[0] = 0xF0;  // past the end
  EXPECT_FALSE(decode_notify_information(bad).ok());
  bad = b;
  bad[8] = 3;  // odd FileNameLength
  EXPECT_FALSE(decode_notify_information(bad).ok());
  bad = b;
  bad[11] = 0x80;  // FileNameLength far beyond the buffer
  EXPECT_FALSE(decode_notify_information(bad).ok());
}

TEST(ChangeNotifyRequest, EveryTruncationIsRejected) {
  Buf m(kHeaderSize, 0);
  ByteWriter w(m);
  w.u16(32);
  w.u16(kWatchTree);
  w.u32(4096);
  w.u64(7);
  w.u64(9);
  w.u32(kNotifyFileName | kNotifyDirName);
  w.u32(0);
  auto r = decode_change_notify_request(m);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->flags, kWatchTree);
  EXPECT_EQ(r->output_buffer_length, 4096u);
  EXPECT_EQ(r->completion_filter, kNotifyFileName | kNotifyDirName);
  for (std::size_t n = 0; n < m.size(); ++n) EXPECT_FALSE(decode_change_notify_request(Bytes(m.data(), n)).ok()) << n;
}

}  // namespace
}  // namespace smbsrv::codec
