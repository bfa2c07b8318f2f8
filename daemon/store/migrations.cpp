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
    Migration{2, "the access matrix, records, content and dissemination", R"SQL(
CREATE TABLE compartments (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    description TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    created_by  INTEGER REFERENCES accounts(id)
);

-- Positions that hold clearance. level: for uncompartmented material
-- (0 unclassified, 1 confidential, 2 strictly confidential).
CREATE TABLE posts (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    level      INTEGER NOT NULL CHECK (level >= 0 AND level < 16),
    authority  TEXT    NOT NULL DEFAULT ''
               CHECK (authority IN ('', 'head-of-mission', 'security-focal-point')),
    created_at INTEGER NOT NULL,
    created_by INTEGER REFERENCES accounts(id),
    approved_by INTEGER REFERENCES accounts(id)
);
CREATE UNIQUE INDEX posts_by_authority ON posts(authority) WHERE authority != '';

-- Who holds which post, when. ends: exclusive end (the day after --until,
-- or the moment of unassignment); NULL while open-ended.
CREATE TABLE assignments (
    id         INTEGER PRIMARY KEY,
    post_id    INTEGER NOT NULL REFERENCES posts(id),
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    since      INTEGER NOT NULL,
    ends       INTEGER,
    created_by INTEGER REFERENCES accounts(id),
    ended_by   INTEGER REFERENCES accounts(id)
);
CREATE INDEX assignments_by_account ON assignments(account_id, post_id);
CREATE INDEX assignments_by_post ON assignments(post_id, account_id);

-- The access matrix: post x compartment -> highest level.
CREATE TABLE grants (
    post_id        INTEGER NOT NULL REFERENCES posts(id),
    compartment_id INTEGER NOT NULL REFERENCES compartments(id),
    level          INTEGER NOT NULL CHECK (level >= 0 AND level < 16),
    granted_at     INTEGER NOT NULL,
    granted_by     INTEGER REFERENCES accounts(id),
    approved_by    INTEGER REFERENCES accounts(id),
    PRIMARY KEY (post_id, compartment_id)
) WITHOUT ROWID;

-- Every change to the matrix, with who asked and who approved.
CREATE TABLE matrix_changes (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    change      TEXT    NOT NULL,
    detail      TEXT    NOT NULL,
    by_account  INTEGER REFERENCES accounts(id),
    approved_by INTEGER REFERENCES accounts(id)
);

-- Changes that wait for a second person. args: the request's arguments as
-- JSON, applied again on approval.
CREATE TABLE pending (
    id           INTEGER PRIMARY KEY,
    op           TEXT    NOT NULL,
    args         TEXT    NOT NULL,
    summary      TEXT    NOT NULL,
    requested_by INTEGER NOT NULL REFERENCES accounts(id),
    requested_at INTEGER NOT NULL,
    state        TEXT    NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'approved', 'withdrawn')),
    decided_by   INTEGER REFERENCES accounts(id),
    decided_at   INTEGER
);
CREATE INDEX pending_by_state ON pending(state, id);

CREATE TABLE registry_sequence (
    year INTEGER PRIMARY KEY,
    last INTEGER NOT NULL
);

-- Record metadata: narrow, content lives in content_chunks. state
-- 'uploading': content still arriving (removed at start-up if left over).
CREATE TABLE records (
    id              INTEGER PRIMARY KEY,
    title           TEXT    NOT NULL,
    level           INTEGER NOT NULL CHECK (level >= 0 AND level < 16),
    type            TEXT    NOT NULL,
    dated           INTEGER NOT NULL,
    originator      INTEGER NOT NULL REFERENCES accounts(id),
    origin_post     INTEGER REFERENCES posts(id),
    origin          TEXT    NOT NULL DEFAULT '',
    safety          INTEGER NOT NULL DEFAULT 0 CHECK (safety IN (0, 1)),
    max_copies      INTEGER CHECK (max_copies IS NULL OR max_copies >= 0),
    registry_number TEXT    UNIQUE,
    size            INTEGER NOT NULL,
    chunks          INTEGER NOT NULL,
    sha256          BLOB    NOT NULL,
    is_text         INTEGER NOT NULL CHECK (is_text IN (0, 1)),
    filename        TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'held'
                    CHECK (state IN ('uploading', 'held', 'destroyed', 'transferred'))
);
CREATE INDEX records_by_level ON records(level, state, id);
CREATE INDEX records_by_originator ON records(originator, state, id);

CREATE TABLE record_compartments (
    record_id      INTEGER NOT NULL REFERENCES records(id),
    compartment_id INTEGER NOT NULL REFERENCES compartments(id),
    PRIMARY KEY (record_id, compartment_id)
) WITHOUT ROWID;
CREATE INDEX record_compartments_by_compartment ON record_compartments(compartment_id, record_id);

-- Receipt. recipient: a post id (> 0) or minus an account id (< 0).
-- authority: the rule under which it was disseminated.
CREATE TABLE disseminations (
    id         INTEGER PRIMARY KEY,
    record_id  INTEGER NOT NULL REFERENCES records(id),
    recipient  INTEGER NOT NULL CHECK (recipient != 0),
    authority  TEXT    NOT NULL CHECK (authority IN ('originator', 'delegation',
                           'head-of-mission', 'must-share', 'receipt')),
    reference  TEXT    NOT NULL DEFAULT '',
    by_account INTEGER REFERENCES accounts(id),
    at         INTEGER NOT NULL
);
CREATE UNIQUE INDEX disseminations_by_recipient ON disseminations(recipient, record_id, authority);
CREATE INDEX disseminations_by_record ON disseminations(record_id);

-- Written delegations: of dissemination (by an originator, for a record) and
-- of release (by the head of mission, record_id NULL).
CREATE TABLE delegations (
    id         INTEGER PRIMARY KEY,
    kind       TEXT    NOT NULL CHECK (kind IN ('disseminate', 'release')),
    record_id  INTEGER REFERENCES records(id),
    grantor    INTEGER NOT NULL REFERENCES accounts(id),
    to_post    INTEGER NOT NULL REFERENCES posts(id),
    reference  TEXT    NOT NULL,
    until      INTEGER,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX delegations_by_record ON delegations(record_id, to_post);

-- Each record's content key, wrapped under a key derived from the master
-- key. Destroying this row makes the record's chunks unreadable.
CREATE TABLE record_keys (
    record_id INTEGER PRIMARY KEY REFERENCES records(id),
    wrapped   BLOB    NOT NULL
);

-- Content, AES-256-GCM under the record key, in chunks.
-- id = record_id * 2^20 + chunk number.
CREATE TABLE content_chunks (
    id   INTEGER PRIMARY KEY,
    data BLOB    NOT NULL
);

-- Full-text index of titles and text content. External content that is
-- never stored: only the index is kept (to delete an entry, its text is
-- put back in record_text_source for the moment of the delete). Doclists
-- newest first (order=DESC): a search pages from the newest record and
-- stops after a page instead of decoding a common word's whole doclist.
CREATE TABLE record_text_source (
    docid INTEGER PRIMARY KEY,
    title TEXT,
    body  TEXT
);
CREATE VIRTUAL TABLE record_text USING fts4(content="record_text_source", title, body,
                                            tokenize=unicode61, order=DESC);
-- Merge index segments a little at every write instead of all 16 of a
-- level at once: with 10^6 records a level merge held the writer (and so
-- every change and every audit entry) for 20 s.
INSERT INTO record_text(record_text) VALUES('automerge=2');
)SQL"},
    Migration{3, "numbered copies and releases; paced text index merging", R"SQL(
-- Automatic merging of the text index off (it was on since version 2): the
-- writer merges segments in steps paced by the text it indexes
-- (store::TextIndexPacer). automerge ran a merge step over every level
-- after any write of 5 leaves or more, which on 10^6 records held small
-- ingests at 14-400/s.
INSERT INTO record_text(record_text) VALUES('automerge=0');

-- Releases outside the mission (rule 6). authority: head-of-mission or
-- delegation (reference: the written delegation's).
CREATE TABLE releases (
    id            INTEGER PRIMARY KEY,
    record_id     INTEGER NOT NULL REFERENCES records(id),
    requested_by  INTEGER NOT NULL REFERENCES accounts(id),
    entity        TEXT    NOT NULL,
    entity_kind   TEXT    NOT NULL CHECK (entity_kind IN ('un', 'non-un', 'security-force')),
    justification TEXT    NOT NULL,
    arrangement   TEXT    NOT NULL,
    hrddp         TEXT    NOT NULL DEFAULT '',
    requested_at  INTEGER NOT NULL,
    state         TEXT    NOT NULL DEFAULT 'requested'
                  CHECK (state IN ('requested', 'approved', 'issued')),
    approved_by   INTEGER REFERENCES accounts(id),
    approved_at   INTEGER,
    authority     TEXT    CHECK (authority IS NULL OR authority IN ('head-of-mission', 'delegation')),
    reference     TEXT    NOT NULL DEFAULT '',
    CHECK (entity_kind != 'security-force' OR hrddp != '')
);
CREATE INDEX releases_by_record ON releases(record_id);

-- Numbered copies (rule 8): numbers count from 1 per record and are never
-- reused. fingerprint: the token written invisibly into a text copy.
-- state 'released': the copy left the mission under a release.
CREATE TABLE copies (
    record_id   INTEGER NOT NULL REFERENCES records(id),
    number      INTEGER NOT NULL CHECK (number > 0),
    holder      INTEGER NOT NULL REFERENCES accounts(id),
    purpose     TEXT    NOT NULL,
    issued_at   INTEGER NOT NULL,
    fingerprint INTEGER NOT NULL UNIQUE,
    state       TEXT    NOT NULL DEFAULT 'outstanding'
                CHECK (state IN ('outstanding', 'returned', 'destroyed', 'lost', 'released')),
    closed_at   INTEGER,
    closed_by   INTEGER REFERENCES accounts(id),
    release_id  INTEGER REFERENCES releases(id),
    PRIMARY KEY (record_id, number)
) WITHOUT ROWID;
CREATE INDEX copies_by_state ON copies(state, holder);
)SQL"},
    Migration{4, "retention: schedules, reviews, legal holds, disposal and transfer batches", R"SQL(
-- One schedule per record type (rule 9). Periods are text: 1y, 6m, 2w, 90d.
-- The built-in schedules are added at start-up where their type is missing
-- (changed_by NULL); a change needs a second registrar (pending).
CREATE TABLE schedules (
    type              TEXT    PRIMARY KEY,
    disposition       TEXT    NOT NULL CHECK (disposition IN ('permanent', 'destroy')),
    destroy_after     TEXT,
    transfer          INTEGER NOT NULL DEFAULT 0 CHECK (transfer IN (0, 1)),
    review            TEXT,
    review_first_year TEXT,
    changed_at        INTEGER NOT NULL,
    changed_by        INTEGER REFERENCES accounts(id),
    approved_by       INTEGER REFERENCES accounts(id),
    CHECK ((disposition = 'destroy') = (destroy_after IS NOT NULL))
) WITHOUT ROWID;

-- What retention due reads: the held records of a type by date.
CREATE INDEX records_by_type ON records(type, state, dated);

-- Reviews of records (information requirements, plans).
CREATE TABLE reviews (
    id         INTEGER PRIMARY KEY,
    record_id  INTEGER NOT NULL REFERENCES records(id),
    at         INTEGER NOT NULL,
    by_account INTEGER NOT NULL REFERENCES accounts(id),
    note       TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX reviews_by_record ON reviews(record_id, at);

-- Legal holds: on listed records (hold_records) or on every record of a
-- type. A name is unique among the holds in force.
CREATE TABLE holds (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    type        TEXT,
    placed_by   INTEGER NOT NULL REFERENCES accounts(id),
    placed_at   INTEGER NOT NULL,
    released_by INTEGER REFERENCES accounts(id),
    released_at INTEGER
);
CREATE UNIQUE INDEX holds_in_force ON holds(name) WHERE released_at IS NULL;
CREATE TABLE hold_records (
    record_id INTEGER NOT NULL REFERENCES records(id),
    hold_id   INTEGER NOT NULL REFERENCES holds(id),
    PRIMARY KEY (record_id, hold_id)
) WITHOUT ROWID;

-- Disposal (destroy) and archive transfer (transfer) batches, each with
-- the records it covers. A destroy batch is proposed, approved by someone
-- else, then executed; a transfer batch is prepared (list: its signed
-- transfer list), then confirmed with the archives' receipt. Certificates
-- (signed) are kept here for good.
CREATE TABLE batches (
    id          INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL CHECK (kind IN ('destroy', 'transfer')),
    state       TEXT    NOT NULL CHECK (state IN ('proposed', 'approved', 'executed',
                                                   'prepared', 'confirmed')),
    as_of       INTEGER NOT NULL,
    proposed_by INTEGER NOT NULL REFERENCES accounts(id),
    proposed_at INTEGER NOT NULL,
    approved_by INTEGER REFERENCES accounts(id),
    approved_at INTEGER,
    executed_by INTEGER REFERENCES accounts(id),
    executed_at INTEGER,
    receipt     TEXT,
    list        TEXT,
    certificate TEXT,
    CHECK (approved_by IS NULL OR approved_by != proposed_by)
);
CREATE TABLE batch_records (
    batch_id  INTEGER NOT NULL REFERENCES batches(id),
    record_id INTEGER NOT NULL REFERENCES records(id),
    why       TEXT    NOT NULL,
    PRIMARY KEY (batch_id, record_id)
) WITHOUT ROWID;
CREATE INDEX batch_records_by_record ON batch_records(record_id);

-- Mission closure (two registrars): a transfer batch of every permanent
-- record and a disposal batch of all the rest, completed together with a
-- signed statement that nothing classified remains.
CREATE TABLE closures (
    id             INTEGER PRIMARY KEY,
    transfer_batch INTEGER REFERENCES batches(id),
    disposal_batch INTEGER REFERENCES batches(id),
    proposed_by    INTEGER NOT NULL REFERENCES accounts(id),
    proposed_at    INTEGER NOT NULL,
    approved_by    INTEGER REFERENCES accounts(id),
    approved_at    INTEGER,
    completed_by   INTEGER REFERENCES accounts(id),
    completed_at   INTEGER,
    statement      TEXT,
    CHECK (approved_by IS NULL OR approved_by != proposed_by)
);

ALTER TABLE records ADD COLUMN disposed_at INTEGER;
ALTER TABLE records ADD COLUMN disposal_batch INTEGER REFERENCES batches(id);

-- A record under a legal hold in force is never destroyed or transferred
-- away, whatever the code above the database does.
CREATE TRIGGER held_records_stay BEFORE UPDATE OF state ON records
WHEN NEW.state IN ('destroyed', 'transferred') AND (
    EXISTS (SELECT 1 FROM hold_records hr JOIN holds h ON h.id = hr.hold_id
            WHERE hr.record_id = NEW.id AND h.released_at IS NULL)
    OR EXISTS (SELECT 1 FROM holds h WHERE h.type = NEW.type AND h.released_at IS NULL))
BEGIN
    SELECT RAISE(ABORT, 'the record is under a legal hold');
END;
CREATE TRIGGER held_keys_stay BEFORE DELETE ON record_keys
WHEN EXISTS (SELECT 1 FROM records r WHERE r.id = OLD.record_id AND r.state = 'held' AND (
    EXISTS (SELECT 1 FROM hold_records hr JOIN holds h ON h.id = hr.hold_id
            WHERE hr.record_id = r.id AND h.released_at IS NULL)
    OR EXISTS (SELECT 1 FROM holds h WHERE h.type = r.type AND h.released_at IS NULL)))
BEGIN
    SELECT RAISE(ABORT, 'the record is under a legal hold');
END;
)SQL"},
    Migration{5, "retired master keys, kept to verify what was made under them", R"SQL(
-- Master keys this store had before a rekey (strongroomd --rekey), oldest
-- first. Each keeps what is needed to verify what was made under it: the
-- audit MAC key of the entries first_seq..last_seq (sealed under the
-- current master's record key wrap key, bound to the epoch), the Ed25519
-- public key of its certificates and checkpoints, and its key check.
CREATE TABLE retired_keys (
    epoch          INTEGER PRIMARY KEY,
    key_check      TEXT    NOT NULL,
    signing_public BLOB    NOT NULL,
    audit_key      BLOB    NOT NULL,
    first_seq      INTEGER NOT NULL,
    last_seq       INTEGER NOT NULL,
    retired_at     INTEGER NOT NULL,
    CHECK (first_seq >= 1 AND last_seq >= first_seq - 1)
);
)SQL"},
    Migration{6,
              "separation of duties: no post for officers and auditors, dated roles, "
              "release review",
              R"SQL(
-- When an account was given its roles, and who approved it (a second
-- officer; NULL for the officers created at bootstrap and for accounts made
-- before this version). An approval counts only from an account that held
-- its role before the change was proposed.
ALTER TABLE accounts ADD COLUMN roles_at INTEGER;
ALTER TABLE accounts ADD COLUMN roles_approved_by INTEGER REFERENCES accounts(id);
UPDATE accounts SET roles_at = created_at WHERE roles != 0;

-- Rule 11: an account holding the officer (1) or auditor (4) role holds no
-- post, so it never reads classified content, whatever the code above the
-- database does. Assignments made before this version that break the rule
-- are not touched here: strongroomd reports them at every start and in
-- `status`, and the policy gives those accounts no clearance, until an
-- officer ends them (`post unassign`).
CREATE TRIGGER oversight_holds_no_post BEFORE INSERT ON assignments
WHEN (SELECT roles & 5 FROM accounts WHERE id = NEW.account_id) != 0
BEGIN
    SELECT RAISE(ABORT, 'separation of duties: an account holding the officer or auditor role holds no post');
END;
CREATE TRIGGER oversight_assignment_stays_closed BEFORE UPDATE ON assignments
WHEN (NEW.account_id != OLD.account_id
      OR (OLD.ends IS NOT NULL AND (NEW.ends IS NULL OR NEW.ends > OLD.ends)))
     AND (SELECT roles & 5 FROM accounts WHERE id = NEW.account_id) != 0
BEGIN
    SELECT RAISE(ABORT, 'separation of duties: an account holding the officer or auditor role holds no post');
END;
CREATE TRIGGER post_holder_takes_no_oversight BEFORE UPDATE OF roles ON accounts
WHEN (NEW.roles & 5) != 0 AND EXISTS (
    SELECT 1 FROM assignments a WHERE a.account_id = NEW.id
    AND (a.ends IS NULL OR a.ends > CAST(strftime('%s', 'now') AS INTEGER) * 1000000))
BEGIN
    SELECT RAISE(ABORT, 'separation of duties: an account holding a post cannot take the officer or auditor role');
END;

-- Two-person rule: a change is approved by another account, which held a
-- role before the change was proposed (approval by uid 0 at bootstrap has
-- decided_by NULL).
CREATE TRIGGER approver_held_role_before BEFORE UPDATE OF state ON pending
WHEN NEW.state = 'approved' AND NEW.decided_by IS NOT NULL AND (
    NEW.decided_by = NEW.requested_by
    OR coalesce((SELECT roles_at FROM accounts WHERE id = NEW.decided_by), NEW.requested_at)
       >= NEW.requested_at)
BEGIN
    SELECT RAISE(ABORT, 'two-person rule: the approver must be another account that held its role before the change was proposed');
END;

-- Disseminations gain the authority 'release-review': a release request
-- makes the record readable by the posts that may approve it. SQLite
-- cannot change a CHECK in place, so the table is rebuilt (ids kept).
CREATE TABLE disseminations_v6 (
    id         INTEGER PRIMARY KEY,
    record_id  INTEGER NOT NULL REFERENCES records(id),
    recipient  INTEGER NOT NULL CHECK (recipient != 0),
    authority  TEXT    NOT NULL CHECK (authority IN ('originator', 'delegation',
                           'head-of-mission', 'must-share', 'receipt', 'release-review')),
    reference  TEXT    NOT NULL DEFAULT '',
    by_account INTEGER REFERENCES accounts(id),
    at         INTEGER NOT NULL
);
INSERT INTO disseminations_v6 (id, record_id, recipient, authority, reference, by_account, at)
    SELECT id, record_id, recipient, authority, reference, by_account, at FROM disseminations;
DROP TABLE disseminations;
ALTER TABLE disseminations_v6 RENAME TO disseminations;
CREATE UNIQUE INDEX disseminations_by_recipient ON disseminations(recipient, record_id, authority);
CREATE INDEX disseminations_by_record ON disseminations(record_id);
)SQL"},
    Migration{7, "the register entries of records a restore lost", R"SQL(
-- A record a restore lost: entered after the backup restored and not
-- disposed of, its content went with the database replaced. Its register
-- entry stays here (its id and registry number are never used again); a
-- later restore of a backup that holds it brings it back and removes the
-- entry. What was not known (a key-store backup knows a record's id only)
-- is NULL or empty. compartments: ids, space-separated.
CREATE TABLE lost_records (
    id              INTEGER PRIMARY KEY,
    registry_number TEXT,
    title           TEXT    NOT NULL DEFAULT '',
    level           INTEGER,
    type            TEXT    NOT NULL DEFAULT '',
    originator      INTEGER,
    origin          TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER,
    compartments    TEXT    NOT NULL DEFAULT '',
    lost_at         INTEGER NOT NULL,
    backup          TEXT    NOT NULL
);
)SQL"},
    Migration{8, "the copies and releases of records a restore lost", R"SQL(
-- The copy register and releases of a record a restore lost (lost_records),
-- as they stood: a later restore that brings the record back brings these
-- back with it, so its copies stay accounted for and its copy numbers are
-- never handed out again (rule 8). The same columns as copies and
-- releases; the record they name is not in records.
CREATE TABLE lost_releases (
    id            INTEGER PRIMARY KEY,
    record_id     INTEGER NOT NULL,
    requested_by  INTEGER NOT NULL REFERENCES accounts(id),
    entity        TEXT    NOT NULL,
    entity_kind   TEXT    NOT NULL,
    justification TEXT    NOT NULL,
    arrangement   TEXT    NOT NULL,
    hrddp         TEXT    NOT NULL DEFAULT '',
    requested_at  INTEGER NOT NULL,
    state         TEXT    NOT NULL,
    approved_by   INTEGER REFERENCES accounts(id),
    approved_at   INTEGER,
    authority     TEXT,
    reference     TEXT    NOT NULL DEFAULT ''
);
CREATE TABLE lost_copies (
    record_id   INTEGER NOT NULL,
    number      INTEGER NOT NULL CHECK (number > 0),
    holder      INTEGER NOT NULL REFERENCES accounts(id),
    purpose     TEXT    NOT NULL,
    issued_at   INTEGER NOT NULL,
    fingerprint INTEGER NOT NULL,
    state       TEXT    NOT NULL,
    closed_at   INTEGER,
    closed_by   INTEGER REFERENCES accounts(id),
    release_id  INTEGER,
    PRIMARY KEY (record_id, number)
) WITHOUT ROWID;
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
