// engine::SmallList (FrameList, WorkList): the containers of engine::Output (first element inline).
#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <vector>

#include "engine/output.hpp"

namespace smbsrv::engine {
namespace {

using Frame = std::vector<std::uint8_t>;

TEST(FrameListTest, BehavesLikeAVectorOfFrames) {
  FrameList l;
  EXPECT_TRUE(l.empty());
  EXPECT_EQ(l.begin(), l.end());
  l.push_back(Frame{1, 2});
  l.push_back(Frame{3});
  l.push_back(Frame{4, 5, 6});
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[0], (Frame{1, 2}));
  EXPECT_EQ(l[1], (Frame{3}));
  EXPECT_EQ(l[2], (Frame{4, 5, 6}));
  EXPECT_EQ(l.front(), (Frame{1, 2}));
  EXPECT_EQ(std::distance(l.begin(), l.end()), 3);

  // Standard algorithms and range insertion (tests and fuzzers copy frames out this way).
  std::vector<Frame> copy;
  copy.insert(copy.end(), l.begin(), l.end());
  EXPECT_EQ(copy, (std::vector<Frame>{{1, 2}, {3}, {4, 5, 6}}));
  const FrameList& cl = l;
  EXPECT_EQ(std::count_if(cl.begin(), cl.end(), [](const Frame& f) { return f.size() == 1; }), 1);

  for (auto& f : l) f.push_back(9);
  EXPECT_EQ(l[2], (Frame{4, 5, 6, 9}));

  l.clear();
  EXPECT_TRUE(l.empty());
  l.push_back(Frame{7});
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0], (Frame{7}));
}


}  // namespace
}  // namespace smbsrv::engine
