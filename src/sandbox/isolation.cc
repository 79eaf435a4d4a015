#include "sandbox/isolation.h"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <string_view>

#include "process/unique_fd.h"

// The new mount API (Linux >= 5.2; mount_setattr >= 5.12) through raw
// syscalls, so the code does not depend on the C library's wrappers.
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV 0x00000004
#endif
#ifndef SECBIT_NOROOT
#define SECBIT_NOROOT (1 << 0)
#define SECBIT_NOROOT_LOCKED (1 << 1)
#define SECBIT_NO_SETUID_FIXUP (1 << 2)
#define SECBIT_NO_SETUID_FIXUP_LOCKED (1 << 3)
#define SECBIT_KEEP_CAPS_LOCKED (1 << 5)
#define SECBIT_NO_CAP_AMBIENT_RAISE (1 << 6)
#define SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED (1 << 7)
#endif

namespace crucible::sandbox_init {
namespace {

struct MountAttr {  // struct mount_attr
  uint64_t attr_set;
  uint64_t attr_clr;
  uint64_t propagation;
  uint64_t userns_fd;
};

int OpenTree(const char* path, unsigned flags) {
  return static_cast<int>(syscall(SYS_open_tree, AT_FDCWD, path, flags));
}
int MoveMountFromFd(int fd, const char* to) {
  return static_cast<int>(
      syscall(SYS_move_mount, fd, "", AT_FDCWD, to, MOVE_MOUNT_F_EMPTY_PATH));
}
int MountSetAttr(int dfd, const char* path, unsigned flags, uint64_t set) {
  MountAttr attr{set, 0, 0, 0};
  return static_cast<int>(syscall(SYS_mount_setattr, dfd, path, flags, &attr, sizeof(attr)));
}

Failure Fail(std::string step) { return Failure{std::move(step), errno}; }

// A mount cloned before the root is covered, attached again at `path` later.
struct DetachedTree {
  UniqueFd fd;
  std::string path;
  bool is_dir = true;
};

std::optional<Failure> CloneTree(const std::string& path, bool read_only,
                                 std::vector<DetachedTree>& out) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return Fail("stat " + path);
  UniqueFd fd(OpenTree(path.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
  if (!fd.valid()) return Fail("open_tree " + path);
  uint64_t attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (read_only ? MOUNT_ATTR_RDONLY : 0);
  if (MountSetAttr(fd.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, attrs) != 0) {
    return Fail("mount_setattr " + path);
  }
  out.push_back(DetachedTree{std::move(fd), path, S_ISDIR(st.st_mode)});
  return std::nullopt;
}

// Creates the directories leading to `path` and `path` itself (a directory or
// an empty file) where they are missing. Succeeds only on writable ground,
// which is the point: mount points can be created in the private tmpfs only.
std::optional<Failure> EnsureMountPoint(const std::string& path, bool is_dir) {
  struct stat st;
  if (stat(path.c_str(), &st) == 0) return std::nullopt;
  for (size_t slash = path.find('/', 1); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    std::string dir = path.substr(0, slash);
    if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return Fail("mkdir " + dir);
  }
  if (is_dir) {
    if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) return Fail("mkdir " + path);
    return std::nullopt;
  }
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  if (!fd.valid()) return Fail("create " + path);
  return std::nullopt;
}

std::optional<Failure> AttachTree(DetachedTree& tree) {
  if (auto f = EnsureMountPoint(tree.path, tree.is_dir)) return f;
  if (MoveMountFromFd(tree.fd.get(), tree.path.c_str()) != 0) {
    return Fail("move_mount " + tree.path);
  }
  return std::nullopt;
}

std::optional<Failure> MountTmpfs(const char* path, uint64_t bytes, unsigned long flags) {
  std::string options = "mode=1777";
  if (bytes > 0) options += ",size=" + std::to_string(bytes);
  if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | flags, options.c_str()) != 0) {
    return Fail(std::string("mount tmpfs on ") + path);
  }
  return std::nullopt;
}

constexpr const char* kDeviceNodes[] = {"null", "zero", "full", "random", "urandom", "tty"};

// Clones the harmless device nodes of the host's /dev, to re-attach them in
// the fresh /dev. A missing node is skipped (minimal containers lack /dev/tty).
void CloneDeviceNodes(std::vector<DetachedTree>& out) {
  for (const char* name : kDeviceNodes) {
    std::string path = std::string("/dev/") + name;
    UniqueFd fd(OpenTree(path.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
    if (fd.valid()) out.push_back(DetachedTree{std::move(fd), path, false});
  }
}

// A fresh /dev holding only the cloned nodes, the usual /proc/self links and a
// private /dev/shm; read-only afterwards so nothing new appears in it.
std::optional<Failure> BuildDev(std::vector<DetachedTree>& nodes, uint64_t shm_bytes) {
  if (mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=64k") != 0) {
    return Fail("mount tmpfs on /dev");
  }
  // The fresh /dev is empty: each node's mount point is created directly.
  for (DetachedTree& node : nodes) {
    UniqueFd point(open(node.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!point.valid()) return Fail("create " + node.path);
    if (MoveMountFromFd(node.fd.get(), node.path.c_str()) != 0) {
      return Fail("move_mount " + node.path);
    }
  }
  const std::pair<const char*, const char*> links[] = {{"/proc/self/fd", "/dev/fd"},
                                                       {"/proc/self/fd/0", "/dev/stdin"},
                                                       {"/proc/self/fd/1", "/dev/stdout"},
                                                       {"/proc/self/fd/2", "/dev/stderr"}};
  for (const auto& [target, link] : links) {
    if (symlink(target, link) != 0) return Fail(std::string("symlink ") + link);
  }
  if (mkdir("/dev/shm", 0755) != 0) return Fail("mkdir /dev/shm");
  if (auto f = MountTmpfs("/dev/shm", shm_bytes, 0)) return f;
  if (MountSetAttr(AT_FDCWD, "/dev", 0, MOUNT_ATTR_RDONLY) != 0) return Fail("read-only /dev");
  return std::nullopt;
}

// A /proc for the new PID namespace. Inside a user namespace the kernel
// refuses it when the host's /proc is partly covered; the host's (read-only)
// /proc then stays, which shows host processes but cannot signal them.
void MountProc(bool read_only) {
  unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC | (read_only ? MS_RDONLY : 0);
  (void)mount("proc", "/proc", "proc", flags, nullptr);
}

bool IsDirectory(const char* path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool IsSymlink(const char* path) {
  struct stat st;
  return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

// The paths the request names, writable and read-only, cloned.
std::optional<Failure> CloneRequestedTrees(const sandbox_wire::InitSpec& spec,
                                           std::vector<DetachedTree>& trees) {
  for (const std::string& path : spec.writable_paths) {
    if (auto f = CloneTree(path, /*read_only=*/false, trees)) return f;
  }
  for (const std::string& path : spec.readonly_paths) {
    if (auto f = CloneTree(path, /*read_only=*/true, trees)) return f;
  }
  return std::nullopt;
}

// The working dir as a private tmpfs of spec.scratch_bytes bytes, mounted on
// top of the host's directory (which `host_scratch` keeps open for the
// copy-out): what the command writes there is bounded in bytes and in files,
// counts against the memory cgroup, and vanishes with the mount namespace,
// so no candidate can fill the host's disk through its scratch directory.
std::optional<Failure> MountScratch(const sandbox_wire::InitSpec& spec, UniqueFd& host_scratch) {
  host_scratch.Reset(open(spec.working_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!host_scratch.valid()) return Fail("open " + spec.working_dir);
  // One inode per 16 KiB of quota: a candidate creating empty files runs out
  // of inodes as surely as one writing big files runs out of blocks.
  const uint64_t inodes = std::max<uint64_t>(1024, spec.scratch_bytes / (16 << 10));
  const std::string options = "mode=1777,size=" + std::to_string(spec.scratch_bytes) +
                              ",nr_inodes=" + std::to_string(inodes);
  if (mount("tmpfs", spec.working_dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) !=
      0) {
    return Fail("mount the scratch tmpfs on " + spec.working_dir);
  }
  return std::nullopt;
}

// Attaches the cloned trees, parents before children, so that a read-only
// path inside the scratch dir (or the reverse) ends up on top of its parent
// rather than hidden by it; the scratch tmpfs goes on right after the
// working dir, below anything nested in it.
std::optional<Failure> AttachTrees(const sandbox_wire::InitSpec& spec,
                                   std::vector<DetachedTree>& trees, UniqueFd& host_scratch) {
  std::stable_sort(trees.begin(), trees.end(), [](const DetachedTree& a, const DetachedTree& b) {
    return a.path.size() < b.path.size();
  });
  for (DetachedTree& tree : trees) {
    if (auto f = AttachTree(tree)) return f;
    if (spec.scratch_bytes > 0 && tree.path == spec.working_dir && !host_scratch.valid()) {
      if (auto f = MountScratch(spec, host_scratch)) return f;
    }
  }
  return std::nullopt;
}

std::optional<Failure> SetupFilesystem(const sandbox_wire::InitSpec& spec, UniqueFd& host_scratch) {
  // Everything that must stay reachable is cloned first: the private tmpfs
  // mounts below would otherwise hide paths under /tmp and /dev.
  std::vector<DetachedTree> trees;
  if (auto f = CloneRequestedTrees(spec, trees)) return f;
  std::vector<DetachedTree> device_nodes;
  CloneDeviceNodes(device_nodes);

  if (MountSetAttr(AT_FDCWD, "/", AT_RECURSIVE,
                   MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV) != 0) {
    return Fail("read-only /");
  }
  if (IsDirectory("/tmp")) {
    if (auto f = MountTmpfs("/tmp", spec.tmpfs_bytes, 0)) return f;
  }
  // /run holds the host daemons' sockets (docker, dbus, systemd): uid 0
  // could connect to them even on a read-only mount.
  for (const char* run_dir : {"/run", "/var/run"}) {
    if (IsDirectory(run_dir) && !IsSymlink(run_dir)) {
      if (auto f = MountTmpfs(run_dir, 1 << 20, MS_NOEXEC)) return f;
    }
  }
  if (auto f = BuildDev(device_nodes, spec.tmpfs_bytes)) return f;
  if (spec.pid_namespace) MountProc(/*read_only=*/true);
  if (auto f = AttachTrees(spec, trees, host_scratch)) return f;
  if (chdir("/") != 0) return Fail("chdir /");
  return std::nullopt;
}

// The host's symlink at `path` (e.g. /bin -> usr/bin on merged-/usr
// systems), recreated in the new root rather than bind-mounted.
struct HostLink {
  std::string path;
  std::string target;
};

// Collects the system paths: directories and files are cloned (read-only),
// symlinks remembered to be recreated; paths the host lacks are skipped.
std::optional<Failure> CloneSystemPaths(const std::vector<std::string>& paths,
                                        std::vector<DetachedTree>& trees,
                                        std::vector<HostLink>& links) {
  for (const std::string& path : paths) {
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) continue;
    if (S_ISLNK(st.st_mode)) {
      char target[PATH_MAX];
      ssize_t n = readlink(path.c_str(), target, sizeof(target) - 1);
      if (n <= 0) return Fail("readlink " + path);
      links.push_back(HostLink{path, std::string(target, static_cast<size_t>(n))});
      continue;
    }
    if (auto f = CloneTree(path, /*read_only=*/true, trees)) return f;
  }
  return std::nullopt;
}

// Moves the root to a fresh tmpfs mounted at `staging` and detaches the
// host's root, so that no path (and no "..") leads back to it.
std::optional<Failure> PivotInto(const char* staging) {
  if (chdir(staging) != 0) return Fail(std::string("chdir ") + staging);
  if (syscall(SYS_pivot_root, ".", ".") != 0) return Fail("pivot_root");
  if (umount2(".", MNT_DETACH) != 0) return Fail("detach the host's root");
  if (chdir("/") != 0) return Fail("chdir /");
  return std::nullopt;
}

// The hidden-host view: an empty tmpfs root holding only the system paths
// (toolchain, libraries), the named read-only and writable paths, and fresh
// /tmp, /run, /dev and /proc. Data elsewhere on the host (a problem's
// held-out files, say) does not exist in it, whatever path is asked for.
std::optional<Failure> SetupHiddenFilesystem(const sandbox_wire::InitSpec& spec,
                                             UniqueFd& host_scratch) {
  std::vector<DetachedTree> trees;
  std::vector<HostLink> links;
  if (auto f = CloneSystemPaths(spec.system_paths, trees, links)) return f;
  if (auto f = CloneRequestedTrees(spec, trees)) return f;
  std::vector<DetachedTree> device_nodes;
  CloneDeviceNodes(device_nodes);

  constexpr const char* kStaging = "/tmp";
  if (mount("tmpfs", kStaging, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=1m") != 0) {
    return Fail("mount the new root");
  }
  for (const char* dir : {"/tmp/tmp", "/tmp/dev", "/tmp/proc", "/tmp/run"}) {
    if (mkdir(dir, 0755) != 0) return Fail(std::string("mkdir ") + dir);
  }
  for (const HostLink& link : links) {
    const std::string at = std::string(kStaging) + link.path;
    if (auto f = EnsureMountPoint(at.substr(0, at.rfind('/')), true)) return f;
    if (symlink(link.target.c_str(), at.c_str()) != 0) return Fail("symlink " + link.path);
  }
  // Mounted before the host's /proc goes: inside a user namespace the kernel
  // allows a new /proc only while a full one is visible.
  if (spec.pid_namespace) {
    (void)mount("proc", "/tmp/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY,
                nullptr);
  }
  if (auto f = PivotInto(kStaging)) return f;
  if (auto f = MountTmpfs("/tmp", spec.tmpfs_bytes, 0)) return f;
  if (auto f = MountTmpfs("/run", 1 << 20, MS_NOEXEC)) return f;
  if (auto f = BuildDev(device_nodes, spec.tmpfs_bytes)) return f;
  if (auto f = AttachTrees(spec, trees, host_scratch)) return f;
  if (MountSetAttr(AT_FDCWD, "/", 0, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV) !=
      0) {
    return Fail("read-only new root");
  }
  return std::nullopt;
}

}  // namespace

std::optional<Failure> JoinCgroups(const std::vector<std::string>& procs_files) {
  for (const std::string& file : procs_files) {
    UniqueFd fd(open(file.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd.valid() || write(fd.get(), "0", 1) != 1) return Fail("join cgroup " + file);
  }
  return std::nullopt;
}

std::optional<Failure> BringUpLoopback() {
  UniqueFd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!sock.valid()) return Fail("socket for loopback");
  ifreq request{};
  std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(sock.get(), SIOCGIFFLAGS, &request) != 0) return Fail("get loopback flags");
  request.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(sock.get(), SIOCSIFFLAGS, &request) != 0) return Fail("bring loopback up");
  return std::nullopt;
}

std::optional<Failure> SetupMounts(const sandbox_wire::InitSpec& spec, UniqueFd& host_scratch) {
  // Without this, mounts made here would propagate back to the host when / is
  // a shared mount (systemd makes it one).
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return Fail("make mounts private");
  }
  if (spec.filesystem_isolation) {
    return spec.hide_host ? SetupHiddenFilesystem(spec, host_scratch)
                          : SetupFilesystem(spec, host_scratch);
  }
  if (spec.pid_namespace) MountProc(/*read_only=*/false);
  return std::nullopt;
}

void CopyOutScratch(const sandbox_wire::InitSpec& spec, int host_scratch) {
  if (host_scratch < 0) return;
  for (const std::string& name : spec.scratch_copy_out) {
    const std::string from = spec.working_dir + "/" + name;
    // O_NONBLOCK: a FIFO planted under the name must not stall the init.
    UniqueFd in(open(from.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    struct stat st;
    if (!in.valid() || fstat(in.get(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    UniqueFd out(openat(host_scratch, name.c_str(),
                        O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!out.valid()) continue;
    static char buffer[64 << 10];
    uint64_t copied = 0;
    while (copied < sandbox_wire::kScratchCopyOutCap) {
      ssize_t n = read(in.get(), buffer, sizeof(buffer));
      if (n <= 0 || write(out.get(), buffer, static_cast<size_t>(n)) != n) break;
      copied += static_cast<uint64_t>(n);
    }
  }
}

bool ScratchIsFull(const std::string& dir) {
  struct statfs fs;
  if (statfs(dir.c_str(), &fs) != 0) return false;
  return fs.f_bavail * static_cast<uint64_t>(fs.f_bsize) < (64u << 10) || fs.f_ffree == 0;
}

bool HasAnyCapability() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &header, data) != 0) return true;  // assume the worst
  return (data[0].permitted | data[1].permitted) != 0;
}

int DropPrivileges(bool privileged) {
  if (privileged) {
    // Lock uid 0 out of the capability rules before giving the capabilities
    // up, so a later execve as root does not hand them back.
    const unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
                               SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
                               SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
    if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) != 0) return errno;
    for (unsigned long cap = 0; cap < 64; ++cap) {
      if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
        if (errno == EINVAL) break;  // past the kernel's last capability
        return errno;
      }
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
      return errno;
    }
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    if (syscall(SYS_capset, &header, data) != 0) return errno;
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
  return 0;
}

#if defined(__x86_64__) || defined(__aarch64__)
namespace {

#if defined(__x86_64__)
constexpr uint32_t kAuditArch = AUDIT_ARCH_X86_64;
#else
constexpr uint32_t kAuditArch = AUDIT_ARCH_AARCH64;
#endif
constexpr uint32_t kCloneNamespaceFlags = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS |
                                          CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
                                          CLONE_NEWNET;
constexpr uint32_t kDenied[] = {
    __NR_unshare,      __NR_setns,       __NR_keyctl,      __NR_add_key,
    __NR_request_key,  __NR_bpf,         __NR_userfaultfd, __NR_perf_event_open,
    __NR_init_module,  __NR_finit_module, __NR_delete_module, __NR_kexec_load,
    __NR_kexec_file_load,
};
constexpr uint16_t kDeniedCount = sizeof(kDenied) / sizeof(kDenied[0]);
constexpr uint32_t kAllow = SECCOMP_RET_ALLOW;
constexpr uint32_t kEperm = SECCOMP_RET_ERRNO | EPERM;
constexpr uint32_t kEnosys = SECCOMP_RET_ERRNO | ENOSYS;

// Layout: arch check, syscall number load, [x32 check], one test per denied
// call, clone3, clone (then its flags), allow.
struct FilterProgram {
  sock_filter code[64];
  uint16_t size = 0;
  constexpr void Add(sock_filter f) { code[size++] = f; }
};

constexpr FilterProgram BuildFilter() {
  FilterProgram p{};
  p.Add(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
  p.Add(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kAuditArch, 1, 0));
  p.Add(BPF_STMT(BPF_RET | BPF_K, kEnosys));
  p.Add(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
#if defined(__x86_64__)
  p.Add(BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u /* __X32_SYSCALL_BIT */, 0, 1));
  p.Add(BPF_STMT(BPF_RET | BPF_K, kEnosys));
#endif
  for (uint16_t i = 0; i < kDeniedCount; ++i) {
    // Jump to the shared EPERM return placed after the remaining tests.
    uint8_t to_eperm = static_cast<uint8_t>(kDeniedCount - 1 - i + 6);
    p.Add(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kDenied[i], to_eperm, 0));
  }
  p.Add(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone3, 0, 1));
  p.Add(BPF_STMT(BPF_RET | BPF_K, kEnosys));
  p.Add(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 0, 2));
  p.Add(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, args[0])));  // low half
  p.Add(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, kCloneNamespaceFlags, 1, 0));
  p.Add(BPF_STMT(BPF_RET | BPF_K, kAllow));
  p.Add(BPF_STMT(BPF_RET | BPF_K, kEperm));
  return p;
}

}  // namespace

int InstallSyscallFilter() {
  static constexpr FilterProgram kFilter = BuildFilter();
  static_assert(kFilter.size <= sizeof(kFilter.code) / sizeof(kFilter.code[0]));
  sock_fprog program{kFilter.size, const_cast<sock_filter*>(kFilter.code)};
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0) != 0) return errno;
  return 0;
}
#else
int InstallSyscallFilter() { return ENOSYS; }
#endif

}  // namespace crucible::sandbox_init
