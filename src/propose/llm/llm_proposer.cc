#include "propose/llm/llm_proposer.h"

#include <fmt/format.h>

#include <algorithm>
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

}  // namespace

StatusOr<std::unique_ptr<LlmProposer>> LlmProposer::Create(LlmOptions options,
                                                           LlmProblemContext context,
                                                           std::unique_ptr<HttpTransport> transport) {
  if (!options.configured()) return InvalidArgumentError("llm.base_url: not configured");
  RETURN_IF_ERROR(options.Validate());
  if (options.models.empty()) return InvalidArgumentError("llm.models: no model configured");
  // Each model's key, from its own variable, or from llm.api_key_env when
  // it is served at llm.base_url: a key never goes to another server than
  // the one it was configured with.
  std::vector<std::string> keys;
  for (const ModelSpec& m : options.models) {
    const std::string var = !m.api_key_env.empty() ? m.api_key_env
                            : m.base_url.empty()   ? options.api_key_env
                                                   : std::string();
    const char* key = var.empty() ? nullptr : std::getenv(var.c_str());
    keys.push_back(key ? key : "");
  }
  ASSIGN_OR_RETURN(PromptTemplates templates, PromptTemplates::Load(context.problem_dir));
  if (!transport) {
    ASSIGN_OR_RETURN(transport, MakeCurlMultiTransport(options.concurrency));
  }
  return std::unique_ptr<LlmProposer>(new LlmProposer(std::move(options), std::move(context),
                                                      std::move(transport), std::move(keys),
                                                      std::move(templates)));
}

namespace {
ChatClientOptions ClientOptions(const LlmOptions& o, const ModelSpec& m, std::string key) {
  ChatClientOptions c;
  c.base_url = m.base_url.empty() ? o.base_url : m.base_url;
  c.api_key = std::move(key);
  c.timeout_seconds = o.timeout_seconds;
  c.stream = o.stream;
  c.idle_timeout_seconds = o.stream ? o.idle_timeout_seconds : 0;
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
std::vector<std::string> JointNames(const LlmOptions& o) {
  std::vector<std::string> names;
  for (const ModelSpec& m : o.models) {
    for (const char* mode : {"diff", "rewrite", "crossover"}) names.push_back(m.name + "/" + mode);
  }
  return names;
}
std::vector<double> JointWeights(const LlmOptions& o) {
  std::vector<double> w;
  for (const ModelSpec& m : o.models) {
    for (double mode : {o.diff_weight, o.rewrite_weight, o.crossover_weight}) w.push_back(m.weight * mode);
  }
  return w;
}
std::vector<double> ModelWeights(const LlmOptions& o) {
  std::vector<double> w;
  for (const ModelSpec& m : o.models) w.push_back(m.weight);
  return w;
}
}  // namespace

LlmProposer::LlmProposer(LlmOptions options, LlmProblemContext context,
                         std::unique_ptr<HttpTransport> transport, std::vector<std::string> api_keys,
                         PromptTemplates templates)
    : o_(std::move(options)),
      context_(std::move(context)),
      transport_(std::move(transport)),
      templates_(std::move(templates)),
      modes_({PatchMode::kDiff, PatchMode::kRewrite, PatchMode::kCrossover}),
      novelty_(o_.novelty_threshold, 1000, o_.novelty_judge),
      joint_bandit_(JointNames(o_), JointWeights(o_), o_.ucb_exploration, o_.bandit_decay),
      model_bandit_(ModelNames(o_), ModelWeights(o_), o_.ucb_exploration),
      mode_bandit_({"diff", "rewrite", "crossover"},
                   {o_.diff_weight, o_.rewrite_weight, o_.crossover_weight}, o_.ucb_exploration) {
  for (size_t i = 0; i < o_.models.size(); ++i) {
    clients_.push_back(std::make_unique<ChatClient>(ClientOptions(o_, o_.models[i], api_keys[i]),
                                                    *transport_));
  }
}

std::string LlmProposer::RedactAll(std::string text) const {
  for (const auto& c : clients_) text = c->Redact(std::move(text));
  return text;
}

LlmProposer::~LlmProposer() = default;

LlmProposer::Arms LlmProposer::ChooseArms(Rng& rng, bool crossover_possible) {
  Arms a;
  std::lock_guard lock(mu_);
  if (o_.adaptive) {
    const size_t arm = joint_bandit_.Choose(rng);
    a.model = arm / 3;
    a.mode = arm % 3;
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
                                                                        int64_t prompt_tokens,
                                                                        std::stop_token stop) {
  const double in = m.price_input_per_m.value_or(0) / 1e6, out = m.price_output_per_m.value_or(0) / 1e6;
  Reservation r;
  r.tokens = prompt_tokens + m.max_tokens;  // the whole reply may come: max_tokens is never cut
  r.cost = static_cast<double>(prompt_tokens) * in + static_cast<double>(m.max_tokens) * out;
  std::unique_lock lock(mu_);
  while (true) {
    const int64_t used = prompt_tokens_ + completion_tokens_;
    const bool tokens_fit = !o_.max_tokens || used + reserved_tokens_ + r.tokens <= *o_.max_tokens;
    const bool cost_fits = !o_.max_cost || cost_ + reserved_cost_ + r.cost <= *o_.max_cost;
    if (tokens_fit && cost_fits) break;
    const bool fits_alone = (!o_.max_tokens || used + r.tokens <= *o_.max_tokens) &&
                            (!o_.max_cost || cost_ + r.cost <= *o_.max_cost);
    if (!fits_alone) {  // not even once the requests in flight are done
      return tokens_fit
                 ? fmt::format("the LLM cost budget of {:g} is spent ({:.4f} used; the next request "
                               "could cost up to {:.4f})", *o_.max_cost, cost_, r.cost)
                 : fmt::format("the LLM token budget of {} is spent ({} used; the next request "
                               "could take up to {})", *o_.max_tokens, used, r.tokens);
    }
    // Only reserved by requests in flight: wait until one of them is done.
    const int64_t seen = released_count_;
    released_.wait(lock, stop, [&] { return released_count_ != seen; });
    if (stop.stop_requested()) return std::string();
  }
  reserved_tokens_ += r.tokens;
  reserved_cost_ += r.cost;
  return r;
}

int64_t LlmProposer::Record(LlmCallRecord r, const Charge* charge,
                            const Reservation* reservation) {
  r.error = RedactAll(std::move(r.error));
  r.prompt = RedactAll(std::move(r.prompt));
  r.response = RedactAll(std::move(r.response));
  std::lock_guard lock(mu_);
  r.id = next_call_id_++;
  if (reservation) {
    reserved_tokens_ -= reservation->tokens;
    reserved_cost_ -= reservation->cost;
    ++released_count_;
    released_.notify_all();
  }
  if (charge) {
    ++calls_;
    prompt_tokens_ += charge->prompt_tokens;
    completion_tokens_ += charge->completion_tokens;
    cost_ += charge->cost;
    if (charge->estimated) estimated_tokens_ += charge->prompt_tokens + charge->completion_tokens;
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

std::optional<std::string> LlmProposer::CountFailure(const ModelSpec& model, const ChatResult& chat) {
  std::lock_guard lock(mu_);
  if (chat.failure_kind.empty()) return std::nullopt;
  if (chat.failure_kind == failure_kind_) {
    ++failures_in_a_row_;
  } else {
    failure_kind_ = chat.failure_kind;
    failures_in_a_row_ = 1;
  }
  if (o_.stop_after_failures == 0 || failures_in_a_row_ < o_.stop_after_failures) return std::nullopt;
  return fmt::format("{} requests in a row to model '{}' failed ({}); the last: {}",
                     failures_in_a_row_, model.name, failure_kind_, FirstLine(chat.error, 400));
}

std::optional<Program> LlmProposer::ApplyReply(PatchMode mode, const Candidate& parent,
                                               size_t rewrite_file, const std::string& text,
                                               std::string& outcome, std::string& failure) const {
  outcome = "patch_failed";
  std::optional<Program> child;
  if (mode == PatchMode::kDiff) {
    StatusOr<std::vector<SearchReplace>> blocks = ParseDiffBlocks(text);
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
    StatusOr<std::string> code = ParseFencedCode(text);
    if (!code.ok()) {
      outcome = "empty";
      failure = code.status().message();
    } else {
      StatusOr<Program> p = ApplyRewrite(parent.program, rewrite_file, *code);
      if (p.ok()) child = std::move(*p);
      else failure = p.status().message();
    }
  }
  if (child && *child == parent.program) {
    child.reset();
    outcome = "empty";
    failure = "the change leaves the program exactly as it was";
  }
  return child;
}

namespace {

// The prompt limits at a shrink level (after context-length errors):
// inspirations go first, then the history, then long artifacts/feedback.
PromptLimits Shrunk(PromptLimits l, int level) {
  if (level >= 1) l.max_inspirations = 0;
  if (level >= 2) l.max_history = 0;
  if (level >= 3) {
    l.max_artifact_chars = std::min<size_t>(l.max_artifact_chars, 200);
    l.max_feedback_chars = std::min<size_t>(l.max_feedback_chars, 500);
  }
  return l;
}
constexpr int kMaxShrinkLevel = 3;

size_t PromptChars(const std::vector<ChatMessage>& messages) {
  size_t chars = 0;
  for (const ChatMessage& msg : messages) chars += msg.content.size() + 16;
  return chars;
}

// Prompt tokens are not known before the reply: estimated generously
// (code runs 3-4 characters per token), so that the budget holds.
int64_t PromptEstimate(const std::vector<ChatMessage>& messages) {
  return static_cast<int64_t>(PromptChars(messages) / 3);
}

// The llm_calls.response text: the answer, after the reasoning in think tags.
// The outcome stored for a request that failed (a cancelled one is stored
// as an HTTP error: the run stopped while it was in flight).
std::string FailedOutcome(const ChatResult& chat) {
  return chat.outcome == ChatOutcome::kCancelled ? "http_error"
                                                 : std::string(ChatOutcomeName(chat.outcome));
}

std::string StoredResponse(const ChatResult& chat) {
  if (chat.reasoning.empty()) return chat.text;
  return "<think>\n" + chat.reasoning + "\n</think>\n" + chat.text;
}

// What a constant tuning changed (propose/tune/tuning_proposer.h), as the
// one-line change of an attempt: "tuned constants: line 7 0.7 -> 0.8125, ...".
std::string TunedConstantsLine(const std::string& detail_json) {
  const json d = json::parse(detail_json, nullptr, false);
  if (!d.is_object() || !d.contains("changes") || !d["changes"].is_array()) return "";
  std::string line;
  for (const json& c : d["changes"]) {
    if (!c.is_object()) continue;
    line += line.empty() ? "tuned constants: " : ", ";
    line += "line " + std::to_string(c.value("line", 0)) + " " + c.value("from", std::string()) +
            " -> " + c.value("to", std::string());
  }
  return line;
}

// The model's one-line summary of its change: the first line of prose
// before the first block or fence.
std::string Summary(std::string_view answer) {
  size_t pos = 0;
  while (pos < answer.size()) {
    size_t nl = answer.find('\n', pos);
    if (nl == std::string_view::npos) nl = answer.size();
    std::string_view line = answer.substr(pos, nl - pos);
    pos = nl + 1;
    const size_t b = line.find_first_not_of(" \t\r#*>-");
    if (b == std::string_view::npos) continue;
    line.remove_prefix(b);
    if (line.substr(0, 3) == "```" || line.substr(0, 7) == "<<<<<<<") break;
    return FirstLine(line, 200);
  }
  return "";
}

}  // namespace

// What a request is charged: its usage, or estimates when the server sent
// none (a request that got no reply at all is charged nothing).
LlmProposer::Charge LlmProposer::ChargeOf(const ModelSpec& model, const ChatResult& chat,
                                          int64_t prompt_estimate) {
  Charge charge;
  if (chat.outcome != ChatOutcome::kOk && !chat.prompt_tokens && !chat.completion_tokens) return charge;
  charge.estimated = !chat.prompt_tokens || !chat.completion_tokens;
  charge.prompt_tokens = chat.prompt_tokens.value_or(prompt_estimate);
  charge.completion_tokens = chat.completion_tokens.value_or(
      static_cast<int64_t>((chat.text.size() + chat.reasoning.size() + 2) / 3));
  ChatResult priced = chat;
  priced.prompt_tokens = charge.prompt_tokens;
  priced.completion_tokens = charge.completion_tokens;
  charge.cost = CostOf(model, priced).value_or(0);
  return charge;
}

std::variant<LlmProposer::SentChat, std::string> LlmProposer::Send(
    size_t index, const std::vector<ChatMessage>& messages, uint64_t seed, LlmCallRecord& rec,
    std::stop_token stop) {
  const ModelSpec& model = o_.models[index];
  rec.model = model.name;
  rec.prompt = MessagesToJson(messages);
  rec.created_unix = UnixNow();
  const int64_t prompt_estimate = PromptEstimate(messages);
  std::variant<Reservation, std::string> reserved = Reserve(model, prompt_estimate, stop);
  if (const std::string* refused = std::get_if<std::string>(&reserved)) {
    rec.outcome = "budget_exhausted";
    rec.error = *refused;
    return *refused;
  }
  SentChat sent{clients_[index]->Complete(model, messages, seed, stop), {},
                std::get<Reservation>(reserved)};
  const ChatResult& chat = sent.chat;
  rec.response = StoredResponse(chat);
  rec.prompt_tokens = chat.prompt_tokens;
  rec.completion_tokens = chat.completion_tokens;
  rec.latency_seconds = chat.latency_seconds;
  sent.charge = ChargeOf(model, chat, prompt_estimate);
  if (!sent.charge.estimated) rec.cost = CostOf(model, chat);
  return sent;
}

void LlmProposer::WriteNote(size_t model_index, uint64_t seed, std::stop_token stop) {
  const ModelSpec& model = o_.models[model_index];
  std::string previous, best = "none yet";
  std::vector<std::string> lines;
  int64_t evaluated = 0;
  {
    std::lock_guard lock(mu_);
    previous = note_;
    lines.assign(recent_.begin(), recent_.end());
    if (best_value_) best = fmt::format("{} = {:.10g}", context_.objective.key, *best_value_);
    evaluated = evaluated_;
  }
  // A context overflow sheds the older attempts: all of them, then the
  // newest quarter, then none (the note and the best value stay). A request
  // that cannot get smaller is not sent again.
  for (size_t keep = lines.size();; keep = keep > 4 ? keep / 4 : 0) {
    std::string attempts;
    for (size_t i = lines.size() - keep; i < lines.size(); ++i) attempts += lines[i];
    const std::vector<ChatMessage> messages = BuildScratchpadPrompt(
        templates_, context_.task, context_.objective, best, previous, attempts);
    LlmCallRecord rec;
    rec.mode = "scratchpad";
    std::variant<SentChat, std::string> sent = Send(model_index, messages, seed, rec, stop);
    if (!std::holds_alternative<SentChat>(sent)) return;  // the proposal itself will say why
    const auto& [chat, charge, reservation] = std::get<SentChat>(sent);
    std::string note = chat.text;
    while (!note.empty() && (note.back() == '\n' || note.back() == ' ')) note.pop_back();
    const bool usable =
        chat.outcome == ChatOutcome::kOk && chat.finish_reason != "length" && !note.empty();
    rec.outcome = usable ? "note" : chat.outcome == ChatOutcome::kOk
                                        ? (chat.finish_reason == "length" ? "truncated" : "empty")
                                        : FailedOutcome(chat);
    rec.error = usable ? "" : chat.outcome == ChatOutcome::kOk ? "no usable note" : chat.error;
    const int64_t call_id = Record(std::move(rec), &charge, &reservation);
    if (usable) return KeepNote(std::move(note), evaluated, model.name, call_id);
    if (!chat.context_overflow || keep == 0) return;
  }
}

void LlmProposer::KeepNote(std::string note, int64_t evaluated, const std::string& model,
                           int64_t call_id) {
  if (note.size() > o_.scratchpad_max_chars) note = note.substr(0, o_.scratchpad_max_chars) + "\n[...]";
  note = RedactAll(std::move(note));
  std::lock_guard lock(mu_);
  note_ = note;
  LlmNoteRecord n;
  n.id = next_note_id_++;
  n.evaluated = evaluated;
  n.model = model;
  n.call_id = call_id;
  n.note = std::move(note);
  n.created_unix = UnixNow();
  pending_notes_.push_back(std::move(n));
  dirty_ = true;
}

// One proposal's state across its attempts (Propose and its helpers).
struct LlmProposer::Turn {
  const ProposalRequest* req = nullptr;
  std::shared_ptr<const ParsedProgram> parent_parsed;
  size_t model_index = 0;
  PatchMode mode = PatchMode::kDiff;
  std::string mode_name;
  PromptInput in;
  int shrink = 0;  // the prompt's shrink level (context overflow)
  std::vector<ChatMessage> messages;
  std::vector<int64_t> call_ids;
  int64_t prompt_tokens = 0, completion_tokens = 0;
  double cost = 0;
  bool estimated = false;
  std::string last_error = "no attempt made";
  nlohmann::json judged = nlohmann::json::array();  // the novelty judge's calls and verdicts

  void Add(const Charge& c) {
    prompt_tokens += c.prompt_tokens;
    completion_tokens += c.completion_tokens;
    cost += c.cost;
    estimated = estimated || c.estimated;
  }
};

// What became of one reply: a child (parsed, with its embedding), or why not.
struct LlmProposer::Screened {
  std::optional<Program> child;
  std::shared_ptr<const ParsedProgram> parsed;
  std::optional<std::vector<float>> embedding;
  std::string outcome;
  std::string failure;
};

StatusOr<Proposal> LlmProposer::Propose(const ProposalRequest& req, std::stop_token stop) {
  ASSIGN_OR_RETURN(std::unique_ptr<Turn> turn, StartTurn(req, stop));
  for (int attempt = 1, asked = 0; asked <= o_.max_reasks; ++attempt) {
    ASSIGN_OR_RETURN(std::optional<Proposal> done, AskOnce(*turn, attempt, asked, stop));
    if (done) return std::move(*done);
  }
  return InvalidArgumentError(fmt::format("no usable reply from model '{}' after {} attempts: {}",
                                          o_.models[turn->model_index].name, 1 + o_.max_reasks,
                                          FirstLine(turn->last_error, 300)));
}

StatusOr<std::unique_ptr<LlmProposer::Turn>> LlmProposer::StartTurn(const ProposalRequest& req,
                                                                   std::stop_token stop) {
  if (!req.parent) return InvalidArgumentError("no parent");
  const Candidate& parent = *req.parent;
  auto turn = std::make_unique<Turn>();
  turn->req = &req;
  turn->parent_parsed = ParsedSourceOf(parent);
  const std::vector<size_t> files = EvolvableFiles(*turn->parent_parsed);
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
  bool write_note = false;
  {
    std::lock_guard lock(mu_);
    std::swap(write_note, note_due_);
  }
  if (write_note) WriteNote(arms.model, DeriveSeed(req.seed, 1000), stop);
  turn->model_index = arms.model;
  turn->mode = modes_[arms.mode];
  turn->mode_name = std::string(PatchModeName(turn->mode));
  PromptInput& in = turn->in;
  in.mode = turn->mode;
  in.parent = &parent;
  in.second_parent = turn->mode == PatchMode::kCrossover ? second : nullptr;
  for (const auto& c : req.inspirations) in.inspirations.push_back(c.get());
  in.num_top = req.num_top_inspirations;
  {
    std::lock_guard lock(mu_);
    arms_by_child_[req.child_id] = arms;
    if (auto it = history_.find(parent.id); it != history_.end()) {
      in.history.assign(it->second.begin(), it->second.end());
    }
    turn->shrink = shrink_level_;
    in.scratchpad = note_;
    in.parent_is_initial = parent.parent_id == kNoCandidate;
    if (auto gp = values_.find(parent.parent_id); gp != values_.end()) in.grandparent_value = gp->second;
  }
  in.task = context_.task;
  in.objective = context_.objective;
  in.rewrite_file = files[rng.Uniform(files.size())];
  turn->messages = BuildPrompt(templates_, in, Shrunk(o_.prompt, turn->shrink));
  return turn;
}

StatusOr<std::optional<Proposal>> LlmProposer::AskOnce(Turn& turn, int attempt, int& asked,
                                                       std::stop_token stop) {
  LlmCallRecord rec;
  rec.attempt = attempt;
  rec.mode = turn.mode_name;
  std::variant<SentChat, std::string> sent =
      Send(turn.model_index, turn.messages,
           DeriveSeed(turn.req->seed, static_cast<uint64_t>(attempt)), rec, stop);
  if (const std::string* spent = std::get_if<std::string>(&sent)) {
    if (spent->empty()) return CancelledError("the run is stopping");
    Record(std::move(rec), nullptr);
    return ResourceExhaustedError(*spent);
  }
  const auto& [chat, charge, reservation] = std::get<SentChat>(sent);
  turn.Add(charge);
  if (chat.outcome != ChatOutcome::kOk) {
    rec.outcome = FailedOutcome(chat);
    rec.error = chat.error;
    turn.last_error = chat.error;
    turn.call_ids.push_back(Record(std::move(rec), &charge, &reservation));
    RETURN_IF_ERROR(AfterFailedRequest(turn, chat, asked));
    return std::optional<Proposal>();
  }
  {
    std::lock_guard lock(mu_);
    failures_in_a_row_ = 0;
    failure_kind_.clear();
  }
  ++asked;
  Screened s = ScreenReply(turn, chat, stop);
  if (!s.child) {
    rec.outcome = s.outcome;
    rec.error = s.failure;
    turn.last_error = s.failure;
    turn.call_ids.push_back(Record(std::move(rec), &charge, &reservation));
    turn.messages.push_back({"assistant", chat.text.empty() ? "(no answer)" : chat.text});
    turn.messages.push_back({"user", ReaskMessage(templates_, s.failure)});
    return std::optional<Proposal>();
  }
  rec.outcome = "applied";
  rec.candidate_id = turn.req->child_id;
  turn.call_ids.push_back(Record(std::move(rec), &charge, &reservation));
  return std::optional<Proposal>(Finish(turn, std::move(s), chat));
}

Status LlmProposer::AfterFailedRequest(Turn& turn, const ChatResult& chat, int& asked) {
  const ModelSpec& model = o_.models[turn.model_index];
  if (chat.outcome == ChatOutcome::kCancelled) return CancelledError("the run is stopping");
  if (chat.fatal) return FailedPreconditionError(turn.last_error);
  if (chat.context_overflow) return ShrinkPrompt(turn);
  if (std::optional<std::string> stop_reason = CountFailure(model, chat)) {
    return FailedPreconditionError(*stop_reason);
  }
  ++asked;
  if (!chat.retryable) return InvalidArgumentError(turn.last_error);
  return Status::Ok();  // the same question again
}

Status LlmProposer::ShrinkPrompt(Turn& turn) {
  int from;
  {
    std::lock_guard lock(mu_);
    from = std::max(shrink_level_, turn.shrink + 1);
  }
  // Only a smaller prompt is worth a request: early in a run there are no
  // inspirations or history to drop, and the same prompt would only
  // overflow again (with K proposals in flight, K times per level). Re-asks
  // are dropped too; a shrunk prompt is not a re-ask.
  const size_t before = PromptChars(turn.messages);
  for (int level = from; level <= kMaxShrinkLevel; ++level) {
    std::vector<ChatMessage> smaller = BuildPrompt(templates_, turn.in, Shrunk(o_.prompt, level));
    if (PromptChars(smaller) >= before) continue;
    {
      std::lock_guard lock(mu_);
      shrink_level_ = std::max(shrink_level_, level);
    }
    turn.shrink = level;
    turn.messages = std::move(smaller);
    return Status::Ok();
  }
  return FailedPreconditionError(
      "the prompt does not fit the context of model '" + o_.models[turn.model_index].name +
      "' even without inspirations and history and with artifacts cut short: " + turn.last_error);
}

LlmProposer::Screened LlmProposer::ScreenReply(Turn& turn, const ChatResult& chat,
                                               std::stop_token stop) {
  Screened s;
  const Candidate& parent = *turn.req->parent;
  if (chat.finish_reason == "length") {
    // Cut off at max_tokens: never applied, even when a block looks whole.
    s.outcome = "truncated";
    s.failure = fmt::format(
        "your reply was cut off at the limit of {} tokens before it ended. Answer again, "
        "much shorter: think briefly, then give {} at once.",
        o_.models[turn.model_index].max_tokens,
        turn.mode == PatchMode::kDiff ? "small SEARCH/REPLACE blocks" : "the code");
    return s;
  }
  s.child = ApplyReply(turn.mode, parent, turn.in.rewrite_file, chat.text, s.outcome, s.failure);
  if (!s.child) return s;
  // The run's pre-check, asked early (precheck/precheck.h): a child it
  // would reject or find a duplicate is re-asked for instead.
  s.parsed = ParsedProgram::Make(*s.child);
  const PrecheckVerdict verdict = turn.req->precheck
                                      ? turn.req->precheck->Check(*turn.parent_parsed, *s.parsed)
                                      : PrecheckVerdict{};
  if (!verdict.passed()) {
    s.child.reset();
    const bool duplicate = verdict.kind == PrecheckVerdict::Kind::kDuplicate;
    s.outcome = duplicate ? "novelty_rejected" : "patch_failed";
    s.failure = duplicate ? "the resulting program is " + verdict.reason +
                                " (up to comments and whitespace); propose a genuinely different "
                                "change"
                          : "the resulting program was refused: " + verdict.reason;
    return s;
  }
  s.embedding = Embed(*s.child, stop);
  if (std::optional<NoveltyMatch> copy = CheckNovelty(turn, s, stop)) {
    s.child.reset();
    s.outcome = "novelty_rejected";
    s.failure = "the resulting program is " + copy->reason + "; propose a genuinely different change";
  }
  return s;
}

std::optional<NoveltyMatch> LlmProposer::CheckNovelty(Turn& turn, const Screened& s,
                                                      std::stop_token stop) {
  // Checked and held in one step: a near-copy of a child still in flight
  // (proposed by another thread, or being evaluated) is refused too. With
  // the judge, a near-copy (never an identical one) is judged against the
  // most similar program, as ShinkaEvolve does; found meaningfully
  // different, it is held unless it is identical to a program by then.
  const std::vector<float>* embedding = s.embedding ? &*s.embedding : nullptr;
  std::optional<NoveltyMatch> m =
      novelty_.CheckAndHold(turn.req->island, turn.req->child_id, *s.parsed, embedding);
  if (!m || m->identical || !o_.novelty_judge) return m;
  if (JudgeNovelty(turn, s, *m, stop) == Verdict::kSame) {
    m->reason += "; the novelty judge found no meaningful difference";
    return m;
  }
  // kNoVerdict: the child is kept as if judged different (its reply is not
  // lost to a judge that could not answer); the failed call is recorded.
  return novelty_.CheckAndHold(turn.req->island, turn.req->child_id, *s.parsed, embedding,
                               /*identical_only=*/true);
}

LlmProposer::Verdict LlmProposer::JudgeNovelty(Turn& turn, const Screened& s,
                                               const NoveltyMatch& match, std::stop_token stop) {
  size_t index = turn.model_index;
  for (size_t i = 0; i < o_.models.size(); ++i) {
    if (o_.models[i].name == o_.novelty_judge_model) index = i;
  }
  const std::vector<ChatMessage> messages = BuildNoveltyJudgePrompt(
      templates_, context_.task, context_.objective, match.id, match.code,
      NoveltyIndex::EvolvableCode(*s.parsed),
      fmt::format("{:.1f}% similar", 100 * match.similarity), o_.prompt.max_code_chars);
  LlmCallRecord rec;
  rec.mode = "novelty_judge";
  std::variant<SentChat, std::string> sent =
      Send(index, messages, DeriveSeed(turn.req->seed, 2000 + static_cast<uint64_t>(match.id)),
           rec, stop);
  if (const std::string* spent = std::get_if<std::string>(&sent)) {
    if (!spent->empty()) turn.call_ids.push_back(Record(std::move(rec), nullptr));
    return Verdict::kNoVerdict;  // stopping, or no budget left
  }
  const auto& [chat, charge, reservation] = std::get<SentChat>(sent);
  turn.Add(charge);
  std::optional<bool> different;
  if (chat.outcome != ChatOutcome::kOk) {
    rec.outcome = FailedOutcome(chat);
    rec.error = chat.error;
  } else if (chat.finish_reason == "length") {
    rec.outcome = "truncated";
    rec.error = "the verdict was cut off at max_tokens";
  } else if (different = ParseNoveltyVerdict(chat.text); !different) {
    rec.outcome = "malformed_response";
    rec.error = "no 'VERDICT: DIFFERENT' or 'VERDICT: SAME' line in the reply";
  } else {
    rec.outcome = *different ? "novel" : "not_novel";
    if (!*different) {
      rec.error = fmt::format("not meaningfully different from program #{} ({:.1f}% similar)",
                              match.id, 100 * match.similarity);
    }
  }
  const int64_t call_id = Record(std::move(rec), &charge, &reservation);
  turn.call_ids.push_back(call_id);
  turn.judged.push_back({{"call", call_id},
                         {"against", match.id},
                         {"similarity", match.similarity},
                         {"verdict", !different ? "none" : *different ? "different" : "same"}});
  if (!different) return Verdict::kNoVerdict;
  return *different ? Verdict::kDifferent : Verdict::kSame;
}

Proposal LlmProposer::Finish(Turn& turn, Screened s, const ChatResult& chat) {
  {
    std::lock_guard lock(mu_);
    if (s.embedding) embeddings_[turn.req->child_id] = std::move(*s.embedding);
    if (auto it = arms_by_child_.find(turn.req->child_id); it != arms_by_child_.end()) {
      // Improvement per unit of money when every model has a price, else per token.
      const bool priced = std::all_of(o_.models.begin(), o_.models.end(), [](const ModelSpec& m) {
        return m.price_input_per_m || m.price_output_per_m;
      });
      it->second.spend =
          priced ? turn.cost : static_cast<double>(turn.prompt_tokens + turn.completion_tokens);
    }
  }
  Proposal out;
  out.program = std::move(*s.child);
  out.parsed = std::move(s.parsed);
  out.info.proposer = "llm";
  out.info.operators = {turn.mode_name};
  json detail = {{"model", o_.models[turn.model_index].name},
                 {"mode", turn.mode_name},
                 {"calls", turn.call_ids},
                 {"prompt_tokens", turn.prompt_tokens},
                 {"completion_tokens", turn.completion_tokens},
                 {"cost", turn.cost},
                 {"summary", Summary(chat.text)}};
  // Without the model's summary, later prompts say what was tried anyway.
  if (detail["summary"].get_ref<const std::string&>().empty()) {
    detail["change"] = CompactChange(turn.req->parent->program, out.program);
  }
  if (turn.estimated) detail["tokens_estimated"] = true;
  if (!turn.judged.empty()) detail["novelty_judge"] = turn.judged;
  out.info.detail_json = detail.dump(-1, ' ', false, json::error_handler_t::replace);
  return out;
}

void LlmProposer::OnRestoredInFlight(const Candidate& child) {
  // Held as a child this proposer checked would be; its OnResult adds an ok
  // one as evaluated or releases the hold.
  novelty_.Hold(child.island, child.id, *ParsedSourceOf(child));
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
  if (child.result.outcome == Outcome::kOk) {  // replaces its hold, if any
    novelty_.Add(child.parent_id == kNoCandidate ? NoveltyIndex::kEveryIsland : child.island,
                 child.id, *ParsedSourceOf(child), std::move(embedding));
  } else {
    novelty_.Release(child.id);  // not evaluated ok: no longer a program to avoid
  }
  std::lock_guard lock(mu_);
  const std::optional<double> value = context_.objective.ValueOf(child.result);
  if (child.result.outcome == Outcome::kOk && value) {
    values_[child.id] = *value;
    if (!best_value_ || context_.objective.Better(*value, *best_value_)) best_value_ = *value;
  }
  const bool evaluated = child.result.outcome != Outcome::kRejected &&
                         child.result.outcome != Outcome::kDuplicate && child.parent_id != kNoCandidate;
  if (evaluated && ++evaluated_ % std::max(o_.scratchpad_every, 1) == 0 && o_.scratchpad_every > 0 &&
      !replayed) {
    note_due_ = true;
  }
  if (child.parent_id != kNoCandidate) {
    Attempt a;
    a.id = child.id;
    a.mode = child.proposal.operators.empty() ? child.proposal.proposer
                                              : child.proposal.operators.front();
    a.outcome = OutcomeName(child.result.outcome);
    a.value = context_.objective.ValueOf(child.result);
    a.note = FirstLine(child.result.feedback);
    if (child.proposal.proposer == "llm") {
      const json d = json::parse(child.proposal.detail_json, nullptr, false);
      for (const char* key : {"summary", "change"}) {
        if (a.change.empty() && d.is_object() && d.contains(key) && d[key].is_string()) {
          a.change = d[key].get<std::string>();
        }
      }
    } else if (child.proposal.proposer == "tune") {
      a.change = TunedConstantsLine(child.proposal.detail_json);
    }
    if (evaluated) {
      const auto pv = values_.find(child.parent_id);
      recent_.push_back(AttemptLine(a, context_.objective,
                                    pv == values_.end() ? std::nullopt : std::optional(pv->second)));
      while (recent_.size() > 40) recent_.pop_front();
    }
    std::deque<Attempt>& h = history_[child.parent_id];
    h.push_back(std::move(a));
    while (h.size() > 12) h.pop_front();
  }
  auto it = arms_by_child_.find(child.id);
  if (it == arms_by_child_.end()) return;
  const Arms arms = it->second;
  arms_by_child_.erase(it);
  if (replayed) return;
  double reward = ImprovementReward(child_fitness, parent_fitness);
  // Per unit spend: a pair that costs twice the average earns half.
  if (arms.spend > 0) {
    spend_sum_ += arms.spend;
    ++spend_n_;
    reward *= std::min(1.0, spend_sum_ / static_cast<double>(spend_n_) / arms.spend);
  }
  joint_bandit_.Update(arms.model * 3 + arms.mode, reward);
  model_bandit_.Update(arms.model, reward);
  mode_bandit_.Update(arms.mode, reward);
  dirty_ = true;
}

ProposerCheckpoint LlmProposer::TakeCheckpoint() {
  ProposerCheckpoint cp;
  std::lock_guard lock(mu_);
  cp.calls.swap(pending_);
  cp.notes.swap(pending_notes_);
  if (!dirty_) return cp;
  dirty_ = false;
  const json state = {{"version", 1},
                      {"next_call_id", next_call_id_},
                      {"prompt_tokens", prompt_tokens_},
                      {"completion_tokens", completion_tokens_},
                      {"cost", cost_},
                      {"estimated_tokens", estimated_tokens_},
                      {"shrink_level", shrink_level_},
                      {"scratchpad", note_},
                      {"next_note_id", next_note_id_},
                      {"calls", calls_},
                      {"applied", applied_},
                      {"mode_counts", mode_counts_},
                      {"joint_bandit", json::parse(joint_bandit_.ToJson())},
                      {"spend_sum", spend_sum_},
                      {"spend_n", spend_n_},
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
    estimated_tokens_ = j.value("estimated_tokens", int64_t{0});
    shrink_level_ = j.value("shrink_level", 0);
    note_ = j.value("scratchpad", std::string());
    next_note_id_ = j.value("next_note_id", int64_t{1});
    calls_ = j.value("calls", int64_t{0});
    applied_ = j.value("applied", int64_t{0});
    mode_counts_ = j.value("mode_counts", std::map<std::string, int64_t>{});
    if (j.contains("joint_bandit")) RETURN_IF_ERROR(joint_bandit_.FromJson(j["joint_bandit"].dump()));
    spend_sum_ = j.value("spend_sum", 0.0);
    spend_n_ = j.value("spend_n", int64_t{0});
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
