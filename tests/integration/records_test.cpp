// End-to-end tests of records and compartmented access (DESIGN.md §2 rules
// 1-5 and 11): the real daemon and tools, each person a different Unix uid,
// in the mission of tests/integration/mission.hpp.

#include <fstream>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "admin-tools/client/client.hpp"
#include "daemon/crypto/key_vault.hpp"
#include "daemon/protocol/frame.hpp"
#include "daemon/protocol/message.hpp"
#include "daemon/store/audit_log.hpp"
#include "daemon/store/store.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/mission.hpp"

namespace strongroom::test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

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
        {"--json", "post", "assign", "jmac-analyst", "former", "--until", day_offset(-1)}, kOff2);
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
    // development clock moved) the same request is refused.
    Mission m;
    ASSERT_EQ(m.admin({"account", "add", "temp", "--uid", "61009"}, kOff1).status, 0);
    ASSERT_EQ(
        m.admin({"post", "assign", "jmac-desk2", "temp", "--until", day_offset(1)}, kOff2).status,
        0);
    const auto id =
        m.ingest(kChief, "airstrip survey",
                 {"--title", "Airstrip", "--level", "confidential", "--compartment", "JMAC"});
    ASSERT_EQ(m.tool({"disseminate", std::to_string(id), "--to", "jmac-desk2"}, kChief).status, 0);
    EXPECT_EQ(m.tool({"show", std::to_string(id)}, 61009).status, 0);
    m.restart(three_days_on(m));
    EXPECT_EQ(m.tool({"show", std::to_string(id)}, 61009).status, 4);
    EXPECT_EQ(m.tool({"show", std::to_string(id)}, kDesk2).status, 0);  // open-ended: still holds
}

TEST(Records, ADevelopmentClockFileWithoutAnOffsetStopsTheStartAndSaysWhy) {
    Mission m;
    { auto stopped = m.stop_and_open(); }
    const auto clock = m.state().parent_path() / "dev-clock";
    std::ofstream(clock) << "tomorrow\n";
    const auto r = run({daemon_path(), "--dev", m.state().string()},
                       RunOptions{std::nullopt,
                                  {{"STRONGROOM_DEV_CLOCK", clock.string()}},
                                  std::chrono::seconds(60),
                                  ""});
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("holds \"tomorrow\\n\", not an offset such as +3d"), std::string::npos)
        << r.err;
    EXPECT_FALSE(
        wait_for_socket((m.state() / "strongroom.sock").string(), std::chrono::milliseconds(200)));
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
    // A numbered copy: marked at top and bottom, the text between.
    const auto copy = strip_invisible(read_file(m.out_path("sfp-copy")));
    const auto marking = fmt::format(
        "STRICTLY CONFIDENTIAL // HUMINT | record {} | registry {} | copy 1 | holder focal | {}",
        id, doc.at("record").at("registry_number").as_string().c_str(), day_offset(0));
    EXPECT_EQ(copy, marking + "\narmed group plans to target patrol\n" + marking + "\n");
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
    // The head of mission may disseminate any product that reached him (to eligible posts);
    // one he may not see does not exist for him, as for anyone.
    r = m.tool({"disseminate", sid, "--to", "chief-jmac"}, kHom);
    EXPECT_EQ(r.status, 4) << r.err;
    EXPECT_EQ(r.err, m.tool({"show", sid}, kHom).err);
    ASSERT_EQ(m.admin({"grant", "hom", "JMAC", "--level", "confidential"}, kOff1).status, 0);
    ASSERT_EQ(m.tool({"disseminate", sid, "--to", "hom"}, kChief).status, 0);
    r = m.tool({"--json", "disseminate", sid, "--to", "chief-jmac"}, kHom);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.json().at("authority"), "head-of-mission");

    // Three days on, the delegation has lapsed.
    m.restart(three_days_on(m));
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
    // "-": the content alone on standard output; the outcome, with --json too, and the marking
    // a binary file cannot carry, on standard error; no file named "-".
    const bool dash_before = fs::exists("-");
    r = m.tool({"--json", "get", std::to_string(big_id), "-o", "-", "--purpose", "pipe"}, kChief);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(r.out == big) << "standard output holds " << r.out.size() << " bytes";
    EXPECT_NE(r.err.find("\"copy\":2"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("marking: CONFIDENTIAL"), std::string::npos) << r.err;
    EXPECT_EQ(fs::exists("-"), dash_before);
    r = m.tool({"get", std::to_string(text_id), "-o", "-", "--purpose", "pipe"}, kChief);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find(marker), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("written to"), std::string::npos) << r.out;
    EXPECT_NE(
        r.err.find("copy 1 of record " + std::to_string(text_id) + " written to standard output"),
        std::string::npos)
        << r.err;
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

// Content in frames of the largest size the daemon accepts (1 MiB, each
// four chunks): an upload that the writer lags behind waits, and finishes.
TEST(Records, AnUploadInLargestFramesIsStoredWhole) {
    Mission m;
    ASSERT_EQ(
        m.admin({"account", "add", "bulk", "--uid", std::to_string(::geteuid())}, kOff1).status, 0);
    auto conn = client::Connection::open(m.socket());
    ASSERT_TRUE(conn) << conn.error().message;
    protocol::Request req;
    req.id = 1;
    req.op = "ingest";
    req.args = json::object{{"title", "bulk"}, {"level", "unclassified"}, {"filename", "b.bin"}};
    req.stream = true;
    ASSERT_TRUE(conn->send_frame(protocol::FrameType::message, protocol::encode_request(req)));
    std::string frame(1024 * 1024, '\0');
    std::string all;
    for (int f = 0; f < 8; ++f) {
        for (std::size_t i = 0; i < frame.size(); ++i) {
            frame[i] = static_cast<char>((i * 31 + static_cast<std::size_t>(f)) & 0xff);
        }
        all += frame;
        ASSERT_TRUE(conn->send_frame(protocol::FrameType::data, frame));
    }
    ASSERT_TRUE(conn->send_frame(protocol::FrameType::data_end, ""));
    auto payload = conn->read_message();
    ASSERT_TRUE(payload) << payload.error().message;
    const auto resp = protocol::decode_response(*payload, protocol::Limits{});
    ASSERT_TRUE(resp);
    ASSERT_FALSE(resp->error) << resp->error->message;
    const auto id = resp->result.at("id").as_int64();
    const auto out = m.out_path("bulk.out");
    const auto r =
        m.tool({"get", std::to_string(id), "-o", out, "--purpose", "check"}, ::geteuid());
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(read_file(out), all);
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
    ASSERT_EQ(m.admin({"post", "assign", "jmac-desk2", "desk2b"}, kOff2).status, 0);
    EXPECT_EQ(m.tool({"show", sid}, 61010).status, 4);
}

TEST(Records, ListingPagesNewestFirstAndFilters) {
    Mission m;
    std::vector<std::int64_t> ids;
    for (int i = 0; i < 5; ++i) {
        ids.push_back(
            m.ingest(kAnalyst, "note " + std::to_string(i),
                     {"--title", "Note " + std::to_string(i), "--level",
                      i % 2 == 0 ? "unclassified" : "confidential", "--compartment", "JMAC",
                      "--type", i < 3 ? "intelligence-product" : "mission-plan"}));
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
    r = m.tool({"--json", "list", "--level", "confidential", "--type", "intelligence-product"},
               kAnalyst);
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
