// The private protocol between the sandbox library (the parent) and its init
// program (crucible-sandbox-init, PID 1 of each run's namespaces).
//
// The parent serialises an InitSpec into a memfd that the init reads from
// kSpecFd; the init answers with fixed-size InitReport records on kReportFd (a
// pipe; each record is smaller than PIPE_BUF, so writes are atomic). Both sides
// are built from the same source in the same build, so the format carries a
// magic number but no version negotiation.
//
// Depends on the C++ standard library only: the init program is linked
// statically and must not pull in the rest of crucible.
#ifndef CRUCIBLE_SANDBOX_WIRE_H_
#define CRUCIBLE_SANDBOX_WIRE_H_

#include <climits>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crucible::sandbox_wire {

// Descriptor numbers in the init program, set up by the launcher.
inline constexpr int kSpecFd = 3;     // memfd holding the encoded InitSpec
inline constexpr int kReportFd = 4;   // pipe to the parent: InitReport records
inline constexpr int kControlFd = 5;  // pipe from the parent: data or EOF = tear down
inline constexpr int kStdoutFd = 6;   // the command's stdout pipe
inline constexpr int kStderrFd = 7;   // the command's stderr pipe
// Descriptors handed to the command itself (SandboxRequest::inherit_fds), at
// kPassFdBase, kPassFdBase + 1, ...; the init closes its copies once the
// command has started.
inline constexpr int kPassFdBase = 8;
inline constexpr int kMaxPassFds = 2;
inline constexpr int kFirstFreeFd = kPassFdBase + kMaxPassFds;

struct RlimitSetting {
  int resource = 0;
  uint64_t soft = 0;
  uint64_t hard = 0;
};

struct InitSpec {
  // Namespaces the launcher created for the init (the init adapts its setup).
  bool pid_namespace = false;
  bool mount_namespace = false;
  bool network_namespace = false;
  // Build the read-only view of the filesystem (requires mount_namespace).
  bool filesystem_isolation = false;
  // With filesystem_isolation: the root is an empty tmpfs holding only
  // system_paths, readonly_paths and writable_paths (bind mounts), /tmp,
  // /dev, /proc and /run; nothing else of the host is visible.
  bool hide_host = false;
  // How many descriptors sit at kPassFdBase.. for the command.
  uint64_t pass_fds = 0;
  // Drop every capability and set no_new_privs before exec.
  bool drop_privileges = true;
  // Set up the sandbox, report kProbeOk and exit without running anything.
  bool probe_only = false;
  // cgroup.procs files the init joins (writes "0" to) before anything else.
  std::vector<std::string> cgroup_procs_files;
  std::string exec_path;
  std::vector<std::string> argv;
  std::vector<std::string> envp;  // "NAME=value"
  std::string working_dir;
  std::vector<std::string> writable_paths;  // bind-mounted read-write (scratch first)
  std::vector<std::string> readonly_paths;  // bind-mounted read-only on top
  std::vector<std::string> system_paths;    // hide_host: read-only, symlinks copied as links
  uint64_t tmpfs_bytes = 0;                 // size of the private /tmp and /dev/shm
  // With filesystem_isolation and > 0: the working dir is a private tmpfs of
  // this size (SandboxRequest::scratch_bytes); after the command ends the
  // init copies the plain files named in scratch_copy_out to the host's
  // working dir (each up to kScratchCopyOutCap bytes).
  uint64_t scratch_bytes = 0;
  std::vector<std::string> scratch_copy_out;
  std::vector<RlimitSetting> rlimits;
};

std::string EncodeSpec(const InitSpec& spec);
std::optional<InitSpec> DecodeSpec(std::string_view bytes);

enum class ReportKind : uint32_t {
  kSetupFailed = 1,    // the sandbox could not be built; message says which step
  kExecFailed = 2,     // the command could not be executed (error_number)
  kStarted = 3,        // the command is running; pid is its pid in the init's view
  kCommandExited = 4,  // the command ended: wait_status and its rusage
  kProbeOk = 5,        // probe_only run: every setup step succeeded
};

// The private scratch tmpfs had (almost) no space or no inode left when the
// command ended.
inline constexpr uint32_t kReportScratchFull = 1;
inline constexpr uint64_t kScratchCopyOutCap = 16 << 20;

inline constexpr uint32_t kReportMagic = 0x43525342;  // "CRSB"

struct InitReport {
  uint32_t magic = kReportMagic;
  ReportKind kind = ReportKind::kSetupFailed;
  int32_t error_number = 0;
  int32_t wait_status = 0;
  int32_t pid = 0;
  uint32_t flags = 0;  // kCommandExited: kReportScratchFull
  int64_t user_usec = 0;
  int64_t system_usec = 0;
  int64_t max_rss_kib = 0;
  char message[200] = {};
};
static_assert(sizeof(InitReport) <= PIPE_BUF, "reports must be written atomically");

// Fills `report.message` with `text` (truncated, NUL-terminated).
void SetReportMessage(InitReport& report, std::string_view text);

}  // namespace crucible::sandbox_wire

#endif  // CRUCIBLE_SANDBOX_WIRE_H_
