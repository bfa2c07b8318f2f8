// Reports rendered for others: CSV that spreadsheets read as data, HTML that
// shows every text as text and loads nothing.
#include "admin-tools/cli/report.hpp"

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
    EXPECT_NE(html.find("Record: 7 &middot; Title: Fuel, &quot;convoy&quot;"), std::string::npos);
    EXPECT_NE(html.find("<td>copy issued</td><td>1</td>"), std::string::npos);
}

}  // namespace
}  // namespace strongroom::cli
