// End-to-end tests of faults and limits (issue 13): the state directory on a
// small file system that ingests and filler files fill up, and the Nth
// write, sync, rename or open of the daemon failing with EIO or ENOSPC
// (its fault injection hook, daemon/common/faults.hpp) during ingest,
// dissemination, get, disposal and backup. The real daemon and tools.
#include "daemon/common/faults.hpp"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "daemon/store/sqlite.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/mission.hpp"

namespace strongroom::test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

constexpr uid_t kAuditor = 61021;
constexpr uid_t kClerk2 = 61022;

// A tmpfs of a given size mounted on a new directory (the state directory),
// with a configuration file beside it; unmounted at the end, after the
// Mission declared later has stopped its daemon.
class SmallFileSystem {
public:
    explicit SmallFileSystem(unsigned size_mib) : path_(dir_.path() / "state") {
        fs::create_directory(path_);
        const auto opts = fmt::format("size={}m,mode=0711", size_mib);
        if (::mount("tmpfs", path_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, opts.c_str()) != 0) {
            throw std::runtime_error(fmt::format("cannot mount a tmpfs on {}: {}", path_.string(),
                                                 std::strerror(errno)));
        }
    }
    ~SmallFileSystem() { ::umount2(path_.c_str(), MNT_DETACH); }
    SmallFileSystem(const SmallFileSystem&) = delete;
    SmallFileSystem& operator=(const SmallFileSystem&) = delete;

    const fs::path& path() const { return path_; }

    // A configuration file (outside the small file system) with these lines.
    std::string config(const std::string& text) const {
        const auto p = dir_.path() / "strongroomd.conf";
        std::ofstream(p) << text;
        return p.string();
    }

    // Writes a file of zeros in 256 KiB steps until the file system is full
    // or max bytes are written; returns the bytes written.
    std::uint64_t fill(const std::string& name, std::uint64_t max = UINT64_MAX) const {
        const auto p = path_ / name;
        const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        EXPECT_GE(fd, 0) << std::strerror(errno);
        const std::string block(256 * 1024, '\0');
        std::uint64_t written = 0;
        while (fd >= 0 && written < max) {
            const auto n = ::write(fd, block.data(), block.size());
            if (n <= 0) {
                EXPECT_EQ(errno, ENOSPC);
                break;
            }
            written += static_cast<std::uint64_t>(n);
        }
        ::close(fd);
        return written;
    }
    void remove(const std::string& name) const { fs::remove(path_ / name); }

private:
    TempDir dir_;
    fs::path path_;
};

json::object status(Mission& m) {
    auto r = m.admin({"--json", "status"}, kOff1);
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    return r.status == 0 ? r.json().as_object() : json::object{};
}

std::string error_message(const RunResult& r) {
    boost::system::error_code ec;
    const auto v = json::parse(r.out, ec);
    if (ec || !v.is_object() || !v.as_object().contains("error")) {
        return r.err;
    }
    return std::string(v.at("error").at("message").as_string());
}

// Content that is not text (no full-text indexing), different for each n.
std::string binary(std::size_t size, int n) {
    std::string s(size, '\0');
    for (std::size_t i = 0; i < size; ++i) {
        s[i] = static_cast<char>((i * 7 + static_cast<std::size_t>(n) * 131) % 251);
    }
    s[0] = '\0';
    return s;
}

// Polls status until changes are accepted again (free space looked at).
bool wait_accepting(Mission& m, std::chrono::seconds limit = 15s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        auto r = m.admin({"--json", "status"}, kOff1);
        if (r.status == 0 && r.json().at("disk").at("accepting_changes").as_bool()) {
            return true;
        }
        std::this_thread::sleep_for(200ms);
    }
    return false;
}

// The audit entries of the stopped daemon's store, with an integrity check
// of every page first.
std::vector<store::AuditRow> check_and_read_audit(Mission& m) {
    auto db = m.stop_and_open();
    auto& conn = db->store.writer_connection();
    auto stmt = conn.cached("PRAGMA integrity_check");
    EXPECT_TRUE(stmt->step());
    EXPECT_EQ(stmt->column_text(0), "ok");
    std::vector<store::AuditRow> rows;
    store::AuditRepository(conn).scan(1, [&](const store::AuditRow& r) {
        rows.push_back(r);
        return true;
    });
    return rows;
}

std::size_t count_rows(const std::vector<store::AuditRow>& rows, const std::string& request,
                       const std::string& account, store::Decision decision) {
    return static_cast<std::size_t>(
        std::count_if(rows.begin(), rows.end(), [&](const store::AuditRow& r) {
            return r.record.request == request && r.record.account == account &&
                   r.record.decision == decision;
        }));
}

// Reads (show id, as the analyst) from three threads until done() says so
// (asked every 300 ms) or the limit passes; counts the reads answered and
// those refused.
struct Reads {
    int answered = 0;
    int refused = 0;
};
Reads read_until(Mission& m, std::int64_t id, const std::function<bool()>& done,
                 std::chrono::seconds limit = 60s) {
    std::atomic<bool> stop{false};
    std::atomic<int> answered{0};
    std::atomic<int> refused{0};
    std::vector<std::thread> readers;
    for (int t = 0; t < 3; ++t) {
        readers.emplace_back([&] {
            while (!stop) {
                const auto r = m.tool({"show", std::to_string(id)}, kAnalyst);
                (r.status == 0 ? answered : refused)++;
            }
        });
    }
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline && !done()) {
        std::this_thread::sleep_for(300ms);
    }
    stop = true;
    for (auto& t : readers) {
        t.join();
    }
    return Reads{answered.load(), refused.load()};
}

// True once a commit has found the file system full (status disk.full_events).
bool found_full(Mission& m) {
    auto r = m.admin({"--json", "status"}, kOff1);
    return r.status == 0 && r.json().at("disk").at("full_events").as_int64() >= 1;
}

void verify_chain(Mission& m) {
    auto r = m.admin({"--json", "audit", "verify"}, kAuditor);
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_TRUE(r.json().at("intact").as_bool()) << r.out;
}

TEST(DiskFull, ChangesAreRefusedReadsStayAuditedAndServiceResumesWhenSpaceReturns) {
    // A state directory filled by ingests and then by filler files: the daemon keeps running,
    // changes are refused with one message naming disk space, every read answered has its audit
    // entry, refusals and status are audited, the thresholds are logged and shown, and changes
    // are accepted again by themselves once space is freed.
    SmallFileSystem small(64);
    const auto conf = small.config(
        "[disk]\nreserve_mib = 4\nspace_left_mib = 24\nadmin_space_left_mib = 12\n"
        "check_seconds = 1\n");
    small.fill("ballast", 16ULL << 20);
    Mission m(MissionOptions{{}, {"--config", conf}, small.path()});
    m.add_role_account("aud", kAuditor, "auditor");
    auto st = status(m);
    ASSERT_EQ(st.at("disk").at("state"), "ok") << st;
    EXPECT_TRUE(st.at("disk").at("reserve_held").as_bool());

    // Ingests until changes are refused: three refusals, one message.
    std::vector<std::int64_t> stored;
    std::string refusal;
    int refusals = 0;
    int answered = 0;  // reads answered (show, exit 0), all along
    for (int i = 0; i < 80 && refusals < 3; ++i) {
        const auto path = m.file(fmt::format("blob-{}", i), binary(1 << 20, i));
        auto r = m.tool({"--json", "ingest", path, "--title", fmt::format("Blob {}", i), "--level",
                         "confidential", "--compartment", "JMAC"},
                        kAnalyst);
        if (r.status == 0) {
            stored.push_back(r.json().at("id").as_int64());
            continue;
        }
        ASSERT_EQ(r.status, 6) << r.out << r.err;
        const auto msg = error_message(r);
        if (refusal.empty()) {
            refusal = msg;
        }
        EXPECT_EQ(msg, refusal);
        ++refusals;
    }
    ASSERT_EQ(refusals, 3) << "the file system never filled";
    EXPECT_GE(stored.size(), 10U);
    EXPECT_NE(refusal.find("nearly full"), std::string::npos) << refusal;
    EXPECT_NE(refusal.find(small.path().string()), std::string::npos) << refusal;
    st = status(m);
    EXPECT_EQ(st.at("disk").at("state"), "critical") << st;
    EXPECT_FALSE(st.at("disk").at("accepting_changes").as_bool());
    auto log = m.daemon_log();
    EXPECT_NE(log.find("below [disk] space_left_mib"), std::string::npos) << log;
    EXPECT_NE(log.find("below [disk] admin_space_left_mib"), std::string::npos) << log;

    // The rest of the file system taken by a filler: reads go on, each answered once its entry
    // is durable (the write-ahead log's room, then the reserve; the next test fills that).
    small.fill("filler");
    const auto reads = read_until(
        m, stored[0], [] { return false; }, 3s);
    answered += reads.answered;
    EXPECT_GT(reads.answered, 5);
    EXPECT_EQ(reads.refused, 0);
    // A refused read is audited, an officer's status answered.
    EXPECT_EQ(m.tool({"show", std::to_string(stored[0])}, kPolice).status, 4);
    st = status(m);
    EXPECT_EQ(st.at("disk").at("state"), "critical") << st;
    EXPECT_EQ(st.at("disk").at("free_bytes").as_int64(), 0) << st;
    // Changes still refused with the same message (an ingest, a copy).
    auto r = m.tool({"--json", "ingest", m.file("late", "late\n"), "--title", "Late", "--level",
                     "confidential", "--compartment", "JMAC"},
                    kAnalyst);
    EXPECT_EQ(r.status, 6);
    EXPECT_EQ(error_message(r), refusal);
    r = m.tool({"--json", "get", std::to_string(stored[0]), "-o", m.out_path("copy"), "--purpose",
                "check"},
               kAnalyst);
    EXPECT_EQ(r.status, 6);
    EXPECT_EQ(error_message(r), refusal);
    EXPECT_FALSE(fs::exists(m.out_path("copy")));

    // Space freed: changes are accepted again, without a restart.
    small.remove("filler");
    small.remove("ballast");
    ASSERT_TRUE(wait_accepting(m)) << m.daemon_log();
    st = status(m);
    EXPECT_TRUE(st.at("disk").at("reserve_held").as_bool()) << st;
    const auto again =
        m.ingest(kAnalyst, "after the disk was freed\n",
                 {"--title", "After", "--level", "confidential", "--compartment", "JMAC"});
    EXPECT_GT(again, 0);
    // Logged: back above space_left_mib ("free again"), or above admin_space_left_mib only,
    // which depends on how much the ingests stored ("changes are accepted again").
    const auto log_after = m.daemon_log();
    EXPECT_TRUE(log_after.find("MiB free again") != std::string::npos ||
                log_after.find("changes are accepted again") != std::string::npos)
        << log_after;

    // After a restart: every answered read and every refusal is in an intact trail, every
    // acknowledged record is there.
    const auto rows = check_and_read_audit(m);
    EXPECT_EQ(count_rows(rows, "show", "analyst", store::Decision::allow),
              static_cast<std::size_t>(answered));
    EXPECT_EQ(count_rows(rows, "show", "police", store::Decision::deny), 1U);
    EXPECT_EQ(count_rows(rows, "ingest", "analyst", store::Decision::error), 4U);
    EXPECT_EQ(count_rows(rows, "get", "analyst", store::Decision::error), 1U);
    EXPECT_GE(count_rows(rows, "status", "off1", store::Decision::allow), 4U);
    m.start();
    verify_chain(m);
    for (const auto id : stored) {
        EXPECT_EQ(m.tool({"show", std::to_string(id)}, kAnalyst).status, 0) << id;
    }
}

TEST(DiskFull, ReadsAnsweredAsTheDiskFillsAreAllAudited) {
    // Reads while a filler suddenly takes every free block: the daemon keeps running, a read
    // whose entry the full disk stopped is refused, and every answered read has a durable
    // audit entry.
    SmallFileSystem small(48);
    const auto conf = small.config(
        "[disk]\nreserve_mib = 4\nspace_left_mib = 0\nadmin_space_left_mib = 0\n"
        "check_seconds = 1\n");
    Mission m(MissionOptions{{}, {"--config", conf}, small.path()});
    m.add_role_account("aud", kAuditor, "auditor");
    const auto id =
        m.ingest(kAnalyst, "patrol report\n",
                 {"--title", "Patrol", "--level", "confidential", "--compartment", "JMAC"});
    ASSERT_GT(id, 0);
    std::this_thread::sleep_for(100ms);
    const auto before = read_until(
        m, id, [] { return false; }, 1s);
    small.fill("filler");
    const auto during = read_until(m, id, [&] { return found_full(m); });
    ASSERT_TRUE(found_full(m)) << "no commit found the file system full";
    const Reads reads{before.answered + during.answered, before.refused + during.refused};
    EXPECT_GT(before.answered, 0);
    EXPECT_EQ(before.refused, 0);
    auto st = status(m);
    EXPECT_EQ(st.at("disk").at("state"), "critical") << st;
    EXPECT_GE(st.at("writer").at("failed_commits").as_int64(), 1) << st;
    EXPECT_GE(st.at("writer").at("entries_retried").as_int64(), 1) << st;
    EXPECT_FALSE(st.at("disk").at("reserve_held").as_bool()) << "the reserve was not used: " << st;
    EXPECT_FALSE(st.at("disk").at("accepting_changes").as_bool());
    auto r = m.tool({"--json", "ingest", m.file("late", "late\n"), "--title", "Late", "--level",
                     "confidential", "--compartment", "JMAC"},
                    kAnalyst);
    EXPECT_EQ(r.status, 6);
    EXPECT_NE(error_message(r).find("nearly full"), std::string::npos) << r.out;
    const auto log = m.daemon_log();
    EXPECT_NE(log.find("is full"), std::string::npos) << log;
    EXPECT_NE(log.find("reserve released"), std::string::npos) << log;
    small.remove("filler");
    ASSERT_TRUE(wait_accepting(m)) << m.daemon_log();
    EXPECT_TRUE(status(m).at("disk").at("reserve_held").as_bool());
    const auto rows = check_and_read_audit(m);
    EXPECT_EQ(count_rows(rows, "show", "analyst", store::Decision::allow),
              static_cast<std::size_t>(reads.answered));
    m.start();
    verify_chain(m);
}

// --- fault injection ---------------------------------------------------------

std::uint64_t shared_pending(pid_t pid) {
    std::ifstream in(fmt::format("/proc/{}/status", pid));
    std::string line;
    while (std::getline(in, line)) {
        if (line.starts_with("ShdPnd:")) {
            return std::stoull(line.substr(7), nullptr, 16);
        }
    }
    return 0;
}

// Sends the daemon a fault spec (0 disarms) and waits until a thread took it.
void signal_faults(Mission& m, std::int32_t value) {
    sigval v{};
    v.sival_int = value;
    ASSERT_EQ(::sigqueue(m.daemon_pid(), SIGUSR2, v), 0) << std::strerror(errno);
    const std::uint64_t bit = 1ULL << (SIGUSR2 - 1);
    for (int i = 0; i < 1000 && (shared_pending(m.daemon_pid()) & bit) != 0; ++i) {
        std::this_thread::sleep_for(1ms);
    }
    std::this_thread::sleep_for(5ms);  // the handler's store is done by then
}

void arm(Mission& m, const faults::Spec& spec) {
    signal_faults(m, faults::encode(spec));
}
void disarm(Mission& m) {
    signal_faults(m, 0);
}

// Status, waiting while the writer is blocked (it answers nothing then).
json::object status_when_serving(Mission& m) {
    for (int i = 0; i < 100; ++i) {
        auto r = m.admin({"--json", "status"}, kOff1);
        if (r.status == 0) {
            return r.json().as_object();
        }
        std::this_thread::sleep_for(100ms);
    }
    ADD_FAILURE() << "strongroomd does not serve again: " << m.daemon_log();
    return {};
}

std::uint64_t injected(Mission& m) {
    const auto st = status_when_serving(m);
    return st.contains("faults_injected") ? st.at("faults_injected").to_number<std::uint64_t>() : 0;
}

// A clear error: unavailable, naming what failed.
void expect_clear_error(const RunResult& r, const std::string& what) {
    EXPECT_EQ(r.status, 6) << what << ": " << r.out << r.err;
    const auto msg = error_message(r);
    const bool named = msg.find("could not write") != std::string::npos ||
                       msg.find("nearly full") != std::string::npos ||
                       msg.find("cannot write its audit trail") != std::string::npos ||
                       msg.find("backup could not be written") != std::string::npos;
    EXPECT_TRUE(named) << what << ": " << msg;
}

// The faults tried for one operation: the Nth write for a range of N, the
// Nth sync, and (extra) other calls; EIO and ENOSPC in turn.
std::vector<faults::Spec> specs_for(unsigned extra_calls = 0) {
    std::vector<faults::Spec> out;
    int k = 0;
    auto add = [&](unsigned calls, std::uint32_t nth) {
        out.push_back(faults::Spec{calls, nth, (k++ % 2) == 0 ? ENOSPC : EIO, false});
    };
    for (std::uint32_t n : {1U, 2U, 3U, 4U, 5U, 6U, 8U, 10U, 13U, 17U, 24U, 40U}) {
        add(faults::bit(faults::Call::write), n);
    }
    for (std::uint32_t n : {1U, 2U, 3U}) {
        add(faults::bit(faults::Call::sync), n);
    }
    for (unsigned c = 0; c < faults::kCalls; ++c) {
        if ((extra_calls & (1U << c)) != 0) {
            add(1U << c, 1);
            add(1U << c, 2);
        }
    }
    return out;
}

struct Tally {
    std::uint64_t injected = 0;
    int runs = 0;
    int failed = 0;
};

// Runs one operation under each spec: prepare (not armed), then the
// operation armed; a failure must be a clear error with a fault behind it,
// and the daemon must serve again (changes too) afterwards.
template <class Prepare, class Run, class Check>
void sweep(Mission& m, const std::string& name, const std::vector<faults::Spec>& specs,
           Tally& tally, Prepare prepare, Run run, Check check) {
    for (const auto& spec : specs) {
        const auto context = prepare();
        const auto before = injected(m);
        arm(m, spec);
        const RunResult r = run(context);
        disarm(m);
        const auto fired = injected(m) - before;
        tally.injected += fired;
        ++tally.runs;
        const auto what = fmt::format("{} with {}", name, faults::describe(spec));
        if (r.status != 0) {
            ++tally.failed;
            EXPECT_GT(fired, 0U) << what << " failed with no fault injected: " << r.err;
            expect_clear_error(r, what);
        }
        check(context, r);
        ASSERT_TRUE(wait_accepting(m)) << what << ": " << m.daemon_log();
    }
}

TEST(Faults, TheNthWriteOrSyncFailingLosesNothingAcknowledged) {
    // For ingest (small and written ahead), disseminate, get, disposal and backup, the Nth
    // write or sync (and, for backups, open and rename) fails with EIO or ENOSPC for a range
    // of N: each failure is a clear error, the daemon serves again at once, and after a restart
    // every acknowledged record, copy, dissemination, destruction and audit entry is there, the
    // database passes its integrity check and the audit chain verifies.
    const TempDir conf_dir;
    const auto conf = (conf_dir.path() / "strongroomd.conf").string();
    std::ofstream(conf) << "[disk]\nreserve_mib = 1\nspace_left_mib = 0\nadmin_space_left_mib = "
                           "0\ncheck_seconds = 1\n[audit]\ncheckpoint_every = 7\n";
    Mission m(MissionOptions{{{"STRONGROOM_FAULT_INJECTION", "1"}}, {"--config", conf}, {}});
    m.add_role_account("aud", kAuditor, "auditor");
    m.add_role_account("clerk2", kClerk2, "registrar");
    ASSERT_NE(m.daemon_log().find("fault injection enabled"), std::string::npos);
    Tally tally;
    struct Stored {
        std::int64_t id;
        std::size_t size;
        int n;  // binary(size, n) is its content
    };
    std::vector<Stored> ingested;
    int counter = 0;

    // Ingest: a small record, and one large enough to be written ahead (1.5 MiB).
    for (const std::size_t size : {std::size_t{3000}, std::size_t{1536 * 1024}}) {
        sweep(
            m, fmt::format("ingest of {} bytes", size), specs_for(), tally,
            [&] {
                ++counter;
                return std::make_pair(m.file(fmt::format("in-{}", counter), binary(size, counter)),
                                      counter);
            },
            [&](const std::pair<std::string, int>& c) {
                return m.tool({"--json", "ingest", c.first, "--title", "Faulty", "--level",
                               "confidential", "--compartment", "JMAC"},
                              kAnalyst);
            },
            [&](const std::pair<std::string, int>& c, const RunResult& r) {
                if (r.status == 0) {
                    ingested.push_back({r.json().at("id").as_int64(), size, c.second});
                }
            });
    }

    // Disseminate: a record of the chief's to the analyst's post.
    std::vector<std::int64_t> disseminated;
    std::vector<std::int64_t> not_disseminated;
    sweep(
        m, "disseminate", specs_for(), tally,
        [&] {
            return m.ingest(
                kChief, fmt::format("assessment {}\n", ++counter),
                {"--title", "Assessment", "--level", "confidential", "--compartment", "JMAC"});
        },
        [&](std::int64_t id) {
            return m.tool({"disseminate", std::to_string(id), "--to", "jmac-analyst"}, kChief);
        },
        [&](std::int64_t id, const RunResult& r) {
            (r.status == 0 ? disseminated : not_disseminated).push_back(id);
        });

    // Get: a numbered copy of the analyst's own record.
    std::vector<std::int64_t> copied;
    sweep(
        m, "get", specs_for(), tally,
        [&] {
            const auto id =
                m.ingest(kAnalyst, fmt::format("note {}\n", ++counter),
                         {"--title", "Note", "--level", "confidential", "--compartment", "JMAC"});
            return std::make_pair(id, m.out_path(fmt::format("copy-{}", counter)));
        },
        [&](const std::pair<std::int64_t, std::string>& c) {
            return m.tool({"get", std::to_string(c.first), "-o", c.second, "--purpose", "check"},
                          kAnalyst);
        },
        [&](const std::pair<std::int64_t, std::string>& c, const RunResult& r) {
            EXPECT_EQ(fs::exists(c.second), r.status == 0) << c.second;
            if (r.status == 0) {
                copied.push_back(c.first);
            }
        });

    // Disposal: one record due for destruction per batch, proposed and approved, then executed.
    std::vector<std::int64_t> destroyed;
    std::vector<std::string> unexecuted;
    sweep(
        m, "disposal execute", specs_for(), tally,
        [&] {
            const auto id =
                m.ingest(kAnalyst, fmt::format("intercept {}\n", ++counter),
                         {"--title", "Intercept", "--level", "confidential", "--compartment",
                          "JMAC", "--type", "raw-acquisition-data", "--dated", day_offset(-730)});
            auto r = m.admin({"--json", "disposal", "propose"}, kClerk);
            EXPECT_EQ(r.status, 0) << r.err;
            const auto batch = std::to_string(r.json().at("batch").as_int64());
            EXPECT_EQ(m.admin({"disposal", "approve", batch}, kClerk2).status, 0);
            return std::make_pair(id, batch);
        },
        [&](const std::pair<std::int64_t, std::string>& c) {
            return m.admin({"disposal", "execute", c.second, "-o", m.out_path("cert-" + c.second)},
                           kClerk);
        },
        [&](const std::pair<std::int64_t, std::string>& c, const RunResult& r) {
            if (r.status == 0) {
                destroyed.push_back(c.first);
            } else {
                unexecuted.push_back(c.second);
                // Nothing of it was done: the record is still there.
                EXPECT_EQ(m.tool({"show", std::to_string(c.first)}, kAnalyst).status, 0);
            }
        });
    // A batch whose execution failed executes once the fault is gone.
    for (const auto& batch : unexecuted) {
        EXPECT_EQ(
            m.admin({"disposal", "execute", batch, "-o", m.out_path("cert-again-" + batch)}, kClerk)
                .status,
            0);
    }

    // Backup: the content backup (through SQLite) and the key-store backup (the daemon's own
    // file writer), with open and rename failing too.
    int backups = 0;
    sweep(
        m, "backup", specs_for(faults::bit(faults::Call::open) | faults::bit(faults::Call::rename)),
        tally, [&] { return m.out_path(fmt::format("backup-{}", ++counter)); },
        [&](const std::string& out) {
            return m.admin({"backup", "-o", out}, kOff1);
        },
        [&](const std::string& out, const RunResult& r) {
            EXPECT_EQ(fs::exists(out), r.status == 0) << out << ": " << r.err;
            backups += r.status == 0 ? 1 : 0;
        });

    std::cout << "[ faults  ] " << tally.injected << " faults injected in " << tally.runs
              << " runs; " << tally.failed << " requests failed with a clear error\n";
    RecordProperty("faults_injected", static_cast<int>(tally.injected));
    EXPECT_GE(tally.failed, 30);
    EXPECT_GT(backups, 0);

    // After a restart: nothing acknowledged is lost; the store and the chain are intact.
    const auto rows = check_and_read_audit(m);
    for (const auto& s : ingested) {
        const auto object = fmt::format("record:{}", s.id);
        EXPECT_TRUE(std::any_of(rows.begin(), rows.end(),
                                [&](const store::AuditRow& a) {
                                    return a.record.request == "ingest" &&
                                           a.record.object == object &&
                                           a.record.decision == store::Decision::allow;
                                }))
            << "no audit entry for acknowledged ingest " << s.id;
    }
    m.start();
    verify_chain(m);
    for (const auto& s : ingested) {
        auto r = m.tool({"--json", "show", std::to_string(s.id)}, kAnalyst);
        ASSERT_EQ(r.status, 0) << s.id;
        EXPECT_EQ(r.json().at("record").at("size").as_int64(), static_cast<std::int64_t>(s.size));
        const auto out = m.out_path(fmt::format("check-{}", s.id));
        ASSERT_EQ(
            m.tool({"get", std::to_string(s.id), "-o", out, "--purpose", "check"}, kAnalyst).status,
            0)
            << s.id;
        EXPECT_TRUE(read_file(out) == binary(s.size, s.n)) << "the content of " << s.id;
    }
    for (const auto id : disseminated) {
        EXPECT_EQ(m.tool({"show", std::to_string(id)}, kAnalyst).status, 0) << id;
    }
    for (const auto id : not_disseminated) {
        EXPECT_EQ(m.tool({"show", std::to_string(id)}, kAnalyst).status, 4) << id;
    }
    for (const auto id : copied) {
        auto r = m.tool({"--json", "copies", std::to_string(id)}, kAnalyst);
        ASSERT_EQ(r.status, 0) << r.err;
        EXPECT_FALSE(r.json().at("copies").as_array().empty()) << id;
    }
    for (const auto id : destroyed) {
        EXPECT_EQ(m.tool({"show", std::to_string(id)}, kAnalyst).status, 4) << id;
    }
}

TEST(Faults, WhileNoAuditEntryCanBeWrittenNothingIsAnsweredAndServiceResumesByItself) {
    // Every write failing (ENOSPC, then EIO): the read that waits for its entry is refused,
    // every later request (status too) gets the same message naming the cause, nothing is
    // answered unaudited, and once writes succeed again the held entries are stored and the
    // daemon serves by itself.
    const TempDir conf_dir;
    const auto conf = (conf_dir.path() / "strongroomd.conf").string();
    std::ofstream(conf) << "[disk]\nreserve_mib = 1\nspace_left_mib = 0\nadmin_space_left_mib = "
                           "0\ncheck_seconds = 1\n";
    Mission m(MissionOptions{{{"STRONGROOM_FAULT_INJECTION", "1"}}, {"--config", conf}, {}});
    m.add_role_account("aud", kAuditor, "auditor");
    const auto id =
        m.ingest(kAnalyst, "patrol\n",
                 {"--title", "Patrol", "--level", "confidential", "--compartment", "JMAC"});
    int answered = 0;
    for (const int error : {ENOSPC, EIO}) {
        arm(m, faults::Spec{faults::kAllCalls, 1, error, true});
        // The first read waits for its entry, which cannot be written: it is refused
        // (unavailable), and its entry, held, says so.
        auto r = m.tool({"show", std::to_string(id)}, kAnalyst);
        ASSERT_EQ(r.status, 6) << r.out << r.err;
        std::this_thread::sleep_for(300ms);
        std::string message;
        for (int i = 0; i < 5; ++i) {
            for (const auto& [args, uid] : std::vector<std::pair<std::vector<std::string>, uid_t>>{
                     {{"--json", "show", std::to_string(id)}, kAnalyst},
                     {{"--json", "status"}, kOff1},
                     {{"--json", "ingest", m.file("x", "x\n"), "--title", "X", "--level",
                       "confidential", "--compartment", "JMAC"},
                      kAnalyst}}) {
                r = args[1] == "status" ? m.admin(args, uid) : m.tool(args, uid);
                EXPECT_EQ(r.status, 6) << r.out;
                if (message.empty()) {
                    message = error_message(r);
                }
                EXPECT_EQ(error_message(r), message);
            }
        }
        EXPECT_NE(message.find(error == ENOSPC ? "is full" : "I/O error"), std::string::npos)
            << message;
        EXPECT_NE(message.find("cannot write its audit trail"), std::string::npos) << message;
        disarm(m);
        const auto st = status_when_serving(m);
        EXPECT_GE(st.at("writer").at("entries_retried").as_int64(), 1) << st;
        EXPECT_GE(st.at("writer").at("refused_unaudited").as_int64(), 15) << st;
        ASSERT_TRUE(wait_accepting(m));
        EXPECT_GT(
            m.ingest(kAnalyst, "again\n",
                     {"--title", "Again", "--level", "confidential", "--compartment", "JMAC"}),
            0);
    }
    const auto log = m.daemon_log();
    EXPECT_NE(log.find("the audit trail cannot be written"), std::string::npos) << log;
    EXPECT_NE(log.find("the audit trail is written again"), std::string::npos) << log;
    const auto rows = check_and_read_audit(m);
    EXPECT_EQ(count_rows(rows, "show", "analyst", store::Decision::allow),
              static_cast<std::size_t>(answered));
    m.start();
    verify_chain(m);
}

TEST(Faults, TheHookIsOffUnlessAskedFor) {
    // --dev alone does not enable fault injection: status shows no fault counter.
    Mission m;
    auto st = status(m);
    EXPECT_FALSE(st.contains("faults_injected")) << st;
}

}  // namespace
}  // namespace strongroom::test
