// Retention (rule 9): schedules per record type (a change needs a second
// registrar), what is due for destruction, transfer or review and why,
// reviews, and legal holds.
#include "daemon/store/retention.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <boost/json/array.hpp>
#include <boost/json/value_from.hpp>
#include <fmt/format.h>

#include "daemon/common/text.hpp"
#include "daemon/protocol/args.hpp"
#include "daemon/retention/schedule.hpp"
#include "daemon/service/arguments.hpp"
#include "daemon/service/handlers.hpp"
#include "daemon/service/internal.hpp"
#include "daemon/service/records.hpp"
#include "daemon/service/retention.hpp"
#include "daemon/store/records.hpp"

namespace strongroom::service {
namespace json = boost::json;

namespace {

constexpr std::uint64_t kDuePage = 1000;
constexpr std::uint64_t kMaxDuePage = 10000;

std::optional<retention::Period> period_of(const std::optional<std::string>& text) {
    return text ? retention::parse_period(*text) : std::nullopt;
}

std::optional<std::string> text_of(const std::optional<retention::Period>& p) {
    return p ? std::optional(retention::to_string(*p)) : std::nullopt;
}

store::ScheduleRow to_row(const retention::Schedule& s) {
    store::ScheduleRow row;
    row.type = s.type;
    row.disposition = std::string(retention::to_string(s.disposition));
    row.destroy_after = text_of(s.destroy_after);
    row.transfer = s.transfer;
    row.review = text_of(s.review);
    row.review_first_year = text_of(s.review_first_year);
    return row;
}

json::value optional_json(const std::optional<std::string>& v) {
    return v ? json::value(*v) : json::value(nullptr);
}

json::object schedule_json(store::Connection& conn, const store::ScheduleRow& row) {
    const auto s = to_schedule(row);
    json::object o;
    o["type"] = row.type;
    o["disposition"] = row.disposition;
    o["destroy_after"] = optional_json(row.destroy_after);
    o["transfer"] = row.transfer ? "biannual" : "none";
    o["review"] = optional_json(row.review);
    o["review_first_year"] = optional_json(row.review_first_year);
    o["summary"] = describe(s);
    o["built_in"] = !row.changed_by.has_value();
    o["changed"] = row.changed_by ? json::value(format_timestamp(row.changed_at)) : nullptr;
    o["changed_by"] =
        row.changed_by ? json::value(account_name(conn, *row.changed_by)) : json::value(nullptr);
    o["approved_by"] =
        row.approved_by ? json::value(account_name(conn, *row.approved_by)) : json::value(nullptr);
    return o;
}

std::optional<retention::Period> period_arg(protocol::ArgReader& args, std::string_view key) {
    const auto text = args.optional_string(key, 8);
    if (!text) {
        return std::nullopt;
    }
    const auto p = retention::parse_period(*text);
    if (!p) {
        args.fail(make_error(ErrorCode::bad_request,
                             fmt::format("\"{}\" is not a period: use a number and y, m, w or d "
                                         "(for example 1y, 6m, 90d)",
                                         printable(*text, 8))));
    }
    return p;
}

Result<retention::Schedule> read_schedule_args(const json::object& a) {
    protocol::ArgReader args(a);
    retention::Schedule s;
    s.type = args.required_string("type", 64);
    const bool permanent = args.optional_bool("permanent", false);
    s.destroy_after = period_arg(args, "destroy_after");
    const auto transfer = args.optional_string("transfer", 16).value_or("none");
    if (transfer != "biannual" && transfer != "none") {
        args.fail(make_error(ErrorCode::bad_request,
                             fmt::format("\"{}\" is not a transfer: use biannual or none",
                                         printable(transfer, 16))));
    }
    s.transfer = transfer == "biannual";
    s.review = period_arg(args, "review");
    s.review_first_year = period_arg(args, "review_first_year");
    if (auto err = args.finish()) {
        return *err;
    }
    if (permanent == s.destroy_after.has_value()) {
        return make_error(ErrorCode::bad_request,
                          "give either --permanent or --destroy-after PERIOD, not both or neither");
    }
    s.disposition = permanent ? retention::Disposition::permanent : retention::Disposition::destroy;
    if (const auto why = retention::invalid(s)) {
        return make_error(ErrorCode::bad_request, *why);
    }
    return s;
}

// "TYPE/DATED/ID": where a page of retention due ends.
struct DueCursor {
    std::string type;
    Micros dated = INT64_MIN;
    std::int64_t id = 0;
};

struct DuePage {
    json::array types;
    json::array unscheduled;
    json::array items;
    std::optional<DueCursor> next;
};

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

}  // namespace

retention::Schedule to_schedule(const store::ScheduleRow& row) {
    retention::Schedule s;
    s.type = row.type;
    s.disposition = row.disposition == "destroy" ? retention::Disposition::destroy
                                                 : retention::Disposition::permanent;
    s.destroy_after = period_of(row.destroy_after);
    s.transfer = row.transfer;
    s.review = period_of(row.review);
    s.review_first_year = period_of(row.review_first_year);
    return s;
}

// "destroy 1y after cut-off, review 6m (3m in the mission's first year)"
std::string describe(const retention::Schedule& s) {
    std::string out =
        s.disposition == retention::Disposition::destroy
            ? fmt::format("destroy {} after cut-off", retention::to_string(*s.destroy_after))
            : std::string("permanent");
    if (s.transfer) {
        out += ", transferred twice a year";
    }
    if (s.review) {
        out += fmt::format(", review every {}", retention::to_string(*s.review));
        if (s.review_first_year) {
            out += fmt::format(" ({} in the mission's first year)",
                               retention::to_string(*s.review_first_year));
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

std::vector<DueRecord> due_for(store::Connection& conn, Micros as_of, retention::Action action) {
    store::RetentionRepository repo(conn);
    std::vector<DueRecord> out;
    for (const auto& row : repo.schedules()) {
        const auto s = to_schedule(row);
        Micros bound = 0;
        if (action == retention::Action::destroy &&
            s.disposition == retention::Disposition::destroy) {
            bound = retention::destroy_bound(*s.destroy_after, as_of);
        } else if (action == retention::Action::transfer && s.transfer) {
            bound = retention::transfer_point(as_of);
        } else {
            continue;
        }
        repo.held_records(s.type, {INT64_MIN, 0}, bound, false, [&](const store::HeldRecord& r) {
            for (auto& d : retention::due(s, {r.dated, r.created_at, r.reviewed}, as_of, 0)) {
                if (d.action == action) {
                    out.push_back({r.id, s.type, std::move(d.why)});
                }
            }
            return true;
        });
    }
    return out;
}

Result<json::object> handle_retention_list(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = "retention";
    auto& conn = ctx.conn();
    json::array out;
    for (const auto& row : store::RetentionRepository(conn).schedules()) {
        out.push_back(schedule_json(conn, row));
    }
    return json::object{{"schedules", std::move(out)}};
}

Result<json::object> handle_retention_set(Context& ctx) {
    auto s = read_schedule_args(ctx.args);
    if (!s) {
        return std::move(s).error();
    }
    ctx.audit.object = "schedule:" + s->type;
    store::RetentionRepository repo(ctx.conn());
    if (const auto now = repo.schedule(s->type); now && to_schedule(*now) == *s) {
        return make_error(ErrorCode::conflict,
                          fmt::format("the schedule of {} is already: {}", s->type, describe(*s)));
    }
    return file_pending(ctx, "retention.set", policy::Role::registrar,
                        fmt::format("retention of {}: {}", s->type, describe(*s)));
}

Result<json::object> reapply_schedule(Context& ctx, const json::object& stored,
                                      std::int64_t requested_by,
                                      std::optional<std::int64_t> approver) {
    auto s = read_schedule_args(stored);
    if (!s) {
        return std::move(s).error();
    }
    ctx.audit.object = "schedule:" + s->type;
    auto row = to_row(*s);
    row.changed_at = ctx.now;
    row.changed_by = requested_by;
    row.approved_by = approver;
    auto& conn = ctx.conn();
    store::RetentionRepository(conn).put_schedule(row);
    ctx.changed_directory = true;  // the record types ingest accepts
    json::object out;
    out["status"] = "done";
    out["schedule"] = schedule_json(conn, row);
    return out;
}

namespace {

// What is due as of a time: per type, the counts; and a page of the due
// records after the cursor (none when limit is 0).
DuePage compute_due(store::Connection& conn, Micros as_of, const std::optional<DueCursor>& cursor,
                    std::uint64_t limit) {
    store::RetentionRepository repo(conn);
    const Holds holds(repo);
    const auto mission_start = repo.mission_start();
    std::map<std::string, retention::Schedule> schedules;
    for (const auto& row : repo.schedules()) {
        schedules.emplace(row.type, to_schedule(row));
    }

    DuePage page;
    auto& types = page.types;
    auto& unscheduled = page.unscheduled;
    auto& items = page.items;
    auto& next = page.next;
    for (const auto& held_type : repo.held_types()) {
        const std::string& type = held_type.first;  // captured below: not a structured binding
        const auto held = held_type.second;
        const auto it = schedules.find(type);
        if (it == schedules.end()) {
            unscheduled.push_back(json::object{{"type", type}, {"records", held}});
            continue;
        }
        const auto& s = it->second;
        // Destruction and transfer: a count over the index, up to a bound date.
        std::optional<Micros> bound;
        std::optional<Micros> overdue_bound;
        if (s.disposition == retention::Disposition::destroy) {
            bound = retention::destroy_bound(*s.destroy_after, as_of);
            overdue_bound =
                retention::destroy_bound(*s.destroy_after, as_of - retention::kOverdueAfter);
        } else if (s.transfer) {
            bound = retention::transfer_point(as_of);
            overdue_bound = retention::transfer_point(as_of - retention::kOverdueAfter);
            if (*overdue_bound == *bound) {
                overdue_bound = retention::transfer_point(*bound - 1);
            }
        }
        const auto disposal = bound ? repo.count_held(type, *bound) : 0;
        const auto overdue = overdue_bound ? repo.count_held(type, *overdue_bound) : 0;
        std::int64_t on_hold = 0;
        if (holds.by_type.count(type) != 0) {
            on_hold = disposal;
        } else if (bound) {
            store::RecordRepository records(conn);
            for (const auto& [record, names] : holds.by_record) {
                const auto r = records.find(record);
                on_hold +=
                    r && r->state == RecordState::held && r->type == type && r->dated < *bound ? 1
                                                                                               : 0;
            }
        }
        // Reviews, and the page of items: record by record in (dated, id) order.
        std::int64_t reviews = 0;
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
                    const auto due = retention::due(s, {r.dated, r.created_at, r.reviewed}, as_of,
                                                    mission_start);
                    for (const auto& d : due) {
                        reviews += d.action == retention::Action::review ? 1 : 0;
                    }
                    const bool after_cursor =
                        r.dated > from.first || (r.dated == from.first && r.id > from.second);
                    if (page_here && !next && after_cursor && !due.empty()) {
                        if (items.size() >= limit) {
                            // The page is full: the next starts after its last item.
                            const auto& last = items.back().as_object();
                            next = DueCursor{std::string(last.at("type").as_string()),
                                             last.at("dated_micros").as_int64(),
                                             last.at("record").as_int64()};
                        } else {
                            for (const auto& d : due) {
                                json::object item;
                                item["record"] = r.id;
                                item["type"] = type;
                                item["action"] = retention::to_string(d.action);
                                item["since"] = format_date(d.since);
                                item["overdue"] = d.since + retention::kOverdueAfter < as_of;
                                item["why"] = d.why;
                                item["holds"] = json::value_from(holds.on(r.id, type));
                                item["dated_micros"] = r.dated;
                                items.push_back(std::move(item));
                            }
                        }
                    }
                    return with_reviews || !next;
                });
        }
        json::object t;
        t["type"] = type;
        t["schedule"] = describe(s);
        t["records"] = held;
        t[s.disposition == retention::Disposition::destroy ? "destroy" : "transfer"] = disposal;
        t["review"] = reviews;
        t["on_hold"] = on_hold;
        t["overdue"] = overdue;
        types.push_back(std::move(t));
    }
    for (auto& item : items) {
        item.as_object().erase("dated_micros");
    }
    return page;
}

}  // namespace

Result<json::object> handle_retention_due(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    const auto as_of_day = optional_last_day(args, "as_of");
    const auto after = args.optional_string("after", 200);
    const auto limit = args.optional_uint("limit", kMaxDuePage).value_or(kDuePage);
    std::optional<DueCursor> cursor;
    if (after) {
        cursor = parse_cursor(*after);
        if (!cursor) {
            args.fail(make_error(ErrorCode::bad_request,
                                 fmt::format("\"{}\" is not a page of retention due: use the "
                                             "\"next\" of the previous page",
                                             printable(*after, 200))));
        }
    }
    if (auto err = args.finish()) {
        return *err;
    }
    // As of the end of the day given (everything due on that day), or now.
    const Micros as_of = as_of_day.end ? *as_of_day.end - 1 : ctx.now;
    ctx.audit.object = "retention";
    auto page = compute_due(ctx.conn(), as_of, cursor, limit);
    auto& items = page.items;
    auto& next = page.next;
    ctx.audit.reason = fmt::format("{} due items in this page", items.size());
    json::object out;
    out["as_of"] = format_timestamp(as_of);
    out["types"] = std::move(page.types);
    out["unscheduled"] = std::move(page.unscheduled);
    out["due"] = std::move(items);
    out["next"] = next ? json::value(fmt::format("{}/{}/{}", next->type, next->dated, next->id))
                       : json::value(nullptr);
    return out;
}

json::array retention_summary(store::Connection& conn, Micros as_of) {
    return compute_due(conn, as_of, std::nullopt, 0).types;
}

Result<json::object> handle_retention_review(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    const auto id = record_id_arg(args);
    const auto note = args.optional_lines("note", 1000).value_or("");
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = fmt::format("record:{}", id);
    auto& conn = ctx.conn();
    const auto r = store::RecordRepository(conn).find(id);
    if (!r || r->state == RecordState::uploading) {
        return no_record(id);
    }
    if (r->state != RecordState::held) {
        return make_error(ErrorCode::conflict, fmt::format("record {} was {}", id, r->state));
    }
    store::RetentionRepository(conn).add_review(id, ctx.now, ctx.subject.account->id, note);
    ctx.audit.reason = note.empty() ? "reviewed" : "reviewed: " + note;
    return json::object{{"record", id}, {"reviewed", format_timestamp(ctx.now)}};
}

Result<json::object> handle_hold_place(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    const auto name = checked_name(args, "name", "hold");
    const auto reason = args.required_string("reason", 1000);
    const auto ids = args.uint_list("records", 10000, INT64_MAX);
    const auto type = args.optional_string("type", 64);
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = "hold:" + name;
    if (reason.empty()) {
        return make_error(ErrorCode::bad_request, "a hold needs its reason (--reason)");
    }
    if (ids.empty() == !type.has_value()) {
        return make_error(ErrorCode::bad_request,
                          "a hold is on records (--record ID...) or on a type (--type), not both");
    }
    auto& conn = ctx.conn();
    store::RetentionRepository repo(conn);
    if (repo.hold_in_force(name)) {
        return make_error(ErrorCode::conflict,
                          fmt::format("a hold named {} is already in force", name));
    }
    store::HoldRow row;
    row.name = name;
    row.reason = reason;
    row.type = type;
    row.placed_by = ctx.subject.account->id;
    row.placed_at = ctx.now;
    if (type && !repo.schedule(*type)) {
        return make_error(
            ErrorCode::not_found,
            fmt::format("no record type {} (see retention list)", printable(*type, 64)));
    }
    store::RecordRepository records(conn);
    for (const auto u : ids) {
        const auto id = static_cast<std::int64_t>(u);
        const auto r = records.find(id);
        if (!r || r->state == RecordState::uploading) {
            return no_record(id);
        }
        if (r->state != RecordState::held) {
            return make_error(ErrorCode::conflict, fmt::format("record {} was {}", id, r->state));
        }
        row.records.push_back(id);
    }
    const auto hold = repo.insert_hold(row);
    ctx.audit.reason =
        type ? fmt::format("hold {} on type {}: {}", hold, *type, reason)
             : fmt::format("hold {} on {} records: {}", hold, row.records.size(), reason);
    json::object out;
    out["hold"] = name;
    out["type"] = type ? json::value(*type) : json::value(nullptr);
    out["records"] = json::value_from(row.records);
    return out;
}

Result<json::object> handle_hold_release(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    const auto name = checked_name(args, "name", "hold");
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = "hold:" + name;
    store::RetentionRepository repo(ctx.conn());
    const auto h = repo.hold_in_force(name);
    if (!h) {
        return make_error(ErrorCode::not_found, fmt::format("no hold named {} in force", name));
    }
    repo.release_hold(h->id, ctx.subject.account->id, ctx.now);
    return json::object{{"hold", name}, {"released", format_timestamp(ctx.now)}};
}

Result<json::object> handle_hold_list(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = "holds";
    auto& conn = ctx.conn();
    json::array out;
    for (const auto& h : store::RetentionRepository(conn).holds_in_force()) {
        json::object o;
        o["name"] = h.name;
        o["reason"] = h.reason;
        o["type"] = h.type ? json::value(*h.type) : json::value(nullptr);
        o["records"] = json::value_from(h.records);
        o["placed_by"] = account_name(conn, h.placed_by);
        o["placed"] = format_timestamp(h.placed_at);
        out.push_back(std::move(o));
    }
    return json::object{{"holds", std::move(out)}};
}

}  // namespace strongroom::service
