#include "store/candidate_row.h"

#include <fmt/format.h>

#include <charconv>
#include <cstdio>
#include <string_view>
#include <system_error>

#include "core/hash.h"
#include "store/candidate_json.h"

namespace crucible::store_row {
namespace {

// Column indexes of CRUCIBLE_CANDIDATE_COLUMNS (0-based; parameters are +1).
enum Column {
  kId,
  kStatus,
  kParentId,
  kInspirationIds,
  kIsland,
  kGeneration,
  kSeed,
  kSourceHash,
  kProgram,
  kPatch,
  kProposer,
  kOperators,
  kProposalDetail,
  kProposeSeconds,
  kOutcome,
  kScore,
  kMetrics,
  kFeatures,
  kFeedback,
  kArtifacts,
  kStage,
  kEvalSeconds,
  kDuplicateOf,
  kCreatedUnix,
  kCompletedUnix,
};

void BindOptionalId(sqlite::Statement& stmt, int index, CandidateId id) {
  if (id == kNoCandidate) {
    stmt.BindNull(index);
  } else {
    stmt.BindInt64(index, id);
  }
}

CandidateId ColumnOptionalId(const sqlite::Statement& stmt, int col) {
  return stmt.ColumnIsNull(col) ? kNoCandidate : stmt.ColumnInt64(col);
}

template <typename T>
bool ParseInteger(std::string_view text, T& value, int base) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value, base);
  return ec == std::errc() && ptr == end && !text.empty();
}

// Adds the location to a decoding error.
Status At(const Status& status, const std::string& path, CandidateId id, std::string_view column) {
  return status.WithContext("run database " + path + ": candidate " + std::to_string(id) +
                            ": column " + std::string(column));
}

Status Malformed(const std::string& path, CandidateId id, std::string_view column) {
  return At(DataLossError("malformed value"), path, id, column);
}

// Fills everything but the result; the proposal side of the row.
Status ReadProposal(const sqlite::Statement& stmt, const std::string& path, Candidate& c) {
  c.parent_id = ColumnOptionalId(stmt, kParentId);
  StatusOr<std::vector<CandidateId>> ids = store_json::DecodeIds(stmt.ColumnText(kInspirationIds));
  if (!ids.ok()) return At(ids.status(), path, c.id, "inspiration_ids");
  c.inspiration_ids = std::move(*ids);
  c.island = static_cast<int>(stmt.ColumnInt64(kIsland));
  c.generation = static_cast<int>(stmt.ColumnInt64(kGeneration));
  if (!ParseInteger(stmt.ColumnText(kSeed), c.seed, 10)) return Malformed(path, c.id, "seed");
  std::string_view hash = stmt.ColumnText(kSourceHash);
  if (hash.size() != 16 || !ParseInteger(hash, c.source_hash, 16)) {
    return Malformed(path, c.id, "source_hash");
  }
  StatusOr<Program> program = store_json::DecodeProgram(stmt.ColumnText(kProgram));
  if (!program.ok()) return At(program.status(), path, c.id, "program");
  c.program = std::move(*program);
  c.patch = stmt.ColumnString(kPatch);
  c.proposal.proposer = stmt.ColumnString(kProposer);
  StatusOr<std::vector<std::string>> operators =
      store_json::DecodeStrings(stmt.ColumnText(kOperators));
  if (!operators.ok()) return At(operators.status(), path, c.id, "operators");
  c.proposal.operators = std::move(*operators);
  c.proposal.detail_json = stmt.ColumnString(kProposalDetail);
  c.proposal.propose_seconds = stmt.ColumnDouble(kProposeSeconds);
  c.created_unix = stmt.ColumnDouble(kCreatedUnix);
  return Status::Ok();
}

Status ReadResult(const sqlite::Statement& stmt, const std::string& path, Candidate& c) {
  EvalResult& r = c.result;
  std::optional<Outcome> outcome = ParseOutcome(stmt.ColumnText(kOutcome));
  if (!outcome.has_value()) return Malformed(path, c.id, "outcome");
  r.outcome = *outcome;
  if (!stmt.ColumnIsNull(kScore)) r.score = stmt.ColumnDouble(kScore);
  StatusOr<Metrics> metrics = store_json::DecodeMetrics(stmt.ColumnText(kMetrics));
  if (!metrics.ok()) return At(metrics.status(), path, c.id, "metrics");
  r.metrics = std::move(*metrics);
  StatusOr<Metrics> features = store_json::DecodeMetrics(stmt.ColumnText(kFeatures));
  if (!features.ok()) return At(features.status(), path, c.id, "features");
  r.features = std::move(*features);
  r.feedback = stmt.ColumnString(kFeedback);
  StatusOr<std::map<std::string, std::string>> artifacts =
      store_json::DecodeArtifacts(stmt.ColumnText(kArtifacts));
  if (!artifacts.ok()) return At(artifacts.status(), path, c.id, "artifacts");
  r.artifacts = std::move(*artifacts);
  r.stage = stmt.ColumnString(kStage);
  r.eval_seconds = stmt.ColumnDouble(kEvalSeconds);
  c.duplicate_of = ColumnOptionalId(stmt, kDuplicateOf);
  return Status::Ok();
}

}  // namespace

void BindRecord(sqlite::Statement& stmt, const Candidate& c, bool done, double completed_unix) {
  // Parameter numbers follow kInsertRecordSql.
  stmt.BindInt64(1, c.id);
  stmt.BindText(2, CandidateStatusName(done ? CandidateStatus::kDone : CandidateStatus::kPending));
  BindOptionalId(stmt, 3, c.parent_id);
  stmt.BindText(4, store_json::EncodeIds(c.inspiration_ids));
  stmt.BindInt64(5, c.island);
  stmt.BindInt64(6, c.generation);
  stmt.BindText(7, std::to_string(c.seed));
  stmt.BindText(8, HashToHex(c.source_hash));
  stmt.BindText(9, c.proposal.proposer);
  stmt.BindText(10, store_json::EncodeStrings(c.proposal.operators));
  stmt.BindText(11, c.proposal.detail_json);
  stmt.BindDouble(12, c.proposal.propose_seconds);
  if (done) {
    BindResult(stmt, 13, c.result, c.duplicate_of);  // ?13..?21
    stmt.BindDouble(23, completed_unix);
  } else {
    for (int param = 13; param <= 21; ++param) stmt.BindNull(param);
    stmt.BindNull(23);
  }
  stmt.BindDouble(22, c.created_unix);
}

void BindSources(sqlite::Statement& stmt, const Candidate& c) {
  stmt.BindInt64(1, c.id);
  stmt.BindText(2, store_json::EncodeProgram(c.program));
  stmt.BindText(3, c.patch);
}

void BindResult(sqlite::Statement& stmt, int first, const EvalResult& result,
                CandidateId duplicate_of) {
  // Same order as the columns kOutcome..kDuplicateOf.
  stmt.BindText(first + 0, OutcomeName(result.outcome));
  stmt.BindOptionalDouble(first + 1, result.score);
  stmt.BindText(first + 2, store_json::EncodeMetrics(result.metrics));
  stmt.BindText(first + 3, store_json::EncodeMetrics(result.features));
  stmt.BindText(first + 4, result.feedback);
  stmt.BindText(first + 5, store_json::EncodeArtifacts(result.artifacts));
  stmt.BindText(first + 6, result.stage);
  stmt.BindDouble(first + 7, result.eval_seconds);
  BindOptionalId(stmt, first + 8, duplicate_of);
}

StatusOr<CandidateRow> ReadRow(const sqlite::Statement& stmt, const std::string& path) {
  CandidateRow row;
  Candidate& c = row.candidate;
  c.id = stmt.ColumnInt64(kId);
  std::string_view status = stmt.ColumnText(kStatus);
  if (status == CandidateStatusName(CandidateStatus::kDone)) {
    row.status = CandidateStatus::kDone;
  } else if (status != CandidateStatusName(CandidateStatus::kPending)) {
    return Malformed(path, c.id, "status");
  }
  RETURN_IF_ERROR(ReadProposal(stmt, path, c));
  if (row.status == CandidateStatus::kDone) {
    RETURN_IF_ERROR(ReadResult(stmt, path, c));
    row.completed_unix = stmt.ColumnDouble(kCompletedUnix);
  }
  return row;
}

void ReportSkippedRow(const std::function<void(const Status&)>& sink, const Status& why) {
  if (sink) {
    sink(why);
  } else {
    fmt::print(stderr, "crucible: warning: {} (the row is skipped)\n", why.message());
  }
}

LlmNoteRecord ReadLlmNote(const sqlite::Statement& stmt) {
  LlmNoteRecord n;
  n.id = stmt.ColumnInt64(0);
  n.evaluated = stmt.ColumnInt64(1);
  n.model = stmt.ColumnString(2);
  n.call_id = stmt.ColumnInt64(3);
  n.note = stmt.ColumnString(4);
  n.created_unix = stmt.ColumnDouble(5);
  return n;
}

}  // namespace crucible::store_row
