// SQL forms of the objective and of the archive's entry rule, for queries
// over `candidate_records r`. Private to the store: the one place where
// "the objective's value of a row" and "the best rows" are spelled in SQL
// (the C++ forms are core/objective.h and archive/entry.h).
#ifndef CRUCIBLE_STORE_OBJECTIVE_SQL_H_
#define CRUCIBLE_STORE_OBJECTIVE_SQL_H_

#include <string>
#include <string_view>

#include "core/objective.h"

namespace crucible::store_sql {

// A SQL string literal.
std::string Quote(std::string_view s);

// The objective's value of row `r`: NULL unless the outcome is ok and the
// value is a number (Objective::ValueOf).
std::string ValueExpr(const Objective& objective);

// Ids of the k best rows by the objective, best first, ties by lower id:
// outcome ok, a value, and — unless `final_stage` is empty — a stage that is
// empty or `final_stage` (a cascade's early stop is not a result of the full
// evaluation; archive/entry.h). "score" uses the (outcome, score) index.
std::string BestIdsSql(const Objective& objective, std::string_view final_stage, int k);

}  // namespace crucible::store_sql

#endif  // CRUCIBLE_STORE_OBJECTIVE_SQL_H_
