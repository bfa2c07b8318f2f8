// strongroom_populate: fills the database of a `strongroomd --dev DIR` state
// directory with a large, realistic store for the records benchmark
// (bench/README.md), directly through the daemon's own repositories, so the
// rows are exactly what the daemon would have written: accounts,
// compartments, posts, grants, assignments, records with their content
// sealed under a per-record key (wrapped with the master key), registry
// numbers, the full-text index and dissemination.
//
// The daemon must be stopped: start it once with --dev DIR (it creates the
// key, DIR/dev.key, and the schema), stop it, run this, start it again.
// Writes in large transactions with synchronous=OFF (the data is the same;
// only the populator's own crash safety is given up) and syncs at the end.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <exception>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <unistd.h>

#include <fmt/format.h>
#include <sqlite3.h>

#include "bench/corpus.hpp"
#include "daemon/common/time.hpp"
#include "daemon/crypto/digest.hpp"
#include "daemon/crypto/key_source.hpp"
#include "daemon/crypto/key_vault.hpp"
#include "daemon/crypto/record_key.hpp"
#include "daemon/store/accounts.hpp"
#include "daemon/store/matrix.hpp"
#include "daemon/store/records.hpp"
#include "daemon/store/sqlite.hpp"
#include "daemon/store/store.hpp"

namespace sr = strongroom;
namespace bench = strongroom::bench;
namespace fs = std::filesystem;

namespace {

constexpr const char* kUsage =
    "usage: strongroom_populate --state DIR [--records N] [--uid UID] [--accounts N]\n"
    "                           [--posts N] [--compartments N] [--batch N] [--seed N]\n"
    "                           [--mission CODE]\n"
    "\n"
    "Writes a large store into the database of the stopped `strongroomd --dev DIR`\n"
    "state directory DIR (key DIR/dev.key): COMPARTMENTS compartments (50), POSTS posts\n"
    "(300) with 2-8 grants each, ACCOUNTS accounts (250) holding 1-2 posts, the analyst\n"
    "account 'analyst' for UID (default: the calling uid) holding 2 posts, and N records\n"
    "(1000000): 30% unclassified, 50% confidential, 20% strictly confidential, 0-2\n"
    "compartments, 200-2000 bytes of text each, classified ones disseminated to 2-5\n"
    "eligible posts. BATCH records per transaction (10000). The database must hold no\n"
    "account yet (a daemon started once, never initialised).\n";

constexpr std::int64_t kSecond = 1000000;
constexpr std::int64_t kDay = 86400 * kSecond;
// Records the generator hands over at a time (each holds a locked key mapping).
constexpr std::int64_t kChunk = 1000;

struct Args {
    fs::path state;
    std::int64_t records = 1000000;
    std::uint32_t uid = 0;
    int accounts = 250;
    int posts = 300;
    int compartments = 50;
    std::int64_t batch = 10000;
    std::uint64_t seed = 42;
    std::string mission = "MISSION";
};

std::optional<std::int64_t> parse_int(std::string_view text, std::int64_t lo, std::int64_t hi) {
    const std::string s(text);
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(s.c_str(), &end, 10);
    if (errno != 0 || end == s.c_str() || *end != '\0' || v < lo || v > hi) {
        return std::nullopt;
    }
    return v;
}

std::optional<Args> parse_args(int argc, char** argv, int& status) {
    Args a;
    a.uid = ::geteuid();
    status = 2;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "-h" || arg == "--help") {
            std::cout << kUsage;
            status = 0;
            return std::nullopt;
        }
        if (i + 1 >= argc) {
            std::cerr << fmt::format("strongroom_populate: {} needs a value\n{}", arg, kUsage);
            return std::nullopt;
        }
        const std::string_view value = argv[++i];
        std::optional<std::int64_t> n;
        bool ok = true;
        if (arg == "--state") {
            a.state = fs::absolute(fs::path(value));
        } else if (arg == "--mission") {
            a.mission = value;
        } else if (arg == "--records") {
            ok = (n = parse_int(value, 1, 100000000)).has_value();
            a.records = n.value_or(0);
        } else if (arg == "--uid") {
            ok = (n = parse_int(value, 0, 4294967294LL)).has_value();
            a.uid = static_cast<std::uint32_t>(n.value_or(0));
        } else if (arg == "--accounts") {
            ok = (n = parse_int(value, 1, 100000)).has_value();
            a.accounts = static_cast<int>(n.value_or(0));
        } else if (arg == "--posts") {
            ok = (n = parse_int(value, 10, 100000)).has_value();
            a.posts = static_cast<int>(n.value_or(0));
        } else if (arg == "--compartments") {
            ok = (n = parse_int(value, 2, 10000)).has_value();
            a.compartments = static_cast<int>(n.value_or(0));
        } else if (arg == "--batch") {
            ok = (n = parse_int(value, 1, 10000000)).has_value();
            a.batch = n.value_or(0);
        } else if (arg == "--seed") {
            ok = (n = parse_int(value, 0, INT64_MAX)).has_value();
            a.seed = static_cast<std::uint64_t>(n.value_or(0));
        } else {
            std::cerr << fmt::format("strongroom_populate: unknown option {}\n{}", arg, kUsage);
            return std::nullopt;
        }
        if (!ok) {
            std::cerr << fmt::format("strongroom_populate: bad value '{}' for {}\n", value, arg);
            return std::nullopt;
        }
    }
    if (a.state.empty()) {
        std::cerr << fmt::format("strongroom_populate: --state is required\n{}", kUsage);
        return std::nullopt;
    }
    status = 0;
    return a;
}

// A post as the generator sees it: level and grant level per compartment
// index (-1: no grant), plus the accounts holding it.
struct Post {
    std::int64_t id = 0;
    int level = 0;
    std::vector<int> grant;  // by compartment index
    std::vector<std::int64_t> holders;
};

// The policy's eligibility (daemon/policy/clearance.hpp): every compartment
// granted at >= the level; uncompartmented needs the post's own level.
bool eligible(const Post& p, int level, const std::vector<int>& comps) {
    if (comps.empty()) {
        return p.level >= level;
    }
    return std::all_of(comps.begin(), comps.end(),
                       [&](int c) { return p.grant[static_cast<std::size_t>(c)] >= level; });
}

// One record as the generator makes it, before it has an id.
struct Draft {
    sr::store::RecordRow row;
    std::string text;
    std::unique_ptr<sr::crypto::RecordKey> key;
    std::vector<std::uint8_t> sealed;  // the one content chunk
    sr::crypto::Sha256Digest digest{};
    std::vector<std::size_t> recipients;  // post indexes
};

// Makes records: label within the clearance of the originator's post,
// content, key and recipients. Deterministic for a seed and a record number.
class Generator {
public:
    Generator(const bench::Corpus& corpus, const std::vector<Post>& posts,
              const std::vector<std::int64_t>& compartment_ids, sr::Micros from, sr::Micros to,
              std::int64_t total, std::uint64_t seed)
        : corpus_(corpus),
          posts_(posts),
          compartment_ids_(compartment_ids),
          from_(from),
          to_(to),
          total_(total),
          seed_(seed) {}

    std::vector<Draft> make(std::int64_t first, std::int64_t end) const {
        std::vector<Draft> out;
        out.reserve(static_cast<std::size_t>(end - first));
        bench::Rng rng(seed_ ^ (static_cast<std::uint64_t>(first) * 0x9e3779b97f4a7c15ULL));
        for (std::int64_t n = first; n < end; ++n) {
            out.push_back(make_one(rng, n));
        }
        return out;
    }

private:
    Draft make_one(bench::Rng& rng, std::int64_t n) const {
        Draft d;
        const sr::Micros created =
            from_ + static_cast<sr::Micros>(static_cast<double>(to_ - from_) *
                                            static_cast<double>(n) / static_cast<double>(total_));
        const auto r = rng.next() % 100;
        int level = r < 30 ? 0 : r < 80 ? 1 : 2;
        std::size_t origin = rng.next() % posts_.size();
        std::vector<int> comps;
        if (level > 0) {
            // An originator labels only within the clearance of one of its
            // posts: compartments that post holds at >= the level.
            bool found = false;
            for (int attempt = 0; attempt < 64 && !found; ++attempt) {
                origin = rng.next() % posts_.size();
                const auto& p = posts_[origin];
                const std::uint64_t want = rng.chance(40) ? 0U : rng.chance(67) ? 1U : 2U;
                comps.clear();
                for (std::uint64_t k = 0; k < want; ++k) {
                    const auto start = rng.next() % p.grant.size();
                    for (std::size_t j = 0; j < p.grant.size(); ++j) {
                        const auto c = static_cast<int>((start + j) % p.grant.size());
                        if (p.grant[static_cast<std::size_t>(c)] >= level &&
                            std::find(comps.begin(), comps.end(), c) == comps.end()) {
                            comps.push_back(c);
                            break;
                        }
                    }
                }
                found = eligible(p, level, comps);
            }
            if (!found) {
                comps.clear();
                level = 1;
                while (posts_[origin].level < level) {
                    origin = rng.next() % posts_.size();
                }
            }
            std::sort(comps.begin(), comps.end());
        }
        const auto& op = posts_[origin];
        auto& row = d.row;
        row.title = corpus_.title(rng);
        row.level = level;
        const auto t = rng.next() % 100;
        // The built-in record types (each with a retention schedule), and
        // one without a schedule, which retention due names.
        row.type = t < 60   ? "intelligence-product"
                   : t < 75 ? "raw-acquisition-data"
                   : t < 80 ? "source-personal-data"
                   : t < 85 ? "acquisition-plan"
                   : t < 90 ? "information-requirement"
                   : t < 95 ? "mission-plan"
                            : "cable";
        row.dated = created - created % kDay;
        row.originator = op.holders[rng.next() % op.holders.size()];
        row.origin_post = level > 0 ? std::optional<std::int64_t>(op.id) : std::nullopt;
        row.safety = level > 0 && rng.chance(1);
        if (rng.chance(5)) {
            row.max_copies = static_cast<std::int64_t>(rng.between(0, 3));
        }
        row.filename = fmt::format("{}.txt", n + 1);
        row.created_at = created;
        for (const auto c : comps) {
            row.compartments.push_back(compartment_ids_[static_cast<std::size_t>(c)]);
        }

        corpus_.text(rng, rng.between(200, 2000), d.text);
        const auto plain = std::span<const std::uint8_t>(
            reinterpret_cast<const std::uint8_t*>(d.text.data()), d.text.size());
        d.key = std::make_unique<sr::crypto::RecordKey>(sr::crypto::RecordKey::generate());
        d.key->seal(0, true, plain, d.sealed);
        d.digest = sr::crypto::sha256(plain);

        if (level > 0) {
            // 2-5 eligible posts other than the originator's.
            std::vector<std::size_t> candidates;
            for (std::size_t q = 0; q < posts_.size(); ++q) {
                if (q != origin && eligible(posts_[q], level, comps)) {
                    candidates.push_back(q);
                }
            }
            const auto want = std::min<std::size_t>(candidates.size(), rng.between(2, 5));
            for (std::size_t k = 0; k < want; ++k) {
                const auto j = k + rng.next() % (candidates.size() - k);
                std::swap(candidates[k], candidates[j]);
                d.recipients.push_back(candidates[k]);
            }
        }
        return d;
    }

    const bench::Corpus& corpus_;
    const std::vector<Post>& posts_;
    const std::vector<std::int64_t>& compartment_ids_;
    sr::Micros from_;
    sr::Micros to_;
    std::int64_t total_;
    std::uint64_t seed_;
};

// Batches from the generator thread to the writer, at most a few ahead.
class BatchQueue {
public:
    void push(std::vector<Draft> batch) {
        std::unique_lock lock(mutex_);
        room_.wait(lock, [this] { return batches_.size() < 2; });
        batches_.push_back(std::move(batch));
        ready_.notify_one();
    }
    void fail(std::string why) {
        std::lock_guard lock(mutex_);
        failure_ = std::move(why);
        failed_ = true;
        ready_.notify_one();
    }
    // The next batch, or nothing when the generator failed.
    std::optional<std::vector<Draft>> pop() {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [this] { return !batches_.empty() || failed_; });
        if (batches_.empty()) {
            return std::nullopt;
        }
        auto b = std::move(batches_.front());
        batches_.pop_front();
        room_.notify_one();
        return b;
    }
    std::string failure() {
        std::lock_guard lock(mutex_);
        return failure_;
    }

private:
    std::mutex mutex_;
    std::condition_variable ready_;
    std::condition_variable room_;
    std::deque<std::vector<Draft>> batches_;
    bool failed_ = false;
    std::string failure_;
};

// The records row as RecordRepository::insert and then finish leave it after
// an ingest (state 'held', size, chunks, digest, registry number), written by
// one INSERT, with its compartments. The daemon inserts and then updates the
// row; in a transaction of thousands of records each UPDATE costs a
// statement journal whose pages SQLCipher encrypts (about 100 us a record),
// which would make populating 10^6 records take several times longer.
class FinishedRecordInsert {
public:
    explicit FinishedRecordInsert(sr::store::Connection& conn) : db_(conn.handle()) {
        prepare(
            "INSERT INTO records (title, level, type, dated, originator, origin_post, origin, "
            "safety, max_copies, registry_number, size, chunks, sha256, is_text, filename, "
            "created_at, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 1, ?12, 1, "
            "?13, ?14, 'held')",
            &record_);
        prepare("INSERT INTO record_compartments (record_id, compartment_id) VALUES (?1, ?2)",
                &compartment_);
    }
    ~FinishedRecordInsert() {
        sqlite3_finalize(record_);
        sqlite3_finalize(compartment_);
    }
    FinishedRecordInsert(const FinishedRecordInsert&) = delete;
    FinishedRecordInsert& operator=(const FinishedRecordInsert&) = delete;

    std::int64_t run(const sr::store::RecordRow& r, std::size_t size,
                     const sr::crypto::Sha256Digest& digest,
                     const std::optional<std::string>& registry) {
        auto text = [this](int i, std::string_view v) {
            sqlite3_bind_text64(record_, i, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8);
        };
        auto optional = [this](int i, const std::optional<std::int64_t>& v) {
            if (v) {
                sqlite3_bind_int64(record_, i, *v);
            } else {
                sqlite3_bind_null(record_, i);
            }
        };
        text(1, r.title);
        sqlite3_bind_int64(record_, 2, r.level);
        text(3, r.type);
        sqlite3_bind_int64(record_, 4, r.dated);
        sqlite3_bind_int64(record_, 5, r.originator);
        optional(6, r.origin_post);
        text(7, r.origin);
        sqlite3_bind_int64(record_, 8, r.safety ? 1 : 0);
        optional(9, r.max_copies);
        if (registry) {
            text(10, *registry);
        } else {
            sqlite3_bind_null(record_, 10);
        }
        sqlite3_bind_int64(record_, 11, static_cast<std::int64_t>(size));
        sqlite3_bind_blob64(record_, 12, digest.data(), digest.size(), SQLITE_STATIC);
        text(13, r.filename);
        sqlite3_bind_int64(record_, 14, r.created_at);
        step(record_);
        const auto id = sqlite3_last_insert_rowid(db_);
        for (const auto c : r.compartments) {
            sqlite3_bind_int64(compartment_, 1, id);
            sqlite3_bind_int64(compartment_, 2, c);
            step(compartment_);
        }
        return id;
    }

private:
    void prepare(const char* sql, sqlite3_stmt** out) {
        if (sqlite3_prepare_v2(db_, sql, -1, out, nullptr) != SQLITE_OK) {
            throw std::runtime_error(fmt::format("{}: {}", sql, sqlite3_errmsg(db_)));
        }
    }
    void step(sqlite3_stmt* s) {
        const int rc = sqlite3_step(s);
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        if (rc != SQLITE_DONE) {
            throw std::runtime_error(fmt::format("insert: {}", sqlite3_errmsg(db_)));
        }
    }

    sqlite3* db_;
    sqlite3_stmt* record_ = nullptr;
    sqlite3_stmt* compartment_ = nullptr;
};

class Transaction {
public:
    explicit Transaction(sr::store::Connection& conn) : conn_(conn) {
        conn_.exec("BEGIN IMMEDIATE;");
    }
    ~Transaction() {
        if (!done_) {
            try {
                conn_.exec("ROLLBACK;");
            } catch (...) {
                // Nothing more to do.
            }
        }
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit() {
        conn_.exec("COMMIT;");
        done_ = true;
    }

private:
    sr::store::Connection& conn_;
    bool done_ = false;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int run(const Args& args) {
    const auto t_start = std::chrono::steady_clock::now();
    auto key = sr::crypto::load_master_key(sr::crypto::KeySource{args.state / "dev.key", false},
                                           ::geteuid());
    if (!key) {
        std::cerr << fmt::format("strongroom_populate: {}\n", key.error().message);
        return 1;
    }
    const sr::crypto::KeyVault vault(std::move(key).value());
    sr::store::StoreOptions options;
    options.state_dir = args.state;
    options.readers = 1;
    options.cache_mib = 512;
    sr::store::Store store(options, vault, false);
    auto& conn = store.writer_connection();
    conn.exec("PRAGMA synchronous = OFF;");

    sr::store::AccountRepository accounts(conn);
    sr::store::MatrixRepository matrix(conn);
    sr::store::RecordRepository records(conn);
    if (accounts.count() != 0 || records.count() != 0 ||
        conn.query_int("SELECT count(*) FROM compartments") != 0) {
        std::cerr << "strongroom_populate: the database already holds accounts, compartments "
                     "or records; give it a fresh state directory\n";
        return 1;
    }

    bench::Rng rng(args.seed);
    const bench::Corpus corpus;
    const sr::Micros now = sr::now_micros();
    const sr::Micros epoch = now - 6 * 365 * kDay;  // the mission's first day

    // ---- accounts, compartments, posts, grants, assignments ----
    std::vector<Post> posts;
    std::vector<std::int64_t> compartment_ids;
    std::int64_t analyst = 0;
    std::vector<std::size_t> analyst_posts;
    {
        Transaction txn(conn);
        const auto officer =
            accounts.insert({"officer", 60000, 1, epoch, std::nullopt, std::nullopt});
        const auto second =
            accounts.insert({"officer2", 60001, 1, epoch, std::nullopt, std::nullopt});
        // Two registrars (role 2) for the retention benchmark's two-person steps.
        accounts.insert({"registrar", 60002, 2, epoch, officer, second});
        accounts.insert({"registrar2", 60003, 2, epoch, officer, second});
        std::vector<std::int64_t> users;
        for (int i = 0; i < args.accounts; ++i) {
            const auto uid = static_cast<std::uint32_t>(200000 + i);
            if (uid == args.uid) {
                continue;
            }
            users.push_back(accounts.insert(
                {fmt::format("user-{:04}", i), uid, 0, epoch + kDay, officer, std::nullopt}));
        }
        analyst = accounts.insert({"analyst", args.uid, 0, epoch + kDay, officer, std::nullopt});

        for (int i = 0; i < args.compartments; ++i) {
            const auto name = fmt::format("COMP-{:03}", i);
            compartment_ids.push_back(
                matrix.insert_compartment(name, fmt::format("compartment {}", i), epoch, officer));
            matrix.record_change(epoch, "compartment.add", name, officer, std::nullopt);
        }
        for (int i = 0; i < args.posts; ++i) {
            Post p;
            std::string name;
            std::string authority;
            if (i == 0) {
                name = "head-of-mission";
                authority = "head-of-mission";
                p.level = 2;
            } else if (i == 1) {
                name = "security-focal-point";
                authority = "security-focal-point";
                p.level = 2;
            } else {
                name = fmt::format("post-{:03}", i);
                const auto r = rng.next() % 100;
                p.level = r < 25 ? 0 : r < 65 ? 1 : 2;
            }
            const std::optional<std::int64_t> approved =
                p.level == 2 ? std::optional<std::int64_t>(second) : std::nullopt;
            p.id = matrix.insert_post(name, p.level, authority, epoch, officer, approved);
            matrix.record_change(epoch, "post.add", name, officer, approved);
            p.grant.assign(compartment_ids.size(), -1);
            const auto n = rng.between(2, 8);
            for (std::uint64_t g = 0; g < n; ++g) {
                const auto c = rng.next() % compartment_ids.size();
                if (p.grant[c] >= 0) {
                    continue;  // drawn twice: one grant fewer
                }
                const auto r = rng.next() % 100;
                const int level = r < 20 ? 0 : r < 60 ? 1 : 2;
                p.grant[c] = level;
                sr::store::GrantRow row;
                row.post_id = p.id;
                row.compartment_id = compartment_ids[c];
                row.level = level;
                row.granted_at = epoch;
                row.granted_by = officer;
                row.approved_by = level == 2 ? std::optional<std::int64_t>(second) : std::nullopt;
                matrix.put_grant(row);
                matrix.record_change(epoch, "grant", fmt::format("{} {}", name, c), officer,
                                     row.approved_by);
            }
            posts.push_back(std::move(p));
        }
        // Every post has a holder; every account holds one or two posts.
        const auto since = epoch + kDay;
        for (std::size_t i = 0; i < posts.size(); ++i) {
            const auto who = users[i % users.size()];
            matrix.insert_assignment(posts[i].id, who, since, std::nullopt, officer);
            posts[i].holders.push_back(who);
        }
        for (std::size_t u = posts.size(); u < users.size(); ++u) {
            const auto i = rng.next() % posts.size();
            matrix.insert_assignment(posts[i].id, users[u], since, std::nullopt, officer);
            posts[i].holders.push_back(users[u]);
        }
        // The analyst: a strictly-confidential desk with the most grants, and
        // a confidential one.
        std::size_t desk = 2;
        std::size_t second_desk = 3;
        auto grants_of = [&](std::size_t i) {
            return std::count_if(posts[i].grant.begin(), posts[i].grant.end(),
                                 [](int g) { return g >= 1; });
        };
        for (std::size_t i = 2; i < posts.size(); ++i) {
            if (posts[i].level == 2 && (posts[desk].level != 2 || grants_of(i) > grants_of(desk))) {
                desk = i;
            }
        }
        for (std::size_t i = 2; i < posts.size(); ++i) {
            if (i != desk && posts[i].level == 1 &&
                (posts[second_desk].level != 1 || second_desk == desk ||
                 grants_of(i) > grants_of(second_desk))) {
                second_desk = i;
            }
        }
        analyst_posts = {desk, second_desk};
        for (const auto i : analyst_posts) {
            matrix.insert_assignment(posts[i].id, analyst, since, std::nullopt, officer);
            posts[i].holders.push_back(analyst);
        }
        txn.commit();
    }

    // ---- records ----
    // A second thread makes the records (text, key, sealing, label,
    // recipients); this one writes them, a batch per transaction.
    const Generator generator{corpus,     posts,        compartment_ids, epoch + 2 * kDay,
                              now - kDay, args.records, args.seed + 1};
    BatchQueue queue;
    std::thread producer([&] {
        try {
            for (std::int64_t first = 0; first < args.records; first += kChunk) {
                queue.push(generator.make(first, std::min(args.records, first + kChunk)));
            }
        } catch (const std::exception& e) {
            queue.fail(e.what());
        }
    });

    FinishedRecordInsert insert_record(conn);
    std::int64_t analyst_received = 0;
    std::int64_t disseminations = 0;
    std::int64_t content_bytes = 0;
    const auto t_records = std::chrono::steady_clock::now();
    for (std::int64_t done = 0; done < args.records;) {
        Transaction txn(conn);
        struct Indexed {
            std::int64_t id;
            std::string title;
            std::string text;
        };
        std::vector<Indexed> to_index;
        const auto end = std::min(args.records, done + args.batch);
        while (done < end) {
            auto chunk = queue.pop();
            if (!chunk) {
                producer.join();
                std::cerr << fmt::format("\nstrongroom_populate: {}\n", queue.failure());
                return 1;
            }
            for (auto& d : *chunk) {
                // What the daemon's ingest commits (the text index comes at
                // the end of the transaction, see below).
                std::optional<std::string> registry;
                if (d.row.level > 0) {
                    const auto year = std::stoll(sr::format_date(d.row.created_at).substr(0, 4));
                    registry = fmt::format("{}/{}/{:06}", args.mission, year,
                                           records.next_registry_sequence(year));
                }
                const auto id = insert_record.run(d.row, d.text.size(), d.digest, registry);
                records.put_chunk(id, 0, d.sealed);
                records.put_key(id, vault.wrap_record_key(id, *d.key));
                d.key.reset();  // key memory is locked and mapped: keep few
                content_bytes += static_cast<std::int64_t>(d.text.size());
                if (d.row.safety) {
                    sr::store::DisseminationRow row;
                    row.record_id = id;
                    row.recipient =
                        sr::Recipient::post(posts[1].id);  // the security focal point: must-share
                    row.authority = sr::Conveyance::must_share;
                    row.at = d.row.created_at;
                    records.disseminate(row);
                    ++disseminations;
                }
                // The originator disseminates to eligible posts.
                for (const auto q : d.recipients) {
                    sr::store::DisseminationRow row;
                    row.record_id = id;
                    row.recipient = sr::Recipient::post(posts[q].id);
                    row.authority = sr::Conveyance::originator;
                    row.by_account = d.row.originator;
                    row.at = d.row.created_at + 3600 * kSecond;
                    records.disseminate(row);
                    ++disseminations;
                    if (q == analyst_posts[0] || q == analyst_posts[1]) {
                        ++analyst_received;
                    }
                }
                to_index.push_back({id, std::move(d.row.title), std::move(d.text)});
                ++done;
            }
        }
        // The text index last: FTS4 flushes its pending terms at every
        // statement that opens a savepoint (an UPDATE, say), so indexing
        // between the other statements writes one index segment per record.
        // Indexed together, the pending terms go out in large segments; the
        // index holds the same entries.
        for (const auto& x : to_index) {
            records.index_text(x.id, x.title, x.text);
        }
        txn.commit();
        const double s = seconds_since(t_records);
        std::cerr << fmt::format("\rstrongroom_populate: {:>9} records  {:>6.1f} s  {:>7.0f} /s",
                                 done, s, static_cast<double>(done) / s)
                  << std::flush;
    }
    producer.join();
    std::cerr << '\n';
    const double record_s = seconds_since(t_records);
    conn.exec("PRAGMA synchronous = FULL;");
    conn.exec("PRAGMA wal_checkpoint(TRUNCATE);");
    store.stop();

    std::cout << fmt::format(
        "populated {} in {:.1f} s ({:.1f} s for the records, {:.0f} records/s): {} records "
        "({:.0f} MiB of text), {} disseminations, {} compartments, {} posts, {} accounts; "
        "analyst uid {} holds posts {} and {}, which received {} records\n",
        args.state.string(), seconds_since(t_start), record_s,
        static_cast<double>(args.records) / record_s, args.records,
        static_cast<double>(content_bytes) / 1048576.0, disseminations, compartment_ids.size(),
        posts.size(), accounts.count(), args.uid, posts[analyst_posts[0]].id,
        posts[analyst_posts[1]].id, analyst_received);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        int status = 0;
        const auto args = parse_args(argc, argv, status);
        if (!args) {
            return status;
        }
        return run(*args);
    } catch (const std::exception& e) {
        std::cerr << fmt::format("strongroom_populate: {}\n", e.what());
        return 1;
    }
}
