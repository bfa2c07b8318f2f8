#include "daemon/retention/disposal.hpp"

#include <map>
#include <utility>

#include <fmt/format.h>

#include "daemon/common/text.hpp"
#include "daemon/crypto/key_vault.hpp"
#include "daemon/policy/clearance.hpp"
#include "daemon/registry/content.hpp"
#include "daemon/retention/due.hpp"
#include "daemon/store/copies.hpp"
#include "daemon/store/retention.hpp"

namespace strongroom::retention {

namespace {

// "1 returned, 2 destroyed" or "none".
std::string copies_accounted(store::CopyRepository& copies, std::int64_t record) {
    std::map<std::string, int> by_state;
    for (const auto& c : copies.of_record(record)) {
        ++by_state[c.state];
    }
    std::string out;
    for (const auto& [state, n] : by_state) {
        out += fmt::format("{}{} {}", out.empty() ? "" : ", ", n, state);
    }
    return out.empty() ? "none" : out;
}

}  // namespace

Result<store::BatchRow> find_batch(store::Connection& conn, std::int64_t id, BatchKind kind) {
    auto b = store::DisposalRepository(conn).find(id);
    if (!b || b->kind != kind) {
        return make_error(ErrorCode::not_found, fmt::format("no {} batch {}", kind, id));
    }
    return std::move(*b);
}

Status second_registrar(const policy::Approver& approver, std::int64_t by, std::int64_t id,
                        std::int64_t proposed_by, Micros proposed_at, std::string_view made,
                        std::string& why) {
    if (proposed_by == by) {
        return make_error(ErrorCode::conflict,
                          fmt::format("you {} yourself; a different registrar must approve it "
                                      "(two-person rule)",
                                      made));
    }
    const auto may = policy::may_approve(
        approver, {id, proposed_by, proposed_at, policy::Role::registrar, false}, 0);
    if (!may.allowed) {
        why = may.reason;
        return make_error(may.code, may.reason);
    }
    return {};
}

Result<Approved> approve_disposal(store::Connection& conn, std::int64_t id, std::int64_t by,
                                  const policy::Approver& approver, Micros at, std::string& why) {
    auto b = find_batch(conn, id, BatchKind::destroy);
    if (!b) {
        return std::move(b).error();
    }
    if (b->state != BatchState::proposed) {
        return make_error(ErrorCode::conflict,
                          fmt::format("disposal batch {} is already {}", id, b->state));
    }
    if (auto st = second_registrar(approver, by, id, b->proposed_by, b->proposed_at,
                                   fmt::format("proposed disposal batch {}", id), why);
        !st) {
        return std::move(st).error();
    }
    store::DisposalRepository repo(conn);
    repo.approve(id, by, at);
    Approved out{std::move(*b), repo.records(id).size()};
    why = fmt::format("approved the destruction of {} records", out.records);
    out.batch.state = BatchState::approved;
    out.batch.approved_by = by;
    out.batch.approved_at = at;
    return out;
}

Result<Members> members_now(store::Connection& conn, std::int64_t batch) {
    store::RetentionRepository retention(conn);
    const Holds holds(retention);
    store::RecordRepository records(conn);
    const auto members = store::DisposalRepository(conn).records(batch);
    Members out;
    out.rows.reserve(members.size());
    for (const auto& m : members) {
        auto r = records.find(m.record_id);
        if (!r) {
            return make_error(ErrorCode::internal, fmt::format("record {} is gone", m.record_id));
        }
        if (auto why = disposal_blocker(conn, holds, *r)) {
            out.blocked = std::move(why);
            return out;
        }
        out.rows.push_back(std::move(*r));
    }
    return out;
}

namespace {

// The batch's records now, or the refusal "CANNOT: BLOCKER[ADVICE]".
Result<Ready> ready(store::Connection& conn, store::BatchRow batch, std::string_view cannot,
                    std::string_view advice, std::string& why) {
    auto members = members_now(conn, batch.id);
    if (!members) {
        return std::move(members).error();
    }
    if (const auto& blocked = members->blocked) {
        why = *blocked;
        return make_error(ErrorCode::conflict, fmt::format("{}: {}{}", cannot, *blocked, advice));
    }
    return Ready{std::move(batch), std::move(members->rows)};
}

}  // namespace

Result<Ready> disposal_to_execute(store::Connection& conn, std::int64_t id, std::string& why) {
    auto b = find_batch(conn, id, BatchKind::destroy);
    if (!b) {
        return std::move(b).error();
    }
    if (b->state != BatchState::approved) {
        return make_error(ErrorCode::conflict,
                          b->state == BatchState::proposed
                              ? fmt::format("disposal batch {} is not approved yet: a registrar "
                                            "other than its proposer must approve it",
                                            id)
                              : fmt::format("disposal batch {} is already {}", id, b->state));
    }
    // Everything is checked again now: a hold placed or a copy issued since
    // the approval stops the whole batch.
    return ready(conn, std::move(*b), fmt::format("disposal batch {} cannot be executed", id),
                 "; release it or propose a new batch", why);
}

Result<Ready> transfer_to_confirm(store::Connection& conn, std::int64_t id, std::string& why) {
    auto b = find_batch(conn, id, BatchKind::transfer);
    if (!b) {
        return std::move(b).error();
    }
    if (b->state != BatchState::prepared) {
        return make_error(ErrorCode::conflict,
                          fmt::format("transfer batch {} is already {}", id, b->state));
    }
    return ready(conn, std::move(*b), fmt::format("transfer batch {} cannot be confirmed", id), "",
                 why);
}

Result<std::string> dispose_records(store::Connection& conn, const crypto::KeyVault& vault,
                                    std::int64_t batch, const std::vector<store::RecordRow>& rows,
                                    RecordState state, Micros at) {
    store::RecordRepository records(conn);
    store::CopyRepository copies(conn);
    std::string lines;
    for (const auto& r : rows) {
        auto text = registry::indexed_text_of(records, vault, r);
        if (!text) {
            return std::move(text).error();
        }
        records.unindex_text(r.id, r.title, *text);
        lines += fmt::format(
            "record: {} | {} | {} | {} | dated {} | {} bytes | sha256 {} | copies: {}\n", r.id,
            r.registry_number.value_or("no registry number"), policy::level_name(r.level), r.type,
            format_date(r.dated), r.size, to_hex(r.sha256), copies_accounted(copies, r.id));
        records.dispose(r.id, state, batch, at);
    }
    // A removal only marks entries deleted; merging the whole index drops
    // them (and the words of the removed text) from its pages.
    records.optimize_text_index();
    return lines;
}

}  // namespace strongroom::retention
