#include "core/file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace crucible {
namespace {

namespace fs = std::filesystem;

class FileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("crucible-file-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(FileTest, WritesAndReadsBack) {
  const std::string text("a\0b\nc", 5);
  ASSERT_TRUE(WriteFile(dir_ / "f", text).ok());
  StatusOr<std::string> back = ReadFile(dir_ / "f");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, text);
  ASSERT_TRUE(WriteFile(dir_ / "f", "shorter").ok());
  EXPECT_EQ(*ReadFile(dir_ / "f"), "shorter");
}

TEST_F(FileTest, AMissingFileIsNotFoundAndNamed) {
  StatusOr<std::string> r = ReadFile(dir_ / "missing");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("missing"), std::string::npos);
}

TEST_F(FileTest, ADirectoryIsNotReadAsEmpty) {
  StatusOr<std::string> r = ReadFile(dir_);
  EXPECT_FALSE(r.ok());
}

TEST_F(FileTest, ReadingStopsAtTheLimit) {
  ASSERT_TRUE(WriteFile(dir_ / "f", std::string(100, 'x')).ok());
  EXPECT_TRUE(ReadFile(dir_ / "f", 100).ok());
  StatusOr<std::string> over = ReadFile(dir_ / "f", 99);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), StatusCode::kResourceExhausted);
  // An endless file ends at the limit instead of filling memory.
  StatusOr<std::string> zero = ReadFile("/dev/zero", 1 << 20);
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.status().code(), StatusCode::kResourceExhausted);
}

TEST_F(FileTest, AWriteThatCannotHappenSaysWhy) {
  Status s = WriteFile(dir_ / "no-such-dir" / "f", "x");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("No such file or directory"), std::string::npos) << s.ToString();
  Status full = WriteFile("/dev/full", "x");
  ASSERT_FALSE(full.ok());
  EXPECT_NE(full.message().find("No space left"), std::string::npos) << full.ToString();
}

TEST_F(FileTest, AnAtomicWriteLeavesNoTemporaryFile) {
  ASSERT_TRUE(WriteFileAtomic(dir_ / "f", "one").ok());
  ASSERT_TRUE(WriteFileAtomic(dir_ / "f", "two").ok());
  EXPECT_EQ(*ReadFile(dir_ / "f"), "two");
  size_t entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir_)) ++entries;
  EXPECT_EQ(entries, 1u);
  EXPECT_FALSE(WriteFileAtomic(dir_ / "no-such-dir" / "f", "x").ok());
}

}  // namespace
}  // namespace crucible
