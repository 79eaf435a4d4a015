// _crucible_warm_fork: the warm Python worker's per-candidate loop in C++
// (python/crucible/worker.py; docs/openevolve.md, "Warm evaluators").
//
// A CPython extension module (stable ABI, no libpython linked), shipped
// inside the crucible binary and written beside worker.py. worker.py
// imports the evaluator and calls serve(), which runs the worker's whole
// loop without returning to Python in the worker: read the request, write
// the candidate's files and set its variables (warm_request.cc), fork, set
// the child up (descriptors, process group, death signal, directory, CPU
// limit), pump its output, reap it, kill and reap whatever it left, empty
// the scratch, the candidate's files and the private /tmp, /dev/shm and
// System V IPC, answer crucible; only the child returns to Python, to
// evaluate.
// Why: after a fork every page of the worker is copy-on-write shared with
// the child, and each page the worker writes afterwards faults (a copy
// while the child lives, a write-protect fault after). Python writes pages
// wherever it goes (reference counts, allocator pools): a Python loop that
// parsed each request, wrote the files and set the environment wrote about
// 190 pages of the worker per candidate, about 40% of the page faults of a
// candidate with a null evaluator (475). Here the worker touches a few pages of its own, and
// the child runs only the evaluator.
//
// The pure-Python loop in pure_loop.py does the same and is used when this
// module cannot be loaded; both speak the same requests and responses.

#include "evaluate/warm_request.h"  // Python.h first, as it asks
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#include "evaluate/warm_cleanup.h"

namespace {

namespace warm = crucible::warm;

struct Config {
  int request_fd = -1, response_fd = -1;
  std::string scratch, files_root;
  bool private_state = false;
  long max_candidates = 2000;
  size_t output_cap = 64 * 1024, result_cap = 8 << 20;
  unsigned long long free_inodes[2] = {0, 0};  // of /tmp and /dev/shm; 0: not counted
};

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

// --- One candidate ------------------------------------------------------------------

struct Outcome {
  int status = 0;
  bool timed_out = false;
  double wall = 0, cpu = 0;
  long max_rss_kb = 0;
  Capture out, err, result;
  std::string retire;
};

// Closes descriptors lo..hi: one close_range (Linux 5.9) where there is one.
void CloseRange(unsigned lo, unsigned hi) {
  if (lo > hi || syscall(SYS_close_range, lo, hi, 0) == 0) return;
  for (unsigned fd = lo; fd <= hi && fd < 65536; ++fd) close(static_cast<int>(fd));
}

// In the child, before Python runs again: descriptors, process group, death
// signal, working directory, CPU limit. Exits on failure.
void SetUpChild(const Config& c, int out_w, int err_w, int result_w, pid_t worker, double cpu) {
  if (dup2(out_w, 1) < 0 || dup2(err_w, 2) < 0) _exit(70);
  // Everything of the worker but the result pipe goes (it stays
  // close-on-exec, so programs the evaluator starts do not inherit it).
  CloseRange(3, result_w - 1);
  CloseRange(result_w + 1, ~0U);
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
  const bool clean = warm::KillTree(&o->cpu);
  for (int i = 0; i < 3; ++i) Drain(fds[i], caps[i]);
  struct stat st;
  if (lstat(c.files_root.c_str(), &st) == 0 && warm::EmptyDir(c.files_root)) rmdir(c.files_root.c_str());
  // The scratch first: on the private tmpfs it is below /tmp, which an
  // emptied scratch leaves with as many free inodes as before.
  bool left = !warm::EmptyDir(c.scratch);
  if (c.private_state) {
    warm::ClearPrivateState(c.free_inodes);
    mkdir(c.scratch.c_str(), 0700);  // in case the walk took it
  }
  left = left || lstat(c.files_root.c_str(), &st) == 0;
  if (!clean) o->retire = "a process of the candidate survived SIGKILL";
  else if (left) o->retire = "a file of the candidate could not be removed";
}

// An answer for a request that never reached a fork; it retires the
// worker (crucible starts a new one), as a worker that cannot do its job
// should.
Outcome Refusal(const Config& c, const std::string& why, const char* retire) {
  Outcome o;
  o.status = 70 << 8;
  o.err.cap = c.output_cap;
  o.err.Add(why.data(), why.size());
  o.retire = retire;
  return o;
}

// The text of the pending Python error (cleared).
std::string TakePythonError() {
  PyObject *type, *value, *trace;
  PyErr_Fetch(&type, &value, &trace);
  std::string text = "unknown error";
  if (PyObject* str = value != nullptr ? PyObject_Str(value) : nullptr) {
    if (PyObject* bytes = PyUnicode_AsEncodedString(str, "utf-8", "replace")) {
      text = PyBytes_AsString(bytes);
      Py_DECREF(bytes);
    }
    Py_DECREF(str);
  }
  PyErr_Clear();
  Py_XDECREF(type);
  Py_XDECREF(value);
  Py_XDECREF(trace);
  return text;
}

// Forks the candidate's child. In the child: true, with *result_fd its end
// of the result pipe, the child set up to evaluate. In the worker:
// supervises the child and cleans up after it; false, with `o` filled.
bool ForkOne(const Config& c, double timeout, double cpu, Outcome* o, int* result_fd) {
  static bool trimmed = false;
  if (!trimmed) {
    // Fewer resident pages: fewer page-table entries for every fork to
    // copy and every child's exit to tear down.
    malloc_trim(0);
    trimmed = true;
  }
  int pipes[3][2];
  for (int i = 0; i < 3; ++i) {
    if (pipe2(pipes[i], O_CLOEXEC) != 0) {
      const std::string why = std::string("the warm worker could not make a pipe: ") + std::strerror(errno);
      for (int k = 0; k < i; ++k) close(pipes[k][0]), close(pipes[k][1]);
      *o = Refusal(c, why, "could not make a pipe");
      return false;
    }
  }
  const pid_t worker = getpid();
  const double start = Now();
  PyOS_BeforeFork();
  const pid_t pid = fork();
  if (pid == 0) {
    PyOS_AfterFork_Child();
    for (auto& p : pipes) close(p[0]);
    SetUpChild(c, pipes[0][1], pipes[1][1], pipes[2][1], worker, cpu);
    *result_fd = pipes[2][1];
    return true;
  }
  const int fork_errno = errno;
  PyOS_AfterFork_Parent();
  for (auto& p : pipes) close(p[1]);
  int fds[3] = {pipes[0][0], pipes[1][0], pipes[2][0]};
  if (pid < 0) {
    for (int fd : fds) close(fd);
    *o = Refusal(c, std::string("the warm worker could not fork: ") + std::strerror(fork_errno), "could not fork");
    return false;
  }
  Supervise(c, pid, fds, start, timeout, o);
  return false;
}

// serve(request_fd, response_fd, scratch, files_root, program, private,
//       output_cap, result_cap, max_candidates, environ)
// The worker's whole loop: reads each request, writes the candidate's
// files, sets its variables in `environ` (os.environ), forks. In a child:
// returns (True, result_fd, program_path), the child set up to evaluate.
// In the worker: supervises, cleans up, answers, and goes on with the next
// request; returns (False, None, None) once crucible closes the stream or
// the worker retires (after max_candidates, or when it cannot clean up).
// `private`: /tmp, /dev/shm and System V IPC are the worker's own, emptied
// after each candidate.
PyObject* Serve(PyObject*, PyObject* args) {
  Config c;
  const char *scratch, *files_root, *program;
  int private_state;
  Py_ssize_t out_cap, result_cap;
  long max_candidates;
  PyObject* environ;
  if (!PyArg_ParseTuple(args, "iisssp" "nnlO", &c.request_fd, &c.response_fd, &scratch, &files_root,
                        &program, &private_state, &out_cap, &result_cap, &max_candidates, &environ)) {
    return nullptr;
  }
  c.scratch = scratch;
  c.files_root = files_root;
  c.private_state = private_state != 0;
  c.output_cap = static_cast<size_t>(out_cap);
  c.result_cap = static_cast<size_t>(result_cap);
  if (c.private_state) {
    // The baseline: a root with as many free inodes after a candidate holds
    // nothing new and is not walked (ClearPrivateState).
    for (int i = 0; i < 2; ++i) c.free_inodes[i] = warm::FreeInodes(warm::kPrivateRoots[i]);
  }
  warm::LineReader requests(c.request_fd);
  warm::Environment env(environ);
  for (long count = 1;; ++count) {
    const std::optional<std::string> line = requests.Next();
    if (!line) break;  // crucible is done with this worker
    Outcome o;
    std::string error, program_path;
    const std::optional<warm::Request> r = warm::ParseRequest(*line, &error);
    if (!r) {
      o = Refusal(c, "the warm worker could not read the request: " + error, "could not read a request");
    } else if ((program_path = warm::PlaceCandidate(*r, c.files_root, program, &error)).empty()) {
      o = Refusal(c, "the warm worker could not write the candidate's files: " + error,
                  "could not write a candidate's files");
    } else if (!env.Apply(r->env)) {
      o = Refusal(c, "the warm worker could not set the candidate's environment: " + TakePythonError(),
                  "could not set a candidate's environment");
    } else {
      int result_fd = -1;
      if (ForkOne(c, r->timeout, r->cpu_seconds, &o, &result_fd)) {
        return Py_BuildValue("(Ois)", Py_True, result_fd, program_path.c_str());
      }
      if (o.retire.empty() && count >= max_candidates) o.retire = "served " + std::to_string(count) + " candidates";
    }
    if (!warm::WriteAll(c.response_fd, Response(o))) return PyErr_SetFromErrno(PyExc_OSError);
    if (!o.retire.empty()) break;
  }
  return Py_BuildValue("(OOO)", Py_False, Py_None, Py_None);
}

// protect(): orphans of a candidate come to the worker (a child subreaper,
// so it can kill them), and no candidate can read or write the worker's
// memory or descriptors through /proc or ptrace (not dumpable).
PyObject* Protect(PyObject*, PyObject*) {
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0 || prctl(PR_SET_DUMPABLE, 0) != 0) {
    return PyErr_SetFromErrno(PyExc_OSError);
  }
  Py_RETURN_NONE;
}

PyMethodDef kMethods[] = {
    {"protect", Protect, METH_NOARGS, "Makes the worker a subreaper that is not dumpable."},
    {"serve", Serve, METH_VARARGS, "The warm worker's loop: a fork per request (warm_fork.cc)."},
    {nullptr, nullptr, 0, nullptr},
};

PyModuleDef kModule = {
    PyModuleDef_HEAD_INIT, "_crucible_warm_fork", "The warm worker's per-candidate loop.", -1, kMethods,
    nullptr, nullptr, nullptr, nullptr,
};

}  // namespace

extern "C" PyMODINIT_FUNC PyInit__crucible_warm_fork(void) { return PyModule_Create(&kModule); }
