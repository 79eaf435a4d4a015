// A minimal C runtime for crucible-sandbox-init on x86-64, so that the init
// is a static program without glibc.
//
// Why: the init is exec'd once per sandboxed run, and a static glibc program
// spends most of its ~1.2 ms start-up on this project's VMs in glibc's own
// initialisation (CPU feature and cache probing with `cpuid`, each a VM exit,
// and twice the page faults); without it the exec costs ~0.35 ms. The init
// only needs system calls, a bump allocator and a few string functions, all
// below. Everything the init's sources (init_main.cc, isolation.cc, wire.cc)
// call from the C library is defined here, with glibc's declarations (the
// headers are still glibc's; only the definitions are ours); the link fails
// if a new call is added without a definition here.
//
// Single-threaded, no locale, no stdio, no TLS. `errno` is one global.
// Other architectures build the init against static glibc instead (see
// CMakeLists.txt).
#if !defined(__x86_64__)
#error "init_libc.cc supports x86-64 only; other architectures link the init with glibc"
#endif

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <new>

namespace {

int g_errno = 0;

inline long Raw6(long nr, long a, long b, long c, long d, long e, long f) {
  long ret;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}

// Kernel return value to the C convention: -1 and errno on failure.
inline long Check(long ret) {
  if (ret < 0 && ret > -4096) {
    g_errno = static_cast<int>(-ret);
    return -1;
  }
  return ret;
}

inline long Sys(long nr, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0, long f = 0) {
  return Check(Raw6(nr, a, b, c, d, e, f));
}

template <typename T>
inline long L(T value) {
  if constexpr (sizeof(T) < sizeof(long)) {
    return static_cast<long>(value);
  } else {
    return (long)value;  // pointers and longs
  }
}

// The kernel's struct sigaction on x86-64 (the C library's differs).
struct KernelSigaction {
  void (*handler)(int);
  unsigned long flags;
  void (*restorer)();
  unsigned long mask;
};
constexpr long kKernelSigsetBytes = 8;
#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif

// The allocator: a bump pointer over a static arena (the init allocates a
// few kilobytes at start-up and a stack for the command), mmap beyond it.
// Memory is never returned; the init is short-lived.
alignas(64) char g_arena[1 << 20];
size_t g_arena_used = 0;

void* Allocate(size_t size) {
  size = (size + 15) & ~size_t{15};
  if (size <= sizeof(g_arena) - g_arena_used) {
    void* p = g_arena + g_arena_used;
    g_arena_used += size;
    return p;
  }
  long p = Raw6(SYS_mmap, 0, static_cast<long>(size), PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p < 0 && p > -4096) {
    Raw6(SYS_exit_group, 125, 0, 0, 0, 0, 0);
    __builtin_unreachable();
  }
  return reinterpret_cast<void*>(p);
}

}  // namespace

extern "C" {

// The init's entry point (init_main.cc).
int crucible_sandbox_init_main();

// --- Start-up --------------------------------------------------------------

extern void (*__init_array_start[])() __attribute__((visibility("hidden")));
extern void (*__init_array_end[])() __attribute__((visibility("hidden")));

__attribute__((used, noreturn)) void crucible_init_start() {
  for (void (**f)() = __init_array_start; f != __init_array_end; ++f) (*f)();
  Raw6(SYS_exit_group, crucible_sandbox_init_main(), 0, 0, 0, 0, 0);
  __builtin_unreachable();
}

// The kernel enters with the stack aligned to 16 bytes (argc at 0(%rsp));
// the init takes no arguments, so only the alignment for the call matters.
__asm__(".text\n"
        ".globl _start\n"
        ".type _start,@function\n"
        "_start:\n"
        "  xor %ebp, %ebp\n"
        "  and $-16, %rsp\n"
        "  call crucible_init_start\n"
        "  hlt\n");

// clone(fn, stack, flags, arg): the child runs fn(arg) on `stack` and exits
// with its result (the glibc interface, without the optional arguments).
__asm__(".text\n"
        ".globl clone\n"
        ".type clone,@function\n"
        "clone:\n"
        "  and $-16, %rsi\n"
        "  sub $16, %rsi\n"
        "  mov %rcx, 8(%rsi)\n"  // arg
        "  mov %rdi, 0(%rsi)\n"  // fn
        "  mov %rdx, %rdi\n"     // flags
        "  xor %edx, %edx\n"     // parent_tid
        "  xor %r10d, %r10d\n"   // child_tid
        "  xor %r8d, %r8d\n"     // tls
        "  mov $56, %eax\n"      // SYS_clone
        "  syscall\n"
        "  test %rax, %rax\n"
        "  jnz 1f\n"
        "  xor %ebp, %ebp\n"
        "  pop %rax\n"
        "  pop %rdi\n"
        "  call *%rax\n"
        "  mov %eax, %edi\n"
        "  mov $60, %eax\n"  // SYS_exit
        "  syscall\n"
        "  hlt\n"
        "1:\n"
        "  cmp $-4095, %rax\n"
        "  jae 2f\n"
        "  ret\n"
        "2:\n"
        "  neg %eax\n"
        "  mov %eax, %edi\n"
        "  jmp crucible_clone_failed\n");

__attribute__((used)) int crucible_clone_failed(int error) {
  g_errno = error;
  return -1;
}

int* __errno_location() { return &g_errno; }

void* __dso_handle = &__dso_handle;
int __cxa_atexit(void (*)(void*), void*, void*) { return 0; }  // the init never exits normally

__attribute__((noreturn)) void _exit(int status) {
  Raw6(SYS_exit_group, status, 0, 0, 0, 0, 0);
  __builtin_unreachable();
}

__attribute__((noreturn)) void abort() {
  Raw6(SYS_kill, Raw6(SYS_getpid, 0, 0, 0, 0, 0, 0), SIGKILL, 0, 0, 0, 0);
  _exit(127);
}

// --- Memory and strings (the compiler may call the first four itself) ------

void* memcpy(void* dst, const void* src, size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto* s = static_cast<const unsigned char*>(src);
  while (n-- > 0) *d++ = *s++;
  return dst;
}

void* memmove(void* dst, const void* src, size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto* s = static_cast<const unsigned char*>(src);
  if (d < s) {
    while (n-- > 0) *d++ = *s++;
  } else {
    while (n-- > 0) d[n] = s[n];
  }
  return dst;
}

void* memset(void* dst, int c, size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  while (n-- > 0) *d++ = static_cast<unsigned char>(c);
  return dst;
}

int memcmp(const void* a, const void* b, size_t n) {
  const auto* x = static_cast<const unsigned char*>(a);
  const auto* y = static_cast<const unsigned char*>(b);
  for (size_t i = 0; i < n; ++i) {
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  }
  return 0;
}

// clang turns an equality-only memcmp into bcmp (the fuzz build compiles the
// init with clang).
int bcmp(const void* a, const void* b, size_t n) { return memcmp(a, b, n); }

// C++ sees glibc's const-correct memchr overloads; this is the C symbol.
void* crucible_memchr(const void* p, int c, size_t n) __asm__("memchr");
void* crucible_memchr(const void* p, int c, size_t n) {
  const auto* s = static_cast<const unsigned char*>(p);
  for (size_t i = 0; i < n; ++i) {
    if (s[i] == static_cast<unsigned char>(c)) return const_cast<unsigned char*>(s + i);
  }
  return nullptr;
}

size_t strlen(const char* s) {
  size_t n = 0;
  while (s[n] != '\0') ++n;
  return n;
}

long strtol(const char* s, char** end, int base) {
  // Decimal only: all the init parses (/proc/.../children).
  (void)base;
  while (*s == ' ' || *s == '\t' || *s == '\n') ++s;
  bool negative = *s == '-';
  if (*s == '-' || *s == '+') ++s;
  long value = 0;
  const char* start = s;
  while (*s >= '0' && *s <= '9') value = value * 10 + (*s++ - '0');
  if (end != nullptr) *end = const_cast<char*>(s == start ? start : s);
  return negative ? -value : value;
}

// --- Signals ------------------------------------------------------------------

int sigemptyset(sigset_t* set) {
  memset(set, 0, sizeof(*set));
  return 0;
}

int sigaddset(sigset_t* set, int sig) {
  if (sig <= 0 || sig > 64) {
    g_errno = EINVAL;
    return -1;
  }
  reinterpret_cast<unsigned long*>(set)[0] |= 1ul << (sig - 1);
  return 0;
}

int sigprocmask(int how, const sigset_t* set, sigset_t* old) {
  return static_cast<int>(Sys(SYS_rt_sigprocmask, how, L(set), L(old), kKernelSigsetBytes));
}

int sigaction(int sig, const struct sigaction* act, struct sigaction* old) {
  KernelSigaction k{}, k_old{};
  if (act != nullptr) {
    k.handler = act->sa_handler;
    k.flags = static_cast<unsigned long>(act->sa_flags) & ~static_cast<unsigned long>(SA_RESTORER);
    k.mask = reinterpret_cast<const unsigned long*>(&act->sa_mask)[0];
    // Handlers that return need a restorer; the init installs none.
    if (k.handler != SIG_DFL && k.handler != SIG_IGN) {
      g_errno = EINVAL;
      return -1;
    }
  }
  long ret = Sys(SYS_rt_sigaction, sig, act ? L(&k) : 0, old ? L(&k_old) : 0, kKernelSigsetBytes);
  if (ret == 0 && old != nullptr) {
    memset(old, 0, sizeof(*old));
    old->sa_handler = k_old.handler;
    old->sa_flags = static_cast<int>(k_old.flags);
    reinterpret_cast<unsigned long*>(&old->sa_mask)[0] = k_old.mask;
  }
  return static_cast<int>(ret);
}

int signalfd(int fd, const sigset_t* mask, int flags) {
  return static_cast<int>(Sys(SYS_signalfd4, fd, L(mask), kKernelSigsetBytes, flags));
}

int kill(pid_t pid, int sig) { return static_cast<int>(Sys(SYS_kill, pid, sig)); }

// --- Files and processes --------------------------------------------------------

int open(const char* path, int flags, ...) {
  mode_t mode = 0;
  if ((flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE) {
    va_list args;
    va_start(args, flags);
    mode = va_arg(args, mode_t);
    va_end(args);
  }
  return static_cast<int>(Sys(SYS_open, L(path), flags, mode));
}

int openat(int dir, const char* path, int flags, ...) {
  mode_t mode = 0;
  if ((flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE) {
    va_list args;
    va_start(args, flags);
    mode = va_arg(args, mode_t);
    va_end(args);
  }
  return static_cast<int>(Sys(SYS_openat, dir, L(path), flags, mode));
}

int statfs(const char* path, struct statfs* fs) {
  return static_cast<int>(Sys(SYS_statfs, L(path), L(fs)));
}

ssize_t read(int fd, void* buffer, size_t n) { return Sys(SYS_read, fd, L(buffer), L(n)); }
ssize_t write(int fd, const void* buffer, size_t n) { return Sys(SYS_write, fd, L(buffer), L(n)); }
ssize_t pread(int fd, void* buffer, size_t n, off_t offset) {
  return Sys(SYS_pread64, fd, L(buffer), L(n), offset);
}
int close(int fd) { return static_cast<int>(Sys(SYS_close, fd)); }
int dup2(int from, int to) { return static_cast<int>(Sys(SYS_dup2, from, to)); }

int fcntl(int fd, int command, ...) {
  va_list args;
  va_start(args, command);
  long arg = va_arg(args, long);
  va_end(args);
  return static_cast<int>(Sys(SYS_fcntl, fd, command, arg));
}

int ioctl(int fd, unsigned long request, ...) {
  va_list args;
  va_start(args, request);
  long arg = va_arg(args, long);
  va_end(args);
  return static_cast<int>(Sys(SYS_ioctl, fd, L(request), arg));
}

int stat(const char* path, struct stat* st) { return static_cast<int>(Sys(SYS_stat, L(path), L(st))); }
int lstat(const char* path, struct stat* st) {
  return static_cast<int>(Sys(SYS_lstat, L(path), L(st)));
}
int fstat(int fd, struct stat* st) { return static_cast<int>(Sys(SYS_fstat, fd, L(st))); }
int mkdir(const char* path, mode_t mode) { return static_cast<int>(Sys(SYS_mkdir, L(path), mode)); }
int symlink(const char* target, const char* link) {
  return static_cast<int>(Sys(SYS_symlink, L(target), L(link)));
}
int chdir(const char* path) { return static_cast<int>(Sys(SYS_chdir, L(path))); }
ssize_t readlink(const char* path, char* buffer, size_t n) {
  return Sys(SYS_readlink, L(path), L(buffer), L(n));
}
int umount2(const char* target, int flags) {
  return static_cast<int>(Sys(SYS_umount2, L(target), flags));
}

int mount(const char* source, const char* target, const char* type, unsigned long flags,
          const void* data) {
  return static_cast<int>(Sys(SYS_mount, L(source), L(target), L(type), L(flags), L(data)));
}

int socket(int domain, int type, int protocol) {
  return static_cast<int>(Sys(SYS_socket, domain, type, protocol));
}

int poll(struct pollfd* fds, nfds_t n, int timeout) {
  return static_cast<int>(Sys(SYS_poll, L(fds), L(n), timeout));
}

int prctl(int option, ...) {
  va_list args;
  va_start(args, option);
  long a = va_arg(args, long), b = va_arg(args, long), c = va_arg(args, long),
       d = va_arg(args, long);
  va_end(args);
  return static_cast<int>(Sys(SYS_prctl, option, a, b, c, d));
}

long syscall(long number, ...) {
  va_list args;
  va_start(args, number);
  long a = va_arg(args, long), b = va_arg(args, long), c = va_arg(args, long),
       d = va_arg(args, long), e = va_arg(args, long), f = va_arg(args, long);
  va_end(args);
  return Sys(number, a, b, c, d, e, f);
}

int getrlimit(__rlimit_resource_t resource, struct rlimit* limit) {
  return static_cast<int>(Sys(SYS_prlimit64, 0, resource, 0, L(limit)));
}
int setrlimit(__rlimit_resource_t resource, const struct rlimit* limit) {
  return static_cast<int>(Sys(SYS_prlimit64, 0, resource, L(limit), 0));
}

pid_t getpid() { return static_cast<pid_t>(Sys(SYS_getpid)); }
pid_t getppid() { return static_cast<pid_t>(Sys(SYS_getppid)); }
pid_t setsid() { return static_cast<pid_t>(Sys(SYS_setsid)); }

int execve(const char* path, char* const argv[], char* const envp[]) {
  return static_cast<int>(Sys(SYS_execve, L(path), L(argv), L(envp)));
}

pid_t wait4(pid_t pid, int* status, int options, struct rusage* usage) {
  return static_cast<pid_t>(Sys(SYS_wait4, pid, L(status), options, L(usage)));
}
pid_t waitpid(pid_t pid, int* status, int options) { return wait4(pid, status, options, nullptr); }

int usleep(useconds_t usec) {
  struct timespec ts{static_cast<time_t>(usec / 1000000), static_cast<long>(usec % 1000000) * 1000};
  return static_cast<int>(Sys(SYS_nanosleep, L(&ts), 0));
}

}  // extern "C"

// --- C++ runtime ------------------------------------------------------------------

void* operator new(size_t size) { return Allocate(size); }
void* operator new[](size_t size) { return Allocate(size); }
void* operator new(size_t size, const std::nothrow_t&) noexcept { return Allocate(size); }
void* operator new[](size_t size, const std::nothrow_t&) noexcept { return Allocate(size); }
void operator delete(void*) noexcept {}
void operator delete[](void*) noexcept {}
void operator delete(void*, size_t) noexcept {}
void operator delete[](void*, size_t) noexcept {}

// What the standard library's templates call when a size is impossible; the
// init cannot recover from that either.
namespace std {
const nothrow_t nothrow{};
[[noreturn]] void __throw_length_error(const char*) { abort(); }
[[noreturn]] void __throw_bad_alloc() { abort(); }
[[noreturn]] void __throw_bad_array_new_length() { abort(); }
[[noreturn]] void __throw_logic_error(const char*) { abort(); }
[[noreturn]] void __throw_out_of_range_fmt(const char*, ...) { abort(); }
}  // namespace std
