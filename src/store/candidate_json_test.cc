#include "store/candidate_json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace crucible::store_json {
namespace {

TEST(Utf8Test, AcceptsValidText) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii\n\t\x01\x7f"));
  EXPECT_TRUE(IsValidUtf8("π ≈ 3.14, 日本語, 🙂"));
  EXPECT_TRUE(IsValidUtf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF
}

TEST(Utf8Test, RejectsInvalidText) {
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\x80"));              // lone continuation
  EXPECT_FALSE(IsValidUtf8("\xc3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // beyond U+10FFFF
  EXPECT_FALSE(IsValidUtf8("ok\xe2\x82"));        // truncated at the end
}

TEST(Base64Test, RoundTripsEveryLengthAndByte) {
  std::string bytes;
  for (int n = 0; n < 260; ++n) {
    StatusOr<std::string> decoded = Base64Decode(Base64Encode(bytes));
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(*decoded, bytes);
    bytes += static_cast<char>(n * 7 + 3);
  }
  EXPECT_EQ(Base64Encode("Man"), "TWFu");
  EXPECT_EQ(Base64Encode("Ma"), "TWE=");
  EXPECT_EQ(Base64Encode("M"), "TQ==");
}

TEST(Base64Test, RejectsMalformedText) {
  EXPECT_EQ(Base64Decode("abc").status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(Base64Decode("ab!d").status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(Base64Decode("a=bc").status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(Base64Decode("TQ==TWFu").status().code(), StatusCode::kDataLoss);
}

TEST(ProgramJsonTest, RoundTripsTextAndBinaryContent) {
  Program program;
  program.files.push_back({"src/a.cpp", "int main() { return 0; }\n// π \"quoted\" \\ \t\x01"});
  program.files.push_back({"b.bin", "\xff\xfe latin1 \xe9\n"});
  program.files.push_back({"empty.txt", ""});
  std::string json = EncodeProgram(program);
  EXPECT_NE(json.find("\"content_base64\""), std::string::npos);
  EXPECT_NE(json.find("\"path\":\"src/a.cpp\""), std::string::npos);
  StatusOr<Program> decoded = DecodeProgram(json);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, program);
}

TEST(ProgramJsonTest, EscapesEveryControlCharacterAsValidJson) {
  std::string all_ascii;
  for (int ch = 1; ch < 128; ++ch) all_ascii += static_cast<char>(ch);
  Program program;
  program.files.push_back({"path \"with\" \\ and \n", all_ascii + "é"});
  std::string json = EncodeProgram(program);
  EXPECT_TRUE(IsJsonOrEmpty(json)) << json;
  EXPECT_EQ(json.find('\n'), std::string::npos);
  EXPECT_EQ(*DecodeProgram(json), program);
  EXPECT_EQ(EncodeProgram({}), "[]");
  EXPECT_EQ(DecodeProgram("[]")->files.size(), 0u);
}

TEST(ProgramJsonTest, RejectsOtherShapesAsDataLoss) {
  for (const char* bad : {"", "{}", "[1]", "[{\"content\":\"x\"}]", "[{\"path\":\"a\"}]",
                          "[{\"path\":\"a\",\"content_base64\":\"***\"}]", "[{"}) {
    EXPECT_EQ(DecodeProgram(bad).status().code(), StatusCode::kDataLoss) << bad;
  }
}

TEST(ListJsonTest, RoundTripsIdsAndStrings) {
  std::vector<CandidateId> ids = {0, 7, std::numeric_limits<CandidateId>::max()};
  EXPECT_EQ(EncodeIds(ids), "[0,7,9223372036854775807]");
  EXPECT_EQ(*DecodeIds(EncodeIds(ids)), ids);
  EXPECT_EQ(*DecodeIds("[]"), std::vector<CandidateId>{});
  std::vector<std::string> strings = {"swap_lines", "ünïcödé", ""};
  EXPECT_EQ(*DecodeStrings(EncodeStrings(strings)), strings);
  EXPECT_EQ(DecodeIds("[1.5]").status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(DecodeStrings("[1]").status().code(), StatusCode::kDataLoss);
}

TEST(MetricsJsonTest, RoundTripsExactAndNonFiniteValues) {
  Metrics metrics = {{"a", 0.1},
                     {"b", -0.0},
                     {"c", 1e-300},
                     {"d", 123456789.123456789},
                     {"inf", std::numeric_limits<double>::infinity()},
                     {"minf", -std::numeric_limits<double>::infinity()},
                     {"nan", std::numeric_limits<double>::quiet_NaN()}};
  std::string json = EncodeMetrics(metrics);
  EXPECT_NE(json.find("\"nan\":\"nan\""), std::string::npos) << json;
  StatusOr<Metrics> decoded = DecodeMetrics(json);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(decoded->size(), metrics.size());
  for (const auto& [name, value] : metrics) {
    double got = decoded->at(name);
    if (std::isnan(value)) {
      EXPECT_TRUE(std::isnan(got)) << name;
    } else {
      EXPECT_EQ(got, value) << name;
      EXPECT_EQ(std::signbit(got), std::signbit(value)) << name;
    }
  }
  EXPECT_EQ(EncodeMetrics({}), "{}");
  EXPECT_TRUE(DecodeMetrics("{}")->empty());
  EXPECT_EQ(DecodeMetrics("{\"a\":\"x\"}").status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(DecodeMetrics("[]").status().code(), StatusCode::kDataLoss);
}

TEST(ArtifactsJsonTest, RoundTripsTextAndBinaryValues) {
  std::map<std::string, std::string> artifacts = {
      {"per_instance.csv", "a,b\n1,2\n"}, {"raw", std::string("\x00\xff\x01", 3)}, {"e", ""}};
  std::string json = EncodeArtifacts(artifacts);
  EXPECT_NE(json.find("{\"base64\":"), std::string::npos) << json;
  EXPECT_EQ(*DecodeArtifacts(json), artifacts);
  EXPECT_EQ(DecodeArtifacts("{\"a\":1}").status().code(), StatusCode::kDataLoss);
}

TEST(JsonTextTest, AcceptsEmptyAndValidJsonOnly) {
  EXPECT_TRUE(IsJsonOrEmpty(""));
  EXPECT_TRUE(IsJsonOrEmpty("{}"));
  EXPECT_TRUE(IsJsonOrEmpty("{\"tokens\": 12, \"model\": \"x\"}"));
  EXPECT_TRUE(IsJsonOrEmpty("5"));
  EXPECT_FALSE(IsJsonOrEmpty("{"));
  EXPECT_FALSE(IsJsonOrEmpty("not json"));
}

}  // namespace
}  // namespace crucible::store_json
