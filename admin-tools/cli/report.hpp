// Reports as documents for others: the daemon answers a report as title,
// scope, columns and rows (JSON); these render it as CSV (RFC 4180) or as a
// self-contained printable HTML page that loads nothing from anywhere.
#pragma once

#include <string>

#include <boost/json/object.hpp>

#include "admin-tools/cli/cli.hpp"

namespace strongroom::cli {

// CSV: a header of the column labels, a line per row. A cell that a
// spreadsheet would read as a formula (= + - @ at its start, a space or line
// feed before one, or their full-width forms) is prefixed with an
// apostrophe; control characters other than line feeds are shown escaped
// (escape_controls), as on a terminal.
std::string render_csv(const boost::json::object& report);

// HTML: rows grouped by the report's "group" key, each group headed by its
// "group_columns" (values isolated in <bdi>); every text escaped, control
// and bidirectional characters shown as visible escapes; a content security
// policy that forbids any external resource.
std::string render_html(const boost::json::object& report);

// Runs a report operation, following "next" until the whole report is in,
// and writes it in format (json, csv or html) to out_path (a new file, 0600)
// or standard output. Returns the exit status.
int report_and_write(const Global& global, std::string_view op, boost::json::object args,
                     const std::string& format, const std::string& out_path);

}  // namespace strongroom::cli
