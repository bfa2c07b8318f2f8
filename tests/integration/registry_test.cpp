// End-to-end tests of the registry, numbered copies and release (DESIGN.md
// §2 rules 6-8): the real daemon and tools, each person a different Unix
// uid, in the mission of tests/integration/mission.hpp.
#include <boost/json.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/integration/harness.hpp"
#include "tests/integration/mission.hpp"

namespace strongroom::test {
namespace {

namespace json = boost::json;

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::size_t from = 0;
    for (auto nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', from)) {
        out.push_back(text.substr(from, nl - from));
        from = nl + 1;
    }
    if (from < text.size()) {
        out.push_back(text.substr(from));
    }
    return out;
}

std::string patrol_report(int lines) {
    std::string t;
    for (int i = 1; i <= lines; ++i) {
        t += fmt::format("{}. Patrol sighted {} vehicles at checkpoint {}.\n", i, i % 7, i * 3);
    }
    return t;
}

// A JMAC record of the chief's, disseminated to the analyst's post.
std::int64_t jmac_record(Mission& m, const std::string& text, std::vector<std::string> extra = {}) {
    std::vector<std::string> label{"--title",      "Checkpoint activity", "--level",
                                   "confidential", "--compartment",       "JMAC"};
    label.insert(label.end(), extra.begin(), extra.end());
    const auto id = m.ingest(kChief, text, label);
    EXPECT_EQ(m.tool({"disseminate", std::to_string(id), "--to", "jmac-analyst"}, kChief).status,
              0);
    return id;
}

RunResult get(Mission& m, std::int64_t id, uid_t uid, const std::string& out,
              const std::string& purpose = "weekly assessment") {
    return m.tool(
        {"--json", "get", std::to_string(id), "-o", m.out_path(out), "--purpose", purpose}, uid);
}

TEST(Copies, NumbersIncreaseAndAppearInTheMarkingAtTopAndBottom) {
    Mission m;
    const auto text = patrol_report(20);
    const auto id = jmac_record(m, text);
    auto r = get(m, id, kAnalyst, "a1");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.json().at("copy"), 1);
    const std::string registry = r.json().at("registry_number").as_string().c_str();
    r = get(m, id, kChief, "c2");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.json().at("copy"), 2);

    for (const auto& [file, number, holder] :
         {std::tuple{"a1", 1, "analyst"}, std::tuple{"c2", 2, "chief"}}) {
        const auto copy = strip_invisible(read_file(m.out_path(file)));
        const auto marking =
            fmt::format("CONFIDENTIAL // JMAC | record {} | registry {} | copy {} | holder {} | {}",
                        id, registry, number, holder, day_offset(0));
        EXPECT_EQ(copy, marking + "\n" + text + marking + "\n") << file;
    }
    r = m.tool({"--json", "copies", std::to_string(id)}, kAnalyst);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto listed = r.json();
    const auto& copies = listed.at("copies").as_array();
    ASSERT_EQ(copies.size(), 2U);
    EXPECT_EQ(copies[0].at("holder"), "analyst");
    EXPECT_EQ(copies[0].at("purpose"), "weekly assessment");
    EXPECT_EQ(copies[1].at("holder"), "chief");
    EXPECT_EQ(listed.at("outstanding"), 2);
    // Someone who may not read the record learns nothing of its copies.
    EXPECT_EQ(m.tool({"copies", std::to_string(id)}, kPolice).status, 4);
}

TEST(Copies, TheLimitHoldsAndFreesOnReturnOnlyByTheHolderOrARegistrar) {
    Mission m;
    const auto id = jmac_record(m, "fuel convoy timings\n", {"--max-copies", "1"});
    const auto sid = std::to_string(id);
    ASSERT_EQ(get(m, id, kAnalyst, "first").status, 0);
    auto r = get(m, id, kChief, "second");
    EXPECT_EQ(r.status, 5) << r.out;
    EXPECT_NE(r.out.find("outstanding"), std::string::npos) << r.out;
    EXPECT_FALSE(std::filesystem::exists(m.out_path("second")));
    // Not the holder: the chief may read it but holds no copy; the police
    // desk may not even know the record exists.
    EXPECT_EQ(m.tool({"copy", "return", sid, "1"}, kChief).status, 3);
    EXPECT_EQ(m.tool({"copy", "return", sid, "1"}, kPolice).status, 4);
    r = m.tool({"--json", "copy", "return", sid, "1"}, kAnalyst);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.json().at("outstanding"), 0);
    EXPECT_EQ(m.tool({"copy", "return", sid, "1"}, kAnalyst).status, 5);  // already returned
    r = get(m, id, kChief, "third");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.json().at("copy"), 2);  // numbers are never reused
    // A registrar closes a copy without being able to read the record.
    EXPECT_EQ(m.tool({"show", sid}, kClerk).status, 4);
    EXPECT_EQ(m.tool({"copy", "destroy", sid, "2"}, kClerk).status, 0);
    r = m.tool({"--json", "copies", sid}, kClerk);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto listed = r.json();
    const auto& copies = listed.at("copies").as_array();
    EXPECT_EQ(copies[0].at("state"), "returned");
    EXPECT_EQ(copies[1].at("state"), "destroyed");
    EXPECT_EQ(copies[1].at("closed_by"), "clerk");
    EXPECT_EQ(m.tool({"copy", "lost", sid, "9"}, kClerk).status, 4);
}

TEST(Copies, TraceNamesTheHolderOfTextWhoseMarkingWasCutOff) {
    Mission m;
    const auto text = patrol_report(40);
    const auto id = jmac_record(m, text);
    ASSERT_EQ(get(m, id, kAnalyst, "analyst-copy").status, 0);
    ASSERT_EQ(get(m, id, kChief, "chief-copy", "briefing the force commander").status, 0);

    // Each leak: ten lines from the middle, marking lines gone.
    auto excerpt = [&](const std::string& file) {
        const auto ls = lines_of(read_file(m.out_path(file)));
        std::string out;
        for (std::size_t i = 15; i < 25; ++i) {
            out += ls[i] + "\n";
        }
        EXPECT_EQ(out.find("holder"), std::string::npos);
        return out;
    };
    for (const auto& [file, copy, holder] :
         {std::tuple{"analyst-copy", 1, "analyst"}, std::tuple{"chief-copy", 2, "chief"}}) {
        const auto leak = m.file(std::string("leak-") + file, excerpt(file));
        auto r = m.admin({"--json", "trace", leak}, kClerk);
        ASSERT_EQ(r.status, 0) << r.err;
        const auto doc = r.json();
        const auto& found = doc.at("copies").as_array();
        ASSERT_EQ(found.size(), 1U) << r.out;
        EXPECT_EQ(found[0].at("record"), id);
        EXPECT_EQ(found[0].at("copy"), copy);
        EXPECT_EQ(found[0].at("holder"), holder);
        r = m.admin({"trace", leak}, kClerk);
        EXPECT_NE(r.out.find(fmt::format("copy {}, issued to {}", copy, holder)), std::string::npos)
            << r.out;
    }
    // The original text carries no fingerprint: it cannot be traced.
    auto r = m.admin({"trace", m.file("plain", text)}, kClerk);
    EXPECT_EQ(r.status, 4);
    EXPECT_NE(r.err.find("cannot be traced"), std::string::npos) << r.err;
    // Tracing is for the registry, not for analysts.
    EXPECT_EQ(m.admin({"trace", m.file("plain2", text)}, kAnalyst).status, 3);
}

TEST(Copies, OtherContentIsDeliveredUnchangedWithItsMarkingBeside) {
    Mission m;
    std::string bytes;
    for (int i = 0; i < 5000; ++i) {
        bytes += static_cast<char>((i * 131) & 0xff);
    }
    const auto id = jmac_record(m, bytes);
    const auto r = get(m, id, kAnalyst, "image.bin");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.json().at("marked"), "sidecar");
    EXPECT_EQ(read_file(m.out_path("image.bin")), bytes);
    const auto sidecar = read_file(m.out_path("image.bin.marking"));
    EXPECT_EQ(sidecar, r.json().at("marking").as_string().c_str() + std::string("\n"));
    EXPECT_NE(sidecar.find("copy 1 | holder analyst"), std::string::npos) << sidecar;
    // Neither file is ever written over.
    EXPECT_EQ(get(m, id, kAnalyst, "image.bin").status, 2);
}

TEST(Copies, MusterListsOutstandingCopiesByHolderForRegistrarsOnly) {
    Mission m;
    const auto a = jmac_record(m, "first\n");
    const auto b = jmac_record(m, "second\n");
    ASSERT_EQ(get(m, a, kAnalyst, "a-analyst").status, 0);
    ASSERT_EQ(get(m, b, kAnalyst, "b-analyst").status, 0);
    ASSERT_EQ(get(m, a, kChief, "a-chief").status, 0);
    ASSERT_EQ(m.tool({"copy", "return", std::to_string(b), "1"}, kAnalyst).status, 0);
    auto r = m.admin({"--json", "muster"}, kClerk);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto doc = r.json();
    EXPECT_EQ(doc.at("outstanding"), 2);
    std::map<std::string, std::vector<std::int64_t>> held;
    for (const auto& h : doc.at("holders").as_array()) {
        for (const auto& c : h.at("copies").as_array()) {
            held[h.at("holder").as_string().c_str()].push_back(c.at("record").as_int64());
            EXPECT_EQ(c.at("age_days"), 0);
        }
    }
    EXPECT_EQ(held["analyst"], std::vector<std::int64_t>{a});
    EXPECT_EQ(held["chief"], std::vector<std::int64_t>{a});
    r = m.admin({"muster"}, kClerk);
    EXPECT_NE(r.out.find("2 outstanding"), std::string::npos) << r.out;
    EXPECT_EQ(m.admin({"muster"}, kAnalyst).status, 3);
    EXPECT_EQ(m.admin({"muster"}, kOff1).status, 3);
}

TEST(Registry, ARegistrarReceivesAProductForPostsWithoutReadingIt) {
    Mission m;
    const auto in = m.file("hq.txt", "Assessment from headquarters\n");
    auto r = m.admin(
        {"--json", "receive", in, "--from", "UN HQ OMA", "--title", "HQ assessment", "--level",
         "confidential", "--compartment", "JMAC", "--dated", "2026-11-01", "--to", "jmac-analyst"},
        kClerk);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto id = r.json().at("id").as_int64();
    EXPECT_FALSE(r.json().at("registry_number").is_null());
    const auto sid = std::to_string(id);
    // The analyst's post received it; the registrar, uncleared, cannot read it.
    EXPECT_TRUE(contains(m.visible(kAnalyst), id));
    r = m.tool({"--json", "show", sid}, kAnalyst);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto doc = r.json();
    EXPECT_EQ(doc.at("record").at("origin"), "UN HQ OMA");
    EXPECT_EQ(doc.at("record").at("received_by"), "clerk");
    const auto& ds = doc.at("record").at("disseminated").as_array();
    ASSERT_EQ(ds.size(), 1U);
    EXPECT_EQ(ds[0].at("post"), "jmac-analyst");
    EXPECT_EQ(ds[0].at("authority"), "receipt");
    EXPECT_EQ(ds[0].at("by"), "clerk");
    EXPECT_EQ(m.tool({"show", sid}, kClerk).status, 4);
    EXPECT_FALSE(contains(m.visible(kClerk), id));
    EXPECT_EQ(m.tool({"get", sid, "-o", m.out_path("clerk-copy"), "--purpose", "x"}, kClerk).status,
              4);
    // Originator control stays with the origin: the registrar cannot pass it on.
    EXPECT_EQ(m.tool({"disseminate", sid, "--to", "jmac-desk2"}, kClerk).status, 4);
    EXPECT_EQ(
        m.tool({"delegate", "disseminate", sid, "--to", "jmac-desk2", "--ref", "x"}, kClerk).status,
        4);
    EXPECT_EQ(m.tool({"get", sid, "-o", m.out_path("analyst-copy"), "--purpose", "brief"}, kAnalyst)
                  .status,
              0);
}

TEST(Registry, AProductForAPostNotEligibleIsRefusedAndNothingStored) {
    Mission m;
    const auto before = m.visible(kPolice).size();
    const auto in = m.file("in.txt", "Cross-border movements\n");
    auto r = m.admin({"receive", in, "--from", "Member State", "--title", "Movements", "--level",
                      "confidential", "--compartment", "JMAC", "--to", "police-desk"},
                     kClerk);
    EXPECT_EQ(r.status, 3) << r.err;
    EXPECT_NE(r.err.find("police-desk"), std::string::npos) << r.err;
    EXPECT_EQ(m.visible(kPolice).size(), before);
    r = m.admin({"receive", in, "--from", "Member State", "--title", "Movements", "--level",
                 "confidential", "--compartment", "JMAC", "--to", "no-such-post"},
                kClerk);
    EXPECT_EQ(r.status, 4) << r.err;
    // Only registrars receive.
    r = m.admin({"receive", in, "--from", "Member State", "--title", "Movements", "--level",
                 "confidential", "--compartment", "JMAC", "--to", "jmac-analyst"},
                kAnalyst);
    EXPECT_EQ(r.status, 3) << r.err;
}

// A record the head of mission's post may read (confidential, no
// compartment), disseminated to it and to the analyst's and desk2's posts.
std::int64_t shared_record(Mission& m) {
    const auto id = m.ingest(kChief, "Election security plan\n",
                             {"--title", "Election security", "--level", "confidential"});
    EXPECT_EQ(m.tool({"disseminate", std::to_string(id), "--to", "hom", "--to", "jmac-analyst",
                      "--to", "jmac-desk2"},
                     kChief)
                  .status,
              0);
    return id;
}

std::int64_t request_release(Mission& m, std::int64_t id, uid_t uid,
                             const std::string& kind = "un") {
    auto r =
        m.tool({"--json", "release", "request", std::to_string(id), "--to", "UNDP", "--entity-kind",
                kind, "--justification", "mandate para 7(b)", "--arrangement", "WA-2026-04"},
               uid);
    EXPECT_EQ(r.status, 0) << r.err;
    return r.status == 0 ? r.json().at("request").as_int64() : -1;
}

TEST(Release, ASecurityForceReleaseNeedsItsDueDiligenceReference) {
    Mission m;
    const auto id = shared_record(m);
    auto r = m.tool(
        {"release", "request", std::to_string(id), "--to", "Host State Police", "--entity-kind",
         "security-force", "--justification", "mandate para 7(b)", "--arrangement", "WA-2026-04"},
        kAnalyst);
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("--hrddp"), std::string::npos) << r.err;
    r = m.tool({"--json", "release", "request", std::to_string(id), "--to", "Host State Police",
                "--entity-kind", "security-force", "--justification", "mandate para 7(b)",
                "--arrangement", "WA-2026-04", "--hrddp", "HRDDP-2026-11"},
               kAnalyst);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.json().at("hrddp"), "HRDDP-2026-11");
    // Only what the requester may read can be requested.
    EXPECT_EQ(m.tool({"release", "request", std::to_string(id), "--to", "UNDP", "--entity-kind",
                      "un", "--justification", "j", "--arrangement", "a"},
                     kPolice)
                  .status,
              4);
}

TEST(Release, TheRequesterNeverApprovesAndTheHeadOfMissionDoes) {
    Mission m;
    const auto id = shared_record(m);
    // The head of mission asks: nobody else can approve, so the request is refused at once.
    auto r = m.tool({"release", "request", std::to_string(id), "--to", "UNDP", "--entity-kind",
                     "un", "--justification", "mandate para 7(b)", "--arrangement", "WA-2026-04"},
                    kHom);
    EXPECT_EQ(r.status, 5) << r.err;
    EXPECT_NE(r.err.find("nobody can approve"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("no holder other than the requester"), std::string::npos) << r.err;
    // The analyst asks; the request names who may approve it.
    r = m.tool({"--json", "release", "request", std::to_string(id), "--to", "UNDP", "--entity-kind",
                "un", "--justification", "mandate para 7(b)", "--arrangement", "WA-2026-04"},
               kAnalyst);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto q = r.json().at("request").as_int64();
    const auto approvers = r.json().at("approvers").as_array();
    ASSERT_EQ(approvers.size(), 1U) << r.out;
    EXPECT_EQ(approvers[0].at("account"), "hom");
    EXPECT_EQ(approvers[0].at("authority"), "head-of-mission");
    const auto sq = std::to_string(q);
    // Neither the analyst nor the chief may approve; to the chief it does not exist.
    EXPECT_EQ(m.tool({"release", "approve", sq}, kAnalyst).status, 5);
    EXPECT_EQ(m.tool({"release", "approve", sq}, kChief).status, 4);
    EXPECT_EQ(m.tool({"release", "issue", sq, "-o", m.out_path("early")}, kAnalyst).status, 5);
    r = m.tool({"--json", "release", "approve", sq}, kHom);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.json().at("authority"), "head-of-mission");
    EXPECT_EQ(r.json().at("approved_by"), "hom");
    EXPECT_EQ(m.tool({"release", "approve", sq}, kHom).status, 5);  // once
    // An approver who may no longer read a record does not even see its request.
    ASSERT_EQ(m.admin({"grant", "hom", "JMAC", "--level", "confidential"}, kOff1).status, 0);
    const auto secret = jmac_record(m, "source identities\n");
    const auto hidden = request_release(m, secret, kAnalyst);
    ASSERT_EQ(m.admin({"revoke", "hom", "JMAC"}, kOff1).status, 0);
    EXPECT_EQ(m.tool({"release", "approve", std::to_string(hidden)}, kHom).status, 4);
    r = m.tool({"--json", "release", "list"}, kHom);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto listed = r.json();
    for (const auto& q2 : listed.at("releases").as_array()) {
        EXPECT_NE(q2.at("request").as_int64(), hidden);
    }
    // Only the requester issues the released copy; it is marked and registered.
    EXPECT_EQ(m.tool({"release", "issue", sq, "-o", m.out_path("hom-out")}, kHom).status, 3);
    r = m.tool({"--json", "release", "issue", sq, "-o", m.out_path("released.txt")}, kAnalyst);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto marking = std::string(r.json().at("marking").as_string().c_str());
    EXPECT_NE(marking.find("RELEASED TO UNDP UNDER WA-2026-04"), std::string::npos) << marking;
    const auto copy = strip_invisible(read_file(m.out_path("released.txt")));
    EXPECT_EQ(copy, marking + "\nElection security plan\n" + marking + "\n");
    EXPECT_EQ(m.tool({"release", "issue", sq, "-o", m.out_path("again")}, kAnalyst).status, 5);
    r = m.tool({"--json", "copies", std::to_string(id)}, kAnalyst);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto doc = r.json();
    ASSERT_EQ(doc.at("copies").as_array().size(), 1U);
    EXPECT_EQ(doc.at("copies").as_array()[0].at("state"), "released");
    EXPECT_EQ(doc.at("copies").as_array()[0].at("purpose").as_string(),
              "release " + sq + " to UNDP");
}

TEST(Release, ADelegateApprovesUntilTheDelegationExpires) {
    Mission m;
    const auto id = shared_record(m);
    // Only the head of mission delegates release.
    EXPECT_EQ(
        m.tool({"delegate", "release", "--to", "jmac-desk2", "--ref", "DEL-9"}, kChief).status, 3);
    auto r = m.tool({"--json", "delegate", "release", "--to", "jmac-desk2", "--ref", "DEL-9",
                     "--until", day_offset(1)},
                    kHom);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto first = request_release(m, id, kAnalyst);
    r = m.tool({"--json", "release", "approve", std::to_string(first)}, kDesk2);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.json().at("authority"), "delegation");
    EXPECT_EQ(r.json().at("reference"), "DEL-9");
    // Three days on, the delegation has lapsed: the delegate can no longer approve.
    const auto second = request_release(m, id, kAnalyst);
    m.restart(three_days_on(m));
    // No longer an approver: to desk2 the request does not exist.
    EXPECT_EQ(m.tool({"release", "approve", std::to_string(second)}, kDesk2).status, 4);
    EXPECT_EQ(m.tool({"release", "approve", std::to_string(second)}, kHom).status, 0);
}

TEST(Registry, TheReportListsReceiptDisseminationsCopiesAndReleasesInOrder) {
    Mission m;
    auto r = m.admin({"--json", "receive", m.file("hq.txt", "HQ threat assessment\n"), "--from",
                      "UN HQ", "--title", "Threat <assessment>", "--level", "confidential", "--to",
                      "jmac-analyst", "--to", "hom"},
                     kClerk);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto id = r.json().at("id").as_int64();
    const auto sid = std::to_string(id);
    const std::string registry = r.json().at("registry_number").as_string().c_str();
    ASSERT_EQ(m.tool({"get", sid, "-o", m.out_path("c1"), "--purpose", "brief"}, kAnalyst).status,
              0);
    ASSERT_EQ(m.tool({"copy", "return", sid, "1"}, kAnalyst).status, 0);
    const auto q = request_release(m, id, kAnalyst);
    ASSERT_EQ(m.tool({"release", "approve", std::to_string(q)}, kHom).status, 0);
    ASSERT_EQ(
        m.tool({"release", "issue", std::to_string(q), "-o", m.out_path("rel")}, kAnalyst).status,
        0);
    // Another record, which a report of this one leaves out.
    jmac_record(m, "other\n");

    m.add_role_account("aud", 61021, "auditor");
    for (const uid_t who : {kClerk, uid_t{61021}}) {
        r = m.admin({"--json", "report", "registry", "--record", sid}, who);
        ASSERT_EQ(r.status, 0) << r.err;
        const auto doc = r.json();
        std::vector<std::string> events;
        for (const auto& row : doc.at("rows").as_array()) {
            EXPECT_EQ(row.at("record"), id);
            EXPECT_EQ(row.at("registry_number").as_string(), registry);
            events.push_back(fmt::format("{} {} {} {}", row.at("event").as_string().c_str(),
                                         row.at("by").as_string().c_str(),
                                         row.at("party").as_string().c_str(),
                                         row.at("authority").as_string().c_str()));
        }
        const std::vector<std::string> expected{"received clerk UN HQ receipt",
                                                "disseminated clerk jmac-analyst receipt",
                                                "disseminated clerk hom receipt",
                                                "copy issued  analyst ",
                                                "copy returned analyst analyst ",
                                                "release requested analyst UNDP (un) ",
                                                "release approved hom UNDP head-of-mission",
                                                "copy released analyst UNDP release"};
        EXPECT_EQ(events, expected);
    }
    // CSV and a printable HTML page, written to new files.
    ASSERT_EQ(
        m.admin({"report", "registry", "--format", "csv", "-o", m.out_path("reg.csv")}, kClerk)
            .status,
        0);
    const auto csv = read_file(m.out_path("reg.csv"));
    EXPECT_EQ(csv.rfind("Record,Registry number,Title,", 0), 0U) << csv;
    EXPECT_NE(csv.find(registry + ",Threat <assessment>,confidential,,"), std::string::npos) << csv;
    ASSERT_EQ(
        m.admin({"report", "registry", "--format", "html", "-o", m.out_path("reg.html")}, kClerk)
            .status,
        0);
    const auto html = read_file(m.out_path("reg.html"));
    EXPECT_NE(html.find("Threat &lt;assessment&gt;"), std::string::npos);
    EXPECT_NE(html.find("release approved"), std::string::npos);
    EXPECT_EQ(m.admin({"report", "registry", "-o", m.out_path("reg.html")}, kClerk).status, 2);
    // Not for analysts or officers.
    EXPECT_EQ(m.admin({"report", "registry"}, kAnalyst).status, 3);
    EXPECT_EQ(m.admin({"report", "registry"}, kOff1).status, 3);
}

}  // namespace
}  // namespace strongroom::test
