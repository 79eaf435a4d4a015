#include "propose/llm/llm_proposer.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "core/parsed_program.h"
#include "propose/llm/patch.h"

namespace crucible {
namespace {

using nlohmann::json;

double UnixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string FirstLine(std::string_view text, size_t max = 160) {
  const size_t nl = text.find('\n');
  std::string s(text.substr(0, std::min(nl, max)));
  return s;
}

std::optional<double> CostOf(const ModelSpec& m, const ChatResult& r) {
  if (!m.price_input_per_m && !m.price_output_per_m) return std::nullopt;
  if (!r.prompt_tokens && !r.completion_tokens) return std::nullopt;
  return static_cast<double>(r.prompt_tokens.value_or(0)) * m.price_input_per_m.value_or(0) / 1e6 +
         static_cast<double>(r.completion_tokens.value_or(0)) * m.price_output_per_m.value_or(0) / 1e6;
}

// Files of a program that have something to evolve.
std::vector<size_t> EvolvableFiles(const ParsedProgram& p) {
  std::vector<size_t> out;
  for (size_t i = 0; i < p.num_files(); ++i) {
    if (!p.EvolvableTexts(i).empty()) out.push_back(i);
  }
  return out;
}

constexpr int kAllIslands = -1;  // the initial program sits on every island

}  // namespace

StatusOr<std::unique_ptr<LlmProposer>> LlmProposer::Create(LlmOptions options,
                                                           LlmProblemContext context,
                                                           std::unique_ptr<HttpTransport> transport) {
  if (!options.configured()) return InvalidArgumentError("llm.base_url: not configured");
  RETURN_IF_ERROR(options.Validate());
  if (options.models.empty()) return InvalidArgumentError("llm.models: no model configured");
  const char* key = options.api_key_env.empty() ? nullptr : std::getenv(options.api_key_env.c_str());
  ASSIGN_OR_RETURN(PromptTemplates templates, PromptTemplates::Load(context.problem_dir));
  if (!transport) {
    ASSIGN_OR_RETURN(transport, MakeCurlMultiTransport(options.concurrency));
  }
  return std::unique_ptr<LlmProposer>(new LlmProposer(std::move(options), std::move(context),
                                                      std::move(transport), key ? key : "",
                                                      std::move(templates)));
}

namespace {
ChatClientOptions ClientOptions(const LlmOptions& o, std::string key) {
  ChatClientOptions c;
  c.base_url = o.base_url;
  c.api_key = std::move(key);
  c.timeout_seconds = o.timeout_seconds;
  c.max_retries = o.retries;
  c.backoff_initial_seconds = o.backoff_initial_seconds;
  c.backoff_max_seconds = o.backoff_max_seconds;
  return c;
}

std::vector<std::string> ModelNames(const LlmOptions& o) {
  std::vector<std::string> names;
  for (const ModelSpec& m : o.models) names.push_back(m.name);
  return names;
}
std::vector<double> ModelWeights(const LlmOptions& o) {
  std::vector<double> w;
  for (const ModelSpec& m : o.models) w.push_back(m.weight);
  return w;
}
}  // namespace

LlmProposer::LlmProposer(LlmOptions options, LlmProblemContext context,
                         std::unique_ptr<HttpTransport> transport, std::string api_key,
                         PromptTemplates templates)
    : o_(std::move(options)),
      context_(std::move(context)),
      transport_(std::move(transport)),
      client_(ClientOptions(o_, std::move(api_key)), *transport_),
      templates_(std::move(templates)),
      modes_({PatchMode::kDiff, PatchMode::kRewrite, PatchMode::kCrossover}),
      novelty_(o_.novelty_threshold),
      model_bandit_(ModelNames(o_), ModelWeights(o_), o_.ucb_exploration),
      mode_bandit_({"diff", "rewrite", "crossover"},
                   {o_.diff_weight, o_.rewrite_weight, o_.crossover_weight}, o_.ucb_exploration) {}

LlmProposer::~LlmProposer() = default;

LlmProposer::Arms LlmProposer::ChooseArms(Rng& rng, bool crossover_possible) {
  Arms a;
  std::lock_guard lock(mu_);
  if (o_.adaptive) {
    a.model = model_bandit_.Choose(rng);
    a.mode = mode_bandit_.Choose(rng);
  } else {
    double total = 0;
    for (const ModelSpec& m : o_.models) total += m.weight;
    double x = rng.UniformDouble() * total;
    for (a.model = 0; a.model + 1 < o_.models.size() && x >= o_.models[a.model].weight; ++a.model) {
      x -= o_.models[a.model].weight;
    }
    const double w[3] = {o_.diff_weight, o_.rewrite_weight, o_.crossover_weight};
    double y = rng.UniformDouble() * (w[0] + w[1] + w[2]);
    for (a.mode = 0; a.mode < 2 && y >= w[a.mode]; ++a.mode) y -= w[a.mode];
  }
  if (modes_[a.mode] == PatchMode::kCrossover && !crossover_possible) {
    a.mode = o_.diff_weight > 0 || o_.rewrite_weight <= 0 ? 0 : 1;
  }
  return a;
}

std::variant<LlmProposer::Reservation, std::string> LlmProposer::Reserve(const ModelSpec& m,
                                                                        int64_t prompt_tokens) {
  // The fewest completion tokens worth a request.
  constexpr int64_t kMinCompletion = 16;
  int64_t completion = m.max_tokens;
  if (o_.max_tokens) {
    const int64_t left = *o_.max_tokens - prompt_tokens_ - completion_tokens_ - reserved_tokens_;
    completion = std::min(completion, left - prompt_tokens);
    if (completion < kMinCompletion) {
      return fmt::format(
          "the LLM token budget of {} is spent ({} used{})", *o_.max_tokens,
          prompt_tokens_ + completion_tokens_,
          reserved_tokens_ > 0 ? ", the rest reserved by requests in flight"
                               : "; the next request could exceed it");
    }
  }
  const double in = m.price_input_per_m.value_or(0) / 1e6, out = m.price_output_per_m.value_or(0) / 1e6;
  if (o_.max_cost && out > 0) {
    const double left = *o_.max_cost - cost_ - reserved_cost_ - prompt_tokens * in;
    completion = std::min<int64_t>(completion, static_cast<int64_t>(left / out));
  }
  if (o_.max_cost && (cost_ >= *o_.max_cost || completion < kMinCompletion)) {
    return fmt::format("the LLM cost budget of {:g} is spent ({:.4f} used{})", *o_.max_cost, cost_,
                       reserved_cost_ > 0 ? ", the rest reserved by requests in flight"
                                          : "; the next request could exceed it");
  }
  Reservation r;
  r.tokens = prompt_tokens + completion;
  r.cost = prompt_tokens * in + static_cast<double>(completion) * out;
  reserved_tokens_ += r.tokens;
  reserved_cost_ += r.cost;
  return r;
}

int64_t LlmProposer::Record(LlmCallRecord r, const ChatResult* chat,
                            const Reservation* reservation) {
  r.error = client_.Redact(std::move(r.error));
  r.prompt = client_.Redact(std::move(r.prompt));
  r.response = client_.Redact(std::move(r.response));
  std::lock_guard lock(mu_);
  r.id = next_call_id_++;
  if (reservation) {
    reserved_tokens_ -= reservation->tokens;
    reserved_cost_ -= reservation->cost;
  }
  if (chat) {
    ++calls_;
    prompt_tokens_ += r.prompt_tokens.value_or(0);
    completion_tokens_ += r.completion_tokens.value_or(0);
    cost_ += r.cost.value_or(0);
  }
  if (r.outcome == "applied") {
    ++applied_;
    ++mode_counts_[r.mode];
  }
  pending_.push_back(std::move(r));
  dirty_ = true;
  return pending_.back().id;
}

std::optional<std::vector<float>> LlmProposer::Embed(const Program& program,
                                                      std::stop_token stop) const {
  if (o_.embeddings_model.empty()) return std::nullopt;
  std::string text;
  for (const SourceFile& f : program.files) {
    for (const std::string& t : EvolvableTexts(f.content, f.path)) text += t;
  }
  std::string base = o_.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  HttpRequest req;
  req.url = base + "/embeddings";
  req.headers = {"Content-Type: application/json"};
  const char* key = o_.api_key_env.empty() ? nullptr : std::getenv(o_.api_key_env.c_str());
  if (key && *key) req.headers.push_back(std::string("Authorization: Bearer ") + key);
  req.body = json({{"model", o_.embeddings_model}, {"input", text}})
                 .dump(-1, ' ', false, json::error_handler_t::replace);
  req.timeout_seconds = o_.timeout_seconds;
  const HttpResponse r = transport_->Post(req, stop);
  if (r.error != HttpResponse::Error::kNone || r.status != 200) return std::nullopt;
  const json j = json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j.contains("data") || !j["data"].is_array() || j["data"].empty()) {
    return std::nullopt;
  }
  const json& e = j["data"][0].value("embedding", json());
  if (!e.is_array()) return std::nullopt;
  std::vector<float> v;
  for (const json& x : e) {
    if (!x.is_number()) return std::nullopt;
    v.push_back(x.get<float>());
  }
  return v;
}

StatusOr<Proposal> LlmProposer::Propose(const ProposalRequest& req, std::stop_token stop) {
  if (!req.parent) return InvalidArgumentError("no parent");
  const Candidate& parent = *req.parent;
  const std::shared_ptr<const ParsedProgram> parent_parsed = ParsedSourceOf(parent);
  const std::vector<size_t> files = EvolvableFiles(*parent_parsed);
  if (files.empty()) return InvalidArgumentError("the parent has no evolvable region");
  Rng rng(req.seed);
  const Candidate* second = nullptr;
  for (const auto& c : req.inspirations) {
    if (c && c->id != parent.id) {
      second = c.get();
      break;
    }
  }
  const Arms arms = ChooseArms(rng, second != nullptr);
  const ModelSpec& model = o_.models[arms.model];
  const PatchMode mode = modes_[arms.mode];
  const std::string mode_name(PatchModeName(mode));
  {
    std::lock_guard lock(mu_);
    arms_by_child_[req.child_id] = arms;
  }

  PromptInput in;
  in.mode = mode;
  in.parent = &parent;
  in.second_parent = mode == PatchMode::kCrossover ? second : nullptr;
  for (const auto& c : req.inspirations) in.inspirations.push_back(c.get());
  {
    std::lock_guard lock(mu_);
    if (auto it = history_.find(parent.id); it != history_.end()) {
      in.history.assign(it->second.begin(), it->second.end());
    }
  }
  in.task = context_.task;
  in.objective = context_.objective;
  in.rewrite_file = files[rng.Uniform(files.size())];
  std::vector<ChatMessage> messages = BuildPrompt(templates_, in, o_.prompt);

  std::vector<int64_t> call_ids;
  int64_t prompt_tokens = 0, completion_tokens = 0;
  double cost = 0;
  std::string last_error = "no attempt made";
  for (int attempt = 1; attempt <= 1 + o_.max_reasks; ++attempt) {
    LlmCallRecord rec;
    rec.attempt = attempt;
    rec.model = model.name;
    rec.mode = mode_name;
    rec.prompt = MessagesToJson(messages);
    rec.created_unix = UnixNow();
    // Prompt tokens are not known before the reply: estimated generously
    // (code runs 3-4 characters per token), so that the budget holds.
    size_t chars = 0;
    for (const ChatMessage& msg : messages) chars += msg.content.size() + 16;
    std::variant<Reservation, std::string> reserved;
    {
      std::lock_guard lock(mu_);
      reserved = Reserve(model, static_cast<int64_t>(chars / 3));
    }
    if (const std::string* spent = std::get_if<std::string>(&reserved)) {
      rec.outcome = "budget_exhausted";
      rec.error = *spent;
      Record(std::move(rec), nullptr);
      return ResourceExhaustedError(*spent);
    }
    const Reservation reservation = std::get<Reservation>(reserved);
    ModelSpec asked = model;
    asked.max_tokens = static_cast<int>(std::min<int64_t>(
        model.max_tokens, reservation.tokens - static_cast<int64_t>(chars / 3)));
    const ChatResult chat =
        client_.Complete(asked, messages, DeriveSeed(req.seed, static_cast<uint64_t>(attempt)), stop);
    rec.response = chat.text;
    rec.prompt_tokens = chat.prompt_tokens;
    rec.completion_tokens = chat.completion_tokens;
    rec.cost = CostOf(model, chat);
    rec.latency_seconds = chat.latency_seconds;
    prompt_tokens += chat.prompt_tokens.value_or(0);
    completion_tokens += chat.completion_tokens.value_or(0);
    cost += rec.cost.value_or(0);
    if (chat.outcome != ChatOutcome::kOk) {
      const bool cancelled = chat.outcome == ChatOutcome::kCancelled;
      rec.outcome = cancelled ? "http_error" : std::string(ChatOutcomeName(chat.outcome));
      rec.error = chat.error;
      last_error = chat.error;
      call_ids.push_back(Record(std::move(rec), &chat, &reservation));
      if (cancelled) return CancelledError("the run is stopping");
      if (chat.fatal) return FailedPreconditionError(last_error);
      if (!chat.retryable) return InvalidArgumentError(last_error);
      continue;  // the same question again
    }
    // Parse and apply.
    std::string failure;
    std::string outcome = "patch_failed";
    std::optional<Program> child;
    if (mode == PatchMode::kDiff) {
      StatusOr<std::vector<SearchReplace>> blocks = ParseDiffBlocks(chat.text);
      if (!blocks.ok()) {
        failure = blocks.status().message();
      } else if (blocks->empty()) {
        outcome = "empty";
        failure = "the reply holds no SEARCH/REPLACE block";
      } else {
        PatchResult p = ApplyDiff(parent.program, *blocks);
        if (p.failures.empty()) {
          child = std::move(p.program);
        } else {
          failure = fmt::format("{} of {} SEARCH/REPLACE blocks failed:\n", p.failures.size(),
                                blocks->size());
          for (const std::string& f : p.failures) failure += "- " + f + "\n";
        }
      }
    } else {
      StatusOr<std::string> code = ParseFencedCode(chat.text);
      if (!code.ok()) {
        outcome = "empty";
        failure = code.status().message();
      } else {
        StatusOr<Program> p = ApplyRewrite(parent.program, in.rewrite_file, *code);
        if (p.ok()) child = std::move(*p);
        else failure = p.status().message();
      }
    }
    if (child && *child == parent.program) {
      child.reset();
      outcome = "empty";
      failure = "the change leaves the program exactly as it was";
    }
    // The run's pre-check, asked early (precheck/precheck.h): a child it
    // would reject or find a duplicate is re-asked for instead.
    std::shared_ptr<const ParsedProgram> parsed;
    if (child) {
      parsed = ParsedProgram::Make(*child);
      PrecheckVerdict verdict =
          req.precheck ? req.precheck->Check(*parent_parsed, *parsed) : PrecheckVerdict{};
      if (!verdict.passed()) {
        child.reset();
        const bool duplicate = verdict.kind == PrecheckVerdict::Kind::kDuplicate;
        outcome = duplicate ? "novelty_rejected" : "patch_failed";
        failure = duplicate ? "the resulting program is " + verdict.reason +
                                  " (up to comments and whitespace); propose a genuinely "
                                  "different change"
                            : "the resulting program was refused: " + verdict.reason;
      }
    }
    std::optional<std::vector<float>> embedding;
    if (child) {
      embedding = Embed(*child, stop);
      std::optional<std::string> copy =
          novelty_.Check(parent.island, *parsed, embedding ? &*embedding : nullptr);
      if (!copy) copy = novelty_.Check(kAllIslands, *parsed, embedding ? &*embedding : nullptr);
      if (copy) {
        child.reset();
        outcome = "novelty_rejected";
        failure = "the resulting program is " + *copy + "; propose a genuinely different change";
      }
    }
    if (!child) {
      rec.outcome = outcome;
      rec.error = failure;
      last_error = failure;
      call_ids.push_back(Record(std::move(rec), &chat, &reservation));
      messages.push_back({"assistant", chat.text});
      messages.push_back({"user", ReaskMessage(templates_, failure)});
      continue;
    }
    rec.outcome = "applied";
    rec.candidate_id = req.child_id;
    call_ids.push_back(Record(std::move(rec), &chat, &reservation));
    if (embedding) {
      std::lock_guard lock(mu_);
      embeddings_[req.child_id] = std::move(*embedding);
    }
    Proposal out;
    out.program = std::move(*child);
    out.parsed = std::move(parsed);
    out.info.proposer = "llm";
    out.info.operators = {mode_name};
    out.info.detail_json = json({{"model", model.name},
                                 {"mode", mode_name},
                                 {"calls", call_ids},
                                 {"prompt_tokens", prompt_tokens},
                                 {"completion_tokens", completion_tokens},
                                 {"cost", cost}})
                               .dump();
    return out;
  }
  return InvalidArgumentError(fmt::format("no usable reply from model '{}' after {} attempts: {}",
                                          model.name, 1 + o_.max_reasks, FirstLine(last_error, 300)));
}

void LlmProposer::OnResult(const Candidate& child, std::optional<double> child_fitness,
                           std::optional<double> parent_fitness, bool replayed) {
  std::optional<std::vector<float>> embedding;
  {
    std::lock_guard lock(mu_);
    if (auto it = embeddings_.find(child.id); it != embeddings_.end()) {
      embedding = std::move(it->second);
      embeddings_.erase(it);
    }
  }
  if (child.result.outcome == Outcome::kOk) {
    novelty_.Add(child.parent_id == kNoCandidate ? kAllIslands : child.island, child.id,
                 *ParsedSourceOf(child), std::move(embedding));
  }
  std::lock_guard lock(mu_);
  if (child.parent_id != kNoCandidate) {
    Attempt a;
    a.id = child.id;
    a.mode = child.proposal.operators.empty() ? child.proposal.proposer
                                              : child.proposal.operators.front();
    a.outcome = OutcomeName(child.result.outcome);
    a.value = context_.objective.ValueOf(child.result);
    a.note = FirstLine(child.result.feedback);
    std::deque<Attempt>& h = history_[child.parent_id];
    h.push_back(std::move(a));
    while (h.size() > 12) h.pop_front();
  }
  auto it = arms_by_child_.find(child.id);
  if (it == arms_by_child_.end()) return;
  const Arms arms = it->second;
  arms_by_child_.erase(it);
  if (replayed) return;
  const double reward = ImprovementReward(child_fitness, parent_fitness);
  model_bandit_.Update(arms.model, reward);
  mode_bandit_.Update(arms.mode, reward);
  dirty_ = true;
}

ProposerCheckpoint LlmProposer::TakeCheckpoint() {
  ProposerCheckpoint cp;
  std::lock_guard lock(mu_);
  cp.calls.swap(pending_);
  if (!dirty_) return cp;
  dirty_ = false;
  const json state = {{"version", 1},
                      {"next_call_id", next_call_id_},
                      {"prompt_tokens", prompt_tokens_},
                      {"completion_tokens", completion_tokens_},
                      {"cost", cost_},
                      {"calls", calls_},
                      {"applied", applied_},
                      {"mode_counts", mode_counts_},
                      {"model_bandit", json::parse(model_bandit_.ToJson())},
                      {"mode_bandit", json::parse(mode_bandit_.ToJson())}};
  cp.state["llm"] = state.dump();
  return cp;
}

Status LlmProposer::RestoreState(const std::map<std::string, std::string>& state) {
  auto it = state.find("llm");
  if (it == state.end()) return Status::Ok();
  const json j = json::parse(it->second, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return DataLossError("the stored LLM state is corrupt");
  std::lock_guard lock(mu_);
  try {
    next_call_id_ = j.value("next_call_id", int64_t{1});
    prompt_tokens_ = j.value("prompt_tokens", int64_t{0});
    completion_tokens_ = j.value("completion_tokens", int64_t{0});
    cost_ = j.value("cost", 0.0);
    calls_ = j.value("calls", int64_t{0});
    applied_ = j.value("applied", int64_t{0});
    mode_counts_ = j.value("mode_counts", std::map<std::string, int64_t>{});
    if (j.contains("model_bandit")) RETURN_IF_ERROR(model_bandit_.FromJson(j["model_bandit"].dump()));
    if (j.contains("mode_bandit")) RETURN_IF_ERROR(mode_bandit_.FromJson(j["mode_bandit"].dump()));
  } catch (const json::exception& e) {
    return DataLossError(std::string("the stored LLM state is corrupt: ") + e.what());
  }
  return Status::Ok();
}

std::string LlmProposer::UsageSummary() const {
  std::lock_guard lock(mu_);
  const int64_t tokens = prompt_tokens_ + completion_tokens_;
  std::string s = tokens >= 10000 ? fmt::format("llm {:.1f}k tok", tokens / 1000.0)
                                  : fmt::format("llm {} tok", tokens);
  if (cost_ > 0) s += fmt::format(" ${:.4f}", cost_);
  s += fmt::format(", {} calls ({} applied)", calls_, applied_);
  std::string mix;
  for (const auto& [mode, n] : mode_counts_) mix += fmt::format("{}{} {}", mix.empty() ? "" : " ", mode, n);
  if (!mix.empty()) s += ", " + mix;
  return s;
}

int64_t LlmProposer::tokens_used() const {
  std::lock_guard lock(mu_);
  return prompt_tokens_ + completion_tokens_;
}

double LlmProposer::cost_used() const {
  std::lock_guard lock(mu_);
  return cost_;
}

}  // namespace crucible
