#include "sandbox/wire.h"

#include <string>

#include <gtest/gtest.h>

namespace crucible {
namespace {

TEST(SandboxWireTest, SpecRoundTrips) {
  sandbox_wire::InitSpec spec;
  spec.pid_namespace = true;
  spec.filesystem_isolation = true;
  spec.exec_path = "/bin/sh";
  spec.argv = {"sh", "-c", std::string("with\0nul", 8)};
  spec.envp = {"A=1"};
  spec.working_dir = "/tmp/x";
  spec.writable_paths = {"/tmp/x", "/cache"};
  spec.rlimits = {{1, 2, 3}};
  spec.scratch_bytes = 1 << 20;
  spec.scratch_copy_out = {"result.json"};
  std::string bytes = sandbox_wire::EncodeSpec(spec);
  auto decoded = sandbox_wire::DecodeSpec(bytes);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_TRUE(decoded->pid_namespace);
  EXPECT_FALSE(decoded->network_namespace);
  EXPECT_EQ(decoded->argv, spec.argv);
  EXPECT_EQ(decoded->writable_paths, spec.writable_paths);
  ASSERT_EQ(decoded->rlimits.size(), 1u);
  EXPECT_EQ(decoded->rlimits[0].hard, 3u);
  EXPECT_EQ(decoded->scratch_bytes, 1u << 20);
  EXPECT_EQ(decoded->scratch_copy_out, spec.scratch_copy_out);
  EXPECT_FALSE(sandbox_wire::DecodeSpec(bytes.substr(0, bytes.size() - 1)).has_value());
  EXPECT_FALSE(sandbox_wire::DecodeSpec("garbage").has_value());
}

}  // namespace
}  // namespace crucible
