// The register a restore must never lose (issue 13): what a database knows
// of every record it disposed of, every batch, certificate, hold, closure,
// release and numbered copy, the accounts, posts and compartments those
// rows name, and the highest number it ever handed out of each kind.
//
// A restore reads the register of the database it replaces (or the one a
// key-store backup carries) and carries it into the restored backup, in
// foreign-key order, so that a backup older than some destruction, batch,
// hold or account never takes them out of the register, and no record id,
// registry number, copy number, batch, hold, release, pending change,
// closure or audit sequence number is handed out twice.
//
// Ids are reserved in the meta table ('reserved.TABLE' = the highest id
// ever handed out there): new rows of those tables take the next id above
// both the table's highest row and that reservation (next_id_sql), so the
// ids of rows a restore could not carry (a pending change, a record whose
// content was only in the replaced database) are not used again.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "daemon/common/states.hpp"
#include "daemon/common/time.hpp"
#include "daemon/store/audit_log.hpp"

namespace strongroom::store {

class Connection;

// A column's value: NULL, an integer, a real, text or a blob.
using Value =
    std::variant<std::monostate, std::int64_t, double, std::string, std::vector<std::uint8_t>>;

struct TableRows {
    std::string table;
    std::vector<std::string> columns;
    std::vector<std::vector<Value>> rows;
};

struct Register {
    // The tables of register_tables() that have rows, in that order.
    std::vector<TableRows> tables;
    // Table → the highest id ever handed out there (its rows and its reservation).
    std::map<std::string, std::int64_t> reserved;
    // Records held there (their content is not part of the register).
    std::vector<std::int64_t> held;
    // The audit trail's head there.
    std::optional<std::pair<std::int64_t, Mac>> audit_head;
};

// The tables whose rows are carried, in foreign-key order: accounts,
// compartments, posts, assignments, grants, matrix_changes, pending,
// batches, records (those destroyed or transferred only: their stubs),
// record_compartments (of those), lost_records (those a restore lost; a
// record the backup holds is not lost), batch_records, holds, hold_records,
// closures, releases, copies, delegations, disseminations,
// registry_sequence, retired_keys.
std::span<const std::string_view> register_tables();
// The tables whose ids are reserved.
std::span<const std::string_view> reserved_tables();

// The register of a database (the caller holds a read snapshot or the
// write transaction, so that it is one state).
Register read_register(Connection& conn);

// A row of the register that cannot be carried into the restored database:
// the message says which, why, and that nothing was changed.
class RegisterConflict : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct CarryReport {
    std::int64_t added = 0;     // rows added to the restored database
    std::int64_t updated = 0;   // rows brought up to date (a batch executed, a hold released...)
    std::int64_t access = 0;    // accounts, posts, assignments, grants, pending changes and
                                // delegations brought to the source's state, grants withdrawn
    std::int64_t stubs = 0;     // records destroyed or transferred that the backup lacked
    std::int64_t replayed = 0;  // records held in the backup, destroyed or transferred since
    // Records held in the source that the restored database lacks: entered
    // after the backup, their content was not in it (their ids stay reserved).
    std::vector<std::int64_t> lost;
};

// Carries the register into conn (the restored database, inside the
// caller's write transaction): adds every row it lacks, brings rows it has
// up to where the source is (a batch approved or executed since, a hold
// released, a copy returned), destroys again every record the source had
// destroyed or transferred, raises registry sequences and the reserved ids.
// Access (accounts' suspension and roles, posts' levels and authorities,
// assignments, grants, pending changes) is made exactly the source's when
// the source's audit trail reaches at least as far as the backup's: a
// restore never gives back access withdrawn since, nor takes away access
// given since under the two-person rule.
// Throws RegisterConflict (the caller rolls back) when a row cannot be
// carried: it names the row and why.
CarryReport carry_register(Connection& conn, const Register& source);

// Disposals known without their register rows (a key-store backup of an
// older strongroomd): each record held in conn is destroyed or transferred
// again (its key and content deleted; the legal-hold triggers are set aside
// meanwhile: the disposal happened); returns how many.
struct Disposal {
    std::int64_t record_id = 0;
    RecordState state = RecordState::destroyed;  // destroyed | transferred
    std::int64_t batch = 0;                      // 0: none, or the batch is not in conn
    Micros at = 0;
};
std::int64_t replay_disposals(Connection& conn, std::span<const Disposal> disposals);

// The legal-hold triggers (migration 4) set aside, inside the caller's
// transaction, and put back with put_back() (or by its rollback): while
// disposals that happened are replayed (a hold the backup shows was released
// before them), and while a backup's copy is stripped of its record keys.
class HoldTriggersAside {
public:
    explicit HoldTriggersAside(Connection& conn);
    HoldTriggersAside(const HoldTriggersAside&) = delete;
    HoldTriggersAside& operator=(const HoldTriggersAside&) = delete;
    void put_back();

private:
    Connection& conn_;
    std::vector<std::string> sql_;
};

// A record a restore lost (migration 7): entered after the backup restored
// and not disposed of. Its register entry stays; its content is gone.
struct LostRecord {
    std::int64_t id = 0;
    std::optional<std::string> registry_number;
    std::string title;  // "" when only its id was known (a key-store backup)
    std::optional<int> level;
    std::string type;
    std::optional<std::int64_t> originator;  // account id
    std::string origin;
    std::optional<Micros> created_at;
    std::vector<std::int64_t> compartments;
    Micros lost_at = 0;
    std::string backup;  // the file name of the backup restored
};

// What a database knows of these records; those it lacks with their id only.
std::vector<LostRecord> describe_lost(Connection& source, std::span<const std::int64_t> ids);
// Enters them in the register of lost records (those not there already).
void register_lost(Connection& conn, std::span<const LostRecord> lost);
std::optional<LostRecord> find_lost(Connection& conn, std::int64_t id);
// Ids above `after` of lost records entered in [since, until) (an unknown
// entry date counts as 0), in order, at most `limit`.
std::vector<std::int64_t> lost_registered(Connection& conn, std::int64_t after, Micros since,
                                          Micros until, std::size_t limit);

// Raises the reservation of table to at least id.
void reserve_ids(Connection& conn, std::string_view table, std::int64_t id);

// The SQL expression of the next id of a table: above its highest row and
// its reservation. For the INSERT statements of the repositories:
//   static const std::string sql = "INSERT INTO pending (id, ...) VALUES (" +
//                                  next_id_sql("pending") + ", ?1, ...)";
std::string next_id_sql(std::string_view table);

// A write transaction (BEGIN IMMEDIATE) of an offline operation: commit()
// or it rolls back when it goes out of scope.
class WriteTransaction {
public:
    explicit WriteTransaction(Connection& conn);
    ~WriteTransaction();
    WriteTransaction(const WriteTransaction&) = delete;
    WriteTransaction& operator=(const WriteTransaction&) = delete;
    void commit();

private:
    Connection& conn_;
    bool open_ = true;
};

// The code of a StoreError for a file that does not open under the key in
// use (SQLITE_NOTADB).
inline constexpr int kNotADatabase = 26;

// Puts a database (a restored backup, in rollback-journal mode) in WAL mode.
void use_write_ahead_log(Connection& conn);

}  // namespace strongroom::store
