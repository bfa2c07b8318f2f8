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
#include "daemon/store/accounts.hpp"
#include "daemon/store/copies.hpp"
#include "daemon/store/matrix.hpp"
#include "daemon/store/records.hpp"
#include "daemon/store/releases.hpp"

namespace strongroom::service {
namespace json = boost::json;

namespace {

constexpr std::size_t kRecordsPerPage = 500;

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
            const auto a = store::AccountRepository(conn_).find(*id);
            it = accounts_.emplace(*id, a ? a->name : fmt::format("account#{}", *id)).first;
        }
        return it->second;
    }
    std::string recipient(std::int64_t r) {
        if (r < 0) {
            return account(-r) + " (in person)";
        }
        const auto it = posts_.find(r);
        return it == posts_.end() ? fmt::format("post#{}", r) : it->second;
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
                      names.recipient(d.recipient), d.authority, d.reference, std::nullopt, ""});
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
    std::stable_sort(ev.begin(), ev.end(), [](const Event& a, const Event& b) {
        return std::tie(a.at, a.order) < std::tie(b.at, b.order);
    });
    return ev;
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
        if (!records.find(ids.front())) {
            ctx.audit.object = "report:registry " + scope;
            return make_error(ErrorCode::not_found, fmt::format("no record {}", *record));
        }
    } else {
        ids = records.registered(static_cast<std::int64_t>(after), since.start.value_or(0),
                                 until.end.value_or(INT64_MAX), kRecordsPerPage + 1);
        scope = fmt::format("records entered {} to {}", since.text.value_or("from the start"),
                            until.text.value_or(format_date(ctx.now)));
    }
    ctx.audit.object = "report:registry " + scope;
    std::optional<std::int64_t> next;
    if (ids.size() > kRecordsPerPage) {
        ids.resize(kRecordsPerPage);
        next = ids.back();
    }
    Names names(conn);
    json::array rows;
    for (const auto id : ids) {
        const auto r = records.find(id);
        if (!r || r->state == "uploading") {
            continue;
        }
        const auto comps = names.compartments(r->compartments);
        for (const auto& e : registry_events(conn, names, *r)) {
            json::object row;
            row["record"] = r->id;
            row["registry_number"] = r->registry_number.value_or("");
            row["title"] = r->title;
            row["level"] = policy::level_name(r->level);
            row["compartments"] = comps;
            row["at"] = format_timestamp(e.at);
            row["event"] = e.event;
            row["by"] = e.by;
            row["party"] = e.party;
            row["authority"] = e.authority;
            row["reference"] = e.reference;
            row["copy"] = e.copy ? json::value(*e.copy) : json::value(nullptr);
            row["detail"] = e.detail;
            rows.push_back(std::move(row));
        }
    }
    ctx.audit.reason = fmt::format("{} records, {} registry events", ids.size(), rows.size());
    json::object out;
    out["report"] = "registry";
    out["title"] = "Registry of records";
    out["scope"] = scope;
    out["generated"] = format_timestamp(ctx.now);
    out["generated_by"] = ctx.subject.account->name;
    out["group"] = "record";
    out["group_columns"] =
        json::array{"record", "registry_number", "level", "compartments", "title"};
    out["columns"] = columns({{"record", "Record"},
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
    out["rows"] = std::move(rows);
    out["next"] = next ? json::value(*next) : json::value(nullptr);
    return out;
}

}  // namespace strongroom::service
