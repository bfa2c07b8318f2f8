// strongroom_records_bench: the records benchmark (issue 3), run by
// `bench/run records` against a strongroomd whose store strongroom_populate
// filled with 10^6 records. Measures, in one run, the daemon through its
// socket and the same work on raw SQLCipher without the daemon:
//
//   show     readable records, 1 and 8 clients, against the Unix-socket
//            ping-pong floor with replies of a show's size (bench/pingpong)
//   list     first page (100) for the analyst; search, first page
//   ingest   4 KiB records with 8 clients against one row per transaction
//            (synchronous=FULL) on raw SQLCipher; 1 MiB records, 1 client,
//            against 1 MiB blob inserts
//   memory   the daemon's VmRSS, sampled throughout, and VmHWM
//
// The raw side opens the same database (or a scratch one beside it) with the
// daemon's key and settings (daemon/store/sqlite.cpp). See bench/README.md.
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <latch>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include <unistd.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>
#include <sqlite3.h>

#include "admin-tools/client/client.hpp"
#include "bench/corpus.hpp"
#include "bench/pingpong.hpp"
#include "daemon/common/time.hpp"
#include "daemon/crypto/key_source.hpp"
#include "daemon/crypto/key_vault.hpp"
#include "daemon/policy/clearance.hpp"
#include "daemon/protocol/frame.hpp"
#include "daemon/protocol/message.hpp"

namespace sr = strongroom;
namespace bench = strongroom::bench;
namespace json = boost::json;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// The targets.
constexpr double kShowTargetRatio = 0.35;
constexpr double kShowTargetP99Us = 1000.0;
constexpr double kListTargetMs = 20.0;
constexpr double kSearchTargetMs = 50.0;
constexpr double kIngestTargetRatio = 3.0;
constexpr double kLargeTargetRatio = 0.70;
constexpr double kRssTargetMib = 100.0;

constexpr std::size_t kShowClients[] = {1, 8};
constexpr std::size_t kIngestClients = 8;
constexpr std::size_t kSmallBytes = 4096;
constexpr std::size_t kLargeBytes = 1024 * 1024;
constexpr std::size_t kPage = 100;         // the daemon's default page
constexpr std::size_t kShowSample = 2000;  // record ids shown in turn
constexpr std::size_t kRawBatch = 256;     // candidates per source query, as the daemon
constexpr unsigned kCacheMib = 64;         // the daemon's default cache_mib
constexpr double kRawWarmupS = 0.3;

constexpr const char* kUsage =
    "usage: strongroom_records_bench --state DIR --socket PATH [--daemon-pid PID] [--json]\n"
    "                                [--duration SECONDS] [--warmup SECONDS] [--rounds N]\n"
    "                                [--calls N] [--populated-in SECONDS]\n"
    "\n"
    "The records benchmark against the strongroomd serving PATH from the state directory\n"
    "DIR (its --dev directory, filled by strongroom_populate; the key is DIR/dev.key),\n"
    "as the analyst account of the calling uid, with raw SQLCipher baselines on the same\n"
    "database and a scratch one beside it. Rate measurements run ROUNDS times (3) for\n"
    "DURATION seconds (3) after WARMUP (0.5), daemon and baseline alternating, the median\n"
    "run reported; latency measurements make CALLS calls (50). --daemon-pid samples the\n"
    "daemon's memory throughout. --json prints one JSON document. --populated-in is\n"
    "reported with the store's figures (bench/run times strongroom_populate).\n";

struct Args {
    fs::path state;
    std::string socket;
    long daemon_pid = 0;
    bool json = false;
    double duration_s = 3.0;
    double warmup_s = 0.5;
    unsigned rounds = 3;
    unsigned calls = 50;
    std::optional<double> populated_in_s;  // reported only: how long populating took
    std::string only;                      // "", "show", "reads", "ingest" or "get"
    bool text_ingest = false;              // 4 KiB ingests of text (indexed) instead of bytes
};

std::variant<Args, int> parse_args(int argc, char** argv) {
    Args a;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::cout << kUsage;
            return 0;
        }
        if (arg == "--json") {
            a.json = true;
            continue;
        }
        if (arg == "--text-ingest") {
            a.text_ingest = true;
            continue;
        }
        if (i + 1 >= argc) {
            std::cerr << fmt::format(
                "strongroom_records_bench: {} needs a value (or is unknown)\n{}", arg, kUsage);
            return 2;
        }
        const char* value = argv[++i];
        bool ok = true;
        if (arg == "--state") {
            a.state = fs::absolute(value);
        } else if (arg == "--socket") {
            a.socket = value;
        } else if (arg == "--daemon-pid") {
            const auto v = bench::parse_count(value, 1L << 22);
            ok = v.has_value();
            a.daemon_pid = v.value_or(0);
        } else if (arg == "--duration") {
            const auto v = bench::parse_seconds(value);
            ok = v.has_value() && *v > 0;
            a.duration_s = v.value_or(0);
        } else if (arg == "--warmup") {
            const auto v = bench::parse_seconds(value);
            ok = v.has_value();
            a.warmup_s = v.value_or(0);
        } else if (arg == "--rounds") {
            const auto v = bench::parse_count(value, 99);
            ok = v.has_value();
            a.rounds = static_cast<unsigned>(v.value_or(1));
        } else if (arg == "--only") {
            a.only = value;
            ok = a.only == "show" || a.only == "reads" || a.only == "ingest" || a.only == "get";
        } else if (arg == "--populated-in") {
            const auto v = bench::parse_seconds(value);
            ok = v.has_value();
            a.populated_in_s = v;
        } else if (arg == "--calls") {
            const auto v = bench::parse_count(value, 100000);
            ok = v.has_value();
            a.calls = static_cast<unsigned>(v.value_or(1));
        } else {
            std::cerr << fmt::format("strongroom_records_bench: unknown option {}\n{}", arg,
                                     kUsage);
            return 2;
        }
        if (!ok) {
            std::cerr << fmt::format("strongroom_records_bench: bad value '{}' for {}\n", value,
                                     arg);
            return 2;
        }
    }
    if (a.state.empty() || a.socket.empty()) {
        std::cerr << fmt::format("strongroom_records_bench: --state and --socket are required\n{}",
                                 kUsage);
        return 2;
    }
    return a;
}

void progress(const std::string& line) {
    std::cerr << line << '\n';
}

double seconds_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

// ---- percentiles ----

struct Stats {
    std::size_t n = 0;
    double p50 = 0;
    double p99 = 0;
    double max = 0;
};

// Nearest-rank percentiles of the values (any unit).
Stats stats_of(std::vector<double> v) {
    Stats s;
    s.n = v.size();
    if (v.empty()) {
        return s;
    }
    std::sort(v.begin(), v.end());
    auto at = [&v](double q) {
        auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
        rank = std::clamp<std::size_t>(rank, 1, v.size());
        return v[rank - 1];
    };
    s.p50 = at(0.50);
    s.p99 = at(0.99);
    s.max = v.back();
    return s;
}

// ---- raw SQLCipher, opened the way daemon/store/sqlite.cpp opens it ----

class Stmt {
public:
    Stmt(sqlite3* db, const char* sql) : db_(db) {
        if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
            throw std::runtime_error(fmt::format("{}: {}", sql, sqlite3_errmsg(db)));
        }
    }
    ~Stmt() { sqlite3_finalize(stmt_); }
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;

    Stmt& bind(int i, std::int64_t v) {
        sqlite3_bind_int64(stmt_, i, v);
        return *this;
    }
    Stmt& bind(int i, std::string_view v) {
        sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8);
        return *this;
    }
    Stmt& bind_blob(int i, std::span<const std::uint8_t> v) {
        sqlite3_bind_blob64(stmt_, i, v.data(), v.size(), SQLITE_STATIC);
        return *this;
    }
    bool step() {
        const int rc = sqlite3_step(stmt_);
        if (rc == SQLITE_ROW) {
            return true;
        }
        if (rc == SQLITE_DONE) {
            return false;
        }
        throw std::runtime_error(fmt::format("{}: {}", sqlite3_sql(stmt_), sqlite3_errmsg(db_)));
    }
    void run() {
        while (step()) {
        }
        reset();
    }
    void reset() {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
    }
    std::int64_t i64(int c) const { return sqlite3_column_int64(stmt_, c); }
    bool null(int c) const { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }
    std::string text(int c) const {
        const auto* p = sqlite3_column_text(stmt_, c);
        return p == nullptr ? std::string()
                            : std::string(reinterpret_cast<const char*>(p),
                                          static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c)));
    }
    std::size_t bytes(int c) const {
        sqlite3_column_blob(stmt_, c);
        return static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c));
    }

private:
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

class RawDb {
public:
    RawDb(const fs::path& path, const sr::crypto::KeyVault& vault, bool create, bool reader) {
        int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_PRIVATECACHE;
        if (create) {
            flags |= SQLITE_OPEN_CREATE;
        }
        if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
            const std::string why = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
            sqlite3_close_v2(db_);
            throw std::runtime_error(fmt::format("cannot open {}: {}", path.string(), why));
        }
        const auto key = vault.database_key_text();
        if (sqlite3_key(db_, key.data(), static_cast<int>(key.size())) != SQLITE_OK) {
            const std::string why = sqlite3_errmsg(db_);
            sqlite3_close_v2(db_);
            throw std::runtime_error(fmt::format("cannot key {}: {}", path.string(), why));
        }
        exec("PRAGMA cipher_page_size = 4096;");
        exec("SELECT count(*) FROM sqlite_master;");
        exec("PRAGMA temp_store = MEMORY;");
        exec("PRAGMA secure_delete = ON;");
        exec("PRAGMA foreign_keys = ON;");
        exec("PRAGMA synchronous = FULL;");
        exec(fmt::format("PRAGMA cache_size = {};", -static_cast<long>(kCacheMib) * 1024).c_str());
        sqlite3_busy_timeout(db_, 5000);
        if (create) {
            exec("PRAGMA journal_mode = WAL;");
        }
        if (reader) {
            exec("PRAGMA query_only = ON;");
        }
    }
    ~RawDb() { sqlite3_close_v2(db_); }
    RawDb(const RawDb&) = delete;
    RawDb& operator=(const RawDb&) = delete;

    void exec(const char* sql) {
        char* err = nullptr;
        if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
            const std::string why = err != nullptr ? err : "error";
            sqlite3_free(err);
            throw std::runtime_error(fmt::format("{}: {}", sql, why));
        }
    }
    std::int64_t query_int(const char* sql) {
        Stmt s(db_, sql);
        return s.step() ? s.i64(0) : 0;
    }
    sqlite3* handle() const noexcept { return db_; }

private:
    sqlite3* db_ = nullptr;
};

// ---- what the benchmark needs to know of the store ----

struct Setup {
    std::int64_t records = 0;
    sr::policy::Clearance analyst;  // the calling uid's account and posts
    std::string analyst_name;
    std::int64_t received = 0;  // records disseminated to the analyst's posts
    std::vector<std::uint64_t> show_ids;
    std::string ingest_level = "unclassified";
    std::vector<std::string> ingest_compartments;
    std::string common_word;
    std::string rare_word;
};

Setup discover(RawDb& db, std::uint32_t uid, const bench::Corpus& corpus) {
    Setup s;
    s.records = db.query_int("SELECT count(*) FROM records WHERE state = 'held'");
    {
        Stmt a(db.handle(), "SELECT id, name FROM accounts WHERE uid = ?1");
        a.bind(1, std::int64_t{uid});
        if (!a.step()) {
            throw std::runtime_error(fmt::format(
                "uid {} has no account in the store: it must be populated by strongroom_populate "
                "with --uid {}",
                uid, uid));
        }
        s.analyst.account = a.i64(0);
        s.analyst_name = a.text(1);
    }
    const auto now = sr::now_micros();
    Stmt posts(db.handle(),
               "SELECT DISTINCT p.id, p.name, p.level, p.authority FROM assignments a "
               "JOIN posts p ON p.id = a.post_id WHERE a.account_id = ?1 AND a.since <= ?2 "
               "AND (a.ends IS NULL OR a.ends > ?2) ORDER BY p.id");
    posts.bind(1, s.analyst.account).bind(2, now);
    Stmt grants(db.handle(),
                "SELECT compartment_id, level FROM grants WHERE post_id = ?1 "
                "ORDER BY compartment_id");
    while (posts.step()) {
        sr::policy::PostClearance p;
        p.id = posts.i64(0);
        p.name = posts.text(1);
        p.level = static_cast<int>(posts.i64(2));
        p.authority =
            sr::policy::parse_authority(posts.text(3)).value_or(sr::policy::Authority::none);
        grants.bind(1, p.id);
        while (grants.step()) {
            p.grants.emplace_back(grants.i64(0), static_cast<int>(grants.i64(1)));
        }
        grants.reset();
        s.analyst.posts.push_back(std::move(p));
    }
    if (s.analyst.posts.empty()) {
        throw std::runtime_error("the analyst account holds no post");
    }
    // Records disseminated to the analyst's posts, with ids of 6 digits (so
    // every show request has the same size).
    std::vector<std::uint64_t> ids;
    Stmt received(db.handle(),
                  "SELECT d.record_id FROM disseminations d JOIN records r ON r.id = d.record_id "
                  "WHERE d.recipient = ?1 AND d.authority = 'originator' AND r.state = 'held'");
    for (const auto& p : s.analyst.posts) {
        received.bind(1, p.id);
        while (received.step()) {
            ++s.received;
            const auto id = static_cast<std::uint64_t>(received.i64(0));
            if (id >= 100000 && id <= 999999) {
                ids.push_back(id);
            }
        }
        received.reset();
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    bench::Rng rng(7);
    for (std::size_t i = ids.size(); i > 1; --i) {
        std::swap(ids[i - 1], ids[rng.next() % i]);
    }
    if (ids.size() > kShowSample) {
        ids.resize(kShowSample);
    }
    if (ids.empty()) {
        throw std::runtime_error("no record with a 6-digit id was disseminated to the analyst");
    }
    s.show_ids = std::move(ids);

    // Ingest under a label the analyst may give: confidential, with a
    // compartment its highest post holds at that level when there is one.
    const auto* best = &s.analyst.posts.front();
    for (const auto& p : s.analyst.posts) {
        if (p.level > best->level) {
            best = &p;
        }
    }
    std::optional<std::int64_t> compartment;
    for (const auto& [c, level] : best->grants) {
        if (level >= 1) {
            compartment = c;
            break;
        }
    }
    if (compartment || best->level >= 1) {
        s.ingest_level = "confidential";
    }
    if (compartment) {
        Stmt c(db.handle(), "SELECT name FROM compartments WHERE id = ?1");
        c.bind(1, *compartment);
        if (c.step()) {
            s.ingest_compartments.push_back(c.text(0));
        }
    }
    s.common_word = corpus.word(bench::kCommonRank);
    s.rare_word = corpus.word(bench::kRareRank);
    return s;
}

// ---- the raw side of show, list and search: the daemon's queries ----

class RawReader {
public:
    RawReader(const fs::path& db, const sr::crypto::KeyVault& vault, const Setup& setup)
        : db_(db, vault, false, true),
          setup_(setup),
          begin_(db_.handle(), "BEGIN"),
          commit_(db_.handle(), "COMMIT"),
          find_(db_.handle(),
                "SELECT id, title, level, type, dated, originator, origin_post, origin, safety, "
                "max_copies, registry_number, size, chunks, sha256, is_text, filename, "
                "created_at, state FROM records WHERE id = ?1"),
          compartments_(db_.handle(),
                        "SELECT compartment_id FROM record_compartments WHERE record_id = ?1 "
                        "ORDER BY compartment_id"),
          disseminations_(db_.handle(),
                          "SELECT id, record_id, recipient, authority, reference, by_account, at "
                          "FROM disseminations WHERE record_id = ?1 ORDER BY id"),
          at_level_(db_.handle(),
                    "SELECT id FROM records WHERE level = ?1 AND state = 'held' AND id < ?2 "
                    "ORDER BY id DESC LIMIT ?3"),
          by_originator_(db_.handle(),
                         "SELECT id FROM records WHERE originator = ?1 AND state = 'held' "
                         "AND id < ?2 ORDER BY id DESC LIMIT ?3"),
          by_recipient_(db_.handle(),
                        "SELECT record_id, authority = 'must-share' FROM disseminations "
                        "WHERE recipient = ?1 AND record_id < ?2 ORDER BY record_id DESC "
                        "LIMIT ?3"),
          search_(db_.handle(),
                  "SELECT docid FROM record_text WHERE record_text MATCH ?1 AND docid < ?2 "
                  "ORDER BY docid DESC LIMIT ?3") {}

    // The point query behind show, in a read transaction: the record row,
    // its compartments, its disseminations, and the decision.
    bool show(std::int64_t id) {
        begin_.run();
        const bool ok = readable(id, false);
        commit_.run();
        return ok;
    }

    // The first page of list: the same candidate sources as the daemon,
    // merged newest first, each candidate loaded and decided.
    std::size_t list_page() {
        std::vector<Source> sources;
        sources.emplace_back([this](std::int64_t before) {
            at_level_.bind(1, std::int64_t{0}).bind(2, before).bind(3, kRawBatchInt);
            return ids(at_level_);
        });
        sources.emplace_back([this](std::int64_t before) {
            by_originator_.bind(1, setup_.analyst.account).bind(2, before).bind(3, kRawBatchInt);
            return ids(by_originator_);
        });
        sources.emplace_back(
            [this](std::int64_t before) { return recipient(-setup_.analyst.account, before); });
        for (const auto& p : setup_.analyst.posts) {
            const auto post = p.id;
            sources.emplace_back(
                [this, post](std::int64_t before) { return recipient(post, before); });
        }
        return page(sources);
    }

    std::size_t search_page(const std::string& word) {
        const std::string match = "\"" + word + "\"";
        std::vector<Source> sources;
        sources.emplace_back([this, &match](std::int64_t before) {
            search_.bind(1, match).bind(2, before).bind(3, kRawBatchInt);
            return ids(search_);
        });
        return page(sources);
    }

private:
    using Source = std::function<std::vector<std::int64_t>(std::int64_t before)>;
    static constexpr auto kRawBatchInt = static_cast<std::int64_t>(kRawBatch);

    std::vector<std::int64_t> ids(Stmt& s) {
        std::vector<std::int64_t> out;
        while (s.step()) {
            out.push_back(s.i64(0));
        }
        s.reset();
        return out;
    }
    std::vector<std::int64_t> recipient(std::int64_t who, std::int64_t before) {
        by_recipient_.bind(1, who).bind(2, before).bind(3, kRawBatchInt);
        return ids(by_recipient_);
    }

    // As daemon/service/records.cpp check_read(): a listing skips the
    // disseminations of unclassified records.
    bool readable(std::int64_t id, bool list_only) {
        find_.bind(1, id);
        if (!find_.step()) {
            find_.reset();
            return false;
        }
        sr::policy::Label label;
        label.level = static_cast<int>(find_.i64(2));
        label.originator = find_.i64(5);
        label.safety = find_.i64(8) != 0;
        // Read every column, as the daemon's RecordRow does.
        std::size_t touched = find_.text(1).size() + find_.text(3).size() + find_.text(7).size() +
                              find_.text(10).size() + find_.bytes(13) + find_.text(15).size() +
                              find_.text(17).size();
        const bool held = find_.text(17) == "held";
        find_.reset();
        compartments_.bind(1, id);
        while (compartments_.step()) {
            label.compartments.push_back(compartments_.i64(0));
        }
        compartments_.reset();
        sr::policy::Receipt receipt;
        if (list_only && label.level <= sr::policy::kUnclassified) {
            sink_ += touched;
            return held && sr::policy::may_read(setup_.analyst, label, receipt).allowed;
        }
        disseminations_.bind(1, id);
        while (disseminations_.step()) {
            const auto to = disseminations_.i64(2);
            const auto authority = disseminations_.text(3);
            touched += disseminations_.text(4).size();
            if (to == -setup_.analyst.account) {
                receipt.in_person = true;
            }
            for (const auto& p : setup_.analyst.posts) {
                if (p.id == to) {
                    (authority == "must-share" ? receipt.must_share_posts : receipt.posts)
                        .push_back(p.id);
                }
            }
        }
        disseminations_.reset();
        sink_ += touched;
        return held && sr::policy::may_read(setup_.analyst, label, receipt).allowed;
    }

    // daemon/service/records.cpp walk(): batches from every source; only ids
    // above the highest last id of a full batch are complete.
    std::size_t page(const std::vector<Source>& sources) {
        begin_.run();
        std::size_t found = 0;
        std::int64_t cursor = INT64_MAX;
        bool done = false;
        while (!done) {
            std::map<std::int64_t, bool, std::greater<>> merged;
            std::int64_t floor = 0;
            for (const auto& s : sources) {
                const auto got = s(cursor);
                for (const auto id : got) {
                    merged[id] = true;
                }
                if (got.size() == kRawBatch) {
                    floor = std::max(floor, got.back());
                }
            }
            if (merged.empty()) {
                break;
            }
            for (const auto& entry : merged) {
                const auto id = entry.first;
                if (id < floor) {
                    break;
                }
                cursor = id;
                if (readable(id, true) && ++found == kPage) {
                    done = true;
                    break;
                }
            }
            if (floor == 0) {
                break;
            }
        }
        commit_.run();
        return found;
    }

    RawDb db_;
    const Setup& setup_;
    Stmt begin_;
    Stmt commit_;
    Stmt find_;
    Stmt compartments_;
    Stmt disseminations_;
    Stmt at_level_;
    Stmt by_originator_;
    Stmt by_recipient_;
    Stmt search_;
    std::size_t sink_ = 0;
};

// ---- raw inserts on a scratch database beside the store ----

// A scratch database in a new directory next to the state directory (same
// file system), removed afterwards.
class Scratch {
public:
    explicit Scratch(const fs::path& state) {
        std::string pattern = (state.parent_path() / "strongroom-raw.XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error(
                fmt::format("cannot create a scratch directory: {}", std::strerror(errno)));
        }
        dir_ = pattern;
    }
    ~Scratch() {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
    fs::path db() const { return dir_ / "raw.db"; }

private:
    fs::path dir_;
};

struct RateRun {
    double per_s = 0;     // operations per second
    double mb_per_s = 0;  // content MB (10^6 bytes) per second
    Stats latency_ms;     // per operation
    std::uint64_t failed = 0;
    std::string failure;
};

// One row per transaction, synchronous=FULL: (c) a 4 KiB record row, (d) a
// 1 MiB blob.
RateRun raw_inserts(const fs::path& state, const sr::crypto::KeyVault& vault, std::size_t bytes,
                    double duration_s) {
    Scratch scratch(state);
    RawDb db(scratch.db(), vault, true, false);
    db.exec(
        "CREATE TABLE records (id INTEGER PRIMARY KEY, title TEXT NOT NULL, level INTEGER NOT "
        "NULL, created_at INTEGER NOT NULL, content BLOB NOT NULL);");
    Stmt begin(db.handle(), "BEGIN IMMEDIATE");
    Stmt insert(db.handle(),
                "INSERT INTO records (title, level, created_at, content) VALUES (?1, 1, ?2, ?3)");
    Stmt commit(db.handle(), "COMMIT");
    std::vector<std::uint8_t> content(bytes);
    bench::Rng rng(bytes);
    for (auto& b : content) {
        b = static_cast<std::uint8_t>(rng.next());
    }
    std::vector<double> latencies;
    const auto start = Clock::now();
    const auto measure_from = start + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(kRawWarmupS));
    const auto until = measure_from + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(duration_s));
    std::uint64_t n = 0;
    for (;;) {
        const auto t0 = Clock::now();
        if (t0 >= until) {
            break;
        }
        std::memcpy(content.data(), &n, sizeof n);
        ++n;
        begin.run();
        insert.bind(1, std::string_view("raw baseline record"))
            .bind(2, sr::now_micros())
            .bind_blob(3, content);
        insert.run();
        commit.run();
        if (t0 >= measure_from) {
            latencies.push_back(seconds_between(t0, Clock::now()) * 1000.0);
        }
    }
    RateRun r;
    r.per_s = static_cast<double>(latencies.size()) / duration_s;
    r.mb_per_s = r.per_s * static_cast<double>(bytes) / 1e6;
    r.latency_ms = stats_of(std::move(latencies));
    return r;
}

// ---- get of a large record against raw chunk reads ----

constexpr std::size_t kGetBytes = 100 * 1024 * 1024;
constexpr std::size_t kGetChunk = 256 * 1024;  // the daemon's chunk size
constexpr double kGetTargetRatio = 0.50;
constexpr double kGetRssGrowthMiB = 16.0;

// The same bytes stored as the daemon stores them (256 KiB chunks, each with
// a 16-byte tag), read back chunk by chunk on a fresh connection.
RateRun raw_chunk_reads(const fs::path& state, const sr::crypto::KeyVault& vault,
                        std::size_t bytes) {
    Scratch scratch(state);
    const std::size_t chunks = (bytes + kGetChunk - 1) / kGetChunk;
    {
        RawDb db(scratch.db(), vault, true, false);
        db.exec("CREATE TABLE chunks (id INTEGER PRIMARY KEY, data BLOB NOT NULL);");
        db.exec("BEGIN IMMEDIATE;");
        Stmt insert(db.handle(), "INSERT INTO chunks (id, data) VALUES (?1, ?2)");
        std::vector<std::uint8_t> chunk(kGetChunk + 16);
        bench::Rng rng(bytes);
        for (std::size_t i = 0; i < chunks; ++i) {
            for (auto& b : chunk) {
                b = static_cast<std::uint8_t>(rng.next());
            }
            insert.bind(1, static_cast<std::int64_t>(i)).bind_blob(2, chunk);
            insert.run();
        }
        db.exec("COMMIT;");
    }
    RawDb db(scratch.db(), vault, false, true);
    Stmt select(db.handle(), "SELECT data FROM chunks WHERE id = ?1");
    const auto t0 = Clock::now();
    std::size_t got = 0;
    for (std::size_t i = 0; i < chunks; ++i) {
        select.bind(1, static_cast<std::int64_t>(i));
        if (select.step()) {
            got += select.bytes(0);
        }
        select.reset();
    }
    const double s = seconds_between(t0, Clock::now());
    RateRun r;
    r.per_s = 1.0 / s;
    r.mb_per_s = static_cast<double>(got) / 1e6 / s;
    r.latency_ms = stats_of({s * 1000.0});
    return r;
}

// Ingests `bytes` of binary content at the unclassified level (readable by
// the calling account); returns its id.
std::int64_t ingest_for_get(const std::string& socket, std::size_t bytes) {
    auto conn = sr::client::Connection::open(socket);
    if (!conn) {
        throw std::runtime_error(conn.error().message);
    }
    bench::Rng rng(bytes + 1);
    std::size_t offset = 0;
    std::vector<std::uint8_t> block(kGetChunk);
    json::object args{
        {"title", "bench get 100 MiB"}, {"level", "unclassified"}, {"filename", "bench-get.bin"}};
    auto resp = conn->call_upload("ingest", std::move(args),
                                  [&](std::span<std::uint8_t> buf) -> sr::Result<std::size_t> {
                                      const std::size_t k = std::min(buf.size(), bytes - offset);
                                      for (std::size_t i = 0; i < k; ++i) {
                                          buf[i] = static_cast<std::uint8_t>(rng.next());
                                      }
                                      offset += k;
                                      return k;
                                  });
    if (!resp) {
        throw std::runtime_error(resp.error().message);
    }
    if (resp->error) {
        throw std::runtime_error(fmt::format("ingest for get: {}", resp->error->message));
    }
    return resp->result.at("id").as_int64();
}

// One get of the record through the daemon, its content counted and
// dropped (what the daemon streams, without the client's disk).
RateRun daemon_get(const std::string& socket, std::int64_t id, std::size_t bytes, unsigned round) {
    RateRun r;
    auto conn = sr::client::Connection::open(socket);
    if (!conn) {
        r.failure = conn.error().message;
        return r;
    }
    std::size_t got = 0;
    const auto t0 = Clock::now();
    auto resp = conn->call_download(
        "get", json::object{{"id", id}, {"purpose", fmt::format("benchmark round {}", round)}},
        [&got](std::span<const std::uint8_t> chunk) -> sr::Status {
            got += chunk.size();
            return {};
        });
    const double s = seconds_between(t0, Clock::now());
    if (!resp) {
        r.failure = resp.error().message;
        return r;
    }
    if (resp->error) {
        r.failure = resp->error->message;
        return r;
    }
    if (got != bytes) {
        r.failure = fmt::format("{} bytes received, {} expected", got, bytes);
        return r;
    }
    r.per_s = 1.0 / s;
    r.mb_per_s = static_cast<double>(got) / 1e6 / s;
    r.latency_ms = stats_of({s * 1000.0});
    return r;
}

// ---- the daemon's side ----

// Memory of the daemon, sampled by a thread every 50 ms: the largest VmRSS
// seen in each phase, and VmHWM (the kernel's own peak) at the end.
struct Memory {
    std::int64_t rss_kib = -1;
    std::int64_t hwm_kib = -1;
};

Memory read_memory(long pid) {
    Memory m;
    if (pid <= 0) {
        return m;
    }
    std::ifstream in(fmt::format("/proc/{}/status", pid));
    std::string line;
    while (std::getline(in, line)) {
        const auto value = [&line] {
            return static_cast<std::int64_t>(std::strtoll(line.c_str() + 6, nullptr, 10));
        };
        if (line.starts_with("VmRSS:")) {
            m.rss_kib = value();
        } else if (line.starts_with("VmHWM:")) {
            m.hwm_kib = value();
        }
    }
    return m;
}

class MemorySampler {
public:
    explicit MemorySampler(long pid) : pid_(pid) {
        if (pid_ > 0) {
            thread_ = std::thread([this] { loop(); });
        }
    }
    ~MemorySampler() { stop(); }
    MemorySampler(const MemorySampler&) = delete;
    MemorySampler& operator=(const MemorySampler&) = delete;

    void phase(std::string name) {
        sample();
        std::lock_guard lock(mutex_);
        phase_ = std::move(name);
        if (std::find(order_.begin(), order_.end(), phase_) == order_.end()) {
            order_.push_back(phase_);
        }
    }
    void stop() {
        if (thread_.joinable()) {
            stopping_ = true;
            thread_.join();
            sample();
        }
    }
    // Largest VmRSS per phase, in the order the phases began.
    std::vector<std::pair<std::string, std::int64_t>> peaks() {
        std::lock_guard lock(mutex_);
        std::vector<std::pair<std::string, std::int64_t>> out;
        for (const auto& p : order_) {
            out.emplace_back(p, peak_[p]);
        }
        return out;
    }
    std::int64_t max_rss_kib() {
        std::lock_guard lock(mutex_);
        return max_;
    }

private:
    void loop() {
        while (!stopping_) {
            sample();
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
    void sample() {
        if (pid_ <= 0) {
            return;
        }
        const auto m = read_memory(pid_);
        std::lock_guard lock(mutex_);
        auto& p = peak_[phase_];
        p = std::max(p, m.rss_kib);
        max_ = std::max(max_, m.rss_kib);
    }

    long pid_;
    std::thread thread_;
    std::atomic<bool> stopping_{false};
    std::mutex mutex_;
    std::string phase_ = "start";
    std::vector<std::string> order_{"start"};
    std::map<std::string, std::int64_t> peak_;
    std::int64_t max_ = -1;
};

// The bytes of a show exchange: the request the benchmark repeats with the
// record id changed, and a reply of median size for the floor.
struct ShowExchange {
    bench::Exchange daemon;  // replies vary in size
    bench::Exchange floor;   // always the median reply
    std::size_t reply_min = 0;
    std::size_t reply_max = 0;
};

ShowExchange probe_show(const std::string& socket, const std::vector<std::uint64_t>& ids) {
    auto conn = sr::client::Connection::open(socket);
    if (!conn) {
        throw std::runtime_error(conn.error().message);
    }
    std::vector<std::string> replies;
    std::string payload;
    for (const auto id : ids) {
        sr::protocol::Request req;
        req.id = bench::kFirstId;
        req.op = "show";
        req.args = json::object{{"id", id}};
        payload = sr::protocol::encode_request(req);
        if (auto st = conn->send_frame(sr::protocol::FrameType::message, payload); !st) {
            throw std::runtime_error(st.error().message);
        }
        auto reply = conn->read_message();
        if (!reply) {
            throw std::runtime_error(reply.error().message);
        }
        auto decoded = sr::protocol::decode_response(*reply, sr::protocol::Limits{});
        if (!decoded || decoded->error) {
            throw std::runtime_error(fmt::format(
                "show {} was not answered with the record (the analyst must be able to read it): "
                "{}",
                id, *reply));
        }
        replies.push_back(std::move(reply).value());
    }
    std::sort(replies.begin(), replies.end(),
              [](const std::string& a, const std::string& b) { return a.size() < b.size(); });
    const std::string id_text = fmt::format("\"id\":{}", bench::kFirstId);
    const std::string arg_text = "\"args\":{\"id\":";
    const auto req_at = payload.find(id_text);
    const auto arg_at = payload.find(arg_text);
    const auto& median = replies[replies.size() / 2];
    const auto rep_at = median.find(id_text);
    if (req_at == std::string::npos || arg_at == std::string::npos || rep_at == std::string::npos) {
        throw std::runtime_error(fmt::format("unexpected show exchange: {} / {}", payload, median));
    }
    ShowExchange se;
    auto& ex = se.daemon;
    ex.request_frame = sr::protocol::encode_frame(sr::protocol::FrameType::message, payload);
    ex.request_id_offset = sr::protocol::kHeaderSize + req_at + 5;
    ex.reply_payload = median;
    ex.reply_id_offset = rep_at + 5;
    ex.reply_check_bytes = std::min(median.size(), ex.reply_id_offset + bench::kIdDigits + 10);
    ex.arg_values = ids;
    ex.arg_offset = sr::protocol::kHeaderSize + arg_at + arg_text.size();
    ex.arg_digits = 6;
    ex.fixed_reply_size = false;
    se.floor = ex;
    se.floor.fixed_reply_size = true;
    se.reply_min = replies.front().size();
    se.reply_max = replies.back().size();
    return se;
}

bench::RunResult measure_floor(const bench::Exchange& ex, std::size_t clients,
                               const bench::Timing& timing) {
    bench::FloorServer server(ex);
    std::vector<int> fds;
    bench::RunResult r;
    for (std::size_t i = 0; i < clients; ++i) {
        const int fd = bench::connect_unix(server.path());
        if (fd < 0) {
            r.failure = fmt::format("cannot connect to the floor server: {}", std::strerror(errno));
            break;
        }
        fds.push_back(fd);
    }
    if (r.failure.empty()) {
        server.accept(fds.size());
        r = bench::run_clients(fds, ex, timing);
    }
    for (int fd : fds) {
        ::close(fd);
    }
    server.join();
    return r;
}

bench::RunResult measure_daemon(const std::string& socket, const bench::Exchange& ex,
                                std::size_t clients, const bench::Timing& timing) {
    std::vector<int> fds;
    bench::RunResult r;
    for (std::size_t i = 0; i < clients; ++i) {
        const int fd = bench::connect_unix(socket);
        if (fd < 0) {
            r.failure = fmt::format("cannot connect to {}: {}", socket, std::strerror(errno));
            break;
        }
        fds.push_back(fd);
    }
    if (r.failure.empty()) {
        r = bench::run_clients(fds, ex, timing);
    }
    for (int fd : fds) {
        ::close(fd);
    }
    return r;
}

// Latency of one request made `calls` times in a row (after a few to warm
// up), with how many records its page held.
struct Latency {
    Stats ms;
    std::size_t records = 0;  // in the last page
    std::size_t reply_bytes = 0;
    std::string failure;
};

Latency time_daemon_calls(const std::string& socket, const std::string& op,
                          const json::object& args, unsigned calls) {
    Latency l;
    auto conn = sr::client::Connection::open(socket);
    if (!conn) {
        l.failure = conn.error().message;
        return l;
    }
    std::vector<double> ms;
    for (unsigned i = 0; i < calls + 5; ++i) {
        const auto t0 = Clock::now();
        auto resp = conn->call(op, args);
        const auto t1 = Clock::now();
        if (!resp || resp->error) {
            l.failure = !resp ? resp.error().message : resp->error->message;
            return l;
        }
        if (i >= 5) {
            ms.push_back(seconds_between(t0, t1) * 1000.0);
        }
        const auto* records = resp->result.if_contains("records");
        l.records = records != nullptr && records->is_array() ? records->as_array().size() : 0;
        l.reply_bytes = json::serialize(resp->result).size();
    }
    l.ms = stats_of(std::move(ms));
    return l;
}

Latency time_raw_calls(const std::function<std::size_t()>& call, unsigned calls) {
    Latency l;
    std::vector<double> ms;
    for (unsigned i = 0; i < calls + 5; ++i) {
        const auto t0 = Clock::now();
        l.records = call();
        const auto t1 = Clock::now();
        if (i >= 5) {
            ms.push_back(seconds_between(t0, t1) * 1000.0);
        }
    }
    l.ms = stats_of(std::move(ms));
    return l;
}

// The raw point query behind show, one thread, for a duration.
// With `committer`, another connection commits a write to the same database
// before every query (not timed), as the daemon's writer commits audit rows
// between reads: SQLite then discards the reader's page cache at the start
// of its next read transaction (WAL mode: the database changed), and every
// page the query needs is read and decrypted again.
RateRun raw_show(RawReader& reader, const std::vector<std::uint64_t>& ids, double duration_s,
                 RawDb* committer) {
    std::optional<Stmt> commit;
    if (committer != nullptr) {
        // Rewrites page 1 with the same schema version: a WAL frame, no change.
        const auto version = committer->query_int("PRAGMA user_version;");
        committer->exec("PRAGMA synchronous = OFF;");
        commit.emplace(committer->handle(),
                       fmt::format("PRAGMA user_version = {};", version).c_str());
    }
    std::vector<double> latencies;
    RateRun r;
    const auto start = Clock::now();
    const auto measure_from = start + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(kRawWarmupS));
    const auto until = measure_from + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(duration_s));
    std::size_t i = 0;
    for (;;) {
        if (commit) {
            commit->run();
        }
        const auto t0 = Clock::now();
        if (t0 >= until) {
            break;
        }
        if (!reader.show(static_cast<std::int64_t>(ids[i]))) {
            ++r.failed;
        }
        i = i + 1 == ids.size() ? 0 : i + 1;
        if (t0 >= measure_from) {
            latencies.push_back(seconds_between(t0, Clock::now()) * 1000.0);
        }
    }
    r.per_s = static_cast<double>(latencies.size()) / duration_s;
    r.latency_ms = stats_of(std::move(latencies));
    return r;
}

// Ingest through the daemon: `clients` connections, each uploading records
// of `bytes` back to back (call_upload: request, data frames, data_end, the
// answer once durable).
RateRun daemon_ingest(const std::string& socket, const Setup& setup, const bench::Corpus& corpus,
                      std::size_t clients, std::size_t bytes, bool text, double warmup_s,
                      double duration_s, unsigned round) {
    struct Out {
        std::vector<double> ms;
        std::uint64_t failed = 0;
        std::string failure;
    };
    std::vector<Out> outs(clients);
    std::latch ready(static_cast<std::ptrdiff_t>(clients));
    std::latch go(1);
    Clock::time_point measure_from;
    Clock::time_point until;
    std::vector<std::thread> threads;
    for (std::size_t c = 0; c < clients; ++c) {
        threads.emplace_back([&, c] {
            auto& out = outs[c];
            // Contents made before the clock starts: texts from the corpus
            // (indexed by the daemon) or random bytes.
            bench::Rng rng(1000 * round + c);
            std::vector<std::vector<std::uint8_t>> contents;
            for (int k = 0; k < (text ? 32 : 1); ++k) {
                std::vector<std::uint8_t> v;
                if (text) {
                    std::string t;
                    corpus.text(rng, bytes, t);
                    t.resize(bytes);
                    v.assign(t.begin(), t.end());
                } else {
                    v.resize(bytes);
                    for (auto& b : v) {
                        b = static_cast<std::uint8_t>(rng.next());
                    }
                }
                contents.push_back(std::move(v));
            }
            auto conn = sr::client::Connection::open(socket);
            ready.count_down();
            go.wait();
            if (!conn) {
                out.failure = conn.error().message;
                return;
            }
            json::array compartments;
            for (const auto& name : setup.ingest_compartments) {
                compartments.emplace_back(name);
            }
            for (std::uint64_t n = 0;; ++n) {
                const auto t0 = Clock::now();
                if (t0 >= until) {
                    return;
                }
                auto& content = contents[n % contents.size()];
                if (!text) {
                    std::memcpy(content.data(), &n, sizeof n);  // every upload differs
                }
                json::object args{
                    {"title", fmt::format("bench ingest {} {}-{}", round, c, n)},
                    {"level", setup.ingest_level},
                    {"compartments", compartments},
                    {"filename", text ? "bench.txt" : "bench.bin"},
                };
                std::size_t offset = 0;
                auto resp = conn->call_upload(
                    "ingest", std::move(args),
                    [&content, &offset](std::span<std::uint8_t> buf) -> sr::Result<std::size_t> {
                        const std::size_t k = std::min(buf.size(), content.size() - offset);
                        std::memcpy(buf.data(), content.data() + offset, k);
                        offset += k;
                        return k;
                    });
                const auto t1 = Clock::now();
                if (!resp) {
                    out.failure = resp.error().message;
                    return;
                }
                if (resp->error) {
                    ++out.failed;
                    if (out.failure.empty()) {
                        out.failure = resp->error->message;
                    }
                }
                if (t0 >= measure_from) {
                    out.ms.push_back(seconds_between(t0, t1) * 1000.0);
                }
            }
        });
    }
    ready.wait();
    measure_from = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(warmup_s));
    until = measure_from +
            std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(duration_s));
    go.count_down();
    for (auto& t : threads) {
        t.join();
    }
    RateRun r;
    std::vector<double> all;
    for (auto& o : outs) {
        all.insert(all.end(), o.ms.begin(), o.ms.end());
        r.failed += o.failed;
        if (!o.failure.empty() && r.failure.empty()) {
            r.failure = o.failure;
        }
    }
    // Uploads begun in the window; the last ones may end a little after it.
    r.per_s = static_cast<double>(all.size()) / duration_s;
    r.mb_per_s = r.per_s * static_cast<double>(bytes) / 1e6;
    r.latency_ms = stats_of(std::move(all));
    return r;
}

// ---- the report ----

// Runs of one measurement, and the median one by rate.
template <typename Run, typename Rate>
const Run& median_of(const std::vector<Run>& runs, Rate rate) {
    std::vector<const Run*> sorted;
    for (const auto& r : runs) {
        sorted.push_back(&r);
    }
    std::sort(sorted.begin(), sorted.end(),
              [&rate](const Run* a, const Run* b) { return rate(*a) < rate(*b); });
    return *sorted[(sorted.size() - 1) / 2];
}

struct ShowMeasurement {
    std::size_t clients = 0;
    std::vector<bench::RunResult> floor;
    std::vector<bench::RunResult> daemon;
    const bench::RunResult& floor_median() const {
        return median_of(floor, [](const bench::RunResult& r) { return r.requests_per_s; });
    }
    const bench::RunResult& daemon_median() const {
        return median_of(daemon, [](const bench::RunResult& r) { return r.requests_per_s; });
    }
    double ratio() const {
        const double f = floor_median().requests_per_s;
        return f > 0 ? daemon_median().requests_per_s / f : 0;
    }
};

struct RatePair {
    std::vector<RateRun> raw;
    std::vector<RateRun> daemon;
    const RateRun& raw_median() const {
        return median_of(raw, [](const RateRun& r) { return r.per_s; });
    }
    const RateRun& daemon_median() const {
        return median_of(daemon, [](const RateRun& r) { return r.per_s; });
    }
    double ratio() const {
        const double b = raw_median().per_s;
        return b > 0 ? daemon_median().per_s / b : 0;
    }
};

struct Report {
    Args args;
    Setup setup;
    ShowExchange show_exchange;
    std::vector<ShowMeasurement> show;
    Latency list;
    Latency search_common;
    Latency search_rare;
    Latency raw_list;
    Latency raw_search_common;
    Latency raw_search_rare;
    RateRun raw_show;
    RateRun raw_show_written;  // with a commit by another connection before each query
    RatePair small;            // 4 KiB ingest vs one row per transaction
    RatePair large;            // 1 MiB ingest vs 1 MiB blob
    RatePair get;              // get of a 100 MiB record vs raw chunk reads
    std::int64_t get_rss_before_kib = -1;
    std::int64_t get_rss_peak_kib = -1;
    Memory before;
    Memory after;
    std::int64_t max_rss_kib = -1;
    std::vector<std::pair<std::string, std::int64_t>> phase_rss;
    bool did_show = false;
    bool did_reads = false;
    bool did_ingest = false;
    bool did_get = false;
};

std::string verdict(bool ok) {
    return ok ? "met" : "NOT met";
}

std::string mib(std::int64_t kib) {
    return kib < 0 ? std::string("?")
                   : fmt::format("{:.1f} MiB", static_cast<double>(kib) / 1024.0);
}

std::int64_t whole(double v) {
    return static_cast<std::int64_t>(std::llround(v));
}

double round_to(double v, int decimals) {
    const double scale = std::pow(10.0, decimals);
    return std::round(v * scale) / scale;
}

std::string clients_text(std::size_t n) {
    return fmt::format("{} {}", n, n == 1 ? "client " : "clients");
}

bool show_met(const ShowMeasurement& m) {
    return m.ratio() >= kShowTargetRatio && m.daemon_median().p99_us < kShowTargetP99Us;
}

double rss_peak_mib(const Report& r) {
    const auto kib = std::max(r.max_rss_kib, r.after.hwm_kib);
    return static_cast<double>(kib) / 1024.0;
}

void print_reads(const Report& r);
void print_ingest(const Report& r);
void print_get(const Report& r);
void print_memory(const Report& r);

void print_table(const Report& r) {
    const auto& s = r.setup;
    std::cout << fmt::format(
        "strongroom records bench: {} records; analyst '{}' (uid {}) holds {} post(s) that "
        "received {} records\n"
        "  show: {} readable records (disseminated to the analyst) in turn; request {} B, replies "
        "{}-{} B, floor reply {} B\n"
        "  {} round(s) of {:.1f} s (+{:.1f} s warm-up), daemon and baseline alternating; median "
        "run shown\n\n",
        s.records, s.analyst_name, ::geteuid(), s.analyst.posts.size(), s.received,
        s.show_ids.size(), r.show_exchange.daemon.request_frame.size() - sr::protocol::kHeaderSize,
        r.show_exchange.reply_min, r.show_exchange.reply_max,
        r.show_exchange.floor.reply_payload.size(), r.args.rounds, r.args.duration_s,
        r.args.warmup_s);
    if (r.args.populated_in_s) {
        std::cout << fmt::format("  the store was populated in {:.1f} s (strongroom_populate)\n\n",
                                 *r.args.populated_in_s);
    }

    for (const auto& m : r.show) {
        if (!r.did_show) {
            break;
        }
        const auto& f = m.floor_median();
        const auto& d = m.daemon_median();
        std::cout << fmt::format("floor    {}  {:>7.0f} req/s  p50 {:>5.0f} us  p99 {:>5.0f} us\n",
                                 clients_text(m.clients), f.requests_per_s, f.p50_us, f.p99_us);
        std::string line = fmt::format(
            "show     {}  {:>7.0f} req/s  p50 {:>5.0f} us  p99 {:>5.0f} us  ratio "
            "{:.2f} of floor",
            clients_text(m.clients), d.requests_per_s, d.p50_us, d.p99_us, m.ratio());
        if (m.clients == 8) {
            line += fmt::format("  [target >= {:.2f}, p99 < 1 ms: {}]", kShowTargetRatio,
                                verdict(show_met(m)));
            if (m.ratio() < kShowTargetRatio) {
                line += fmt::format(" short by {:.0f} req/s",
                                    kShowTargetRatio * f.requests_per_s - d.requests_per_s);
            }
        }
        std::cout << line << '\n';
    }
    if (r.did_reads) {
        print_reads(r);
    }
    if (r.did_ingest) {
        print_ingest(r);
    }
    if (r.did_get) {
        print_get(r);
    }
    print_memory(r);

    std::cout << "\nevery run (rate):\n";
    for (const auto& m : r.show) {
        if (!r.did_show) {
            break;
        }
        std::string f = fmt::format("  floor {}  ", clients_text(m.clients));
        std::string d = fmt::format("  show  {}  ", clients_text(m.clients));
        for (std::size_t i = 0; i < m.floor.size(); ++i) {
            f += fmt::format(" {:>7.0f}", m.floor[i].requests_per_s);
            d += fmt::format(" {:>7.0f}", m.daemon[i].requests_per_s);
        }
        std::cout << f << '\n' << d << '\n';
    }
    auto rates = [](const char* name, const std::vector<RateRun>& runs, bool mb) {
        std::string line = fmt::format("  {:<17}", name);
        for (const auto& x : runs) {
            line += mb ? fmt::format(" {:>7.1f}", x.mb_per_s) : fmt::format(" {:>7.0f}", x.per_s);
        }
        std::cout << line << '\n';
    };
    if (r.did_ingest) {
        rates("ingest 4 KiB /s", r.small.daemon, false);
        rates("raw 4 KiB row /s", r.small.raw, false);
        rates("ingest 1 MiB MB/s", r.large.daemon, true);
        rates("raw 1 MiB MB/s", r.large.raw, true);
    }
    if (r.did_get) {
        rates("get 100 MiB MB/s", r.get.daemon, true);
        rates("raw chunk reads MB/s", r.get.raw, true);
    }
}

void print_reads(const Report& r) {
    const auto& s = r.setup;
    std::cout << fmt::format(
        "\nraw show point query, 1 thread (reference)       {:>7.0f} q/s  p50 {:>5.0f} us  p99 "
        "{:>5.0f} us\n"
        "  the same, after a commit by another connection {:>7.0f} q/s  p50 {:>5.0f} us  p99 "
        "{:>5.0f} us\n\n",
        r.raw_show.per_s, r.raw_show.latency_ms.p50 * 1000.0, r.raw_show.latency_ms.p99 * 1000.0,
        r.raw_show_written.per_s, r.raw_show_written.latency_ms.p50 * 1000.0,
        r.raw_show_written.latency_ms.p99 * 1000.0);

    auto latency_line = [](const char* what, const Latency& d, const Latency& raw,
                           std::optional<double> target) {
        std::string line = fmt::format(
            "{:<30} median {:>6.1f} ms  p99 {:>6.1f} ms  ({} records)   raw SQLCipher median "
            "{:>6.1f} ms",
            what, d.ms.p50, d.ms.p99, d.records, raw.ms.p50);
        if (target) {
            line += fmt::format("  [target < {:.0f} ms: {}]", *target,
                                verdict(d.ms.p50 < *target && d.failure.empty()));
        }
        std::cout << line << '\n';
    };
    latency_line("list first page", r.list, r.raw_list, kListTargetMs);
    latency_line(fmt::format("search \"{}\" first page", s.common_word).c_str(), r.search_common,
                 r.raw_search_common, kSearchTargetMs);
    latency_line(fmt::format("search \"{}\" first page", s.rare_word).c_str(), r.search_rare,
                 r.raw_search_rare, std::nullopt);
}

void print_ingest(const Report& r) {
    auto line = [](const std::string& what, const RateRun& x, bool mb) {
        return fmt::format("{:<34} {:>7} {}  p50 {:>5.1f} ms  p99 {:>5.1f} ms", what,
                           mb ? fmt::format("{:.1f}", x.mb_per_s) : fmt::format("{:.0f}", x.per_s),
                           mb ? "MB/s " : "rec/s", x.latency_ms.p50, x.latency_ms.p99);
    };
    const auto& sd = r.small.daemon_median();
    const auto& ld = r.large.daemon_median();
    std::cout << '\n'
              << line(fmt::format("ingest 4 KiB {}, {} clients",
                                  r.args.text_ingest ? "text" : "bytes", kIngestClients),
                      sd, false)
              << '\n'
              << line("raw 4 KiB row, 1 per txn, FULL", r.small.raw_median(), false)
              << fmt::format("  ratio {:.2f}  [target >= {:.1f}: {}]\n", r.small.ratio(),
                             kIngestTargetRatio,
                             verdict(r.small.ratio() >= kIngestTargetRatio && sd.failed == 0))
              << line("ingest 1 MiB bytes, 1 client", ld, true) << '\n'
              << line("raw 1 MiB blob, 1 per txn, FULL", r.large.raw_median(), true)
              << fmt::format("  ratio {:.2f}  [target >= {:.2f}: {}]\n", r.large.ratio(),
                             kLargeTargetRatio,
                             verdict(r.large.ratio() >= kLargeTargetRatio && ld.failed == 0));
}

double get_rss_growth_mib(const Report& r) {
    if (r.get_rss_before_kib < 0 || r.get_rss_peak_kib < 0) {
        return -1;
    }
    return static_cast<double>(r.get_rss_peak_kib - r.get_rss_before_kib) / 1024.0;
}

void print_get(const Report& r) {
    const auto& d = r.get.daemon_median();
    const auto& raw = r.get.raw_median();
    const double growth = get_rss_growth_mib(r);
    std::cout << fmt::format(
        "\nget 100 MiB, 1 client              {:>7.1f} MB/s  ({:.2f} s)\n"
        "raw SQLCipher 256 KiB chunk reads  {:>7.1f} MB/s  ratio {:.2f}  [target >= {:.2f}: {}]\n"
        "daemon RSS during get: {} before, {} at most, growth {}  [target < {:.0f} MiB: {}]\n",
        d.mb_per_s, d.latency_ms.p50 / 1000.0, raw.mb_per_s, r.get.ratio(), kGetTargetRatio,
        verdict(r.get.ratio() >= kGetTargetRatio), mib(r.get_rss_before_kib),
        mib(r.get_rss_peak_kib), growth < 0 ? std::string("?") : fmt::format("{:.1f} MiB", growth),
        kGetRssGrowthMiB,
        growth < 0 ? std::string("not measured") : verdict(growth < kGetRssGrowthMiB));
}

void print_memory(const Report& r) {
    const double peak = rss_peak_mib(r);
    std::cout << fmt::format(
        "\ndaemon memory: RSS before {}, after {}; largest sampled {}; VmHWM {}  [target < {:.0f} "
        "MiB throughout: {}]\n",
        mib(r.before.rss_kib), mib(r.after.rss_kib), mib(r.max_rss_kib), mib(r.after.hwm_kib),
        kRssTargetMib, r.args.daemon_pid > 0 ? verdict(peak < kRssTargetMib) : "not measured");
    std::string phases = "  largest RSS by phase:";
    for (const auto& [name, kib] : r.phase_rss) {
        phases += fmt::format(" {} {};", name, mib(kib));
    }
    std::cout << phases << '\n';
}

json::object run_json(const bench::RunResult& r) {
    json::object o;
    o["requests_per_s"] = whole(r.requests_per_s);
    o["p50_ns"] = whole(r.p50_us * 1000.0);
    o["p99_ns"] = whole(r.p99_us * 1000.0);
    o["max_ns"] = whole(r.max_us * 1000.0);
    o["bad_replies"] = r.bad_replies;
    return o;
}

json::object rate_json(const RateRun& r) {
    json::object o;
    o["per_s"] = round_to(r.per_s, 1);
    o["mb_per_s"] = round_to(r.mb_per_s, 2);
    o["p50_us"] = whole(r.latency_ms.p50 * 1000.0);
    o["p99_us"] = whole(r.latency_ms.p99 * 1000.0);
    o["failed"] = r.failed;
    return o;
}

json::object latency_json(const Latency& l) {
    json::object o;
    o["median_us"] = whole(l.ms.p50 * 1000.0);
    o["p99_us"] = whole(l.ms.p99 * 1000.0);
    o["max_us"] = whole(l.ms.max * 1000.0);
    o["calls"] = l.ms.n;
    o["records"] = l.records;
    return o;
}

json::object pair_json(const RatePair& p, double target, const char* unit) {
    json::object o;
    o["daemon"] = rate_json(p.daemon_median());
    o["raw"] = rate_json(p.raw_median());
    o["ratio"] = round_to(p.ratio(), 3);
    o["target_min_ratio"] = target;
    o["unit"] = unit;
    o["met"] = p.ratio() >= target && p.daemon_median().failed == 0;
    json::array d;
    json::array b;
    for (const auto& x : p.daemon) {
        d.emplace_back(rate_json(x));
    }
    for (const auto& x : p.raw) {
        b.emplace_back(rate_json(x));
    }
    o["daemon_runs"] = std::move(d);
    o["raw_runs"] = std::move(b);
    return o;
}

void reads_json(const Report& r, json::object& doc) {
    doc["raw_show_point_query"] = rate_json(r.raw_show);
    doc["raw_show_point_query_after_commits"] = rate_json(r.raw_show_written);
    json::object list = latency_json(r.list);
    list["raw"] = latency_json(r.raw_list);
    list["target_max_median_us"] = whole(kListTargetMs * 1000.0);
    list["met"] = r.list.ms.p50 < kListTargetMs;
    doc["list_first_page"] = std::move(list);
    json::object search = latency_json(r.search_common);
    search["word"] = r.setup.common_word;
    search["raw"] = latency_json(r.raw_search_common);
    search["target_max_median_us"] = whole(kSearchTargetMs * 1000.0);
    search["met"] = r.search_common.ms.p50 < kSearchTargetMs;
    doc["search_first_page"] = std::move(search);
    json::object rare = latency_json(r.search_rare);
    rare["word"] = r.setup.rare_word;
    rare["raw"] = latency_json(r.raw_search_rare);
    doc["search_rare_first_page"] = std::move(rare);
}

void print_json(const Report& r) {
    json::object doc;
    json::object store;
    store["records"] = r.setup.records;
    store["analyst_posts"] = r.setup.analyst.posts.size();
    store["analyst_received"] = r.setup.received;
    store["show_ids"] = r.setup.show_ids.size();
    if (r.args.populated_in_s) {
        store["populated_in_ms"] = whole(*r.args.populated_in_s * 1000.0);
    }
    doc["store"] = std::move(store);

    json::object settings;
    settings["rounds"] = r.args.rounds;
    settings["warmup_ms"] = whole(r.args.warmup_s * 1000.0);
    settings["duration_ms"] = whole(r.args.duration_s * 1000.0);
    settings["calls"] = r.args.calls;
    settings["selection"] = "median run by rate";
    doc["settings"] = std::move(settings);

    json::array show;
    for (const auto& m : r.show) {
        if (!r.did_show) {
            break;
        }
        json::object o;
        o["clients"] = m.clients;
        o["floor"] = run_json(m.floor_median());
        o["show"] = run_json(m.daemon_median());
        o["ratio_of_floor"] = round_to(m.ratio(), 3);
        if (m.clients == 8) {
            o["target_min_ratio"] = kShowTargetRatio;
            o["target_max_p99_ns"] = whole(kShowTargetP99Us * 1000.0);
            o["met"] = show_met(m);
        }
        show.emplace_back(std::move(o));
    }
    if (r.did_show) {
        doc["show"] = std::move(show);
    }
    if (r.did_reads) {
        reads_json(r, doc);
    }
    if (r.did_ingest) {
        doc["ingest_4k"] = pair_json(r.small, kIngestTargetRatio, "records/s, 8 clients");
        doc["ingest_4k"].as_object()["content"] = r.args.text_ingest ? "text" : "bytes";
        doc["ingest_1m"] = pair_json(r.large, kLargeTargetRatio, "MB/s, 1 client");
    }
    if (r.did_get) {
        auto g = pair_json(r.get, kGetTargetRatio, "MB/s, 1 client, 100 MiB");
        g["rss_before_kib"] = r.get_rss_before_kib;
        g["rss_peak_kib"] = r.get_rss_peak_kib;
        g["rss_growth_target_max_mib"] = kGetRssGrowthMiB;
        const double growth = get_rss_growth_mib(r);
        g["rss_growth_met"] = growth >= 0 && growth < kGetRssGrowthMiB;
        doc["get_100m"] = std::move(g);
    }

    json::object mem;
    mem["pid"] = r.args.daemon_pid;
    mem["rss_before_kib"] = r.before.rss_kib;
    mem["rss_after_kib"] = r.after.rss_kib;
    mem["rss_max_sampled_kib"] = r.max_rss_kib;
    mem["vm_hwm_kib"] = r.after.hwm_kib;
    mem["target_max_mib"] = kRssTargetMib;
    mem["met"] = r.args.daemon_pid > 0 && rss_peak_mib(r) < kRssTargetMib;
    json::object phases;
    for (const auto& [name, kib] : r.phase_rss) {
        phases[name] = kib;
    }
    mem["rss_max_by_phase_kib"] = std::move(phases);
    doc["daemon_memory"] = std::move(mem);
    std::cout << json::serialize(doc) << '\n';
}

// ---- the run ----

sr::crypto::KeyVault load_vault(const fs::path& state) {
    auto key =
        sr::crypto::load_master_key(sr::crypto::KeySource{state / "dev.key", false}, ::geteuid());
    if (!key) {
        throw std::runtime_error(key.error().message);
    }
    return sr::crypto::KeyVault(std::move(key).value());
}

int run(const Args& args) {
    // As the daemon does before its first connection (daemon/store/sqlite.cpp).
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    const auto vault = load_vault(args.state);
    const fs::path db_path = args.state / "strongroom.db";
    const bench::Corpus corpus;

    Report rep;
    rep.args = args;
    {
        RawDb db(db_path, vault, false, true);
        rep.setup = discover(db, ::geteuid(), corpus);
    }
    const auto& setup = rep.setup;
    progress(fmt::format(
        "strongroom_records_bench: {} records; analyst account {} with {} post(s), {} records "
        "received; {} ids to show",
        setup.records, setup.analyst.account, setup.analyst.posts.size(), setup.received,
        setup.show_ids.size()));

    MemorySampler memory(args.daemon_pid);
    rep.before = read_memory(args.daemon_pid);
    memory.phase("probe");
    rep.show_exchange = probe_show(args.socket, setup.show_ids);

    bench::Timing timing;
    timing.warmup = std::chrono::duration<double>(args.warmup_s);
    timing.duration = std::chrono::duration<double>(args.duration_s);
    auto pause = [] { std::this_thread::sleep_for(std::chrono::milliseconds(100)); };

    const bool all = args.only.empty();
    rep.did_show = all || args.only == "show";
    rep.did_reads = all || args.only == "reads";
    rep.did_ingest = all || args.only == "ingest";
    rep.did_get = all || args.only == "get";

    // show against the floor, alternating.
    memory.phase("show");
    for (const auto n : kShowClients) {
        rep.show.push_back(ShowMeasurement{n, {}, {}});
    }
    for (unsigned round = 1; rep.did_show && round <= args.rounds; ++round) {
        for (auto& m : rep.show) {
            auto f = measure_floor(rep.show_exchange.floor, m.clients, timing);
            pause();
            auto d = measure_daemon(args.socket, rep.show_exchange.daemon, m.clients, timing);
            pause();
            for (const auto* x : {&f, &d}) {
                if (!x->failure.empty()) {
                    throw std::runtime_error(
                        fmt::format("show with {}: {}", clients_text(m.clients), x->failure));
                }
            }
            progress(fmt::format(
                "  round {}/{}: floor {}  {:>7.0f} req/s p99 {:>5.0f} us | show {:>7.0f} req/s "
                "p50 {:>5.0f} us p99 {:>5.0f} us{}",
                round, args.rounds, clients_text(m.clients), f.requests_per_s, f.p99_us,
                d.requests_per_s, d.p50_us, d.p99_us,
                d.bad_replies > 0 ? fmt::format("  {} bad replies", d.bad_replies) : ""));
            m.floor.push_back(std::move(f));
            m.daemon.push_back(std::move(d));
        }
    }

    // list and search latency, daemon then raw.
    if (rep.did_reads) {
        memory.phase("list/search");
        rep.list = time_daemon_calls(args.socket, "list", {}, args.calls);
        rep.search_common =
            time_daemon_calls(args.socket, "search", {{"text", setup.common_word}}, args.calls);
        rep.search_rare =
            time_daemon_calls(args.socket, "search", {{"text", setup.rare_word}}, args.calls);
        for (const auto* l : {&rep.list, &rep.search_common, &rep.search_rare}) {
            if (!l->failure.empty()) {
                throw std::runtime_error(fmt::format("list/search: {}", l->failure));
            }
        }
        progress(fmt::format("  list median {:.1f} ms; search \"{}\" {:.1f} ms, \"{}\" {:.1f} ms",
                             rep.list.ms.p50, setup.common_word, rep.search_common.ms.p50,
                             setup.rare_word, rep.search_rare.ms.p50));
        memory.phase("raw reads");
        {
            RawReader raw(db_path, vault, setup);
            rep.raw_list = time_raw_calls([&raw] { return raw.list_page(); }, args.calls);
            rep.raw_search_common =
                time_raw_calls([&] { return raw.search_page(setup.common_word); }, args.calls);
            rep.raw_search_rare =
                time_raw_calls([&] { return raw.search_page(setup.rare_word); }, args.calls);
            rep.raw_show = raw_show(raw, setup.show_ids, args.duration_s, nullptr);
            RawDb committer(db_path, vault, false, false);
            rep.raw_show_written = raw_show(raw, setup.show_ids, args.duration_s / 2, &committer);
            if (rep.raw_show.failed > 0) {
                throw std::runtime_error(
                    fmt::format("raw show: {} records the analyst should read were refused",
                                rep.raw_show.failed));
            }
        }
        progress(fmt::format(
            "  raw: list {:.1f} ms; search {:.1f} ms, {:.1f} ms; show point query {:.0f}/s",
            rep.raw_list.ms.p50, rep.raw_search_common.ms.p50, rep.raw_search_rare.ms.p50,
            rep.raw_show.per_s));
    }

    // Ingest, alternating with the raw inserts.
    for (unsigned round = 1; rep.did_ingest && round <= args.rounds; ++round) {
        memory.phase("ingest 4 KiB");
        auto raw = raw_inserts(args.state, vault, kSmallBytes, args.duration_s);
        pause();
        auto d = daemon_ingest(args.socket, setup, corpus, kIngestClients, kSmallBytes,
                               args.text_ingest, args.warmup_s, args.duration_s, round);
        pause();
        if (!d.failure.empty() && d.failed == 0) {
            throw std::runtime_error(fmt::format("ingest 4 KiB: {}", d.failure));
        }
        progress(fmt::format(
            "  round {}/{}: raw 4 KiB row {:>6.0f}/s | ingest 4 KiB x{} {:>6.0f}/s p50 {:.1f} ms "
            "p99 {:.1f} ms max {:.1f} ms{}",
            round, args.rounds, raw.per_s, kIngestClients, d.per_s, d.latency_ms.p50,
            d.latency_ms.p99, d.latency_ms.max,
            d.failed > 0 ? fmt::format("  {} refused: {}", d.failed, d.failure) : ""));
        rep.small.raw.push_back(std::move(raw));
        rep.small.daemon.push_back(std::move(d));
    }
    for (unsigned round = 1; rep.did_ingest && round <= args.rounds; ++round) {
        memory.phase("ingest 1 MiB");
        auto raw = raw_inserts(args.state, vault, kLargeBytes, args.duration_s);
        pause();
        auto d = daemon_ingest(args.socket, setup, corpus, 1, kLargeBytes, false, args.warmup_s,
                               args.duration_s, round);
        pause();
        if (!d.failure.empty() && d.failed == 0) {
            throw std::runtime_error(fmt::format("ingest 1 MiB: {}", d.failure));
        }
        progress(fmt::format(
            "  round {}/{}: raw 1 MiB blob {:>6.1f} MB/s | ingest 1 MiB {:>6.1f} MB/s p50 {:.1f} "
            "ms{}",
            round, args.rounds, raw.mb_per_s, d.mb_per_s, d.latency_ms.p50,
            d.failed > 0 ? fmt::format("  {} refused: {}", d.failed, d.failure) : ""));
        rep.large.raw.push_back(std::move(raw));
        rep.large.daemon.push_back(std::move(d));
    }

    // get of a 100 MiB record (issue 4), alternating with raw chunk reads.
    if (rep.did_get) {
        memory.phase("get setup");
        const auto id = ingest_for_get(args.socket, kGetBytes);
        pause();
        rep.get_rss_before_kib = read_memory(args.daemon_pid).rss_kib;
        for (unsigned round = 1; round <= args.rounds; ++round) {
            memory.phase("get 100 MiB");
            auto raw = raw_chunk_reads(args.state, vault, kGetBytes);
            pause();
            auto d = daemon_get(args.socket, id, kGetBytes, round);
            pause();
            if (!d.failure.empty()) {
                throw std::runtime_error(fmt::format("get 100 MiB: {}", d.failure));
            }
            progress(fmt::format(
                "  round {}/{}: raw chunk reads {:>6.1f} MB/s | get 100 MiB "
                "{:>6.1f} MB/s ({:.2f} s)",
                round, args.rounds, raw.mb_per_s, d.mb_per_s, d.latency_ms.p50 / 1000.0));
            rep.get.raw.push_back(std::move(raw));
            rep.get.daemon.push_back(std::move(d));
        }
        for (const auto& [phase, kib] : memory.peaks()) {
            if (phase == "get 100 MiB") {
                rep.get_rss_peak_kib = kib;
            }
        }
    }

    memory.stop();
    rep.after = read_memory(args.daemon_pid);
    rep.max_rss_kib = memory.max_rss_kib();
    rep.phase_rss = memory.peaks();

    if (args.json) {
        print_json(rep);
    } else {
        print_table(rep);
    }
    std::uint64_t bad = 0;
    for (const auto& m : rep.show) {
        for (const auto& x : m.daemon) {
            bad += x.bad_replies;
        }
    }
    if (bad > 0) {
        std::cerr << fmt::format(
            "strongroom_records_bench: {} show replies were not the record (errors such as "
            "'overloaded'); the figures are not valid\n",
            bad);
        return 1;
    }
    if (rep.did_ingest &&
        (rep.small.daemon_median().failed > 0 || rep.large.daemon_median().failed > 0)) {
        std::cerr << "strongroom_records_bench: ingests were refused; the figures are not valid\n";
        return 1;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        auto parsed = parse_args(argc, argv);
        if (const int* code = std::get_if<int>(&parsed)) {
            return *code;
        }
        return run(std::get<Args>(parsed));
    } catch (const std::exception& e) {
        std::cerr << fmt::format("strongroom_records_bench: {}\n", e.what());
        return 1;
    }
}
