#include "sandbox/command.h"

#include <stdlib.h>

#include <algorithm>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace crucible {
namespace {

using ::testing::Contains;
using ::testing::Not;

TEST(SandboxCommandTest, EnvironmentKeepsOnlyAllowedAndExtra) {
  setenv("CRUCIBLE_TEST_ALLOWED", "yes", 1);
  setenv("CRUCIBLE_TEST_SECRET", "no", 1);
  std::vector<std::string> env =
      BuildEnvironment({"CRUCIBLE_TEST_ALLOWED"}, {{"CRUCIBLE_STAGE", "full"}}, false);
  EXPECT_THAT(env, Contains("CRUCIBLE_TEST_ALLOWED=yes"));
  EXPECT_THAT(env, Contains("CRUCIBLE_STAGE=full"));
  EXPECT_THAT(env, Not(Contains("CRUCIBLE_TEST_SECRET=no")));
  unsetenv("CRUCIBLE_TEST_ALLOWED");
  unsetenv("CRUCIBLE_TEST_SECRET");
}

TEST(SandboxCommandTest, ExtraVariablesWinAndTmpdirFollowsIsolation) {
  setenv("TMPDIR", "/somewhere", 1);
  EXPECT_THAT(BuildEnvironment({"TMPDIR"}, {}, true), Contains("TMPDIR=/tmp"));
  EXPECT_THAT(BuildEnvironment({"TMPDIR"}, {}, false), Contains("TMPDIR=/somewhere"));
  EXPECT_THAT(BuildEnvironment({"TMPDIR"}, {{"TMPDIR", "/x"}}, true), Contains("TMPDIR=/x"));
  unsetenv("TMPDIR");
}

TEST(SandboxCommandTest, ResolvesThroughPath) {
  StatusOr<std::string> sh = ResolveExecutable("sh", "/", "/nonexistent:/bin");
  ASSERT_TRUE(sh.ok());
  EXPECT_EQ(*sh, "/bin/sh");
  EXPECT_EQ(ResolveExecutable("sh", "/", "/nonexistent").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ResolveExecutable("/bin/sh", "/", "").value(), "/bin/sh");
  EXPECT_EQ(ResolveExecutable("bin/sh", "/", "").value(), "//bin/sh");
  EXPECT_EQ(ResolveExecutable("", "/", "").status().code(), StatusCode::kInvalidArgument);
}

TEST(SandboxCommandTest, RefusesTheRootAsWritable) {
  SandboxRequest request;
  request.argv = {"/bin/true"};
  request.working_dir = "/";
  auto spec = BuildInitSpec(SandboxOptions(), SandboxCapabilities(), request);
  EXPECT_EQ(spec.status().code(), StatusCode::kInvalidArgument);
  request.working_dir = "/tmp";
  request.writable_paths = {"/tmp/../"};
  spec = BuildInitSpec(SandboxOptions(), SandboxCapabilities(), request);
  EXPECT_EQ(spec.status().code(), StatusCode::kInvalidArgument);
  request.writable_paths.clear();
  spec = BuildInitSpec(SandboxOptions(), SandboxCapabilities(), request);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->writable_paths, std::vector<std::string>{"/tmp"});
  EXPECT_EQ(spec->exec_path, "/bin/true");
}

}  // namespace
}  // namespace crucible
