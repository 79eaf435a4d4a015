// _crucible_warm_fork: the warm Python worker's per-candidate loop in C++
// (python/crucible/worker.py; docs/openevolve.md, "Warm evaluators").
//
// A CPython extension module (stable ABI, no libpython linked), shipped
// inside the crucible binary and written beside worker.py. worker.py reads
// the request, writes the candidate's files and sets its environment (in
// the worker, before the fork); run_one() then does everything from the
// fork to the response without returning to Python in the worker: fork,
// set the child up (descriptors, process group, death signal, directory,
// CPU limit), pump its output, reap it, kill and reap whatever it left,
// empty the scratch, the candidate's files and the private /tmp, /dev/shm
// and System V IPC, answer crucible.
// Why: after a fork every page of the worker is copy-on-write shared with
// the child. The Python loop wrote hundreds of them per candidate while the
// child ran (reference counts, allocator pools), and the child wrote more
// parsing the request, writing the files and setting its environment: each
// first write a page fault and a 4 KiB copy. Here the worker touches a few
// pages of its own while the child lives, and the child runs only the
// evaluator.
//
// The pure-Python loop in worker.py does the same and is used when this
// module cannot be loaded; both speak the same requests and responses.

#define PY_SSIZE_T_CLEAN
#define Py_LIMITED_API 0x03070000
#include <Python.h>
#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Config {
  int request_fd = -1, response_fd = -1;
  std::string scratch, files_root;
  bool private_state = false;
  long max_candidates = 2000;
  size_t output_cap = 64 * 1024, result_cap = 8 << 20;
  unsigned long long free_inodes[2] = {0, 0};  // of /tmp and /dev/shm; 0: not counted
};

const char* const kPrivateRoots[2] = {"/tmp", "/dev/shm"};

double Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

// The last `cap` bytes of a stream (head = false) or its first (head = true).
struct Capture {
  size_t cap = 0;
  bool head = false;
  std::string data;
  unsigned long long total = 0;
  void Add(const char* p, size_t n) {
    total += n;
    if (head) {
      if (data.size() < cap) data.append(p, std::min(n, cap - data.size()));
      return;
    }
    data.append(p, n);
    if (data.size() > 2 * cap) data.erase(0, data.size() - cap);
  }
  std::string Text() const { return head || data.size() <= cap ? data : data.substr(data.size() - cap); }
};

// JSON string of `s`, invalid UTF-8 replaced by U+FFFD (as Python's
// decode(errors="replace"), one per invalid byte).
void AppendJsonString(std::string* out, const std::string& s) {
  out->push_back('"');
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  for (size_t i = 0; i < n;) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      switch (c) {
        case '"': *out += "\\\""; break;
        case '\\': *out += "\\\\"; break;
        case '\n': *out += "\\n"; break;
        case '\r': *out += "\\r"; break;
        case '\t': *out += "\\t"; break;
        default:
          if (c < 0x20) {
            char esc[8];
            std::snprintf(esc, sizeof(esc), "\\u%04x", c);
            *out += esc;
          } else {
            out->push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    // A well-formed multi-byte sequence (no overlongs, no surrogates, <= U+10FFFF).
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; if (c == 0xE0) lo = 0xA0; if (c == 0xED) hi = 0x9F; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; if (c == 0xF0) lo = 0x90; if (c == 0xF4) hi = 0x8F; }
    bool ok = len > 0 && i + len <= n;
    for (size_t k = 1; ok && k < len; ++k) {
      const unsigned char b = p[i + k];
      ok = k == 1 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xBF);
    }
    if (ok) {
      out->append(s, i, len);
      i += len;
    } else {
      *out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  out->push_back('"');
}

// --- Processes ------------------------------------------------------------------

// Every pid below this process: the worker is a child subreaper, so orphans
// are its children; their children are found from /proc/PID/task/*/children.
void ChildrenOf(pid_t pid, std::vector<pid_t>* out) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/task", pid);
  DIR* dir = opendir(path);
  if (dir == nullptr) return;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    char file[320];
    std::snprintf(file, sizeof(file), "/proc/%d/task/%s/children", pid, e->d_name);
    const int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    std::string text;
    char chunk[4096];
    ssize_t got;
    while ((got = read(fd, chunk, sizeof(chunk))) > 0) text.append(chunk, static_cast<size_t>(got));
    close(fd);
    const char* s = text.c_str();
    char* end;
    for (long v = std::strtol(s, &end, 10); end != s; v = std::strtol(s, &end, 10)) {
      out->push_back(static_cast<pid_t>(v));
      s = end;
    }
  }
  closedir(dir);
}

std::vector<pid_t> Descendants() {
  std::vector<pid_t> all;
  ChildrenOf(getpid(), &all);
  for (size_t i = 0; i < all.size(); ++i) ChildrenOf(all[i], &all);
  return all;
}

// Reaps every exited child; adds their CPU seconds. False when the worker
// has no child at all (ECHILD): nothing of the candidate is left.
bool ReapAll(double* cpu) {
  while (true) {
    int status;
    rusage ru;
    const pid_t pid = wait4(-1, &status, WNOHANG, &ru);
    if (pid < 0) return errno != ECHILD;
    if (pid == 0) return true;
    *cpu += ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  }
}

// SIGKILLs every descendant until none is left; false if some survive.
bool KillTree(double* cpu) {
  for (int round = 0; round < 200; ++round) {
    if (!ReapAll(cpu)) return true;  // no child: no descendant either
    const std::vector<pid_t> pids = Descendants();
    if (pids.empty()) return true;
    for (pid_t p : pids) kill(p, SIGKILL);
    usleep(1000);
  }
  return !ReapAll(cpu) || Descendants().empty();
}

// --- Files ------------------------------------------------------------------------

// Removes everything below directory fd `dir` on device `dev` (never what is
// mounted there: crucible binds paths below their host names).
void ClearTree(int dir, dev_t dev) {
  DIR* d = fdopendir(dup(dir));
  if (d == nullptr) return;
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) names.push_back(e->d_name);
  }
  closedir(d);
  for (const std::string& name : names) {
    struct stat st;
    if (fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (st.st_dev != dev) continue;  // a mount point: what is bound there stays
      // The candidate may have taken its own permissions away (or the
      // worker did, from the candidate's files).
      fchmodat(dir, name.c_str(), 0700, 0);
      const int sub = openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub >= 0) {
        ClearTree(sub, dev);
        close(sub);
      }
      unlinkat(dir, name.c_str(), AT_REMOVEDIR);  // fails where a mount lies below: kept
    } else {
      unlinkat(dir, name.c_str(), 0);  // fails on a bound file (EBUSY): kept
    }
  }
}

// Empties directory `path`; false when something stays (or it is not there).
bool EmptyDir(const std::string& path) {
  chmod(path.c_str(), 0700);  // the candidate's files' root is read-only
  const int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st;
  bool empty = false;
  if (fstat(fd, &st) == 0) {
    ClearTree(fd, st.st_dev);
    DIR* d = fdopendir(dup(fd));
    if (d != nullptr) {
      empty = true;
      while (dirent* e = readdir(d)) {
        if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) empty = false;
      }
      closedir(d);
    }
  }
  close(fd);
  return empty;
}

unsigned long long FreeInodes(const char* root) {
  struct statvfs st;
  if (statvfs(root, &st) != 0 || st.f_files == 0) return 0;
  return st.f_ffree;
}

// worker.py's clear_private_state: the private /tmp and /dev/shm (walked
// only when they have fewer free inodes than before the first candidate)
// and every System V IPC object (the *_INFO calls count them first).
void ClearPrivateState(const Config& c) {
  for (int i = 0; i < 2; ++i) {
    if (c.free_inodes[i] != 0 && FreeInodes(kPrivateRoots[i]) == c.free_inodes[i]) continue;
    const int fd = open(kPrivateRoots[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) continue;
    struct stat st;
    if (fstat(fd, &st) == 0) ClearTree(fd, st.st_dev);
    close(fd);
  }
  shm_info shm;
  const int shm_max = shmctl(0, SHM_INFO, reinterpret_cast<shmid_ds*>(&shm));
  if (shm_max >= 0 && shm.used_ids > 0) {
    for (int i = 0; i <= shm_max; ++i) {
      shmid_ds ds;
      const int id = shmctl(i, SHM_STAT, &ds);
      if (id >= 0) shmctl(id, IPC_RMID, nullptr);
    }
  }
  seminfo sem;
  const int sem_max = semctl(0, 0, SEM_INFO, &sem);
  if (sem_max >= 0 && sem.semusz > 0) {
    for (int i = 0; i <= sem_max; ++i) {
      semid_ds ds;
      const int id = semctl(i, 0, SEM_STAT, &ds);
      if (id >= 0) semctl(id, 0, IPC_RMID);
    }
  }
  msginfo msg;
  const int msg_max = msgctl(0, MSG_INFO, reinterpret_cast<msqid_ds*>(&msg));
  if (msg_max >= 0 && msg.msgpool > 0) {
    for (int i = 0; i <= msg_max; ++i) {
      msqid_ds ds;
      const int id = msgctl(i, MSG_STAT, &ds);
      if (id >= 0) msgctl(id, IPC_RMID, nullptr);
    }
  }
}

// --- One candidate ------------------------------------------------------------------

struct Outcome {
  int status = 0;
  bool timed_out = false;
  double wall = 0, cpu = 0;
  long max_rss_kb = 0;
  Capture out, err, result;
  std::string retire;
};

// In the child, before Python runs again: descriptors, process group, death
// signal, working directory, CPU limit. Exits on failure.
void SetUpChild(const Config& c, int out_w, int err_w, int result_w, pid_t worker, double cpu) {
  if (dup2(out_w, 1) < 0 || dup2(err_w, 2) < 0) _exit(70);
  // Everything of the worker but the result pipe goes (it stays
  // close-on-exec, so programs the evaluator starts do not inherit it).
  for (int fd = 3; fd < result_w; ++fd) close(fd);
  syscall(SYS_close_range, result_w + 1, ~0U, 0);
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != worker) _exit(1);  // the worker is already gone
  if (chdir(c.scratch.c_str()) != 0) _exit(70);
  if (cpu > 0) {
    const rlim_t soft = static_cast<rlim_t>(std::max(1.0, std::floor(cpu)));
    const rlimit lim = {soft, soft + 1};
    setrlimit(RLIMIT_CPU, &lim);
  }
  signal(SIGPIPE, SIG_IGN);  // as a fresh interpreter has it
}

// Reads the child's pipes until it exits or the deadline passes.
void Pump(pid_t pid, int pidfd, int fds[3], Capture* caps[3], double deadline, Outcome* o) {
  bool open_fd[3] = {true, true, true};
  while (true) {
    const double left = deadline - Now();
    if (left <= 0) {
      o->timed_out = true;
      return;
    }
    pollfd p[4];
    int idx[4], n = 0;
    for (int i = 0; i < 3; ++i) {
      if (open_fd[i]) {
        p[n] = {fds[i], POLLIN, 0};
        idx[n++] = i;
      }
    }
    p[n] = {pidfd, POLLIN, 0};
    idx[n++] = -1;
    // Without a pidfd (a kernel before 5.3) the child's exit is polled.
    const double slice = pidfd >= 0 ? left * 1000 + 1 : std::min(left * 1000 + 1, 10.0);
    const int r = poll(p, n, static_cast<int>(std::min(slice, 1e9)));
    if (pidfd < 0) {
      siginfo_t info{};
      if (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid) {
        return;
      }
    }
    if (r < 0 && errno != EINTR) return;
    bool exited = false;
    for (int k = 0; k < n; ++k) {
      if (p[k].revents == 0) continue;
      if (idx[k] < 0) {
        exited = true;
        continue;
      }
      char chunk[65536];
      const ssize_t got = read(fds[idx[k]], chunk, sizeof(chunk));
      if (got > 0) caps[idx[k]]->Add(chunk, static_cast<size_t>(got));
      else if (got == 0 || errno != EINTR) open_fd[idx[k]] = false;
    }
    if (exited) return;
  }
}

void Drain(int fd, Capture* cap) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  char chunk[65536];
  ssize_t got;
  while ((got = read(fd, chunk, sizeof(chunk))) > 0) cap->Add(chunk, static_cast<size_t>(got));
  close(fd);
}

double Seconds(const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; }

std::string Response(const Outcome& o) {
  const bool exited = WIFEXITED(o.status);
  std::string r = "{\"exited\": ";
  r += exited ? "true" : "false";
  char num[256];
  std::snprintf(num, sizeof(num),
                ", \"exit_code\": %d, \"signal\": %d, \"timed_out\": %s, \"wall_seconds\": %.9g, "
                "\"cpu_seconds\": %.9g, \"max_rss_bytes\": %lld, \"stdout_total\": %llu, "
                "\"stderr_total\": %llu",
                exited ? WEXITSTATUS(o.status) : -1, WIFSIGNALED(o.status) ? WTERMSIG(o.status) : 0,
                o.timed_out ? "true" : "false", o.wall, o.cpu, static_cast<long long>(o.max_rss_kb) * 1024,
                o.out.total, o.err.total);
  r += num;
  r += ", \"stdout\": ";
  AppendJsonString(&r, o.out.Text());
  r += ", \"stderr\": ";
  AppendJsonString(&r, o.err.Text());
  if (o.result.total > 0) {
    r += ", \"result\": ";
    AppendJsonString(&r, o.result.Text());
  }
  if (!o.retire.empty()) {
    r += ", \"retire\": ";
    AppendJsonString(&r, o.retire);
  }
  r += "}\n";
  return r;
}

bool WriteAll(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// The worker's side after the fork: everything until the response is sent.
void Supervise(const Config& c, pid_t pid, int fds[3], double start, double timeout, Outcome* o) {
  o->out.cap = o->err.cap = c.output_cap;
  o->result.cap = c.result_cap;
  o->result.head = true;
  Capture* caps[3] = {&o->out, &o->err, &o->result};
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  Pump(pid, pidfd, fds, caps, start + timeout, o);
  if (pidfd >= 0) close(pidfd);
  o->wall = Now() - start;
  if (o->timed_out) {
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);  // in case it left its process group
  }
  rusage ru{};
  while (wait4(pid, &o->status, 0, &ru) < 0 && errno == EINTR) {
  }
  o->cpu = Seconds(ru.ru_utime) + Seconds(ru.ru_stime);
  o->max_rss_kb = ru.ru_maxrss;
  const bool clean = KillTree(&o->cpu);
  for (int i = 0; i < 3; ++i) Drain(fds[i], caps[i]);
  struct stat st;
  if (lstat(c.files_root.c_str(), &st) == 0 && EmptyDir(c.files_root)) rmdir(c.files_root.c_str());
  // The scratch first: on the private tmpfs it is below /tmp, which an
  // emptied scratch leaves with as many free inodes as before.
  bool left = !EmptyDir(c.scratch);
  if (c.private_state) {
    ClearPrivateState(c);
    mkdir(c.scratch.c_str(), 0700);  // in case the walk took it
  }
  left = left || lstat(c.files_root.c_str(), &st) == 0;
  if (!clean) o->retire = "a process of the candidate survived SIGKILL";
  else if (left) o->retire = "a file of the candidate could not be removed";
}

// run_one(response_fd, scratch, files_root, private, output_cap, result_cap,
//         tmp_free_inodes, shm_free_inodes, timeout, cpu_seconds, retire_note)
// Forks the candidate's child. In the child: returns (True, result_fd), the
// child set up to evaluate. In the worker: supervises the child, cleans up,
// writes the response and returns (False, retired). The free inodes are
// worker.py's baseline of its private /tmp and /dev/shm (0: not counted);
// retire_note, when not empty, retires the worker after this candidate.
PyObject* RunOne(PyObject*, PyObject* args) {
  Config c;
  const char *scratch, *files_root, *retire_note;
  int private_state;
  Py_ssize_t out_cap, result_cap;
  double timeout, cpu;
  if (!PyArg_ParseTuple(args, "issp" "nnKKdds", &c.response_fd, &scratch, &files_root, &private_state,
                        &out_cap, &result_cap, &c.free_inodes[0], &c.free_inodes[1], &timeout, &cpu,
                        &retire_note)) {
    return nullptr;
  }
  c.scratch = scratch;
  c.files_root = files_root;
  c.private_state = private_state != 0;
  c.output_cap = static_cast<size_t>(out_cap);
  c.result_cap = static_cast<size_t>(result_cap);
  static bool trimmed = false;
  if (!trimmed) {
    // Fewer resident pages: fewer page-table entries for every fork to
    // copy and every child's exit to tear down.
    malloc_trim(0);
    trimmed = true;
  }
  int pipes[3][2];
  for (auto& p : pipes) {
    if (pipe2(p, O_CLOEXEC) != 0) return PyErr_SetFromErrno(PyExc_OSError);
  }
  const pid_t worker = getpid();
  const double start = Now();
  PyOS_BeforeFork();
  const pid_t pid = fork();
  if (pid == 0) {
    PyOS_AfterFork_Child();
    for (auto& p : pipes) close(p[0]);
    SetUpChild(c, pipes[0][1], pipes[1][1], pipes[2][1], worker, cpu);
    return Py_BuildValue("(Oi)", Py_True, pipes[2][1]);
  }
  const int fork_errno = errno;
  PyOS_AfterFork_Parent();
  for (auto& p : pipes) close(p[1]);
  Outcome o;
  int fds[3] = {pipes[0][0], pipes[1][0], pipes[2][0]};
  if (pid < 0) {
    for (int fd : fds) close(fd);
    o.status = 70 << 8;
    o.err.cap = c.output_cap;
    const std::string why = std::string("the warm worker could not fork: ") + std::strerror(fork_errno);
    o.err.Add(why.data(), why.size());
    o.retire = "could not fork";
  } else {
    Supervise(c, pid, fds, start, timeout, &o);
  }
  if (o.retire.empty()) o.retire = retire_note;
  if (!WriteAll(c.response_fd, Response(o))) return PyErr_SetFromErrno(PyExc_OSError);
  return Py_BuildValue("(OO)", Py_False, o.retire.empty() ? Py_False : Py_True);
}

PyMethodDef kMethods[] = {
    {"run_one", RunOne, METH_VARARGS, "Forks, supervises and answers for one candidate (warm_fork.cc)."},
    {nullptr, nullptr, 0, nullptr},
};

PyModuleDef kModule = {
    PyModuleDef_HEAD_INIT, "_crucible_warm_fork", "The warm worker's per-candidate loop.", -1, kMethods,
    nullptr, nullptr, nullptr, nullptr,
};

}  // namespace

extern "C" PyMODINIT_FUNC PyInit__crucible_warm_fork(void) { return PyModule_Create(&kModule); }
