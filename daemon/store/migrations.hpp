// The database schema, as a list of forward migrations.
//
// PRAGMA user_version holds the number of migrations applied. At start the
// daemon applies the missing ones in order, each in its own transaction; a
// database newer than this build is refused rather than guessed at.
#pragma once

#include <span>

namespace strongroom::store {

class Connection;

struct Migration {
    int version;          // user_version after it is applied
    const char* summary;  // one line, for the log
    const char* sql;
};

std::span<const Migration> migrations();
int latest_schema_version();

struct MigrationReport {
    int from = 0;
    int to = 0;
};

// Brings the schema up to date. Throws StoreError, with a message for the
// operator, when the database is newer than this build.
MigrationReport migrate(Connection& conn);

}  // namespace strongroom::store
