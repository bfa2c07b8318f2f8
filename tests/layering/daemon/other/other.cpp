// Violation 2: includes lower's header without linking lower. Violation 3
// (for cmake/CheckSql.cmake): sqlite3 and SQL text outside daemon/store/.
#include <sqlite3.h>

#include "daemon/lower/lower.hpp"

namespace fixture {
int other(sqlite3* db) {
    return sqlite3_exec(db, "SELECT count(*) FROM records", nullptr, nullptr, nullptr) + lower();
}
const char* const kCommit = "COMMIT;";
}  // namespace fixture
