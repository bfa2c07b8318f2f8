// Reports for registrars and auditors: metadata, never content. Each is one
// document: a title, its scope, its columns and its rows (the tools render
// it as JSON, CSV or a printable HTML page). Large reports come in pages
// ("next").
#include <algorithm>
#include <map>
#include <tuple>
#include <unordered_map>

#include <boost/json/array.hpp>
#include <fmt/format.h>

#include "daemon/common/text.hpp"
#include "daemon/policy/clearance.hpp"
#include "daemon/protocol/args.hpp"
#include "daemon/service/arguments.hpp"
#include "daemon/service/handlers.hpp"
#include "daemon/service/internal.hpp"
#include "daemon/service/retention.hpp"
#include "daemon/store/accounts.hpp"
#include "daemon/store/audit_log.hpp"
#include "daemon/store/copies.hpp"
#include "daemon/store/disposal.hpp"
#include "daemon/store/matrix.hpp"
#include "daemon/store/records.hpp"
#include "daemon/store/register.hpp"
#include "daemon/store/releases.hpp"

namespace strongroom::service {
namespace json = boost::json;

namespace {

constexpr std::size_t kRecordsPerPage = 500;
constexpr std::size_t kEntriesPerPage = 2000;

// A period from the optional --since and --until days (until inclusive).
struct Period {
    Micros since = 0;
    Micros until = INT64_MAX;
    std::string text;
};

Period read_period(protocol::ArgReader& args, Micros now) {
    const auto since = optional_last_day(args, "since");
    const auto until = optional_last_day(args, "until");
    Period p;
    p.since = since.start.value_or(0);
    p.until = until.end.value_or(INT64_MAX);
    p.text = fmt::format("{} to {}", since.text.value_or("the start"),
                         until.text.value_or(format_date(now)));
    return p;
}

// The parts every report answer shares.
json::object report_head(const Context& ctx, const char* name, const char* title,
                         std::string scope) {
    json::object out;
    out["report"] = name;
    out["title"] = title;
    out["scope"] = std::move(scope);
    out["generated"] = format_timestamp(ctx.now);
    out["generated_by"] = ctx.subject.account->name;
    return out;
}

json::array columns(std::initializer_list<std::pair<const char*, const char*>> cols) {
    json::array a;
    for (const auto& [key, label] : cols) {
        a.push_back(json::object{{"key", key}, {"label", label}});
    }
    return a;
}

// Names of accounts, posts and compartments, loaded once per report.
class Names {
public:
    explicit Names(store::Connection& conn) : conn_(conn) {
        store::MatrixRepository m(conn);
        for (const auto& p : m.posts()) {
            posts_.emplace(p.id, p.name);
        }
        for (const auto& c : m.compartments()) {
            compartments_.emplace(c.id, c.name);
        }
    }
    std::string account(std::optional<std::int64_t> id) {
        if (!id) {
            return "";
        }
        auto it = accounts_.find(*id);
        if (it == accounts_.end()) {
            it = accounts_.emplace(*id, account_name(conn_, *id)).first;
        }
        return it->second;
    }
    std::string recipient(Recipient r) {
        if (r.is_account()) {
            return account(r.account_id()) + " (in person)";
        }
        const auto it = posts_.find(r.post_id());
        return it == posts_.end() ? fmt::format("post#{}", r.post_id()) : it->second;
    }
    std::string compartments(const std::vector<std::int64_t>& ids) {
        std::string out;
        for (const auto id : ids) {
            const auto it = compartments_.find(id);
            out += (out.empty() ? "" : " ") +
                   (it == compartments_.end() ? fmt::format("compartment#{}", id) : it->second);
        }
        return out;
    }

private:
    store::Connection& conn_;
    std::unordered_map<std::int64_t, std::string> accounts_;
    std::unordered_map<std::int64_t, std::string> posts_;
    std::unordered_map<std::int64_t, std::string> compartments_;
};

struct Event {
    Micros at = 0;
    int order = 0;  // ties: in the order things happen to a record
    std::string event;
    std::string by;
    std::string party;
    std::string authority;
    std::string reference;
    std::optional<std::int64_t> copy;
    std::string detail;
};

std::vector<Event> registry_events(store::Connection& conn, Names& names,
                                   const store::RecordRow& r) {
    std::vector<Event> ev;
    if (r.origin.empty()) {
        ev.push_back({r.created_at, 0, "entered", names.account(r.originator), "", "originator", "",
                      std::nullopt, r.type});
    } else {
        ev.push_back({r.created_at, 0, "received", names.account(r.originator), r.origin, "receipt",
                      "", std::nullopt, r.type});
    }
    for (const auto& d : store::RecordRepository(conn).disseminations(r.id)) {
        ev.push_back({d.at, 1, "disseminated", names.account(d.by_account),
                      names.recipient(d.recipient), std::string(to_text(d.authority)), d.reference,
                      std::nullopt, ""});
    }
    std::map<std::int64_t, std::string> released_to;
    for (const auto& q : store::ReleaseRepository(conn).of_record(r.id)) {
        ev.push_back(
            {q.requested_at, 2, "release requested", names.account(q.requested_by),
             fmt::format("{} ({})", q.entity, q.entity_kind), "", q.arrangement, std::nullopt,
             q.hrddp.empty() ? q.justification
                             : fmt::format("{}; due diligence {}", q.justification, q.hrddp)});
        if (q.approved_at) {
            ev.push_back({*q.approved_at, 3, "release approved", names.account(q.approved_by),
                          q.entity, q.authority.value_or(""), q.reference, std::nullopt,
                          fmt::format("request {}", q.id)});
        }
        released_to.emplace(q.id, q.entity);
    }
    for (const auto& c : store::CopyRepository(conn).of_record(r.id)) {
        if (c.release_id) {
            ev.push_back({c.issued_at, 4, "copy released", names.account(c.holder),
                          released_to[*c.release_id], "release",
                          fmt::format("request {}", *c.release_id), c.number, c.purpose});
            continue;
        }
        ev.push_back({c.issued_at, 4, "copy issued", "", names.account(c.holder), "", "", c.number,
                      c.purpose});
        if (c.closed_at) {
            ev.push_back({*c.closed_at, 5, "copy " + c.state, names.account(c.closed_by),
                          names.account(c.holder), "", "", c.number, ""});
        }
    }
    // The end of its life in the registry: destroyed or transferred, by the
    // registrar who executed (or confirmed) the batch.
    store::DisposalRepository disposals(conn);
    if (const auto d = disposals.disposal_of(r.id)) {
        std::string by;
        std::string reference;
        if (d->batch) {
            reference = fmt::format("batch {}", *d->batch);
            if (const auto b = disposals.find(*d->batch)) {
                by = names.account(b->executed_by);
            }
        }
        ev.push_back({d->at, 6, std::string(to_text(d->state)), by, "", "disposal", reference,
                      std::nullopt, d->why});
    }
    std::stable_sort(ev.begin(), ev.end(), [](const Event& a, const Event& b) {
        return std::tie(a.at, a.order) < std::tie(b.at, b.order);
    });
    return ev;
}

// A record a restore lost: what the register knows of it (level -1 when not
// known), and its events: its entry, then its loss.
std::pair<std::optional<store::RecordRow>, std::vector<Event>> lost_entry(
    Names& names, const store::LostRecord& l) {
    store::RecordRow r;
    r.id = l.id;
    r.registry_number = l.registry_number;
    r.title = l.title.empty() ? "(not known: the key-store backup restored from knew only its id)"
                              : l.title;
    r.level = l.level.value_or(-1);
    r.compartments = l.compartments;
    r.state = RecordState::lost;
    std::vector<Event> ev;
    if (l.created_at) {
        ev.push_back({*l.created_at, 0, l.origin.empty() ? "entered" : "received",
                      names.account(l.originator), l.origin,
                      l.origin.empty() ? "originator" : "receipt", "", std::nullopt, l.type});
    }
    ev.push_back({l.lost_at, 6, "lost", "", "", "restore", l.backup, std::nullopt,
                  "entered after the backup restored was taken: its content went with the "
                  "database replaced; its number is not used again"});
    return {std::move(r), std::move(ev)};
}

// An event's fields, in the order every registry listing shows them.
void add_event(json::object& o, const Event& e) {
    o["at"] = format_timestamp(e.at);
    o["event"] = e.event;
    o["by"] = e.by;
    o["party"] = e.party;
    o["authority"] = e.authority;
    o["reference"] = e.reference;
    o["copy"] = e.copy ? json::value(*e.copy) : json::value(nullptr);
    o["detail"] = e.detail;
}

}  // namespace

json::array registry_history(store::Connection& conn, const store::RecordRow& r) {
    Names names(conn);
    json::array out;
    for (const auto& e : registry_events(conn, names, r)) {
        json::object o;
        add_event(o, e);
        out.push_back(std::move(o));
    }
    return out;
}

std::string compartment_names(store::Connection& conn, const std::vector<std::int64_t>& ids) {
    return Names(conn).compartments(ids);
}

namespace {

// One row per registry event of each record (held, disposed of or lost),
// in the order of the ids.
json::array registry_rows(store::Connection& conn, const std::vector<std::int64_t>& ids) {
    store::RecordRepository records(conn);
    Names names(conn);
    json::array rows;
    for (const auto id : ids) {
        auto r = records.find(id);
        std::vector<Event> events;
        if (!r) {
            const auto lost = store::find_lost(conn, id);
            if (!lost) {
                continue;
            }
            std::tie(r, events) = lost_entry(names, *lost);
        } else if (r->state == RecordState::uploading) {
            continue;
        } else {
            events = registry_events(conn, names, *r);
        }
        const auto comps = names.compartments(r->compartments);
        for (const auto& e : events) {
            json::object row;
            row["record"] = r->id;
            row["registry_number"] = r->registry_number.value_or("");
            row["title"] = r->title;
            row["level"] = r->level >= 0 ? json::value(policy::level_name(r->level)) : "";
            row["compartments"] = comps;
            add_event(row, e);
            rows.push_back(std::move(row));
        }
    }
    return rows;
}

json::array registry_columns() {
    return columns({{"record", "Record"},
                    {"registry_number", "Registry number"},
                    {"title", "Title"},
                    {"level", "Level"},
                    {"compartments", "Compartments"},
                    {"at", "When (UTC)"},
                    {"event", "Event"},
                    {"by", "By"},
                    {"party", "To / holder / from"},
                    {"authority", "Authority"},
                    {"reference", "Reference"},
                    {"copy", "Copy"},
                    {"detail", "Detail"}});
}

}  // namespace

Result<json::object> handle_report_registry(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    const auto record = args.optional_uint("record", INT64_MAX);
    const auto since = optional_last_day(args, "since");
    const auto until = optional_last_day(args, "until");
    const auto after = args.optional_uint("after", INT64_MAX).value_or(0);
    if (auto err = args.finish()) {
        return *err;
    }
    auto& conn = ctx.conn();
    store::RecordRepository records(conn);
    std::vector<std::int64_t> ids;
    std::string scope;
    if (record) {
        ids.push_back(static_cast<std::int64_t>(*record));
        scope = fmt::format("record {}", *record);
        if (!records.find(ids.front()) && !store::find_lost(conn, ids.front())) {
            ctx.audit.object = "report:registry " + scope;
            return make_error(ErrorCode::not_found, fmt::format("no record {}", *record));
        }
    } else {
        // Records held or disposed of, and those a restore lost, in id order.
        const auto from = since.start.value_or(0);
        const auto to = until.end.value_or(INT64_MAX);
        ids = records.registered(static_cast<std::int64_t>(after), from, to, kRecordsPerPage + 1);
        const auto lost = store::lost_registered(conn, static_cast<std::int64_t>(after), from, to,
                                                 kRecordsPerPage + 1);
        ids.insert(ids.end(), lost.begin(), lost.end());
        std::sort(ids.begin(), ids.end());
        scope = fmt::format("records entered {} to {}", since.text.value_or("from the start"),
                            until.text.value_or(format_date(ctx.now)));
    }
    ctx.audit.object = "report:registry " + scope;
    std::optional<std::int64_t> next;
    if (ids.size() > kRecordsPerPage) {
        ids.resize(kRecordsPerPage);
        next = ids.back();
    }
    auto rows = registry_rows(conn, ids);
    ctx.audit.reason = fmt::format("{} records, {} registry events", ids.size(), rows.size());
    auto out = report_head(ctx, "registry", "Registry of records", scope);
    out["group"] = "record";
    out["group_columns"] =
        json::array{"record", "registry_number", "level", "compartments", "title"};
    out["columns"] = registry_columns();
    out["rows"] = std::move(rows);
    out["next"] = next ? json::value(*next) : json::value(nullptr);
    return out;
}

Result<json::object> handle_report_matrix(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    const auto period = read_period(args, ctx.now);
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = "report:matrix " + period.text;
    auto& conn = ctx.conn();
    store::MatrixRepository matrix(conn);
    Names names(conn);
    std::map<std::int64_t, std::vector<std::pair<std::string, int>>> grants;
    for (const auto& g : matrix.grants()) {
        grants[g.post_id].emplace_back(names.compartments({g.compartment_id}), g.level);
    }
    auto held = holders(conn, ctx.now);
    json::array rows;
    auto post_row = [&](const store::PostRow& p, const std::string& compartment,
                        const std::string& level) {
        json::object row;
        row["section"] = "Access matrix now";
        row["post"] = p.name;
        row["authority"] = p.authority;
        row["post_level"] = policy::level_name(p.level);
        row["compartment"] = compartment;
        row["level"] = level;
        std::string who;
        for (const auto& h : held[p.id]) {
            who += (who.empty() ? "" : ", ") + h;
        }
        row["holders"] = who;
        rows.push_back(std::move(row));
    };
    std::size_t posts = 0;
    for (const auto& p : matrix.posts()) {
        ++posts;
        auto& list = grants[p.id];
        std::sort(list.begin(), list.end());
        if (list.empty()) {
            post_row(p, "", "");
        }
        for (const auto& [compartment, level] : list) {
            post_row(p, compartment, std::string(policy::level_name(level)));
        }
    }
    std::size_t changes = 0;
    for (const auto& c : matrix.changes(period.since, period.until)) {
        ++changes;
        json::object row;
        row["section"] = "Changes in the period";
        row["at"] = format_timestamp(c.at);
        row["change"] = c.change;
        row["detail"] = c.detail;
        row["by"] = names.account(c.by_account);
        row["approved_by"] = names.account(c.approved_by);
        rows.push_back(std::move(row));
    }
    ctx.audit.reason = fmt::format("{} posts, {} changes", posts, changes);
    auto out = report_head(
        ctx, "matrix", "Access matrix",
        fmt::format("matrix as of {}; changes {}", format_timestamp(ctx.now), period.text));
    out["group"] = "section";
    out["group_columns"] = json::array{"section"};
    out["columns"] = columns({{"section", "Section"},
                              {"post", "Post"},
                              {"authority", "Authority"},
                              {"post_level", "Post level"},
                              {"compartment", "Compartment"},
                              {"level", "Granted up to"},
                              {"holders", "Holders now"},
                              {"at", "When (UTC)"},
                              {"change", "Change"},
                              {"detail", "Detail"},
                              {"by", "By"},
                              {"approved_by", "Approved by"}});
    out["rows"] = std::move(rows);
    out["next"] = nullptr;
    return out;
}

Result<json::object> handle_report_retention(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    const auto period = read_period(args, ctx.now);
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = "report:retention " + period.text;
    auto& conn = ctx.conn();
    // Due, held, on hold and overdue as of the end of the period (or now).
    const Micros as_of = std::min(period.until == INT64_MAX ? ctx.now : period.until - 1, ctx.now);
    std::map<std::string, json::object> by_type;
    for (auto& v : retention_summary(conn, as_of)) {
        auto& t = v.as_object();
        json::object row;
        row["type"] = t.at("type");
        row["schedule"] = t.at("schedule");
        row["held"] = t.at("records");
        const auto* destroy = t.if_contains("destroy");
        const auto* transfer = t.if_contains("transfer");
        row["due"] = (destroy != nullptr ? destroy->to_number<std::int64_t>() : 0) +
                     (transfer != nullptr ? transfer->to_number<std::int64_t>() : 0);
        row["review_due"] = t.at("review");
        row["on_hold"] = t.at("on_hold");
        row["overdue"] = t.at("overdue");
        row["destroyed"] = 0;
        row["transferred"] = 0;
        row["certificates"] = "";
        by_type.emplace(std::string(t.at("type").as_string()), std::move(row));
    }
    // Disposed of in the period, with the batches whose certificates say so.
    for (const auto& d :
         store::DisposalRepository(conn).disposed_between(period.since, period.until)) {
        auto [it, added] = by_type.try_emplace(d.type);
        auto& row = it->second;
        if (added) {
            row = json::object{{"type", d.type},    {"schedule", ""},  {"held", 0},
                               {"due", 0},          {"review_due", 0}, {"on_hold", 0},
                               {"overdue", 0},      {"destroyed", 0},  {"transferred", 0},
                               {"certificates", ""}};
        }
        row[to_text(d.state)] = d.records;
        std::string certs(row.at("certificates").as_string());
        for (const auto b : d.batches) {
            certs += fmt::format("{}{} {}", certs.empty() ? "" : ", ",
                                 d.state == RecordState::destroyed ? "disposal" : "transfer", b);
        }
        row["certificates"] = certs;
    }
    json::array rows;
    for (auto& [type, row] : by_type) {
        rows.push_back(std::move(row));
    }
    ctx.audit.reason = fmt::format("{} record types", rows.size());
    auto out = report_head(
        ctx, "retention", "Retention and disposal",
        fmt::format("disposals {}; due as of {}", period.text, format_timestamp(as_of)));
    out["columns"] = columns({{"type", "Record type"},
                              {"schedule", "Schedule"},
                              {"held", "Held"},
                              {"due", "Due (destroy or transfer)"},
                              {"review_due", "Review due"},
                              {"on_hold", "On hold"},
                              {"overdue", "Overdue"},
                              {"destroyed", "Destroyed"},
                              {"transferred", "Transferred"},
                              {"certificates", "Certificates (batch)"}});
    out["rows"] = std::move(rows);
    out["next"] = nullptr;
    return out;
}

Result<json::object> handle_report_copies(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    const auto period = read_period(args, ctx.now);
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = "report:copies " + period.text;
    auto& conn = ctx.conn();
    Names names(conn);
    store::RecordRepository records(conn);
    json::array rows;
    for (const auto& c : store::CopyRepository(conn).issued_between(period.since, period.until)) {
        const auto r = records.find(c.record_id);
        json::object row;
        row["holder"] = names.account(c.holder);
        row["record"] = c.record_id;
        row["registry_number"] = r && r->registry_number ? *r->registry_number : "";
        row["level"] = r ? std::string(policy::level_name(r->level)) : "";
        row["copy"] = c.number;
        row["purpose"] = c.purpose;
        row["issued"] = format_timestamp(c.issued_at);
        row["state"] = c.state;
        row["closed"] = c.closed_at ? format_timestamp(*c.closed_at) : "";
        row["closed_by"] = names.account(c.closed_by);
        row["age_days"] = (ctx.now - c.issued_at) / (86400LL * 1000000LL);
        rows.push_back(std::move(row));
    }
    ctx.audit.reason = fmt::format("{} copies", rows.size());
    auto out = report_head(ctx, "copies", "Numbered copies", "copies issued " + period.text);
    out["group"] = "holder";
    out["group_columns"] = json::array{"holder"};
    out["columns"] = columns({{"holder", "Holder"},
                              {"record", "Record"},
                              {"registry_number", "Registry number"},
                              {"level", "Level"},
                              {"copy", "Copy"},
                              {"purpose", "Purpose"},
                              {"issued", "Issued (UTC)"},
                              {"age_days", "Age (days)"},
                              {"state", "State"},
                              {"closed", "Closed (UTC)"},
                              {"closed_by", "Closed by"}});
    out["rows"] = std::move(rows);
    out["next"] = nullptr;
    return out;
}

Result<json::object> handle_report_access(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    const auto period = read_period(args, ctx.now);
    store::AuditFilter f;
    f.account = args.optional_string("account", 64);
    f.after = static_cast<std::int64_t>(args.optional_uint("after", INT64_MAX).value_or(0));
    if (auto err = args.finish()) {
        return *err;
    }
    f.since = period.since;
    f.until = period.until;
    f.limit = kEntriesPerPage;
    ctx.audit.object = "report:access " + period.text;
    const auto entries = store::AuditRepository(ctx.conn_after_audit()).reads(f);
    json::array rows;
    for (const auto& e : entries) {
        json::object row;
        row["seq"] = e.seq;
        row["at"] = format_timestamp(e.record.at);
        row["account"] =
            e.record.account.empty() ? fmt::format("uid {}", e.record.uid) : e.record.account;
        row["action"] = e.record.request == "show"  ? "metadata (show)"
                        : e.record.request == "get" ? "content (get)"
                                                    : "content (release issue)";
        row["object"] = e.record.object;
        row["decision"] = store::to_string(e.record.decision);
        row["rule"] = e.record.reason;
        rows.push_back(std::move(row));
    }
    ctx.audit.reason = fmt::format("{} reads", rows.size());
    auto out = report_head(
        ctx, "access", "Access to records",
        fmt::format("reads {}{}", period.text, f.account ? " by " + *f.account : std::string()));
    out["columns"] = columns({{"seq", "Entry"},
                              {"at", "When (UTC)"},
                              {"account", "Account"},
                              {"action", "Read"},
                              {"object", "Record"},
                              {"decision", "Decision"},
                              {"rule", "Rule"}});
    out["next"] =
        entries.size() == kEntriesPerPage ? json::value(entries.back().seq) : json::value(nullptr);
    out["rows"] = std::move(rows);
    return out;
}

}  // namespace strongroom::service
