// End-to-end tests of the tamper-evident audit trail (DESIGN.md §2 rule 12):
// the real daemon and tools; the database opened with its key and altered
// the way someone with the file could, then `audit verify` asked.
#include <boost/json.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "daemon/store/sqlite.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/mission.hpp"

namespace strongroom::test {
namespace {

namespace json = boost::json;
constexpr uid_t kAuditor = 61021;

void add_auditor(Mission& m) {
    m.add_role_account("aud", kAuditor, "auditor");
}

// Some traffic: ingests, reads, refusals.
void traffic(Mission& m) {
    for (int i = 0; i < 5; ++i) {
        const auto id = m.ingest(kChief, fmt::format("report {}\n", i),
                                 {"--title", fmt::format("Report {}", i), "--level", "confidential",
                                  "--compartment", "JMAC"});
        m.tool({"show", std::to_string(id)}, kChief);
        m.tool({"show", std::to_string(id)}, kPolice);  // refused
    }
}

json::value verify(Mission& m, int expected_status, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--json", "audit", "verify"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = m.admin(args, kAuditor);
    EXPECT_EQ(r.status, expected_status) << r.out << r.err;
    return r.status == 0 || r.status == 5 ? r.json() : json::value();
}

// Stops the daemon, changes its audit_log with sql, starts it again.
void tamper(Mission& m, const std::string& sql) {
    {
        auto db = m.stop_and_open();
        db->store.writer_connection().exec(sql.c_str());
    }
    m.start();
}

TEST(Audit, AnIntactChainVerifiesAndTheLogIsFilteredAndItselfAudited) {
    Mission m;
    add_auditor(m);
    traffic(m);
    auto v = verify(m, 0);
    EXPECT_TRUE(v.at("intact").as_bool());
    EXPECT_GT(v.at("entries").as_int64(), 20);
    EXPECT_TRUE(v.at("first_bad").is_null());
    // Only auditors read the trail.
    EXPECT_EQ(m.admin({"audit", "verify"}, kAnalyst).status, 3);
    EXPECT_EQ(m.admin({"audit", "log"}, kOff1).status, 3);

    auto r =
        m.admin({"--json", "audit", "log", "--account", "police", "--action", "show"}, kAuditor);
    ASSERT_EQ(r.status, 0) << r.err;
    auto doc = r.json();
    ASSERT_EQ(doc.at("entries").as_array().size(), 5U);
    for (const auto& e : doc.at("entries").as_array()) {
        EXPECT_EQ(e.at("account"), "police");
        EXPECT_EQ(e.at("decision"), "deny");
    }
    r = m.admin({"--json", "audit", "log", "--decision", "allow", "--record", "1"}, kAuditor);
    ASSERT_EQ(r.status, 0) << r.err;
    doc = r.json();
    ASSERT_FALSE(doc.at("entries").as_array().empty());
    for (const auto& e : doc.at("entries").as_array()) {
        EXPECT_EQ(e.at("object"), "record:1");
    }
    // Paging.
    r = m.admin({"--json", "audit", "log", "--limit", "3"}, kAuditor);
    ASSERT_EQ(r.status, 0) << r.err;
    doc = r.json();
    ASSERT_EQ(doc.at("entries").as_array().size(), 3U);
    const auto next = std::to_string(doc.at("next").as_int64());
    r = m.admin({"--json", "audit", "log", "--after", next, "--limit", "1"}, kAuditor);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.json().at("entries").as_array()[0].at("seq").as_int64(), std::stoll(next) + 1);
    // Reading the trail is itself in the trail.
    r = m.admin({"--json", "audit", "log", "--action", "audit.verify"}, kAuditor);
    ASSERT_EQ(r.status, 0) << r.err;
    doc = r.json();
    ASSERT_EQ(doc.at("entries").as_array().size(), 2U);  // the auditor's and the analyst's
    EXPECT_EQ(doc.at("entries").as_array()[0].at("account"), "aud");
}

TEST(Audit, AChangedEntryIsNamed) {
    Mission m;
    add_auditor(m);
    traffic(m);
    tamper(m, "UPDATE audit_log SET reason = 'nothing to see' WHERE seq = 12");
    const auto v = verify(m, 5);
    EXPECT_FALSE(v.at("intact").as_bool());
    EXPECT_EQ(v.at("first_bad"), 12);
    EXPECT_EQ(v.at("entries"), 11);
}

TEST(Audit, ARemovedEntryIsNamed) {
    Mission m;
    add_auditor(m);
    traffic(m);
    tamper(m, "DELETE FROM audit_log WHERE seq = 17");
    const auto v = verify(m, 5);
    EXPECT_EQ(v.at("first_bad"), 17);
}

TEST(Audit, ReorderedEntriesAreNamed) {
    Mission m;
    add_auditor(m);
    traffic(m);
    tamper(m,
           "UPDATE audit_log SET seq = -1 WHERE seq = 20; "
           "UPDATE audit_log SET seq = 20 WHERE seq = 21; "
           "UPDATE audit_log SET seq = 21 WHERE seq = -1;");
    const auto v = verify(m, 5);
    EXPECT_EQ(v.at("first_bad"), 20);
}

TEST(Audit, TruncationIsCaughtByAnOlderCheckpoint) {
    Mission m;
    add_auditor(m);
    traffic(m);
    // Stopping writes a checkpoint of the head to the checkpoint file.
    std::int64_t head = 0;
    {
        auto db = m.stop_and_open();
        head = store::AuditRepository(db->store.writer_connection()).head()->first;
        db->store.writer_connection().exec("DELETE FROM audit_log WHERE seq > 15");
    }
    ASSERT_GT(head, 20);
    const auto file = read_file(m.state() / "audit-checkpoints");
    EXPECT_NE(file.find(std::to_string(head) + " "), std::string::npos) << file;
    m.start();
    const auto v = verify(m, 5);
    EXPECT_FALSE(v.at("intact").as_bool());
    EXPECT_EQ(v.at("first_bad"), 16);  // the first removed entry
    // The daemon noticed at start-up and says so in the trail itself.
    auto r = m.admin({"--json", "audit", "log", "--action", "audit.truncation"}, kAuditor);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto doc = r.json();
    ASSERT_EQ(doc.at("entries").as_array().size(), 1U);
    EXPECT_NE(std::string(doc.at("entries").as_array()[0].at("reason").as_string().c_str())
                  .find(fmt::format("entries 16 to {}", head)),
              std::string::npos);
}

TEST(Audit, AnAlteredCheckpointLineIsReported) {
    Mission m;
    add_auditor(m);
    traffic(m);
    m.restart();  // a checkpoint at stop
    { auto db = m.stop_and_open(); }
    auto text = read_file(m.state() / "audit-checkpoints");
    ASSERT_FALSE(text.empty());
    text[0] = text[0] == '9' ? '8' : static_cast<char>(text[0] + 1);  // another sequence number
    std::ofstream(m.state() / "audit-checkpoints", std::ios::binary | std::ios::trunc) << text;
    m.start();
    const auto v = verify(m, 5);
    EXPECT_TRUE(v.at("first_bad").is_null());
    EXPECT_NE(json::serialize(v.at("problems")).find("line 1"), std::string::npos) << v;
}

TEST(Audit, ASignedCheckpointVerifiesWithOpensslAndLaterAgainstTheChain) {
    Mission m;
    add_auditor(m);
    traffic(m);
    const auto cp = m.out_path("checkpoint.txt");
    const auto pem = m.out_path("strongroom.pem");
    auto r = m.admin({"audit", "checkpoint", "-o", cp}, kAuditor);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(read_file(cp), r.out);
    ASSERT_EQ(m.admin({"audit", "public-key", "-o", pem}, kAuditor).status, 0);
    // "-o -": the document alone on standard output, the same as the file.
    r = m.admin({"audit", "public-key", "-o", "-"}, kAuditor);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, read_file(pem));
    r = m.admin({"--json", "audit", "public-key", "-o", "-"}, kAuditor);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, read_file(pem)) << "the JSON outcome went to standard output";
    EXPECT_NE(r.err.find("\"written\":\"standard output\""), std::string::npos) << r.err;
    // Stock openssl: the five signed lines, the signature decoded.
    const auto text = read_file(cp);
    const auto sig_at = text.find("signature: ");
    ASSERT_NE(sig_at, std::string::npos);
    const auto body = m.file("body", text.substr(0, sig_at));
    const auto sig_b64 = text.substr(sig_at + 11, text.size() - sig_at - 12);
    const auto sig = m.out_path("sig");
    RunOptions decode;
    decode.input = sig_b64;
    auto dec = run({"/usr/bin/openssl", "base64", "-d", "-A", "-out", sig}, decode);
    ASSERT_EQ(dec.status, 0) << dec.err;
    auto ok = run({"/usr/bin/openssl", "pkeyutl", "-verify", "-pubin", "-inkey", pem, "-rawin",
                   "-in", body, "-sigfile", sig});
    EXPECT_EQ(ok.status, 0) << ok.out << ok.err;
    EXPECT_NE(ok.out.find("Signature Verified Successfully"), std::string::npos) << ok.out;

    // Later: the chain still holds the entry the checkpoint signed.
    traffic(m);
    auto v = verify(m, 0, {"--checkpoint", cp});
    EXPECT_TRUE(v.at("given_checkpoint").at("signature_valid").as_bool());
    // A checkpoint whose head was changed is not this strongroom's.
    auto forged = text;
    const auto head_at = forged.find("head: ") + 6;
    forged[head_at] = forged[head_at] == 'a' ? 'b' : 'a';
    v = verify(m, 5, {"--checkpoint", m.file("forged.txt", forged)});
    EXPECT_FALSE(v.at("given_checkpoint").at("signature_valid").as_bool());
}

TEST(Reports, MatrixCopiesAndAccessForAuditorsAndRegistrars) {
    Mission m;
    add_auditor(m);
    const auto id =
        m.ingest(kChief, "Armed group movements\n",
                 {"--title", "Movements", "--level", "confidential", "--compartment", "JMAC"});
    const auto sid = std::to_string(id);
    ASSERT_EQ(m.tool({"disseminate", sid, "--to", "jmac-analyst"}, kChief).status, 0);
    ASSERT_EQ(m.tool({"get", sid, "-o", m.out_path("a"), "--purpose", "brief"}, kAnalyst).status,
              0);
    EXPECT_EQ(m.tool({"show", sid}, kPolice).status, 4);

    // Access: who read what, under which rule, refusals included.
    auto r = m.admin({"--json", "report", "access"}, kAuditor);
    ASSERT_EQ(r.status, 0) << r.err;
    auto doc = r.json();
    bool analyst_get = false;
    bool police_refused = false;
    for (const auto& row : doc.at("rows").as_array()) {
        const std::string who = row.at("account").as_string().c_str();
        const std::string rule = row.at("rule").as_string().c_str();
        if (who == "analyst" && row.at("action") == "content (get)") {
            analyst_get = true;
            EXPECT_EQ(row.at("object").as_string(), "record:" + sid);
            EXPECT_NE(rule.find("copy 1 issued"), std::string::npos) << rule;
        }
        if (who == "police") {
            police_refused = row.at("decision") == "deny";
        }
    }
    EXPECT_TRUE(analyst_get);
    EXPECT_TRUE(police_refused);
    r = m.admin({"--json", "report", "access", "--account", "police"}, kAuditor);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.json().at("rows").as_array().size(), 1U);
    EXPECT_EQ(m.admin({"report", "access"}, kClerk).status, 3);  // auditors only

    // Copies, for registrars.
    r = m.admin({"--json", "report", "copies"}, kClerk);
    ASSERT_EQ(r.status, 0) << r.err;
    doc = r.json();
    ASSERT_EQ(doc.at("rows").as_array().size(), 1U);
    EXPECT_EQ(doc.at("rows").as_array()[0].at("holder"), "analyst");
    EXPECT_EQ(doc.at("rows").as_array()[0].at("state"), "outstanding");

    // The matrix now and its changes, with who approved them.
    r = m.admin({"--json", "report", "matrix", "--since", day_offset(-1)}, kAuditor);
    ASSERT_EQ(r.status, 0) << r.err;
    doc = r.json();
    bool chief_grant = false;
    bool approved_change = false;
    for (const auto& row : doc.at("rows").as_array()) {
        if (row.at("section") == "Access matrix now" && row.at("post") == "chief-jmac" &&
            row.at("compartment") == "JMAC") {
            chief_grant =
                row.at("level") == "strictly-confidential" && row.at("holders") == "chief";
        }
        if (row.at("section") == "Changes in the period" && row.at("approved_by") == "off2") {
            approved_change = true;
        }
    }
    EXPECT_TRUE(chief_grant) << doc;
    EXPECT_TRUE(approved_change) << doc;
    ASSERT_EQ(
        m.admin({"report", "matrix", "--format", "html", "-o", m.out_path("matrix.html")}, kAuditor)
            .status,
        0);
    EXPECT_NE(read_file(m.out_path("matrix.html")).find("Changes in the period"),
              std::string::npos);
}

// Headless Chromium renders a file and takes a screenshot; its log carries
// the page's console messages (a blocked external request is one).
struct Rendered {
    int status = -1;
    std::vector<std::string> console;
    std::string log;
};

Rendered render(const std::string& html, const std::string& png) {
    const auto chromium = std::string("/usr/bin/chromium");
    EXPECT_TRUE(std::filesystem::exists(chromium)) << "scripts/setup installs chromium";
    auto r = run({chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-dev-shm-usage", "--enable-logging=stderr", "--v=0",
                  "--window-size=1280,900", "--screenshot=" + png, "file://" + html});
    Rendered out;
    out.status = r.status;
    out.log = r.err + r.out;
    std::size_t from = 0;
    for (auto at = out.log.find(":CONSOLE"); at != std::string::npos;
         at = out.log.find(":CONSOLE", from)) {
        const auto end = out.log.find('\n', at);
        out.console.push_back(out.log.substr(at, end - at));
        from = end == std::string::npos ? out.log.size() : end;
    }
    return out;
}

TEST(Reports, TheHtmlReportsRenderInChromiumWithoutErrorsOrRequests) {
    Mission m;
    add_auditor(m);
    const auto id = m.ingest(kChief, "Ford crossing\n",
                             {"--title", "Crossing <b>&</b> \"ford\"", "--level", "confidential",
                              "--compartment", "JMAC"});
    ASSERT_EQ(m.tool({"disseminate", std::to_string(id), "--to", "jmac-analyst"}, kChief).status,
              0);
    ASSERT_EQ(
        m.tool({"get", std::to_string(id), "-o", m.out_path("c"), "--purpose", "brief"}, kAnalyst)
            .status,
        0);
    const std::filesystem::path artifacts = STRONGROOM_ARTIFACTS_DIR;
    std::filesystem::create_directories(artifacts);
    for (const char* kind : {"registry", "matrix", "copies", "access", "retention"}) {
        const auto html = m.out_path(std::string(kind) + ".html");
        const uid_t who = std::string(kind) == "copies" ? kClerk : kAuditor;
        ASSERT_EQ(m.admin({"report", kind, "--format", "html", "-o", html}, who).status, 0) << kind;
        const auto png = (artifacts / (std::string("report-") + kind + ".png")).string();
        std::filesystem::remove(png);
        const auto r = render(html, png);
        EXPECT_EQ(r.status, 0) << kind << r.log;
        EXPECT_TRUE(r.console.empty()) << kind << ": " << r.console.front();
        ASSERT_TRUE(std::filesystem::exists(png)) << kind << r.log;
        EXPECT_GT(std::filesystem::file_size(png), 5000U) << kind;
    }
    // The check can fail: a page that asks for something outside is caught.
    auto page = read_file(m.out_path("registry.html"));
    page.insert(page.find("<body>") + 6, "<img src=\"http://192.0.2.1/x.png\">");
    const auto bad = m.file("bad.html", page);
    const auto r = render(bad, m.out_path("bad.png"));
    EXPECT_FALSE(r.console.empty()) << r.log;
}

}  // namespace
}  // namespace strongroom::test
