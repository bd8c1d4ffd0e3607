// split_stream_name: the name forms MS-FSCC 2.1.5 allows and the ones it refuses.
#include "engine/stream_name.hpp"

#include <gtest/gtest.h>

namespace smbsrv::engine {
namespace {

using Kind = StreamName::Kind;

TEST(StreamName, PlainNameHasNoStream) {
  auto s = split_stream_name("dir\\file.txt");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->kind, Kind::none);
  EXPECT_EQ(s->file, "dir\\file.txt");
}

TEST(StreamName, NamedStreamWithAndWithoutType) {
  for (const char* n : {"f.txt:ads", "f.txt:ads:$DATA", "f.txt:ads:$data"}) {
    auto s = split_stream_name(n);
    ASSERT_TRUE(s) << n;
    EXPECT_EQ(s->kind, Kind::named) << n;
    EXPECT_EQ(s->file, "f.txt");
    EXPECT_EQ(s->stream, "ads");
  }
}

TEST(StreamName, DefaultStreamAndDirectoryIndex) {
  auto d = split_stream_name("f::$DATA");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->kind, Kind::default_data);
  EXPECT_EQ(d->file, "f");
  auto i = split_stream_name("dir::$INDEX_ALLOCATION");
  ASSERT_TRUE(i);
  EXPECT_EQ(i->kind, Kind::index);
  auto root = split_stream_name(":ads");  // a stream of the share's root directory
  ASSERT_TRUE(root);
  EXPECT_EQ(root->file, "");
  EXPECT_EQ(root->stream, "ads");
}

TEST(StreamName, StreamNamesMayHoldWhatFileNamesMayNot) {
  auto s = split_stream_name("f:a*b?<c>|\"");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->stream, "a*b?<c>|\"");
}

TEST(StreamName, BadFormsAreInvalidNames) {
  for (const char* n : {"f:", "f::", "f:ads:", "f:ads:$BOGUS", "f:ads:$DATA:x", "f:a:b:c", "f:ads:$INDEX_ALLOCATION",
                        "f:a\\b", "f:a/b", "f::$DATAX"}) {
    auto s = split_stream_name(n);
    ASSERT_FALSE(s) << n;
    EXPECT_EQ(s.status(), NtStatus::object_name_invalid) << n;
  }
  EXPECT_FALSE(split_stream_name(std::string("f:a\0b", 5)));
  EXPECT_TRUE(split_stream_name("f:" + std::string(kMaxStreamNameChars, 'x')));
  EXPECT_FALSE(split_stream_name("f:" + std::string(kMaxStreamNameChars + 1, 'x')));
  // Characters, not bytes: 255 two-byte characters are allowed.
  std::string wide;
  for (std::size_t i = 0; i < kMaxStreamNameChars; ++i) wide += "\xC3\xA9";
  EXPECT_TRUE(split_stream_name("f:" + wide));
}

}  // namespace
}  // namespace smbsrv::engine
