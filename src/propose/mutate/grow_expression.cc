// GrowExpression: see operators.h.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "propose/mutate/operators.h"
#include "propose/mutate/source_model.h"

namespace crucible {
namespace {

using namespace mutate_internal;

// An expression that can receive a new term: the right-hand side of an
// assignment or a return, [begin, end) in bytes, plus the operands it reads.
struct Site {
  size_t begin = 0;
  size_t end = 0;
  bool simple = true;  // only + - * / and operands: no parentheses needed around it
  std::vector<std::string> atoms;
};

bool IsAssignment(std::string_view op) {
  return op == "=" || op == "+=" || op == "-=" || op == "*=" || op == "/=";
}

// C-family words that declare an integer or boolean: growing their
// initialiser by a floating term would only truncate it.
bool IsIntegralTypeWord(std::string_view w) {
  static const std::vector<std::string_view> kWords = {
      "int",      "long",     "short",     "unsigned", "signed",   "char",     "bool",
      "size_t",   "int8_t",   "int16_t",   "int32_t",  "int64_t",  "uint8_t",  "uint16_t",
      "uint32_t", "uint64_t", "ptrdiff_t", "ssize_t",  "intptr_t", "uintptr_t"};
  return std::find(kWords.begin(), kWords.end(), w) != kWords.end();
}

// The index one past the bracket that closes the one at `open`, or kNone.
size_t MatchingClose(const EditContext& ctx, size_t open) {
  int depth = 0;
  for (size_t i = open; i < ctx.tokens.size(); ++i) {
    if (ctx.tokens[i].kind != TokenKind::kPunctuation) continue;
    const std::string_view t = TextOf(ctx, i);
    if (t == "(" || t == "[" || t == "{") ++depth;
    if (t == ")" || t == "]" || t == "}") {
      if (--depth == 0) return i + 1;
    }
  }
  return kNone;
}

// The operand atoms read by tokens [first, last): plain variables (not
// keywords, types, functions or namespaces), indexed variables `name[...]`
// and data members `name.field`, `name->field`, `name[i].field` (a chain not
// followed by a call), as written.
std::vector<std::string> Atoms(const EditContext& ctx, size_t first, size_t last) {
  std::vector<std::string> atoms;
  for (size_t i = first; i < last; ++i) {
    const Token& t = ctx.tokens[i];
    if (t.kind != TokenKind::kIdentifier) continue;
    const std::string_view word = TextOf(ctx, i);
    if (IsNonOperandWord(ctx.language, word) || word == "true" || word == "false" ||
        word == "True" || word == "False" || word == "None" || word == "nullptr" ||
        word == "this" || word == "self") {
      continue;
    }
    if (ctx.language == Language::kCFamily && IsCTypeWord(word)) continue;
    const size_t prev = PrevSignificant(ctx, i);
    if (prev != kNone && (TokenIs(ctx, prev, TokenKind::kPunctuation, ".") ||
                          TokenIs(ctx, prev, TokenKind::kOperator, "->") ||
                          TokenIs(ctx, prev, TokenKind::kOperator, "::"))) {
      continue;
    }
    // Extend over `[...]`, `.field` and `->field` links; `end` is the last
    // token of the chain.
    size_t end = i;
    bool ok = true;
    for (;;) {
      const size_t next = NextSignificant(ctx, end);
      if (next == kNone || next >= last) break;
      const std::string_view n = TextOf(ctx, next);
      if (n == "(" || n == "::" || n == "<" || n == "{") {
        ok = false;  // a call, a namespace or a template: not a value we can name
        break;
      }
      if (n == "[") {
        const size_t close = MatchingClose(ctx, next);
        if (close == kNone || close > last) {
          ok = false;
          break;
        }
        end = close - 1;
        continue;
      }
      if (n == "." || n == "->") {
        const size_t field = NextSignificant(ctx, next);
        if (field == kNone || field >= last ||
            ctx.tokens[field].kind != TokenKind::kIdentifier) {
          ok = false;
          break;
        }
        end = field;
        continue;
      }
      break;
    }
    if (!ok) continue;
    const size_t stop = ctx.tokens[end].begin + ctx.tokens[end].length;
    std::string atom(ctx.source.substr(t.begin, stop - t.begin));
    i = end;
    if (atom.find_first_of("\n\r") != std::string::npos) continue;
    if (std::find(atoms.begin(), atoms.end(), atom) == atoms.end()) atoms.push_back(atom);
  }
  return atoms;
}

// Scans the expression that starts at token `first` up to its end (';' in
// C-family, the line's end in Python) at bracket depth 0. kNone when it
// holds something a numeric term cannot be added to (a string, a brace
// initialiser, a lambda, a list or tuple display, a comma, another
// assignment) or does not end inside the same evolvable region.
std::optional<Site> ScanExpression(const EditContext& ctx, size_t first) {
  const bool python = ctx.language == Language::kPython;
  Site site;
  int depth = 0;
  size_t last_sig = kNone;
  size_t i = first;
  for (; i < ctx.tokens.size(); ++i) {
    const Token& t = ctx.tokens[i];
    if (t.kind == TokenKind::kWhitespace) continue;
    if (t.kind == TokenKind::kComment) {
      if (python && depth == 0) break;
      continue;
    }
    if (t.kind == TokenKind::kNewline) {
      if (python && depth == 0) break;
      continue;
    }
    const std::string_view text = TextOf(ctx, i);
    if (t.kind == TokenKind::kString || t.kind == TokenKind::kPreprocessor ||
        t.kind == TokenKind::kOther) {
      return std::nullopt;
    }
    if (t.kind == TokenKind::kPunctuation) {
      if (text == ";") {
        if (depth != 0) return std::nullopt;
        break;
      }
      if (text == "{" || text == "}") return std::nullopt;
      if (text == "," && depth == 0) return std::nullopt;
      if (text == "[" && python && (last_sig == kNone || !IsOperandEnd(ctx, last_sig))) {
        return std::nullopt;  // a list display, not an index
      }
      if (text == "(" || text == "[") ++depth;
      if (text == ")" || text == "]") {
        if (--depth < 0) return std::nullopt;
      }
      if (text == "(" || text == ")") site.simple = false;
    } else if (t.kind == TokenKind::kOperator) {
      if (IsAssignment(text) || text == "=>") return std::nullopt;
      if (depth == 0 && !(text == "+" || text == "-" || text == "*" || text == "/")) {
        site.simple = false;
      }
    } else if (t.kind == TokenKind::kIdentifier) {
      if (text == "lambda" || text == "new" || text == "yield" || text == "await") {
        return std::nullopt;
      }
      if (python && (text == "if" || text == "else" || text == "and" || text == "or" ||
                     text == "not" || text == "for" || text == "in")) {
        site.simple = false;
      }
    }
    if (!TokenInEvolvable(ctx, i)) return std::nullopt;
    last_sig = i;
  }
  if (last_sig == kNone || depth != 0) return std::nullopt;
  if (!python && i >= ctx.tokens.size()) return std::nullopt;  // no ';'
  site.begin = ctx.tokens[first].begin;
  site.end = ctx.tokens[last_sig].begin + ctx.tokens[last_sig].length;
  site.atoms = Atoms(ctx, first, last_sig + 1);
  if (site.atoms.empty()) return std::nullopt;
  return site;
}

// Open ( and [ before each token (braces do not count: a statement inside a
// function body is at depth 0).
std::vector<int> ParenDepths(const EditContext& ctx) {
  std::vector<int> depths(ctx.tokens.size());
  int depth = 0;
  for (size_t i = 0; i < ctx.tokens.size(); ++i) {
    depths[i] = depth;
    if (ctx.tokens[i].kind != TokenKind::kPunctuation) continue;
    const std::string_view t = TextOf(ctx, i);
    if (t == "(" || t == "[") ++depth;
    if ((t == ")" || t == "]") && depth > 0) --depth;
  }
  return depths;
}

// Whether the statement holding the assignment at token `op` declares an
// integral variable (C-family), looking back to the statement's start.
bool DeclaresIntegral(const EditContext& ctx, size_t op) {
  for (size_t i = PrevSignificant(ctx, op); i != kNone; i = PrevSignificant(ctx, i)) {
    const std::string_view t = TextOf(ctx, i);
    if (t == ";" || t == "{" || t == "}") return false;
    if (ctx.tokens[i].kind == TokenKind::kIdentifier && IsIntegralTypeWord(t)) return true;
  }
  return false;
}

std::vector<Site> FindSites(const EditContext& ctx) {
  const bool python = ctx.language == Language::kPython;
  const std::vector<int> depths = ParenDepths(ctx);
  std::vector<Site> sites;
  for (size_t i = 0; i < ctx.tokens.size(); ++i) {
    const Token& t = ctx.tokens[i];
    if (!TokenInEvolvable(ctx, i) || depths[i] != 0) continue;
    const std::string_view text = TextOf(ctx, i);
    const bool assignment = t.kind == TokenKind::kOperator && IsAssignment(text);
    const bool ret = t.kind == TokenKind::kIdentifier && text == "return";
    if (!assignment && !ret) continue;
    if (assignment && !python && DeclaresIntegral(ctx, i)) continue;
    const size_t first = NextSignificant(ctx, i);
    if (first == kNone) continue;
    std::optional<Site> site = ScanExpression(ctx, first);
    if (!site) continue;
    if (assignment && text != "=") {
      // `x += e` reads x too.
      const size_t lhs = PrevSignificant(ctx, i);
      if (lhs != kNone && ctx.tokens[lhs].kind == TokenKind::kIdentifier) {
        const std::string name(TextOf(ctx, lhs));
        if (std::find(site->atoms.begin(), site->atoms.end(), name) == site->atoms.end()) {
          site->atoms.push_back(name);
        }
      }
    }
    sites.push_back(std::move(*site));
  }
  return sites;
}

// A float literal valid in C, C++ and Python: 3 significant digits and
// always a '.' or an exponent, so C-family reads a double.
std::string Literal(double v) {
  std::string s = fmt::format("{:.3g}", v);
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";
  return s;
}

// 10^U(lo, hi).
double LogUniform(Rng& rng, double lo, double hi) {
  return std::pow(10.0, lo + (hi - lo) * rng.UniformDouble());
}
// Coefficients: |c| in [1e-3, 10], either sign (a new term starts small
// more often than large; perturb_constant scales it from there).
double Coefficient(Rng& rng) {
  return (rng.Uniform(2) == 0 ? -1.0 : 1.0) * LogUniform(rng, -3.0, 1.0);
}
// Thresholds and step heights: in [0.1, 100], the scale of most quantities
// programs compare (sizes, counts, angles, fractions times 100).
double Threshold(Rng& rng) { return LogUniform(rng, -1.0, 2.0); }

}  // namespace

std::optional<Edit> GrowExpression(const EditContext& ctx, Rng& rng) {
  const std::vector<Site> sites = FindSites(ctx);
  if (sites.empty()) return std::nullopt;
  const Site& site = sites[rng.Uniform(sites.size())];
  const bool python = ctx.language == Language::kPython;
  const std::string expr(ctx.source.substr(site.begin, site.end - site.begin));
  const std::string base = site.simple ? expr : "(" + expr + ")";
  const std::string& a = site.atoms[rng.Uniform(site.atoms.size())];
  const std::string& b = site.atoms[rng.Uniform(site.atoms.size())];
  // c as " + 0.5" or " - 0.5": the sign joins the operator.
  const double c_value = Coefficient(rng);
  const std::string c = fmt::format("{} {}", c_value < 0 ? '-' : '+', Literal(std::abs(c_value)));
  const std::string threshold = Literal(Threshold(rng));
  const std::string d = Literal((rng.Uniform(2) == 0 ? -1.0 : 1.0) * Threshold(rng));
  std::string grown;
  switch (rng.Uniform(6)) {
    case 0:  // a linear term
      grown = fmt::format("{} {} * {}", base, c, a);
      break;
    case 1:  // a product term
      grown = fmt::format("{} {} * {} * {}", base, c, a, b);
      break;
    case 2:  // a step at a threshold
      grown = python ? fmt::format("{} + ({} if {} < {} else 0.0)", base, d, a, threshold)
                     : fmt::format("{} + ({} < {} ? {} : 0.0)", base, a, threshold, d);
      break;
    case 3:  // a bounded bump
      grown = fmt::format("{} {} / (1.0 + {} * {})", base, c, a, a);
      break;
    case 4:  // a relative scaling
      grown = fmt::format("({}) * (1.0 {} * {})", expr, c, a);
      break;
    default: {  // clamp one operand at a threshold
      const std::string clamped =
          python ? fmt::format("min({}, {})", a, threshold)
                 : fmt::format("({} < {} ? {} : {})", a, threshold, a, threshold);
      // Replace the first whole-token occurrence of the atom.
      size_t pos = 0;
      while ((pos = expr.find(a, pos)) != std::string::npos) {
        const auto word = [](char ch) {
          return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_';
        };
        const bool left_ok = pos == 0 || (!word(expr[pos - 1]) && expr[pos - 1] != '.' &&
                                          expr[pos - 1] != '>' && expr[pos - 1] != ':');
        const size_t after = pos + a.size();
        const bool right_ok = after >= expr.size() || (!word(expr[after]) && expr[after] != '[');
        if (left_ok && right_ok) break;
        pos = after;
      }
      if (pos == std::string::npos) return std::nullopt;
      grown = expr.substr(0, pos) + clamped + expr.substr(pos + a.size());
      break;
    }
  }
  return MakeEdit(Splice(ctx.source, site.begin, site.end, grown),
                  LineNumberAt(ctx.source, site.begin), expr, grown);
}

}  // namespace crucible
