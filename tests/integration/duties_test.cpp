// Separation of duties and the two-person rule, tried as an adversary would
// through the real tools: an officer or auditor given a post, an officer
// with a second account, approvals by accounts made after the proposal,
// bootstrap to two officers, release requests that leak their existence,
// approvers who cannot see what they approve, and a delegate acting on a
// record it cannot see.
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "daemon/store/matrix.hpp"
#include "daemon/store/records.hpp"
#include "daemon/store/sqlite.hpp"
#include "tests/integration/mission.hpp"

namespace strongroom::test {
namespace {

namespace json = boost::json;
constexpr uid_t kAuditor = 61021;
constexpr uid_t kSock = 61012;  // the second account an officer tries to make their own
constexpr uid_t kAlt = 61013;

// A confidential JMAC record of the chief's, disseminated to chief-jmac and
// jmac-analyst.
std::int64_t jmac_record(Mission& m, const std::string& text = "patrol schedule\n") {
    const auto id = m.ingest(
        kChief, text, {"--title", "Patrol", "--level", "confidential", "--compartment", "JMAC"});
    EXPECT_EQ(
        m.tool({"disseminate", std::to_string(id), "--to", "chief-jmac", "--to", "jmac-analyst"},
               kChief)
            .status,
        0);
    return id;
}

std::string pending_id(const RunResult& r) {
    EXPECT_EQ(r.status, 0) << r.err;
    if (r.status != 0) {
        return "0";
    }
    const auto v = r.json();
    EXPECT_EQ(v.at("status"), "pending") << r.out;
    return std::to_string(v.at("pending_id").as_int64());
}

TEST(Duties, AnOfficerCannotGiveThemselvesAPostAndReadContent) {
    // Item 1: post assign of an officer's own account is refused naming separation of duties;
    // the officer never reads a record disseminated to that post.
    Mission m;
    const auto id = jmac_record(m);
    for (const uid_t who : {kOff1, kOff2}) {
        auto r = m.admin({"post", "assign", "chief-jmac", "off1"}, who);
        EXPECT_EQ(r.status, 5) << r.err;
        EXPECT_NE(r.err.find("separation of duties"), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("off1 holds the officer role"), std::string::npos) << r.err;
    }
    auto r =
        m.tool({"get", std::to_string(id), "-o", m.out_path("stolen"), "--purpose", "x"}, kOff1);
    EXPECT_EQ(r.status, 4) << r.err;
    EXPECT_EQ(m.tool({"show", std::to_string(id)}, kOff1).status, 4);
    r = m.admin({"--json", "matrix"}, kOff1);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto matrix = r.json();
    for (const auto& p : matrix.at("posts").as_array()) {
        for (const auto& h : p.at("holders").as_array()) {
            EXPECT_NE(h, "off1");
        }
    }
}

TEST(Duties, AnAuditorGivenAPostIsRefused) {
    // Item 2: an auditor cannot be assigned a post, so an auditor never reads content.
    Mission m;
    m.add_role_account("aud", kAuditor, "auditor");
    const auto id = jmac_record(m);
    auto r = m.admin({"post", "assign", "jmac-analyst", "aud"}, kOff2);
    EXPECT_EQ(r.status, 5) << r.err;
    EXPECT_NE(r.err.find("aud holds the auditor role"), std::string::npos) << r.err;
    EXPECT_EQ(m.tool({"show", std::to_string(id)}, kAuditor).status, 4);
    EXPECT_EQ(
        m.tool({"get", std::to_string(id), "-o", m.out_path("aud"), "--purpose", "x"}, kAuditor)
            .status,
        4);
}

TEST(Duties, TheDatabaseRefusesAPostForAnOfficerWhateverTheCodeAbove) {
    // The rule holds below the code: inserting an assignment of an officer straight into the
    // database fails on the trigger, and so does giving a post holder the auditor role.
    Mission m;
    auto db = m.stop_and_open();
    auto& conn = db->store.writer_connection();
    store::MatrixRepository matrix(conn);
    const auto post = matrix.find_post("chief-jmac");
    ASSERT_TRUE(post);
    // off1 is account 1 (init), chief holds chief-jmac.
    try {
        matrix.insert_assignment(post->id, 1, now_micros(), std::nullopt, 1);
        ADD_FAILURE() << "an officer was assigned a post in the database";
    } catch (const store::StoreError& e) {
        EXPECT_NE(std::string(e.what()).find("separation of duties"), std::string::npos)
            << e.what();
    }
    try {
        conn.exec("UPDATE accounts SET roles = 4 WHERE name = 'chief';");
        ADD_FAILURE() << "a post holder was made an auditor in the database";
    } catch (const store::StoreError& e) {
        EXPECT_NE(std::string(e.what()).find("separation of duties"), std::string::npos)
            << e.what();
    }
}

TEST(Duties, OneOfficerCannotDefeatTheTwoPersonRuleWithASecondAccount) {
    // Item 3: adding an officer needs a second officer; an account given its role after a change
    // was proposed cannot approve that change; a plain account an officer made gets a post only
    // with a second officer.
    Mission m;
    // off1 proposes a change that needs a second officer.
    const auto grant = pending_id(m.admin(
        {"--json", "grant", "jmac-analyst", "JMAC", "--level", "strictly-confidential"}, kOff1));
    // off1 adds an officer account for a uid of theirs: not in effect, pending.
    auto r = m.admin({"--json", "account", "add", "sock", "--uid", str(kSock), "--role", "officer"},
                     kOff1);
    const auto add = pending_id(r);
    EXPECT_EQ(m.tool({"whoami"}, kSock).status, 3) << "the account does not exist yet";
    EXPECT_EQ(m.admin({"pending", "approve", add}, kOff1).status, 5) << "no self-approval";
    // A second officer approves it (say, in good faith).
    ASSERT_EQ(m.admin({"pending", "approve", add}, kOff2).status, 0);
    // The new officer cannot approve what off1 proposed before it was an officer.
    r = m.admin({"pending", "approve", grant}, kSock);
    EXPECT_EQ(r.status, 5) << r.err;
    EXPECT_NE(r.err.find("after change " + grant + " was proposed"), std::string::npos) << r.err;
    r = m.admin({"--json", "pending", "list"}, kOff2);
    ASSERT_EQ(r.status, 0) << r.err;
    ASSERT_EQ(r.json().at("pending").as_array().size(), 1U) << "the grant still waits";
    // A change proposed after sock became an officer: sock may approve it.
    const auto later = pending_id(m.admin(
        {"--json", "post", "level", "police-desk", "--level", "strictly-confidential"}, kOff1));
    EXPECT_EQ(m.admin({"pending", "approve", later}, kSock).status, 0);

    // Any role is two-person, registrar and auditor too.
    for (const char* role : {"registrar", "auditor"}) {
        r = m.admin({"--json", "account", "add", fmt::format("x-{}", role), "--uid",
                     role[0] == 'r' ? "61014" : "61015", "--role", role},
                    kOff1);
        ASSERT_EQ(r.status, 0) << r.err;
        EXPECT_EQ(r.json().at("status"), "pending") << role;
    }
    // A plain account off1 makes gets a post only with a second officer.
    ASSERT_EQ(m.admin({"account", "add", "alt", "--uid", str(kAlt)}, kOff1).status, 0);
    const auto assign =
        pending_id(m.admin({"--json", "post", "assign", "jmac-analyst", "alt"}, kOff1));
    const auto id = jmac_record(m);
    EXPECT_EQ(m.tool({"show", std::to_string(id)}, kAlt).status, 4);
    EXPECT_EQ(m.admin({"pending", "approve", assign}, kOff1).status, 5);
    ASSERT_EQ(m.admin({"pending", "approve", assign}, kOff2).status, 0);
    EXPECT_EQ(m.tool({"show", std::to_string(id)}, kAlt).status, 0);
    // Who approved is in the register.
    r = m.admin({"--json", "report", "matrix", "--format", "json"}, kOff1);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("alt to post jmac-analyst"), std::string::npos) << r.out;
}

TEST(Duties, BootstrapReachesTwoOfficersFromInitOrOnceFromTheConsole) {
    // init may create both officers at once; with one, root approves the first officer's
    // proposal of the second on the console, and only while the mission has one officer.
    {
        TempDir tmp;
        Daemon d(tmp.path() / "state");
        // A uid other than 0 is told that bootstrap is root's, not that it lacks an account.
        auto r = d.admin(
            {"init", "--officer", "a", "--uid", "61001", "--officer", "b", "--uid", "61002"},
            uid_t{61001});
        EXPECT_EQ(r.status, 3) << r.err;
        EXPECT_NE(r.err.find("bootstrap is accepted only from uid 0, not uid 61001"),
                  std::string::npos)
            << r.err;
        EXPECT_NE(r.err.find("as root"), std::string::npos) << r.err;
        EXPECT_EQ(r.err.find("no Strongroom account"), std::string::npos) << r.err;
        r = d.admin({"--json", "init", "--officer", "a", "--uid", "61001", "--officer", "b",
                     "--uid", "61001"});
        EXPECT_EQ(r.status, 2) << "two officers are two people: " << r.err;
        r = d.admin(
            {"init", "--officer", "a", "--uid", "61001", "--officer", "b", "--uid", "61002"});
        ASSERT_EQ(r.status, 0) << r.err;
        EXPECT_NE(r.out.find("initialised: officer b (uid 61002)"), std::string::npos) << r.out;
        const auto p = pending_id(
            d.admin({"--json", "account", "add", "c", "--uid", "61003", "--role", "officer"},
                    uid_t{61001}));
        r = d.admin({"pending", "approve", p});
        EXPECT_EQ(r.status, 3) << "root approves nothing once there are two officers: " << r.err;
        EXPECT_EQ(d.admin({"pending", "approve", p}, uid_t{61002}).status, 0);
    }
    TempDir tmp;
    Daemon d(tmp.path() / "state");
    ASSERT_EQ(d.admin({"init", "--officer", "a", "--uid", "61001"}).status, 0);
    // A plain registrar cannot be approved by root (only the second officer is bootstrap).
    const auto reg = pending_id(d.admin(
        {"--json", "account", "add", "r", "--uid", "61004", "--role", "registrar"}, uid_t{61001}));
    EXPECT_EQ(d.admin({"pending", "approve", reg}).status, 3);
    auto r = d.admin({"--json", "account", "add", "b", "--uid", "61002", "--role", "officer"},
                     uid_t{61001});
    const auto p = pending_id(r);
    EXPECT_NE(r.json().at("message").as_string().find("root approves it on the console"),
              std::string::npos)
        << r.out;
    EXPECT_EQ(d.admin({"pending", "approve", p}, uid_t{61001}).status, 5);
    EXPECT_EQ(d.admin({"pending", "approve", p}, uid_t{61099}).status, 3) << "not any uid";
    r = d.admin({"--json", "pending", "approve", p});
    ASSERT_EQ(r.status, 0) << r.err;
    // Once two officers exist root approves nothing; b became an officer after the registrar
    // was proposed, so that proposal needs making again.
    EXPECT_EQ(d.admin({"pending", "approve", reg}).status, 3);
    EXPECT_EQ(d.admin({"pending", "approve", reg}, uid_t{61002}).status, 5);
    const auto again = pending_id(d.admin(
        {"--json", "account", "add", "r", "--uid", "61004", "--role", "registrar"}, uid_t{61001}));
    EXPECT_EQ(d.admin({"pending", "approve", again}, uid_t{61002}).status, 0);
    // And root's approval is in the audit trail.
    r = d.admin({"--json", "account", "show", "b"}, uid_t{61001});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.json().at("account").at("roles").at(0), "officer");
}

// A record the head of mission's post may read (confidential, no compartment),
// disseminated only to the analyst's post.
std::int64_t analyst_record(Mission& m) {
    const auto id = m.ingest(kChief, "Election security plan\n",
                             {"--title", "Election security", "--level", "confidential"});
    EXPECT_EQ(m.tool({"disseminate", std::to_string(id), "--to", "jmac-analyst"}, kChief).status,
              0);
    return id;
}

RunResult request(Mission& m, std::int64_t id, uid_t uid) {
    return m.tool(
        {"--json", "release", "request", std::to_string(id), "--to", "UNDP", "--entity-kind", "un",
         "--justification", "mandate para 7(b)", "--arrangement", "WA-2026-04"},
        uid);
}

TEST(Duties, AReleaseRequestDoesNotExistForThoseWhoMayNotApproveIt) {
    // Item 4: a reader of the record who may not approve gets the same answer for a request that
    // exists as for one that does not.
    Mission m;
    const auto id = analyst_record(m);
    ASSERT_EQ(m.tool({"disseminate", std::to_string(id), "--to", "jmac-desk2"}, kChief).status, 0);
    auto r = request(m, id, kAnalyst);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto q = r.json().at("request").as_int64();
    for (const uid_t who : {kDesk2, kChief, kPolice, kClerk, kOff1}) {
        const auto real = m.tool({"release", "approve", std::to_string(q)}, who);
        const auto none = m.tool({"release", "approve", std::to_string(q + 100)}, who);
        EXPECT_EQ(real.status, 4) << who << ": " << real.err;
        EXPECT_EQ(none.status, 4) << who << ": " << none.err;
        EXPECT_EQ(real.err, fmt::format("strongroom: no release request {}\n", q)) << who;
        r = m.tool({"--json", "release", "list"}, who);
        if (r.status == 0) {
            EXPECT_EQ(r.json().at("releases").as_array().size(), 0U) << who << r.out;
        }
    }
}

TEST(Duties, ApproversAreNamedAndMayReadWhatTheyAreAskedToRelease) {
    // Item 5: the request names who may approve; the approvers' posts receive the record under
    // release-review (registered), so the head of mission sees it in release list and reads it;
    // when nobody can approve, the request is refused and says why.
    Mission m;
    const auto id = analyst_record(m);
    const auto sid = std::to_string(id);
    EXPECT_EQ(m.tool({"show", sid}, kHom).status, 4) << "not disseminated to hom yet";
    auto r = request(m, id, kAnalyst);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto doc = r.json();
    const auto q = doc.at("request").as_int64();
    ASSERT_EQ(doc.at("approvers").as_array().size(), 1U) << r.out;
    EXPECT_EQ(doc.at("approvers").at(0).at("account"), "hom");
    EXPECT_EQ(doc.at("approvers").at(0).at("post"), "hom");
    EXPECT_EQ(doc.at("review_posts").at(0), "hom");
    // The people's output names them too.
    r = m.tool({"release", "request", sid, "--to", "UNHCR", "--entity-kind", "un",
                "--justification", "j", "--arrangement", "WA-2"},
               kAnalyst);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("hom (post hom, head-of-mission)"), std::string::npos) << r.out;
    // The head of mission sees the requests waiting and reads the record.
    r = m.tool({"--json", "release", "list"}, kHom);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.json().at("releases").as_array().size(), 2U) << r.out;
    r = m.tool({"--json", "show", sid}, kHom);
    ASSERT_EQ(r.status, 0) << r.err;
    bool review = false;
    const auto shown = r.json();
    for (const auto& d : shown.at("record").at("disseminated").as_array()) {
        if (d.at("post") == "hom") {
            review = d.at("authority") == "release-review";
            EXPECT_EQ(d.at("reference").as_string(), fmt::format("release {}", q));
        }
    }
    EXPECT_TRUE(review) << r.out;
    EXPECT_EQ(m.tool({"release", "approve", std::to_string(q)}, kHom).status, 0);
    // The registry shows the review dissemination.
    r = m.admin({"--json", "report", "registry", "--record", sid}, kClerk);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("release-review"), std::string::npos) << r.out;

    // A compartmented record the head of mission's post is not eligible for: refused, naming why.
    const auto secret = jmac_record(m);
    r = m.tool({"release", "request", std::to_string(secret), "--to", "UNDP", "--entity-kind", "un",
                "--justification", "j", "--arrangement", "a"},
               kAnalyst);
    EXPECT_EQ(r.status, 5) << r.err;
    EXPECT_NE(r.err.find("nobody can approve"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("post hom has no grant for compartment JMAC"), std::string::npos) << r.err;
    // Nothing was stored for it.
    r = m.tool({"--json", "release", "list"}, kAnalyst);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.json().at("releases").as_array().size(), 2U);
}

TEST(Duties, ADelegateCannotActOnARecordItCannotSee) {
    // Item 6: with a dissemination delegation but no receipt, disseminate answers exactly as show
    // does for a record that does not exist; a delegation goes only to an eligible post, which
    // receives the record with it.
    Mission m;
    const auto id =
        m.ingest(kChief, "militia movements\n",
                 {"--title", "Movements", "--level", "confidential", "--compartment", "JMAC"});
    const auto sid = std::to_string(id);
    // Refused: police-desk is not eligible for JMAC.
    auto r =
        m.tool({"delegate", "disseminate", sid, "--to", "police-desk", "--ref", "D/1"}, kChief);
    EXPECT_EQ(r.status, 3) << r.err;
    EXPECT_NE(r.err.find("not eligible"), std::string::npos) << r.err;
    // Plant a delegation to desk2's post without receipt, as an older version allowed.
    {
        auto db = m.stop_and_open();
        store::DelegationRow d;
        d.kind = "disseminate";
        d.record_id = id;
        d.grantor = 3;  // chief
        d.to_post =
            store::MatrixRepository(db->store.writer_connection()).find_post("jmac-desk2")->id;
        d.reference = "OLD/1";
        d.created_at = now_micros();
        store::RecordRepository(db->store.writer_connection()).insert_delegation(d);
    }
    m.start();
    const auto shown = m.tool({"show", sid}, kDesk2);
    EXPECT_EQ(shown.status, 4);
    r = m.tool({"disseminate", sid, "--to", "jmac-analyst"}, kDesk2);
    EXPECT_EQ(r.status, 4) << r.err;
    EXPECT_EQ(r.err, shown.err);
    EXPECT_EQ(m.tool({"show", sid}, kAnalyst).status, 4) << "nothing was disseminated";
    // A delegation made now gives the delegate the record, and then it may act.
    r = m.tool({"--json", "delegate", "disseminate", sid, "--to", "jmac-desk2", "--ref", "D/2"},
               kChief);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.json().at("delegation").at("disseminated"), true);
    EXPECT_EQ(m.tool({"disseminate", sid, "--to", "jmac-analyst"}, kDesk2).status, 0);
    EXPECT_EQ(m.tool({"show", sid}, kAnalyst).status, 0);
}

TEST(Duties, AStoreWithAnOfficerHoldingAPostIsReportedNotGuessed) {
    // An assignment of an officer left from before the rule (planted below the triggers) grants
    // nothing, is logged at start-up and shown by status, and an officer can end it.
    Mission m;
    const auto id = jmac_record(m);
    {
        auto db = m.stop_and_open();
        auto& conn = db->store.writer_connection();
        conn.exec("DROP TRIGGER oversight_holds_no_post;");
        store::MatrixRepository matrix(conn);
        matrix.insert_assignment(matrix.find_post("chief-jmac")->id, 2, now_micros(), std::nullopt,
                                 1);
    }
    m.start();
    auto r = m.tool({"show", std::to_string(id)}, kOff2);
    EXPECT_EQ(r.status, 4) << "an officer's legacy post grants nothing";
    r = m.admin({"--json", "status"}, kOff1);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto conflicts = r.json().at("duty_conflicts").as_array();
    ASSERT_EQ(conflicts.size(), 1U) << r.out;
    EXPECT_EQ(conflicts[0].at("account"), "off2");
    EXPECT_EQ(conflicts[0].at("post"), "chief-jmac");
    r = m.admin({"status"}, kOff1);
    EXPECT_NE(r.out.find("off2 holds chief-jmac"), std::string::npos) << r.out;
    ASSERT_EQ(m.admin({"post", "unassign", "chief-jmac", "off2"}, kOff1).status, 0);
    r = m.admin({"--json", "status"}, kOff1);
    EXPECT_EQ(r.json().at("duty_conflicts").as_array().size(), 0U);
    // The start-up report is in the audit trail.
    bool logged = false;
    for (const auto& row : m.audit_rows()) {
        logged = logged || (row.record.request == "duties.conflict" &&
                            row.record.reason.find("off2") != std::string::npos);
    }
    EXPECT_TRUE(logged);
}

}  // namespace
}  // namespace strongroom::test
