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

}  // namespace

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

json::array types_json(const std::vector<retention::TypeDue>& types) {
    json::array out;
    for (const auto& t : types) {
        json::object o;
        o["type"] = t.type;
        o["schedule"] = t.schedule;
        o["records"] = t.held;
        o[t.destroys ? "destroy" : "transfer"] = t.disposal;
        o["review"] = t.reviews;
        o["on_hold"] = t.on_hold;
        o["overdue"] = t.overdue;
        out.push_back(std::move(o));
    }
    return out;
}

}  // namespace

Result<json::object> handle_retention_due(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    const auto as_of_day = optional_last_day(args, "as_of");
    const auto after = args.optional_string("after", 200);
    const auto limit = args.optional_uint("limit", kMaxDuePage).value_or(kDuePage);
    std::optional<retention::DueCursor> cursor;
    if (after) {
        cursor = retention::parse_cursor(*after);
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
    const auto page = retention::compute_due(ctx.conn(), as_of, cursor, limit);
    ctx.audit.reason = fmt::format("{} due items in this page", page.items.size());
    json::array unscheduled;
    for (const auto& u : page.unscheduled) {
        unscheduled.push_back(json::object{{"type", u.type}, {"records", u.held}});
    }
    json::array items;
    for (const auto& d : page.items) {
        json::object item;
        item["record"] = d.record;
        item["type"] = d.type;
        item["action"] = retention::to_string(d.action);
        item["since"] = format_date(d.since);
        item["overdue"] = d.overdue;
        item["why"] = d.why;
        item["holds"] = json::value_from(d.holds);
        items.push_back(std::move(item));
    }
    json::object out;
    out["as_of"] = format_timestamp(as_of);
    out["types"] = types_json(page.types);
    out["unscheduled"] = std::move(unscheduled);
    out["due"] = std::move(items);
    out["next"] = page.next ? json::value(retention::to_text(*page.next)) : json::value(nullptr);
    return out;
}

json::array retention_summary(store::Connection& conn, Micros as_of) {
    return types_json(retention::compute_due(conn, as_of, std::nullopt, 0).types);
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
