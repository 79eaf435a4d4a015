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

// Only these three: every candidate compiles this header, and each standard
// header costs compile time per candidate (the parser's are below, behind a
// macro only the driver and crucible define).
#include <cstdint>
#include <span>
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
  int32_t key_count = 0;  // keys are dense ids 0 .. key_count - 1

  int32_t num_txns() const { return static_cast<int32_t>(length.size()); }
  int32_t num_keys() const { return key_count; }
  std::span<const TxnOp> OpsOf(int32_t txn) const {
    return {ops.data() + op_begin[txn], ops.data() + op_begin[txn + 1]};
  }
};

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
inline ScheduleState::ScheduleState(const Workload& workload)
    : workload_(&workload),
      last_any_(static_cast<size_t>(workload.num_keys()), 0),
      last_write_(static_cast<size_t>(workload.num_keys()), 0) {}

inline void ScheduleState::Reset() {
  last_any_.assign(last_any_.size(), 0);
  last_write_.assign(last_write_.size(), 0);
  makespan_ = 0;
}

inline int32_t ScheduleState::EarliestStart(int32_t txn) const {
  int32_t start = 1;
  for (const TxnOp& op : workload_->OpsOf(txn)) {
    // A write follows every access of its key, a read every write; the
    // original's "last + 1 - p + 1" with p = offset + 1. No branch for a key
    // without history: last = 0 gives 1 - offset <= 1 = the initial start.
    const int32_t last = op.write ? last_any_[op.key] : last_write_[op.key];
    const int32_t after = last - op.offset + 1;
    if (after > start) start = after;
  }
  return start;
}

inline int32_t ScheduleState::MakespanIfAppended(int32_t txn) const {
  // The original's quirk: a transaction without any read or write ends at 0.
  if (workload_->op_begin[txn] == workload_->op_begin[txn + 1]) return makespan_;
  const int32_t end = EarliestStart(txn) + workload_->length[txn] - 1;
  return end > makespan_ ? end : makespan_;
}

inline int32_t ScheduleState::Append(int32_t txn) {
  const std::span<const TxnOp> ops = workload_->OpsOf(txn);
  if (ops.empty()) return makespan_;
  const int32_t start = EarliestStart(txn);
  const int32_t end = start + workload_->length[txn] - 1;
  if (end > makespan_) makespan_ = end;
  for (const TxnOp& op : ops) {
    const int32_t slot = start + op.offset;
    if (slot > last_any_[op.key]) last_any_[op.key] = slot;
    if (op.write && slot > last_write_[op.key]) last_write_[op.key] = slot;
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

// The workload parser, for the driver and crucible only (they define
// CRUCIBLE_TXN_SCHEDULING_PARSER); candidates receive parsed workloads.
#ifdef CRUCIBLE_TXN_SCHEDULING_PARSER
#include <string>
#include <string_view>
#include <unordered_map>

namespace crucible::txn {

// Parses one transaction per line ("r-K", "w-K" or "*" tokens separated by
// single spaces). Returns false and sets `error` (naming the line and token)
// on a malformed line; an empty text is an error too.
// `key_names` receives the key string of each dense id.
bool ParseWorkload(std::string_view text, Workload& out, std::vector<std::string>& key_names,
                   std::string& error);

namespace internal {

inline bool IsDecimalKey(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace internal

inline bool ParseWorkload(std::string_view text, Workload& out, std::vector<std::string>& key_names,
                          std::string& error) {
  out = Workload{};
  key_names.clear();
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
        auto [it, inserted] = key_ids.try_emplace(key, static_cast<int32_t>(key_names.size()));
        if (inserted) key_names.push_back(key);
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
  out.key_count = static_cast<int32_t>(key_names.size());
  if (out.length.empty()) {
    error = "no transactions";
    return false;
  }
  return true;
}

}  // namespace crucible::txn

#endif  // CRUCIBLE_TXN_SCHEDULING_PARSER

#endif  // CRUCIBLE_PROBLEMS_TXN_SCHEDULING_TXN_SCHEDULING_H_
