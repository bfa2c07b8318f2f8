// End-to-end tests of untrusted text (issue 13, items 7 and 8): the daemon
// refuses control characters in every one-line text field, naming the field,
// and stores nothing; a release cannot forge the released copy's markings;
// and text already in the store reaches every reader's terminal only as
// visible escapes.
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include "admin-tools/client/client.hpp"
#include "daemon/store/accounts.hpp"
#include "daemon/store/copies.hpp"
#include "daemon/store/records.hpp"
#include "daemon/store/releases.hpp"
#include "daemon/store/retention.hpp"
#include "daemon/store/sqlite.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/mission.hpp"

namespace strongroom::test {
namespace {

namespace json = boost::json;

constexpr const char* kEsc = "\x1b";
constexpr const char* kBel = "\x07";
constexpr const char* kRlo = "\xe2\x80\xae";  // U+202E RIGHT-TO-LEFT OVERRIDE

// The characters a field must refuse, with the code point the message names.
struct Bad {
    const char* text;
    const char* code;
};
const Bad kBad[] = {{kEsc, "U+001B"}, {kBel, "U+0007"}, {kRlo, "U+202E"},       {"\n", "U+000A"},
                    {"\r", "U+000D"}, {"\t", "U+0009"}, {"\xc2\x9b", "U+009B"}, {"\x7f", "U+007F"}};

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

// True when the raw bytes of ESC, BEL and U+202E are nowhere in what a tool printed.
void expect_no_raw_controls(const RunResult& r, const std::string& what) {
    for (const auto* s : {&r.out, &r.err}) {
        EXPECT_EQ(s->find(kEsc), std::string::npos) << what << ": " << *s;
        EXPECT_EQ(s->find(kBel), std::string::npos) << what << ": " << *s;
        EXPECT_EQ(s->find(kRlo), std::string::npos) << what << ": " << *s;
        EXPECT_EQ(s->find('\0'), std::string::npos) << what;
    }
}

// A refusal: exit 2, the argument named with the character's code point.
void expect_refused(const RunResult& r, const std::string& arg, const char* code,
                    const std::string& what) {
    EXPECT_EQ(r.status, 2) << what << ": " << r.out << r.err;
    EXPECT_NE(r.err.find(fmt::format("argument \"{}\"", arg)), std::string::npos)
        << what << ": " << r.err;
    EXPECT_NE(r.err.find(code), std::string::npos) << what << ": " << r.err;
    expect_no_raw_controls(r, what);
}

// One request as uid (a forked child drops to it), for what a command line
// cannot carry (NUL); returns the error code and message, or "ok".
std::pair<std::string, std::string> call_as(uid_t uid, const std::string& socket,
                                            const std::string& op, const json::object& args) {
    int fds[2];
    if (::pipe(fds) != 0) {
        return {"pipe", std::strerror(errno)};
    }
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(fds[0]);
        std::string answer = "setuid failed";
        if (::setgroups(0, nullptr) == 0 && ::setresgid(uid, uid, uid) == 0 &&
            ::setresuid(uid, uid, uid) == 0) {
            auto conn = client::Connection::open(socket);
            if (!conn) {
                answer = "connect\n" + conn.error().message;
            } else {
                auto r = conn->call(op, args);
                if (!r) {
                    answer = "call\n" + r.error().message;
                } else if (r->error) {
                    answer = std::string(to_string(r->error->code)) + "\n" + r->error->message;
                } else {
                    answer = "ok\n";
                }
            }
        }
        const auto n = ::write(fds[1], answer.data(), answer.size());
        (void)n;
        ::close(fds[1]);
        ::_exit(0);
    }
    ::close(fds[1]);
    std::string got;
    char buf[4096];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) {
        got.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    const auto nl = got.find('\n');
    if (nl == std::string::npos) {
        return {got, ""};
    }
    return {got.substr(0, nl), got.substr(nl + 1)};
}

// A record of the analyst's own (JMAC, confidential); returns its id.
std::int64_t analyst_record(Mission& m, const std::string& title = "Fuel convoy") {
    return m.ingest(kAnalyst, "Fuel convoy seen at the ford crossing.\n",
                    {"--title", title, "--level", "confidential", "--compartment", "JMAC"});
}

std::size_t count_of(Mission& m, const std::vector<std::string>& args, uid_t uid, const char* key) {
    auto r = uid == kClerk ? m.admin(args, uid) : m.tool(args, uid);
    EXPECT_EQ(r.status, 0) << r.err;
    return r.status == 0 ? r.json().at(key).as_array().size() : 0;
}

TEST(Text, ControlCharactersInOneLineFieldsAreRefusedNamingTheFieldAndNothingIsStored) {
    // Verifies that ESC, BEL, U+202E, LF, CR, TAB, a C1 control and DEL in a title, an origin, a
    // release's entity and arrangement, a delegation reference, a hold reason, a description and
    // a copy's purpose are refused with exit 2 and a message naming the argument, and that
    // nothing is stored.
    Mission m;
    const auto id = analyst_record(m);
    const auto sid = std::to_string(id);
    const auto file = m.file("in.txt", "Fuel convoy at the ford.\n");
    for (const auto& bad : kBad) {
        const std::string t = fmt::format("Patrol{}report", bad.text);
        const std::string what = fmt::format("character {}", bad.code);
        expect_refused(m.tool({"ingest", file, "--title", t, "--level", "confidential",
                               "--compartment", "JMAC"},
                              kAnalyst),
                       "title", bad.code, what + " in a title");
        expect_refused(
            m.admin({"receive", file, "--from", "UN" + std::string(bad.text) + "HQ", "--title",
                     "HQ assessment", "--level", "confidential", "--to", "jmac-analyst"},
                    kClerk),
            "from", bad.code, what + " in an origin");
        expect_refused(
            m.tool({"release", "request", sid, "--to", "UNDP" + std::string(bad.text),
                    "--entity-kind", "un", "--justification", "mandate", "--arrangement", "WA-1"},
                   kAnalyst),
            "to", bad.code, what + " in an entity");
        expect_refused(
            m.tool({"release", "request", sid, "--to", "UNDP", "--entity-kind", "un",
                    "--justification", "mandate", "--arrangement", "WA-1" + std::string(bad.text)},
                   kAnalyst),
            "arrangement", bad.code, what + " in an arrangement");
        expect_refused(m.tool({"delegate", "disseminate", sid, "--to", "jmac-desk2", "--ref",
                               "DEL" + std::string(bad.text) + "7"},
                              kAnalyst),
                       "ref", bad.code, what + " in a reference");
        expect_refused(m.admin({"hold", "place", "inquiry", "--reason",
                                "board" + std::string(bad.text) + "of inquiry", "--record", sid},
                               kClerk),
                       "reason", bad.code, what + " in a hold's reason");
        expect_refused(m.admin({"compartment", "add", "LOGS", "--description",
                                "logistics" + std::string(bad.text)},
                               kOff1),
                       "description", bad.code, what + " in a description");
        expect_refused(m.tool({"get", sid, "-o", m.out_path("copy-" + std::string(bad.code)),
                               "--purpose", "brief" + std::string(bad.text)},
                              kAnalyst),
                       "purpose", bad.code, what + " in a purpose");
        expect_refused(m.tool({"search", "ford" + std::string(bad.text)}, kAnalyst), "text",
                       bad.code, what + " in a search");
        expect_refused(m.tool({"list", "--type", "intel" + std::string(bad.text)}, kAnalyst),
                       "type", bad.code, what + " in a list filter");
    }
    // A hold name is a name: refused too (it was already).
    EXPECT_EQ(
        m.admin({"hold", "place", std::string("inq") + kEsc, "--reason", "r", "--record", sid},
                kClerk)
            .status,
        2);
    // Nothing was stored: one record, no release, no delegation, no hold, no copy, no LOGS.
    EXPECT_EQ(m.visible(kAnalyst).size(), 1U);
    EXPECT_EQ(count_of(m, {"--json", "release", "list"}, kAnalyst, "releases"), 0U);
    EXPECT_EQ(count_of(m, {"--json", "copies", sid}, kAnalyst, "copies"), 0U);
    EXPECT_EQ(count_of(m, {"--json", "hold", "list"}, kClerk, "holds"), 0U);
    auto r = m.admin({"--json", "compartment", "list"}, kOff1);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out.find("LOGS"), std::string::npos) << r.out;
    r = m.tool({"--json", "show", sid}, kAnalyst);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.json().at("record").at("disseminated").as_array().size(), 0U) << r.out;
    for (const auto& f : std::filesystem::directory_iterator(m.out_path(""))) {
        EXPECT_EQ(f.path().filename().string().rfind("copy-", 0), std::string::npos) << f.path();
    }
}

TEST(Text, MultiLineFieldsTakeLineFeedsButNoOtherControl) {
    // Verifies that a release's justification and a review's note may span lines (LF, TAB) but
    // refuse ESC, CR and U+202E naming the argument, and that the justification is kept exactly.
    Mission m;
    // Someone who may approve a release of a JMAC record (else the request is refused).
    ASSERT_EQ(m.admin({"grant", "hom", "JMAC", "--level", "confidential"}, kOff1).status, 0);
    const auto id = analyst_record(m);
    const auto sid = std::to_string(id);
    for (const Bad& bad : {Bad{kEsc, "U+001B"}, Bad{"\r", "U+000D"}, Bad{kRlo, "U+202E"}}) {
        expect_refused(m.tool({"release", "request", sid, "--to", "UNDP", "--entity-kind", "un",
                               "--justification", "mandate" + std::string(bad.text) + "7(b)",
                               "--arrangement", "WA-1"},
                              kAnalyst),
                       "justification", bad.code, "justification");
        expect_refused(m.admin({"retention", "review", sid, "--note",
                                "kept" + std::string(bad.text) + "for now"},
                               kClerk),
                       "note", bad.code, "note");
    }
    const std::string justification = "mandate para 7(b)\n\tand the host state's request";
    auto r = m.tool({"--json", "release", "request", sid, "--to", "UNDP", "--entity-kind", "un",
                     "--justification", justification, "--arrangement", "WA-1"},
                    kAnalyst);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.json().at("justification").as_string(), justification);
    r = m.admin({"retention", "review", sid, "--note", "kept\nfor now"}, kClerk);
    EXPECT_EQ(r.status, 0) << r.err;
}

TEST(Text, NulAndControlsSentStraightToTheDaemonAreRefused) {
    // Verifies that a NUL or an ESC sent in a request (as no command line can) is refused with
    // bad_request naming the argument, in a plain request and in a list of strings.
    Mission m;
    const auto id = analyst_record(m);
    auto [code, message] = call_as(kAnalyst, m.socket(), "release.request",
                                   json::object{{"id", id},
                                                {"to", json::string(std::string_view("UN\0DP", 5))},
                                                {"entity_kind", "un"},
                                                {"justification", "mandate"},
                                                {"arrangement", "WA-1"}});
    EXPECT_EQ(code, "bad_request") << message;
    EXPECT_NE(message.find("argument \"to\""), std::string::npos) << message;
    EXPECT_NE(message.find("U+0000"), std::string::npos) << message;
    std::tie(code, message) =
        call_as(kAnalyst, m.socket(), "release.request",
                json::object{{"id", id},
                             {"to", "UNDP"},
                             {"entity_kind", "un"},
                             {"justification", json::string(std::string_view("a\0b", 3))},
                             {"arrangement", "WA-1"}});
    EXPECT_EQ(code, "bad_request") << message;
    EXPECT_NE(message.find("argument \"justification\""), std::string::npos) << message;
    std::tie(code, message) = call_as(
        kAnalyst, m.socket(), "disseminate",
        json::object{{"id", id}, {"to", json::array{"jmac-desk2", std::string("x") + kEsc}}});
    EXPECT_EQ(code, "bad_request") << message;
    EXPECT_NE(message.find("argument \"to\""), std::string::npos) << message;
    EXPECT_NE(message.find("U+001B"), std::string::npos) << message;
    EXPECT_EQ(count_of(m, {"--json", "release", "list"}, kAnalyst, "releases"), 0U);
}

TEST(Text, ANewlineInAReleaseCannotForgeTheReleasedCopysMarkings) {
    // Verifies that the attack of issue 13 item 7 fails: an entity or arrangement with a line
    // break (or a '|' that would forge a field) is refused, and a release of text stored before
    // the rule still gets exactly two marking lines, with the planted text escaped in them.
    Mission m;
    // Uncompartmented, so that the head of mission, to whom it goes, may read it.
    const auto id = m.ingest(kAnalyst, "Fuel convoy seen at the ford crossing.\n",
                             {"--title", "Fuel convoy", "--level", "confidential"});
    const auto sid = std::to_string(id);
    ASSERT_EQ(m.tool({"disseminate", sid, "--to", "hom"}, kAnalyst).status, 0);
    const std::string forged_to =
        "UNDP\nCONFIDENTIAL // JMAC | record 999 | registry MISSION/2026/000999 | copy 1 | "
        "holder chief | 2026-01-01";
    expect_refused(m.tool({"release", "request", sid, "--to", forged_to, "--entity-kind", "un",
                           "--justification", "mandate", "--arrangement", "WA-1"},
                          kAnalyst),
                   "to", "U+000A", "forged entity");
    expect_refused(
        m.tool({"release", "request", sid, "--to", "UNDP", "--entity-kind", "un", "--justification",
                "mandate", "--arrangement", "WA-1\nUNCLASSIFIED // forged line"},
               kAnalyst),
        "arrangement", "U+000A", "forged arrangement");
    auto r = m.tool({"release", "request", sid, "--to", "UNDP | record 999", "--entity-kind", "un",
                     "--justification", "mandate", "--arrangement", "WA-1"},
                    kAnalyst);
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_NE(r.err.find("'|'"), std::string::npos) << r.err;
    EXPECT_EQ(count_of(m, {"--json", "release", "list"}, kAnalyst, "releases"), 0U);

    // Stored before the rule: the same attack, planted in the register.
    std::int64_t q = 0;
    {
        auto db = m.stop_and_open();
        auto& conn = db->store.writer_connection();
        store::ReleaseRow row;
        row.record_id = id;
        row.requested_by = store::AccountRepository(conn).find_by_name("analyst")->id;
        row.entity = forged_to;
        row.entity_kind = "un";
        row.justification = "mandate";
        row.arrangement = std::string("WA-1\nUNCLASSIFIED // forged line") + kEsc + "[2J";
        row.requested_at = now_micros();
        q = store::ReleaseRepository(conn).insert(row);
    }
    m.start();
    const auto sq = std::to_string(q);
    r = m.tool({"release", "list"}, kAnalyst);
    ASSERT_EQ(r.status, 0) << r.err;
    expect_no_raw_controls(r, "release list");
    EXPECT_NE(r.out.find("UNDP\\nCONFIDENTIAL // JMAC"), std::string::npos) << r.out;
    EXPECT_EQ(lines_of(r.out).size(), 2U) << r.out;  // the header and one request
    ASSERT_EQ(m.tool({"release", "approve", sq}, kHom).status, 0);
    r = m.tool({"release", "issue", sq, "-o", m.out_path("released.txt")}, kAnalyst);
    ASSERT_EQ(r.status, 0) << r.err;
    expect_no_raw_controls(r, "release issue");
    const auto copy = strip_invisible(read_file(m.out_path("released.txt")));
    EXPECT_EQ(copy.find(kEsc), std::string::npos) << copy;
    const auto lines = lines_of(copy);
    ASSERT_EQ(lines.size(), 3U) << copy;  // marking, the one line of text, marking
    EXPECT_EQ(lines[0], lines[2]);
    EXPECT_EQ(lines[1], "Fuel convoy seen at the ford crossing.");
    EXPECT_EQ(lines[0].rfind("CONFIDENTIAL | record " + sid + " | ", 0), 0U) << lines[0];
    EXPECT_NE(lines[0].find("RELEASED TO UNDP\\nCONFIDENTIAL // JMAC \\x7c record 999 \\x7c "),
              std::string::npos)
        << lines[0];
    EXPECT_NE(lines[0].find("UNDER WA-1\\nUNCLASSIFIED // forged line\\x1b[2J"), std::string::npos)
        << lines[0];
}

TEST(Text, TextPlantedInTheStoreReachesReadersOnlyEscaped) {
    // Verifies that titles, origins, references, purposes, a release's entity and justification
    // and a hold's reason holding ESC, BEL, U+202E and line breaks, written straight into the
    // store, reach list, show, search, copies, release list, muster, hold list, audit log and a
    // report's default output only as visible escapes.
    Mission m;
    const auto id = analyst_record(m);
    const std::string evil = std::string("Fuel ") + kEsc + "]0;owned" + kBel + " convoy" + kRlo +
                             "gnp.exe\nID  LEVEL forged";
    std::int64_t planted = 0;
    {
        auto db = m.stop_and_open();
        auto& conn = db->store.writer_connection();
        const auto analyst = store::AccountRepository(conn).find_by_name("analyst")->id;
        store::RecordRepository records(conn);
        auto row = *records.find(id);
        row.title = evil;
        row.origin = "UN HQ" + std::string(kEsc) + "[31m";
        row.registry_number = std::nullopt;
        planted = records.insert_held(row);
        records.index_text(planted, row.title, "Fuel convoy seen at the ford crossing.");
        store::DisseminationRow d;
        d.record_id = planted;
        d.recipient = Recipient::account(analyst);
        d.authority = Conveyance::originator;
        d.reference = "REF" + std::string(kBel) + kRlo;
        d.by_account = analyst;
        d.at = now_micros();
        records.disseminate(d);
        store::ReleaseRow rel;
        rel.record_id = id;
        rel.requested_by = analyst;
        rel.entity = evil;
        rel.entity_kind = "un";
        rel.justification = evil;
        rel.arrangement = "WA" + std::string(kRlo);
        rel.requested_at = now_micros();
        store::ReleaseRepository(conn).insert(rel);
        store::CopyRow copy;
        copy.record_id = id;
        copy.number = 1;
        copy.holder = analyst;
        copy.purpose = evil;
        copy.issued_at = now_micros();
        copy.fingerprint = 0x1234567;
        store::CopyRepository(conn).insert(copy);
        store::HoldRow hold;
        hold.name = "inquiry";
        hold.reason = evil;
        hold.records = {id};
        hold.placed_by = store::AccountRepository(conn).find_by_name("clerk")->id;
        hold.placed_at = now_micros();
        store::RetentionRepository(conn).insert_hold(hold);
    }
    m.start();
    m.add_role_account("aud", 61021, "auditor");
    const auto sp = std::to_string(planted);
    struct Case {
        std::vector<std::string> args;
        uid_t uid;
        bool admin;
        bool json;  // the default output is JSON (a report)
    };
    const std::vector<Case> cases{
        {{"list"}, kAnalyst, false, false},
        {{"show", sp}, kAnalyst, false, false},
        {{"search", "convoy"}, kAnalyst, false, false},
        {{"copies", std::to_string(id)}, kAnalyst, false, false},
        {{"release", "list"}, kAnalyst, false, false},
        {{"muster"}, kClerk, true, false},
        {{"hold", "list"}, kClerk, true, false},
        {{"report", "registry"}, kClerk, true, true},
        {{"report", "copies"}, kClerk, true, true},
        {{"--json", "list"}, kAnalyst, false, true},
        {{"--json", "release", "list"}, kAnalyst, false, true},
    };
    for (const auto& c : cases) {
        const auto what = fmt::format("{}", fmt::join(c.args, " "));
        const auto r = c.admin ? m.admin(c.args, c.uid) : m.tool(c.args, c.uid);
        ASSERT_EQ(r.status, 0) << what << ": " << r.err;
        expect_no_raw_controls(r, what);
        if (c.json) {
            EXPECT_NE(r.out.find("\\u001b]0;owned\\u0007 convoy\\u202egnp.exe\\nID"),
                      std::string::npos)
                << what << ": " << r.out;
            EXPECT_NO_THROW((void)json::parse(r.out)) << what;
        } else {
            EXPECT_NE(r.out.find("\\x1b]0;owned\\x07 convoy\\u202egnp.exe\\nID  LEVEL forged"),
                      std::string::npos)
                << what << ": " << r.out;
            for (const auto& line : lines_of(r.out)) {
                EXPECT_NE(line.rfind("ID  LEVEL forged", 0), 0U) << what << ": " << r.out;
            }
        }
    }
    // The record's origin and the dissemination's reference in show.
    auto r = m.tool({"show", sp}, kAnalyst);
    EXPECT_NE(r.out.find("UN HQ\\x1b[31m"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("REF\\x07\\u202e"), std::string::npos) << r.out;
    // The exact text is still there for programs.
    r = m.tool({"--json", "show", sp}, kAnalyst);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.json().at("record").at("title").as_string(), evil);
    // The audit trail of reading it, through the auditor's tool.
    r = m.admin({"audit", "log", "--record", std::to_string(id)}, 61021);
    ASSERT_EQ(r.status, 0) << r.err;
    expect_no_raw_controls(r, "audit log");
}

}  // namespace
}  // namespace strongroom::test
