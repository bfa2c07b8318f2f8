// End-to-end tests of retention (DESIGN.md §2 rules 9-11): schedules and
// their two-person change, what is due and why, reviews and legal holds.
// The real daemon and tools, as different Unix users.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <thread>

#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "daemon/retention/schedule.hpp"
#include "daemon/store/sqlite.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/mission.hpp"
#include "tests/integration/pages.hpp"

namespace strongroom::test {
namespace {

namespace json = boost::json;
constexpr uid_t kClerk2 = 61022;

void add_second_clerk(Mission& m) {
    m.add_role_account("clerk2", kClerk2, "registrar");
}

json::object schedule_of(Mission& m, const std::string& type) {
    auto r = m.admin({"--json", "retention", "list"}, kClerk);
    EXPECT_EQ(r.status, 0) << r.err;
    const auto doc = r.json();
    for (const auto& s : doc.at("schedules").as_array()) {
        if (s.at("type") == type.c_str()) {
            return s.as_object();
        }
    }
    ADD_FAILURE() << "no schedule for " << type << ": " << r.out;
    return {};
}

json::value due(Mission& m, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--json", "retention", "due"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = m.admin(args, kClerk);
    EXPECT_EQ(r.status, 0) << r.err;
    return r.status == 0 ? r.json() : json::value(json::object{});
}

// The due items of one record.
std::vector<json::object> items_of(const json::value& d, std::int64_t id) {
    std::vector<json::object> out;
    for (const auto& i : d.at("due").as_array()) {
        if (i.at("record") == id) {
            out.push_back(i.as_object());
        }
    }
    return out;
}

std::int64_t raw_data(Mission& m, const std::string& dated, const std::string& title) {
    return m.ingest(kAnalyst, "intercept " + title + "\n",
                    {"--title", title, "--level", "confidential", "--compartment", "JMAC", "--type",
                     "raw-acquisition-data", "--dated", dated});
}

TEST(Retention, TheBuiltInSchedulesAreListed) {
    Mission m;
    auto s = schedule_of(m, "raw-acquisition-data");
    EXPECT_EQ(s.at("disposition"), "destroy");
    EXPECT_EQ(s.at("destroy_after"), "1y");
    EXPECT_TRUE(s.at("built_in").as_bool());
    s = schedule_of(m, "source-personal-data");
    EXPECT_EQ(s.at("destroy_after"), "6m");
    s = schedule_of(m, "intelligence-product");
    EXPECT_EQ(s.at("disposition"), "permanent");
    EXPECT_EQ(s.at("transfer"), "biannual");
    s = schedule_of(m, "acquisition-plan");
    EXPECT_EQ(s.at("review"), "1y");
    s = schedule_of(m, "mission-plan");
    EXPECT_EQ(s.at("review"), "6m");
    EXPECT_EQ(s.at("review_first_year"), "3m");
    // Registrars and auditors; nobody else.
    EXPECT_EQ(m.admin({"retention", "list"}, kAnalyst).status, 3);
    EXPECT_EQ(m.admin({"retention", "list"}, kOff1).status, 3);
}

TEST(Retention, AScheduleChangeNeedsASecondRegistrar) {
    Mission m;
    add_second_clerk(m);
    auto r = m.admin(
        {"--json", "retention", "set", "raw-acquisition-data", "--destroy-after", "2y"}, kClerk);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto v = r.json();
    ASSERT_EQ(v.at("status"), "pending") << r.out;
    const auto id = std::to_string(v.at("pending_id").as_int64());
    // Not yet in force.
    EXPECT_EQ(schedule_of(m, "raw-acquisition-data").at("destroy_after"), "1y");
    // Not by the same registrar; not by an officer; by another registrar.
    r = m.admin({"pending", "approve", id}, kClerk);
    EXPECT_EQ(r.status, 5) << r.err;
    EXPECT_NE(r.err.find("different registrar"), std::string::npos) << r.err;
    r = m.admin({"pending", "approve", id}, kOff2);
    EXPECT_EQ(r.status, 3) << r.err;
    EXPECT_NE(r.err.find("needs a second registrar"), std::string::npos) << r.err;
    r = m.admin({"pending", "approve", id}, kClerk2);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto s = schedule_of(m, "raw-acquisition-data");
    EXPECT_EQ(s.at("destroy_after"), "2y");
    EXPECT_EQ(s.at("changed_by"), "clerk");
    EXPECT_EQ(s.at("approved_by"), "clerk2");
    EXPECT_FALSE(s.at("built_in").as_bool());
    // And a registrar cannot approve a matrix change.
    r = m.admin({"--json", "grant", "jmac-analyst", "HUMINT", "--level", "strictly-confidential"},
                kOff1);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto grant = std::to_string(r.json().at("pending_id").as_int64());
    EXPECT_EQ(m.admin({"pending", "approve", grant}, kClerk2).status, 3);

    // Bad schedules are named.
    r = m.admin({"retention", "set", "x", "--destroy-after", "1y", "--transfer", "biannual"},
                kClerk);
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("only permanent"), std::string::npos) << r.err;
    r = m.admin({"retention", "set", "x", "--destroy-after", "soon"}, kClerk);
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("not a period"), std::string::npos) << r.err;
    r = m.admin({"retention", "set", "x"}, kClerk);
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(m.admin({"retention", "set", "x", "--permanent"}, kAnalyst).status, 3);
}

TEST(Retention, OnlyTypesWithASchedulesAreIngested) {
    Mission m;
    add_second_clerk(m);
    const auto path = m.file("notes.txt", "field notes\n");
    auto r = m.tool({"ingest", path, "--title", "Notes", "--level", "confidential", "--compartment",
                     "JMAC", "--type", "field-notes"},
                    kAnalyst);
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("no retention schedule for record type \"field-notes\""),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("raw-acquisition-data"), std::string::npos) << r.err;
    // A new type, once its schedule is approved.
    r = m.admin({"--json", "retention", "set", "field-notes", "--destroy-after", "90d"}, kClerk);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto id = std::to_string(r.json().at("pending_id").as_int64());
    ASSERT_EQ(m.admin({"pending", "approve", id}, kClerk2).status, 0);
    r = m.tool({"ingest", path, "--title", "Notes", "--level", "confidential", "--compartment",
                "JMAC", "--type", "field-notes"},
               kAnalyst);
    EXPECT_EQ(r.status, 0) << r.err;
}

TEST(Retention, ARecordDatedTwoYearsAgoUnderAOneYearScheduleIsDue) {
    Mission m;
    const auto old = raw_data(m, day_offset(-730), "Old intercept");
    const auto recent = raw_data(m, day_offset(-10), "Recent intercept");
    const auto product = m.ingest(kAnalyst, "assessment\n",
                                  {"--title", "Assessment", "--level", "confidential",
                                   "--compartment", "JMAC", "--dated", day_offset(-10)});
    auto d = due(m);
    auto items = items_of(d, old);
    ASSERT_EQ(items.size(), 1U) << d;
    EXPECT_EQ(items[0].at("action"), "destroy");
    EXPECT_EQ(items[0].at("since").as_string(),
              format_date(retention::add_period(*parse_date(day_offset(-730)), {1, 'y'})));
    EXPECT_NE(std::string(items[0].at("why").as_string()).find("destroyed 1y after cut-off"),
              std::string::npos)
        << items[0];
    EXPECT_TRUE(items[0].at("overdue").as_bool());  // due about a year ago
    EXPECT_TRUE(items[0].at("holds").as_array().empty());
    EXPECT_TRUE(items_of(d, recent).empty()) << d;
    EXPECT_TRUE(items_of(d, product).empty()) << d;  // permanent, dated after the transfer point
    bool counted = false;
    for (const auto& t : d.at("types").as_array()) {
        if (t.at("type") == "raw-acquisition-data") {
            counted = true;
            EXPECT_EQ(t.at("records"), 2);
            EXPECT_EQ(t.at("destroy"), 1);
            EXPECT_EQ(t.at("on_hold"), 0);
            EXPECT_EQ(t.at("overdue"), 1);
        }
    }
    EXPECT_TRUE(counted) << d;
    // As of a day before it fell due, it was not due; a year on, both are.
    EXPECT_TRUE(items_of(due(m, {"--as-of", day_offset(-400)}), old).empty());
    d = due(m, {"--as-of", day_offset(400)});
    EXPECT_EQ(items_of(d, old).size(), 1U);
    EXPECT_EQ(items_of(d, recent).size(), 1U);
    // The human form says why.
    auto r = m.admin({"retention", "due"}, kClerk);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("destroy (overdue)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("destroyed 1y after cut-off (dated " + day_offset(-730) + ")"),
              std::string::npos)
        << r.out;
    // Registrars and auditors only.
    EXPECT_EQ(m.admin({"retention", "due"}, kAnalyst).status, 3);
    EXPECT_EQ(m.admin({"retention", "due", "--as-of", "yesterday"}, kClerk).status, 2);
}

TEST(Retention, DuePagesFollowOneAnother) {
    Mission m;
    std::set<std::int64_t> ids;
    for (int i = 0; i < 5; ++i) {
        ids.insert(raw_data(m, day_offset(-800 + i), fmt::format("Intercept {}", i)));
    }
    std::set<std::int64_t> seen;
    std::vector<std::string> page{"--limit", "2"};
    for (int pages = 0; pages < 5; ++pages) {
        const auto d = due(m, page);
        for (const auto& i : d.at("due").as_array()) {
            EXPECT_TRUE(seen.insert(i.at("record").as_int64()).second) << d;
        }
        if (d.at("next").is_null()) {
            EXPECT_EQ(pages, 2);
            break;
        }
        page = {"--limit", "2", "--after", std::string(d.at("next").as_string())};
    }
    EXPECT_EQ(seen, ids);
    EXPECT_EQ(m.admin({"retention", "due", "--after", "nonsense"}, kClerk).status, 2);
}

TEST(Retention, LegalHoldsAreListedAndShownOnWhatIsDue) {
    Mission m;
    const auto old = raw_data(m, day_offset(-730), "Old intercept");
    const auto older = raw_data(m, day_offset(-800), "Older intercept");
    auto r = m.admin({"hold", "place", "inquiry-7", "--reason", "board of inquiry 7", "--record",
                      std::to_string(old)},
                     kClerk);
    ASSERT_EQ(r.status, 0) << r.err;
    auto d = due(m);
    auto items = items_of(d, old);
    ASSERT_EQ(items.size(), 1U);
    EXPECT_EQ(items[0].at("holds"), json::array{"inquiry-7"});
    EXPECT_TRUE(items_of(d, older)[0].at("holds").as_array().empty());
    for (const auto& t : d.at("types").as_array()) {
        if (t.at("type") == "raw-acquisition-data") {
            EXPECT_EQ(t.at("on_hold"), 1);
        }
    }
    // The same name twice is refused while the first is in force.
    r = m.admin(
        {"hold", "place", "inquiry-7", "--reason", "again", "--type", "raw-acquisition-data"},
        kClerk);
    EXPECT_EQ(r.status, 5) << r.err;
    // A hold on the whole type.
    r = m.admin({"hold", "place", "claim-2", "--reason", "claim", "--type", "raw-acquisition-data"},
                kClerk);
    ASSERT_EQ(r.status, 0) << r.err;
    d = due(m);
    EXPECT_EQ(items_of(d, older)[0].at("holds"), json::array{"claim-2"});
    r = m.admin({"--json", "hold", "list"}, kClerk);
    ASSERT_EQ(r.status, 0) << r.err;
    auto list = r.json();
    ASSERT_EQ(list.at("holds").as_array().size(), 2U);
    EXPECT_EQ(list.at("holds").at(0).at("name"), "claim-2");
    EXPECT_EQ(list.at("holds").at(1).at("records"), json::array{old});
    EXPECT_EQ(list.at("holds").at(1).at("placed_by"), "clerk");
    // Release.
    ASSERT_EQ(m.admin({"hold", "release", "claim-2"}, kClerk).status, 0);
    EXPECT_EQ(m.admin({"hold", "release", "claim-2"}, kClerk).status, 4);
    d = due(m);
    EXPECT_TRUE(items_of(d, older)[0].at("holds").as_array().empty());
    // Bad holds are named; only registrars place them.
    EXPECT_EQ(m.admin({"hold", "place", "h", "--reason", "r", "--record", "999"}, kClerk).status,
              4);
    EXPECT_EQ(m.admin({"hold", "place", "h", "--reason", "r", "--type", "nope"}, kClerk).status, 4);
    EXPECT_EQ(m.admin({"hold", "place", "h", "--reason", "r"}, kClerk).status, 2);
    EXPECT_EQ(
        m.admin({"hold", "place", "h", "--reason", "r", "--record", std::to_string(old)}, kAnalyst)
            .status,
        3);
}

TEST(Retention, AHeldRecordCannotBeDestroyedEvenInTheDatabase) {
    Mission m;
    const auto old = raw_data(m, day_offset(-730), "Old intercept");
    ASSERT_EQ(m.admin({"hold", "place", "inquiry", "--reason", "inquiry", "--record",
                       std::to_string(old)},
                      kClerk)
                  .status,
              0);
    auto db = m.stop_and_open();
    auto& conn = db->store.writer_connection();
    const auto update = fmt::format("UPDATE records SET state = 'destroyed' WHERE id = {}", old);
    EXPECT_THROW(conn.exec(update.c_str()), store::StoreError);
    const auto remove = fmt::format("DELETE FROM record_keys WHERE record_id = {}", old);
    EXPECT_THROW(conn.exec(remove.c_str()), store::StoreError);
    conn.exec("UPDATE holds SET released_at = 1, released_by = 1");
    EXPECT_NO_THROW(conn.exec(remove.c_str()));
}

TEST(Retention, ReviewsAreRecordedAndCountFromTheLastOne) {
    Mission m;
    const auto plan = m.ingest(kAnalyst, "plan\n",
                               {"--title", "Collection plan", "--level", "confidential",
                                "--compartment", "JMAC", "--type", "acquisition-plan"});
    auto d = due(m, {"--as-of", day_offset(370)});
    auto items = items_of(d, plan);
    ASSERT_EQ(items.size(), 1U) << d;
    EXPECT_EQ(items[0].at("action"), "review");
    EXPECT_NE(std::string(items[0].at("why").as_string()).find("entered " + day_offset(0)),
              std::string::npos)
        << items[0];
    EXPECT_TRUE(items_of(due(m), plan).empty());
    ASSERT_EQ(
        m.admin({"retention", "review", std::to_string(plan), "--note", "still needed"}, kClerk)
            .status,
        0);
    items = items_of(due(m, {"--as-of", day_offset(370)}), plan);
    ASSERT_EQ(items.size(), 1U);
    EXPECT_NE(std::string(items[0].at("why").as_string()).find("last reviewed " + day_offset(0)),
              std::string::npos)
        << items[0];
    EXPECT_EQ(m.admin({"retention", "review", "999"}, kClerk).status, 4);
    EXPECT_EQ(m.admin({"retention", "review", std::to_string(plan)}, kAnalyst).status, 3);
}

constexpr uid_t kAuditor = 61021;

TEST(Disposal, DestroysSoThatNothingCanBeReadBack) {
    Mission m;
    add_second_clerk(m);
    m.add_role_account("aud", kAuditor, "auditor");
    const std::string marker = "zanzibarquokka";
    const auto doomed =
        m.ingest(kAnalyst, "intercept of " + marker + " traffic\n",
                 {"--title", "Intercept 1", "--level", "confidential", "--compartment", "JMAC",
                  "--type", "raw-acquisition-data", "--dated", day_offset(-730)});
    const auto held = raw_data(m, day_offset(-730), "Intercept 2");
    const auto copied = raw_data(m, day_offset(-730), "Intercept 3");
    const auto recent = raw_data(m, day_offset(-10), "Intercept 4");
    ASSERT_EQ(m.admin({"hold", "place", "inquiry", "--reason", "board of inquiry", "--record",
                       std::to_string(held)},
                      kClerk)
                  .status,
              0);
    ASSERT_EQ(m.tool({"get", std::to_string(copied), "-o", m.out_path("c3"), "--purpose", "brief"},
                     kAnalyst)
                  .status,
              0);
    // The page reader can find the marker before: the text index holds its word.
    const auto before = decrypted_pages(m.state());
    ASSERT_NE(before.find("CREATE TABLE records"), std::string::npos);
    ASSERT_NE(before.find(marker), std::string::npos);
    // (Searching for the marker itself would put it in the audit trail, which
    // keeps what people asked for: the search here is for another word.)
    ASSERT_EQ(m.visible(kAnalyst, "traffic"), std::vector<std::int64_t>{doomed});

    // Proposed: only the record free of holds and copies; the others named.
    auto r = m.admin({"--json", "disposal", "propose"}, kClerk);
    ASSERT_EQ(r.status, 0) << r.err;
    auto p = r.json();
    EXPECT_EQ(p.at("records"), json::array{doomed}) << p;
    const auto blockers = json::serialize(p.at("blockers"));
    EXPECT_NE(blockers.find(fmt::format("record {} is under legal hold inquiry", held)),
              std::string::npos)
        << blockers;
    EXPECT_NE(blockers.find(fmt::format("record {} has 1 outstanding copy", copied)),
              std::string::npos)
        << blockers;
    EXPECT_EQ(blockers.find(std::to_string(recent)), std::string::npos) << blockers;
    const auto batch = std::to_string(p.at("batch").as_int64());
    // Not executable before approval; not approved by its proposer.
    EXPECT_EQ(m.admin({"disposal", "execute", batch, "-o", m.out_path("early.txt")}, kClerk).status,
              5);
    r = m.admin({"disposal", "approve", batch}, kClerk);
    EXPECT_EQ(r.status, 5);
    EXPECT_NE(r.err.find("different registrar"), std::string::npos) << r.err;
    EXPECT_EQ(m.admin({"disposal", "approve", batch}, kAnalyst).status, 3);
    ASSERT_EQ(m.admin({"disposal", "approve", batch}, kClerk2).status, 0);
    // A second proposal leaves the record in the open batch alone.
    r = m.admin({"--json", "disposal", "propose"}, kClerk2);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(r.json().at("batch").is_null()) << r.out;

    const auto cert = m.out_path("certificate.txt");
    r = m.admin({"disposal", "execute", batch, "-o", cert}, kClerk);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("1 records destroyed"), std::string::npos) << r.out;
    EXPECT_EQ(m.admin({"disposal", "execute", batch, "-o", m.out_path("again.txt")}, kClerk).status,
              5);

    // Gone for everyone: not shown, not listed, not found, no copy.
    EXPECT_EQ(m.tool({"show", std::to_string(doomed)}, kAnalyst).status, 4);
    EXPECT_EQ(
        m.tool({"get", std::to_string(doomed), "-o", m.out_path("x"), "--purpose", "p"}, kAnalyst)
            .status,
        4);
    EXPECT_FALSE(contains(m.visible(kAnalyst), doomed));
    EXPECT_TRUE(contains(m.visible(kAnalyst), held));
    // Nowhere in the database's pages, deleted or not, nor in its log.
    const auto after = decrypted_pages(m.state());
    EXPECT_NE(after.find("CREATE TABLE records"), std::string::npos);
    EXPECT_EQ(after.find(marker), std::string::npos);
    EXPECT_TRUE(m.visible(kAnalyst, "traffic").empty());
    EXPECT_TRUE(m.visible(kAnalyst, marker).empty());

    // The certificate: what, by whom, and until when backups could yield it.
    const auto text = read_file(cert);
    EXPECT_TRUE(text.starts_with("STRONGROOM DESTRUCTION CERTIFICATE\n")) << text;
    EXPECT_NE(text.find("proposed: clerk "), std::string::npos) << text;
    EXPECT_NE(text.find("approved: clerk2 "), std::string::npos) << text;
    EXPECT_NE(text.find(fmt::format("record: {} | MISSION/", doomed)), std::string::npos) << text;
    EXPECT_NE(text.find("| raw-acquisition-data | dated " + day_offset(-730)), std::string::npos)
        << text;
    EXPECT_NE(text.find("no backup can yield these records after: " + day_offset(30)),
              std::string::npos)
        << text;
    for (const uid_t who : {kClerk, kAuditor}) {
        r = m.admin({"--json", "certificate", "verify", cert}, who);
        EXPECT_EQ(r.status, 0) << r.out << r.err;
        if (r.status == 0) {
            const auto v = r.json();
            EXPECT_TRUE(v.at("signature_valid").as_bool());
            EXPECT_TRUE(v.at("matches_register").as_bool());
            EXPECT_EQ(v.at("records_destroyed"), 1);
        }
    }
    // A tampered certificate does not verify.
    auto forged = text;
    const auto at = forged.find("copies: ");
    forged.replace(at, 8, "copies: 0 lost, ");
    const auto forged_path = m.file("forged.txt", forged);
    r = m.admin({"--json", "certificate", "verify", forged_path}, kAuditor);
    EXPECT_EQ(r.status, 5) << r.out << r.err;
    const auto v = r.json();
    EXPECT_FALSE(v.at("signature_valid").as_bool());
    EXPECT_FALSE(v.at("matches_register").as_bool());
    EXPECT_FALSE(v.at("valid").as_bool());
    r = m.admin({"certificate", "verify", m.file("junk.txt", "hello\n")}, kAuditor);
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("not a strongroom destruction certificate"), std::string::npos) << r.err;
    // Printable.
    const auto printed = m.out_path("certificate.html");
    ASSERT_EQ(m.admin({"certificate", "print", cert, "-o", printed}, kAuditor).status, 0);
    const auto page = read_file(printed);
    EXPECT_NE(page.find("Destruction certificate, batch " + batch), std::string::npos);
    EXPECT_NE(page.find("Content-Security-Policy"), std::string::npos);
    EXPECT_NE(page.find("<td>" + std::to_string(doomed) + "</td>"), std::string::npos) << page;
    EXPECT_NE(page.find("approved: clerk2"), std::string::npos);
    EXPECT_EQ(m.admin({"certificate", "print", m.file("nope.txt", "x\n")}, kAuditor).status, 2);
    // The retention report: per type, what was destroyed, under which certificate.
    r = m.admin({"--json", "report", "retention"}, kAuditor);
    ASSERT_EQ(r.status, 0) << r.err;
    bool reported = false;
    const auto report = r.json();
    for (const auto& row : report.at("rows").as_array()) {
        if (row.at("type") == "raw-acquisition-data") {
            reported = true;
            EXPECT_EQ(row.at("destroyed"), 1) << row;
            EXPECT_EQ(row.at("held"), 3) << row;
            EXPECT_EQ(row.at("due"), 2) << row;  // the held one and the copied one
            EXPECT_EQ(row.at("on_hold"), 1) << row;
            EXPECT_EQ(row.at("certificates").as_string(), "disposal " + batch) << row;
        }
    }
    EXPECT_TRUE(reported) << r.out;
    const auto html = m.out_path("retention.html");
    ASSERT_EQ(m.admin({"report", "retention", "--format", "html", "-o", html}, kClerk).status, 0);
    EXPECT_NE(read_file(html).find("disposal " + batch), std::string::npos);
    EXPECT_EQ(m.admin({"report", "retention"}, kAnalyst).status, 3);
    // The stub stays in the register.
    r = m.admin({"--json", "disposal", "show", batch}, kAuditor);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.json().at("certificate").as_string(), text);
    EXPECT_EQ(r.json().at("state"), "executed");
}

TEST(Disposal, AHoldPlacedAfterApprovalStopsTheBatch) {
    Mission m;
    add_second_clerk(m);
    const auto old = raw_data(m, day_offset(-730), "Old intercept");
    const auto older = raw_data(m, day_offset(-800), "Older intercept");
    auto r = m.admin({"--json", "disposal", "propose", "--as-of", day_offset(0), "--limit", "1"},
                     kClerk);
    ASSERT_EQ(r.status, 0) << r.err;
    auto p = r.json();
    EXPECT_EQ(p.at("records"), json::array{older}) << p;  // the longest due first
    EXPECT_EQ(p.at("left"), 1) << p;
    const auto batch = std::to_string(p.at("batch").as_int64());
    ASSERT_EQ(m.admin({"disposal", "approve", batch}, kClerk2).status, 0);
    ASSERT_EQ(
        m.admin({"hold", "place", "late", "--reason", "claim", "--type", "raw-acquisition-data"},
                kClerk)
            .status,
        0);
    r = m.admin({"disposal", "execute", batch, "-o", m.out_path("cert.txt")}, kClerk);
    EXPECT_EQ(r.status, 5);
    EXPECT_NE(r.err.find("legal hold late"), std::string::npos) << r.err;
    EXPECT_EQ(m.tool({"show", std::to_string(older)}, kAnalyst).status, 0);
    EXPECT_EQ(m.tool({"show", std::to_string(old)}, kAnalyst).status, 0);
    EXPECT_EQ(m.admin({"disposal", "propose", "--as-of", day_offset(5)}, kClerk).status, 2);
    EXPECT_EQ(m.admin({"disposal", "propose", "--limit", "0"}, kClerk).status, 2);
}

std::vector<std::string> key_backups(Mission& m) {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(m.state() / "key-backups")) {
        names.push_back(e.path().filename().string());
    }
    return names;
}

TEST(Backup, NoKeyNorTextGoesIntoABackupAndKeyStoreBackupsExpire) {
    Mission m;
    const std::string marker = "quetzalmarmot";
    const auto id = m.ingest(kAnalyst, "sighting of " + marker + " convoy\n",
                             {"--title", "Sighting", "--level", "confidential", "--compartment",
                              "JMAC", "--type", "raw-acquisition-data"});
    const auto out = m.out_path("strongroom.backup");
    auto r = m.admin({"--json", "backup", "-o", out}, kOff1);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto answer = r.json();
    const std::string name(answer.at("key_backup").as_string());
    EXPECT_EQ(std::string(answer.at("key_backup_expires").as_string()).substr(0, 10),
              day_offset(30));
    EXPECT_EQ(m.admin({"backup", "-o", out}, kOff1).status, 2);                // never overwritten
    EXPECT_EQ(m.admin({"backup", "-o", m.out_path("b2")}, kClerk).status, 3);  // officers only
    struct stat st {};
    ASSERT_EQ(::stat(out.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600U);

    // The backup: the registry and the records' metadata, no key, no word
    // of any text (the content itself is sealed under the record keys).
    const auto plain = decrypted_file(m.state(), out);
    EXPECT_NE(plain.find("CREATE TABLE records"), std::string::npos);
    EXPECT_NE(plain.find("Sighting"), std::string::npos);
    EXPECT_EQ(plain.find(marker), std::string::npos);
    // Its key is in the key-store backup kept apart.
    ASSERT_EQ(key_backups(m), std::vector<std::string>{name});
    const auto keys = read_file(m.state() / "key-backups" / name);
    EXPECT_TRUE(keys.starts_with("STRONGROOM KEY-STORE BACKUP\n")) << keys;
    EXPECT_NE(keys.find(fmt::format("\nkey: {} ", id)), std::string::npos) << keys;
    EXPECT_EQ(keys.find(marker), std::string::npos);
    // The backup is audited.
    const auto rows = m.audit_rows();
    const bool audited = std::any_of(rows.begin(), rows.end(), [](const store::AuditRow& a) {
        return a.record.request == "backup" && a.record.account == "off1" &&
               a.record.decision == store::Decision::allow;
    });
    EXPECT_TRUE(audited);

    // Within the period the key-store backup stays; after it, it is gone:
    // at start-up (a request answered means the start-up is over), and while
    // serving, when the clock passes the expiry (the development clock
    // reads its offset from a file the test changes, every second; the
    // daemon looks for expired backups every second here).
    const auto clock = m.state().parent_path() / "dev-clock";
    std::ofstream(clock) << "+29d\n";
    const auto conf = m.file("expiry.conf", "[retention]\nkey_backup_check_seconds = 1\n");
    m.start({{"STRONGROOM_DEV_CLOCK", clock.string()}}, {"--config", conf});
    ASSERT_EQ(m.admin({"status"}, kOff1).status, 0);
    EXPECT_EQ(key_backups(m), std::vector<std::string>{name});
    std::ofstream(clock, std::ios::trunc) << "+31d\n";
    for (int i = 0; i < 100 && !key_backups(m).empty(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_TRUE(key_backups(m).empty()) << "not removed while serving";
    m.restart(days_on(m, 31));
    ASSERT_EQ(m.admin({"status"}, kOff1).status, 0);
    EXPECT_TRUE(key_backups(m).empty());
    const auto later = m.audit_rows();
    const bool expired = std::any_of(later.begin(), later.end(), [&](const store::AuditRow& a) {
        return a.record.request == "backup.expired" &&
               a.record.reason.find(name) != std::string::npos;
    });
    EXPECT_TRUE(expired);
}

// RFC 8493 checks with the standard tools (no BagIt validator is packaged
// for Debian 12): bagit.txt, every payload and tag file against its
// manifest, no payload file outside the manifest, Payload-Oxum.
RunResult validate_bag(const std::string& dir) {
    const std::string script = R"SH(set -eu
cd "$1"
test "$(cat bagit.txt)" = "$(printf 'BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8')"
sha256sum --quiet --strict -c manifest-sha256.txt
sha256sum --quiet --strict -c tagmanifest-sha256.txt
for f in bagit.txt bag-info.txt manifest-sha256.txt; do grep -q "  $f\$" tagmanifest-sha256.txt; done
listed=$(sed 's/^[0-9a-f]*  //' manifest-sha256.txt | sort)
present=$(find data -type f | sort)
test "$listed" = "$present"
oxum=$(sed -n 's/^Payload-Oxum: //p' bag-info.txt)
bytes=$(find data -type f -exec cat {} + | wc -c)
count=$(find data -type f | wc -l)
test "$oxum" = "$bytes.$count"
)SH";
    return run({"/bin/sh", "-c", script, "validate", dir});
}

TEST(Transfer, APackageIsAValidBagAndTheReceiptRemovesTheContentHere) {
    Mission m;
    add_second_clerk(m);
    const std::string text = "assessment of the northern sector\n";
    const auto old = m.ingest(kAnalyst, text,
                              {"--title", "Assessment", "--level", "confidential", "--compartment",
                               "JMAC", "--dated", day_offset(-400)});
    const auto held = m.ingest(kAnalyst, "held\n",
                               {"--title", "Held", "--level", "confidential", "--compartment",
                                "JMAC", "--dated", day_offset(-400)});
    const auto recent = m.ingest(kAnalyst, "recent\n",
                                 {"--title", "Recent", "--level", "confidential", "--compartment",
                                  "JMAC", "--dated", day_offset(0)});
    ASSERT_EQ(m.tool({"disseminate", std::to_string(old), "--to", "jmac-desk2"}, kAnalyst).status,
              0);
    ASSERT_EQ(m.admin({"hold", "place", "inquiry", "--reason", "inquiry", "--record",
                       std::to_string(held)},
                      kClerk)
                  .status,
              0);
    const auto dir = m.out_path("package");
    auto r = m.admin({"--json", "transfer", "prepare", "-o", dir}, kClerk);
    ASSERT_EQ(r.status, 0) << r.err << r.out;
    const auto p = r.json();
    const auto batch = std::to_string(p.at("batch").as_int64());
    ASSERT_EQ(p.at("records").as_array().size(), 1U) << p;
    EXPECT_EQ(p.at("records").at(0).at("record"), old);
    EXPECT_NE(json::serialize(p.at("blockers")).find("legal hold inquiry"), std::string::npos);
    EXPECT_EQ(json::serialize(p).find(fmt::format("\"record\":{}", recent)), std::string::npos);

    // A bag: valid, and the validation can fail.
    auto v = validate_bag(dir);
    EXPECT_EQ(v.status, 0) << v.out << v.err;
    const auto content_file = fmt::format("{}/data/{}/content", dir, old);
    EXPECT_EQ(read_file(content_file), text);
    const auto meta = json::parse(read_file(fmt::format("{}/data/{}/metadata.json", dir, old)));
    EXPECT_EQ(meta.at("title"), "Assessment");
    EXPECT_EQ(meta.at("transfer_batch").as_int64(), p.at("batch").as_int64());
    const auto history = json::serialize(meta.at("registry_history"));
    EXPECT_NE(history.find("\"event\":\"entered\""), std::string::npos) << history;
    EXPECT_NE(history.find("\"party\":\"jmac-desk2\""), std::string::npos) << history;
    const auto info = read_file(dir + "/bag-info.txt");
    EXPECT_NE(info.find("External-Identifier: MISSION-transfer-" + batch), std::string::npos);
    {
        std::ofstream(content_file, std::ios::app) << "x";
        EXPECT_NE(validate_bag(dir).status, 0);
        std::ofstream(content_file, std::ios::trunc) << text;
        std::ofstream(dir + "/data/stray.txt") << "not listed";
        EXPECT_NE(validate_bag(dir).status, 0);
        std::filesystem::remove(dir + "/data/stray.txt");
        EXPECT_EQ(validate_bag(dir).status, 0);
    }
    // The transfer list is signed: stock openssl verifies it.
    const auto pem = m.out_path("strongroom.pem");
    ASSERT_EQ(m.admin({"audit", "public-key", "-o", pem}, kClerk).status, 0);
    const auto list = read_file(dir + "/transfer-list.txt");
    EXPECT_TRUE(list.starts_with("STRONGROOM TRANSFER LIST\n")) << list;
    const auto sig_at = list.find("signature: ");
    ASSERT_NE(sig_at, std::string::npos);
    const auto body = m.file("list-body", list.substr(0, sig_at));
    const auto sig = m.out_path("list-sig");
    RunOptions decode;
    decode.input = list.substr(sig_at + 11, list.size() - sig_at - 12);
    ASSERT_EQ(run({"/usr/bin/openssl", "base64", "-d", "-A", "-out", sig}, decode).status, 0);
    auto ok = run({"/usr/bin/openssl", "pkeyutl", "-verify", "-pubin", "-inkey", pem, "-rawin",
                   "-in", body, "-sigfile", sig});
    EXPECT_EQ(ok.status, 0) << ok.out << ok.err;
    // Written again from the register: the same payload.
    const auto again = m.out_path("package-again");
    r = m.admin({"transfer", "package", batch, "-o", again}, kClerk);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(read_file(again + "/manifest-sha256.txt"), read_file(dir + "/manifest-sha256.txt"));
    // A bag is written in DIR.partial and renamed once complete.
    EXPECT_FALSE(std::filesystem::exists(again + ".partial"));
    const auto third = m.out_path("package-third");
    std::filesystem::create_directory(third + ".partial");
    r = m.admin({"transfer", "package", batch, "-o", third}, kClerk);
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("package-third.partial exists"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(third));

    // The archives' receipt: the content goes from here, certified.
    EXPECT_EQ(m.admin({"transfer", "confirm", batch}, kClerk).status, 2);  // --receipt needed
    // The receipt goes into a signed certificate: one line, no field separator.
    EXPECT_EQ(m.admin({"transfer", "confirm", batch, "--receipt", "R\nrecord: 1 | forged"}, kClerk)
                  .status,
              2);
    const auto cert = m.out_path("transfer-certificate.txt");
    r = m.admin({"transfer", "confirm", batch, "--receipt", "UNARMS-2026-117", "-o", cert}, kClerk);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(m.admin({"transfer", "confirm", batch, "--receipt", "again"}, kClerk).status, 5);
    EXPECT_EQ(m.tool({"show", std::to_string(old)}, kAnalyst).status, 4);
    EXPECT_TRUE(m.visible(kAnalyst, "northern").empty());
    const auto certificate = read_file(cert);
    EXPECT_TRUE(certificate.starts_with("STRONGROOM TRANSFER CERTIFICATE\n")) << certificate;
    EXPECT_NE(certificate.find("receipt: UNARMS-2026-117"), std::string::npos);
    r = m.admin({"--json", "certificate", "verify", cert}, kClerk);
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    r = m.admin({"--json", "transfer", "list"}, kClerk);
    ASSERT_EQ(r.status, 0);
    EXPECT_EQ(r.json().at("batches").at(0).at("state"), "confirmed");
    EXPECT_EQ(m.admin({"transfer", "list"}, kAnalyst).status, 3);
}

// A record to destroy, one to keep, a backup of both, then the destruction.
struct Restorable {
    std::int64_t doomed = 0;
    std::int64_t kept = 0;
    std::string backup;
    std::string marker = "okapilighthouse";
    std::string kept_text = "report on the harbour\n";
};

Restorable back_up_then_destroy(Mission& m) {
    Restorable x;
    x.doomed = m.ingest(kAnalyst, "intercept of " + x.marker + " traffic\n",
                        {"--title", "Intercept", "--level", "confidential", "--compartment", "JMAC",
                         "--type", "raw-acquisition-data", "--dated", day_offset(-730)});
    x.kept = m.ingest(kAnalyst, x.kept_text,
                      {"--title", "Harbour", "--level", "confidential", "--compartment", "JMAC"});
    x.backup = m.out_path("before.backup");
    EXPECT_EQ(m.admin({"backup", "-o", x.backup}, kOff1).status, 0);
    auto r = m.admin({"--json", "disposal", "propose"}, kClerk);
    EXPECT_EQ(r.status, 0) << r.err;
    const auto batch = std::to_string(r.json().at("batch").as_int64());
    EXPECT_EQ(m.admin({"disposal", "approve", batch}, kClerk2).status, 0);
    EXPECT_EQ(m.admin({"disposal", "execute", batch, "-o", m.out_path("cert.txt")}, kClerk).status,
              0);
    return x;
}

void expect_restored(Mission& m, const Restorable& x) {
    EXPECT_EQ(m.tool({"show", std::to_string(x.doomed)}, kAnalyst).status, 4);
    const auto copy = m.out_path("kept-" + std::to_string(::getpid()) + "-" +
                                 std::to_string(x.kept) + std::to_string(std::rand()));
    const auto r =
        m.tool({"get", std::to_string(x.kept), "-o", copy, "--purpose", "check"}, kAnalyst);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_NE(strip_invisible(read_file(copy)).find(x.kept_text), std::string::npos);
    EXPECT_EQ(m.visible(kAnalyst, "harbour"), std::vector<std::int64_t>{x.kept});
    EXPECT_EQ(decrypted_pages(m.state()).find(x.marker), std::string::npos);
}

TEST(Restore, AnOlderBackupDoesNotBringADestroyedRecordBack) {
    Mission m;
    add_second_clerk(m);
    m.add_role_account("aud", kAuditor, "auditor");
    const auto x = back_up_then_destroy(m);
    ASSERT_EQ(m.admin({"hold", "place", "later", "--reason", "placed after the backup", "--record",
                       std::to_string(x.kept)},
                      kClerk)
                  .status,
              0);
    { auto stopped = m.stop_and_open(); }
    auto r = run({daemon_path(), "--dev", m.state().string(), "--restore", x.backup});
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("1 destructions and transfers replayed"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("keys from the replaced database"), std::string::npos) << r.out;
    // Carried over, the replaced database (which holds the keys of records
    // destroyed later) is not kept.
    EXPECT_NE(r.out.find("the replaced database was overwritten and removed"), std::string::npos)
        << r.out;
    for (const auto& e : std::filesystem::directory_iterator(m.state())) {
        EXPECT_EQ(e.path().filename().string().find("replaced"), std::string::npos) << e.path();
    }
    m.start();
    expect_restored(m, x);
    // A hold placed after the backup stands.
    r = m.admin({"--json", "hold", "list"}, kClerk);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.json().at("holds").as_array().size(), 1U) << r.out;
    // The register keeps the batch and its certificate; the audit chain goes on, intact.
    r = m.admin({"--json", "disposal", "list"}, kAuditor);
    ASSERT_EQ(r.status, 0);
    EXPECT_EQ(r.json().at("batches").at(0).at("state"), "executed");
    r = m.admin({"--json", "audit", "verify"}, kAuditor);
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    r = m.admin({"--json", "audit", "log", "--action", "restore"}, kAuditor);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.json().at("entries").as_array().size(), 1U) << r.out;
    // Refused while the daemon runs.
    r = run({daemon_path(), "--dev", m.state().string(), "--restore", x.backup});
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.err.find("stop it before restoring"), std::string::npos) << r.err;
}

TEST(Restore, WithoutTheDatabaseTheKeyStoreBackupGivesKeysAndDisposals) {
    Mission m;
    add_second_clerk(m);
    const auto x = back_up_then_destroy(m);
    // A later backup: its key-store backup no longer holds the destroyed key.
    ASSERT_EQ(m.admin({"backup", "-o", m.out_path("after.backup")}, kOff1).status, 0);
    { auto stopped = m.stop_and_open(); }
    for (const char* f : {"strongroom.db", "strongroom.db-wal", "strongroom.db-shm"}) {
        std::filesystem::remove(m.state() / f);
    }
    // Once every key-store backup has expired, the backup cannot be read.
    auto r = run({daemon_path(), "--dev", m.state().string(), "--restore", x.backup},
                 RunOptions{std::nullopt, days_on(m, 31), std::chrono::seconds(60), ""});
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.err.find("no key-store backup"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(m.state() / "strongroom.db"));
    // Within the period, the newest key-store backup supplies them.
    r = run({daemon_path(), "--dev", m.state().string(), "--restore", x.backup});
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("1 destructions and transfers replayed"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("from key-store backup keys-"), std::string::npos) << r.out;
    m.start();
    expect_restored(m, x);
}

// Stock openssl verifies a signed text of the strongroom (the lines before
// "signature: ", then the signature).
// (With retired, the key a rekey retired.)
bool openssl_verifies(Mission& m, const std::string& text,
                      std::optional<int> retired = std::nullopt) {
    const auto pem = m.out_path("verify.pem");
    std::filesystem::remove(pem);
    std::vector<std::string> args{"audit", "public-key", "-o", pem};
    if (retired) {
        args.insert(args.end(), {"--retired", std::to_string(*retired)});
    }
    if (m.admin(args, kClerk).status != 0) {
        return false;
    }
    const auto sig_at = text.find("signature: ");
    if (sig_at == std::string::npos) {
        return false;
    }
    const auto body = m.file("signed-body", text.substr(0, sig_at));
    const auto sig = m.out_path("signed-sig");
    std::filesystem::remove(sig);
    RunOptions decode;
    decode.input = text.substr(sig_at + 11, text.size() - sig_at - 12);
    if (run({"/usr/bin/openssl", "base64", "-d", "-A", "-out", sig}, decode).status != 0) {
        return false;
    }
    return run({"/usr/bin/openssl", "pkeyutl", "-verify", "-pubin", "-inkey", pem, "-rawin", "-in",
                body, "-sigfile", sig})
               .status == 0;
}

TEST(Closure, TransfersEveryPermanentRecordDestroysTheRestAndSignsTheStatement) {
    Mission m;
    add_second_clerk(m);
    const auto product =
        m.ingest(kAnalyst, "product\n",
                 {"--title", "Product", "--level", "confidential", "--compartment", "JMAC"});
    const auto raw = raw_data(m, day_offset(-3), "Recent intercept");
    // A legal hold stops the closure until it is released.
    ASSERT_EQ(
        m.admin({"hold", "place", "claim", "--reason", "claim", "--record", std::to_string(raw)},
                kClerk)
            .status,
        0);
    auto r = m.admin({"closure", "prepare", "-o", m.out_path("blocked")}, kClerk);
    EXPECT_EQ(r.status, 5);
    EXPECT_NE(r.err.find("legal hold claim"), std::string::npos) << r.err;
    ASSERT_EQ(m.admin({"hold", "release", "claim"}, kClerk).status, 0);

    const auto dir = m.out_path("closure-package");
    r = m.admin({"--json", "closure", "prepare", "-o", dir}, kClerk);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto p = r.json();
    EXPECT_EQ(p.at("to_transfer"), 1);
    EXPECT_EQ(p.at("to_destroy"), 1);
    const auto closure = std::to_string(p.at("closure").as_int64());
    EXPECT_EQ(validate_bag(dir).status, 0);
    EXPECT_TRUE(std::filesystem::exists(fmt::format("{}/data/{}/content", dir, product)));
    EXPECT_EQ(m.admin({"closure", "prepare", "-o", m.out_path("twice")}, kClerk).status, 5);
    // While it is open nothing enters, and its batches are done only by it.
    const auto early = m.file("early.txt", "early\n");
    r = m.tool({"ingest", early, "--title", "Early", "--level", "unclassified"}, kAnalyst);
    EXPECT_EQ(r.status, 5);
    EXPECT_NE(r.err.find("being closed"), std::string::npos) << r.err;
    r = m.admin({"transfer", "confirm", std::to_string(p.at("transfer_batch").as_int64()),
                 "--receipt", "R"},
                kClerk);
    EXPECT_EQ(r.status, 5);
    EXPECT_NE(r.err.find("belongs to closure"), std::string::npos) << r.err;

    // Two people.
    const auto statement_path = m.out_path("statement.txt");
    EXPECT_EQ(
        m.admin({"closure", "complete", closure, "--receipt", "R", "-o", statement_path}, kClerk)
            .status,
        5);  // not approved
    EXPECT_EQ(m.admin({"closure", "approve", closure}, kClerk).status, 5);
    ASSERT_EQ(m.admin({"closure", "approve", closure}, kClerk2).status, 0);
    EXPECT_EQ(m.admin({"closure", "complete", closure, "-o", statement_path}, kClerk).status, 2);
    r = m.admin({"--json", "closure", "complete", closure, "--receipt", "UNARMS-CLOSE-1", "-o",
                 statement_path},
                kClerk);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto statement = read_file(statement_path);
    EXPECT_TRUE(statement.starts_with("STRONGROOM CLOSURE STATEMENT\n")) << statement;
    EXPECT_NE(statement.find("records held here: 0"), std::string::npos) << statement;
    EXPECT_NE(statement.find("classified content remaining here: none"), std::string::npos);
    EXPECT_NE(statement.find("archives' receipt UNARMS-CLOSE-1"), std::string::npos) << statement;
    EXPECT_TRUE(openssl_verifies(m, statement));
    // Nothing left, and nothing more comes in.
    EXPECT_TRUE(m.visible(kAnalyst).empty());
    EXPECT_EQ(m.tool({"show", std::to_string(product)}, kAnalyst).status, 4);
    const auto path = m.file("late.txt", "late\n");
    r = m.tool({"ingest", path, "--title", "Late", "--level", "unclassified"}, kAnalyst);
    EXPECT_EQ(r.status, 5);
    EXPECT_NE(r.err.find("the mission is closed"), std::string::npos) << r.err;
    // Both batches are done, each with its certificate in the register.
    r = m.admin({"--json", "transfer", "list"}, kClerk);
    ASSERT_EQ(r.status, 0);
    EXPECT_EQ(r.json().at("batches").at(0).at("state"), "confirmed");
    r = m.admin({"--json", "disposal", "list"}, kClerk);
    ASSERT_EQ(r.status, 0);
    EXPECT_EQ(r.json().at("batches").at(0).at("state"), "executed");
}

// A key file for strongroomd --rekey: 32 random bytes, mode 0600.
std::string new_key_file(Mission& m, const std::string& name) {
    std::string key(32, '\0');
    std::ifstream("/dev/urandom", std::ios::binary).read(key.data(), 32);
    const auto path = m.out_path(name);
    std::ofstream(path, std::ios::binary) << key;
    std::filesystem::permissions(
        path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    return path;
}

RunResult rekey(Mission& m, const std::string& key_file) {
    return run({daemon_path(), "--dev", m.state().string(), "--rekey", key_file});
}

// The database's pages read with another master key than its own hold
// nothing readable.
bool pages_readable_with(const std::filesystem::path& state, const std::string& master) {
    TempDir other;
    std::filesystem::copy_file(state / "strongroom.db", other.path() / "strongroom.db");
    std::ofstream(other.path() / "dev.key", std::ios::binary) << master;
    return decrypted_pages(other.path()).find("CREATE TABLE records") != std::string::npos;
}

TEST(Rekey, MovesTheStoreToANewKeyAndWhatWasSignedBeforeStillVerifies) {
    Mission m;
    add_second_clerk(m);
    m.add_role_account("aud", kAuditor, "auditor");
    const auto x = back_up_then_destroy(m);
    const auto cert = m.out_path("cert.txt");
    const auto checkpoint = m.out_path("before-rekey.checkpoint");
    ASSERT_EQ(m.admin({"audit", "checkpoint", "-o", checkpoint}, kAuditor).status, 0);
    const auto old_key = read_file(m.state() / "dev.key");
    const auto key1 = new_key_file(m, "new-1.key");

    // Refused while the daemon runs, also when asked through another socket
    // (the state directory's lock); nor does a second daemon start on it.
    auto r = rekey(m, key1);
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.err.find("stop it before rekeying"), std::string::npos) << r.err;
    const auto other = m.out_path("other.sock");
    r = run({daemon_path(), "--dev", m.state().string(), "--socket", other, "--rekey", key1});
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.err.find("another strongroomd"), std::string::npos) << r.err;
    r = run({daemon_path(), "--dev", m.state().string(), "--socket", other}, RunOptions{});
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.err.find("another strongroomd"), std::string::npos) << r.err;

    { auto stopped = m.stop_and_open(); }
    r = rekey(m, key1);
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("master key replaced"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("retired as key 1"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("1 key-store backups removed"), std::string::npos) << r.out;
    // The new key is the key file now; the database opens only with it.
    EXPECT_EQ(read_file(m.state() / "dev.key"), read_file(key1));
    EXPECT_TRUE(pages_readable_with(m.state(), read_file(key1)));
    EXPECT_FALSE(pages_readable_with(m.state(), old_key));
    EXPECT_TRUE(key_backups(m).empty());
    for (const auto& e : std::filesystem::directory_iterator(m.state())) {
        const auto name = e.path().filename().string();
        EXPECT_EQ(name.find("prekey"), std::string::npos) << name;
        EXPECT_EQ(name.find("rekeying"), std::string::npos) << name;
    }

    m.start();
    expect_restored(m, x);  // the kept record reads and is found; the destroyed one stays gone
    // The chain verifies across the switch of audit keys, the old checkpoint included.
    r = m.admin({"--json", "audit", "verify", "--checkpoint", checkpoint}, kAuditor);
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_EQ(r.json().at("given_checkpoint").at("signed_by_retired_key"), 1) << r.out;
    r = m.admin({"--json", "audit", "log", "--action", "rekey"}, kAuditor);
    ASSERT_EQ(r.status, 0) << r.err;
    ASSERT_EQ(r.json().at("entries").as_array().size(), 1U) << r.out;
    EXPECT_NE(json::serialize(r.json()).find("record keys wrapped again"), std::string::npos);
    // A certificate signed before verifies, in the tool and with stock openssl.
    r = m.admin({"certificate", "verify", cert}, kAuditor);
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("signed with retired key 1"), std::string::npos) << r.out;
    EXPECT_FALSE(openssl_verifies(m, read_file(cert)));
    EXPECT_TRUE(openssl_verifies(m, read_file(cert), 1));
    EXPECT_TRUE(openssl_verifies(m, read_file(checkpoint), 1));
    EXPECT_EQ(m.admin({"audit", "public-key", "--retired", "2"}, kAuditor).status, 4);

    // A backup made under the retired key is refused, with the reason.
    { auto stopped = m.stop_and_open(); }
    r = run({daemon_path(), "--dev", m.state().string(), "--restore", x.backup});
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.err.find("made under another key"), std::string::npos) << r.err;

    // A second rekey: the first retired key is sealed again and still serves.
    r = rekey(m, new_key_file(m, "new-2.key"));
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("retired as key 2"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("1 keys retired before sealed again"), std::string::npos) << r.out;
    m.start();
    r = m.admin({"certificate", "verify", cert}, kAuditor);
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    r = m.admin({"--json", "audit", "verify", "--checkpoint", checkpoint}, kAuditor);
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_TRUE(r.json().at("intact").as_bool());

    // An entry changed under the first key is still named.
    {
        auto db = m.stop_and_open();
        db->store.writer_connection().exec("UPDATE audit_log SET reason = 'edited' WHERE seq = 3;");
    }
    m.start();
    r = m.admin({"--json", "audit", "verify"}, kAuditor);
    EXPECT_NE(r.status, 0);
    EXPECT_EQ(r.json().at("first_bad"), 3) << r.out;

    // A retired key's row made up in the database (a public key of one's
    // own) is not trusted: its sealed audit key does not open.
    {
        auto db = m.stop_and_open();
        db->store.writer_connection().exec(
            "INSERT INTO retired_keys SELECT 9, key_check, zeroblob(32), audit_key, first_seq, "
            "last_seq, retired_at FROM retired_keys WHERE epoch = 1;");
    }
    // What a rekey interrupted after its rename leaves is finished at start.
    std::filesystem::copy_file(m.state() / "strongroom.db", m.state() / "strongroom.db.prekey");
    std::ofstream(m.state() / "strongroom.db.rekeying") << "half an export";
    m.start();
    r = m.admin({"--json", "audit", "public-key"}, kAuditor);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.json().at("retired").as_array().size(), 2U) << r.out;
    EXPECT_EQ(m.admin({"audit", "public-key", "--retired", "9"}, kAuditor).status, 4);
    EXPECT_FALSE(std::filesystem::exists(m.state() / "strongroom.db.prekey"));
    EXPECT_FALSE(std::filesystem::exists(m.state() / "strongroom.db.rekeying"));
    r = m.admin({"--json", "audit", "log", "--action", "rekey.finished"}, kAuditor);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.json().at("entries").as_array().size(), 2U) << r.out;
}

TEST(Rekey, ABadNewKeyIsRefusedAndNothingChanges) {
    Mission m;
    const auto id =
        m.ingest(kAnalyst, "kept\n",
                 {"--title", "Kept", "--level", "confidential", "--compartment", "JMAC"});
    { auto stopped = m.stop_and_open(); }
    const auto before = read_file(m.state() / "strongroom.db");
    const auto same = m.out_path("same.key");
    std::filesystem::copy_file(m.state() / "dev.key", same);
    auto r = rekey(m, same);
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.err.find("the new key is the master key in use"), std::string::npos) << r.err;

    const auto open = new_key_file(m, "open.key");
    std::filesystem::permissions(open, std::filesystem::perms::others_read,
                                 std::filesystem::perm_options::add);
    r = rekey(m, open);
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.err.find("open.key"), std::string::npos) << r.err;

    r = rekey(m, m.out_path("missing.key"));
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.err.find("missing.key"), std::string::npos) << r.err;

    EXPECT_EQ(read_file(m.state() / "strongroom.db"), before);
    m.start();
    EXPECT_EQ(m.tool({"show", std::to_string(id)}, kAnalyst).status, 0);
}

// "-o -" is standard output for every command that writes one file: the
// document alone on standard output (the outcome on standard error), the same
// document as -o FILE gives, and never a file named "-"; a command that writes
// a directory refuses "-" before doing anything.
TEST(Outputs, DashIsStandardOutputForEveryDocumentAndRefusedForPackages) {
    Mission m;
    add_second_clerk(m);
    m.add_role_account("aud", kAuditor, "auditor");
    // The tools run in a directory every test user may write, so that a file
    // named "-" could be made there.
    struct InDirectory {
        std::filesystem::path before = std::filesystem::current_path();
        explicit InDirectory(const std::filesystem::path& dir) {
            std::filesystem::current_path(dir);
        }
        ~InDirectory() { std::filesystem::current_path(before); }
        InDirectory(const InDirectory&) = delete;
        InDirectory& operator=(const InDirectory&) = delete;
    } cwd(std::filesystem::path(m.out_path("-")).parent_path());
    const auto doomed = raw_data(m, day_offset(-730), "Old intercept");
    const auto old = m.ingest(kAnalyst, "assessment\n",
                              {"--title", "Assessment", "--level", "confidential", "--compartment",
                               "JMAC", "--dated", day_offset(-400)});
    // Each document alone on stdout, the outcome on stderr.
    const auto document = [&](RunResult r, const std::string& head) {
        EXPECT_EQ(r.status, 0) << r.err;
        EXPECT_TRUE(r.out.starts_with(head)) << r.out;
        EXPECT_NE(r.err.find("standard output"), std::string::npos) << r.err;
        return r.out;
    };
    // A signed document from the command that makes it: it verifies with stock
    // openssl, and its show command gives the same again.
    const auto signed_document = [&](std::vector<std::string> make, std::vector<std::string> again,
                                     const std::string& head) {
        const auto text = document(m.admin(std::move(make), kClerk), head);
        EXPECT_TRUE(openssl_verifies(m, text));
        EXPECT_EQ(document(m.admin(std::move(again), kClerk), head), text);
        return text;
    };

    // Disposal: execute, show, and the certificate printed as HTML.
    auto r = m.admin({"--json", "disposal", "propose"}, kClerk);
    ASSERT_EQ(r.status, 0) << r.err;
    ASSERT_EQ(r.json().at("records"), json::array{doomed}) << r.out;
    const auto batch = std::to_string(r.json().at("batch").as_int64());
    ASSERT_EQ(m.admin({"disposal", "approve", batch}, kClerk2).status, 0);
    const auto destruction = signed_document({"disposal", "execute", batch, "-o", "-"},
                                             {"disposal", "show", batch, "-o", "-"},
                                             "STRONGROOM DESTRUCTION CERTIFICATE\n");
    const auto cert = m.file("destruction.txt", destruction);
    r = m.admin({"certificate", "print", cert, "-o", "-"}, kAuditor);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("Destruction certificate, batch " + batch), std::string::npos) << r.out;

    // A package is a directory: "-" is refused and nothing is prepared.
    r = m.admin({"transfer", "prepare", "-o", "-"}, kClerk);
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("cannot go to standard output"), std::string::npos) << r.err;
    r = m.admin({"--json", "transfer", "list"}, kClerk);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(r.json().at("batches").as_array().empty()) << r.out;
    r = m.admin({"--json", "transfer", "prepare", "-o", m.out_path("package")}, kClerk);
    ASSERT_EQ(r.status, 0) << r.err;
    ASSERT_EQ(r.json().at("records").at(0).at("record"), old) << r.out;
    const auto tbatch = std::to_string(r.json().at("batch").as_int64());
    EXPECT_EQ(m.admin({"transfer", "package", tbatch, "-o", "-"}, kClerk).status, 2);
    // Not confirmed yet: no certificate, and none written as an empty file.
    for (const std::string& out : {std::string("-"), m.out_path("not-yet.txt")}) {
        r = m.admin({"transfer", "show", tbatch, "-o", out}, kClerk);
        EXPECT_EQ(r.status, 5) << out << ": " << r.out << r.err;
        EXPECT_NE(r.err.find("there is no certificate yet"), std::string::npos) << r.err;
        EXPECT_TRUE(r.out.empty()) << r.out;
    }
    EXPECT_FALSE(std::filesystem::exists(m.out_path("not-yet.txt")));
    signed_document({"transfer", "confirm", tbatch, "--receipt", "R-1", "-o", "-"},
                    {"transfer", "show", tbatch, "-o", "-"}, "STRONGROOM TRANSFER CERTIFICATE\n");

    // Reports, in each format.
    r = m.admin({"report", "retention", "-o", "-"}, kAuditor);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_FALSE(json::parse(r.out).at("rows").as_array().empty()) << r.out;
    r = m.admin({"report", "access", "--format", "csv", "-o", "-"}, kAuditor);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find(','), std::string::npos) << r.out;
    r = m.admin({"report", "access", "--format", "html", "-o", "-"}, kAuditor);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(r.out.starts_with("<!DOCTYPE html>")) << r.out;

    // The audit trail's checkpoint and public key.
    r = m.admin({"audit", "checkpoint", "-o", "-"}, kAuditor);
    document(r, "STRONGROOM AUDIT CHECKPOINT\n");
    EXPECT_EQ(r.err.find("STRONGROOM AUDIT CHECKPOINT"), std::string::npos)
        << "the checkpoint was also shown on standard error: " << r.err;
    document(m.admin({"audit", "public-key", "-o", "-"}, kAuditor), "-----BEGIN PUBLIC KEY-----\n");

    // A backup, and a content copy and a released copy.
    r = m.admin({"backup", "-o", "-"}, kOff1);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_GT(r.out.size(), 4096U);
    EXPECT_NE(r.err.find("backup written to standard output"), std::string::npos) << r.err;
    const auto shared = m.ingest(kChief, "Election security plan\n",
                                 {"--title", "Election security", "--level", "confidential"});
    const auto sid = std::to_string(shared);
    ASSERT_EQ(m.tool({"disseminate", sid, "--to", "hom", "--to", "jmac-analyst"}, kChief).status,
              0);
    r = m.tool({"get", sid, "-o", "-", "--purpose", "brief"}, kAnalyst);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(strip_invisible(r.out).find("Election security plan\n"), std::string::npos) << r.out;
    ASSERT_EQ(m.tool({"copy", "return", sid, "1"}, kAnalyst).status, 0);
    r = m.tool({"--json", "release", "request", sid, "--to", "UNDP", "--entity-kind", "un",
                "--justification", "mandate para 7(b)", "--arrangement", "WA-2026-04"},
               kAnalyst);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto q = std::to_string(r.json().at("request").as_int64());
    ASSERT_EQ(m.tool({"release", "approve", q}, kHom).status, 0);
    r = m.tool({"release", "issue", q, "-o", "-"}, kAnalyst);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("RELEASED TO UNDP UNDER WA-2026-04"), std::string::npos) << r.out;
    EXPECT_NE(strip_invisible(r.out).find("Election security plan\n"), std::string::npos) << r.out;
    EXPECT_NE(r.err.find("written to standard output"), std::string::npos) << r.err;

    // The mission's closure: the package refused on stdout, the statement given.
    r = m.admin({"closure", "prepare", "-o", "-"}, kClerk);
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("cannot go to standard output"), std::string::npos) << r.err;
    r = m.admin({"--json", "closure", "prepare", "-o", m.out_path("closure-package")}, kClerk);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto closure = std::to_string(r.json().at("closure").as_int64());
    ASSERT_EQ(m.admin({"closure", "approve", closure}, kClerk2).status, 0);
    signed_document({"closure", "complete", closure, "--receipt", "R-2", "-o", "-"},
                    {"closure", "show", closure, "-o", "-"}, "STRONGROOM CLOSURE STATEMENT\n");
    EXPECT_FALSE(std::filesystem::exists("-")) << "a file named - was made";
}

}  // namespace
}  // namespace strongroom::test
