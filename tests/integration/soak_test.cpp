// Soak: 64 people work through the real daemon's socket at once for a while
// (STRONGROOM_SOAK_SECONDS, default 300; an hour on demand with 3600), with
// the mix of a mission's day: analysts and a second desk reading what was
// disseminated to them and now and then drawing a numbered copy, the chief
// registering reports and disseminating them, a police desk asking for
// records it may not see (refused), auditors reading the trail and the
// daemon's status. Afterwards the harness checks what an operator watching
// the appliance would: nobody got an answer they should not have (every
// error was one the mix expects), the daemon's memory and open files stayed
// flat once it had warmed up, the audit chain verifies, the database is
// intact, and no read was answered before its audit entry was durable (the
// writer's `answered_early` and `durable_after_10ms` stay 0).
//
// STRONGROOM_SOAK_SEED seeds the mix (default: from the clock, printed).
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/integration/actors.hpp"
#include "tests/integration/mission.hpp"

namespace strongroom::test {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr uid_t kAuditor = 61021;

long env_long(const char* name, long fallback) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? std::atol(v) : fallback;
}

// The daemon's resident memory (KiB) and open descriptors, from /proc.
struct Usage {
    long rss_kib = 0;
    long fds = 0;
};

Usage usage_of(pid_t pid) {
    Usage u;
    std::ifstream status(fmt::format("/proc/{}/status", pid));
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("VmRSS:", 0) == 0) {
            u.rss_kib = std::atol(line.c_str() + 6);
        }
    }
    std::error_code ec;
    for (fs::directory_iterator it(fmt::format("/proc/{}/fd", pid), ec), end; !ec && it != end;
         it.increment(ec)) {
        ++u.fds;
    }
    return u;
}

// One person's loop until the deadline; reports "n OP MICROS" per answer
// summed up at the end ("count OP N TOTAL_US MAX_US"), and "FAIL ..." for
// an answer the mix does not expect.
struct Tally {
    std::map<std::string, std::tuple<long, long, long>> ops;  // count, total us, max us
    void add(const std::string& op, Clock::duration took) {
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(took).count();
        auto& [n, total, most] = ops[op];
        ++n;
        total += us;
        most = std::max<long>(most, us);
    }
    void report(int out) const {
        for (const auto& [op, t] : ops) {
            say(out, fmt::format("count {} {} {} {}", op, std::get<0>(t), std::get<1>(t),
                                 std::get<2>(t)));
        }
    }
};

struct Plan {
    std::string socket;
    Clock::time_point until;
    std::uint64_t seed = 0;
    std::vector<std::int64_t> readable;  // disseminated to jmac-analyst and jmac-desk2
    std::vector<std::int64_t> hidden;    // JMAC records the police desk may not see
};

// Analysts and the second desk: show, list, now and then a numbered copy.
void reader_work(const Plan& p, int out) {
    std::mt19937_64 rng(p.seed);
    Link link(p.socket);
    Tally t;
    std::string sink;
    while (Clock::now() < p.until) {
        const auto id = p.readable[rng() % p.readable.size()];
        const auto pick = rng() % 20;
        const auto start = Clock::now();
        std::optional<protocol::Response> r;
        std::string op;
        if (pick == 0) {
            op = "get";
            r = link.download("get", {{"id", id}, {"purpose", "soak"}}, sink);
        } else if (pick < 3) {
            op = "list";
            r = link.call("list", {});
        } else {
            op = "show";
            r = link.call("show", {{"id", id}});
        }
        if (!r) {
            say(out, fmt::format("FAIL {} {}: connection failed", op, id));
            continue;
        }
        t.add(op, Clock::now() - start);
        if (r->error) {
            say(out, fmt::format("FAIL {} {}: {}", op, id, r->error->message));
        }
    }
    t.report(out);
}

// The chief: registers small reports and disseminates them to both desks.
void chief_work(const Plan& p, int out) {
    std::mt19937_64 rng(p.seed);
    Link link(p.socket);
    Tally t;
    int i = 0;
    while (Clock::now() < p.until) {
        const auto start = Clock::now();
        std::string content = fmt::format("soak report {} {}\n", p.seed, ++i);
        content.append(1000 + rng() % 7000, 'x');
        auto r = link.upload("ingest",
                             {{"title", fmt::format("Soak {}", i)},
                              {"level", "confidential"},
                              {"compartments", json::array{"JMAC"}}},
                             content);
        if (!r) {
            say(out, "FAIL ingest: connection failed");
            continue;
        }
        t.add("ingest", Clock::now() - start);
        if (r->error) {
            say(out, fmt::format("FAIL ingest: {}", r->error->message));
            continue;
        }
        const auto id = r->result.at("id").as_int64();
        const auto d = Clock::now();
        r = link.call("disseminate",
                      {{"id", id}, {"to", json::array{"jmac-analyst", "jmac-desk2"}}});
        if (!r || r->error) {
            say(out, fmt::format("FAIL disseminate {}: {}", id,
                                 r ? r->error->message : "connection failed"));
            continue;
        }
        t.add("disseminate", Clock::now() - d);
        // Pauses like a person between reports.
        std::this_thread::sleep_for(std::chrono::milliseconds(20 + rng() % 60));
    }
    t.report(out);
}

// The police desk: asks for JMAC records; every answer must be a refusal
// that says nothing of the record (not_found).
void outsider_work(const Plan& p, int out) {
    std::mt19937_64 rng(p.seed);
    Link link(p.socket);
    Tally t;
    while (Clock::now() < p.until) {
        const auto id = p.hidden[rng() % p.hidden.size()];
        const auto start = Clock::now();
        auto r = link.call("show", {{"id", id}});
        if (!r) {
            say(out, "FAIL show: connection failed");
            continue;
        }
        t.add("show-refused", Clock::now() - start);
        if (!r->error || r->error->code != ErrorCode::not_found) {
            say(out, fmt::format("FAIL police read record {}", id));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 10));
    }
    t.report(out);
}

// Auditors: the recent trail and the daemon's status.
void auditor_work(const Plan& p, int out) {
    std::mt19937_64 rng(p.seed);
    Link link(p.socket);
    Tally t;
    while (Clock::now() < p.until) {
        const bool status = rng() % 2 == 0;
        const auto start = Clock::now();
        auto r = status ? link.call("status", {}) : link.call("audit.log", {{"limit", 50}});
        const std::string op = status ? "status" : "audit.log";
        if (!r) {
            say(out, fmt::format("FAIL {}: connection failed", op));
            continue;
        }
        t.add(op, Clock::now() - start);
        if (r->error) {
            say(out, fmt::format("FAIL {}: {}", op, r->error->message));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50 + rng() % 100));
    }
    t.report(out);
}

TEST(Soak, SixtyFourPeopleForMinutesWithNothingLostOrLeakedAndEveryReadAuditedFirst) {
    const auto seconds = env_long("STRONGROOM_SOAK_SECONDS", 300);
    const auto seed =
        static_cast<std::uint64_t>(env_long("STRONGROOM_SOAK_SEED", std::time(nullptr)));
    std::printf("[ soak    ] %ld s, seed %llu (replay: STRONGROOM_SOAK_SEED=%llu)\n", seconds,
                static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed));

    // Rates far above what 64 people send; connections: 24 for one uid.
    const std::string conf_text =
        "[limits]\nmax_connections_per_uid = 32\nrequests_per_second = 20000\n"
        "request_burst = 40000\n";
    TempDir conf_dir;
    const auto conf = conf_dir.path() / "soak.conf";
    std::ofstream(conf) << conf_text;
    Mission m(MissionOptions{{}, {"--config", conf.string()}, std::nullopt});
    m.add_role_account("aud", kAuditor, "auditor");

    Plan plan;
    plan.socket = m.socket();
    for (int i = 0; i < 40; ++i) {
        const auto id = m.ingest(kChief, fmt::format("seed report {}\n", i),
                                 {"--title", fmt::format("Seed {}", i), "--level", "confidential",
                                  "--compartment", "JMAC"});
        ASSERT_EQ(m.tool({"disseminate", std::to_string(id), "--to", "jmac-analyst", "--to",
                          "jmac-desk2"},
                         kChief)
                      .status,
                  0);
        plan.readable.push_back(id);
        plan.hidden.push_back(id);
    }

    // Entries the daemon wrote without an answer waiting (its own events)
    // before the people start; none of the people's may be answered early.
    auto before = m.admin({"--json", "status"}, kAuditor);
    ASSERT_EQ(before.status, 0) << before.err;
    const auto early_before =
        before.json().at("writer").at("answered_early").to_number<std::int64_t>();
    const auto late_before =
        before.json().at("writer").at("durable_after_10ms").to_number<std::int64_t>();

    const auto pid = m.daemon_pid();
    const auto started = Clock::now();
    plan.until = started + std::chrono::seconds(seconds);
    std::vector<std::unique_ptr<Actor>> people;
    auto start = [&](uid_t uid, void (*work)(const Plan&, int), int n) {
        for (int i = 0; i < n; ++i) {
            Plan p = plan;
            p.seed = seed * 1000 + people.size();
            people.push_back(std::make_unique<Actor>(uid, [p, work](int out) { work(p, out); }));
        }
    };
    start(kAnalyst, reader_work, 24);
    start(kDesk2, reader_work, 16);
    start(kChief, chief_work, 8);
    start(kPolice, outsider_work, 8);
    start(kAuditor, auditor_work, 8);
    ASSERT_EQ(people.size(), 64U);

    // Memory and descriptors every 2 s; the first fifth is the warm-up.
    std::vector<std::pair<double, Usage>> samples;
    while (Clock::now() < plan.until) {
        std::this_thread::sleep_for(2s);
        for (auto& a : people) {
            a->drain();
        }
        samples.emplace_back(std::chrono::duration<double>(Clock::now() - started).count(),
                             usage_of(pid));
    }
    std::vector<std::string> failures;
    std::map<std::string, std::tuple<long, long, long>> ops;
    for (auto& a : people) {
        for (const auto& line : a->finish()) {
            std::istringstream in(line);
            std::string kind;
            in >> kind;
            if (kind == "FAIL") {
                failures.push_back(line);
            } else if (kind == "count") {
                std::string op;
                long n = 0;
                long total = 0;
                long most = 0;
                in >> op >> n >> total >> most;
                auto& [sn, stotal, smost] = ops[op];
                sn += n;
                stotal += total;
                smost = std::max(smost, most);
            }
        }
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();

    long requests = 0;
    for (const auto& [op, t] : ops) {
        const auto [n, total, most] = t;
        requests += n;
        std::printf("[ soak    ] %-13s %8ld answers, mean %.2f ms, longest %.1f ms\n", op.c_str(),
                    n, n ? static_cast<double>(total) / static_cast<double>(n) / 1000.0 : 0.0,
                    static_cast<double>(most) / 1000.0);
    }
    std::printf("[ soak    ] %ld answers in %.0f s (%.0f/s) to 64 people\n", requests, elapsed,
                static_cast<double>(requests) / elapsed);
    EXPECT_TRUE(failures.empty()) << failures.size() << " unexpected answers, the first: "
                                  << (failures.empty() ? "" : failures.front());
    EXPECT_GT(requests, 64L * seconds / 4) << "the people hardly got answers";

    // Flat after warm-up: nothing later above the warm-up's peak by more
    // than a margin (the page cache of SQLite's readers grows to its bound).
    ASSERT_GE(samples.size(), 5U);
    const auto warm = samples.size() / 5;
    long warm_rss = 0;
    long warm_fds = 0;
    for (std::size_t i = 0; i <= warm; ++i) {
        warm_rss = std::max(warm_rss, samples[i].second.rss_kib);
        warm_fds = std::max(warm_fds, samples[i].second.fds);
    }
    long late_rss = 0;
    long late_fds = 0;
    for (std::size_t i = warm + 1; i < samples.size(); ++i) {
        late_rss = std::max(late_rss, samples[i].second.rss_kib);
        late_fds = std::max(late_fds, samples[i].second.fds);
    }
    std::printf(
        "[ soak    ] daemon RSS %ld KiB at warm-up (%.0f s), %ld KiB at most after, %ld KiB at the "
        "end; descriptors %ld, %ld, %ld\n",
        warm_rss, samples[warm].first, late_rss, samples.back().second.rss_kib, warm_fds, late_fds,
        samples.back().second.fds);
    EXPECT_LE(late_rss, warm_rss + warm_rss / 5 + 16 * 1024) << "the daemon's memory grew";
    EXPECT_LE(late_fds, warm_fds + 8) << "the daemon's open descriptors grew";

    // Every read's entry durable before its answer.
    auto r = m.admin({"--json", "status"}, kAuditor);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto writer = r.json().at("writer").as_object();
    std::printf(
        "[ soak    ] writer: %lld commits, largest batch %lld, answered early %lld "
        "(%lld before the people started), durable after 10 ms %lld\n",
        static_cast<long long>(writer.at("commits").to_number<std::int64_t>()),
        static_cast<long long>(writer.at("largest_batch").to_number<std::int64_t>()),
        static_cast<long long>(writer.at("answered_early").to_number<std::int64_t>()),
        static_cast<long long>(early_before),
        static_cast<long long>(writer.at("durable_after_10ms").to_number<std::int64_t>()));
    EXPECT_EQ(writer.at("answered_early").to_number<std::int64_t>(), early_before);
    EXPECT_EQ(writer.at("durable_after_10ms").to_number<std::int64_t>(), late_before);

    r = m.admin({"audit", "verify"}, kAuditor);
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    r = m.admin({"check"}, kAuditor);
    EXPECT_EQ(r.status, 0) << r.out << r.err;
}

}  // namespace
}  // namespace strongroom::test
