#include "daemon/store/disposal.hpp"

#include "daemon/store/register.hpp"
#include "daemon/store/sqlite.hpp"
#include "daemon/store/stored.hpp"

namespace strongroom::store {
namespace {

constexpr const char* kColumns =
    "id, kind, state, as_of, proposed_by, proposed_at, approved_by, approved_at, executed_by, "
    "executed_at, receipt, list, certificate";

std::optional<std::string> optional_text(const Statement& s, int i) {
    if (s.column_is_null(i)) {
        return std::nullopt;
    }
    return s.column_text(i);
}

BatchRow read_row(const Statement& s) {
    BatchRow b;
    b.id = s.column_int(0);
    b.kind = stored_batch_kind(s.column_text(1));
    b.state = stored_batch_state(s.column_text(2));
    b.as_of = s.column_int(3);
    b.proposed_by = s.column_int(4);
    b.proposed_at = s.column_int(5);
    b.approved_by = s.column_optional_int(6);
    b.approved_at = s.column_optional_int(7);
    b.executed_by = s.column_optional_int(8);
    b.executed_at = s.column_optional_int(9);
    b.receipt = optional_text(s, 10);
    b.list = optional_text(s, 11);
    b.certificate = optional_text(s, 12);
    return b;
}

}  // namespace

std::int64_t DisposalRepository::insert(BatchKind kind, BatchState state, Micros as_of,
                                        std::int64_t by, Micros at) {
    static const std::string insert_sql =
        std::string(
            "INSERT INTO batches (id, kind, state, as_of, proposed_by, "
            "proposed_at) VALUES (") +
        next_id_sql("batches") + ", ?1, ?2, ?3, ?4, ?5)";
    auto s = conn_.cached(insert_sql.c_str());
    s->bind(1, to_text(kind)).bind(2, to_text(state)).bind(3, as_of).bind(4, by).bind(5, at);
    s->run();
    return conn_.last_insert_rowid();
}

void DisposalRepository::add_record(std::int64_t batch, std::int64_t record, std::string_view why) {
    auto s = conn_.cached(
        "INSERT OR IGNORE INTO batch_records (batch_id, record_id, why) VALUES (?1, ?2, ?3)");
    s->bind(1, batch).bind(2, record).bind(3, why);
    s->run();
}

std::optional<BatchRow> DisposalRepository::find(std::int64_t id) {
    static const std::string sql =
        std::string("SELECT ") + kColumns + " FROM batches WHERE id = ?1";
    auto s = conn_.cached(sql.c_str());
    s->bind(1, id);
    if (!s->step()) {
        return std::nullopt;
    }
    return read_row(*s);
}

std::vector<BatchRow> DisposalRepository::list(BatchKind kind) {
    static const std::string sql =
        std::string("SELECT ") + kColumns + " FROM batches WHERE kind = ?1 ORDER BY id";
    auto s = conn_.cached(sql.c_str());
    s->bind(1, to_text(kind));
    std::vector<BatchRow> out;
    while (s->step()) {
        out.push_back(read_row(*s));
    }
    return out;
}

std::vector<BatchRow> DisposalRepository::all() {
    static const std::string sql = std::string("SELECT ") + kColumns + " FROM batches ORDER BY id";
    auto s = conn_.cached(sql.c_str());
    std::vector<BatchRow> out;
    while (s->step()) {
        out.push_back(read_row(*s));
    }
    return out;
}

std::vector<BatchRecord> DisposalRepository::records(std::int64_t batch) {
    auto s = conn_.cached(
        "SELECT record_id, why FROM batch_records WHERE batch_id = ?1 ORDER BY record_id");
    s->bind(1, batch);
    std::vector<BatchRecord> out;
    while (s->step()) {
        out.push_back({s->column_int(0), s->column_text(1)});
    }
    return out;
}

std::optional<DisposalRepository::RecordDisposal> DisposalRepository::disposal_of(
    std::int64_t record) {
    auto s = conn_.cached(
        "SELECT r.state, coalesce(r.disposed_at, 0), b.id, coalesce(br.why, '') FROM records r "
        "LEFT JOIN batches b ON b.id = r.disposal_batch "
        "LEFT JOIN batch_records br ON br.batch_id = b.id AND br.record_id = r.id "
        "WHERE r.id = ?1 AND r.state IN ('destroyed', 'transferred')");
    s->bind(1, record);
    if (!s->step()) {
        return std::nullopt;
    }
    return RecordDisposal{stored_record_state(s->column_text(0)), s->column_int(1),
                          s->column_optional_int(2), s->column_text(3)};
}

std::optional<std::int64_t> DisposalRepository::open_batch_of(std::int64_t record, BatchKind kind) {
    auto s = conn_.cached(
        "SELECT b.id FROM batch_records br JOIN batches b ON b.id = br.batch_id "
        "WHERE br.record_id = ?1 AND b.kind = ?2 AND b.state IN ('proposed', 'approved', "
        "'prepared') LIMIT 1");
    s->bind(1, record).bind(2, to_text(kind));
    if (!s->step()) {
        return std::nullopt;
    }
    return s->column_int(0);
}

std::vector<DisposalRepository::Disposals> DisposalRepository::disposed_between(Micros since,
                                                                                Micros until) {
    auto s = conn_.cached(
        "SELECT type, state, coalesce(disposal_batch, 0), count(*) FROM records "
        "WHERE state IN ('destroyed', 'transferred') AND disposed_at >= ?1 AND disposed_at < ?2 "
        "GROUP BY type, state, disposal_batch ORDER BY type, state, disposal_batch");
    s->bind(1, since).bind(2, until);
    std::vector<Disposals> out;
    while (s->step()) {
        auto type = s->column_text(0);
        const auto state = stored_record_state(s->column_text(1));
        if (out.empty() || out.back().type != type || out.back().state != state) {
            out.push_back({std::move(type), state, 0, {}});
        }
        out.back().records += s->column_int(3);
        if (const auto batch = s->column_int(2); batch != 0) {
            out.back().batches.push_back(batch);
        }
    }
    return out;
}

namespace {

constexpr const char* kClosureColumns =
    "id, transfer_batch, disposal_batch, proposed_by, proposed_at, approved_by, approved_at, "
    "completed_by, completed_at, statement";

ClosureRow read_closure(const Statement& s) {
    ClosureRow c;
    c.id = s.column_int(0);
    c.transfer_batch = s.column_optional_int(1);
    c.disposal_batch = s.column_optional_int(2);
    c.proposed_by = s.column_int(3);
    c.proposed_at = s.column_int(4);
    c.approved_by = s.column_optional_int(5);
    c.approved_at = s.column_optional_int(6);
    c.completed_by = s.column_optional_int(7);
    c.completed_at = s.column_optional_int(8);
    c.statement = optional_text(s, 9);
    return c;
}

}  // namespace

std::int64_t DisposalRepository::insert_closure(std::optional<std::int64_t> transfer_batch,
                                                std::optional<std::int64_t> disposal_batch,
                                                std::int64_t by, Micros at) {
    static const std::string insert_sql =
        std::string(
            "INSERT INTO closures (id, transfer_batch, disposal_batch, "
            "proposed_by, proposed_at) VALUES (") +
        next_id_sql("closures") + ", ?1, ?2, ?3, ?4)";
    auto s = conn_.cached(insert_sql.c_str());
    s->bind(1, transfer_batch).bind(2, disposal_batch).bind(3, by).bind(4, at);
    s->run();
    return conn_.last_insert_rowid();
}

std::optional<ClosureRow> DisposalRepository::find_closure(std::int64_t id) {
    static const std::string sql =
        std::string("SELECT ") + kClosureColumns + " FROM closures WHERE id = ?1";
    auto s = conn_.cached(sql.c_str());
    s->bind(1, id);
    if (!s->step()) {
        return std::nullopt;
    }
    return read_closure(*s);
}

bool DisposalRepository::any_closure() {
    return conn_.query_int("SELECT count(*) FROM closures") > 0;
}

std::optional<ClosureRow> DisposalRepository::open_closure() {
    static const std::string sql = std::string("SELECT ") + kClosureColumns +
                                   " FROM closures WHERE completed_at IS NULL ORDER BY id LIMIT 1";
    auto s = conn_.cached(sql.c_str());
    if (!s->step()) {
        return std::nullopt;
    }
    return read_closure(*s);
}

std::optional<std::int64_t> DisposalRepository::open_closure_of(std::int64_t batch) {
    auto s = conn_.cached(
        "SELECT id FROM closures WHERE completed_at IS NULL AND (transfer_batch = ?1 OR "
        "disposal_batch = ?1)");
    s->bind(1, batch);
    if (!s->step()) {
        return std::nullopt;
    }
    return s->column_int(0);
}

void DisposalRepository::approve_closure(std::int64_t id, std::int64_t by, Micros at) {
    auto s = conn_.cached("UPDATE closures SET approved_by = ?2, approved_at = ?3 WHERE id = ?1");
    s->bind(1, id).bind(2, by).bind(3, at);
    s->run();
}

void DisposalRepository::complete_closure(std::int64_t id, std::int64_t by, Micros at,
                                          std::string_view statement) {
    auto s = conn_.cached(
        "UPDATE closures SET completed_by = ?2, completed_at = ?3, statement = ?4 WHERE id = ?1");
    s->bind(1, id).bind(2, by).bind(3, at).bind(4, statement);
    s->run();
}

void DisposalRepository::approve(std::int64_t id, std::int64_t by, Micros at) {
    auto s = conn_.cached(
        "UPDATE batches SET state = 'approved', approved_by = ?2, approved_at = ?3 WHERE id = ?1");
    s->bind(1, id).bind(2, by).bind(3, at);
    s->run();
}

void DisposalRepository::execute(std::int64_t id, BatchState state, std::int64_t by, Micros at,
                                 std::string_view certificate) {
    auto s = conn_.cached(
        "UPDATE batches SET state = ?2, executed_by = ?3, executed_at = ?4, certificate = ?5 "
        "WHERE id = ?1");
    s->bind(1, id).bind(2, to_text(state)).bind(3, by).bind(4, at).bind(5, certificate);
    s->run();
}

void DisposalRepository::put(const BatchRow& b) {
    static const std::string sql = std::string("INSERT OR REPLACE INTO batches (") + kColumns +
                                   ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
                                   "?13)";
    auto s = conn_.cached(sql.c_str());
    auto text = [&s](int i, const std::optional<std::string>& v) {
        if (v) {
            s->bind(i, std::string_view(*v));
        } else {
            s->bind_null(i);
        }
    };
    s->bind(1, b.id).bind(2, to_text(b.kind)).bind(3, to_text(b.state)).bind(4, b.as_of);
    s->bind(5, b.proposed_by);
    s->bind(6, b.proposed_at).bind(7, b.approved_by).bind(8, b.approved_at).bind(9, b.executed_by);
    s->bind(10, b.executed_at);
    text(11, b.receipt);
    text(12, b.list);
    text(13, b.certificate);
    s->run();
}

void DisposalRepository::set_list(std::int64_t id, std::string_view list) {
    auto s = conn_.cached("UPDATE batches SET list = ?2 WHERE id = ?1");
    s->bind(1, id).bind(2, list);
    s->run();
}

void DisposalRepository::set_receipt(std::int64_t id, std::string_view receipt) {
    auto s = conn_.cached("UPDATE batches SET receipt = ?2 WHERE id = ?1");
    s->bind(1, id).bind(2, receipt);
    s->run();
}

}  // namespace strongroom::store
