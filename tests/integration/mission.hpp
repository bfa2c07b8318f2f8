// The mission used by the end-to-end tests of records, registry and copies:
// the real daemon and tools, each person a different Unix uid.
//
//   officers     off1 (61001), off2 (61002)
//   chief        61003 holds chief-jmac: JMAC and HUMINT up to strictly confidential
//   analyst      61004 holds jmac-analyst: JMAC up to confidential
//   police       61005 holds police-desk: POLICE up to confidential
//   focal        61006 holds sfp (security focal point), strictly confidential, no grants
//   hom          61007 holds hom (head of mission), confidential, no grants
//   desk2        61008 holds jmac-desk2: JMAC up to confidential
//   clerk        61020 registrar, no post
#pragma once

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "daemon/crypto/key_vault.hpp"
#include "daemon/store/audit_log.hpp"
#include "daemon/store/store.hpp"
#include "tests/integration/harness.hpp"

namespace strongroom::test {

namespace mission_fs = std::filesystem;

inline constexpr uid_t kOff1 = 61001;
inline constexpr uid_t kOff2 = 61002;
inline constexpr uid_t kChief = 61003;
inline constexpr uid_t kAnalyst = 61004;
inline constexpr uid_t kPolice = 61005;
inline constexpr uid_t kFocal = 61006;
inline constexpr uid_t kHom = 61007;
inline constexpr uid_t kDesk2 = 61008;
inline constexpr uid_t kClerk = 61020;

inline std::string str(uid_t uid) {
    return std::to_string(uid);
}

inline std::string day_offset(int days) {
    const auto t = std::chrono::system_clock::now() + std::chrono::hours(24 * days);
    const auto d = std::chrono::floor<std::chrono::days>(t);
    const std::chrono::year_month_day ymd{d};
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    return buf;
}

// How a Mission's daemon is started (all optional).
struct MissionOptions {
    std::map<std::string, std::string> env;
    std::vector<std::string> extra;         // more arguments for strongroomd (--config FILE)
    std::optional<mission_fs::path> state;  // the state directory (e.g. a small file system)
};

// The daemon, the mission's matrix, and files readable by every test user.
class Mission {
public:
    explicit Mission(std::map<std::string, std::string> env = {})
        : Mission(MissionOptions{std::move(env), {}, std::nullopt}) {}
    explicit Mission(MissionOptions options)
        : state_(options.state.value_or(tmp_.path() / "state")), extra_(options.extra) {
        mission_fs::permissions(tmp_.path(),
                                mission_fs::perms::all);  // test users write their copies here
        daemon_.emplace(state_, extra_, std::move(options.env));
        // Two officers from the start (two-person rule for every role).
        must(admin({"init", "--officer", "off1", "--uid", str(kOff1), "--officer", "off2", "--uid",
                    str(kOff2)}));
        const std::pair<const char*, uid_t> people[] = {{"chief", kChief},   {"analyst", kAnalyst},
                                                        {"police", kPolice}, {"focal", kFocal},
                                                        {"hom", kHom},       {"desk2", kDesk2}};
        for (const auto& [name, uid] : people) {
            must(admin({"account", "add", name, "--uid", str(uid)}, kOff1));
        }
        add_role_account("clerk", kClerk, "registrar");
        for (const char* c : {"JMAC", "HUMINT", "POLICE"}) {
            must(admin({"compartment", "add", c}, kOff1));
        }
        must(admin({"post", "add", "chief-jmac", "--level", "confidential"}, kOff1));
        must(admin({"post", "add", "jmac-analyst", "--level", "confidential"}, kOff1));
        must(admin({"post", "add", "police-desk", "--level", "confidential"}, kOff1));
        must(admin({"post", "add", "jmac-desk2", "--level", "confidential"}, kOff1));
        must(admin(
            {"post", "add", "hom", "--level", "confidential", "--authority", "head-of-mission"},
            kOff1));
        approve(admin({"--json", "post", "add", "sfp", "--level", "strictly-confidential",
                       "--authority", "security-focal-point"},
                      kOff1));
        approve(admin({"--json", "grant", "chief-jmac", "JMAC", "--level", "strictly-confidential"},
                      kOff1));
        approve(
            admin({"--json", "grant", "chief-jmac", "HUMINT", "--level", "strictly-confidential"},
                  kOff1));
        must(admin({"grant", "jmac-analyst", "JMAC", "--level", "confidential"}, kOff1));
        must(admin({"grant", "jmac-desk2", "JMAC", "--level", "confidential"}, kOff1));
        must(admin({"grant", "police-desk", "POLICE", "--level", "confidential"}, kOff1));
        // off1 made these accounts, so off2 gives them their posts (an
        // officer alone never makes an account and gives it access).
        must(admin({"post", "assign", "chief-jmac", "chief"}, kOff2));
        must(admin({"post", "assign", "jmac-analyst", "analyst"}, kOff2));
        must(admin({"post", "assign", "police-desk", "police"}, kOff2));
        must(admin({"post", "assign", "sfp", "focal"}, kOff2));
        must(admin({"post", "assign", "hom", "hom"}, kOff2));
        must(admin({"post", "assign", "jmac-desk2", "desk2"}, kOff2));
    }

    // Adds an account with a role: off1 proposes it, off2 approves.
    void add_role_account(const std::string& name, uid_t uid, const std::string& role) {
        approve(
            admin({"--json", "account", "add", name, "--uid", str(uid), "--role", role}, kOff1));
    }

    RunResult admin(std::vector<std::string> args, std::optional<uid_t> uid = std::nullopt) {
        return daemon_->admin(std::move(args), uid);
    }
    RunResult tool(std::vector<std::string> args, uid_t uid) {
        return daemon_->tool(std::move(args), uid);
    }

    // Writes a file every test user can read; returns its path.
    std::string file(const std::string& name, const std::string& content) {
        const auto p = tmp_.path() / name;
        std::ofstream(p, std::ios::binary) << content;
        mission_fs::permissions(p, mission_fs::perms::owner_read | mission_fs::perms::owner_write |
                                       mission_fs::perms::group_read |
                                       mission_fs::perms::others_read);
        return p.string();
    }
    std::string out_path(const std::string& name) const { return (tmp_.path() / name).string(); }

    // Ingests as uid; returns the new record id.
    std::int64_t ingest(uid_t uid, const std::string& text, std::vector<std::string> label) {
        const auto path = file("in-" + std::to_string(++files_), text);
        std::vector<std::string> args{"--json", "ingest", path};
        args.insert(args.end(), label.begin(), label.end());
        auto r = tool(args, uid);
        EXPECT_EQ(r.status, 0) << r.err;
        if (r.status != 0) {
            return -1;
        }
        return r.json().at("id").as_int64();
    }

    // Ids of the records uid sees in `list` (or `search TEXT`).
    std::vector<std::int64_t> visible(uid_t uid, const std::string& search = "") {
        auto r = search.empty() ? tool({"--json", "list"}, uid)
                                : tool({"--json", "search", search}, uid);
        EXPECT_EQ(r.status, 0) << r.err;
        std::vector<std::int64_t> ids;
        if (r.status == 0) {
            const auto doc = r.json();
            for (const auto& v : doc.at("records").as_array()) {
                ids.push_back(v.at("id").as_int64());
            }
        }
        return ids;
    }

    void restart(std::map<std::string, std::string> env = {}) {
        ASSERT_EQ(daemon_->stop(), 0) << daemon_->log();
        daemon_.reset();
        daemon_.emplace(state_, extra_, std::move(env));
    }

    // Kills the daemon with SIGKILL (a crash: nothing is flushed or cleaned).
    void crash() {
        ASSERT_EQ(daemon_->kill_now(), 128 + SIGKILL);
        daemon_.reset();
    }

    // Starts the daemon again after stop_and_open (the store closed first).
    // (extra replaces the arguments the Mission was started with, if given.)
    void start(std::map<std::string, std::string> env = {}, std::vector<std::string> extra = {}) {
        daemon_.emplace(state_, extra.empty() ? extra_ : std::move(extra), std::move(env));
    }

    // Stops the daemon and opens its database with the dev key.
    struct OpenStore {
        OpenStore(crypto::SecureBuffer master, const store::StoreOptions& options)
            : vault(std::move(master)), store(options, vault, false) {}
        crypto::KeyVault vault;
        store::Store store;
    };
    std::unique_ptr<OpenStore> stop_and_open() {
        EXPECT_EQ(daemon_->stop(), 0) << daemon_->log();
        daemon_.reset();
        const auto key = read_file(state_ / "dev.key");
        crypto::SecureBuffer master(crypto::KeyVault::kMasterKeyBytes);
        std::memcpy(master.data(), key.data(), master.size());
        store::StoreOptions o;
        o.state_dir = state_;
        o.readers = 1;
        return std::make_unique<OpenStore>(std::move(master), o);
    }

    // The audit entries so far, read from the stopped daemon's database.
    std::vector<store::AuditRow> audit_rows() {
        auto db = stop_and_open();
        std::vector<store::AuditRow> rows;
        store::AuditRepository(db->store.writer_connection())
            .scan(1, [&](const store::AuditRow& r) {
                rows.push_back(r);
                return true;
            });
        return rows;
    }

    const mission_fs::path& state() const { return state_; }
    std::string socket() const { return daemon_->socket(); }
    pid_t daemon_pid() const { return daemon_->pid(); }
    std::string daemon_log() const { return daemon_->log(); }

private:
    static void must(const RunResult& r) { ASSERT_EQ(r.status, 0) << r.err << r.out; }

    // A change at the highest level is pending until the other officer approves.
    void approve(const RunResult& r) {
        ASSERT_EQ(r.status, 0) << r.err;
        const auto v = r.json();
        ASSERT_EQ(v.at("status"), "pending") << r.out;
        const auto id = std::to_string(v.at("pending_id").as_int64());
        must(admin({"pending", "approve", id}, kOff2));
    }

    TempDir tmp_;
    mission_fs::path state_;
    std::vector<std::string> extra_;
    std::optional<Daemon> daemon_;
    int files_ = 0;
};

inline bool contains(const std::vector<std::int64_t>& ids, std::int64_t id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// The daemon's environment for a restart with its clock some days on: the
// development clock (--dev, STRONGROOM_DEV_CLOCK) reads the offset from a
// file beside the mission's state directory.
inline std::map<std::string, std::string> days_on(const Mission& m, int days) {
    const auto clock = m.state().parent_path() / "dev-clock";
    std::ofstream(clock, std::ios::trunc) << "+" << days << "d\n";
    return {{"STRONGROOM_DEV_CLOCK", clock.string()}};
}
inline std::map<std::string, std::string> three_days_on(const Mission& m) {
    return days_on(m, 3);
}

// A text copy as a reader sees it: without its invisible fingerprint.
inline std::string strip_invisible(std::string s) {
    for (const char* mark : {"\xE2\x81\xA0", "\xE2\x80\x8B", "\xE2\x80\x8C"}) {
        for (auto at = s.find(mark); at != std::string::npos; at = s.find(mark)) {
            s.erase(at, 3);
        }
    }
    return s;
}

}  // namespace strongroom::test
