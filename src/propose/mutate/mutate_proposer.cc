#include "propose/mutate/mutate_proposer.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>
#include <vector>

#include "core/parsed_program.h"
#include "core/rng.h"
#include "propose/mutate/operators.h"

namespace crucible {
namespace {

constexpr std::array<std::string_view, 7> kOperatorNames = {
    kPerturbConstant, kReplaceOperator, kDeleteLine,    kDuplicateLine,
    kSwapLines,       kCrossover,       kGrowExpression};

// One file's edits within one attempt.
struct FileMutation {
  std::string content;
  std::vector<std::string> operators;
  nlohmann::json edits = nlohmann::json::array();
};

nlohmann::json EditJson(std::string_view op, const Edit& edit, CandidateId inspiration_id) {
  nlohmann::json j = {{"op", op}, {"line", edit.line}};
  if (op == kCrossover) {
    j["region"] = edit.region;
    j["mode"] = edit.mode;
    j["inspiration_id"] = inspiration_id;
    if (edit.mode == "one_point") j["inspiration_line"] = edit.inspiration_line;
  } else {
    j["from"] = edit.from;
    j["to"] = edit.to;
  }
  return j;
}

// Applies operator `op` to `ctx`. A crossover draws its other parent among
// the inspirations that have this file.
std::optional<Edit> ApplyOperator(std::string_view op, const EditContext& ctx,
                                  const ProposalRequest& request, const MutateOptions& options,
                                  Rng& rng, CandidateId& inspiration_id) {
  if (op == kPerturbConstant) return PerturbConstant(ctx, rng, options.float_sigma);
  if (op == kReplaceOperator) return ReplaceOperator(ctx, rng);
  if (op == kDeleteLine) return DeleteLine(ctx, rng);
  if (op == kDuplicateLine) return DuplicateLine(ctx, rng);
  if (op == kSwapLines) return SwapLines(ctx, rng);
  if (op == kGrowExpression) return GrowExpression(ctx, rng);
  assert(op == kCrossover);
  std::vector<std::pair<CandidateId, const SourceFile*>> donors;
  for (const auto& candidate : request.inspirations) {
    if (candidate == nullptr) continue;
    if (const SourceFile* f = candidate->program.Find(std::string(ctx.path))) {
      donors.emplace_back(candidate->id, f);
    }
  }
  if (donors.empty()) return std::nullopt;
  const auto& [id, file] = donors[rng.Uniform(donors.size())];
  inspiration_id = id;
  return CrossoverRegion(ctx, file->content, rng);
}

// Applies 1..max_operators operators, each drawn by weight among those not
// yet found inapplicable at this step. nullopt if none applied.
std::optional<FileMutation> MutateFile(const SourceFile& file, const ProposalRequest& request,
                                       const MutateOptions& options, Rng& rng) {
  FileMutation m{file.content, {}, nlohmann::json::array()};
  const int count = static_cast<int>(rng.UniformInt(1, options.max_operators));
  for (int step = 0; step < count; ++step) {
    auto ctx = MakeEditContext(m.content, file.path);
    if (!ctx.ok()) break;  // cannot happen: operators keep the markers
    std::vector<std::pair<std::string_view, double>> pool;
    for (std::string_view name : kOperatorNames) {
      const auto it = options.operator_weights.find(std::string(name));
      if (it == options.operator_weights.end() || it->second <= 0) continue;
      if (name == kCrossover && request.inspirations.empty()) continue;
      pool.emplace_back(name, it->second);
    }
    bool applied = false;
    while (!pool.empty() && !applied) {
      double total = 0;
      for (const auto& [name, weight] : pool) total += weight;
      double r = rng.UniformDouble() * total;
      size_t pick = 0;
      while (pick + 1 < pool.size() && r >= pool[pick].second) r -= pool[pick++].second;
      const std::string_view name = pool[pick].first;
      CandidateId inspiration_id = kNoCandidate;
      if (auto edit = ApplyOperator(name, *ctx, request, options, rng, inspiration_id)) {
        m.edits.push_back(EditJson(name, *edit, inspiration_id));
        m.operators.emplace_back(name);
        m.content = std::move(edit->source);
        applied = true;
      } else {
        pool.erase(pool.begin() + static_cast<std::ptrdiff_t>(pick));
      }
    }
    if (!applied) break;
  }
  if (m.operators.empty()) return std::nullopt;
  return m;
}

// Whether `child` is worth returning: the run's pre-check when there is one
// (fixed regions, size, not a known or in-flight duplicate); without one,
// fixed regions intact and a program other than the parent.
bool Acceptable(const ProposalRequest& request, const ParsedProgram& parent,
                const ParsedProgram& child) {
  if (request.precheck != nullptr) return request.precheck->Check(parent, child).passed();
  return CheckFixedRegionsIntact(parent, child).ok() && child.hash() != parent.hash();
}

}  // namespace

Status MutateOptions::Validate() const {
  if (max_operators < 1) {
    return InvalidArgumentError(
        fmt::format("MutateOptions.max_operators must be >= 1, got {}", max_operators));
  }
  if (max_attempts < 1) {
    return InvalidArgumentError(
        fmt::format("MutateOptions.max_attempts must be >= 1, got {}", max_attempts));
  }
  if (!std::isfinite(float_sigma) || float_sigma <= 0) {
    return InvalidArgumentError(fmt::format(
        "MutateOptions.float_sigma must be a positive finite number, got {}", float_sigma));
  }
  bool any_positive = false;
  for (const auto& [name, weight] : operator_weights) {
    if (std::find(kOperatorNames.begin(), kOperatorNames.end(), name) == kOperatorNames.end()) {
      return InvalidArgumentError(
          fmt::format("MutateOptions.operator_weights: unknown operator '{}' (known: {})", name,
                      fmt::join(kOperatorNames, ", ")));
    }
    if (!std::isfinite(weight) || weight < 0) {
      return InvalidArgumentError(
          fmt::format("MutateOptions.operator_weights['{}'] must be a finite number >= 0, got {}",
                      name, weight));
    }
    any_positive = any_positive || weight > 0;
  }
  if (!any_positive) {
    return InvalidArgumentError(
        "MutateOptions.operator_weights: at least one operator needs a positive weight");
  }
  return Status::Ok();
}

MutateProposer::MutateProposer(MutateOptions options) : options_(std::move(options)) {}

StatusOr<Proposal> MutateProposer::Propose(const ProposalRequest& request, std::stop_token stop) {
  RETURN_IF_ERROR(options_.Validate());
  if (request.parent == nullptr) return InvalidArgumentError("proposal request has no parent");
  const Program& parent = request.parent->program;
  const std::shared_ptr<const ParsedProgram> parent_parsed = ParsedSourceOf(*request.parent);
  std::vector<size_t> eligible;
  for (size_t i = 0; i < parent.files.size(); ++i) {
    if (const Status& s = parent_parsed->regions_status(i); !s.ok()) {
      return s.WithContext(fmt::format("parent candidate {}", request.parent->id));
    }
    if (parent_parsed->HasNonEmptyEvolvableRegion(i)) eligible.push_back(i);
  }
  if (eligible.empty()) {
    return InvalidArgumentError(
        fmt::format("parent candidate {} has no (non-empty) evolvable region in any of its {} "
                    "files",
                    request.parent->id, parent.files.size()));
  }

  Rng rng(request.seed);
  std::optional<Proposal> last;
  for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
    if (stop.stop_requested()) return CancelledError("mutate proposer: stop requested");
    const size_t file_index = eligible[rng.Uniform(eligible.size())];
    const SourceFile& file = parent.files[file_index];
    std::optional<FileMutation> m = MutateFile(file, request, options_, rng);
    if (!m) continue;
    Proposal proposal;
    proposal.program = parent;
    proposal.program.files[file_index].content = std::move(m->content);
    proposal.parsed = ParsedProgram::Make(proposal.program);
    // The operators only edit evolvable regions; a failure here is a bug.
    assert(CheckFixedRegionsIntact(*parent_parsed, *proposal.parsed).ok());
    proposal.info.proposer = std::string(Name());
    proposal.info.operators = std::move(m->operators);
    proposal.info.detail_json =
        nlohmann::json{{"file", file.path}, {"attempt", attempt}, {"edits", std::move(m->edits)}}
            .dump();
    if (Acceptable(request, *parent_parsed, *proposal.parsed)) return proposal;
    last = std::move(proposal);
  }
  if (last) return *std::move(last);
  return InvalidArgumentError(fmt::format(
      "no mutation operator applies to parent candidate {} (its evolvable regions hold no "
      "constant, operator or statement line the operators can change)",
      request.parent->id));
}

std::unique_ptr<Proposer> MakeMutateProposer(const MutateOptions& options) {
  assert(options.Validate().ok());
  return std::make_unique<MutateProposer>(options);
}

}  // namespace crucible
