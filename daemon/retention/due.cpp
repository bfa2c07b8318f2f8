#include "daemon/retention/due.hpp"

#include <exception>
#include <utility>

#include <fmt/format.h>

#include "daemon/store/copies.hpp"
#include "daemon/store/disposal.hpp"

namespace strongroom::retention {

namespace {

std::optional<Period> period_of(const std::optional<std::string>& text) {
    return text ? parse_period(*text) : std::nullopt;
}

}  // namespace

Schedule to_schedule(const store::ScheduleRow& row) {
    Schedule s;
    s.type = row.type;
    s.disposition = row.disposition == "destroy" ? Disposition::destroy : Disposition::permanent;
    s.destroy_after = period_of(row.destroy_after);
    s.transfer = row.transfer;
    s.review = period_of(row.review);
    s.review_first_year = period_of(row.review_first_year);
    return s;
}

// "destroy 1y after cut-off, review 6m (3m in the mission's first year)"
std::string describe(const Schedule& s) {
    std::string out = s.disposition == Disposition::destroy
                          ? fmt::format("destroy {} after cut-off", to_string(*s.destroy_after))
                          : std::string("permanent");
    if (s.transfer) {
        out += ", transferred twice a year";
    }
    if (s.review) {
        out += fmt::format(", review every {}", to_string(*s.review));
        if (s.review_first_year) {
            out +=
                fmt::format(" ({} in the mission's first year)", to_string(*s.review_first_year));
        }
    }
    return out;
}

Holds::Holds(store::RetentionRepository& repo) {
    for (const auto& h : repo.holds_in_force()) {
        if (h.type) {
            by_type[*h.type].push_back(h.name);
        }
        for (const auto r : h.records) {
            by_record[r].push_back(h.name);
        }
    }
}

std::vector<std::string> Holds::on(std::int64_t record, const std::string& type) const {
    std::vector<std::string> out;
    if (const auto t = by_type.find(type); t != by_type.end()) {
        out.insert(out.end(), t->second.begin(), t->second.end());
    }
    if (const auto r = by_record.find(record); r != by_record.end()) {
        out.insert(out.end(), r->second.begin(), r->second.end());
    }
    return out;
}

std::vector<DueRecord> due_for(store::Connection& conn, Micros as_of, Action action) {
    store::RetentionRepository repo(conn);
    std::vector<DueRecord> out;
    for (const auto& row : repo.schedules()) {
        const auto s = to_schedule(row);
        Micros bound = 0;
        if (action == Action::destroy && s.disposition == Disposition::destroy) {
            bound = destroy_bound(*s.destroy_after, as_of);
        } else if (action == Action::transfer && s.transfer) {
            bound = transfer_point(as_of);
        } else {
            continue;
        }
        repo.held_records(s.type, {INT64_MIN, 0}, bound, false, [&](const store::HeldRecord& r) {
            for (auto& d : due(s, {r.dated, r.created_at, r.reviewed}, as_of, 0)) {
                if (d.action == action) {
                    out.push_back({r.id, s.type, std::move(d.why)});
                }
            }
            return true;
        });
    }
    return out;
}

std::optional<std::string> disposal_blocker(store::Connection& conn, const Holds& holds,
                                            const store::RecordRow& r) {
    if (r.state != RecordState::held) {
        return fmt::format("record {} was {}", r.id, r.state);
    }
    if (const auto names = holds.on(r.id, r.type); !names.empty()) {
        std::string list;
        for (const auto& n : names) {
            list += (list.empty() ? "" : ", ") + n;
        }
        return fmt::format("record {} is under legal hold {}", r.id, list);
    }
    if (const auto n = store::CopyRepository(conn).outstanding(r.id); n > 0) {
        return fmt::format("record {} has {} outstanding cop{}", r.id, n, n == 1 ? "y" : "ies");
    }
    return std::nullopt;
}

DueChoice choose_due(store::Connection& conn, Micros as_of, Action action, BatchKind kind,
                     std::uint64_t limit) {
    store::RetentionRepository retention(conn);
    const Holds holds(retention);
    store::RecordRepository records(conn);
    store::DisposalRepository batches(conn);
    DueChoice out;
    for (auto& d : due_for(conn, as_of, action)) {
        auto r = records.find(d.id);
        std::optional<std::string> blocked =
            r ? disposal_blocker(conn, holds, *r) : "record is gone";
        if (!blocked) {
            if (const auto open = batches.open_batch_of(d.id, kind)) {
                blocked = fmt::format("record {} is already in {} batch {}", d.id,
                                      kind == BatchKind::destroy ? "disposal" : "transfer", *open);
            }
        }
        if (blocked) {
            out.blockers.push_back({d.id, std::move(*blocked)});
            continue;
        }
        if (out.rows.size() == limit) {
            ++out.left;
            continue;
        }
        out.rows.push_back(std::move(*r));
        out.why.push_back(std::move(d.why));
    }
    return out;
}

std::optional<DueCursor> parse_cursor(const std::string& text) {
    const auto a = text.find('/');
    const auto b = text.rfind('/');
    if (a == std::string::npos || a == b) {
        return std::nullopt;
    }
    DueCursor c;
    c.type = text.substr(0, a);
    try {
        std::size_t used = 0;
        const auto dated_text = text.substr(a + 1, b - a - 1);
        c.dated = std::stoll(dated_text, &used);
        if (used != dated_text.size()) {
            return std::nullopt;
        }
        const auto id_text = text.substr(b + 1);
        c.id = std::stoll(id_text, &used);
        if (used != id_text.size()) {
            return std::nullopt;
        }
    } catch (const std::exception&) {
        return std::nullopt;
    }
    return c;
}

std::string to_text(const DueCursor& c) {
    return fmt::format("{}/{}/{}", c.type, c.dated, c.id);
}

DuePage compute_due(store::Connection& conn, Micros as_of, const std::optional<DueCursor>& cursor,
                    std::uint64_t limit) {
    store::RetentionRepository repo(conn);
    const Holds holds(repo);
    const auto mission_start = repo.mission_start();
    std::map<std::string, Schedule> schedules;
    for (const auto& row : repo.schedules()) {
        schedules.emplace(row.type, to_schedule(row));
    }

    DuePage page;
    auto& items = page.items;
    auto& next = page.next;
    std::optional<DueCursor> last;  // the record of the last item on the page
    for (const auto& held_type : repo.held_types()) {
        const std::string& type = held_type.first;  // captured below: not a structured binding
        const auto held = held_type.second;
        const auto it = schedules.find(type);
        if (it == schedules.end()) {
            page.unscheduled.push_back({type, held});
            continue;
        }
        const auto& s = it->second;
        // Destruction and transfer: a count over the index, up to a bound date.
        std::optional<Micros> bound;
        std::optional<Micros> overdue_bound;
        if (s.disposition == Disposition::destroy) {
            bound = destroy_bound(*s.destroy_after, as_of);
            overdue_bound = destroy_bound(*s.destroy_after, as_of - kOverdueAfter);
        } else if (s.transfer) {
            bound = transfer_point(as_of);
            overdue_bound = transfer_point(as_of - kOverdueAfter);
            if (*overdue_bound == *bound) {
                overdue_bound = transfer_point(*bound - 1);
            }
        }
        TypeDue t;
        t.type = type;
        t.schedule = describe(s);
        t.held = held;
        t.destroys = s.disposition == Disposition::destroy;
        t.disposal = bound ? repo.count_held(type, *bound) : 0;
        t.overdue = overdue_bound ? repo.count_held(type, *overdue_bound) : 0;
        if (holds.by_type.count(type) != 0) {
            t.on_hold = t.disposal;
        } else if (bound) {
            store::RecordRepository records(conn);
            for (const auto& [record, names] : holds.by_record) {
                const auto r = records.find(record);
                t.on_hold +=
                    r && r->state == RecordState::held && r->type == type && r->dated < *bound ? 1
                                                                                               : 0;
            }
        }
        // Reviews, and the page of items: record by record in (dated, id) order.
        const bool with_reviews = s.review.has_value();
        const bool page_here = limit > 0 && !next && (!cursor || type >= cursor->type);
        if (with_reviews || page_here) {
            std::pair<Micros, std::int64_t> from{INT64_MIN, 0};
            if (cursor && cursor->type == type) {
                from = {cursor->dated, cursor->id};
            }
            const Micros until = with_reviews ? INT64_MAX : bound.value_or(INT64_MIN);
            repo.held_records(
                type, with_reviews ? std::pair<Micros, std::int64_t>{INT64_MIN, 0} : from, until,
                with_reviews, [&](const store::HeldRecord& r) {
                    const auto due_now =
                        due(s, {r.dated, r.created_at, r.reviewed}, as_of, mission_start);
                    for (const auto& d : due_now) {
                        t.reviews += d.action == Action::review ? 1 : 0;
                    }
                    const bool after_cursor =
                        r.dated > from.first || (r.dated == from.first && r.id > from.second);
                    if (page_here && !next && after_cursor && !due_now.empty()) {
                        if (items.size() >= limit) {
                            // The page is full: the next starts after its last item.
                            next = last;
                        } else {
                            for (const auto& d : due_now) {
                                items.push_back({r.id, type, d.action, d.since,
                                                 d.since + kOverdueAfter < as_of, d.why,
                                                 holds.on(r.id, type)});
                            }
                            last = DueCursor{type, r.dated, r.id};
                        }
                    }
                    return with_reviews || !next;
                });
        }
        page.types.push_back(std::move(t));
    }
    return page;
}

}  // namespace strongroom::retention
