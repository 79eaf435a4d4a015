// Status and StatusOr<T>: crucible's error vocabulary across component
// boundaries (Abseil-style). A failing *candidate* is not an error: it is data
// (an Outcome). A Status is for the engine's own operations: a missing file, a
// malformed config, a database that cannot be opened.
//
// What each code asks of the caller:
//   kInvalidArgument   the input is wrong; never retry, tell the user.
//   kNotFound          a named thing does not exist.
//   kAlreadyExists     refusing to overwrite something.
//   kFailedPrecondition the system is not in a state to do this (e.g. a run
//                      directory from an incompatible schema version).
//   kUnavailable       transient; retrying the same call may succeed.
//   kResourceExhausted a budget or limit was hit; back off.
//   kDeadlineExceeded  the operation ran out of time.
//   kCancelled         the caller asked to stop.
//   kDataLoss          stored data is corrupt.
//   kInternal          a bug or an unexpected system failure.
#ifndef CRUCIBLE_CORE_STATUS_H_
#define CRUCIBLE_CORE_STATUS_H_

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace crucible {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kUnavailable,
  kResourceExhausted,
  kDeadlineExceeded,
  kCancelled,
  kDataLoss,
  kInternal,
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "INVALID_ARGUMENT: message" or "OK".
  std::string ToString() const;

  // Returns this status with `context + ": "` prepended to the message.
  Status WithContext(std::string_view context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgumentError(std::string m) {
  return Status(StatusCode::kInvalidArgument, std::move(m));
}
inline Status NotFoundError(std::string m) { return Status(StatusCode::kNotFound, std::move(m)); }
inline Status AlreadyExistsError(std::string m) {
  return Status(StatusCode::kAlreadyExists, std::move(m));
}
inline Status FailedPreconditionError(std::string m) {
  return Status(StatusCode::kFailedPrecondition, std::move(m));
}
inline Status UnavailableError(std::string m) {
  return Status(StatusCode::kUnavailable, std::move(m));
}
inline Status ResourceExhaustedError(std::string m) {
  return Status(StatusCode::kResourceExhausted, std::move(m));
}
inline Status DeadlineExceededError(std::string m) {
  return Status(StatusCode::kDeadlineExceeded, std::move(m));
}
inline Status CancelledError(std::string m) {
  return Status(StatusCode::kCancelled, std::move(m));
}
inline Status DataLossError(std::string m) { return Status(StatusCode::kDataLoss, std::move(m)); }
inline Status InternalError(std::string m) { return Status(StatusCode::kInternal, std::move(m)); }

// StatusOr<T> holds either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(const T& value) : value_(value) {}  // NOLINT: implicit by design
  StatusOr(T&& value) : value_(std::move(value)) {}  // NOLINT
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT
    assert(!status_.ok() && "StatusOr built from an OK status carries no value");
    if (status_.ok()) status_ = InternalError("StatusOr constructed from OK status");
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  // The value, or `fallback` when there is none (the status is dropped).
  template <typename U>
  T value_or(U&& fallback) const& {
    return ok() ? *value_ : static_cast<T>(std::forward<U>(fallback));
  }
  template <typename U>
  T value_or(U&& fallback) && {
    return ok() ? std::move(*value_) : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace crucible

#define CRUCIBLE_CONCAT_INNER_(a, b) a##b
#define CRUCIBLE_CONCAT_(a, b) CRUCIBLE_CONCAT_INNER_(a, b)

// RETURN_IF_ERROR(expr): returns the Status from the enclosing function if
// `expr` is not OK.
#define RETURN_IF_ERROR(expr)                          \
  do {                                                 \
    ::crucible::Status crucible_status_ = (expr);      \
    if (!crucible_status_.ok()) return crucible_status_; \
  } while (0)

// ASSIGN_OR_RETURN(lhs, expr): evaluates a StatusOr expression; returns its
// status on error, otherwise moves the value into `lhs` (which may declare).
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(CRUCIBLE_CONCAT_(crucible_statusor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                           \
  if (!tmp.ok()) return tmp.status();          \
  lhs = std::move(tmp).value()

#endif  // CRUCIBLE_CORE_STATUS_H_
