// Reports rendered for others: CSV that spreadsheets read as data, HTML that
// shows every text as text and loads nothing.
#include "admin-tools/cli/report.hpp"

#include <string>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

namespace strongroom::cli {
namespace {

namespace json = boost::json;

json::object sample() {
    return json::parse(R"json({
        "report": "registry", "title": "Registry <of> records", "scope": "record 7",
        "generated": "2026-11-22T05:00:00Z", "generated_by": "clerk",
        "group": "record", "group_columns": ["record", "title"],
        "columns": [{"key": "record", "label": "Record"}, {"key": "title", "label": "Title"},
                    {"key": "event", "label": "Event"}, {"key": "copy", "label": "Copy"},
                    {"key": "detail", "label": "Detail"}],
        "rows": [
          {"record": 7, "title": "Fuel, \"convoy\"", "event": "entered", "copy": null,
           "detail": "=HYPERLINK(\"http://x\")"},
          {"record": 7, "title": "Fuel, \"convoy\"", "event": "copy issued", "copy": 1,
           "detail": "line one\nline two"},
          {"record": 8, "title": "<script>alert(1)</script>", "event": "entered", "copy": null,
           "detail": "-2+3"}]
    })json")
        .as_object();
}

TEST(Report, CsvQuotesAsRfc4180AndDefusesFormulas) {
    EXPECT_EQ(render_csv(sample()),
              "Record,Title,Event,Copy,Detail\r\n"
              "7,\"Fuel, \"\"convoy\"\"\",entered,,\"'=HYPERLINK(\"\"http://x\"\")\"\r\n"
              "7,\"Fuel, \"\"convoy\"\"\",copy issued,1,\"line one\nline two\"\r\n"
              "8,<script>alert(1)</script>,entered,,'-2+3\r\n");
}

TEST(Report, HtmlEscapesEveryTextGroupsRowsAndForbidsExternalResources) {
    const auto html = render_html(sample());
    EXPECT_EQ(html.find("<script>"), std::string::npos);
    EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
    EXPECT_NE(html.find("<title>Registry &lt;of&gt; records</title>"), std::string::npos);
    EXPECT_NE(html.find("default-src 'none'"), std::string::npos);
    EXPECT_EQ(html.find("http://x\"\""), std::string::npos);
    for (const char* external : {"<link", "<img", "<script", "src=", "url("}) {
        EXPECT_EQ(html.find(external), std::string::npos) << external;
    }
    // Two groups (records 7 and 8), three rows under them.
    std::size_t groups = 0;
    for (auto at = html.find("class=\"group\""); at != std::string::npos;
         at = html.find("class=\"group\"", at + 1)) {
        ++groups;
    }
    EXPECT_EQ(groups, 2U);
    EXPECT_NE(html.find("Record: <bdi>7</bdi> &middot; Title: <bdi>Fuel, &quot;convoy&quot;</bdi>"),
              std::string::npos);
    EXPECT_NE(html.find("<td>copy issued</td><td>1</td>"), std::string::npos);
}

json::object one_column(const std::vector<std::string>& cells) {
    json::array rows;
    for (const auto& c : cells) {
        rows.push_back(json::object{{"v", c}});
    }
    return json::object{{"report", "t"},
                        {"title", "T"},
                        {"scope", "s"},
                        {"generated", "g"},
                        {"generated_by", "b"},
                        {"columns", json::array{json::object{{"key", "v"}, {"label", "V"}}}},
                        {"rows", std::move(rows)}};
}

TEST(Report, CsvDefusesCellsThatStartWithASpaceATabOrAFullWidthFormula) {
    // Verifies that a cell starting with a space or LF, or with the full-width forms of = + - @
    // (U+FF1D, U+FF0B, U+FF0D, U+FF20), is prefixed with an apostrophe, that one starting with
    // TAB or CR starts with its visible escape instead (\t, which no spreadsheet reads as a
    // formula), and that others are left alone.
    const auto csv = render_csv(one_column({" =1+1", "\t=1", "\r=1", "\n=1",
                                            "\xef\xbc\x9d"
                                            "1+1",
                                            "\xef\xbc\x8b"
                                            "1",
                                            "\xef\xbc\x8d"
                                            "1",
                                            "\xef\xbc\xa0"
                                            "SUM(A1)",
                                            "a =1", "\xef\xbc\xa1"}));
    EXPECT_EQ(csv,
              "V\r\n"
              "' =1+1\r\n"
              "\\t=1\r\n"
              "\\r=1\r\n"
              "\"'\n=1\"\r\n"
              "'\xef\xbc\x9d"
              "1+1\r\n"
              "'\xef\xbc\x8b"
              "1\r\n"
              "'\xef\xbc\x8d"
              "1\r\n"
              "'\xef\xbc\xa0"
              "SUM(A1)\r\n"
              "a =1\r\n"
              "\xef\xbc\xa1\r\n");
}

TEST(Report, CsvAndHtmlShowControlsEscaped) {
    // Verifies that ESC, BEL, C1 and the bidirectional controls in a cell are written as visible
    // escapes in CSV and in HTML (so they cannot reorder a cell or reach a terminal), line feeds
    // stay in a quoted CSV cell, and HTML isolates the values of a group heading with <bdi>.
    const std::string evil =
        "a\x1b[2J\x07 b\xe2\x80\xae"
        "cd\xc2\x9b\xe2\x81\xa6";
    const auto csv = render_csv(one_column({evil, "x\ny"}));
    EXPECT_EQ(csv, "V\r\na\\x1b[2J\\x07 b\\u202ecd\\u009b\\u2066\r\n\"x\ny\"\r\n");
    auto report = sample();
    report["rows"].as_array()[0].as_object()["detail"] = evil;
    report["rows"].as_array()[2].as_object()["title"] = "\xd8\xaa\xd9\x82\xe2\x80\xae";
    const auto html = render_html(report);
    for (const char* raw : {"\x1b", "\x07", "\xe2\x80\xae", "\xc2\x9b", "\xe2\x81\xa6"}) {
        EXPECT_EQ(html.find(raw), std::string::npos) << html;
    }
    EXPECT_NE(html.find("<td>a\\x1b[2J\\x07 b\\u202ecd\\u009b\\u2066</td>"), std::string::npos)
        << html;
    EXPECT_NE(html.find("Title: <bdi>\xd8\xaa\xd9\x82\\u202e</bdi>"), std::string::npos) << html;
}

}  // namespace
}  // namespace strongroom::cli
