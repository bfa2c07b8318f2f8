#include "daemon/retention/closure.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include <fmt/format.h>

#include "daemon/retention/disposal.hpp"
#include "daemon/retention/due.hpp"
#include "daemon/store/retention.hpp"

namespace strongroom::retention {

Result<store::ClosureRow> find_closure(store::Connection& conn, std::int64_t id) {
    auto c = store::DisposalRepository(conn).find_closure(id);
    if (!c) {
        return make_error(ErrorCode::not_found, fmt::format("no closure {}", id));
    }
    return std::move(*c);
}

Result<ClosurePlan> plan_closure(store::Connection& conn, std::string& why) {
    store::DisposalRepository repo(conn);
    if (const auto open = repo.open_closure()) {
        return make_error(ErrorCode::conflict,
                          fmt::format("closure {} is already prepared", open->id));
    }
    store::RetentionRepository retention(conn);
    const Holds holds(retention);
    std::map<std::string, Schedule> schedules;
    for (const auto& row : retention.schedules()) {
        schedules.emplace(row.type, to_schedule(row));
    }
    ClosurePlan plan;
    std::vector<std::string> blockers;
    store::RecordRepository(conn).for_each_in_state(RecordState::held, [&](store::RecordRow& r) {
        auto blocked = disposal_blocker(conn, holds, r);
        if (!blocked) {
            for (const auto kind : {BatchKind::destroy, BatchKind::transfer}) {
                if (const auto b = repo.open_batch_of(r.id, kind)) {
                    blocked = fmt::format("record {} is in open {} batch {}", r.id, kind, *b);
                }
            }
        }
        if (blocked) {
            blockers.push_back(std::move(*blocked));
            return;
        }
        const auto s = schedules.find(r.type);
        if (s != schedules.end() && s->second.disposition == Disposition::permanent) {
            plan.why_permanent.push_back(r.type + ": permanent, transferred at mission closure");
            plan.permanent.push_back(std::move(r));
        } else {
            plan.rest.push_back(std::move(r));
        }
    });
    if (!blockers.empty()) {
        why = fmt::format("{} records block the closure", blockers.size());
        return make_error(
            ErrorCode::conflict,
            fmt::format("the mission cannot be closed yet: {}{}", blockers.front(),
                        blockers.size() > 1 ? fmt::format(" (and {} more)", blockers.size() - 1)
                                            : std::string()));
    }
    return plan;
}

Result<store::ClosureRow> approve_closure(store::Connection& conn, std::int64_t id, std::int64_t by,
                                          const policy::Approver& approver, Micros at,
                                          std::string& why) {
    auto c = find_closure(conn, id);
    if (!c) {
        return c;
    }
    if (c->approved_by || c->completed_at) {
        return make_error(ErrorCode::conflict, fmt::format("closure {} is already approved", id));
    }
    if (auto st = second_registrar(approver, by, id, c->proposed_by, c->proposed_at,
                                   fmt::format("prepared closure {}", id), why);
        !st) {
        return std::move(st).error();
    }
    store::DisposalRepository repo(conn);
    repo.approve_closure(id, by, at);
    if (c->disposal_batch) {
        repo.approve(*c->disposal_batch, by, at);
    }
    why = "closure approved by a second registrar";
    return *repo.find_closure(id);
}

Result<store::ClosureRow> closure_to_complete(store::Connection& conn, std::int64_t id,
                                              const std::optional<std::string>& receipt) {
    auto c = find_closure(conn, id);
    if (!c) {
        return c;
    }
    if (c->completed_at) {
        return make_error(ErrorCode::conflict, fmt::format("closure {} is already complete", id));
    }
    if (!c->approved_by) {
        return make_error(ErrorCode::conflict,
                          fmt::format("closure {} is not approved: a registrar other than the one "
                                      "who prepared it must approve it",
                                      id));
    }
    if (c->transfer_batch && (!receipt || receipt->empty())) {
        return make_error(ErrorCode::bad_request,
                          "the archives' receipt for the transfer package is needed (--receipt)");
    }
    // Nothing may have entered since: every held record is in one of the two batches.
    store::DisposalRepository repo(conn);
    std::size_t covered = 0;
    for (const auto batch : {c->transfer_batch, c->disposal_batch}) {
        covered += batch ? repo.records(*batch).size() : 0;
    }
    const auto held = static_cast<std::size_t>(store::RecordRepository(conn).count());
    if (held != covered) {
        return make_error(ErrorCode::conflict,
                          fmt::format("{} records entered since closure {} was prepared; they "
                                      "are not in its batches",
                                      held - std::min(held, covered), id));
    }
    return c;
}

}  // namespace strongroom::retention
