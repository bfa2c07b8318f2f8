#include "daemon/store/records.hpp"

#include <fmt/format.h>

#include "daemon/store/register.hpp"
#include "daemon/store/sqlite.hpp"
#include "daemon/store/stored.hpp"

namespace strongroom::store {
namespace {

std::int64_t chunk_row(std::int64_t record_id, std::uint64_t chunk) {
    return record_id * static_cast<std::int64_t>(kMaxChunks) + static_cast<std::int64_t>(chunk);
}

DisseminationRow read_dissemination(Statement& s) {
    DisseminationRow r;
    r.id = s.column_int(0);
    r.record_id = s.column_int(1);
    r.recipient = Recipient::stored(s.column_int(2));
    r.authority = stored_conveyance(s.column_text(3));
    r.reference = s.column_text(4);
    r.by_account = s.column_optional_int(5);
    r.at = s.column_int(6);
    return r;
}

DelegationRow read_delegation(Statement& s) {
    DelegationRow r;
    r.id = s.column_int(0);
    r.kind = s.column_text(1);
    r.record_id = s.column_optional_int(2);
    r.grantor = s.column_int(3);
    r.to_post = s.column_int(4);
    r.reference = s.column_text(5);
    r.until = s.column_optional_int(6);
    r.created_at = s.column_int(7);
    return r;
}

std::vector<Candidate> ids_of(Statement& s, bool with_flag) {
    std::vector<Candidate> out;
    while (s.step()) {
        out.push_back(Candidate{s.column_int(0), with_flag && s.column_int(1) != 0});
    }
    return out;
}

}  // namespace

void RecordRepository::put_compartments(std::int64_t id, const std::vector<std::int64_t>& ids) {
    for (const auto c : ids) {
        auto s = conn_.cached(
            "INSERT INTO record_compartments (record_id, compartment_id) VALUES (?1, ?2)");
        s->bind(1, id).bind(2, c);
        s->run();
    }
}

std::int64_t RecordRepository::insert(const RecordRow& r) {
    static const std::string insert_sql =
        std::string(
            "INSERT INTO records (id, title, level, type, dated, originator, "
            "origin_post, origin, safety, max_copies, registry_number, size, "
            "chunks, sha256, is_text, filename, created_at, state) VALUES (") +
        next_id_sql("records") +
        ", ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, NULL, 0, 0, x'', 0, ?10, ?11, "
        "'uploading')";
    auto s = conn_.cached(insert_sql.c_str());
    s->bind(1, r.title)
        .bind(2, std::int64_t{r.level})
        .bind(3, r.type)
        .bind(4, r.dated)
        .bind(5, r.originator)
        .bind(6, r.origin_post)
        .bind(7, r.origin)
        .bind(8, std::int64_t{r.safety ? 1 : 0})
        .bind(9, r.max_copies)
        .bind(10, r.filename)
        .bind(11, r.created_at);
    s->run();
    const auto id = conn_.last_insert_rowid();
    put_compartments(id, r.compartments);
    return id;
}

std::int64_t RecordRepository::insert_held(const RecordRow& r) {
    static const std::string insert_sql =
        std::string(
            "INSERT INTO records (id, title, level, type, dated, originator, "
            "origin_post, origin, safety, max_copies, registry_number, size, "
            "chunks, sha256, is_text, filename, created_at, state) VALUES (") +
        next_id_sql("records") +
        ", ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
        "?16, 'held')";
    auto s = conn_.cached(insert_sql.c_str());
    s->bind(1, r.title)
        .bind(2, std::int64_t{r.level})
        .bind(3, r.type)
        .bind(4, r.dated)
        .bind(5, r.originator)
        .bind(6, r.origin_post)
        .bind(7, r.origin)
        .bind(8, std::int64_t{r.safety ? 1 : 0})
        .bind(9, r.max_copies);
    if (r.registry_number) {
        s->bind(10, std::string_view(*r.registry_number));
    } else {
        s->bind_null(10);
    }
    s->bind(11, r.size)
        .bind(12, r.chunks)
        .bind_blob(13, r.sha256)
        .bind(14, std::int64_t{r.is_text ? 1 : 0})
        .bind(15, r.filename)
        .bind(16, r.created_at);
    s->run();
    const auto id = conn_.last_insert_rowid();
    put_compartments(id, r.compartments);
    return id;
}

void RecordRepository::finish(std::int64_t id, std::int64_t size, std::int64_t chunks,
                              std::span<const std::uint8_t> sha256, bool is_text,
                              const std::optional<std::string>& registry_number) {
    auto s = conn_.cached(
        "UPDATE records SET size = ?2, chunks = ?3, sha256 = ?4, is_text = ?5, "
        "registry_number = ?6, state = 'held' WHERE id = ?1");
    s->bind(1, id).bind(2, size).bind(3, chunks).bind_blob(4, sha256).bind(
        5, std::int64_t{is_text ? 1 : 0});
    if (registry_number) {
        s->bind(6, std::string_view(*registry_number));
    } else {
        s->bind_null(6);
    }
    s->run();
}

void RecordRepository::update_metadata(std::int64_t id, const RecordRow& r) {
    {
        auto s = conn_.cached(
            "UPDATE records SET title = ?2, level = ?3, type = ?4, dated = ?5, originator = ?6, "
            "origin_post = ?7, origin = ?8, safety = ?9, max_copies = ?10, filename = ?11, "
            "created_at = ?12 WHERE id = ?1 AND state = 'uploading'");
        s->bind(1, id)
            .bind(2, r.title)
            .bind(3, std::int64_t{r.level})
            .bind(4, r.type)
            .bind(5, r.dated)
            .bind(6, r.originator)
            .bind(7, r.origin_post)
            .bind(8, r.origin)
            .bind(9, std::int64_t{r.safety ? 1 : 0})
            .bind(10, r.max_copies)
            .bind(11, r.filename)
            .bind(12, r.created_at);
        s->run();
    }
    {
        auto s = conn_.cached("DELETE FROM record_compartments WHERE record_id = ?1");
        s->bind(1, id);
        s->run();
    }
    put_compartments(id, r.compartments);
}

std::optional<RecordRow> RecordRepository::find(std::int64_t id) {
    auto s = conn_.cached(
        "SELECT id, title, level, type, dated, originator, origin_post, origin, safety, "
        "max_copies, registry_number, size, chunks, sha256, is_text, filename, created_at, state "
        "FROM records WHERE id = ?1");
    s->bind(1, id);
    if (!s->step()) {
        return std::nullopt;
    }
    RecordRow r;
    r.id = s->column_int(0);
    r.title = s->column_text(1);
    r.level = static_cast<int>(s->column_int(2));
    r.type = s->column_text(3);
    r.dated = s->column_int(4);
    r.originator = s->column_int(5);
    r.origin_post = s->column_optional_int(6);
    r.origin = s->column_text(7);
    r.safety = s->column_int(8) != 0;
    r.max_copies = s->column_optional_int(9);
    if (!s->column_is_null(10)) {
        r.registry_number = s->column_text(10);
    }
    r.size = s->column_int(11);
    r.chunks = s->column_int(12);
    r.sha256 = s->column_blob(13);
    r.is_text = s->column_int(14) != 0;
    r.filename = s->column_text(15);
    r.created_at = s->column_int(16);
    r.state = stored_record_state(s->column_text(17));
    auto c = conn_.cached(
        "SELECT compartment_id FROM record_compartments WHERE record_id = ?1 "
        "ORDER BY compartment_id");
    c->bind(1, id);
    while (c->step()) {
        r.compartments.push_back(c->column_int(0));
    }
    return r;
}

std::int64_t RecordRepository::remove_unfinished() {
    std::vector<std::int64_t> ids;
    {
        auto s = conn_.cached("SELECT id FROM records WHERE state = 'uploading'");
        while (s->step()) {
            ids.push_back(s->column_int(0));
        }
    }
    for (const auto id : ids) {
        remove_unfinished(id);
    }
    return static_cast<std::int64_t>(ids.size());
}

void RecordRepository::remove_unfinished(std::int64_t id) {
    {
        auto s = conn_.cached("DELETE FROM content_chunks WHERE id >= ?1 AND id < ?2");
        s->bind(1, chunk_row(id, 0)).bind(2, chunk_row(id + 1, 0));
        s->run();
    }
    {
        auto s = conn_.cached("DELETE FROM record_compartments WHERE record_id = ?1");
        s->bind(1, id);
        s->run();
    }
    auto s = conn_.cached("DELETE FROM records WHERE id = ?1 AND state = 'uploading'");
    s->bind(1, id);
    s->run();
    if (conn_.changes() > 0) {
        reserve_ids(conn_, "records", id);  // its id is never handed out again
    }
}

std::int64_t RecordRepository::next_registry_sequence(std::int64_t year) {
    {
        auto s =
            conn_.cached("INSERT OR IGNORE INTO registry_sequence (year, last) VALUES (?1, 0)");
        s->bind(1, year);
        s->run();
    }
    {
        auto s = conn_.cached("UPDATE registry_sequence SET last = last + 1 WHERE year = ?1");
        s->bind(1, year);
        s->run();
    }
    auto s = conn_.cached("SELECT last FROM registry_sequence WHERE year = ?1");
    s->bind(1, year);
    s->step();
    return s->column_int(0);
}

void RecordRepository::put_key(std::int64_t record_id, std::span<const std::uint8_t> wrapped) {
    auto s = conn_.cached("INSERT INTO record_keys (record_id, wrapped) VALUES (?1, ?2)");
    s->bind(1, record_id).bind_blob(2, wrapped);
    s->run();
}

void RecordRepository::replace_key(std::int64_t record_id, std::span<const std::uint8_t> wrapped) {
    auto s = conn_.cached("UPDATE record_keys SET wrapped = ?2 WHERE record_id = ?1");
    s->bind(1, record_id).bind_blob(2, wrapped);
    s->run();
}

std::optional<std::vector<std::uint8_t>> RecordRepository::key(std::int64_t record_id) {
    auto s = conn_.cached("SELECT wrapped FROM record_keys WHERE record_id = ?1");
    s->bind(1, record_id);
    if (!s->step()) {
        return std::nullopt;
    }
    return s->column_blob(0);
}

void RecordRepository::put_chunk(std::int64_t record_id, std::uint64_t chunk,
                                 std::span<const std::uint8_t> data) {
    auto s = conn_.cached("INSERT INTO content_chunks (id, data) VALUES (?1, ?2)");
    s->bind(1, chunk_row(record_id, chunk)).bind_blob(2, data);
    s->run();
}

std::optional<std::vector<std::uint8_t>> RecordRepository::chunk(std::int64_t record_id,
                                                                 std::uint64_t chunk) {
    auto s = conn_.cached("SELECT data FROM content_chunks WHERE id = ?1");
    s->bind(1, chunk_row(record_id, chunk));
    if (!s->step()) {
        return std::nullopt;
    }
    return s->column_blob(0);
}

void RecordRepository::index_text(std::int64_t record_id, std::string_view title,
                                  std::string_view text) {
    auto s = conn_.cached("INSERT INTO record_text (docid, title, body) VALUES (?1, ?2, ?3)");
    s->bind(1, record_id).bind(2, title).bind(3, text);
    s->run();
}

void RecordRepository::merge_text_index(int leaves) {
    conn_.exec(
        fmt::format("INSERT INTO record_text(record_text) VALUES('merge={},8');", leaves).c_str());
}

void RecordRepository::unindex_text(std::int64_t record_id, std::string_view title,
                                    std::string_view text) {
    // External content: the delete reads the indexed text from
    // record_text_source, so it is put there for the moment of the delete.
    {
        auto s =
            conn_.cached("INSERT INTO record_text_source (docid, title, body) VALUES (?1, ?2, ?3)");
        s->bind(1, record_id).bind(2, title).bind(3, text);
        s->run();
    }
    {
        auto s = conn_.cached("DELETE FROM record_text WHERE docid = ?1");
        s->bind(1, record_id);
        s->run();
    }
    auto s = conn_.cached("DELETE FROM record_text_source WHERE docid = ?1");
    s->bind(1, record_id);
    s->run();
}

void RecordRepository::optimize_text_index() {
    conn_.exec("INSERT INTO record_text(record_text) VALUES('optimize');");
}

void RecordRepository::for_each_in_state(RecordState state,
                                         const std::function<void(RecordRow&)>& fn) {
    for (std::int64_t after = 0;;) {
        const auto ids = in_state(state, after, 1000);
        if (ids.empty()) {
            return;
        }
        for (const auto id : ids) {
            after = id;
            if (auto r = find(id)) {
                fn(*r);
            }
        }
    }
}

std::vector<std::int64_t> RecordRepository::in_state(RecordState state, std::int64_t after,
                                                     std::size_t limit) {
    auto s =
        conn_.cached("SELECT id FROM records WHERE state = ?1 AND id > ?2 ORDER BY id LIMIT ?3");
    s->bind(1, to_text(state)).bind(2, after).bind(3, static_cast<std::int64_t>(limit));
    std::vector<std::int64_t> out;
    while (s->step()) {
        out.push_back(s->column_int(0));
    }
    return out;
}

void RecordRepository::dispose(std::int64_t record_id, RecordState state,
                               std::optional<std::int64_t> batch, Micros at) {
    {
        auto s = conn_.cached("DELETE FROM record_keys WHERE record_id = ?1");
        s->bind(1, record_id);
        s->run();
    }
    {
        auto s = conn_.cached("DELETE FROM content_chunks WHERE id >= ?1 AND id < ?2");
        s->bind(1, chunk_row(record_id, 0)).bind(2, chunk_row(record_id + 1, 0));
        s->run();
    }
    auto s = conn_.cached(
        "UPDATE records SET state = ?2, disposal_batch = ?3, disposed_at = ?4 WHERE id = ?1 "
        "AND state = 'held'");
    s->bind(1, record_id).bind(2, to_text(state)).bind(3, batch).bind(4, at);
    s->run();
}

std::vector<std::int64_t> RecordRepository::search(std::string_view match, std::int64_t before,
                                                   std::size_t limit) {
    auto s = conn_.cached(
        "SELECT docid FROM record_text WHERE record_text MATCH ?1 AND docid < ?2 "
        "ORDER BY docid DESC LIMIT ?3");
    s->bind(1, match).bind(2, before).bind(3, static_cast<std::int64_t>(limit));
    std::vector<std::int64_t> out;
    while (s->step()) {
        out.push_back(s->column_int(0));
    }
    return out;
}

std::vector<std::int64_t> RecordRepository::registered(std::int64_t after, Micros since,
                                                       Micros until, std::size_t limit) {
    auto s = conn_.cached(
        "SELECT id FROM records WHERE id > ?1 AND state != 'uploading' AND created_at >= ?2 "
        "AND created_at < ?3 ORDER BY id LIMIT ?4");
    s->bind(1, after).bind(2, since).bind(3, until).bind(4, static_cast<std::int64_t>(limit));
    std::vector<std::int64_t> out;
    while (s->step()) {
        out.push_back(s->column_int(0));
    }
    return out;
}

bool RecordRepository::disseminate(const DisseminationRow& r) {
    static const std::string insert_sql =
        std::string(
            "INSERT OR IGNORE INTO disseminations (id, record_id, recipient, "
            "authority, reference, by_account, at) VALUES (") +
        next_id_sql("disseminations") + ", ?1, ?2, ?3, ?4, ?5, ?6)";
    auto s = conn_.cached(insert_sql.c_str());
    s->bind(1, r.record_id)
        .bind(2, r.recipient.stored_value())
        .bind(3, to_text(r.authority))
        .bind(4, r.reference)
        .bind(5, r.by_account)
        .bind(6, r.at);
    s->run();
    return conn_.changes() > 0;
}

std::vector<DisseminationRow> RecordRepository::disseminations(std::int64_t record_id) {
    auto s = conn_.cached(
        "SELECT id, record_id, recipient, authority, reference, by_account, at "
        "FROM disseminations WHERE record_id = ?1 ORDER BY id");
    s->bind(1, record_id);
    std::vector<DisseminationRow> out;
    while (s->step()) {
        out.push_back(read_dissemination(*s));
    }
    return out;
}

std::int64_t RecordRepository::insert_delegation(const DelegationRow& r) {
    static const std::string insert_sql =
        std::string(
            "INSERT INTO delegations (id, kind, record_id, grantor, to_post, "
            "reference, until, created_at) VALUES (") +
        next_id_sql("delegations") + ", ?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    auto s = conn_.cached(insert_sql.c_str());
    s->bind(1, r.kind)
        .bind(2, r.record_id)
        .bind(3, r.grantor)
        .bind(4, r.to_post)
        .bind(5, r.reference)
        .bind(6, r.until)
        .bind(7, r.created_at);
    s->run();
    return conn_.last_insert_rowid();
}

std::vector<DelegationRow> RecordRepository::delegations_in_force(
    std::string_view kind, std::optional<std::int64_t> record_id, Micros now) {
    auto s = conn_.cached(
        "SELECT id, kind, record_id, grantor, to_post, reference, until, created_at "
        "FROM delegations WHERE record_id IS ?1 AND kind = ?2 AND revoked_at IS NULL "
        "AND (until IS NULL OR until > ?3) ORDER BY id");
    s->bind(1, record_id).bind(2, kind).bind(3, now);
    std::vector<DelegationRow> out;
    while (s->step()) {
        out.push_back(read_delegation(*s));
    }
    return out;
}

std::vector<Candidate> RecordRepository::at_level(int level, std::int64_t before,
                                                  std::size_t limit) {
    auto s = conn_.cached(
        "SELECT id FROM records WHERE level = ?1 AND state = 'held' AND id < ?2 "
        "ORDER BY id DESC LIMIT ?3");
    s->bind(1, std::int64_t{level}).bind(2, before).bind(3, static_cast<std::int64_t>(limit));
    return ids_of(*s, false);
}

std::vector<Candidate> RecordRepository::by_originator(std::int64_t account, std::int64_t before,
                                                       std::size_t limit) {
    auto s = conn_.cached(
        "SELECT id FROM records WHERE originator = ?1 AND state = 'held' AND id < ?2 "
        "ORDER BY id DESC LIMIT ?3");
    s->bind(1, account).bind(2, before).bind(3, static_cast<std::int64_t>(limit));
    return ids_of(*s, false);
}

std::vector<Candidate> RecordRepository::by_recipient(Recipient recipient, std::int64_t before,
                                                      std::size_t limit) {
    auto s = conn_.cached(
        "SELECT record_id, authority = 'must-share' FROM disseminations "
        "WHERE recipient = ?1 AND record_id < ?2 ORDER BY record_id DESC LIMIT ?3");
    s->bind(1, recipient.stored_value()).bind(2, before).bind(3, static_cast<std::int64_t>(limit));
    return ids_of(*s, true);
}

std::int64_t RecordRepository::count() {
    return conn_.query_int("SELECT count(*) FROM records WHERE state = 'held'");
}

std::int64_t RecordRepository::count_classified() {
    return conn_.query_int(
        "SELECT count(*) FROM records WHERE state IN ('held', 'uploading') AND level > 0");
}

}  // namespace strongroom::store
