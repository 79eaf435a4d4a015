#include "evaluate/warm_request.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include <nlohmann/json.hpp>

namespace crucible::warm {
namespace {

std::string Errno(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

// `path` as components below a root, "." and empty ones dropped and ".."
// applied (as os.path.normpath); nullopt when it is absolute, empty or
// leaves the root.
std::optional<std::vector<std::string>> RelativeComponents(const std::string& path) {
  if (path.empty() || path[0] == '/' || path.find('\0') != std::string::npos) return std::nullopt;
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    const std::string part = path.substr(start, end - start);
    if (part == "..") {
      if (parts.empty()) return std::nullopt;
      parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    start = end + 1;
  }
  if (parts.empty()) return std::nullopt;
  return parts;
}

bool WriteFile(const std::string& path, const std::string& text, std::string* error) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = Errno("cannot create", path);
    return false;
  }
  if (!WriteAll(fd, text)) {
    *error = Errno("cannot write", path);
    close(fd);
    return false;
  }
  if (close(fd) != 0 || chmod(path.c_str(), 0444) != 0) {
    *error = Errno("cannot finish", path);
    return false;
  }
  return true;
}

PyObject* Text(const std::string& s) {
  return PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "surrogateescape");
}

}  // namespace

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

std::optional<std::string> LineReader::Next() {
  while (true) {
    const size_t newline = buffer_.find('\n', start_);
    if (newline != std::string::npos) {
      std::string line = buffer_.substr(start_, newline - start_);
      start_ = newline + 1;
      if (start_ == buffer_.size()) {
        buffer_.clear();
        start_ = 0;
      }
      return line;
    }
    if (start_ > 0) {
      buffer_.erase(0, start_);
      start_ = 0;
    }
    char chunk[65536];
    const ssize_t got = read(fd_, chunk, sizeof(chunk));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return std::nullopt;  // crucible closed the stream (or it broke)
    buffer_.append(chunk, static_cast<size_t>(got));
  }
}

std::optional<Request> ParseRequest(const std::string& line, std::string* error) {
  const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  if (!j.is_object()) {
    *error = "the request is not a JSON object";
    return std::nullopt;
  }
  Request r;
  const auto files = j.find("files");
  if (files != j.end()) {
    if (!files->is_array()) {
      *error = "\"files\" is not a list";
      return std::nullopt;
    }
    for (const nlohmann::json& f : *files) {
      if (!f.is_array() || f.size() != 2 || !f[0].is_string() || !f[1].is_string()) {
        *error = "a file of \"files\" is not a [path, text] pair";
        return std::nullopt;
      }
      r.files.emplace_back(f[0].get<std::string>(), f[1].get<std::string>());
    }
  } else {
    const auto dir = j.find("candidate_dir");
    if (dir == j.end() || !dir->is_string()) {
      *error = "the request has neither \"files\" nor \"candidate_dir\"";
      return std::nullopt;
    }
    r.candidate_dir = dir->get<std::string>();
  }
  const auto env = j.find("env");
  if (env != j.end()) {
    if (!env->is_object()) {
      *error = "\"env\" is not an object";
      return std::nullopt;
    }
    for (const auto& [key, value] : env->items()) {
      if (!value.is_string()) {
        *error = "the value of variable " + key + " is not a string";
        return std::nullopt;
      }
      r.env[key] = value.get<std::string>();
    }
  }
  const auto timeout = j.find("timeout");
  if (timeout == j.end() || !timeout->is_number() || !(timeout->get<double>() > 0)) {
    *error = "\"timeout\" is not a positive number";
    return std::nullopt;
  }
  r.timeout = timeout->get<double>();
  const auto cpu = j.find("cpu_seconds");
  if (cpu != j.end() && cpu->is_number()) r.cpu_seconds = cpu->get<double>();
  return r;
}

std::string PlaceCandidate(const Request& request, const std::string& root, const std::string& program,
                           std::string* error) {
  if (request.candidate_dir) return *request.candidate_dir + "/" + program;
  if (mkdir(root.c_str(), 0700) != 0) {
    *error = Errno("cannot make", root);
    return "";
  }
  std::set<std::string> dirs = {root};
  for (const auto& [path, text] : request.files) {
    const auto parts = RelativeComponents(path);
    if (!parts) {
      *error = "the program's file path '" + path + "' is not a plain relative path";
      return "";
    }
    std::string full = root;
    for (size_t i = 0; i + 1 < parts->size(); ++i) {
      full += "/" + (*parts)[i];
      if (dirs.insert(full).second && mkdir(full.c_str(), 0777) != 0 && errno != EEXIST) {
        *error = Errno("cannot make", full);
        return "";
      }
    }
    full += "/" + parts->back();
    if (!WriteFile(full, text, error)) return "";
  }
  // Read-only by mode: the candidate, their owner, could chmod them back
  // (they are its own files, removed after it; a cold candidate's are on a
  // read-only mount). This also keeps importlib from writing a .pyc.
  for (const std::string& dir : dirs) {
    if (chmod(dir.c_str(), 0555) != 0) {
      *error = Errno("cannot protect", dir);
      return "";
    }
  }
  return root + "/" + program;
}

bool Environment::Apply(const std::map<std::string, std::string>& env) {
  std::map<std::string, std::string> wanted;
  for (const auto& [key, value] : env) {
    if (key != "CRUCIBLE_RESULT_FD") wanted[key] = value;  // the child's is its own pipe
  }
  for (const auto& [key, value] : wanted) {
    const auto it = applied_.find(key);
    if ((it == applied_.end() || it->second != value) && !Set(key, value)) return false;
  }
  for (const auto& [key, value] : applied_) {
    if (wanted.count(key) == 0 && !Set(key, original_[key])) return false;
  }
  applied_ = std::move(wanted);
  return true;
}

bool Environment::Set(const std::string& key, const std::optional<std::string>& value) {
  PyObject* k = Text(key);
  if (k == nullptr) return false;
  if (original_.count(key) == 0) {
    PyObject* before = PyObject_GetItem(environ_, k);
    if (before == nullptr) {
      PyErr_Clear();  // KeyError: the worker did not have it
      original_[key] = std::nullopt;
    } else {
      PyObject* bytes = PyUnicode_AsEncodedString(before, "utf-8", "surrogateescape");
      Py_DECREF(before);
      if (bytes == nullptr) {
        Py_DECREF(k);
        return false;
      }
      original_[key] = std::string(PyBytes_AsString(bytes), static_cast<size_t>(PyBytes_Size(bytes)));
      Py_DECREF(bytes);
    }
  }
  int status;
  if (value) {
    PyObject* v = Text(*value);
    status = v == nullptr ? -1 : PyObject_SetItem(environ_, k, v);
    Py_XDECREF(v);
  } else {
    status = PyObject_DelItem(environ_, k);
    if (status != 0 && PyErr_ExceptionMatches(PyExc_KeyError)) {
      PyErr_Clear();
      status = 0;
    }
  }
  Py_DECREF(k);
  return status == 0;
}

}  // namespace crucible::warm
