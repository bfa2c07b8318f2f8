// Handlers for records: list, show, search, get (content), disseminate and
// delegate. Every decision comes from policy/clearance.hpp; a record the
// caller may not read is reported as not found, whatever the reason, and the
// reason goes to the audit trail only.
#include "daemon/store/records.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <functional>
#include <map>

#include <boost/json/array.hpp>
#include <fmt/format.h>

#include "daemon/common/text.hpp"
#include "daemon/crypto/key_vault.hpp"
#include "daemon/policy/clearance.hpp"
#include "daemon/protocol/args.hpp"
#include "daemon/registry/dissemination.hpp"
#include "daemon/service/arguments.hpp"
#include "daemon/service/copies.hpp"
#include "daemon/service/handlers.hpp"
#include "daemon/service/identity.hpp"
#include "daemon/service/record_cache.hpp"
#include "daemon/service/records.hpp"
#include "daemon/store/accounts.hpp"
#include "daemon/store/matrix.hpp"
#include "daemon/store/store.hpp"

namespace strongroom::service {
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxPage = 1000;
constexpr std::size_t kDefaultPage = 100;
// A listing examines at most this many candidates per request; the rest is
// reached with "next".
constexpr std::size_t kMaxExamined = 20000;

}  // namespace

namespace {

std::string name_or(const std::unordered_map<std::int64_t, std::string>& names, std::int64_t id,
                    std::string_view kind) {
    const auto it = names.find(id);
    return it == names.end() ? fmt::format("{}#{}", kind, id) : it->second;
}

json::array compartment_names(const Directory& dir, const std::vector<std::int64_t>& ids) {
    json::array a;
    for (const auto id : ids) {
        a.emplace_back(name_or(dir.compartment_names, id, "compartment"));
    }
    return a;
}

std::string post_name(const Directory& dir, std::int64_t id) {
    const auto it = dir.posts.find(id);
    return it == dir.posts.end() ? fmt::format("post#{}", id) : it->second.name;
}

}  // namespace

json::object record_summary(const store::RecordRow& r, const Directory& dir) {
    json::object o;
    o["id"] = r.id;
    o["title"] = r.title;
    o["level"] = policy::level_name(r.level);
    o["compartments"] = compartment_names(dir, r.compartments);
    o["type"] = r.type;
    o["dated"] = format_date(r.dated);
    o["registry_number"] =
        r.registry_number ? json::value(*r.registry_number) : json::value(nullptr);
    o["size"] = r.size;
    return o;
}

json::object record_detail(const store::RecordRow& r, const Directory& dir,
                           const std::vector<store::DisseminationRow>& disseminations) {
    json::object o = record_summary(r, dir);
    if (r.origin.empty()) {
        o["originator"] = name_or(dir.account_names, r.originator, "account");
    } else {
        o["originator"] = nullptr;
        o["origin"] = r.origin;
        o["received_by"] = name_or(dir.account_names, r.originator, "account");
    }
    o["origin_post"] =
        r.origin_post ? json::value(post_name(dir, *r.origin_post)) : json::value(nullptr);
    o["safety"] = r.safety;
    o["max_copies"] = r.max_copies ? json::value(*r.max_copies) : json::value(nullptr);
    o["sha256"] = to_hex(r.sha256);
    o["text"] = r.is_text;
    o["filename"] = r.filename;
    o["created"] = format_timestamp(r.created_at);
    json::array ds;
    for (const auto& d : disseminations) {
        json::object e;
        if (d.recipient.is_post()) {
            e["post"] = post_name(dir, d.recipient.post_id());
        } else {
            e["account"] = name_or(dir.account_names, d.recipient.account_id(), "account");
        }
        e["authority"] = to_text(d.authority);
        e["reference"] = d.reference;
        e["by"] = d.by_account ? json::value(name_or(dir.account_names, *d.by_account, "account"))
                               : json::value(nullptr);
        e["at"] = format_timestamp(d.at);
        ds.push_back(std::move(e));
    }
    o["disseminated"] = std::move(ds);
    return o;
}

namespace {

// The same decision for reads, from the record cache when it holds the
// record. stamp: taken before the request's read snapshot began.
struct CachedCheck {
    std::shared_ptr<const RecordCache::Entry> entry;  // null: no such record held
    policy::Decision decision;
};

CachedCheck check_read_cached(Context& ctx, std::int64_t id, const policy::Clearance& reader,
                              std::uint64_t stamp) {
    CachedCheck c;
    RecordCache* cache = ctx.deps.records;
    if (cache != nullptr) {
        c.entry = cache->find(id);
    }
    if (!c.entry) {
        store::RecordRepository records(ctx.conn());
        auto row = records.find(id);
        if (row && row->state == RecordState::held) {
            auto entry = std::make_shared<RecordCache::Entry>();
            entry->disseminations = records.disseminations(id);
            entry->record = std::move(*row);
            c.entry = entry;
            if (cache != nullptr) {
                cache->put(id, c.entry, stamp);
            }
        }
    }
    if (!c.entry) {
        c.decision = policy::Decision::refuse(ErrorCode::not_found, "no such record held");
        return c;
    }
    c.decision = policy::may_read(reader, label_of(c.entry->record),
                                  receipt_of(c.entry->disseminations, reader));
    return c;
}

std::uint64_t cache_stamp(const Context& ctx) {
    return ctx.deps.records != nullptr ? ctx.deps.records->stamp() : 0;
}

}  // namespace

std::int64_t record_id_arg(protocol::ArgReader& args) {
    return static_cast<std::int64_t>(args.required_uint("id", INT64_MAX));
}

Result<json::object> handle_show(Context& ctx) {
    std::int64_t id = 0;
    if (auto err = sole_id(ctx, "id", "record", id)) {
        return *err;
    }
    const auto stamp = cache_stamp(ctx);
    const auto reader = clearance_of(*ctx.directory, ctx.subject.account->id, ctx.now);
    auto c = check_read_cached(ctx, id, reader, stamp);
    ctx.audit.reason = c.decision.reason;
    if (!c.decision.allowed) {
        return no_record(id);
    }
    return json::object{
        {"record", record_detail(c.entry->record, *ctx.directory, c.entry->disseminations)}};
}

namespace {

struct ListFilter {
    std::optional<std::string> type;
    std::optional<policy::Level> level;
    std::optional<std::int64_t> compartment;
};

bool matches(const store::RecordRow& r, const ListFilter& f) {
    if (f.type && r.type != *f.type) {
        return false;
    }
    if (f.level && r.level != *f.level) {
        return false;
    }
    if (f.compartment && std::find(r.compartments.begin(), r.compartments.end(), *f.compartment) ==
                             r.compartments.end()) {
        return false;
    }
    return true;
}

// Walks candidate ids newest first, in batches from a set of index-ordered
// sources, and keeps those the reader may read. `fetch(before, n)` of each
// source returns up to n ids below `before`, descending.
using Source = std::function<std::vector<store::Candidate>(std::int64_t before, std::size_t n)>;

struct Page {
    json::array records;
    std::optional<std::int64_t> next;
};

Page walk(Context& ctx, const std::vector<Source>& sources, std::int64_t before, std::size_t limit,
          const ListFilter& filter, const policy::Clearance& reader) {
    Page page;
    const auto stamp = cache_stamp(ctx);  // before the first read below
    constexpr std::size_t kBatch = 256;
    std::size_t examined = 0;
    std::int64_t cursor = before;
    while (true) {
        // One batch from every source; only ids above the highest "last id"
        // of a full batch are certainly complete.
        std::map<std::int64_t, bool, std::greater<>> merged;  // id -> must-share seen
        std::int64_t floor = 0;
        for (const auto& s : sources) {
            const auto got = s(cursor, kBatch);
            for (const auto& c : got) {
                merged[c.id] = merged[c.id] || c.must_share;
            }
            if (got.size() == kBatch) {
                floor = std::max(floor, got.back().id);
            }
        }
        if (merged.empty()) {
            return page;
        }
        for (const auto& [id, must_share] : merged) {
            if (id < floor) {
                break;
            }
            cursor = id;
            ++examined;
            auto c = check_read_cached(ctx, id, reader, stamp);
            if (c.decision.allowed && matches(c.entry->record, filter)) {
                page.records.push_back(record_summary(c.entry->record, *ctx.directory));
                if (page.records.size() == limit) {
                    page.next = id;
                    return page;
                }
            }
            if (examined >= kMaxExamined) {
                page.next = id;
                return page;
            }
        }
        if (floor == 0) {
            return page;  // every source was exhausted
        }
    }
}

std::vector<Source> visibility_sources(Context& ctx, const policy::Clearance& reader) {
    std::vector<Source> sources;
    auto& conn = ctx.conn();
    sources.emplace_back([&conn](std::int64_t before, std::size_t n) {
        return store::RecordRepository(conn).at_level(policy::kUnclassified, before, n);
    });
    if (reader.posts.empty()) {
        return sources;  // nothing above unclassified can be read
    }
    const auto me = reader.account;
    sources.emplace_back([&conn, me](std::int64_t before, std::size_t n) {
        return store::RecordRepository(conn).by_originator(me, before, n);
    });
    sources.emplace_back([&conn, me](std::int64_t before, std::size_t n) {
        return store::RecordRepository(conn).by_recipient(Recipient::account(me), before, n);
    });
    for (const auto& p : reader.posts) {
        const auto post = p.id;
        sources.emplace_back([&conn, post](std::int64_t before, std::size_t n) {
            return store::RecordRepository(conn).by_recipient(Recipient::post(post), before, n);
        });
    }
    return sources;
}

struct PageArgs {
    std::int64_t before = INT64_MAX;
    std::size_t limit = kDefaultPage;
};

PageArgs read_page(protocol::ArgReader& args) {
    PageArgs p;
    if (auto after = args.optional_uint("after", INT64_MAX)) {
        p.before = static_cast<std::int64_t>(*after);  // ids below the last one shown
    }
    p.limit = args.optional_uint("limit", kMaxPage).value_or(kDefaultPage);
    if (p.limit == 0) {
        p.limit = kDefaultPage;
    }
    return p;
}

json::object page_answer(Page&& page) {
    json::object out;
    out["records"] = std::move(page.records);
    out["next"] = page.next ? json::value(*page.next) : json::value(nullptr);
    return out;
}

}  // namespace

Result<json::object> handle_list(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    const auto page_args = read_page(args);
    ListFilter filter;
    filter.type = args.optional_string("type", 64);
    if (auto level = args.optional_string("level", 32)) {
        filter.level = policy::parse_level(*level);
        if (!filter.level) {
            args.fail(make_error(ErrorCode::bad_request,
                                 fmt::format("\"{}\" is not a level", printable(*level, 32))));
        }
    }
    if (auto comp = args.optional_string("compartment", 64)) {
        const auto it = ctx.directory->compartment_ids.find(*comp);
        if (it == ctx.directory->compartment_ids.end()) {
            args.fail(make_error(ErrorCode::not_found,
                                 fmt::format("no compartment named {}", printable(*comp, 64))));
        } else {
            filter.compartment = it->second;
        }
    }
    if (auto err = args.finish()) {
        return *err;
    }
    const auto reader = clearance_of(*ctx.directory, ctx.subject.account->id, ctx.now);
    auto page = walk(ctx, visibility_sources(ctx, reader), page_args.before, page_args.limit,
                     filter, reader);
    ctx.audit.reason = fmt::format("listed {} readable records", page.records.size());
    return page_answer(std::move(page));
}

namespace {

// The words of a search, each quoted as an FTS4 phrase: user text never
// reaches the query syntax, and all words must match.
std::string fts_query(std::string_view text) {
    std::string out;
    std::string word;
    auto flush = [&] {
        if (!word.empty()) {
            if (!out.empty()) {
                out += ' ';
            }
            out += '"' + word + '"';
            word.clear();
        }
    };
    for (const char ch : text) {
        const auto u = static_cast<unsigned char>(ch);
        if (u >= 0x80 || std::isalnum(u) != 0) {
            word.push_back(ch);
        } else {
            flush();
        }
    }
    flush();
    return out;
}

}  // namespace

Result<json::object> handle_search(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    const auto text = args.required_string("text", 200);
    const auto page_args = read_page(args);
    if (auto err = args.finish()) {
        return *err;
    }
    const auto query = fts_query(text);
    if (query.empty()) {
        return make_error(ErrorCode::bad_request, "search for at least one word");
    }
    const auto reader = clearance_of(*ctx.directory, ctx.subject.account->id, ctx.now);
    auto& conn = ctx.conn();
    std::vector<Source> sources;
    sources.emplace_back([&conn, &query](std::int64_t before, std::size_t n) {
        std::vector<store::Candidate> out;
        for (const auto id : store::RecordRepository(conn).search(query, before, n)) {
            out.push_back({id, false});
        }
        return out;
    });
    auto page = walk(ctx, sources, page_args.before, page_args.limit, ListFilter{}, reader);
    ctx.audit.object = "search:" + printable(text, 60);
    ctx.audit.reason = fmt::format("found {} readable records", page.records.size());
    return page_answer(std::move(page));
}

namespace {

// The content of a record, decrypted chunk by chunk as the server sends it.
// Each chunk is read with a reader leased for that read only.
class RecordContent final : public ContentSource {
public:
    RecordContent(store::ReaderPool& readers, crypto::RecordKey key, std::int64_t record,
                  std::int64_t chunks)
        : readers_(readers), key_(std::move(key)), record_(record), chunks_(chunks) {}

    Result<std::size_t> read(std::span<std::uint8_t> buffer) override {
        while (offset_ >= plain_.size()) {
            if (next_ >= chunks_) {
                return std::size_t{0};
            }
            std::optional<std::vector<std::uint8_t>> sealed;
            {
                auto lease = readers_.lease();
                sealed = store::RecordRepository(lease.connection())
                             .chunk(record_, static_cast<std::uint64_t>(next_));
            }
            if (!sealed) {
                return make_error(ErrorCode::internal,
                                  fmt::format("chunk {} of record {} is missing", next_, record_));
            }
            const bool final = next_ + 1 == chunks_;
            if (auto st = key_.open(static_cast<std::uint64_t>(next_), final, *sealed, plain_);
                !st) {
                return std::move(st).error();
            }
            ++next_;
            offset_ = 0;
        }
        const std::size_t n = std::min(buffer.size(), plain_.size() - offset_);
        std::memcpy(buffer.data(), plain_.data() + offset_, n);
        offset_ += n;
        return n;
    }

private:
    store::ReaderPool& readers_;
    crypto::RecordKey key_;
    std::int64_t record_;
    std::int64_t chunks_;
    std::int64_t next_ = 0;
    std::vector<std::uint8_t> plain_;
    std::size_t offset_ = 0;
};

}  // namespace

Result<std::unique_ptr<ContentSource>> record_content(Context& ctx, const store::RecordRow& r) {
    const auto wrapped = store::RecordRepository(ctx.conn()).key(r.id);
    if (!wrapped) {
        return make_error(ErrorCode::internal, fmt::format("record {} has no content key", r.id));
    }
    auto key = ctx.deps.vault->unwrap_record_key(r.id, *wrapped);
    if (!key) {
        return std::move(key).error();
    }
    return std::unique_ptr<ContentSource>(
        std::make_unique<RecordContent>(*ctx.deps.readers, std::move(*key), r.id, r.chunks));
}

Result<json::object> handle_get(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    const auto id = record_id_arg(args);
    const auto purpose = args.required_string("purpose", 200);
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = fmt::format("record:{}", id);
    if (purpose.empty()) {
        return make_error(ErrorCode::bad_request, "state the purpose of the copy (--purpose)");
    }
    auto& conn = ctx.conn();
    const auto reader = clearance_from_db(conn, ctx.subject.account->id, ctx.now);
    auto c = check_read(conn, id, reader);
    ctx.audit.reason = c.decision.reason;
    if (!c.decision.allowed) {
        return no_record(id);
    }
    if (c.record->max_copies && *c.record->max_copies == 0) {
        ctx.audit.reason += "; content may not leave (copy limit 0)";
        return make_error(ErrorCode::conflict,
                          fmt::format("record {} may not leave strongroom (its copy limit is 0); "
                                      "read its metadata with 'show'",
                                      id));
    }
    auto plain = record_content(ctx, *c.record);
    if (!plain) {
        return std::move(plain).error();
    }
    ctx.audit.reason += "; purpose: " + printable(purpose, 120);
    auto copy = issue_copy(ctx, *c.record, purpose);
    if (!copy) {
        return std::move(copy).error();
    }
    json::object out;
    out["id"] = id;
    out["title"] = c.record->title;
    out["level"] = policy::level_name(c.record->level);
    out["registry_number"] =
        c.record->registry_number ? json::value(*c.record->registry_number) : json::value(nullptr);
    out["size"] = c.record->size;
    out["sha256"] = to_hex(c.record->sha256);
    out["filename"] = c.record->filename;
    out["purpose"] = purpose;
    out["holder"] = ctx.subject.account->name;
    ctx.content = copy_content(std::move(*plain), *c.record, *copy, out);
    return out;
}

Result<json::object> handle_disseminate(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    const auto id = record_id_arg(args);
    const auto to = args.string_list("to", 64, 64);
    const auto to_people = args.string_list("to_accounts", 64, 64);
    if (to.empty() && to_people.empty()) {
        args.fail(make_error(ErrorCode::bad_request,
                             "name at least one post (--to POST) or person (--to-person ACCOUNT)"));
    }
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = fmt::format("record:{}", id);
    const auto done = registry::disseminate(ctx.conn(),
                                            {.record = id,
                                             .posts = to,
                                             .people = to_people,
                                             .by = ctx.subject.account->id,
                                             .at = ctx.now},
                                            ctx.audit.reason);
    if (!done) {
        return done.error();
    }
    ctx.changed_records.push_back(id);  // its dissemination changed
    json::array delivered;
    for (const auto& d : done->delivered) {
        delivered.push_back(
            json::object{{d.to_post ? "post" : "account", d.name}, {"new", d.added}});
    }
    return json::object{{"id", id},
                        {"disseminated", std::move(delivered)},
                        {"authority", to_text(done->authority)}};
}

Result<json::object> handle_delegate_disseminate(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    const auto id = record_id_arg(args);
    const auto to = args.required_string("to", 64);
    const auto ref = args.required_string("ref", 200);
    const auto last_day = optional_last_day(args, "until");
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = fmt::format("record:{}", id);
    const auto done = registry::delegate_dissemination(ctx.conn(),
                                                       {.record = id,
                                                        .to_post = to,
                                                        .reference = ref,
                                                        .until = last_day.end,
                                                        .by = ctx.subject.account->id,
                                                        .at = ctx.now},
                                                       ctx.audit.reason);
    if (!done) {
        return done.error();
    }
    ctx.changed_records.push_back(id);
    const auto& until_text = last_day.text;
    return json::object{{"delegation", json::object{{"id", done->id},
                                                    {"record", id},
                                                    {"to", to},
                                                    {"ref", ref},
                                                    {"disseminated", done->disseminated},
                                                    {"until", until_text ? json::value(*until_text)
                                                                         : json::value(nullptr)}}}};
}

}  // namespace strongroom::service
