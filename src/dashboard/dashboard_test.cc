#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "dashboard/dashboard.h"
#include "dashboard/redact.h"
#include "dashboard/report.h"
#include "dashboard/run_reader.h"
#include "dashboard/svg.h"
#include "dashboard/synthetic_run.h"

namespace crucible {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class DashboardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "dashboard_test.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  std::string MakeRun(const std::string& name, SyntheticRunOptions o) {
    const std::string d = dir_ + "/" + name;
    EXPECT_TRUE(WriteSyntheticRun(d, o).ok());
    return d;
  }
  static json Get(Dashboard& d, const std::string& path, std::map<std::string, std::string> q = {},
                  int want_status = 200) {
    DashboardResponse r = d.Handle("GET", path, q);
    EXPECT_EQ(r.status, want_status) << path << ": " << r.body;
    if (r.content_type != "application/json") return json(r.body);
    return json::parse(r.body);
  }
  std::string dir_;
};

TEST(RedactTest, HidesKeyShapedText) {
  EXPECT_EQ(Redact("key sk-abcdefghijklmnopqrstuvwx end"), "key [redacted] end");
  EXPECT_EQ(Redact("Authorization: Bearer abcdefgh12345678"), "Authorization: Bearer [redacted]");
  EXPECT_EQ(Redact("{\"api_key\": \"0123456789abcdef\"}"), "{\"api_key\": \"[redacted]\"}");
  EXPECT_EQ(Redact("x-api-key: 0123456789abcdef"), "x-api-key: [redacted]");
  // Ordinary text, short tokens and words containing "sk-" are kept.
  EXPECT_EQ(Redact("task-sk-1 and sk-short, api_key=abc"), "task-sk-1 and sk-short, api_key=abc");
  EXPECT_EQ(Redact(""), "");
}

TEST(TableQueryTest, ValidateNamesTheField) {
  TableQuery q;
  EXPECT_TRUE(q.Validate().ok());
  q.sort = "program";
  EXPECT_NE(q.Validate().message().find("sort"), std::string::npos);
  q = {};
  q.limit = 501;
  EXPECT_NE(q.Validate().message().find("limit"), std::string::npos);
  q = {};
  q.offset = -1;
  EXPECT_NE(q.Validate().message().find("offset"), std::string::npos);
}

TEST_F(DashboardTest, SummaryAgreesWithTheTable) {
  SyntheticRunOptions o;
  o.candidates = 400;
  o.pending = 3;
  const std::string run = MakeRun("r", o);
  auto reader = RunReader::Open(run);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto s = (*reader)->Summary();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)["total"], 400);
  EXPECT_EQ((*s)["pending"], 3);
  EXPECT_EQ((*s)["done"], 397);
  int64_t sum = 0;
  for (auto& [k, v] : (*s)["outcomes"].items()) sum += v.get<int64_t>();
  EXPECT_EQ(sum, 397);
  // The best of the summary is the first row of the table sorted by value.
  TableQuery q;
  q.sort = "value";
  q.descending = true;
  q.limit = 5;
  auto t = (*reader)->Table(q);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)["total"], 400);
  EXPECT_EQ((*t)["rows"][0]["id"], (*s)["best"]["id"]);
  EXPECT_EQ((*t)["rows"][0]["value"], (*s)["best"]["value"]);
  EXPECT_TRUE((*s)["best"]["heldout"].is_number());
  // Filters.
  q = {};
  q.outcome = "ok";
  q.limit = 500;
  t = (*reader)->Table(q);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)["total"], (*s)["outcomes"]["ok"]);
  for (const json& row : (*t)["rows"]) EXPECT_EQ(row["outcome"], "ok");
  q = {};
  q.outcome = "pending";
  t = (*reader)->Table(q);
  EXPECT_EQ((*t)["total"], 3);
  q = {};
  q.island = 2;
  q.sort = "generation";
  q.limit = 500;
  t = (*reader)->Table(q);
  int last_gen = -1;
  for (const json& row : (*t)["rows"]) {
    EXPECT_EQ(row["island"], 2);
    EXPECT_GE(row["generation"].get<int>(), last_gen);
    last_gen = row["generation"];
  }
}

TEST_F(DashboardTest, CandidatePageHasDiffCallsAndNoKeys) {
  SyntheticRunOptions o;
  o.candidates = 60;
  o.llm_calls = true;
  const std::string run = MakeRun("r", o);
  auto reader = RunReader::Open(run);
  ASSERT_TRUE(reader.ok());
  auto c = (*reader)->Candidate(9);
  ASSERT_TRUE(c.ok());
  EXPECT_NE((*c)["patch"].get<std::string>().find("+++ b/program.py"), std::string::npos);
  EXPECT_EQ((*c)["program"][0]["path"], "program.py");
  ASSERT_EQ((*c)["llm_calls"].size(), 1u);
  const std::string dumped = c->dump();
  EXPECT_EQ(dumped.find("sk-abcdefghijklmnop"), std::string::npos);
  EXPECT_NE(dumped.find("[redacted]"), std::string::npos);
  EXPECT_EQ((*reader)->Candidate(12345).status().code(), StatusCode::kNotFound);
  auto p = (*reader)->Proposers();
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE((*p)["has_llm_calls"].get<bool>());
  int64_t calls = 0;
  for (const json& m : (*p)["models"]) calls += m["calls"].get<int64_t>();
  EXPECT_EQ(calls, 19 + 6);  // 19 children with calls (ids 3..57 step 3), 6 failed first attempts
}

TEST_F(DashboardTest, ScratchpadShowsTheNewestNoteAndItsHistory) {
  SyntheticRunOptions o;
  o.candidates = 60;
  o.llm_calls = true;
  o.llm_notes = 4;
  Dashboard d({MakeRun("r", o)});
  json p = Get(d, "/api/runs/0/scratchpad");
  EXPECT_EQ(p["total"], 4);
  ASSERT_EQ(p["versions"].size(), 4u);
  EXPECT_EQ(p["current"]["id"], 4);
  EXPECT_EQ(p["current"], p["versions"][0]);
  EXPECT_EQ(p["current"]["evaluated"], 100);
  EXPECT_EQ(p["current"]["model"], "test-model");
  EXPECT_EQ(p["current"]["note"], "note 4: what worked; sk-x");
  for (size_t k = 0; k < 4; ++k) EXPECT_EQ(p["versions"][k]["id"], 4 - static_cast<int>(k));
  // The key quoted by the oldest note never leaves the dashboard.
  EXPECT_EQ(p.dump().find("sk-abcdefghijklmnopqrst"), std::string::npos);
  EXPECT_NE(p["versions"][3]["note"].get<std::string>().find("[redacted]"), std::string::npos);
  // A page of the newest versions; the total still counts them all.
  p = Get(d, "/api/runs/0/scratchpad", {{"limit", "2"}});
  EXPECT_EQ(p["total"], 4);
  ASSERT_EQ(p["versions"].size(), 2u);
  EXPECT_EQ(p["versions"][1]["id"], 3);
  Get(d, "/api/runs/0/scratchpad", {{"limit", "0"}}, 400);
  Get(d, "/api/runs/0/scratchpad", {{"limit", "x"}}, 400);
  // The static report embeds it for the page's Scratchpad tab.
  ReportOptions ro;
  ro.run_dirs = {dir_ + "/r"};
  auto html = BuildReport(ro);
  ASSERT_TRUE(html.ok()) << html.status().ToString();
  EXPECT_NE(html->find("\"/api/runs/0/scratchpad\""), std::string::npos);
  EXPECT_NE(html->find("note 4: what worked"), std::string::npos);
}

TEST_F(DashboardTest, FrontsShowTheParetoFrontOverTime) {
  SyntheticRunOptions o;
  o.candidates = 60;
  o.fronts = 7;
  Dashboard d({MakeRun("r", o), MakeRun("one", {})});
  json f = Get(d, "/api/runs/0/fronts");
  ASSERT_EQ(f["objectives"].size(), 2u);
  EXPECT_EQ(f["objectives"][1]["key"], "runtime_ms");
  EXPECT_EQ(f["objectives"][1]["direction"], "minimize");
  EXPECT_EQ(f["total"], 7);
  ASSERT_EQ(f["fronts"].size(), 7u);
  EXPECT_EQ(f["fronts"][0]["evaluations"], 10);
  EXPECT_EQ(f["fronts"][6]["evaluations"], 70);
  EXPECT_DOUBLE_EQ(f["fronts"][6]["hypervolume"].get<double>(), 0.7);
  ASSERT_EQ(f["fronts"][6]["members"].size(), 2u);
  EXPECT_EQ(f["fronts"][6]["members"][1]["id"], 8);
  EXPECT_DOUBLE_EQ(f["fronts"][6]["members"][1]["values"][1].get<double>(), 1.0 / 7);
  // At most `limit`, spread over the run: the first and the newest kept.
  f = Get(d, "/api/runs/0/fronts", {{"limit", "3"}});
  EXPECT_EQ(f["total"], 7);
  ASSERT_EQ(f["fronts"].size(), 3u);
  EXPECT_EQ(f["fronts"][0]["evaluations"], 10);
  EXPECT_EQ(f["fronts"][1]["evaluations"], 40);
  EXPECT_EQ(f["fronts"][2]["evaluations"], 70);
  Get(d, "/api/runs/0/fronts", {{"limit", "1"}}, 400);
  Get(d, "/api/runs/0/fronts", {{"limit", "x"}}, 400);
  // One objective: no fronts.
  f = Get(d, "/api/runs/1/fronts");
  ASSERT_EQ(f["objectives"].size(), 1u);
  EXPECT_EQ(f["total"], 0);
  EXPECT_TRUE(f["fronts"].empty());
}

TEST_F(DashboardTest, RunWithoutNotesHasAnEmptyScratchpad) {
  Dashboard d({MakeRun("r", {})});
  json p = Get(d, "/api/runs/0/scratchpad");
  EXPECT_EQ(p["total"], 0);
  EXPECT_TRUE(p["current"].is_null());
  EXPECT_TRUE(p["versions"].empty());
}

TEST_F(DashboardTest, RunWithoutLlmTableHasNoModels) {
  const std::string run = MakeRun("r", {});
  auto reader = RunReader::Open(run);
  ASSERT_TRUE(reader.ok());
  auto p = (*reader)->Proposers();
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE((*p)["has_llm_calls"].get<bool>());
  EXPECT_TRUE((*p)["models"].empty());
  EXPECT_FALSE((*p)["operators"].empty());
  auto c = (*reader)->Candidate(5);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE((*c)["llm_calls"].empty());
}

TEST_F(DashboardTest, MissingAndCorruptRunsAreClearErrors) {
  EXPECT_EQ(RunReader::Open(dir_ + "/nope").status().code(), StatusCode::kNotFound);
  fs::create_directories(dir_ + "/empty");
  auto empty = RunReader::Open(dir_ + "/empty");
  EXPECT_EQ(empty.status().code(), StatusCode::kNotFound);
  EXPECT_NE(empty.status().message().find("no run.db"), std::string::npos);
  fs::create_directories(dir_ + "/bad");
  std::ofstream(dir_ + "/bad/run.db") << "this is not a database, just some text of some length......";
  auto bad = RunReader::Open(dir_ + "/bad");
  EXPECT_EQ(bad.status().code(), StatusCode::kDataLoss) << bad.status().ToString();
  // The dashboard answers with the error instead of failing.
  Dashboard d({dir_ + "/bad"});
  json runs = Get(d, "/api/runs");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_TRUE(runs[0].contains("error"));
  Get(d, "/api/runs/0/summary", {}, 500);
}

TEST_F(DashboardTest, RoutesAndTraversal) {
  const std::string run = MakeRun("r", {});
  Dashboard d({run});
  EXPECT_NE(Get(d, "/").get<std::string>().find("/app.js"), std::string::npos);
  Get(d, "/app.js");
  Get(d, "/style.css");
  for (const char* p : {"/api/runs/0/score.svg", "/api/runs/0/lineage.svg", "/api/runs/0/grid.svg",
                        "/api/compare.svg"}) {
    EXPECT_EQ(Get(d, p).get<std::string>().rfind("<svg", 0), 0u) << p;
  }
  for (const char* p : {"/../run.db", "/api/runs/0/../../run.db", "/r/run.db", "/run.db",
                        "/etc/passwd", "/api/runs/0/candidates/../../../etc/passwd",
                        "/api/runs/-1/summary", "/api/runs/1/summary", "/app.js/../run.db",
                        "/api/runs/0/", "/api/runs/x/summary"}) {
    DashboardResponse r = d.Handle("GET", p, {});
    EXPECT_TRUE(r.status == 404 || r.status == 400) << p << " -> " << r.status;
    EXPECT_EQ(r.body.find("SQLite format"), std::string::npos);
  }
  EXPECT_EQ(d.Handle("POST", "/api/runs", {}).status, 405);
  EXPECT_EQ(d.Handle("DELETE", "/api/runs/0/summary", {}).status, 405);
  Get(d, "/api/runs/0/candidates", {{"sort", "program"}}, 400);
  Get(d, "/api/runs/0/candidates", {{"limit", "abc"}}, 400);
  Get(d, "/api/runs/0/candidates", {{"limit", "100000"}}, 400);
  Get(d, "/api/runs/0/candidates/abc", {}, 400);
}

TEST_F(DashboardTest, ReadsWhileTheRunWrites) {
  SyntheticRunOptions o;
  o.candidates = 200;
  const std::string run = MakeRun("r", o);
  Dashboard d({run});
  std::atomic<bool> done{false};
  Status writer_status;
  std::thread writer([&] {
    writer_status = AppendSyntheticCandidates(run, 300, 7);
    done = true;
  });
  int64_t last = 0;
  int reads = 0;
  while (!done.load() || reads < 3) {
    json s = Get(d, "/api/runs/0/summary");
    const int64_t total = s["total"];
    EXPECT_GE(total, last);
    last = total;
    json t = Get(d, "/api/runs/0/candidates", {{"sort", "id"}, {"order", "desc"}, {"limit", "1"}});
    EXPECT_GE(t["total"].get<int64_t>(), total);
    const std::string svg = Get(d, "/api/runs/0/score.svg");
    EXPECT_EQ(svg.rfind("<svg", 0), 0u);
    ++reads;
  }
  writer.join();
  ASSERT_TRUE(writer_status.ok()) << writer_status.ToString();
  EXPECT_EQ(Get(d, "/api/runs/0/summary")["total"], 500);
}

TEST_F(DashboardTest, ScoreChartIsBoundedAndMarksTheBest) {
  Series s;
  Objective o;
  for (int i = 0; i < 100000; ++i) {
    SeriesPoint p;
    p.id = i;
    p.island = i % 4;
    p.outcome = i % 5 == 0 ? "runtime_error" : "ok";
    if (p.outcome == "ok") p.value = std::sin(i * 0.001) + i * 1e-5;
    s.points.push_back(p);
  }
  const std::string svg = ScoreChartSvg(s, o);
  const auto circles = std::count(svg.begin(), svg.end(), '<') ;
  EXPECT_LT(circles, 10000);
  EXPECT_LT(svg.size(), 1500000u);
  EXPECT_NE(svg.find("running-best"), std::string::npos);
  EXPECT_EQ(svg.find("<script"), std::string::npos);
}

TEST_F(DashboardTest, ReportIsSelfContained) {
  SyntheticRunOptions o;
  o.candidates = 300;
  o.llm_calls = true;
  const std::string run = MakeRun("r", o);
  ReportOptions ro;
  ro.run_dirs = {run};
  auto html = BuildReport(ro);
  ASSERT_TRUE(html.ok()) << html.status().ToString();
  // Nothing is loaded from anywhere: no src= or href= to a URL, no fetch of a URL.
  EXPECT_FALSE(std::regex_search(*html, std::regex(R"((src|href)\s*=\s*['"]?(https?:)?//)")));
  EXPECT_EQ(html->find("<link"), std::string::npos);
  EXPECT_EQ(html->find("sk-abcdefghijklmnop"), std::string::npos);
  EXPECT_NE(html->find("crucible-data"), std::string::npos);
  EXPECT_NE(html->find("/api/runs/0/score.svg"), std::string::npos);
  // The embedded JSON cannot close its script element early.
  const size_t start = html->find("id='crucible-data'>");
  const size_t end = html->find("</script>", start);
  EXPECT_EQ(html->substr(start, end - start).find("</"), std::string::npos);
  ro.run_dirs = {dir_ + "/missing"};
  EXPECT_EQ(BuildReport(ro).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace crucible
