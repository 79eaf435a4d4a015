#include "process/output_capture.h"

#include <string>

#include <gtest/gtest.h>

namespace crucible {
namespace {

TEST(SandboxCaptureTest, KeepsEverythingUnderTheCap) {
  OutputCapture capture(4, 4);
  capture.Append("abc");
  capture.Append("defgh");
  EXPECT_FALSE(capture.truncated());
  EXPECT_EQ(capture.Text(), "abcdefgh");
  EXPECT_EQ(capture.total_bytes(), 8u);
}

TEST(SandboxCaptureTest, KeepsHeadAndTailAndMarksTheGap) {
  OutputCapture capture(3, 4);
  for (char c = 'a'; c <= 'z'; ++c) capture.Append(std::string(1, c));
  EXPECT_TRUE(capture.truncated());
  EXPECT_EQ(capture.Text(), "abc\n[crucible: 19 bytes omitted]\nwxyz");
}

TEST(SandboxCaptureTest, LargeChunksKeepOnlyTheirEnd) {
  OutputCapture capture(2, 3);
  capture.Append("0123456789");
  capture.Append("abcdefgh");
  EXPECT_EQ(capture.Text(), "01\n[crucible: 13 bytes omitted]\nfgh");
}

TEST(SandboxCaptureTest, TailOnly) {
  OutputCapture capture(0, 5);
  capture.Append("hello ");
  capture.Append("world");
  EXPECT_EQ(capture.Text(), "\n[crucible: 6 bytes omitted]\nworld");
}

TEST(SandboxCaptureTest, WrapsAroundManyTimes) {
  OutputCapture capture(0, 7);
  std::string all;
  for (int i = 0; i < 1000; ++i) {
    std::string piece = std::to_string(i) + ",";
    all += piece;
    capture.Append(piece);
  }
  std::string text = capture.Text();
  EXPECT_EQ(text.substr(text.size() - 7), all.substr(all.size() - 7));
}

}  // namespace
}  // namespace crucible
