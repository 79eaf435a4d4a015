#include "store/objective_sql.h"

#include <algorithm>

namespace crucible::store_sql {

std::string Quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

std::string ValueExpr(const Objective& objective) {
  if (objective.key == "score") return "(CASE WHEN r.outcome = 'ok' THEN r.score END)";
  const std::string path = Quote("$.\"" + objective.key + "\"");
  // json_type() fails the whole statement on malformed JSON: the outer CASE
  // (evaluated lazily, unlike AND) keeps one crafted row from doing that.
  return "(CASE WHEN r.outcome = 'ok' AND json_valid(r.metrics) THEN (CASE WHEN "
         "json_type(r.metrics, " + path + ") IN ('real', 'integer') THEN json_extract(r.metrics, " +
         path + ") END) END)";
}

std::string BestIdsSql(const Objective& objective, std::string_view final_stage, int k) {
  // Under `r.outcome = 'ok'` the value of "score" is the bare column, which
  // lets SQLite walk the (outcome, score) index and stop after k rows.
  const std::string rank = objective.key == "score" ? "r.score" : ValueExpr(objective);
  std::string stage;
  if (!final_stage.empty()) {
    stage = " AND (r.stage IS NULL OR r.stage = '' OR r.stage = " + Quote(final_stage) + ")";
  }
  return "SELECT r.id FROM candidate_records r WHERE r.outcome = 'ok' AND " + rank +
         " IS NOT NULL" + stage + " ORDER BY " + rank + (objective.maximize() ? " DESC" : " ASC") +
         ", r.id LIMIT " + std::to_string(std::max(k, 0));
}

}  // namespace crucible::store_sql
