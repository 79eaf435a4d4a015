// Checkpointer: copies a writer's WAL back into the database file on a thread
// of its own, so that the writer (the orchestrator) does not wait for a
// checkpoint's fsyncs. Private to the store component.
//
// A checkpoint loses nothing if it fails or never runs: the data stays in the
// WAL, which every reader consults, and the next checkpoint (at the latest
// the one SQLite runs when the last connection closes) copies it. What a
// missed checkpoint costs is WAL growth, which the writer bounds itself
// (RunStore::Options::blocking_checkpoint_frames).
//
// Thread safety: all methods may be called from any thread. The connection
// is the checkpointer's own and is used under checkpoint_mu_.
#ifndef CRUCIBLE_STORE_CHECKPOINTER_H_
#define CRUCIBLE_STORE_CHECKPOINTER_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>

#include "core/status.h"
#include "store/sqlite.h"

namespace crucible {

class Checkpointer {
 public:
  // Opens a second read-write connection to the run database at `path` and
  // starts the thread.
  static StatusOr<std::unique_ptr<Checkpointer>> Start(const std::string& path);
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;
  // Stops and joins the thread (after a checkpoint in progress), then closes
  // the connection.
  ~Checkpointer();

  // Asks for a checkpoint and returns at once; requests made while one is
  // pending are merged.
  void Request();
  // Checkpoints now, on the calling thread, after waiting for a checkpoint in
  // progress (SQLite would refuse a second one at the same time). For a
  // writer whose WAL has outgrown the background thread.
  void CheckpointNow();
  // Checkpoints completed so far (for tests and benchmarks).
  int64_t completed() const;

 private:
  explicit Checkpointer(std::unique_ptr<sqlite::Database> db);
  void Run(std::stop_token stop);

  std::mutex checkpoint_mu_;               // held while db_ is in use
  std::unique_ptr<sqlite::Database> db_;  // guarded by checkpoint_mu_
  mutable std::mutex mu_;
  std::condition_variable_any wake_;
  bool requested_ = false;  // guarded by mu_
  int64_t completed_ = 0;   // guarded by mu_
  std::jthread thread_;     // last: starts after, and stops before, the rest
};

}  // namespace crucible

#endif  // CRUCIBLE_STORE_CHECKPOINTER_H_
