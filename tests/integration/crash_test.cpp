// Crash consistency: the real daemon is killed with SIGKILL, again and
// again, while people work through its socket at once (ingest, large
// uploads, dissemination, numbered copies, disposal execution, backups), and
// while a restore runs. After each kill the daemon is started again and the
// harness checks what a technical officer and an auditor would: the database
// is intact page by page (`check`), the audit chain verifies (`audit
// verify`), every operation that was acknowledged before the kill is there,
// and nothing is half-done (a disposal batch is executed for all its records
// or for none, no upload is left, no backup is left in the daemon's
// temporary directory, no acknowledged backup file is short).
//
// Each person is a forked child with its own uid (setresuid) talking the
// protocol through the client library, so a cycle costs milliseconds of
// set-up, not a process per request. The number of kills is
// STRONGROOM_CRASH_CYCLES (default 200), the
// seed STRONGROOM_CRASH_SEED (default: from the clock, printed, so a failing
// run replays).
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "admin-tools/client/client.hpp"
#include "daemon/common/text.hpp"
#include "daemon/crypto/digest.hpp"
#include "daemon/store/records.hpp"
#include "daemon/store/store.hpp"
#include "tests/integration/actors.hpp"
#include "tests/integration/mission.hpp"

namespace strongroom::test {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr uid_t kAuditor = 61021;
constexpr uid_t kClerk2 = 61022;

int env_int(const char* name, int fallback) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? std::atoi(v) : fallback;
}

constexpr int kDefaultCycles = 200;

std::string sha256_hex(const std::string& data) {
    return to_hex(crypto::sha256(std::string_view(data)));
}

// What the people were told was done, as the children reported it.
struct Acks {
    std::map<std::int64_t, std::string> ingested;  // id -> sha256
    std::set<std::int64_t> disseminated;           // to jmac-analyst
    std::set<std::pair<std::int64_t, std::int64_t>> copies;
    std::set<std::int64_t> executed;               // disposal batches
    std::map<std::string, std::uint64_t> backups;  // path -> bytes
};

// Parses a child's lines into acks; returns the failures it reported.
std::vector<std::string> absorb(const std::vector<std::string>& lines, Acks& acks) {
    std::vector<std::string> failures;
    for (const auto& line : lines) {
        std::istringstream in(line);
        std::string kind;
        in >> kind;
        if (kind == "ingest") {
            std::int64_t id = 0;
            std::string sha;
            in >> id >> sha;
            acks.ingested[id] = sha;
        } else if (kind == "dissem") {
            std::int64_t id = 0;
            in >> id;
            acks.disseminated.insert(id);
        } else if (kind == "copy") {
            std::int64_t id = 0;
            std::int64_t n = 0;
            in >> id >> n;
            acks.copies.emplace(id, n);
        } else if (kind == "executed") {
            std::int64_t b = 0;
            in >> b;
            acks.executed.insert(b);
        } else if (kind == "backup") {
            std::string path;
            std::uint64_t bytes = 0;
            in >> path >> bytes;
            acks.backups[path] = bytes;
        } else if (kind == "FAIL") {
            failures.push_back(line);
        }
    }
    return failures;
}

std::string text_of(std::mt19937_64& rng, std::size_t bytes) {
    static const char* words[] = {"patrol", "ford",   "convoy",  "checkpoint", "militia",
                                  "market", "bridge", "harbour", "airstrip",   "village"};
    std::string out;
    while (out.size() < bytes) {
        out += words[rng() % 10];
        out += (rng() % 12 == 0) ? '\n' : ' ';
    }
    return out;
}

// The people's work during one cycle, until they are killed.
struct Work {
    std::string socket;
    fs::path out_dir;
    std::uint64_t seed = 0;
    int cycle = 0;
    std::vector<std::int64_t> own;       // chief's acknowledged records so far
    std::vector<std::int64_t> readable;  // disseminated to jmac-analyst so far
    std::vector<std::int64_t> approved;  // disposal batches to execute
};

void chief_work(const Work& w, int out) {
    std::mt19937_64 rng(w.seed * 31 + 1);
    Link link(w.socket);
    std::vector<std::int64_t> mine = w.own;
    for (int i = 0;; ++i) {
        if (!mine.empty() && rng() % 3 == 0) {
            const auto id = mine[rng() % mine.size()];
            auto r = link.call("disseminate", {{"id", id}, {"to", json::array{"jmac-analyst"}}});
            if (r && !r->error) {
                say(out, fmt::format("dissem {}", id));
            } else if (r && r->error) {
                say(out, fmt::format("FAIL disseminate {}: {}", id, r->error->message));
            }
            continue;
        }
        // Mostly small records; now and then one large enough to be written ahead.
        const bool large = rng() % 10 == 0;
        const auto content =
            fmt::format("cycle {} record {}\n", w.cycle, i) + text_of(rng, large ? 700000 : 3000);
        json::object args{{"title", fmt::format("Report {}-{}", w.cycle, i)},
                          {"level", "confidential"},
                          {"compartments", json::array{"JMAC"}}};
        auto r = link.upload("ingest", std::move(args), content);
        if (r && !r->error) {
            const auto id = r->result.at("id").as_int64();
            mine.push_back(id);
            say(out, fmt::format("ingest {} {}", id, sha256_hex(content)));
        } else if (r && r->error && r->error->code != ErrorCode::unavailable) {
            say(out, fmt::format("FAIL ingest: {}", r->error->message));
        }
    }
}

void analyst_work(const Work& w, int out) {
    std::mt19937_64 rng(w.seed * 31 + 2);
    Link link(w.socket);
    std::string sink;
    while (!w.readable.empty()) {
        const auto id = w.readable[rng() % w.readable.size()];
        auto r = link.download("get", {{"id", id}, {"purpose", "crash test"}}, sink);
        if (r && !r->error && r->result.contains("copy")) {
            say(out, fmt::format("copy {} {}", id, r->result.at("copy").as_int64()));
        }
    }
    for (;;) {
        link.call("whoami", {});
    }
}

void clerk_work(const Work& w, int out) {
    Link link(w.socket);
    for (const auto b : w.approved) {
        for (;;) {
            auto r = link.call("disposal.execute", {{"batch", b}});
            if (!r) {
                continue;  // the daemon is gone or going: try again until killed
            }
            if (!r->error) {
                say(out, fmt::format("executed {}", b));
            }
            break;
        }
    }
    for (;;) {
        link.call("whoami", {});
    }
}

void officer_work(const Work& w, int out) {
    std::mt19937_64 rng(w.seed * 31 + 4);
    Link link(w.socket);
    std::string sink;
    for (int i = 0;; ++i) {
        if (rng() % 2 == 0) {
            link.call("status", {});
            continue;
        }
        auto r = link.download("backup", {}, sink);
        if (r && !r->error) {
            const auto path = w.out_dir / fmt::format("backup-{}-{}", w.cycle, i);
            std::ofstream(path, std::ios::binary) << sink;
            say(out, fmt::format("backup {} {}", path.string(), sink.size()));
        }
    }
}

// Ingests two raw acquisition records dated long ago, and has them proposed
// for disposal and approved by two registrars: the batch a cycle executes.
std::optional<std::int64_t> prepare_disposal(Mission& m, int cycle) {
    const auto socket = m.socket();
    for (int i = 0; i < 2; ++i) {
        as(kChief, [&](int out) {
            Link link(socket);
            auto r = link.upload("ingest",
                                 {{"title", fmt::format("Raw {}-{}", cycle, i)},
                                  {"level", "unclassified"},
                                  {"type", "raw-acquisition-data"},
                                  {"dated", day_offset(-800)}},
                                 fmt::format("raw acquisition {} {}\n", cycle, i));
            if (!r || r->error) {
                say(out, "FAIL raw ingest");
            }
        });
    }
    std::optional<std::int64_t> batch;
    for (const auto& line : as(kClerk, [&](int out) {
             Link link(socket);
             auto r = link.call("disposal.propose", {{"limit", 2}});
             if (r && !r->error && r->result.at("batch").is_int64()) {
                 say(out, fmt::format("batch {}", r->result.at("batch").as_int64()));
             }
         })) {
        if (line.rfind("batch ", 0) == 0) {
            batch = std::stoll(line.substr(6));
        }
    }
    if (!batch) {
        return std::nullopt;
    }
    const auto b = *batch;
    as(kClerk2, [&](int) { Link(socket).call("disposal.approve", {{"batch", b}}); });
    return batch;
}

// After a restart: what an auditor, the chief, the analyst and a registrar
// see. Returns the problems found.
std::vector<std::string> verify(Mission& m, const Acks& acks, const std::set<std::int64_t>& batches,
                                const std::map<std::int64_t, std::string>& fresh) {
    std::vector<std::string> problems;
    const auto socket = m.socket();
    auto keep = [&](const std::vector<std::string>& lines) {
        for (const auto& l : lines) {
            if (l.rfind("FAIL", 0) == 0) {
                problems.push_back(l);
            }
        }
    };
    keep(as(kAuditor, [&](int out) {
        Link link(socket);
        auto r = link.call("check", {});
        if (!r || r->error || !r->result.at("intact").as_bool()) {
            say(out, "FAIL the database is not intact: " +
                         (r && !r->error ? json::serialize(r->result) : std::string("no answer")));
        }
        r = link.call("audit.verify", {});
        if (!r || r->error || !r->result.at("intact").as_bool()) {
            say(out, "FAIL the audit chain does not verify: " +
                         (r && !r->error ? json::serialize(r->result) : std::string("no answer")));
        }
    }));
    keep(as(kChief, [&](int out) {
        Link link(socket);
        for (const auto& [id, sha] : fresh) {
            auto r = link.call("show", {{"id", id}});
            if (!r || r->error) {
                say(out, fmt::format("FAIL acknowledged record {} is gone", id));
            } else if (r->result.at("record").at("sha256").as_string() != sha) {
                say(out, fmt::format("FAIL record {} has another content", id));
            }
        }
    }));
    keep(as(kAnalyst, [&](int out) {
        Link link(socket);
        std::map<std::int64_t, std::set<std::int64_t>> issued;
        for (const auto& [id, n] : acks.copies) {
            issued[id].insert(n);
        }
        for (const auto id : acks.disseminated) {
            auto r = link.call("show", {{"id", id}});
            if (!r || r->error) {
                say(out, fmt::format("FAIL acknowledged dissemination of {} is gone", id));
            }
        }
        for (const auto& [id, numbers] : issued) {
            auto r = link.call("copies", {{"id", id}});
            if (!r || r->error) {
                say(out, fmt::format("FAIL copies of {}: no answer", id));
                continue;
            }
            std::set<std::int64_t> there;
            for (const auto& c : r->result.at("copies").as_array()) {
                there.insert(c.at("copy").as_int64());
            }
            for (const auto n : numbers) {
                if (!there.contains(n)) {
                    say(out, fmt::format("FAIL acknowledged copy {} of {} is gone", n, id));
                }
            }
        }
    }));
    keep(as(kClerk, [&](int out) {
        Link link(socket);
        for (const auto b : batches) {
            auto r = link.call("disposal.show", {{"batch", b}});
            if (!r || r->error) {
                say(out, fmt::format("FAIL disposal batch {}: no answer", b));
                continue;
            }
            const auto state = std::string(r->result.at("state").as_string());
            if (acks.executed.contains(b) && state != "executed") {
                say(out, fmt::format("FAIL acknowledged disposal {} is {}", b, state));
            }
            // All or nothing: every record of the batch is destroyed, or none is.
            std::size_t held = 0;
            std::size_t items = 0;
            for (const auto& it : r->result.at("items").as_array()) {
                ++items;
                auto s = link.call("show", {{"id", it.at("record")}});
                held += s && !s->error ? 1 : 0;
            }
            if (state == "executed" ? held != 0 : held != items) {
                say(out, fmt::format("FAIL disposal {} is half-done: {} ({} of {} held)", b, state,
                                     held, items));
            }
        }
    }));
    for (const auto& [path, bytes] : acks.backups) {
        std::error_code ec;
        if (fs::file_size(path, ec) != bytes) {
            problems.push_back(fmt::format("acknowledged backup {} is not whole", path));
        }
    }
    const auto tmp = m.state() / "backup-tmp";
    if (fs::exists(tmp) && !fs::is_empty(tmp)) {
        problems.push_back("a backup was left in the daemon's backup-tmp after a restart");
    }
    return problems;
}

TEST(Crash, EveryAcknowledgedOperationSurvivesSigkill) {
    // Kills strongroomd with SIGKILL during concurrent work, many times; after each, the
    // database is intact, the chain verifies, every acknowledged operation is there and nothing
    // is half-done.
    const int cycles = env_int("STRONGROOM_CRASH_CYCLES", kDefaultCycles);
    const auto seed = static_cast<std::uint64_t>(env_int(
        "STRONGROOM_CRASH_SEED",
        static_cast<int>(std::chrono::system_clock::now().time_since_epoch().count() % 1000000)));
    std::cout << "crash test: " << cycles << " kills, seed " << seed
              << " (STRONGROOM_CRASH_SEED=" << seed << " replays it)\n";
    Mission m;
    m.add_role_account("clerk2", kClerk2, "registrar");
    m.add_role_account("aud", kAuditor, "auditor");
    const auto out_dir = m.state().parent_path() / "crash-out";
    fs::create_directories(out_dir);
    fs::permissions(out_dir, fs::perms::all);

    std::mt19937_64 rng(seed);
    Acks acks;
    std::set<std::int64_t> batches;
    std::vector<std::int64_t> approved;
    int kills = 0;
    std::size_t acked = 0;
    for (int cycle = 0; cycle < cycles; ++cycle) {
        SCOPED_TRACE(fmt::format("seed {} cycle {}", seed, cycle));
        if (cycle % 5 == 0) {
            if (auto b = prepare_disposal(m, cycle)) {
                batches.insert(*b);
                approved.push_back(*b);
            }
        }
        Work w;
        w.socket = m.socket();
        w.out_dir = out_dir;
        w.seed = seed + static_cast<std::uint64_t>(cycle);
        w.cycle = cycle;
        for (const auto& [id, sha] : acks.ingested) {
            w.own.push_back(id);
        }
        w.readable.assign(acks.disseminated.begin(), acks.disseminated.end());
        for (const auto b : approved) {
            if (!acks.executed.contains(b)) {
                w.approved.push_back(b);
            }
        }
        std::vector<std::unique_ptr<Actor>> people;
        people.push_back(std::make_unique<Actor>(kChief, [&](int out) { chief_work(w, out); }));
        people.push_back(std::make_unique<Actor>(kAnalyst, [&](int out) { analyst_work(w, out); }));
        people.push_back(std::make_unique<Actor>(kClerk, [&](int out) { clerk_work(w, out); }));
        if (cycle % 4 == 1) {
            people.push_back(
                std::make_unique<Actor>(kOff1, [&](int out) { officer_work(w, out); }));
        }
        // Let them work for a random while, then kill the daemon mid-flight.
        const auto until = std::chrono::steady_clock::now() +
                           std::chrono::milliseconds(20 + static_cast<int>(rng() % 600));
        while (std::chrono::steady_clock::now() < until) {
            for (auto& p : people) {
                p->drain();
            }
            std::this_thread::sleep_for(5ms);
        }
        m.crash();
        ++kills;
        Acks fresh;
        for (auto& p : people) {
            p->kill();
            const auto failures = absorb(p->finish(), fresh);
            for (const auto& f : failures) {
                ADD_FAILURE() << f;
            }
        }
        people.clear();
        acked += fresh.ingested.size() + fresh.disseminated.size() + fresh.copies.size() +
                 fresh.executed.size() + fresh.backups.size();
        acks.ingested.insert(fresh.ingested.begin(), fresh.ingested.end());
        acks.disseminated.insert(fresh.disseminated.begin(), fresh.disseminated.end());
        acks.copies.insert(fresh.copies.begin(), fresh.copies.end());
        acks.executed.insert(fresh.executed.begin(), fresh.executed.end());
        acks.backups.insert(fresh.backups.begin(), fresh.backups.end());

        m.start();
        // This cycle's records, plus a sample of older ones (all of them at the end).
        std::map<std::int64_t, std::string> check = fresh.ingested;
        for (const auto& [id, sha] : acks.ingested) {
            if (rng() % 10 == 0 || cycle + 1 == cycles) {
                check.emplace(id, sha);
            }
        }
        Acks recent = fresh;
        if (cycle + 1 == cycles) {
            recent = acks;
        }
        recent.executed = acks.executed;
        const auto problems = verify(m, recent, batches, check);
        for (const auto& p : problems) {
            ADD_FAILURE() << p;
        }
        if (!problems.empty()) {
            break;
        }
        // Backups are large: keep only those of this cycle for the size check.
        for (const auto& [path, bytes] : acks.backups) {
            fs::remove(path);
        }
        acks.backups.clear();
    }
    std::cout << "crash test: " << kills << " kills survived, " << acked
              << " acknowledged operations checked, " << acks.ingested.size() << " records, "
              << acks.copies.size() << " copies, " << acks.executed.size()
              << " disposal batches executed\n";
    EXPECT_EQ(kills, cycles);
    EXPECT_GT(acks.ingested.size(), static_cast<std::size_t>(cycles / 4)) << "too little work";
    // Offline, at the end: no upload left behind, and the file is intact.
    auto db = m.stop_and_open();
    auto& conn = db->store.writer_connection();
    const auto report = store::check_integrity(conn);
    EXPECT_TRUE(report.ok) << (report.problems.empty() ? "" : report.problems.front());
    std::size_t uploading = 0;
    store::RecordRepository(conn).for_each_in_state(RecordState::uploading,
                                                    [&](store::RecordRow&) { ++uploading; });
    EXPECT_EQ(uploading, 0U);
}

TEST(Crash, AKilledRestoreLeavesAStoreThatStartsOrARestoreToRunAgain) {
    // SIGKILL at random moments of `strongroomd --restore`: afterwards the daemon either starts
    // (intact, chain verifying, the record destroyed after the backup still destroyed) or says
    // to run the restore again, which then completes.
    const int kills = env_int("STRONGROOM_RESTORE_KILLS", 12);
    const auto seed = static_cast<std::uint64_t>(env_int("STRONGROOM_CRASH_SEED", 11));
    std::mt19937_64 rng(seed);
    Mission m;
    m.add_role_account("clerk2", kClerk2, "registrar");
    m.add_role_account("aud", kAuditor, "auditor");
    for (int i = 0; i < 20; ++i) {
        m.ingest(kChief, fmt::format("report {} on the harbour\n", i) + std::string(20000, 'x'),
                 {"--title", fmt::format("Harbour {}", i), "--level", "confidential",
                  "--compartment", "JMAC"});
    }
    const auto doomed = m.ingest(kChief, "intercept of okapi traffic\n",
                                 {"--title", "Intercept", "--level", "unclassified", "--type",
                                  "raw-acquisition-data", "--dated", day_offset(-730)});
    const auto backup = m.out_path("before.backup");
    ASSERT_EQ(m.admin({"backup", "-o", backup}, kOff1).status, 0);
    auto r = m.admin({"--json", "disposal", "propose"}, kClerk);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto batch = std::to_string(r.json().at("batch").as_int64());
    ASSERT_EQ(m.admin({"disposal", "approve", batch}, kClerk2).status, 0);
    ASSERT_EQ(m.admin({"disposal", "execute", batch, "-o", m.out_path("cert.txt")}, kClerk).status,
              0);
    const auto later =
        m.ingest(kChief, "after the backup\n",
                 {"--title", "Later", "--level", "confidential", "--compartment", "JMAC"});
    // How long a whole restore takes here, to aim the kills inside it.
    { auto stopped = m.stop_and_open(); }
    auto started = std::chrono::steady_clock::now();
    const auto copy = m.out_path("copy.backup");
    fs::copy_file(backup, copy, fs::copy_options::overwrite_existing);
    auto whole = std::chrono::steady_clock::now() - started;
    int survived = 0;
    int rerun = 0;
    for (int k = 0; k < kills; ++k) {
        SCOPED_TRACE(fmt::format("seed {} kill {}", seed, k));
        started = std::chrono::steady_clock::now();
        const auto log = m.state().parent_path() / "restore.log";
        const pid_t pid =
            spawn({daemon_path(), "--dev", m.state().string(), "--restore", backup}, {}, log);
        const auto budget = std::max<std::int64_t>(
            20, std::chrono::duration_cast<std::chrono::milliseconds>(whole).count());
        std::this_thread::sleep_for(std::chrono::milliseconds(
            static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(budget))));
        ::kill(pid, SIGKILL);
        const int status = wait_exit(pid, 30s);
        if (status == 0) {
            whole = std::chrono::steady_clock::now() - started;  // it finished first: aim earlier
        } else {
            ++survived;
            if (k == 0) {
                whole = std::chrono::seconds(2);
            }
        }
        try {
            m.start();
        } catch (const std::exception& e) {
            // Refused: it must say what to do, and the restore run again completes.
            const std::string why = e.what();
            EXPECT_NE(why.find("restore"), std::string::npos) << why;
            ++rerun;
            auto again = run({daemon_path(), "--dev", m.state().string(), "--restore", backup});
            ASSERT_EQ(again.status, 0) << again.out << again.err;
            m.start();
        }
        r = m.admin({"--json", "check"}, kAuditor);
        EXPECT_EQ(r.status, 0) << r.out << r.err;
        r = m.admin({"--json", "audit", "verify"}, kAuditor);
        EXPECT_EQ(r.status, 0) << r.out << r.err;
        EXPECT_EQ(m.tool({"show", std::to_string(doomed)}, kChief).status, 4)
            << "a record destroyed after the backup came back";
        EXPECT_EQ(m.tool({"show", "1"}, kChief).status, 0) << "a record of the backup is gone";
        { auto stopped = m.stop_and_open(); }
    }
    // A restore left to finish.
    r = run({daemon_path(), "--dev", m.state().string(), "--restore", backup});
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    m.start();
    EXPECT_EQ(m.tool({"show", std::to_string(doomed)}, kChief).status, 4);
    r = m.admin({"--json", "audit", "verify"}, kAuditor);
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    (void)later;
    std::cout << "restore kills: " << kills << " (" << survived << " mid-restore, " << rerun
              << " needed the restore run again)\n";
}

}  // namespace
}  // namespace strongroom::test
