// End-to-end tests of records and compartmented access (DESIGN.md §2 rules
// 1-5 and 11): the real daemon and tools, each person a different Unix uid.
//
// The mission used by every test:
//   officers     off1 (61001), off2 (61002)
//   chief        61003 holds chief-jmac: JMAC and HUMINT up to strictly confidential
//   analyst      61004 holds jmac-analyst: JMAC up to confidential
//   police       61005 holds police-desk: POLICE up to confidential
//   focal        61006 holds sfp (security focal point), strictly confidential, no grants
//   hom          61007 holds hom (head of mission), confidential, no grants
//   desk2        61008 holds jmac-desk2: JMAC up to confidential

#include <fstream>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "admin-tools/client/client.hpp"
#include "daemon/crypto/key_vault.hpp"
#include "daemon/store/audit_log.hpp"
#include "daemon/store/store.hpp"
#include "tests/integration/harness.hpp"

namespace strongroom::test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr uid_t kOff1 = 61001;
constexpr uid_t kOff2 = 61002;
constexpr uid_t kChief = 61003;
constexpr uid_t kAnalyst = 61004;
constexpr uid_t kPolice = 61005;
constexpr uid_t kFocal = 61006;
constexpr uid_t kHom = 61007;
constexpr uid_t kDesk2 = 61008;

std::string str(uid_t uid) {
    return std::to_string(uid);
}

std::string day_offset(int days) {
    const auto t = std::chrono::system_clock::now() + std::chrono::hours(24 * days);
    const auto d = std::chrono::floor<std::chrono::days>(t);
    const std::chrono::year_month_day ymd{d};
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    return buf;
}

// The daemon, the mission's matrix, and files readable by every test user.
class Mission {
public:
    explicit Mission(std::map<std::string, std::string> env = {}) {
        fs::permissions(tmp_.path(), fs::perms::all);  // test users write their copies here
        daemon_.emplace(state_, std::vector<std::string>{}, std::move(env));
        must(admin({"init", "--officer", "off1", "--uid", str(kOff1)}));
        must(admin({"account", "add", "off2", "--uid", str(kOff2), "--role", "officer"}, kOff1));
        const std::pair<const char*, uid_t> people[] = {{"chief", kChief},   {"analyst", kAnalyst},
                                                        {"police", kPolice}, {"focal", kFocal},
                                                        {"hom", kHom},       {"desk2", kDesk2}};
        for (const auto& [name, uid] : people) {
            must(admin({"account", "add", name, "--uid", str(uid)}, kOff1));
        }
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
        must(admin({"post", "assign", "chief-jmac", "chief"}, kOff1));
        must(admin({"post", "assign", "jmac-analyst", "analyst"}, kOff1));
        must(admin({"post", "assign", "police-desk", "police"}, kOff1));
        must(admin({"post", "assign", "sfp", "focal"}, kOff1));
        must(admin({"post", "assign", "hom", "hom"}, kOff1));
        must(admin({"post", "assign", "jmac-desk2", "desk2"}, kOff1));
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
        fs::permissions(p, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                               fs::perms::others_read);
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
        daemon_.emplace(state_, std::vector<std::string>{}, std::move(env));
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

    const fs::path& state() const { return state_; }

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
    fs::path state_ = tmp_.path() / "state";
    std::optional<Daemon> daemon_;
    int files_ = 0;
};

bool contains(const std::vector<std::int64_t>& ids, std::int64_t id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
}

TEST(Records, ConfidentialAnalystCannotReadStrictlyConfidentialEvenIfDisseminated) {
    Mission m;
    const auto id = m.ingest(
        kChief, "convoy ambush assessment alpha",
        {"--title", "Convoy threat", "--level", "strictly-confidential", "--compartment", "JMAC"});
    auto r = m.tool({"--json", "disseminate", std::to_string(id), "--to", "jmac-analyst"}, kChief);
    EXPECT_EQ(r.status, 3) << r.out;
    EXPECT_EQ(r.json().at("error").at("code"), "denied");
    EXPECT_NE(r.err.find("jmac-analyst is not eligible"), std::string::npos) << r.err;

    for (const auto& cmd : std::vector<std::vector<std::string>>{
             {"show", std::to_string(id)},
             {"get", std::to_string(id), "-o", m.out_path("leak"), "--purpose", "curiosity"}}) {
        r = m.tool(cmd, kAnalyst);
        EXPECT_EQ(r.status, 4) << cmd[0] << r.err;
        EXPECT_EQ(r.err.find("Convoy"), std::string::npos);  // the title is not revealed
    }
    EXPECT_FALSE(fs::exists(m.out_path("leak")));
    EXPECT_FALSE(contains(m.visible(kAnalyst), id));
    EXPECT_FALSE(contains(m.visible(kAnalyst, "ambush"), id));
    // A record id that does not exist gets the same answer as one not readable.
    r = m.tool({"show", "999999"}, kAnalyst);
    EXPECT_EQ(r.status, 4);
    EXPECT_EQ(m.tool({"show", std::to_string(id)}, kChief).status, 0);
}

TEST(Records, PostWithoutTheCompartmentNeverSeesTheRecord) {
    Mission m;
    const auto id =
        m.ingest(kChief, "the quartermaster reported fuel shortages",
                 {"--title", "Fuel report", "--level", "confidential", "--compartment", "JMAC"});
    EXPECT_EQ(m.tool({"disseminate", std::to_string(id), "--to", "jmac-analyst"}, kChief).status,
              0);
    auto r = m.tool({"disseminate", std::to_string(id), "--to", "police-desk"}, kChief);
    EXPECT_EQ(r.status, 3) << r.err;
    EXPECT_NE(r.err.find("no grant for compartment JMAC"), std::string::npos) << r.err;

    EXPECT_TRUE(contains(m.visible(kAnalyst), id));
    EXPECT_TRUE(contains(m.visible(kAnalyst, "quartermaster"), id));
    EXPECT_FALSE(contains(m.visible(kPolice), id));
    EXPECT_FALSE(contains(m.visible(kPolice, "quartermaster"), id));
    EXPECT_FALSE(contains(m.visible(kPolice, "Fuel"), id));
    // Eligible but not disseminated to: need to know.
    EXPECT_FALSE(contains(m.visible(kDesk2), id));
    EXPECT_EQ(m.tool({"show", std::to_string(id)}, kDesk2).status, 4);
}

TEST(Records, OfficersReadNoContentByTheirRole) {
    Mission m;
    const auto id =
        m.ingest(kChief, "source network restructuring",
                 {"--title", "Sources", "--level", "confidential", "--compartment", "HUMINT"});
    for (const uid_t officer : {kOff1, kOff2}) {
        EXPECT_EQ(m.tool({"show", std::to_string(id)}, officer).status, 4);
        EXPECT_EQ(m.tool({"get", std::to_string(id), "-o", m.out_path("o" + str(officer)),
                          "--purpose", "audit"},
                         officer)
                      .status,
                  4);
        EXPECT_FALSE(contains(m.visible(officer), id));
    }
    // Unclassified material is readable by every active account, officers included.
    const auto open = m.ingest(kAnalyst, "canteen opening hours",
                               {"--title", "Canteen", "--level", "unclassified"});
    EXPECT_TRUE(contains(m.visible(kOff1), open));
    EXPECT_TRUE(contains(m.visible(kPolice), open));
}

TEST(Records, AnAssignmentThatEndedYesterdayGrantsNothing) {
    Mission m;
    ASSERT_EQ(m.admin({"account", "add", "former", "--uid", "61009"}, kOff1).status, 0);
    auto r = m.admin(
        {"--json", "post", "assign", "jmac-analyst", "former", "--until", day_offset(-1)}, kOff1);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.json().at("assignment").at("in_force"), false);
    const auto id =
        m.ingest(kChief, "river crossing points",
                 {"--title", "Crossings", "--level", "confidential", "--compartment", "JMAC"});
    ASSERT_EQ(m.tool({"disseminate", std::to_string(id), "--to", "jmac-analyst"}, kChief).status,
              0);
    EXPECT_TRUE(contains(m.visible(kAnalyst), id));
    EXPECT_FALSE(contains(m.visible(61009), id));
    EXPECT_EQ(m.tool({"show", std::to_string(id)}, 61009).status, 4);
    r = m.tool({"--json", "whoami"}, 61009);
    EXPECT_TRUE(r.json().at("posts").as_array().empty());
    // The former holder cannot label classified material either.
    r = m.tool({"ingest", m.file("x", "x"), "--title", "x", "--level", "confidential"}, 61009);
    EXPECT_EQ(r.status, 3) << r.err;
}

TEST(Records, AnAssignmentEndsWithItsDateWithNoAction) {
    // Assigned until tomorrow: readable now; three days later (the daemon's
    // clock moved with faketime) the same request is refused.
    Mission m;
    ASSERT_EQ(m.admin({"account", "add", "temp", "--uid", "61009"}, kOff1).status, 0);
    ASSERT_EQ(
        m.admin({"post", "assign", "jmac-desk2", "temp", "--until", day_offset(1)}, kOff1).status,
        0);
    const auto id =
        m.ingest(kChief, "airstrip survey",
                 {"--title", "Airstrip", "--level", "confidential", "--compartment", "JMAC"});
    ASSERT_EQ(m.tool({"disseminate", std::to_string(id), "--to", "jmac-desk2"}, kChief).status, 0);
    EXPECT_EQ(m.tool({"show", std::to_string(id)}, 61009).status, 0);
    m.restart({{"LD_PRELOAD", "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"},
               {"FAKETIME", "+3d"},
               {"ASAN_OPTIONS", "verify_asan_link_order=0"}});
    EXPECT_EQ(m.tool({"show", std::to_string(id)}, 61009).status, 4);
    EXPECT_EQ(m.tool({"show", std::to_string(id)}, kDesk2).status, 0);  // open-ended: still holds
}

TEST(Records, TheSafetyFlagReachesTheSecurityFocalPoint) {
    Mission m;
    // HUMINT is granted to the chief only; the focal point has no grant at all.
    auto r = m.tool({"--json", "ingest", m.file("s", "armed group plans to target patrol"),
                     "--title", "Threat to patrol", "--level", "strictly-confidential",
                     "--compartment", "HUMINT", "--safety"},
                    kChief);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto id = r.json().at("id").as_int64();
    EXPECT_EQ(r.json().at("must_share"), "sfp");
    EXPECT_TRUE(contains(m.visible(kFocal), id));
    r = m.tool({"--json", "show", std::to_string(id)}, kFocal);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto doc = r.json();
    const auto& ds = doc.at("record").at("disseminated").as_array();
    ASSERT_EQ(ds.size(), 1U);
    EXPECT_EQ(ds[0].at("post"), "sfp");
    EXPECT_EQ(ds[0].at("authority"), "must-share");
    EXPECT_EQ(m.tool({"get", std::to_string(id), "-o", m.out_path("sfp-copy"), "--purpose",
                      "force protection"},
                     kFocal)
                  .status,
              0);
    EXPECT_EQ(read_file(m.out_path("sfp-copy")), "armed group plans to target patrol");
    // Without the flag, the focal point gets nothing.
    const auto plain = m.ingest(
        kChief, "routine source payment",
        {"--title", "Payments", "--level", "strictly-confidential", "--compartment", "HUMINT"});
    EXPECT_FALSE(contains(m.visible(kFocal), plain));
    EXPECT_EQ(m.tool({"show", std::to_string(plain)}, kFocal).status, 4);
}

TEST(Records, OnlyOriginatorDelegateOrHeadOfMissionDisseminateAndDelegationsExpire) {
    Mission m;
    const auto id =
        m.ingest(kChief, "militia movements east",
                 {"--title", "Movements", "--level", "confidential", "--compartment", "JMAC"});
    const auto sid = std::to_string(id);
    ASSERT_EQ(m.tool({"disseminate", sid, "--to", "jmac-analyst"}, kChief).status, 0);
    // The analyst reads it but may not pass it on.
    auto r = m.tool({"disseminate", sid, "--to", "jmac-desk2"}, kAnalyst);
    EXPECT_EQ(r.status, 3) << r.err;
    EXPECT_NE(r.err.find("originator control"), std::string::npos) << r.err;
    // Only the originator delegates.
    EXPECT_EQ(
        m.tool({"delegate", "disseminate", sid, "--to", "jmac-analyst", "--ref", "X"}, kAnalyst)
            .status,
        3);
    r = m.tool({"--json", "delegate", "disseminate", sid, "--to", "jmac-analyst", "--ref",
                "JMAC/DEL/2026/7", "--until", day_offset(1)},
               kChief);
    ASSERT_EQ(r.status, 0) << r.err;
    r = m.tool({"--json", "disseminate", sid, "--to", "jmac-desk2"}, kAnalyst);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.json().at("authority"), "delegation");
    r = m.tool({"--json", "show", sid}, kDesk2);
    ASSERT_EQ(r.status, 0) << r.err;
    bool found = false;
    const auto doc = r.json();
    for (const auto& d : doc.at("record").at("disseminated").as_array()) {
        if (d.at("post") == "jmac-desk2") {
            found = true;
            EXPECT_EQ(d.at("reference"), "JMAC/DEL/2026/7");
            EXPECT_EQ(d.at("by"), "analyst");
        }
    }
    EXPECT_TRUE(found);
    // The head of mission may disseminate any product (to eligible posts).
    r = m.tool({"--json", "disseminate", sid, "--to", "chief-jmac"}, kHom);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.json().at("authority"), "head-of-mission");

    // Three days on, the delegation has lapsed.
    m.restart({{"LD_PRELOAD", "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"},
               {"FAKETIME", "+3d"},
               {"ASAN_OPTIONS", "verify_asan_link_order=0"}});
    ASSERT_EQ(m.admin({"post", "add", "jmac-desk3", "--level", "confidential"}, kOff1).status, 0);
    ASSERT_EQ(m.admin({"grant", "jmac-desk3", "JMAC", "--level", "confidential"}, kOff1).status, 0);
    r = m.tool({"disseminate", sid, "--to", "jmac-desk3"}, kAnalyst);
    EXPECT_EQ(r.status, 3) << r.err;
    EXPECT_EQ(m.tool({"disseminate", sid, "--to", "jmac-desk3"}, kChief).status, 0);
}

TEST(Matrix, TheHighestLevelNeedsASecondOfficer) {
    Mission m;
    auto r = m.admin(
        {"--json", "grant", "jmac-analyst", "JMAC", "--level", "strictly-confidential"}, kOff1);
    ASSERT_EQ(r.status, 0) << r.err;
    ASSERT_EQ(r.json().at("status"), "pending");
    const auto pid = std::to_string(r.json().at("pending_id").as_int64());
    // Not in effect yet: the analyst still may not label at that level.
    const auto sc = std::vector<std::string>{
        "--title", "t", "--level", "strictly-confidential", "--compartment", "JMAC"};
    auto ingest = [&] {
        std::vector<std::string> a{"ingest", m.file("p" + pid, "text")};
        a.insert(a.end(), sc.begin(), sc.end());
        return m.tool(a, kAnalyst);
    };
    EXPECT_EQ(ingest().status, 3);
    r = m.admin({"--json", "pending", "list"}, kOff2);
    ASSERT_EQ(r.status, 0);
    ASSERT_EQ(r.json().at("pending").as_array().size(), 1U);
    EXPECT_EQ(r.json().at("pending").at(0).at("requested_by"), "off1");
    // Self-approval is refused; a non-officer cannot approve.
    r = m.admin({"--json", "pending", "approve", pid}, kOff1);
    EXPECT_EQ(r.status, 5);
    EXPECT_EQ(r.json().at("error").at("code"), "conflict");
    EXPECT_EQ(m.admin({"pending", "approve", pid}, kChief).status, 3);
    EXPECT_EQ(m.admin({"pending", "approve", pid}, kOff2).status, 0);
    EXPECT_EQ(m.admin({"pending", "approve", pid}, kOff2).status, 5);  // already approved
    EXPECT_EQ(ingest().status, 0);
    // Lower levels take effect at once; so does a post level below the highest.
    r = m.admin({"--json", "post", "level", "police-desk", "--level", "strictly-confidential"},
                kOff1);
    EXPECT_EQ(r.json().at("status"), "pending");
    r = m.admin({"--json", "matrix"}, kOff2);
    ASSERT_EQ(r.status, 0);
    const auto matrix = r.json();
    for (const auto& p : matrix.at("posts").as_array()) {
        if (p.at("name") == "police-desk") {
            EXPECT_EQ(p.at("level"), "confidential");
            EXPECT_EQ(p.at("holders").at(0), "police");
        }
        if (p.at("name") == "jmac-analyst") {
            EXPECT_EQ(p.at("grants").at("JMAC"), "strictly-confidential");
        }
    }
    // Analysts do not administer the matrix.
    EXPECT_EQ(
        m.admin({"grant", "jmac-analyst", "POLICE", "--level", "confidential"}, kAnalyst).status,
        3);
}

TEST(Records, LabelsAboveTheOriginatorsClearanceAreRefusedAndNothingIsStored) {
    Mission m;
    auto r = m.tool({"--json", "ingest", m.file("a", "text"), "--title", "t", "--level",
                     "confidential", "--compartment", "HUMINT"},
                    kAnalyst);
    EXPECT_EQ(r.status, 3) << r.err;
    r = m.tool({"--json", "ingest", m.file("b", "text"), "--title", "t", "--level", "confidential",
                "--compartment", "NOPE"},
               kAnalyst);
    EXPECT_EQ(r.status, 4) << r.err;
    r = m.tool({"--json", "ingest", m.file("c", "text"), "--title", "t", "--level", "secret"},
               kAnalyst);
    EXPECT_EQ(r.status, 2) << r.err;
    r = m.tool({"--json", "ingest", m.file("d", "text"), "--title", "t", "--level", "confidential",
                "--compartment", "JMAC", "--as", "police-desk"},
               kAnalyst);
    EXPECT_EQ(r.status, 3) << r.err;
    // Nothing was stored: the first record ingested now gets id 1.
    const auto id = m.ingest(kAnalyst, "ok",
                             {"--title", "ok", "--level", "confidential", "--compartment", "JMAC",
                              "--as", "jmac-analyst"});
    EXPECT_EQ(id, 1);
}

TEST(Records, ContentRoundTripsLargeAndSmallAndStaysEncrypted) {
    Mission m;
    std::string big(3 * 1024 * 1024 + 12345, '\0');
    std::uint32_t x = 12345;
    for (auto& c : big) {
        x = x * 1103515245U + 12345U;
        c = static_cast<char>(x >> 24);
    }
    const std::string marker = "MARKER-plaintext-never-on-disk-7731";
    const auto text_id = m.ingest(kChief, marker + " and more words",
                                  {"--title", "Marker", "--level", "confidential", "--compartment",
                                   "JMAC", "--max-copies", "3"});
    const auto big_path = m.file("big.bin", big);
    auto r = m.tool({"--json", "ingest", big_path, "--title", "Imagery", "--level", "confidential",
                     "--compartment", "JMAC"},
                    kChief);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto big_id = r.json().at("id").as_int64();
    EXPECT_EQ(r.json().at("text"), false);
    EXPECT_NE(r.json().at("registry_number").as_string().find("MISSION/"), std::string::npos);

    r = m.tool({"--json", "get", std::to_string(big_id), "-o", m.out_path("big.out"), "--purpose",
                "analysis"},
               kChief);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(read_file(m.out_path("big.out")), big);
    EXPECT_EQ(fs::status(m.out_path("big.out")).permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write);
    // An existing file is never overwritten.
    r = m.tool({"get", std::to_string(big_id), "-o", m.out_path("big.out"), "--purpose", "x"},
               kChief);
    EXPECT_EQ(r.status, 2);
    EXPECT_TRUE(contains(m.visible(kChief, "MARKER"), text_id));

    m.restart();  // checkpoint the WAL into the main file too
    for (const auto& e : fs::directory_iterator(m.state())) {
        if (e.is_regular_file()) {
            EXPECT_EQ(read_file(e.path()).find(marker), std::string::npos) << e.path();
        }
    }
}

TEST(Records, ContentThatMustNotLeaveIsRefusedButItsMetadataIsVisible) {
    Mission m;
    const auto id = m.ingest(kChief, "eyes only",
                             {"--title", "Eyes only", "--level", "confidential", "--compartment",
                              "JMAC", "--max-copies", "0"});
    auto r = m.tool(
        {"--json", "get", std::to_string(id), "-o", m.out_path("never"), "--purpose", "x"}, kChief);
    EXPECT_EQ(r.status, 5) << r.err;
    EXPECT_FALSE(fs::exists(m.out_path("never")));
    EXPECT_FALSE(fs::exists(m.out_path("never") + ".part"));
    r = m.tool({"--json", "show", std::to_string(id)}, kChief);
    ASSERT_EQ(r.status, 0);
    EXPECT_EQ(r.json().at("record").at("max_copies"), 0);
}

TEST(Records, EveryDecisionIsAuditedWithItsReason) {
    Mission m;
    const auto id =
        m.ingest(kChief, "checkpoint locations",
                 {"--title", "Checkpoints", "--level", "confidential", "--compartment", "JMAC"});
    EXPECT_EQ(m.tool({"show", std::to_string(id)}, kPolice).status, 4);
    EXPECT_EQ(m.tool({"show", std::to_string(id)}, kChief).status, 0);
    const auto rows = m.audit_rows();
    const std::string object = "record:" + std::to_string(id);
    bool refused = false;
    bool allowed = false;
    bool ingested = false;
    for (const auto& full : rows) {
        const auto& row = full.record;
        if (row.request == "show" && row.object == object && row.account == "police") {
            refused = true;
            EXPECT_EQ(row.decision, store::Decision::deny);
            EXPECT_NE(row.reason.find("not eligible"), std::string::npos) << row.reason;
        }
        if (row.request == "show" && row.object == object && row.account == "chief") {
            allowed = true;
            EXPECT_EQ(row.decision, store::Decision::allow);
            EXPECT_NE(row.reason.find("originator"), std::string::npos) << row.reason;
        }
        if (row.request == "ingest" && row.object == object) {
            ingested = true;
            EXPECT_NE(row.reason.find("chief-jmac"), std::string::npos) << row.reason;
        }
    }
    EXPECT_TRUE(refused);
    EXPECT_TRUE(allowed);
    EXPECT_TRUE(ingested);
}

}  // namespace
}  // namespace strongroom::test

namespace strongroom::test {
namespace {

TEST(Records, DisseminationInPersonNeedsAnEligiblePost) {
    Mission m;
    const auto id =
        m.ingest(kChief, "bridge inspection",
                 {"--title", "Bridge", "--level", "confidential", "--compartment", "JMAC"});
    const auto sid = std::to_string(id);
    auto r = m.tool({"disseminate", sid, "--to-person", "police"}, kChief);
    EXPECT_EQ(r.status, 3) << r.err;
    EXPECT_NE(r.err.find("police holds no post eligible"), std::string::npos) << r.err;
    EXPECT_EQ(m.tool({"show", sid}, kDesk2).status, 4);
    r = m.tool({"--json", "disseminate", sid, "--to-person", "desk2"}, kChief);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(m.tool({"show", sid}, kDesk2).status, 0);
    // In person: another holder of the same post does not receive it.
    ASSERT_EQ(m.admin({"account", "add", "desk2b", "--uid", "61010"}, kOff1).status, 0);
    ASSERT_EQ(m.admin({"post", "assign", "jmac-desk2", "desk2b"}, kOff1).status, 0);
    EXPECT_EQ(m.tool({"show", sid}, 61010).status, 4);
}

TEST(Records, ListingPagesNewestFirstAndFilters) {
    Mission m;
    std::vector<std::int64_t> ids;
    for (int i = 0; i < 5; ++i) {
        ids.push_back(m.ingest(kAnalyst, "note " + std::to_string(i),
                               {"--title", "Note " + std::to_string(i), "--level",
                                i % 2 == 0 ? "unclassified" : "confidential", "--compartment",
                                "JMAC", "--type", i < 3 ? "report" : "plan"}));
    }
    auto r = m.tool({"--json", "list", "--limit", "2"}, kAnalyst);
    ASSERT_EQ(r.status, 0) << r.err;
    auto doc = r.json();
    ASSERT_EQ(doc.at("records").as_array().size(), 2U);
    EXPECT_EQ(doc.at("records").at(0).at("id"), ids[4]);
    EXPECT_EQ(doc.at("records").at(1).at("id"), ids[3]);
    ASSERT_EQ(doc.at("next"), ids[3]);
    r = m.tool({"--json", "list", "--limit", "2", "--after", std::to_string(ids[3])}, kAnalyst);
    doc = r.json();
    ASSERT_EQ(doc.at("records").as_array().size(), 2U);
    EXPECT_EQ(doc.at("records").at(0).at("id"), ids[2]);
    r = m.tool({"--json", "list", "--level", "confidential", "--type", "report"}, kAnalyst);
    doc = r.json();
    ASSERT_EQ(doc.at("records").as_array().size(), 1U);
    EXPECT_EQ(doc.at("records").at(0).at("id"), ids[1]);
    EXPECT_TRUE(doc.at("next").is_null());
    r = m.tool({"--json", "list", "--compartment", "NOPE"}, kAnalyst);
    EXPECT_EQ(r.status, 4);
    // The police desk sees only the unclassified ones.
    EXPECT_EQ(m.visible(kPolice), (std::vector<std::int64_t>{ids[4], ids[2], ids[0]}));
}

}  // namespace
}  // namespace strongroom::test

namespace strongroom::test {
namespace {

TEST(Records, AnUploadCutShortLeavesNothingBehind) {
    Mission m;
    ASSERT_EQ(m.admin({"account", "add", "rootuser", "--uid", "0"}, kOff1).status, 0);
    {
        auto conn = client::Connection::open((m.state() / "strongroom.sock").string());
        ASSERT_TRUE(conn.ok());
        std::size_t sent = 0;
        auto r = conn->call_upload(
            "ingest", json::object{{"title", "cut"}, {"level", "unclassified"}},
            [&sent](std::span<std::uint8_t> buf) -> Result<std::size_t> {
                if (sent >= 5 * 1024 * 1024) {  // beyond the 2 MiB written ahead
                    return make_error(ErrorCode::bad_request, "the source went away");
                }
                std::fill(buf.begin(), buf.end(), std::uint8_t{'z'});
                sent += buf.size();
                return buf.size();
            });
        EXPECT_FALSE(r.ok());
    }
    // The daemon keeps serving, and no record appeared.
    const auto id = m.ingest(kAnalyst, "after", {"--title", "after", "--level", "unclassified"});
    EXPECT_EQ(m.visible(kAnalyst), std::vector<std::int64_t>{id});
    const auto db = m.stop_and_open();
    auto& conn = db->store.writer_connection();
    EXPECT_EQ(conn.query_int("SELECT count(*) FROM records"), 1);
    EXPECT_EQ(conn.query_int("SELECT count(*) FROM content_chunks"), 1);
}

}  // namespace
}  // namespace strongroom::test

namespace strongroom::test {
namespace {

TEST(Records, ALongTextWithManyDistinctWordsIsIndexedAndSearchable) {
    // The full-text index sorts a document's terms with qsort, which asks the
    // kernel for the memory size: the sandbox must allow it (found by the
    // records benchmark, which killed the daemon).
    Mission m;
    std::string text;
    for (int i = 0; i < 3000; ++i) {
        text += "word" + std::to_string(i * 7919 % 100003) + " ";
    }
    text += "zanzibar";
    const auto id = m.ingest(
        kChief, text, {"--title", "Glossary", "--level", "confidential", "--compartment", "JMAC"});
    EXPECT_EQ(m.visible(kChief, "zanzibar"), std::vector<std::int64_t>{id});
    EXPECT_EQ(m.visible(kChief, "word7919"), std::vector<std::int64_t>{id});
    EXPECT_EQ(m.tool({"whoami"}, kChief).status, 0);  // still serving
}

}  // namespace
}  // namespace strongroom::test
