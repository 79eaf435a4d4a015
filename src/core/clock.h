// Clock: the engine's only source of time, so tests can run without sleeping.
#ifndef CRUCIBLE_CORE_CLOCK_H_
#define CRUCIBLE_CORE_CLOCK_H_

#include <atomic>
#include <chrono>

namespace crucible {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic seconds since an arbitrary origin.
  virtual double NowSeconds() const = 0;
  // Wall-clock seconds since the Unix epoch (for records shown to people).
  virtual double UnixSeconds() const = 0;
};

class SystemClock final : public Clock {
 public:
  double NowSeconds() const override {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  double UnixSeconds() const override {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// A clock that moves only when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(double start = 0) : now_(start) {}
  double NowSeconds() const override { return now_.load(); }
  double UnixSeconds() const override { return 1.7e9 + now_.load(); }
  void Advance(double seconds) { now_.store(now_.load() + seconds); }

 private:
  std::atomic<double> now_;
};

}  // namespace crucible

#endif  // CRUCIBLE_CORE_CLOCK_H_
