// txn_scheduling.h: the transaction-scheduling problem as a candidate sees it
// (it is written next to the candidate as "txn_scheduling.h") and as crucible
// uses it. It holds the simulator: the exact semantics of ADRS's
// `Workload.get_opt_seq_cost` (shared/problems/txn_scheduling.md §3), with
// time in integers and two integers of history per key (lastAny, lastWrite),
// which the spec shows is equivalent to the original's sorted per-key lists.
//
// A schedule is a placement-priority order: each transaction, in order, starts
// at the earliest slot where every write follows the latest access of its key
// and every read follows the latest write of its key, counting only
// transactions placed before it. The makespan is the largest end slot.
//
// Header-only and standard-library-only, so the same code is the candidate's
// cost oracle; the harness recomputes every makespan with its own copy and
// never trusts a number the candidate computes.
//
// Thread safety: a Workload is immutable after parsing and may be shared;
// a ScheduleState belongs to one thread.
#ifndef CRUCIBLE_PROBLEMS_TXN_SCHEDULING_TXN_SCHEDULING_H_
#define CRUCIBLE_PROBLEMS_TXN_SCHEDULING_TXN_SCHEDULING_H_

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace crucible::txn {

// One read or write of a transaction. `offset` is the token's 0-based
// position (the spec's p - 1), so it executes in slot start + offset.
struct TxnOp {
  int32_t key = 0;  // dense id; equal ids iff equal key strings
  int32_t offset = 0;
  bool write = false;
};

// A parsed workload. Ops are stored flat: transaction t owns
// ops[op_begin[t] .. op_begin[t + 1]).
struct Workload {
  std::vector<int32_t> length;    // tokens of each transaction, '*' included
  std::vector<int32_t> op_begin;  // size num_txns() + 1
  std::vector<TxnOp> ops;
  std::vector<std::string> key_names;  // dense id -> key string

  int32_t num_txns() const { return static_cast<int32_t>(length.size()); }
  int32_t num_keys() const { return static_cast<int32_t>(key_names.size()); }
  std::span<const TxnOp> OpsOf(int32_t txn) const {
    return {ops.data() + op_begin[txn], ops.data() + op_begin[txn + 1]};
  }
};

// Parses one transaction per line ("r-K", "w-K" or "*" tokens separated by
// single spaces). Returns false and sets `error` (naming the line and token)
// on a malformed line; an empty text is an error too.
bool ParseWorkload(std::string_view text, Workload& out, std::string& error);

// The state of a partly placed schedule: per-key history and the makespan.
// Appending is O(ops of the transaction); copying is O(keys), which is how
// a search keeps a prefix and tries extensions.
class ScheduleState {
 public:
  explicit ScheduleState(const Workload& workload);

  // Forgets every placed transaction.
  void Reset();
  // Places `txn` (0 <= txn < num_txns; not checked) after the ones already
  // placed and returns the new makespan. Repeated transactions are simulated
  // as the original does; validators reject them separately.
  int32_t Append(int32_t txn);
  // The makespan Append(txn) would return, without placing it.
  int32_t MakespanIfAppended(int32_t txn) const;
  // The slot where `txn` would start if appended now.
  int32_t EarliestStart(int32_t txn) const;
  int32_t makespan() const { return makespan_; }

 private:
  const Workload* workload_;
  std::vector<int32_t> last_any_;    // 0 = key never accessed (slots start at 1)
  std::vector<int32_t> last_write_;  // 0 = key never written
  int32_t makespan_ = 0;
};

// The makespan of `seq` (a prefix or any sequence of valid indices), as
// get_opt_seq_cost computes it.
int32_t Makespan(const Workload& workload, std::span<const int32_t> seq);

// ---- implementation ----
namespace internal {

inline bool IsDecimalKey(std::string_view key) {
  if (key.empty()) return false;
  return std::all_of(key.begin(), key.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace internal

inline bool ParseWorkload(std::string_view text, Workload& out, std::string& error) {
  out = Workload{};
  std::unordered_map<std::string, int32_t> key_ids;
  out.op_begin.push_back(0);
  int line_no = 0;
  while (!text.empty()) {
    const size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    ++line_no;
    if (line.empty()) {
      error = "line " + std::to_string(line_no) + ": empty transaction";
      return false;
    }
    int32_t position = 0;
    while (true) {
      const size_t space = line.find(' ');
      const std::string_view token = line.substr(0, space);
      if (token == "*") {
        // A filler step: one time unit, no op.
      } else if (token.size() > 2 && (token[0] == 'r' || token[0] == 'w') && token[1] == '-' &&
                 internal::IsDecimalKey(token.substr(2))) {
        const std::string key(token.substr(2));
        auto [it, inserted] = key_ids.try_emplace(key, static_cast<int32_t>(out.key_names.size()));
        if (inserted) out.key_names.push_back(key);
        out.ops.push_back(TxnOp{it->second, position, token[0] == 'w'});
      } else {
        error = "line " + std::to_string(line_no) + ": bad token '" + std::string(token) +
                "' (expected r-KEY, w-KEY or *, separated by single spaces)";
        return false;
      }
      ++position;
      if (space == std::string_view::npos) break;
      line = line.substr(space + 1);
    }
    out.length.push_back(position);
    out.op_begin.push_back(static_cast<int32_t>(out.ops.size()));
  }
  if (out.length.empty()) {
    error = "no transactions";
    return false;
  }
  return true;
}

inline ScheduleState::ScheduleState(const Workload& workload)
    : workload_(&workload),
      last_any_(static_cast<size_t>(workload.num_keys()), 0),
      last_write_(static_cast<size_t>(workload.num_keys()), 0) {}

inline void ScheduleState::Reset() {
  std::fill(last_any_.begin(), last_any_.end(), 0);
  std::fill(last_write_.begin(), last_write_.end(), 0);
  makespan_ = 0;
}

inline int32_t ScheduleState::EarliestStart(int32_t txn) const {
  int32_t start = 1;
  for (const TxnOp& op : workload_->OpsOf(txn)) {
    // A write follows every access of its key, a read every write; the
    // original's "last + 1 - p + 1" with p = offset + 1. No branch for a key
    // without history: last = 0 gives 1 - offset <= 1 = the initial start.
    const int32_t last = op.write ? last_any_[op.key] : last_write_[op.key];
    start = std::max(start, last - op.offset + 1);
  }
  return start;
}

inline int32_t ScheduleState::MakespanIfAppended(int32_t txn) const {
  // The original's quirk: a transaction without any read or write ends at 0.
  if (workload_->op_begin[txn] == workload_->op_begin[txn + 1]) return makespan_;
  return std::max(makespan_, EarliestStart(txn) + workload_->length[txn] - 1);
}

inline int32_t ScheduleState::Append(int32_t txn) {
  const std::span<const TxnOp> ops = workload_->OpsOf(txn);
  if (ops.empty()) return makespan_;
  const int32_t start = EarliestStart(txn);
  makespan_ = std::max(makespan_, start + workload_->length[txn] - 1);
  for (const TxnOp& op : ops) {
    const int32_t slot = start + op.offset;
    last_any_[op.key] = std::max(last_any_[op.key], slot);
    if (op.write) last_write_[op.key] = std::max(last_write_[op.key], slot);
  }
  return makespan_;
}

inline int32_t Makespan(const Workload& workload, std::span<const int32_t> seq) {
  ScheduleState state(workload);
  for (int32_t t : seq) state.Append(t);
  return state.makespan();
}

// The candidate's function: a schedule (a permutation of 0..num_txns-1) for
// `workload`. It is called once per workload; `seed` differs between calls
// and evaluations, so use it (not the clock) for any randomness.
std::vector<int32_t> ScheduleTransactions(const Workload& workload, uint64_t seed);

}  // namespace crucible::txn

namespace txn = ::crucible::txn;

#endif  // CRUCIBLE_PROBLEMS_TXN_SCHEDULING_TXN_SCHEDULING_H_
