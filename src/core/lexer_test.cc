#include "core/lexer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "core/rng.h"

namespace crucible {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;
using K = TokenKind;

// The significant tokens (no whitespace or newlines) as (kind, text) pairs.
std::vector<std::pair<TokenKind, std::string>> Lex(std::string_view src, Language lang) {
  std::vector<std::pair<TokenKind, std::string>> out;
  for (const Token& t : Tokenize(src, lang)) {
    if (t.kind == K::kWhitespace || t.kind == K::kNewline) continue;
    out.emplace_back(t.kind, std::string(t.Text(src)));
  }
  return out;
}

std::string Concat(std::string_view src, const std::vector<Token>& tokens) {
  std::string out;
  for (const Token& t : tokens) out += t.Text(src);
  return out;
}

// Tokens are non-empty, contiguous, and cover the input exactly.
void ExpectLossless(std::string_view src, Language lang) {
  const std::vector<Token> tokens = Tokenize(src, lang);
  size_t pos = 0;
  for (const Token& t : tokens) {
    ASSERT_EQ(t.begin, pos);
    ASSERT_GT(t.length, 0u);
    pos += t.length;
  }
  ASSERT_EQ(pos, src.size());
  ASSERT_EQ(Concat(src, tokens), src);
}

TEST(LanguageForPathTest, PythonByExtensionElseCFamily) {
  EXPECT_EQ(LanguageForPath("a/b/solver.py"), Language::kPython);
  EXPECT_EQ(LanguageForPath("stubs.pyi"), Language::kPython);
  EXPECT_EQ(LanguageForPath("X.PY"), Language::kPython);
  EXPECT_EQ(LanguageForPath("main.cc"), Language::kCFamily);
  EXPECT_EQ(LanguageForPath("kernel.cu"), Language::kCFamily);
  EXPECT_EQ(LanguageForPath("Makefile"), Language::kCFamily);
  EXPECT_EQ(LanguageForPath("dir.py/file"), Language::kCFamily);
}

TEST(LexerCTest, RepresentativeSnippet) {
  EXPECT_THAT(
      Lex("int x = a->b + 0x1F; // add\n", Language::kCFamily),
      ElementsAre(Pair(K::kIdentifier, "int"), Pair(K::kIdentifier, "x"), Pair(K::kOperator, "="),
                  Pair(K::kIdentifier, "a"), Pair(K::kOperator, "->"), Pair(K::kIdentifier, "b"),
                  Pair(K::kOperator, "+"), Pair(K::kNumber, "0x1F"), Pair(K::kPunctuation, ";"),
                  Pair(K::kComment, "// add")));
}

TEST(LexerCTest, WhitespaceAndNewlines) {
  const std::string src = "a \t b\r\nc\n";
  const std::vector<Token> t = Tokenize(src, Language::kCFamily);
  ASSERT_EQ(t.size(), 6u);
  EXPECT_EQ(t[1].kind, K::kWhitespace);
  EXPECT_EQ(t[1].Text(src), " \t ");
  EXPECT_EQ(t[3].kind, K::kNewline);
  EXPECT_EQ(t[3].Text(src), "\r\n");
  EXPECT_EQ(t[5].kind, K::kNewline);
  EXPECT_EQ(t[5].Text(src), "\n");
}

TEST(LexerCTest, Comments) {
  EXPECT_THAT(Lex("a /* x\n y */ b // z /* w\nc", Language::kCFamily),
              ElementsAre(Pair(K::kIdentifier, "a"), Pair(K::kComment, "/* x\n y */"),
                          Pair(K::kIdentifier, "b"), Pair(K::kComment, "// z /* w"),
                          Pair(K::kIdentifier, "c")));
}

TEST(LexerCTest, StringsWithEscapesAndPrefixes) {
  EXPECT_THAT(Lex(R"(s = "a\"b\\" u8"x" L"y" u"z" U"w" '\'' L'c' ;)", Language::kCFamily),
              ElementsAre(Pair(K::kIdentifier, "s"), Pair(K::kOperator, "="),
                          Pair(K::kString, R"("a\"b\\")"), Pair(K::kString, R"(u8"x")"),
                          Pair(K::kString, R"(L"y")"), Pair(K::kString, R"(u"z")"),
                          Pair(K::kString, R"(U"w")"), Pair(K::kString, R"('\'')"),
                          Pair(K::kString, "L'c'"), Pair(K::kPunctuation, ";")));
}

TEST(LexerCTest, RawStrings) {
  const std::string src = "x = R\"d(a \")\" // not a comment)d\" + u8R\"(q)\" + LR\"(1)\";";
  EXPECT_THAT(
      Lex(src, Language::kCFamily),
      ElementsAre(Pair(K::kIdentifier, "x"), Pair(K::kOperator, "="),
                  Pair(K::kString, "R\"d(a \")\" // not a comment)d\""), Pair(K::kOperator, "+"),
                  Pair(K::kString, "u8R\"(q)\""), Pair(K::kOperator, "+"),
                  Pair(K::kString, "LR\"(1)\""), Pair(K::kPunctuation, ";")));
  // R followed by a string that is not a valid raw-string opening.
  EXPECT_THAT(Lex("R\"a b\"", Language::kCFamily),
              ElementsAre(Pair(K::kIdentifier, "R"), Pair(K::kString, "\"a b\"")));
  // uR/UR prefixes; an identifier merely ending in R is not a prefix.
  EXPECT_THAT(Lex("uR\"(a)\" UR\"(b)\" FOOR\"c\"", Language::kCFamily),
              ElementsAre(Pair(K::kString, "uR\"(a)\""), Pair(K::kString, "UR\"(b)\""),
                          Pair(K::kIdentifier, "FOOR"), Pair(K::kString, "\"c\"")));
}

TEST(LexerCTest, Numbers) {
  EXPECT_THAT(
      Lex("0x1F 0b1010'0101 017 1'000'000 3.5e-2f 1e+10 .5 1. 10u 7ul 8ll 2.0L 0x1.8p3 0x1e+2",
          Language::kCFamily),
      ElementsAre(Pair(K::kNumber, "0x1F"), Pair(K::kNumber, "0b1010'0101"),
                  Pair(K::kNumber, "017"), Pair(K::kNumber, "1'000'000"),
                  Pair(K::kNumber, "3.5e-2f"), Pair(K::kNumber, "1e+10"), Pair(K::kNumber, ".5"),
                  Pair(K::kNumber, "1."), Pair(K::kNumber, "10u"), Pair(K::kNumber, "7ul"),
                  Pair(K::kNumber, "8ll"), Pair(K::kNumber, "2.0L"), Pair(K::kNumber, "0x1.8p3"),
                  // In hex, 'e' is a digit: the '+' is an operator.
                  Pair(K::kNumber, "0x1e"), Pair(K::kOperator, "+"), Pair(K::kNumber, "2")));
}

TEST(LexerCTest, DigitSeparatorVersusCharLiteral) {
  EXPECT_THAT(
      Lex("f(1'000,'a');", Language::kCFamily),
      ElementsAre(Pair(K::kIdentifier, "f"), Pair(K::kPunctuation, "("), Pair(K::kNumber, "1'000"),
                  Pair(K::kPunctuation, ","), Pair(K::kString, "'a'"), Pair(K::kPunctuation, ")"),
                  Pair(K::kPunctuation, ";")));
  EXPECT_THAT(Lex("c=1?'x':'y'", Language::kCFamily),
              ElementsAre(Pair(K::kIdentifier, "c"), Pair(K::kOperator, "="), Pair(K::kNumber, "1"),
                          Pair(K::kOperator, "?"), Pair(K::kString, "'x'"), Pair(K::kOperator, ":"),
                          Pair(K::kString, "'y'")));
}

TEST(LexerCTest, RangesAreNotNumbers) {
  EXPECT_THAT(Lex("0..10", Language::kCFamily),
              ElementsAre(Pair(K::kNumber, "0"), Pair(K::kOperator, ".."), Pair(K::kNumber, "10")));
}

TEST(LexerCTest, PreprocessorOnlyAtLineStart) {
  const std::string src = "  #define M(a) \\\n  (a + 1) // c\nint x = 1; # y\n#include <v>\n";
  EXPECT_THAT(
      Lex(src, Language::kCFamily),
      ElementsAre(Pair(K::kPreprocessor, "#define M(a) \\\n  (a + 1) // c"),
                  Pair(K::kIdentifier, "int"), Pair(K::kIdentifier, "x"), Pair(K::kOperator, "="),
                  Pair(K::kNumber, "1"), Pair(K::kPunctuation, ";"), Pair(K::kOther, "#"),
                  Pair(K::kIdentifier, "y"), Pair(K::kPreprocessor, "#include <v>")));
}

TEST(LexerCTest, HashInsideStringIsNotPreprocessor) {
  EXPECT_THAT(Lex("s = \"\n#x\";", Language::kCFamily),
              ElementsAre(Pair(K::kIdentifier, "s"), Pair(K::kOperator, "="),
                          Pair(K::kString, "\"\n#x\""), Pair(K::kPunctuation, ";")));
}

TEST(LexerCTest, LongestMatchOperators) {
  EXPECT_THAT(
      Lex("<<= >>= <=> ->* -> :: ++ -- && || == != <= >= += -= *= /= %= &= |= ^= << >> .* ...",
          Language::kCFamily),
      ElementsAre(Pair(K::kOperator, "<<="), Pair(K::kOperator, ">>="), Pair(K::kOperator, "<=>"),
                  Pair(K::kOperator, "->*"), Pair(K::kOperator, "->"), Pair(K::kOperator, "::"),
                  Pair(K::kOperator, "++"), Pair(K::kOperator, "--"), Pair(K::kOperator, "&&"),
                  Pair(K::kOperator, "||"), Pair(K::kOperator, "=="), Pair(K::kOperator, "!="),
                  Pair(K::kOperator, "<="), Pair(K::kOperator, ">="), Pair(K::kOperator, "+="),
                  Pair(K::kOperator, "-="), Pair(K::kOperator, "*="), Pair(K::kOperator, "/="),
                  Pair(K::kOperator, "%="), Pair(K::kOperator, "&="), Pair(K::kOperator, "|="),
                  Pair(K::kOperator, "^="), Pair(K::kOperator, "<<"), Pair(K::kOperator, ">>"),
                  Pair(K::kOperator, ".*"), Pair(K::kOperator, "...")));
  EXPECT_THAT(Lex("a-->b", Language::kCFamily),
              ElementsAre(Pair(K::kIdentifier, "a"), Pair(K::kOperator, "--"),
                          Pair(K::kOperator, ">"), Pair(K::kIdentifier, "b")));
  EXPECT_THAT(
      Lex("v.x[0]{}", Language::kCFamily),
      ElementsAre(Pair(K::kIdentifier, "v"), Pair(K::kPunctuation, "."), Pair(K::kIdentifier, "x"),
                  Pair(K::kPunctuation, "["), Pair(K::kNumber, "0"), Pair(K::kPunctuation, "]"),
                  Pair(K::kPunctuation, "{"), Pair(K::kPunctuation, "}")));
}

TEST(LexerCTest, SlashSlashIsACommentInC) {
  EXPECT_THAT(Lex("a // b", Language::kCFamily),
              ElementsAre(Pair(K::kIdentifier, "a"), Pair(K::kComment, "// b")));
}

TEST(LexerCTest, UnterminatedStringAndCommentRunToEnd) {
  EXPECT_THAT(Lex("a \"bc\nd e", Language::kCFamily),
              ElementsAre(Pair(K::kIdentifier, "a"), Pair(K::kString, "\"bc\nd e")));
  EXPECT_THAT(Lex("a /* b\nc", Language::kCFamily),
              ElementsAre(Pair(K::kIdentifier, "a"), Pair(K::kComment, "/* b\nc")));
  EXPECT_THAT(Lex("R\"x(abc", Language::kCFamily), ElementsAre(Pair(K::kString, "R\"x(abc")));
  EXPECT_THAT(Lex("\"a\\", Language::kCFamily), ElementsAre(Pair(K::kString, "\"a\\")));
}

TEST(LexerCTest, LoneQuoteIsOtherNotAString) {
  // A Rust lifetime: the quote does not close on its line.
  EXPECT_THAT(Lex("&'a str\nx", Language::kCFamily),
              ElementsAre(Pair(K::kOperator, "&"), Pair(K::kOther, "'"), Pair(K::kIdentifier, "a"),
                          Pair(K::kIdentifier, "str"), Pair(K::kIdentifier, "x")));
}

TEST(LexerPythonTest, RepresentativeSnippet) {
  EXPECT_THAT(
      Lex("def f(x: int) -> int:\n    return x ** 2 // 3  # sq\n", Language::kPython),
      ElementsAre(Pair(K::kIdentifier, "def"), Pair(K::kIdentifier, "f"),
                  Pair(K::kPunctuation, "("), Pair(K::kIdentifier, "x"), Pair(K::kOperator, ":"),
                  Pair(K::kIdentifier, "int"), Pair(K::kPunctuation, ")"), Pair(K::kOperator, "->"),
                  Pair(K::kIdentifier, "int"), Pair(K::kOperator, ":"),
                  Pair(K::kIdentifier, "return"), Pair(K::kIdentifier, "x"),
                  Pair(K::kOperator, "**"), Pair(K::kNumber, "2"), Pair(K::kOperator, "//"),
                  Pair(K::kNumber, "3"), Pair(K::kComment, "# sq")));
}

TEST(LexerPythonTest, StringPrefixesAndQuotes) {
  EXPECT_THAT(
      Lex(R"(r'\d' b"x" u'y' f"{a}" rb'z' BR"w" Fr'v' rF"u" 'it\'s' "q\"")", Language::kPython),
      ElementsAre(Pair(K::kString, R"(r'\d')"), Pair(K::kString, R"(b"x")"),
                  Pair(K::kString, R"(u'y')"), Pair(K::kString, R"(f"{a}")"),
                  Pair(K::kString, R"(rb'z')"), Pair(K::kString, R"(BR"w")"),
                  Pair(K::kString, R"(Fr'v')"), Pair(K::kString, R"(rF"u")"),
                  Pair(K::kString, R"('it\'s')"), Pair(K::kString, R"("q\"")")));
  // Not prefixes: ordinary identifiers followed by strings.
  EXPECT_THAT(Lex("x'a' bu'b'", Language::kPython),
              ElementsAre(Pair(K::kIdentifier, "x"), Pair(K::kString, "'a'"),
                          Pair(K::kIdentifier, "bu"), Pair(K::kString, "'b'")));
}

TEST(LexerPythonTest, RawStringBackslashStillEscapesQuote) {
  EXPECT_THAT(Lex(R"(r'a\'b' + c)", Language::kPython),
              ElementsAre(Pair(K::kString, R"(r'a\'b')"), Pair(K::kOperator, "+"),
                          Pair(K::kIdentifier, "c")));
}

TEST(LexerPythonTest, TripleQuotedStrings) {
  const std::string src = "x = \"\"\"a \"quoted\" \n# not comment\n\"\"\" + '''b''' + ''";
  EXPECT_THAT(Lex(src, Language::kPython),
              ElementsAre(Pair(K::kIdentifier, "x"), Pair(K::kOperator, "="),
                          Pair(K::kString, "\"\"\"a \"quoted\" \n# not comment\n\"\"\""),
                          Pair(K::kOperator, "+"), Pair(K::kString, "'''b'''"),
                          Pair(K::kOperator, "+"), Pair(K::kString, "''")));
}

TEST(LexerPythonTest, Numbers) {
  EXPECT_THAT(
      Lex("1_000 0x_FF 0o17 0b1_0 3.14 1e-3 2.5E+4 .5 1. 3j 1.5J 10", Language::kPython),
      ElementsAre(Pair(K::kNumber, "1_000"), Pair(K::kNumber, "0x_FF"), Pair(K::kNumber, "0o17"),
                  Pair(K::kNumber, "0b1_0"), Pair(K::kNumber, "3.14"), Pair(K::kNumber, "1e-3"),
                  Pair(K::kNumber, "2.5E+4"), Pair(K::kNumber, ".5"), Pair(K::kNumber, "1."),
                  Pair(K::kNumber, "3j"), Pair(K::kNumber, "1.5J"), Pair(K::kNumber, "10")));
  // An 'e' not followed by an exponent is not part of the number.
  EXPECT_THAT(Lex("1else", Language::kPython),
              ElementsAre(Pair(K::kNumber, "1"), Pair(K::kIdentifier, "else")));
}

TEST(LexerPythonTest, Operators) {
  EXPECT_THAT(
      Lex("**= //= >>= <<= -> := ** // == != <= >= @ @= ... ~", Language::kPython),
      ElementsAre(Pair(K::kOperator, "**="), Pair(K::kOperator, "//="), Pair(K::kOperator, ">>="),
                  Pair(K::kOperator, "<<="), Pair(K::kOperator, "->"), Pair(K::kOperator, ":="),
                  Pair(K::kOperator, "**"), Pair(K::kOperator, "//"), Pair(K::kOperator, "=="),
                  Pair(K::kOperator, "!="), Pair(K::kOperator, "<="), Pair(K::kOperator, ">="),
                  Pair(K::kOperator, "@"), Pair(K::kOperator, "@="), Pair(K::kOperator, "..."),
                  Pair(K::kOperator, "~")));
}

TEST(LexerPythonTest, HashInsideStringIsNotComment) {
  EXPECT_THAT(Lex("s = '# x' # y", Language::kPython),
              ElementsAre(Pair(K::kIdentifier, "s"), Pair(K::kOperator, "="),
                          Pair(K::kString, "'# x'"), Pair(K::kComment, "# y")));
}

TEST(LexerPythonTest, SlashSlashIsAnOperatorInPython) {
  EXPECT_THAT(
      Lex("a // b", Language::kPython),
      ElementsAre(Pair(K::kIdentifier, "a"), Pair(K::kOperator, "//"), Pair(K::kIdentifier, "b")));
}

TEST(LexerPythonTest, UnterminatedStringsRunToEnd) {
  EXPECT_THAT(
      Lex("a = '''x\ny", Language::kPython),
      ElementsAre(Pair(K::kIdentifier, "a"), Pair(K::kOperator, "="), Pair(K::kString, "'''x\ny")));
  EXPECT_THAT(
      Lex("a = \"x\\", Language::kPython),
      ElementsAre(Pair(K::kIdentifier, "a"), Pair(K::kOperator, "="), Pair(K::kString, "\"x\\")));
}

TEST(LexerPythonTest, LineContinuationAndStrayBytes) {
  EXPECT_THAT(Lex("x = 1 + \\\n  2 $?", Language::kPython),
              ElementsAre(Pair(K::kIdentifier, "x"), Pair(K::kOperator, "="), Pair(K::kNumber, "1"),
                          Pair(K::kOperator, "+"), Pair(K::kOther, "\\"), Pair(K::kNumber, "2"),
                          Pair(K::kOther, "$"), Pair(K::kOther, "?")));
}

TEST(LexerTest, EmptyInput) {
  EXPECT_TRUE(Tokenize("", Language::kCFamily).empty());
  EXPECT_TRUE(Tokenize("", Language::kPython).empty());
}

TEST(LexerTest, EdgeCasesAreLossless) {
  for (Language lang : {Language::kCFamily, Language::kPython}) {
    for (std::string_view s : std::initializer_list<std::string_view>{
             "\"",     "'",        "R\"",
             "R\"(",   "u8",       "u8'",
             "/*",     "/",        "#",
             "#\\",    "#\\\r\n",  "\\",
             "\r",     "\r\r\n",   "0x",
             "1e",     "1e+",      ".",
             "..",     "0'",       "1'",
             "'''",    "\"\"\"\"", "r'\\",
             "f'''\\", "\xff\xfe", std::string_view("\0a\0", 3)}) {
      SCOPED_TRACE(std::string(s));
      ExpectLossless(s, lang);
    }
  }
}

// Random bytes drawn from an alphabet rich in the characters that matter to
// the lexer, so that every branch (and every malformed corner) is exercised.
TEST(LexerTest, RandomInputIsLossless) {
  const std::string alphabet =
      "\"'`\\/*#\n\r \t0123456789xXeEpPbBoOjJ.uUlLfFrR8_+-=<>!&|^~?:;,()[]{}@$abz\x80\xff";
  Rng rng(12345);
  for (int iter = 0; iter < 20000; ++iter) {
    std::string s;
    const int len = static_cast<int>(rng.Uniform(64));
    for (int k = 0; k < len; ++k) {
      s += rng.Bernoulli(0.05) ? static_cast<char>(rng.Uniform(256))
                               : alphabet[rng.Uniform(alphabet.size())];
    }
    for (Language lang : {Language::kCFamily, Language::kPython}) {
      ExpectLossless(s, lang);
      if (::testing::Test::HasFatalFailure()) {
        ADD_FAILURE() << "input: " << testing::PrintToString(s);
        return;
      }
    }
  }
}

}  // namespace
}  // namespace crucible
