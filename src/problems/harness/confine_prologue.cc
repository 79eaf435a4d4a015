#include "problems/harness/confine_prologue.h"

namespace crucible {

// Why an allow-list with SECCOMP_RET_KILL_PROCESS by default: a candidate has
// no business with the file system, the network, other processes or exec, so
// anything not needed by a static C++ program's start-up, memory management,
// stdio on its inherited pipes, clocks and exit kills it (SIGSYS), which the
// harness reports as a forbidden system call. A few calls glibc makes on its
// own (readlink of /proc/self/exe, fstatat of stdout, isatty's ioctl) fail
// with an error instead, and glibc copes.
//
// The prologue runs before the C runtime is initialised: no TLS (hence no
// stack protector), no IFUNC-resolved functions such as memcpy (hence the
// filter is a constant in .rodata and the system calls are raw).
std::string_view ConfinePrologueSource() {
  return R"CRUCIBLE(
// ---- crucible confinement prologue (trusted; not part of the candidate) ----
#include <array>
#include <cerrno>
#include <cstddef>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

namespace crucible_confine {

constexpr unsigned kAllowed[] = {
    SYS_read, SYS_write, SYS_readv, SYS_writev, SYS_close, SYS_fstat, SYS_lseek,
    SYS_mmap, SYS_mprotect, SYS_munmap, SYS_mremap, SYS_madvise, SYS_brk,
    SYS_rt_sigaction, SYS_rt_sigprocmask, SYS_rt_sigreturn, SYS_sigaltstack,
    SYS_sched_yield, SYS_nanosleep, SYS_clock_nanosleep, SYS_clock_gettime,
    SYS_clock_getres, SYS_gettimeofday, SYS_time, SYS_getpid, SYS_gettid,
    SYS_futex, SYS_set_tid_address, SYS_set_robust_list, SYS_rseq,
    SYS_arch_prctl, SYS_getrandom, SYS_dup, SYS_dup2, SYS_dup3, SYS_exit, SYS_exit_group};
constexpr unsigned kFailEperm[] = {SYS_readlink, SYS_readlinkat, SYS_newfstatat, SYS_statx,
                                   SYS_uname, SYS_sysinfo, SYS_sched_getaffinity};
constexpr unsigned kFailEnosys[] = {SYS_clone3};
constexpr unsigned kFailEnotty[] = {SYS_ioctl};

constexpr std::size_t kChecks = std::size(kAllowed) + std::size(kFailEperm) +
                                std::size(kFailEnosys) + std::size(kFailEnotty);
// arch check (2), x32 check (2), the checks, prlimit64 check (1) and block
// (4), then the returns: kill, allow, eperm, enosys, enotty. Classic BPF only
// jumps forward, so the returns come last.
constexpr std::size_t kLength = 4 + kChecks + 1 + 4 + 5;

constexpr sock_filter Stmt(unsigned short code, unsigned k) { return {code, 0, 0, k}; }
constexpr sock_filter Jump(unsigned short code, unsigned k, std::size_t jt, std::size_t jf) {
  return {code, static_cast<unsigned char>(jt), static_cast<unsigned char>(jf), k};
}

constexpr std::array<sock_filter, kLength> BuildFilter() {
  std::array<sock_filter, kLength> f{};
  const std::size_t kill = 4 + kChecks + 5, allow = kill + 1, eperm = kill + 2,
                    enosys = kill + 3, enotty = kill + 4;
  std::size_t pc = 0;
  auto jeq_to = [&](unsigned nr, std::size_t target) {
    f[pc] = Jump(BPF_JMP | BPF_JEQ | BPF_K, nr, target - pc - 1, 0);
    ++pc;
  };
  f[pc++] = Stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch));
  f[pc] = Jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, kill - pc - 1);
  ++pc;
  f[pc++] = Stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr));
  f[pc] = Jump(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, kill - pc - 1, 0);  // x32 ABI
  ++pc;
  for (unsigned nr : kAllowed) jeq_to(nr, allow);
  for (unsigned nr : kFailEperm) jeq_to(nr, eperm);
  for (unsigned nr : kFailEnosys) jeq_to(nr, enosys);
  for (unsigned nr : kFailEnotty) jeq_to(nr, enotty);
  // prlimit64 only on itself (pid 0): glibc reads its own stack limit.
  f[pc] = Jump(BPF_JMP | BPF_JEQ | BPF_K, SYS_prlimit64, 0, kill - pc - 1);
  ++pc;
  f[pc++] = Stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, args[0]));
  f[pc] = Jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, eperm - pc - 1);
  ++pc;
  f[pc++] = Stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, args[0]) + 4);
  f[pc] = Jump(BPF_JMP | BPF_JEQ | BPF_K, 0, allow - pc - 1, eperm - pc - 1);
  ++pc;
  f[pc++] = Stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
  f[pc++] = Stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  f[pc++] = Stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
  f[pc++] = Stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
  f[pc++] = Stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOTTY);
  return f;
}

constexpr std::array<sock_filter, kLength> kFilter = BuildFilter();

inline long RawSyscall3(long nr, long a, long b, long c) {
  long ret;
  asm volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return ret;
}
inline long RawSyscall5(long nr, long a, long b, long c, long d, long e) {
  long ret;
  register long r10 asm("r10") = d;
  register long r8 asm("r8") = e;
  asm volatile("syscall"
               : "=a"(ret)
               : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
               : "rcx", "r11", "memory");
  return ret;
}

}  // namespace crucible_confine

extern "C" __attribute__((used, noinline, no_stack_protector)) void crucible_confine_process() {
  using namespace crucible_confine;
  if (RawSyscall5(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    RawSyscall3(SYS_exit_group, 120, 0, 0);
  }
  static const sock_fprog prog = {static_cast<unsigned short>(kFilter.size()),
                                  const_cast<sock_filter*>(kFilter.data())};
  if (RawSyscall3(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, reinterpret_cast<long>(&prog)) != 0) {
    RawSyscall3(SYS_exit_group, 121, 0, 0);
  }
}

// The allocation wrappers (kWrapAllocationFlag): out of memory is exit
// status 99 (kExitAllocationFailed), whoever asked. A size of 0 may
// legitimately give a null pointer (realloc(p, 0) frees p).
extern "C" void* __real_malloc(std::size_t);
extern "C" void* __real_calloc(std::size_t, std::size_t);
extern "C" void* __real_realloc(void*, std::size_t);
extern "C" void* __real_aligned_alloc(std::size_t, std::size_t);
namespace crucible_confine {
[[noreturn]] inline void OutOfMemory() {
  static const char kMessage[] = "crucible: the candidate ran out of memory (an allocation failed)\n";
  RawSyscall3(SYS_write, 2, reinterpret_cast<long>(kMessage), sizeof kMessage - 1);
  RawSyscall3(SYS_exit_group, 99, 0, 0);
  __builtin_unreachable();
}
inline void* Checked(void* p, bool empty) {
  if (p == nullptr && !empty) OutOfMemory();
  return p;
}
}  // namespace crucible_confine
extern "C" void* __wrap_malloc(std::size_t n) {
  return crucible_confine::Checked(__real_malloc(n), n == 0);
}
extern "C" void* __wrap_calloc(std::size_t n, std::size_t size) {
  return crucible_confine::Checked(__real_calloc(n, size), n == 0 || size == 0);
}
extern "C" void* __wrap_realloc(void* p, std::size_t n) {
  return crucible_confine::Checked(__real_realloc(p, n), n == 0);
}
extern "C" void* __wrap_aligned_alloc(std::size_t alignment, std::size_t n) {
  // A bad alignment is EINVAL, not memory: only ENOMEM ends the process.
  void* p = __real_aligned_alloc(alignment, n);
  return p == nullptr && errno == ENOMEM && n != 0 ? crucible_confine::Checked(p, false) : p;
}

// The ELF entry point (-Wl,-e,crucible_confined_entry). The kernel's initial
// stack (argc, argv, envp, auxv) and %rdx must reach _start unchanged; two
// pushes keep the stack 16-byte aligned for the call.
asm(R"(
  .text
  .globl crucible_confined_entry
  .type crucible_confined_entry, @function
crucible_confined_entry:
  push %rdx
  push %rdx
  call crucible_confine_process
  pop %rdx
  pop %rdx
  jmp _start
  .size crucible_confined_entry, .-crucible_confined_entry
)");
// ---- end of the confinement prologue ----
)CRUCIBLE";
}

}  // namespace crucible
