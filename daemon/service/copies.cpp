// Numbered copies (rule 8): issued by get, closed by their holder or a
// registrar, listed per record and mustered; a leaked text is traced by its
// fingerprint.
#include "daemon/service/copies.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <vector>

#include <boost/json/array.hpp>
#include <fmt/format.h>

#include "daemon/common/fingerprint.hpp"
#include "daemon/common/text.hpp"
#include "daemon/crypto/record_key.hpp"
#include "daemon/policy/clearance.hpp"
#include "daemon/protocol/args.hpp"
#include "daemon/service/arguments.hpp"
#include "daemon/service/handlers.hpp"
#include "daemon/service/internal.hpp"
#include "daemon/service/records.hpp"
#include "daemon/store/accounts.hpp"
#include "daemon/store/copies.hpp"
#include "daemon/store/matrix.hpp"

namespace strongroom::service {
namespace json = boost::json;

namespace {

bool is_registrar(const Context& ctx) {
    return policy::has(ctx.subject.account->roles, policy::Role::registrar);
}

json::object copy_json(store::Connection& conn, const store::CopyRow& c, Micros now) {
    json::object o;
    o["record"] = c.record_id;
    o["copy"] = c.number;
    o["holder"] = account_name(conn, c.holder);
    o["purpose"] = c.purpose;
    o["issued"] = format_timestamp(c.issued_at);
    o["age_days"] = (now - c.issued_at) / (86400LL * 1000000LL);
    o["state"] = c.state;
    o["closed"] = c.closed_at ? json::value(format_timestamp(*c.closed_at)) : json::value(nullptr);
    o["closed_by"] =
        c.closed_by ? json::value(account_name(conn, *c.closed_by)) : json::value(nullptr);
    return o;
}

}  // namespace

Result<IssuedCopy> issue_copy(Context& ctx, const store::RecordRow& record,
                              const std::string& purpose,
                              const std::optional<std::string>& released_to,
                              std::optional<std::int64_t> release_id) {
    return registry::issue_copy(ctx.conn(), record,
                                {.holder = ctx.subject.account->id,
                                 .holder_name = ctx.subject.account->name,
                                 .purpose = purpose,
                                 .at = ctx.now,
                                 .released_to = released_to,
                                 .release_id = release_id},
                                ctx.audit.reason);
}

std::unique_ptr<ContentSource> copy_content(std::unique_ptr<ContentSource> plain,
                                            const store::RecordRow& record, const IssuedCopy& copy,
                                            json::object& out) {
    out["copy"] = copy.number;
    out["marking"] = copy.marking;
    out["marked"] = record.is_text ? "inline" : "sidecar";  // sidecar: the tool writes it beside
    return registry::marked_content(std::move(plain), record, copy);
}

Result<json::object> handle_copies(Context& ctx) {
    std::int64_t id = 0;
    if (auto err = sole_id(ctx, "id", "record", id)) {
        return *err;
    }
    auto& conn = ctx.conn();
    if (!is_registrar(ctx)) {
        const auto reader = clearance_from_db(conn, ctx.subject.account->id, ctx.now);
        const auto c = check_read(conn, id, reader);
        ctx.audit.reason = c.decision.reason;
        if (!c.decision.allowed) {
            return no_record(id);
        }
    } else {
        ctx.audit.reason = "registrar";
        if (!store::RecordRepository(conn).find(id)) {
            return no_record(id);
        }
    }
    json::array list;
    std::int64_t outstanding = 0;
    for (const auto& c : store::CopyRepository(conn).of_record(id)) {
        outstanding += c.state == "outstanding" ? 1 : 0;
        list.push_back(copy_json(conn, c, ctx.now));
    }
    json::object out;
    out["id"] = id;
    out["outstanding"] = outstanding;
    out["copies"] = std::move(list);
    return out;
}

Result<json::object> handle_copy_close(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    const auto id = record_id_arg(args);
    const auto number = static_cast<std::int64_t>(args.required_uint("copy", INT64_MAX));
    const auto as = args.required_string("as", 16);
    const auto end = registry::parse_copy_end(as);
    if (!end) {
        args.fail(make_error(ErrorCode::bad_request,
                             fmt::format("\"{}\" is not a way to close a copy: use returned, "
                                         "destroyed or lost",
                                         printable(as, 16))));
    }
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = fmt::format("record:{} copy:{}", id, number);
    auto& conn = ctx.conn();
    const auto me = ctx.subject.account->id;
    const auto closed = registry::close_copy(conn,
                                             {.record = id,
                                              .number = number,
                                              .end = *end,
                                              .by = me,
                                              .registrar = is_registrar(ctx),
                                              .at = ctx.now},
                                             ctx.audit.reason);
    if (!closed) {
        return closed.error();
    }
    json::object out;
    out["id"] = id;
    out["copy"] = number;
    out["state"] = as;
    out["outstanding"] = closed->outstanding;
    return out;
}

Result<json::object> handle_muster(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = "copies";
    auto& conn = ctx.conn();
    store::RecordRepository records(conn);
    json::array holders;
    json::object* current = nullptr;
    std::int64_t last_holder = 0;
    std::size_t total = 0;
    for (const auto& c : store::CopyRepository(conn).all_outstanding()) {
        if (current == nullptr || c.holder != last_holder) {
            json::object h;
            h["holder"] = account_name(conn, c.holder);
            h["copies"] = json::array();
            holders.push_back(std::move(h));
            current = &holders.back().as_object();
            last_holder = c.holder;
        }
        auto o = copy_json(conn, c, ctx.now);
        const auto r = records.find(c.record_id);
        o["registry_number"] =
            r && r->registry_number ? json::value(*r->registry_number) : json::value(nullptr);
        o["level"] = r ? json::value(policy::level_name(r->level)) : json::value(nullptr);
        (*current)["copies"].as_array().push_back(std::move(o));
        ++total;
    }
    ctx.audit.reason = fmt::format("{} outstanding copies", total);
    json::object out;
    out["outstanding"] = total;
    out["holders"] = std::move(holders);
    return out;
}

Result<json::object> handle_trace(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    const auto prints = args.string_list("fingerprints", 64, 16);
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = "trace";
    std::vector<std::uint64_t> tokens;
    for (const auto& p : prints) {
        std::uint64_t v = 0;
        bool ok = !p.empty();
        for (const char ch : p) {
            const int d = ch >= '0' && ch <= '9'   ? ch - '0'
                          : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                                                   : -1;
            ok = ok && d >= 0;
            v = (v << 4) | static_cast<std::uint64_t>(d < 0 ? 0 : d);
        }
        if (!ok || (v & ~fingerprint::kTokenMask) != 0) {
            return make_error(ErrorCode::bad_request,
                              fmt::format("\"{}\" is not a copy fingerprint", printable(p, 16)));
        }
        tokens.push_back(v);
    }
    auto& conn = ctx.conn();
    store::CopyRepository copies(conn);
    store::RecordRepository records(conn);
    json::array found;
    std::string named;
    for (const auto t : tokens) {
        const auto c = copies.find_by_fingerprint(t);
        if (!c) {
            continue;
        }
        auto o = copy_json(conn, *c, ctx.now);
        const auto r = records.find(c->record_id);
        o["registry_number"] =
            r && r->registry_number ? json::value(*r->registry_number) : json::value(nullptr);
        o["level"] = r ? json::value(policy::level_name(r->level)) : json::value(nullptr);
        found.push_back(std::move(o));
        named +=
            fmt::format("{}record {} copy {}", named.empty() ? "" : ", ", c->record_id, c->number);
    }
    if (found.empty()) {
        ctx.audit.reason =
            fmt::format("{} fingerprint(s), none of a registered copy", tokens.size());
        return make_error(ErrorCode::not_found,
                          tokens.empty()
                              ? "the text carries no copy fingerprint: it cannot be traced"
                              : "the text's fingerprints name no registered copy: it "
                                "cannot be traced");
    }
    ctx.audit.reason = "traced to " + named;
    json::object out;
    out["copies"] = std::move(found);
    return out;
}

}  // namespace strongroom::service
