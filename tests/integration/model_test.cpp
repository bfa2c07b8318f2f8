// Model-based test (issue 13): seeded random sequences of operations from
// every role against the real daemon and tools, each answer and each state
// predicted by a reference model kept here.
//
// Operations, picked by weight: ingest (eligible and ineligible labels,
// safety-flagged, raw data due for destruction, control characters in the
// title), dissemination by the originator and by others, show and get by
// everyone, closing numbered copies, an officer giving a post to themselves
// or to an auditor, accounts with a role (off1 proposes, a fresh account, a
// second officer made after the proposal and off1 itself try to approve, off2
// approves), disposal (propose, self-approval, approval, execution), backup,
// restore of a random earlier backup, rekey, restart and SIGKILL.
//
// After every step: a destroyed record reads for nobody, an acknowledged
// record still reads for its originator, officers and auditors read no
// classified content. Every few steps and at the end: every account's list
// is exactly what the model predicts, destroyed and lost records are refused
// to all, the register holds every live and destroyed record with its
// registry number, the audit chain verifies, every page of the database is
// intact. Ids and registry numbers only grow, across restores too.
//
// The seed is STRONGROOM_MODEL_SEED or --seed S (default: random, printed),
// the steps STRONGROOM_MODEL_STEPS or --steps N (default 200 in the
// sanitizer build). A failure prints the line that replays it.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include "tests/integration/harness.hpp"
#include "tests/integration/mission.hpp"

namespace strongroom::test {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

#if defined(__SANITIZE_ADDRESS__)
constexpr int kDefaultSteps = 200;
#else
constexpr int kDefaultSteps = 500;
#endif
constexpr int kHeavyEvery = 10;  // steps between the expensive checks

std::uint64_t env_u64(const char* name, std::uint64_t fallback) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? std::strtoull(v, nullptr, 10) : fallback;
}
bool verbose() {
    return env_u64("STRONGROOM_MODEL_VERBOSE", 0) != 0;
}

std::optional<std::uint64_t> g_seed;  // from --seed
std::optional<int> g_steps;           // from --steps

constexpr uid_t kAuditor = 61021;
constexpr uid_t kClerk2 = 61022;
constexpr uid_t kFirstNewUid = 61100;  // accounts the test makes on the way

constexpr int kUnclassified = 0;
constexpr int kConfidential = 1;
constexpr int kStrictly = 2;
const char* const kLevelNames[] = {"unclassified", "confidential", "strictly-confidential"};

struct Post {
    std::string name;
    int level = 0;
    std::map<std::string, int> grants;
};

// The mission's matrix (mission.hpp), as the model knows it.
const std::vector<Post>& posts() {
    static const std::vector<Post> p{
        {"chief-jmac", kConfidential, {{"JMAC", kStrictly}, {"HUMINT", kStrictly}}},
        {"jmac-analyst", kConfidential, {{"JMAC", kConfidential}}},
        {"police-desk", kConfidential, {{"POLICE", kConfidential}}},
        {"jmac-desk2", kConfidential, {{"JMAC", kConfidential}}},
        {"hom", kConfidential, {}},
        {"sfp", kStrictly, {}},
    };
    return p;
}
const Post& post(const std::string& name) {
    for (const auto& p : posts()) {
        if (p.name == name) {
            return p;
        }
    }
    throw std::logic_error("no post " + name);
}

struct Person {
    std::string name;
    uid_t uid = 0;
    std::vector<std::string> posts;  // held now
    std::string role;                // officer, auditor, registrar or ""
    bool suspended = false;
    bool oversight() const { return role == "officer" || role == "auditor"; }
};

enum class State { live, destroyed, lost };

struct Rec {
    std::int64_t id = 0;
    int level = 0;
    std::vector<std::string> comps;
    std::string registry;  // "" when unclassified
    std::string title;
    std::string word;  // in the content only
    std::string originator;
    bool raw = false;
    std::set<std::string> received;    // posts, normal receipt
    std::set<std::string> must_share;  // posts, must-share (safety flag)
    State state = State::live;
    std::int64_t batch = 0;  // the disposal batch that destroyed it
    bool held = false;       // under a legal hold
    std::int64_t copies_issued = 0;
    std::map<std::int64_t, std::string> outstanding;  // copy number → holder
};

struct Backup {
    std::string path;
    int epoch = 0;  // the master key it was made under
    std::map<std::int64_t, Rec> records;
    int step = 0;
};

bool eligible(const Post& p, const Rec& r) {
    if (r.comps.empty()) {
        return p.level >= r.level;
    }
    for (const auto& c : r.comps) {
        const auto g = p.grants.find(c);
        if (g == p.grants.end() || g->second < r.level) {
            return false;
        }
    }
    return true;
}

// DESIGN.md §2 rules 1-5, as clearance.hpp states them.
bool may_read(const Person& who, const Rec& r) {
    if (r.state != State::live || who.suspended) {
        return false;
    }
    if (r.level == kUnclassified) {
        return true;
    }
    if (who.oversight()) {
        return false;
    }
    for (const auto& name : who.posts) {
        const auto& p = post(name);
        if (eligible(p, r) && (r.received.contains(name) || r.originator == who.name)) {
            return true;
        }
        if (r.must_share.contains(name) && p.level >= r.level) {
            return true;
        }
    }
    return false;
}

// Unclassified material any active account may enter; above, a post of the
// originator must be eligible for the label.
bool may_label(const Person& who, const Rec& r) {
    if (who.suspended) {
        return false;
    }
    if (r.level == kUnclassified) {
        return true;
    }
    for (const auto& name : who.posts) {
        if (eligible(post(name), r)) {
            return true;
        }
    }
    return false;
}

std::optional<json::value> parse(const std::string& text) {
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    if (ec) {
        return std::nullopt;
    }
    return v;
}

// A registry number (MISSION/YEAR/NNNNNN) as one growing number: the
// sequence starts again each year.
std::int64_t registry_sequence(const std::string& number) {
    const auto slash = number.rfind('/');
    const auto before =
        slash == std::string::npos ? std::string::npos : number.rfind('/', slash - 1);
    if (before == std::string::npos) {
        return -1;
    }
    return std::atoll(number.c_str() + before + 1) * 10'000'000 +
           std::atoll(number.c_str() + slash + 1);
}

// How a refused read answers: as for a record that does not exist, or, for a
// suspended account, as for every request it makes.
int refusal(const Person& who) {
    return who.suspended ? 3 : 4;
}

std::string describe(const RunResult& r) {
    return fmt::format("exit {}\nstdout: {}\nstderr: {}", r.status, r.out, r.err);
}

class Model {
public:
    Model(std::uint64_t seed, int steps) : seed_(seed), steps_(steps), rng_(seed) {
        m_.add_role_account("clerk2", kClerk2, "registrar");
        m_.add_role_account("aud", kAuditor, "auditor");
        people_ = {
            {"off1", kOff1, {}, "officer"},
            {"off2", kOff2, {}, "officer"},
            {"chief", kChief, {"chief-jmac"}, ""},
            {"analyst", kAnalyst, {"jmac-analyst"}, ""},
            {"police", kPolice, {"police-desk"}, ""},
            {"focal", kFocal, {"sfp"}, ""},
            {"hom", kHom, {"hom"}, ""},
            {"desk2", kDesk2, {"jmac-desk2"}, ""},
            {"clerk", kClerk, {}, "registrar"},
            {"clerk2", kClerk2, {}, "registrar"},
            {"aud", kAuditor, {}, "auditor"},
        };
        for (const auto& p : people_) {
            if (!p.posts.empty()) {
                home_post_[p.name] = p.posts.front();
            }
        }
    }

    std::string replay() const {
        return fmt::format(
            "replay: STRONGROOM_MODEL_SEED={} STRONGROOM_MODEL_STEPS={} "
            "build/asan/tests/integration/model_tests",
            seed_, steps_);
    }

    void run() {
        const auto started = std::chrono::steady_clock::now();
        std::map<std::string, int> counts;
        for (step_ = 1; step_ <= steps_; ++step_) {
            const auto op = pick();
            op_ = op;
            ++counts[op];
            SCOPED_TRACE(where());
            perform(op);
            if (verbose()) {
                std::cout << fmt::format("step {}: {}; records {}\n", step_, op, state_line());
            }
            cheap_checks();
            if (step_ % kHeavyEvery == 0) {
                heavy_checks();
            }
            if (::testing::Test::HasFailure()) {
                std::cout << "model test failed at step " << step_ << " (" << op << ")\n"
                          << replay() << "\n(STRONGROOM_MODEL_STEPS=" << step_
                          << " replays up to the failing step)\n";
                return;
            }
        }
        step_ = steps_;
        op_ = "final checks";
        {
            SCOPED_TRACE(where());
            heavy_checks();
        }
        const auto secs = std::chrono::duration_cast<std::chrono::duration<double>>(
                              std::chrono::steady_clock::now() - started)
                              .count();
        std::string summary;
        for (const auto& [name, n] : counts) {
            summary += fmt::format("{}{} {}", summary.empty() ? "" : ", ", name, n);
        }
        std::cout << fmt::format(
            "model test: {} steps in {:.1f} s, seed {}: {}; {} records ({} destroyed, {} lost), "
            "{} backups, {} restores, {} rekeys\n",
            steps_, secs, seed_, summary, records_.size(), count(State::destroyed),
            count(State::lost), backups_.size(), restores_, epoch_);
        if (::testing::Test::HasFailure()) {
            std::cout << replay() << "\n";
        }
    }

private:
    // The model's records, for STRONGROOM_MODEL_VERBOSE=1: id, state, level.
    std::string state_line() const {
        std::string out;
        for (const auto& [id, r] : records_) {
            out += fmt::format("{}{}{}{}", out.empty() ? "" : " ", id,
                               r.state == State::live        ? ""
                               : r.state == State::destroyed ? "d"
                                                             : "l",
                               r.raw ? "r" : "");
        }
        return fmt::format("{} (backups {}, key {})", out, backups_.size(), epoch_);
    }
    std::string where() const {
        return fmt::format("step {} ({}) seed {}; {}", step_, op_, seed_, replay());
    }
    std::size_t count(State s) const {
        return static_cast<std::size_t>(
            std::count_if(records_.begin(), records_.end(),
                          [s](const auto& kv) { return kv.second.state == s; }));
    }

    std::size_t below(std::size_t n) {
        return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
    }
    bool chance(int percent) { return static_cast<int>(below(100)) < percent; }
    template <typename T>
    const T& any(const std::vector<T>& v) {
        return v.at(below(v.size()));
    }

    std::string pick() {
        static const std::vector<std::pair<const char*, int>> weights{
            {"ingest", 20},           {"ingest-control", 3}, {"ingest-raw", 6}, {"disseminate", 12},
            {"disseminate-other", 4}, {"show", 10},          {"get", 10},       {"copy-close", 4},
            {"self-post", 3},         {"account-role", 2},   {"disposal", 4},   {"backup", 4},
            {"restore", 3},           {"rekey", 1},          {"restart", 2},    {"sigkill", 2},
            {"suspend", 2},           {"unassign", 2},
        };
        int total = 0;
        for (const auto& [name, w] : weights) {
            total += w;
        }
        int at = static_cast<int>(below(static_cast<std::size_t>(total)));
        for (const auto& [name, w] : weights) {
            if (at < w) {
                return name;
            }
            at -= w;
        }
        return "show";
    }

    void perform(const std::string& op) {
        if (op == "ingest") {
            ingest(false, false);
        } else if (op == "ingest-control") {
            ingest(true, false);
        } else if (op == "ingest-raw") {
            ingest(false, true);
        } else if (op == "disseminate") {
            disseminate(true);
        } else if (op == "disseminate-other") {
            disseminate(false);
        } else if (op == "show") {
            show(any(people_), random_id());
        } else if (op == "get") {
            get(any(people_), random_id());
        } else if (op == "copy-close") {
            copy_close();
        } else if (op == "self-post") {
            self_post();
        } else if (op == "account-role") {
            account_role();
        } else if (op == "disposal") {
            disposal();
        } else if (op == "backup") {
            backup();
        } else if (op == "restore") {
            restore();
        } else if (op == "rekey") {
            rekey();
        } else if (op == "restart") {
            m_.restart();
        } else if (op == "suspend") {
            suspend();
        } else if (op == "unassign") {
            unassign();
        } else if (op == "sigkill") {
            m_.crash();
            m_.start();
        }
    }

    const Person& person(const std::string& name) const {
        for (const auto& p : people_) {
            if (p.name == name) {
                return p;
            }
        }
        throw std::logic_error("no person " + name);
    }

    // A record id: mostly one the model knows, sometimes one never handed out.
    std::int64_t random_id() {
        if (records_.empty() || chance(5)) {
            return max_id_ + 1 + static_cast<std::int64_t>(below(50));
        }
        auto it = records_.begin();
        std::advance(it, static_cast<std::ptrdiff_t>(below(records_.size())));
        return it->first;
    }
    Rec* find(std::int64_t id) {
        const auto it = records_.find(id);
        return it == records_.end() ? nullptr : &it->second;
    }
    bool readable(const Person& who, std::int64_t id) {
        const auto* r = find(id);
        return r != nullptr && may_read(who, *r);
    }

    void ingest(bool control, bool raw) {
        static const std::vector<std::string> originators{"chief", "analyst", "police",
                                                          "desk2", "hom",     "focal"};
        static const std::vector<std::vector<std::string>> comp_choices{
            {}, {}, {"JMAC"}, {"JMAC"}, {"HUMINT"}, {"POLICE"}, {"JMAC", "HUMINT"}};
        Rec r;
        const Person* who = nullptr;
        if (raw) {
            who = &person("analyst");
            r.level = kConfidential;
            r.comps = {"JMAC"};
            r.raw = true;
        } else {
            who = &person(any(originators));
            r.level = static_cast<int>(below(3));
            if (r.level != kUnclassified) {
                r.comps = any(comp_choices);
            }
        }
        r.originator = who->name;
        r.word = fmt::format("okapi{}x{}", seed_ % 100000, ++words_);
        r.title = fmt::format("Report {} of step {}", words_, step_);
        const bool safety = !raw && who->name == "chief" && r.level > kUnclassified && chance(30);
        std::string title = r.title;
        if (control) {
            static const std::vector<std::string> bad{
                "\x1b[2J", "\x07", "\n", "\r", "\t", "\x7f", "\xc2\x9b", "\xe2\x80\xae"};
            title.insert(below(title.size() + 1), any(bad));
        }
        std::vector<std::string> args{
            "--json",
            "ingest",
            m_.file(fmt::format("in-{}", words_),
                    fmt::format("content of {} on the harbour\n", r.word)),
            "--title",
            title,
            "--level",
            kLevelNames[r.level]};
        for (const auto& c : r.comps) {
            args.insert(args.end(), {"--compartment", c});
        }
        if (raw) {
            args.insert(args.end(),
                        {"--type", "raw-acquisition-data", "--dated", day_offset(-730)});
        }
        if (safety) {
            args.push_back("--safety");
        }
        const auto res = m_.tool(args, who->uid);
        const auto what = fmt::format(
            "{} ingests {} {} {}{}", who->name, kLevelNames[r.level], fmt::join(r.comps, "+"),
            control ? "(control character) " : "", safety ? "(safety)" : "");
        if (control && who->suspended) {
            EXPECT_TRUE(res.status == 2 || res.status == 3) << what << "\n" << describe(res);
            return;
        }
        if (control) {
            EXPECT_EQ(res.status, 2) << what << "\n" << describe(res);
            // Nothing stored: the originator finds nothing by the word.
            const auto found = m_.tool({"--json", "search", r.word}, who->uid);
            EXPECT_EQ(found.status, 0) << what << "\n" << describe(found);
            if (const auto doc = parse(found.out); doc && found.status == 0) {
                EXPECT_TRUE(doc->at("records").as_array().empty()) << what << "\n" << found.out;
            }
            return;
        }
        const bool allowed = may_label(*who, r);
        if (!allowed) {
            EXPECT_EQ(res.status, 3) << what << " (no post eligible for the label)\n"
                                     << describe(res);
            return;
        }
        ASSERT_EQ(res.status, 0) << what << "\n" << describe(res);
        const auto doc = parse(res.out);
        ASSERT_TRUE(doc) << what << "\n" << describe(res);
        r.id = doc->at("id").as_int64();
        EXPECT_GT(r.id, max_id_) << what << ": a record id handed out again";
        max_id_ = std::max(max_id_, r.id);
        const auto& number = doc->at("registry_number");
        if (r.level == kUnclassified) {
            EXPECT_TRUE(number.is_null()) << what << "\n" << res.out;
        } else {
            ASSERT_TRUE(number.is_string()) << what << "\n" << res.out;
            r.registry = std::string(number.as_string());
            const auto seq = registry_sequence(r.registry);
            EXPECT_GT(seq, max_registry_)
                << what << ": registry number " << r.registry << " handed out again";
            max_registry_ = std::max(max_registry_, seq);
            EXPECT_TRUE(numbers_.insert(r.registry).second)
                << what << ": registry number " << r.registry << " seen before";
        }
        if (safety) {
            EXPECT_EQ(doc->at("must_share"), "sfp") << what << "\n" << res.out;
            r.must_share.insert("sfp");
        }
        records_[r.id] = r;
    }

    void disseminate(bool by_originator) {
        std::vector<std::int64_t> ids;
        for (const auto& [id, r] : records_) {
            ids.push_back(id);
        }
        if (ids.empty()) {
            return;
        }
        const auto id = any(ids);
        Rec& r = records_.at(id);
        const Post& to = any(posts());
        const Person* who = &person(r.originator);
        if (!by_originator) {
            // Anyone but the originator and the head of mission (whose
            // authority lets them disseminate what they may read).
            std::vector<const Person*> others;
            for (const auto& p : people_) {
                if (p.name != r.originator && p.name != "hom") {
                    others.push_back(&p);
                }
            }
            who = any(others);
        }
        const auto res =
            m_.tool({"--json", "disseminate", std::to_string(id), "--to", to.name}, who->uid);
        const auto what = fmt::format("{} disseminates record {} ({} {}) to {}", who->name, id,
                                      kLevelNames[r.level], fmt::join(r.comps, "+"), to.name);
        if (!may_read(*who, r)) {
            EXPECT_EQ(res.status, refusal(*who)) << what << " (cannot read it)\n" << describe(res);
            EXPECT_EQ(res.err.find(r.title), std::string::npos) << what << ": title leaked";
            return;
        }
        if (!by_originator) {
            EXPECT_EQ(res.status, 3) << what << " (not the originator)\n" << describe(res);
            return;
        }
        if (!eligible(to, r)) {
            EXPECT_EQ(res.status, 3) << what << " (post not eligible)\n" << describe(res);
            return;
        }
        ASSERT_EQ(res.status, 0) << what << "\n" << describe(res);
        const bool fresh = !r.received.contains(to.name);
        if (const auto doc = parse(res.out)) {
            const auto& done = doc->at("disseminated").as_array();
            ASSERT_EQ(done.size(), 1U) << what << "\n" << res.out;
            EXPECT_EQ(done[0].at("new").as_bool(), fresh) << what << "\n" << res.out;
        } else {
            ADD_FAILURE() << what << ": not JSON\n" << describe(res);
        }
        r.received.insert(to.name);
    }

    void show(const Person& who, std::int64_t id) {
        const auto res = m_.tool({"--json", "show", std::to_string(id)}, who.uid);
        const auto what = fmt::format("{} shows record {}", who.name, id);
        if (!readable(who, id)) {
            EXPECT_EQ(res.status, refusal(who)) << what << " (not readable)\n" << describe(res);
            if (const auto* r = find(id)) {
                EXPECT_EQ(res.out.find(r->title), std::string::npos) << what << ": title leaked";
                EXPECT_EQ(res.err.find(r->title), std::string::npos) << what << ": title leaked";
            }
            return;
        }
        ASSERT_EQ(res.status, 0) << what << "\n" << describe(res);
        const auto doc = parse(res.out);
        ASSERT_TRUE(doc) << what << "\n" << describe(res);
        const auto& rec = doc->at("record");
        const Rec& r = records_.at(id);
        EXPECT_EQ(std::string(rec.at("title").as_string()), r.title) << what;
        EXPECT_EQ(rec.at("level"), kLevelNames[r.level]) << what;
        if (r.level == kUnclassified) {
            EXPECT_TRUE(rec.at("registry_number").is_null()) << what << "\n" << res.out;
        } else {
            EXPECT_EQ(std::string(rec.at("registry_number").as_string()), r.registry) << what;
        }
    }

    void get(const Person& who, std::int64_t id) {
        const auto out = m_.out_path(fmt::format("copy-{}", ++files_));
        const auto res = m_.tool(
            {"--json", "get", std::to_string(id), "-o", out, "--purpose", "model"}, who.uid);
        const auto what = fmt::format("{} gets record {}", who.name, id);
        if (!readable(who, id)) {
            EXPECT_EQ(res.status, refusal(who)) << what << " (not readable)\n" << describe(res);
            EXPECT_FALSE(fs::exists(out)) << what << ": content written";
            return;
        }
        Rec& r = records_.at(id);
        ASSERT_EQ(res.status, 0) << what << "\n" << describe(res);
        const auto content = strip_invisible(read_file(out));
        EXPECT_NE(content.find(r.word), std::string::npos) << what << ": " << content;
        const auto doc = parse(res.out);
        ASSERT_TRUE(doc) << what << "\n" << describe(res);
        const auto number = doc->at("copy").as_int64();
        EXPECT_EQ(number, r.copies_issued + 1) << what << ": copy numbers are handed out in turn";
        r.copies_issued = std::max(r.copies_issued, number);
        r.outstanding[number] = who.name;
        fs::remove(out);
    }

    void copy_close() {
        std::vector<std::pair<std::int64_t, std::int64_t>> open;
        for (const auto& [id, r] : records_) {
            if (r.state == State::live) {
                for (const auto& [n, holder] : r.outstanding) {
                    open.emplace_back(id, n);
                }
            }
        }
        if (open.empty()) {
            return;
        }
        const auto [id, n] = any(open);
        Rec& r = records_.at(id);
        const auto& holder = person(r.outstanding.at(n));
        auto res = m_.tool({"--json", "copy", chance(50) ? "destroy" : "return", std::to_string(id),
                            std::to_string(n)},
                           holder.uid);
        const auto what = fmt::format("{} closes copy {} of record {}", holder.name, n, id);
        if (holder.suspended) {
            EXPECT_EQ(res.status, 3) << what << " (suspended)\n" << describe(res);
            return;
        }
        ASSERT_EQ(res.status, 0) << what << "\n" << describe(res);
        r.outstanding.erase(n);
        if (const auto doc = parse(res.out)) {
            EXPECT_EQ(doc->at("outstanding").as_int64(),
                      static_cast<std::int64_t>(r.outstanding.size()))
                << what << "\n"
                << res.out;
        }
    }

    // A change by an officer, approved by the other if it waits for a second one.
    void officer_change(std::vector<std::string> args, uid_t by, uid_t other,
                        const std::string& what) {
        args.insert(args.begin(), "--json");
        const auto res = m_.admin(args, by);
        ASSERT_EQ(res.status, 0) << what << "\n" << describe(res);
        const auto doc = parse(res.out);
        ASSERT_TRUE(doc) << what << "\n" << describe(res);
        if (const auto* st = doc->as_object().if_contains("status"); st && *st == "pending") {
            const auto id = doc->at("pending_id").as_int64();
            EXPECT_GT(id, max_pending_) << what << ": a pending change id handed out again";
            max_pending_ = std::max(max_pending_, id);
            const auto ok = m_.admin({"pending", "approve", std::to_string(id)}, other);
            ASSERT_EQ(ok.status, 0) << what << ": the second officer approves\n" << describe(ok);
        }
    }

    // The people who read, by their posts (not those the steps need).
    std::vector<Person*> readers() {
        std::vector<Person*> out;
        for (auto& p : people_) {
            if (home_post_.contains(p.name)) {
                out.push_back(&p);
            }
        }
        return out;
    }

    // An officer suspends a reader, or reactivates one.
    void suspend() {
        Person* p = any(readers());
        const bool by_off1 = chance(50);
        const auto what = fmt::format("{} {} {}", by_off1 ? "off1" : "off2",
                                      p->suspended ? "reactivates" : "suspends", p->name);
        officer_change({"account", p->suspended ? "reactivate" : "suspend", p->name},
                       by_off1 ? kOff1 : kOff2, by_off1 ? kOff2 : kOff1, what);
        p->suspended = !p->suspended;
        const auto res = m_.tool({"--json", "whoami"}, p->uid);
        EXPECT_EQ(res.status, p->suspended ? 3 : 0) << what << ": whoami\n" << describe(res);
    }

    // off1 ends a reader's assignment, or off2 gives the post back (off1 made
    // the account: off2 assigns).
    void unassign() {
        Person* p = any(readers());
        const auto& home = home_post_.at(p->name);
        if (p->posts.empty()) {
            officer_change({"post", "assign", home, p->name}, kOff2, kOff1,
                           fmt::format("off2 assigns {} to {}", home, p->name));
            p->posts = {home};
        } else {
            officer_change({"post", "unassign", home, p->name}, kOff1, kOff2,
                           fmt::format("off1 unassigns {} from {}", home, p->name));
            p->posts.clear();
        }
    }

    std::vector<const Person*> with_role(const std::string& role) const {
        std::vector<const Person*> out;
        for (const auto& p : people_) {
            if (p.role == role) {
                out.push_back(&p);
            }
        }
        return out;
    }

    // An officer gives a post to themselves or to an auditor: refused.
    void self_post() {
        const auto* officer = any(with_role("officer"));
        const auto* target = chance(50) ? officer : any(with_role("auditor"));
        const auto& to = any(posts());
        const auto res = m_.admin({"post", "assign", to.name, target->name}, officer->uid);
        const auto what =
            fmt::format("{} assigns post {} to {}", officer->name, to.name, target->name);
        EXPECT_EQ(res.status, 5) << what << "\n" << describe(res);
        EXPECT_NE(res.err.find("separation of duties"), std::string::npos) << what << "\n"
                                                                           << describe(res);
    }

    std::string pending_of(const RunResult& res, const std::string& what) {
        EXPECT_EQ(res.status, 0) << what << "\n" << describe(res);
        const auto doc = parse(res.out);
        if (!doc || res.status != 0) {
            ADD_FAILURE() << what << ": no answer\n" << describe(res);
            return "0";
        }
        EXPECT_EQ(doc->at("status"), "pending") << what << "\n" << res.out;
        const auto id = doc->at("pending_id").as_int64();
        EXPECT_GT(id, max_pending_) << what << ": a pending change id handed out again";
        max_pending_ = std::max(max_pending_, id);
        return std::to_string(id);
    }

    // off1 proposes an account with a role; none of a fresh account of off1's,
    // an officer made after the proposal, or off1 itself may approve it; off2 does.
    void account_role() {
        if (next_uid_ - kFirstNewUid >= 12) {
            return;  // enough people
        }
        const std::string role = chance(50) ? "registrar" : "auditor";
        const auto uid = next_uid_++;
        const auto name = fmt::format("acct{}", uid - kFirstNewUid);
        const auto what = fmt::format("off1 adds {} with role {}", name, role);
        const auto proposal = pending_of(
            m_.admin({"--json", "account", "add", name, "--uid", str(uid), "--role", role}, kOff1),
            what);
        // A plain account off1 makes at once.
        const auto fresh_uid = next_uid_++;
        const auto fresh = fmt::format("acct{}", fresh_uid - kFirstNewUid);
        auto res = m_.admin({"account", "add", fresh, "--uid", str(fresh_uid)}, kOff1);
        ASSERT_EQ(res.status, 0) << "off1 adds plain " << fresh << "\n" << describe(res);
        people_.push_back({fresh, fresh_uid, {}, ""});
        res = m_.admin({"pending", "approve", proposal}, fresh_uid);
        EXPECT_EQ(res.status, 3) << "the fresh account " << fresh << " approves " << what << "\n"
                                 << describe(res);
        // A second officer, approved by off2 (in good faith), made after the proposal.
        if (chance(50) && with_role("officer").size() < 4) {
            const auto sock_uid = next_uid_++;
            const auto sock = fmt::format("acct{}", sock_uid - kFirstNewUid);
            const auto officer = pending_of(m_.admin({"--json", "account", "add", sock, "--uid",
                                                      str(sock_uid), "--role", "officer"},
                                                     kOff1),
                                            "off1 adds officer " + sock);
            res = m_.admin({"pending", "approve", officer}, kOff1);
            EXPECT_EQ(res.status, 5) << "off1 approves its own officer " << sock << "\n"
                                     << describe(res);
            res = m_.admin({"pending", "approve", officer}, kOff2);
            ASSERT_EQ(res.status, 0) << "off2 approves officer " << sock << "\n" << describe(res);
            people_.push_back({sock, sock_uid, {}, "officer"});
            res = m_.admin({"pending", "approve", proposal}, sock_uid);
            EXPECT_EQ(res.status, 5)
                << sock << " (officer since after the proposal) approves " << what << "\n"
                << describe(res);
        }
        res = m_.admin({"pending", "approve", proposal}, kOff1);
        EXPECT_EQ(res.status, 5) << "off1 approves its own " << what << "\n" << describe(res);
        res = m_.admin({"pending", "approve", proposal}, kOff2);
        ASSERT_EQ(res.status, 0) << "off2 approves " << what << "\n" << describe(res);
        people_.push_back({name, uid, {}, role});
        res = m_.tool({"--json", "whoami"}, uid);
        EXPECT_EQ(res.status, 0) << name << " whoami\n" << describe(res);
    }

    void disposal() {
        const auto registrars = with_role("registrar");
        const auto* proposer = any(registrars);
        std::vector<const Person*> others;
        for (const auto* p : registrars) {
            if (p != proposer) {
                others.push_back(p);
            }
        }
        const auto* approver = any(others);
        std::set<std::int64_t> due;
        for (auto& [id, r] : records_) {
            if (!r.raw || r.state != State::live || !r.outstanding.empty() || r.held) {
                continue;
            }
            due.insert(id);
        }
        auto res = m_.admin({"--json", "disposal", "propose"}, proposer->uid);
        const auto what =
            fmt::format("{} proposes a disposal (due: {})", proposer->name, fmt::join(due, ","));
        ASSERT_EQ(res.status, 0) << what << "\n" << describe(res);
        const auto doc = parse(res.out);
        ASSERT_TRUE(doc) << what << "\n" << describe(res);
        std::set<std::int64_t> proposed;
        for (const auto& v : doc->at("records").as_array()) {
            proposed.insert(v.as_int64());
        }
        EXPECT_EQ(proposed, due) << what << "\n" << res.out;
        if (doc->at("batch").is_null()) {
            EXPECT_TRUE(due.empty()) << what << "\n" << res.out;
            return;
        }
        const auto batch = doc->at("batch").as_int64();
        EXPECT_GT(batch, max_batch_) << what << ": a batch number handed out again";
        max_batch_ = std::max(max_batch_, batch);
        const auto sbatch = std::to_string(batch);
        res = m_.admin({"disposal", "approve", sbatch}, proposer->uid);
        EXPECT_EQ(res.status, 5) << proposer->name << " approves its own batch " << batch << "\n"
                                 << describe(res);
        res = m_.admin({"disposal", "execute", sbatch, "-o", m_.out_path("early-" + sbatch)},
                       proposer->uid);
        EXPECT_EQ(res.status, 5) << "batch " << batch << " executed before approval\n"
                                 << describe(res);
        res = m_.admin({"disposal", "approve", sbatch}, approver->uid);
        ASSERT_EQ(res.status, 0) << approver->name << " approves batch " << batch << "\n"
                                 << describe(res);
        const auto cert = m_.out_path(fmt::format("cert-{}.txt", batch));
        res = m_.admin({"--json", "disposal", "execute", sbatch, "-o", cert}, proposer->uid);
        ASSERT_EQ(res.status, 0) << proposer->name << " executes batch " << batch << "\n"
                                 << describe(res);
        for (const auto id : proposed) {
            if (auto* r = find(id)) {
                r->state = State::destroyed;
                r->batch = batch;
            }
        }
        res = m_.admin({"certificate", "verify", cert}, kAuditor);
        EXPECT_EQ(res.status, 0) << "certificate of batch " << batch << "\n" << describe(res);
        certificates_.push_back(cert);
    }

    void backup() {
        const auto path = m_.out_path(fmt::format("model-{}.backup", step_));
        const auto res = m_.admin({"backup", "-o", path}, kOff1);
        ASSERT_EQ(res.status, 0) << "off1 backs up\n" << describe(res);
        backups_.push_back({path, epoch_, records_, step_});
    }

    void restore() {
        if (backups_.empty()) {
            return;
        }
        const auto& b = any(backups_);
        { auto stopped = m_.stop_and_open(); }
        const auto res =
            test::run({daemon_path(), "--dev", m_.state().string(), "--restore", b.path});
        const auto what = fmt::format("restore of the backup of step {} (key {}, now key {})",
                                      b.step, b.epoch, epoch_);
        if (b.epoch != epoch_) {
            EXPECT_NE(res.status, 0) << what << "\n" << describe(res);
            EXPECT_NE(res.err.find("made under another key"), std::string::npos) << what << "\n"
                                                                                 << describe(res);
            m_.start();
            return;
        }
        EXPECT_EQ(res.status, 0) << what << "\n" << describe(res);
        m_.start();
        if (res.status != 0) {
            return;
        }
        ++restores_;
        // Access as it was before the restore: what was withdrawn since the
        // backup (an account suspended, an assignment ended) stays withdrawn,
        // what was given since stays given.
        // The backup's records; the register kept (disseminations too):
        // what was destroyed since stays destroyed, numbered copies are
        // carried; what was entered since is lost (its number not used again).
        std::map<std::int64_t, Rec> next;
        for (const auto& [id, old] : b.records) {
            Rec r = old;
            if (const auto* now = find(id)) {
                if (now->state == State::destroyed) {
                    r.state = State::destroyed;
                    r.batch = now->batch;
                }
                // Numbered copies are carried even for a record lost in
                // between (its copies wait in the register to come back
                // with it): one returned since stays returned.
                r.outstanding = now->outstanding;
                if (now->state != State::lost) {
                    r.held = now->held;
                    // Disseminations since are in the register.
                    r.received = now->received;
                    r.must_share = now->must_share;
                }
                r.copies_issued = std::max(r.copies_issued, now->copies_issued);
            }
            next[id] = r;
        }
        for (const auto& [id, now] : records_) {
            if (!next.contains(id)) {
                Rec r = now;
                if (r.state == State::live) {
                    r.state = State::lost;
                }
                next[id] = r;
            }
        }
        records_ = std::move(next);
    }

    void rekey() {
        { auto stopped = m_.stop_and_open(); }
        std::string key(32, '\0');
        for (auto& c : key) {
            c = static_cast<char>(below(256));
        }
        const auto path = m_.out_path(fmt::format("key-{}.key", step_));
        std::ofstream(path, std::ios::binary) << key;
        fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
        const auto res = test::run({daemon_path(), "--dev", m_.state().string(), "--rekey", path});
        EXPECT_EQ(res.status, 0) << "rekey\n" << describe(res);
        if (res.status == 0) {
            ++epoch_;
        }
        m_.start();
    }

    // After every step: a destroyed record is refused to its originator; a
    // live one reads for its originator; an officer or auditor reads no
    // classified record.
    void cheap_checks() {
        std::vector<std::int64_t> destroyed;
        std::vector<std::int64_t> live;
        std::vector<std::int64_t> classified;
        for (const auto& [id, r] : records_) {
            (r.state == State::destroyed ? destroyed : live).push_back(id);
            if (r.state == State::live && r.level > kUnclassified) {
                classified.push_back(id);
            }
        }
        live.erase(
            std::remove_if(live.begin(), live.end(),
                           [&](std::int64_t id) { return records_.at(id).state != State::live; }),
            live.end());
        if (!destroyed.empty()) {
            const auto id = any(destroyed);
            SCOPED_TRACE("invariant: destroyed content unreadable");
            get(person(records_.at(id).originator), id);
        }
        if (!live.empty()) {
            const auto id = any(live);
            SCOPED_TRACE("invariant: an acknowledged record is present");
            show(person(records_.at(id).originator), id);
        }
        if (!classified.empty()) {
            const auto id = any(classified);
            std::vector<const Person*> oversight;
            for (const auto& p : people_) {
                if (p.oversight()) {
                    oversight.push_back(&p);
                }
            }
            SCOPED_TRACE("invariant: officers and auditors read no content");
            get(*any(oversight), id);
        }
    }

    std::int64_t random_id_known() {
        auto it = records_.begin();
        std::advance(it, static_cast<std::ptrdiff_t>(below(records_.size())));
        return it->first;
    }

    void registry_entry(const Rec& r) {
        const auto res =
            m_.admin({"--json", "report", "registry", "--record", std::to_string(r.id)}, kAuditor);
        const auto what = fmt::format("the registry of record {} ({})", r.id,
                                      r.state == State::live        ? "live"
                                      : r.state == State::destroyed ? "destroyed"
                                                                    : "lost");
        // A lost record stays in the register, with its number, and says so.
        ASSERT_EQ(res.status, 0) << what << "\n" << describe(res);
        if (!r.registry.empty()) {
            EXPECT_NE(res.out.find(r.registry), std::string::npos)
                << what << " lacks " << r.registry << "\n"
                << res.out;
        }
        EXPECT_EQ(res.out.find("\"event\":\"lost\"") != std::string::npos, r.state == State::lost)
            << what << "\n"
            << res.out;
        if (r.state == State::destroyed) {
            // Its destruction is in the registry and in its batch.
            EXPECT_NE(res.out.find(fmt::format("\"event\":\"destroyed\"")), std::string::npos)
                << what << "\n"
                << res.out;
            const auto b =
                m_.admin({"--json", "disposal", "show", std::to_string(r.batch)}, kAuditor);
            ASSERT_EQ(b.status, 0) << what << ": batch " << r.batch << "\n" << describe(b);
            const auto doc = parse(b.out);
            ASSERT_TRUE(doc) << what << "\n" << describe(b);
            bool listed = false;
            for (const auto& i : doc->at("items").as_array()) {
                listed = listed || i.at("record").as_int64() == r.id;
            }
            EXPECT_TRUE(listed) << what << ": not in batch " << r.batch << "\n" << b.out;
        }
    }

    void heavy_checks() {
        // Everyone's list is what the model predicts: nobody sees beyond
        // eligibility and receipt, every acknowledged record is there.
        for (const auto& p : people_) {
            const auto res = m_.tool({"--json", "list", "--limit", "1000"}, p.uid);
            if (p.suspended) {
                EXPECT_EQ(res.status, 3) << p.name << " (suspended) lists\n" << describe(res);
                continue;
            }
            ASSERT_EQ(res.status, 0) << p.name << " lists\n" << describe(res);
            const auto doc = parse(res.out);
            ASSERT_TRUE(doc) << p.name << " lists\n" << describe(res);
            std::set<std::int64_t> got;
            for (const auto& v : doc->at("records").as_array()) {
                got.insert(v.at("id").as_int64());
            }
            std::set<std::int64_t> want;
            for (const auto& [id, r] : records_) {
                if (may_read(p, r)) {
                    want.insert(id);
                }
            }
            std::vector<std::int64_t> extra;
            std::vector<std::int64_t> missing;
            std::set_difference(got.begin(), got.end(), want.begin(), want.end(),
                                std::back_inserter(extra));
            std::set_difference(want.begin(), want.end(), got.begin(), got.end(),
                                std::back_inserter(missing));
            EXPECT_TRUE(extra.empty())
                << p.name
                << " sees records beyond the model: " << fmt::format("{}", fmt::join(extra, ", "));
            EXPECT_TRUE(missing.empty())
                << p.name << " misses records: " << fmt::format("{}", fmt::join(missing, ", "));
        }
        // Destroyed and lost records read for nobody who could have read them.
        for (const auto& [id, r] : records_) {
            if (r.state != State::live) {
                const auto& who = person(r.originator);
                const auto res = m_.tool({"show", std::to_string(id)}, who.uid);
                EXPECT_EQ(res.status, refusal(who))
                    << r.originator << " shows " << id << " ("
                    << (r.state == State::destroyed ? "destroyed" : "lost") << ")\n"
                    << describe(res);
            }
        }
        // The register: every destroyed record and some live ones with their
        // registry numbers. A record lost in a restore (entered after the
        // backup) is not in it: its number stays reserved (README, Restore).
        std::vector<std::int64_t> live;
        for (const auto& [id, r] : records_) {
            if (r.state == State::live) {
                live.push_back(id);
            } else {
                registry_entry(r);
            }
        }
        for (int i = 0; i < 4 && !live.empty(); ++i) {
            registry_entry(records_.at(any(live)));
        }
        // The text index: a record's words find it for those who may read it,
        // and for nobody once it is destroyed or lost.
        for (int i = 0; i < 4 && !records_.empty(); ++i) {
            const auto& r = records_.at(random_id_known());
            const auto& who = chance(50) ? person(r.originator) : any(people_);
            const auto res = m_.tool({"--json", "search", r.word}, who.uid);
            const auto what = fmt::format("{} searches the words of record {}", who.name, r.id);
            if (who.suspended) {
                EXPECT_EQ(res.status, 3) << what << " (suspended)\n" << describe(res);
                continue;
            }
            ASSERT_EQ(res.status, 0) << what << "\n" << describe(res);
            const auto doc = parse(res.out);
            ASSERT_TRUE(doc) << what << "\n" << describe(res);
            std::vector<std::int64_t> got;
            for (const auto& v : doc->at("records").as_array()) {
                got.push_back(v.at("id").as_int64());
            }
            EXPECT_EQ(got, may_read(who, r) ? std::vector<std::int64_t>{r.id}
                                            : std::vector<std::int64_t>{})
                << what << "\n"
                << res.out;
        }
        for (const auto& cert : certificates_) {
            const auto res = m_.admin({"certificate", "verify", cert}, kAuditor);
            EXPECT_EQ(res.status, 0) << "certificate " << cert << "\n" << describe(res);
        }
        auto res = m_.admin({"--json", "audit", "verify"}, kAuditor);
        EXPECT_EQ(res.status, 0) << "audit verify\n" << describe(res);
        res = m_.admin({"--json", "check"}, kAuditor);
        EXPECT_EQ(res.status, 0) << "check\n" << describe(res);
    }

    std::uint64_t seed_;
    int steps_;
    std::mt19937_64 rng_;
    Mission m_;
    std::vector<Person> people_;
    std::map<std::string, std::string> home_post_;  // reader → the post it holds at the start
    std::map<std::int64_t, Rec> records_;
    std::vector<Backup> backups_;
    std::vector<std::string> certificates_;
    std::set<std::string> numbers_;
    std::int64_t max_id_ = 0;
    std::int64_t max_registry_ = 0;
    std::int64_t max_pending_ = 0;
    std::int64_t max_batch_ = 0;
    uid_t next_uid_ = kFirstNewUid;
    int epoch_ = 0;
    int restores_ = 0;
    int words_ = 0;
    int files_ = 0;
    int step_ = 0;
    std::string op_;
};

TEST(Model, RandomOperationsFromEveryRoleMatchTheReferenceModel) {
    const auto seed = g_seed.value_or(env_u64("STRONGROOM_MODEL_SEED", std::random_device{}()));
    const auto steps = g_steps.value_or(static_cast<int>(
        env_u64("STRONGROOM_MODEL_STEPS", static_cast<std::uint64_t>(kDefaultSteps))));
    Model model(seed, steps);
    std::cout << "model test: " << steps << " steps, seed " << seed << "\n"
              << model.replay() << "\n";
    model.run();
}

}  // namespace
}  // namespace strongroom::test

// --steps N and --seed S, then gtest's own arguments.
int main(int argc, char** argv) {
    std::vector<char*> rest{argv[0]};
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if ((a == "--steps" || a == "--seed") && i + 1 < argc) {
            const std::string v = argv[++i];
            if (a == "--steps") {
                strongroom::test::g_steps = std::atoi(v.c_str());
            } else {
                strongroom::test::g_seed = std::strtoull(v.c_str(), nullptr, 10);
            }
        } else {
            rest.push_back(argv[i]);
        }
    }
    int n = static_cast<int>(rest.size());
    rest.push_back(nullptr);  // argv[argc], as gtest expects
    ::testing::InitGoogleTest(&n, rest.data());
    return RUN_ALL_TESTS();
}
