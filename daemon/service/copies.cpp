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

// The marking line of a copy. Every part of it that came from someone's
// text is a line_field: however it was stored, it cannot break the line,
// forge a field, or carry another copy's fingerprint.
std::string marking_line(store::Connection& conn, const store::RecordRow& r, std::int64_t number,
                         const std::string& holder, Micros at,
                         const std::optional<std::string>& released_to) {
    std::map<std::int64_t, std::string> names;
    for (const auto& c : store::MatrixRepository(conn).compartments()) {
        names.emplace(c.id, c.name);
    }
    std::string comps;
    for (const auto id : r.compartments) {
        comps += comps.empty() ? " // " : ", ";
        comps += names.count(id) != 0 ? line_field(names[id]) : fmt::format("compartment#{}", id);
    }
    auto line = fmt::format("{}{} | record {} | registry {} | copy {} | holder {} | {}",
                            policy::level_marking(r.level), comps, r.id,
                            line_field(r.registry_number.value_or("none")), number,
                            line_field(holder), format_date(at));
    if (released_to) {
        line += " | " + escape_controls(*released_to);
    }
    return line;
}

// A text copy: the marking line, the text with its fingerprint frames, the
// marking line again.
class MarkedText final : public ContentSource {
public:
    MarkedText(std::unique_ptr<ContentSource> plain, std::uint64_t token, std::string marking)
        : plain_(std::move(plain)), inserter_(token), marking_(std::move(marking)) {
        out_ = marking_ + "\n";
    }

    Result<std::size_t> read(std::span<std::uint8_t> buffer) override {
        while (offset_ >= out_.size()) {
            if (done_) {
                return std::size_t{0};
            }
            out_.clear();
            offset_ = 0;
            in_.resize(64 * 1024);
            auto n = plain_->read(in_);
            if (!n) {
                return std::move(n).error();
            }
            if (*n == 0) {
                if (!inserter_.finish(out_)) {
                    out_ += '\n';
                }
                out_ += marking_;
                out_ += '\n';
                done_ = true;
            } else {
                inserter_.feed(std::span<const std::uint8_t>(in_.data(), *n), out_);
            }
        }
        const std::size_t n = std::min(buffer.size(), out_.size() - offset_);
        std::memcpy(buffer.data(), out_.data() + offset_, n);
        offset_ += n;
        return n;
    }

private:
    std::unique_ptr<ContentSource> plain_;
    fingerprint::Inserter inserter_;
    std::string marking_;
    std::vector<std::uint8_t> in_;
    std::string out_;
    std::size_t offset_ = 0;
    bool done_ = false;
};

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
    auto& conn = ctx.conn();
    store::CopyRepository copies(conn);
    if (record.max_copies) {
        if (*record.max_copies == 0) {
            ctx.audit.reason += "; content may not leave (copy limit 0)";
            return make_error(ErrorCode::conflict,
                              fmt::format("record {} may not leave strongroom (its copy limit is "
                                          "0); read its metadata with 'show'",
                                          record.id));
        }
        const auto out = copies.outstanding(record.id);
        if (!released_to && out >= *record.max_copies) {
            ctx.audit.reason +=
                fmt::format("; copy limit reached ({} of {} outstanding)", out, *record.max_copies);
            return make_error(
                ErrorCode::conflict,
                fmt::format("record {} has {} of at most {} copies outstanding: one must be "
                            "returned or destroyed first (see 'strongroom copies {}')",
                            record.id, out, *record.max_copies, record.id));
        }
    }
    IssuedCopy issued;
    issued.number = copies.next_number(record.id);
    do {
        issued.fingerprint = crypto::random_u64() & fingerprint::kTokenMask;
    } while (issued.fingerprint == 0 || copies.fingerprint_taken(issued.fingerprint));
    const auto& holder = ctx.subject.account->name;
    issued.marking = marking_line(conn, record, issued.number, holder, ctx.now, released_to);
    store::CopyRow row;
    row.record_id = record.id;
    row.number = issued.number;
    row.holder = ctx.subject.account->id;
    row.purpose = purpose;
    row.issued_at = ctx.now;
    row.fingerprint = issued.fingerprint;
    row.state = released_to ? "released" : "outstanding";
    row.release_id = release_id;
    copies.insert(row);
    ctx.audit.reason += fmt::format("; copy {} issued", issued.number);
    return issued;
}

std::unique_ptr<ContentSource> copy_content(std::unique_ptr<ContentSource> plain,
                                            const store::RecordRow& record, const IssuedCopy& copy,
                                            json::object& out) {
    out["copy"] = copy.number;
    out["marking"] = copy.marking;
    if (record.is_text) {
        out["marked"] = "inline";
        return std::make_unique<MarkedText>(std::move(plain), copy.fingerprint, copy.marking);
    }
    out["marked"] = "sidecar";  // the tool writes the marking beside the file
    return plain;
}

Result<json::object> handle_copies(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    const auto id = record_id_arg(args);
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = fmt::format("record:{}", id);
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
    if (as != "returned" && as != "destroyed" && as != "lost") {
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
    store::CopyRepository copies(conn);
    const auto me = ctx.subject.account->id;
    const auto copy = copies.find(id, number);
    const bool registrar = is_registrar(ctx);
    if (!copy || (copy->holder != me && !registrar)) {
        // Whether the record or the copy exists is for those who may read it.
        const auto reader = clearance_from_db(conn, me, ctx.now);
        const auto c = check_read(conn, id, reader);
        if (!c.decision.allowed && !registrar) {
            ctx.audit.reason = c.decision.reason;
            return no_record(id);
        }
        if (!copy) {
            ctx.audit.reason = "no such copy";
            return make_error(ErrorCode::not_found,
                              fmt::format("record {} has no copy {}", id, number));
        }
        ctx.audit.reason = "neither the holder nor a registrar";
        return make_error(ErrorCode::denied,
                          fmt::format("copy {} of record {} is held by {}: only its holder or a "
                                      "registrar may close it",
                                      number, id, account_name(conn, copy->holder)));
    }
    if (!copies.close(id, number, as, ctx.now, me)) {
        ctx.audit.reason = "copy already " + copy->state;
        return make_error(ErrorCode::conflict, fmt::format("copy {} of record {} is already {}",
                                                           number, id, copy->state));
    }
    ctx.audit.reason = fmt::format("{}; copy {}", copy->holder == me ? "holder" : "registrar", as);
    json::object out;
    out["id"] = id;
    out["copy"] = number;
    out["state"] = as;
    out["outstanding"] = copies.outstanding(id);
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
