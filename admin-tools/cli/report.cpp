#include "admin-tools/cli/report.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include "admin-tools/client/client.hpp"
#include "daemon/common/text.hpp"

namespace strongroom::cli {
namespace json = boost::json;

namespace {

std::string cell(const json::object& row, std::string_view key) {
    const auto* v = row.if_contains(key);
    if (v == nullptr || v->is_null()) {
        return "";
    }
    return text(*v, " ");
}

std::vector<std::pair<std::string, std::string>> columns_of(const json::object& report) {
    std::vector<std::pair<std::string, std::string>> cols;
    for (const auto& c : report.at("columns").as_array()) {
        cols.emplace_back(text(c.at("key")), text(c.at("label")));
    }
    return cols;
}

// Starts like a formula to some spreadsheet: = + - @, a space, TAB, CR or
// LF before one, or their full-width forms (U+FF1D, U+FF0B, U+FF0D, U+FF20),
// which some spreadsheets take for the ASCII ones.
bool formula_like(std::string_view s) {
    if (s.empty()) {
        return false;
    }
    if (std::strchr("=+-@ \t\r\n", s.front()) != nullptr) {
        return true;
    }
    for (const std::string_view wide :
         {"\xef\xbc\x9d", "\xef\xbc\x8b", "\xef\xbc\x8d", "\xef\xbc\xa0"}) {
        if (s.starts_with(wide)) {
            return true;
        }
    }
    return false;
}

std::string csv_field(std::string_view raw) {
    // Line feeds stay (in a quoted field); every other control is shown
    // escaped, as on a terminal: a CSV is read by people too.
    std::string s = escape_controls(raw, true);
    if (formula_like(s)) {
        s.insert(s.begin(), '\'');
    }
    if (s.find_first_of(",\"\r\n") == std::string::npos) {
        return s;
    }
    std::string out = "\"";
    for (const char c : s) {
        out += c;
        if (c == '"') {
            out += '"';
        }
    }
    out += '"';
    return out;
}

// Text as HTML: control characters (bidirectional controls included, which
// would reorder the page's text) shown escaped as on a terminal, then the
// markup characters as entities.
std::string html_escape(std::string_view raw) {
    const std::string s = escape_controls(raw, true);
    std::string out;
    out.reserve(s.size());
    for (const char c : s) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

constexpr const char* kStyle =
    "body{font-family:sans-serif;margin:2em;color:#111}"
    "h1{font-size:1.4em;margin-bottom:.2em}"
    "p.meta{color:#444;margin-top:0}"
    "table{border-collapse:collapse;width:100%;font-size:.85em}"
    "th,td{border:1px solid #999;padding:.25em .4em;text-align:left;vertical-align:top}"
    "thead th{background:#e8e8e8}"
    "tr.group th{background:#f4f4f4;font-weight:bold}"
    "@media print{body{margin:0}thead{display:table-header-group}tr{break-inside:avoid}}";

}  // namespace

std::string render_csv(const json::object& report) {
    const auto cols = columns_of(report);
    std::string out;
    for (std::size_t i = 0; i < cols.size(); ++i) {
        out += (i == 0 ? "" : ",") + csv_field(cols[i].second);
    }
    out += "\r\n";
    for (const auto& v : report.at("rows").as_array()) {
        const auto& row = v.as_object();
        for (std::size_t i = 0; i < cols.size(); ++i) {
            out += (i == 0 ? "" : ",") + csv_field(cell(row, cols[i].first));
        }
        out += "\r\n";
    }
    return out;
}

std::string render_html(const json::object& report) {
    const auto cols = columns_of(report);
    const std::string group = report.contains("group") ? text(report.at("group")) : "";
    std::vector<std::string> group_cols;
    if (const auto* g = report.if_contains("group_columns")) {
        for (const auto& c : g->as_array()) {
            group_cols.push_back(text(c));
        }
    }
    std::vector<std::pair<std::string, std::string>> shown;
    for (const auto& c : cols) {
        if (std::find(group_cols.begin(), group_cols.end(), c.first) == group_cols.end()) {
            shown.push_back(c);
        }
    }
    const auto title = html_escape(text(report.at("title")));
    std::string out = fmt::format(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\">\n<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n"
        "<h1>{}</h1>\n<p class=\"meta\">{} &middot; generated {} by {} &middot; {} rows</p>\n"
        "<table>\n<thead><tr>",
        title, kStyle, title, html_escape(text(report.at("scope"))),
        html_escape(text(report.at("generated"))), html_escape(text(report.at("generated_by"))),
        report.at("rows").as_array().size());
    for (const auto& c : shown) {
        out += "<th>" + html_escape(c.second) + "</th>";
    }
    out += "</tr></thead>\n<tbody>\n";
    std::string last_group;
    bool first = true;
    for (const auto& v : report.at("rows").as_array()) {
        const auto& row = v.as_object();
        if (!group.empty()) {
            const auto g = cell(row, group);
            if (first || g != last_group) {
                std::string head;
                for (const auto& c : cols) {
                    if (std::find(group_cols.begin(), group_cols.end(), c.first) !=
                        group_cols.end()) {
                        const auto value = cell(row, c.first);
                        if (!value.empty()) {
                            // Isolated, so that right-to-left text in a value
                            // cannot reorder the labels around it.
                            head += (head.empty() ? "" : " &middot; ") + html_escape(c.second) +
                                    ": <bdi>" + html_escape(value) + "</bdi>";
                        }
                    }
                }
                out += fmt::format("<tr class=\"group\"><th colspan=\"{}\">{}</th></tr>\n",
                                   shown.size(), head);
                last_group = g;
                first = false;
            }
        }
        out += "<tr>";
        for (const auto& c : shown) {
            out += "<td>" + html_escape(cell(row, c.first)) + "</td>";
        }
        out += "</tr>\n";
    }
    out += "</tbody>\n</table>\n</body>\n</html>\n";
    return out;
}

int report_and_write(const Global& global, std::string_view op, json::object args,
                     const std::string& format, const std::string& out_path) {
    if (format != "json" && format != "csv" && format != "html") {
        return fail(global, make_error(ErrorCode::bad_request,
                                       fmt::format("\"{}\" is not a report format: use json, csv "
                                                   "or html",
                                                   format)));
    }
    // "-": standard output, as without -o.
    const bool to_stdout = out_path.empty() || out_path == "-";
    if (global.json && to_stdout && format != "json") {
        return fail(global, make_error(ErrorCode::bad_request,
                                       "--json prints the report as JSON; write csv or html to a "
                                       "file with -o FILE"));
    }
    if (!to_stdout) {
        if (auto free = must_be_creatable(out_path); !free) {
            return fail(global, free.error());
        }
    }
    auto conn = client::Connection::open(global.socket);
    if (!conn) {
        return fail(global, conn.error());
    }
    json::object report;
    json::array rows;
    for (;;) {
        auto response = conn->call(op, args);
        if (!response) {
            return fail(global, response.error());
        }
        if (response->error) {
            return fail(global, *response->error);
        }
        auto& page = response->result;
        for (auto& r : page.at("rows").as_array()) {
            rows.push_back(std::move(r));
        }
        const auto next = page.at("next");
        report = std::move(page);
        if (next.is_null()) {
            break;
        }
        args["after"] = next;
    }
    report.erase("next");
    report["rows"] = std::move(rows);
    const std::string doc = format == "csv"    ? render_csv(report)
                            : format == "html" ? render_html(report)
                                               : json_text(report) + "\n";
    if (to_stdout) {
        std::cout << doc << std::flush;
        return std::cout.good() ? 0 : 1;
    }
    if (auto written = write_new_file(out_path, doc, 0600); !written) {
        return fail(global, written.error());
    }
    const auto count = report.at("rows").as_array().size();
    if (global.json) {
        std::cout << json_text(
                         json::object{{"written", out_path}, {"format", format}, {"rows", count}})
                  << "\n";
    } else {
        std::cout << fmt::format("{} report written to {} ({} rows)\n", show(report.at("report")),
                                 shown(out_path), count);
    }
    return 0;
}

}  // namespace strongroom::cli
