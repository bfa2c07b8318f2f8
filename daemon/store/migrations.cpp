#include "daemon/store/migrations.hpp"

#include <array>

#include <fmt/format.h>

#include "daemon/store/sqlite.hpp"

namespace strongroom::store {
namespace {

// Never edit a migration that has shipped: add a new one.
constexpr std::array kMigrations{
    Migration{1, "accounts and the audit trail", R"SQL(
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- People with access. roles is a bit set: 1 officer, 2 registrar, 4 auditor.
CREATE TABLE accounts (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    uid        INTEGER NOT NULL UNIQUE CHECK (uid >= 0 AND uid < 4294967295),
    roles      INTEGER NOT NULL DEFAULT 0 CHECK (roles >= 0 AND roles < 8),
    suspended  INTEGER NOT NULL DEFAULT 0 CHECK (suspended IN (0, 1)),
    created_at INTEGER NOT NULL,
    created_by INTEGER REFERENCES accounts(id),
    changed_at INTEGER NOT NULL
);

-- One row per request, allowed or refused, chained by an HMAC over the
-- previous row's mac and this row's fields. Never updated or deleted.
CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    account_id INTEGER,
    account    TEXT    NOT NULL DEFAULT '',
    uid        INTEGER NOT NULL,
    pid        INTEGER NOT NULL,
    request    TEXT    NOT NULL,
    object     TEXT    NOT NULL DEFAULT '',
    decision   TEXT    NOT NULL CHECK (decision IN ('allow', 'deny', 'error')),
    reason     TEXT    NOT NULL,
    mac        BLOB    NOT NULL
);
)SQL"},
};

}  // namespace

std::span<const Migration> migrations() {
    return kMigrations;
}

int latest_schema_version() {
    return kMigrations.back().version;
}

MigrationReport migrate(Connection& conn) {
    MigrationReport report;
    report.from = static_cast<int>(conn.query_int("PRAGMA user_version;"));
    report.to = report.from;
    if (report.from > latest_schema_version()) {
        throw StoreError(
            0, fmt::format("the database schema is version {}, newer than this strongroomd "
                           "supports ({}); install the strongroomd that wrote it",
                           report.from, latest_schema_version()));
    }
    for (const auto& m : kMigrations) {
        if (m.version <= report.from) {
            continue;
        }
        conn.exec("BEGIN IMMEDIATE;");
        try {
            conn.exec(m.sql);
            const auto set = fmt::format("PRAGMA user_version = {};", m.version);
            conn.exec(set.c_str());
            conn.exec("COMMIT;");
        } catch (...) {
            conn.exec("ROLLBACK;");
            throw;
        }
        report.to = m.version;
    }
    return report;
}

}  // namespace strongroom::store
