// RunStore: a run's database (`run.db`), the durable record of every
// candidate, the engine's resumable state and its event log. The format is
// documented, with its version and migration policy, in docs/run-database.md.
//
// Contract:
//  * Threads. One RunStore object is used by one thread: in the engine, the
//    orchestrator, the only writer of a run. Its methods are not guarded by a
//    lock; give another thread its own read-only RunStore instead. A
//    read-write RunStore owns one background thread, with its own
//    connection, that checkpoints the WAL (docs); it touches nothing else and
//    is joined by the destructor. A process that forks while a writer is open
//    should exec (or _exit) in the child without using the store.
//  * Processes. Any number of read-only RunStores may be opened on the same
//    file by other processes (the dashboard, `crucible list`) while the run is
//    writing: the database is in WAL mode, so readers see the last committed
//    transaction and never block the writer, nor the writer them. Opening two
//    writers on one run is not detected here; the engine's run lock does that.
//  * Durability. Each write method is one transaction. When it returns OK the
//    data survives a crash (or SIGKILL) of the process. With
//    synchronous=NORMAL the most recent transactions may be lost on power loss
//    or an operating-system crash; the database stays consistent either way.
//    A writer writes each commit's WAL frames with one system call
//    (store/wal_buffer.h); that changes none of this.
//  * Read-only stores never modify the database. They may create the -wal and
//    -shm files that WAL mode needs when those do not exist yet (docs).
//  * Errors name the database path and the operation. kUnavailable means the
//    database was busy (retry), kDataLoss that it is damaged or foreign.
#ifndef CRUCIBLE_STORE_RUN_STORE_H_
#define CRUCIBLE_STORE_RUN_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/candidate.h"
#include "core/clock.h"
#include "core/llm_call.h"
#include "core/objective.h"
#include "core/outcome.h"
#include "core/status.h"

namespace crucible {

// The run database format version written by this binary. Bump it, and add a
// migration, for any change to the schema or to a column's encoding.
// Version 2 added the llm_calls table; version 3 dropped two unused indexes;
// version 4 added the llm_notes table (the LLM proposer's scratchpad);
// version 5 added the tunings table (the evaluations of constant tunings).
// Older files are upgraded in place when opened for writing, and read as they
// are otherwise.
inline constexpr int kRunSchemaVersion = 5;

struct RunMetadata {
  int schema_version = kRunSchemaVersion;
  std::string crucible_version;
  std::string problem_name;
  std::string problem_dir;  // absolute path
  std::string config_json;  // the frozen effective configuration (JSON text; "" = none)
  uint64_t seed = 0;
  bool deterministic = false;
  double created_unix = 0;
};

// Pending = proposed and recorded, result not yet in.
enum class CandidateStatus { kPending, kDone };

// A stored candidate and its status. For a pending candidate
// `candidate.result` and `candidate.duplicate_of` hold their defaults.
struct CandidateRow {
  Candidate candidate;
  CandidateStatus status = CandidateStatus::kPending;
  double completed_unix = 0;  // when the result was recorded; 0 while pending
};

struct OutcomeCount {
  Outcome outcome;
  int64_t count;
};

// How a RunStore behaves; RunStore::Options.
struct RunStoreOptions {
  // Stamps completion times. Not owned; null means the system clock.
  const Clock* clock = nullptr;
  // WAL size, in frames (one page, 4 KiB, each), at which a background
  // thread copies the WAL into the database file (a checkpoint), so that
  // the writer never waits for a checkpoint's fsyncs.
  int checkpoint_frames = 1000;
  // WAL size at which the writer checkpoints itself, waiting, because the
  // background thread has fallen behind; bounds the WAL file.
  int blocking_checkpoint_frames = 16000;
  // Told of each candidate row a multi-row read (LoadCandidates,
  // TopByObjective) skips because a value in it is malformed (kDataLoss
  // naming the path, the id and the column): one bad row must not make the
  // whole run unreadable. Null: a "crucible: warning: ..." line on stderr.
  std::function<void(const Status&)> on_skipped_row = nullptr;

  // kInvalidArgument unless 0 < checkpoint_frames <= blocking_checkpoint_frames.
  Status Validate() const;
};

class RunStore {
 public:
  enum class Mode { kReadWrite, kReadOnly };

  using Options = RunStoreOptions;

  // Creates the database at `path` with the schema and `metadata`. The file
  // must not exist (kAlreadyExists otherwise); its directory must (kNotFound).
  static StatusOr<std::unique_ptr<RunStore>> Create(const std::string& path,
                                                    const RunMetadata& metadata,
                                                    const Options& options = {});
  // Opens an existing run database. kNotFound if `path` does not exist;
  // kFailedPrecondition if it was written by a newer crucible (the message
  // names both schema versions); kDataLoss if it is not a crucible run
  // database or is corrupt (the message names the path).
  static StatusOr<std::unique_ptr<RunStore>> Open(const std::string& path, Mode mode,
                                                  const Options& options = {});

  RunStore(const RunStore&) = delete;
  RunStore& operator=(const RunStore&) = delete;
  ~RunStore();

  const RunMetadata& metadata() const { return metadata_; }
  const std::string& path() const { return path_; }
  Mode mode() const { return mode_; }

  // --- Writes (kFailedPrecondition on a read-only store). Each is ONE
  // transaction together with its `state` entries.

  // Records `c` as pending: program, lineage, proposal; no result.
  // kInvalidArgument if c.id < 0 or c.proposal.detail_json is not JSON;
  // kAlreadyExists if the id is taken.
  Status InsertPending(const Candidate& c, const std::map<std::string, std::string>& state = {});
  // Records the result of pending candidate `id`; its status becomes done.
  // kNotFound for an unknown id, kFailedPrecondition if it is already done.
  Status Complete(CandidateId id, const EvalResult& result,
                  CandidateId duplicate_of = kNoCandidate,
                  const std::map<std::string, std::string>& state = {});
  // Records a finished candidate in one step (the initial program, duplicates,
  // rejected candidates): everything InsertPending and Complete would.
  Status InsertDone(const Candidate& c, const std::map<std::string, std::string>& state = {});

  // Groups the writes that follow, until CommitBatch(), into one transaction:
  // one commit for many candidates, which is where a write's cost lies. Each
  // write stays all-or-nothing on its own (a savepoint), but none is durable
  // before CommitBatch() returns OK — callers must not act on a write (e.g.
  // let the archive see a result) before that. kFailedPrecondition when a
  // batch is already open (BeginBatch) or none is (CommitBatch); a failed
  // commit rolls the whole batch back.
  Status BeginBatch();
  Status CommitBatch();

  // Engine state that must survive a restart (rng state, archive snapshot...).
  Status PutState(const std::string& key, const std::string& value);
  StatusOr<std::optional<std::string>> GetState(const std::string& key) const;

  // The event log: `json` is a JSON text ("" allowed); kInvalidArgument if not.
  Status AppendEvent(double unix_time, const std::string& kind, const std::string& json);
  struct Event {
    int64_t seq;
    double unix_time;
    std::string kind;
    std::string json;
  };
  // Events with seq > after_seq in seq order, at most `limit` of them.
  StatusOr<std::vector<Event>> LoadEvents(int64_t after_seq = 0, int limit = 1000) const;

  // Appends language-model call records (one transaction, or part of the
  // open batch). kAlreadyExists if an id is taken.
  Status InsertLlmCalls(const std::vector<LlmCallRecord>& calls);

  // Appends scratchpad versions (one transaction, or part of the open batch).
  Status InsertLlmNotes(const std::vector<LlmNoteRecord>& notes);

  // --- Reads.

  // Every llm_notes row in id order (none before schema 4).
  StatusOr<std::vector<LlmNoteRecord>> LoadLlmNotes() const;

  // Every llm_calls row in id order (none for a schema-1 database).
  StatusOr<std::vector<LlmCallRecord>> LoadLlmCalls() const;

  // All candidates ordered by id (optionally only those with one status).
  StatusOr<std::vector<CandidateRow>> LoadCandidates(
      std::optional<CandidateStatus> only = {}) const;
  StatusOr<std::optional<CandidateRow>> LoadCandidate(CandidateId id) const;
  // The k best done candidates by the objective (its key and direction), best
  // first, ties by lower id: the one "best" of a run, used by the engine's
  // run driver (best/, held-out), the cli and the dashboard. Only outcome ok
  // with a value counts, and, when `final_stage` is not empty, only results
  // of that cascade stage (or of no stage): a candidate a cascade stopped
  // early is not in the archive either (archive/entry.h). "score" is an
  // index walk; a metric key scans the done rows in SQL.
  StatusOr<std::vector<CandidateRow>> TopByObjective(const Objective& objective, int k,
                                                     std::string_view final_stage = {}) const;
  // Done candidates per outcome, in kAllOutcomes order, outcomes with a
  // non-zero count only.
  StatusOr<std::vector<OutcomeCount>> CountOutcomes() const;
  StatusOr<CandidateId> MaxCandidateId() const;  // kNoCandidate when empty
  StatusOr<int64_t> CountCandidates() const;

 private:
  struct Impl;  // the connection and its prepared statements (run_store.cc)
  RunStore(std::unique_ptr<Impl> impl, RunMetadata metadata, std::string path, Mode mode);

  Status CheckWritable(std::string_view operation) const;
  Status WriteCandidate(const Candidate& c, bool done,
                        const std::map<std::string, std::string>& state);

  std::unique_ptr<Impl> impl_;
  RunMetadata metadata_;
  std::string path_;
  Mode mode_;
};

std::string_view CandidateStatusName(CandidateStatus status);  // "pending" / "done"

}  // namespace crucible

#endif  // CRUCIBLE_STORE_RUN_STORE_H_
