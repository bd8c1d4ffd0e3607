// SMB1 multi-protocol NEGOTIATE (MS-SMB2 3.3.5.3; MS-CIFS 2.2.3.1, 2.2.4.52.1), bytes built by
// hand as smbclient and Windows send them.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "codec/messages.hpp"
#include "support/pdu_builder.hpp"

namespace smbsrv::codec {
namespace {

constexpr std::size_t kByteCountAt = 33;  // after the 32-byte header and WordCount 0

struct Smb1 {
  std::vector<std::uint8_t> b;
  /// Offset of the end of each dialect string (just after its NUL) in `b`.
  std::vector<std::size_t> ends;
};

// An SMB1 header as clients send it before any session: Command 0x72, Flags 0x18
// (CASE_INSENSITIVE | CANONICALIZED_PATHS), Flags2 0xC843 (UNICODE, NT_STATUS,
// EXTENDED_SECURITY, LONG_NAMES...), TID 0, PIDLow 0xFEFF, UID 0, MID 0; then WordCount 0,
// ByteCount and the dialect strings.
Smb1 smb1_negotiate(const std::vector<std::string>& dialects, std::uint8_t command = 0x72) {
  Smb1 m;
  auto& b = m.b;
  b = {0xFF, 'S', 'M', 'B', command};
  b.insert(b.end(), 4, 0);           // Status
  b.push_back(0x18);                 // Flags
  b.push_back(0x43);                 // Flags2
  b.push_back(0xC8);
  b.insert(b.end(), 2, 0);           // PIDHigh
  b.insert(b.end(), 8, 0);           // SecurityFeatures
  b.insert(b.end(), 2, 0);           // Reserved
  b.insert(b.end(), 2, 0);           // TID
  b.push_back(0xFF);                 // PIDLow
  b.push_back(0xFE);
  b.insert(b.end(), 2, 0);           // UID
  b.insert(b.end(), 2, 0);           // MID
  EXPECT_EQ(b.size(), 32u);
  b.push_back(0);                    // WordCount
  b.insert(b.end(), 2, 0);           // ByteCount, patched
  for (const auto& d : dialects) {
    b.push_back(0x02);
    b.insert(b.end(), d.begin(), d.end());
    b.push_back(0);
    m.ends.push_back(b.size());
  }
  const std::size_t count = b.size() - (kByteCountAt + 2);
  b[kByteCountAt] = static_cast<std::uint8_t>(count);
  b[kByteCountAt + 1] = static_cast<std::uint8_t>(count >> 8);
  return m;
}

void set_byte_count(std::vector<std::uint8_t>& b, std::uint16_t v) {
  b[kByteCountAt] = static_cast<std::uint8_t>(v);
  b[kByteCountAt + 1] = static_cast<std::uint8_t>(v >> 8);
}

// The dialects Samba's client (smbclient allowed to use SMB1) offers, in its order.
const std::vector<std::string> kSmbclient = {
    "PC NETWORK PROGRAM 1.0", "MICROSOFT NETWORKS 1.03", "MICROSOFT NETWORKS 3.0", "LANMAN1.0",
    "LM1.2X002", "DOS LANMAN2.1", "LANMAN2.1", "Samba", "NT LANMAN 1.0", "NT LM 0.12",
    "SMB 2.002", "SMB 2.???"};

TEST(Smb1Negotiate, SmbclientDialectList) {
  const Smb1 m = smb1_negotiate(kSmbclient);
  EXPECT_EQ(m.b.size(), 35u + 177u);
  EXPECT_EQ(test::rd16(m.b, kByteCountAt), 177u);
  auto r = decode_smb1_negotiate(m.b);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->smb2_002);
  EXPECT_TRUE(r->smb2_wildcard);
}

TEST(Smb1Negotiate, WhichSmb2DialectsAreOffered) {
  auto only_202 = decode_smb1_negotiate(smb1_negotiate({"NT LM 0.12", "SMB 2.002"}).b);
  ASSERT_TRUE(only_202.ok());
  EXPECT_TRUE(only_202->smb2_002);
  EXPECT_FALSE(only_202->smb2_wildcard);
  auto only_wild = decode_smb1_negotiate(smb1_negotiate({"SMB 2.???"}).b);
  ASSERT_TRUE(only_wild.ok());
  EXPECT_FALSE(only_wild->smb2_002);
  EXPECT_TRUE(only_wild->smb2_wildcard);
  // SMB1 only, near misses and an empty name: valid, no SMB2 dialect.
  auto smb1_only = decode_smb1_negotiate(
      smb1_negotiate({"NT LM 0.12", "SMB 2.00", "SMB 2.0020", "smb 2.002", "SMB 2.??", ""}).b);
  ASSERT_TRUE(smb1_only.ok());
  EXPECT_FALSE(smb1_only->smb2_002);
  EXPECT_FALSE(smb1_only->smb2_wildcard);
  // No dialect at all (ByteCount 0): valid, nothing offered; the smallest message, 35 bytes.
  const Smb1 none = smb1_negotiate({});
  ASSERT_EQ(none.b.size(), 35u);
  auto r = decode_smb1_negotiate(none.b);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->smb2_002);
  EXPECT_FALSE(r->smb2_wildcard);
}

TEST(Smb1Negotiate, EveryTruncation) {
  // A prefix shorter than 35 bytes fails; a longer one is read with ByteCount clamped, so it is
  // valid exactly when it ends just after a dialect's NUL (or before the first dialect), and then
  // offers what it holds whole.
  const Smb1 m = smb1_negotiate({"NT LM 0.12", "SMB 2.002", "SMB 2.???"});
  for (std::size_t n = 0; n < m.b.size(); ++n) {
    const std::vector<std::uint8_t> prefix(m.b.begin(), m.b.begin() + static_cast<std::ptrdiff_t>(n));
    auto r = decode_smb1_negotiate(prefix);
    const bool boundary = n == 35 || std::find(m.ends.begin(), m.ends.end(), n) != m.ends.end();
    if (!boundary) {
      ASSERT_FALSE(r.ok()) << n;
      ASSERT_EQ(r.status(), NtStatus::invalid_parameter) << n;
      continue;
    }
    ASSERT_TRUE(r.ok()) << n;
    EXPECT_EQ(r->smb2_002, n >= m.ends[1]) << n;
    EXPECT_FALSE(r->smb2_wildcard) << n;  // the last one is whole only in the full message
  }
}

TEST(Smb1Negotiate, MissingNul) {
  // The last string runs to the end of the frame: invalid, even though its bytes spell a dialect
  // (the engine's former parser accepted it).
  Smb1 m = smb1_negotiate({"NT LM 0.12", "SMB 2.002"});
  m.b.pop_back();
  set_byte_count(m.b, static_cast<std::uint16_t>(m.b.size() - 35));
  test::expect_invalid(decode_smb1_negotiate(m.b));
  // The same with ByteCount still counting the NUL that is not there (clamped).
  set_byte_count(m.b, static_cast<std::uint16_t>(m.b.size() - 35 + 1));
  test::expect_invalid(decode_smb1_negotiate(m.b));
  // ByteCount ends inside a string: the NUL lies outside the data.
  Smb1 c = smb1_negotiate({"SMB 2.002", "SMB 2.???"});
  set_byte_count(c.b, static_cast<std::uint16_t>(c.ends[0] - 35 - 1));
  test::expect_invalid(decode_smb1_negotiate(c.b));
  // ... or just after the first string: the second is not looked at.
  set_byte_count(c.b, static_cast<std::uint16_t>(c.ends[0] - 35));
  auto r = decode_smb1_negotiate(c.b);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->smb2_002);
  EXPECT_FALSE(r->smb2_wildcard);
  // A BufferFormat byte alone at the end.
  Smb1 f = smb1_negotiate({"SMB 2.002"});
  f.b.push_back(0x02);
  set_byte_count(f.b, static_cast<std::uint16_t>(f.b.size() - 35));
  test::expect_invalid(decode_smb1_negotiate(f.b));
}

TEST(Smb1Negotiate, WrongValues) {
  const Smb1 good = smb1_negotiate(kSmbclient);
  test::expect_invalid(decode_smb1_negotiate(smb1_negotiate(kSmbclient, 0x73).b));  // SESSION_SETUP_ANDX
  test::expect_invalid(decode_smb1_negotiate(smb1_negotiate(kSmbclient, 0x00).b));
  for (std::size_t i = 0; i < 4; ++i) {
    auto bad = good.b;
    bad[i] = static_cast<std::uint8_t>(bad[i] ^ 0x01);
    test::expect_invalid(decode_smb1_negotiate(bad));
  }
  auto smb2 = good.b;
  smb2[0] = 0xFE;  // an SMB2 ProtocolId is not an SMB1 message
  test::expect_invalid(decode_smb1_negotiate(smb2));
}

TEST(Smb1Negotiate, StopsAtTheFirstStringWithoutBufferFormat) {
  Smb1 m = smb1_negotiate({"SMB 2.002", "SMB 2.???"});
  m.b[m.ends[0]] = 0x03;  // the second string's BufferFormat
  auto r = decode_smb1_negotiate(m.b);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->smb2_002);
  EXPECT_FALSE(r->smb2_wildcard);
  // What follows is not read at all: no NUL is needed there.
  Smb1 g = smb1_negotiate({"SMB 2.???"});
  const std::uint8_t junk[] = {0x00, 'S', 'M', 'B'};
  g.b.insert(g.b.end(), std::begin(junk), std::end(junk));
  set_byte_count(g.b, static_cast<std::uint16_t>(g.b.size() - 35));
  auto r2 = decode_smb1_negotiate(g.b);
  ASSERT_TRUE(r2.ok());
  EXPECT_TRUE(r2->smb2_wildcard);
  // A first string without 0x02: nothing offered.
  Smb1 h = smb1_negotiate({"SMB 2.002"});
  h.b[35] = 0x00;
  auto r3 = decode_smb1_negotiate(h.b);
  ASSERT_TRUE(r3.ok());
  EXPECT_FALSE(r3->smb2_002);
}

TEST(Smb1Negotiate, ByteCountAndWordCount) {
  // ByteCount past the end is clamped to the frame.
  Smb1 m = smb1_negotiate({"SMB 2.002", "SMB 2.???"});
  set_byte_count(m.b, 0xFFFF);
  auto r = decode_smb1_negotiate(m.b);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->smb2_002);
  EXPECT_TRUE(r->smb2_wildcard);
  // Bytes after ByteCount's data are ignored.
  Smb1 t = smb1_negotiate({"SMB 2.002"});
  t.b.push_back(0x02);
  t.b.push_back('x');
  auto r2 = decode_smb1_negotiate(t.b);
  ASSERT_TRUE(r2.ok());
  EXPECT_TRUE(r2->smb2_002);
  // Parameter words (WordCount MUST be 0, but any words present are skipped).
  Smb1 w = smb1_negotiate({"SMB 2.???"});
  w.b[32] = 2;
  const std::uint8_t words[] = {1, 2, 3, 4};
  w.b.insert(w.b.begin() + 33, std::begin(words), std::end(words));
  auto r3 = decode_smb1_negotiate(w.b);
  ASSERT_TRUE(r3.ok());
  EXPECT_TRUE(r3->smb2_wildcard);
  // Words that run past the frame, or no room left for ByteCount.
  Smb1 big = smb1_negotiate({"SMB 2.002"});
  big.b[32] = 0xFF;
  test::expect_invalid(decode_smb1_negotiate(big.b));
  Smb1 edge = smb1_negotiate({});
  edge.b[32] = 1;  // one word = the two ByteCount bytes; ByteCount is then missing
  test::expect_invalid(decode_smb1_negotiate(edge.b));
}

}  // namespace
}  // namespace smbsrv::codec
