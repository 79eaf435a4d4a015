#include "store/checkpointer.h"

#include <utility>

namespace crucible {

StatusOr<std::unique_ptr<Checkpointer>> Checkpointer::Start(const std::string& path) {
  ASSIGN_OR_RETURN(auto db, sqlite::Database::Open(path, sqlite::OpenMode::kReadWrite));
  // Opening the connection's WAL needs one read; until then a checkpoint
  // request on it would find no WAL and do nothing.
  RETURN_IF_ERROR(db->Exec("SELECT count(*) FROM meta", "open checkpointer"));
  return std::unique_ptr<Checkpointer>(new Checkpointer(std::move(db)));
}

Checkpointer::Checkpointer(std::unique_ptr<sqlite::Database> db)
    : db_(std::move(db)), thread_([this](std::stop_token stop) { Run(stop); }) {}

Checkpointer::~Checkpointer() {
  thread_.request_stop();
  thread_.join();
}

void Checkpointer::Request() {
  {
    std::lock_guard lock(mu_);
    if (requested_) return;
    requested_ = true;
  }
  wake_.notify_one();
}

int64_t Checkpointer::completed() const {
  std::lock_guard lock(mu_);
  return completed_;
}

void Checkpointer::CheckpointNow() {
  std::lock_guard checkpointing(checkpoint_mu_);
  // A failure (an I/O error, a reader's snapshot in the way) is not
  // reported: the data is safe in the WAL and the next checkpoint retries
  // (see the header).
  bool done = db_->Checkpoint().ok();
  std::lock_guard lock(mu_);
  if (done) ++completed_;
}

void Checkpointer::Run(std::stop_token stop) {
  while (true) {
    {
      std::unique_lock lock(mu_);
      if (!wake_.wait(lock, stop, [this] { return requested_; })) return;  // stopping
      requested_ = false;
    }
    CheckpointNow();
  }
}

}  // namespace crucible
