// The warm worker's requests, read and acted on in C++ (warm_fork.cc's
// serve loop): one JSON line from crucible per candidate
// (docs/openevolve.md, "Warm evaluators"), the candidate's files written
// where worker.py's place_candidate writes them, and its variables set in
// the worker's environment before the fork. Nothing here runs Python but
// the os.environ updates, and only for variables whose value changed since
// the previous candidate.
#ifndef CRUCIBLE_EVALUATE_WARM_REQUEST_H_
#define CRUCIBLE_EVALUATE_WARM_REQUEST_H_

#define PY_SSIZE_T_CLEAN
#define Py_LIMITED_API 0x03070000
#include <Python.h>

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace crucible::warm {

struct Request {
  std::vector<std::pair<std::string, std::string>> files;  // path, text
  std::optional<std::string> candidate_dir;                // when crucible wrote the files
  std::map<std::string, std::string> env;
  double timeout = 0;
  double cpu_seconds = 0;
};

// Writes all of `s` to `fd` (interrupted writes retried); false on an error.
bool WriteAll(int fd, const std::string& s);

// Reads request lines from a descriptor (crucible's FIFO).
class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd) {}
  // The next line without its newline; nullopt at the end of the stream.
  std::optional<std::string> Next();

 private:
  int fd_;
  std::string buffer_;
  size_t start_ = 0;
};

// The request in `line`, or an error naming what is wrong with it.
std::optional<Request> ParseRequest(const std::string& line, std::string* error);

// Writes the request's files below `root` (made 0700; files 0444 and
// directories 0555 after, so the candidate, their owner, finds them
// read-only and importlib writes no .pyc) and returns the program's path,
// or an empty string and `error`. A path that is not a plain relative one
// below `root` is refused.
std::string PlaceCandidate(const Request& request, const std::string& root, const std::string& program,
                           std::string* error);

// The candidate's variables in os.environ (which also putenv()s them, so
// programs the evaluator starts see them too). Keeps what each variable
// was before the first candidate that set it, and puts that back when a
// later request does not set it: the child of each request sees the
// worker's own environment plus that request's, as a fresh process would.
class Environment {
 public:
  // `environ` is os.environ (a borrowed reference the module keeps alive).
  explicit Environment(PyObject* environ) : environ_(environ) {}
  // False with a Python error set when os.environ refused a value.
  bool Apply(const std::map<std::string, std::string>& env);

 private:
  bool Set(const std::string& key, const std::optional<std::string>& value);

  PyObject* environ_;
  std::map<std::string, std::string> applied_;                  // the last request's
  std::map<std::string, std::optional<std::string>> original_;  // before any request
};

}  // namespace crucible::warm

#endif  // CRUCIBLE_EVALUATE_WARM_REQUEST_H_
