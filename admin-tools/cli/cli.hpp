// What both tools share: the common options, running one request, and
// printing its answer the way CLI.md promises (one JSON document on stdout
// with --json; text for people otherwise; one-line errors on stderr; the
// exit status of the error code).
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <sys/types.h>

#include <CLI/CLI.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "daemon/common/error.hpp"
#include "daemon/manual/manual.hpp"

namespace strongroom::cli {

struct Global {
    std::string program;  // "strongroom" or "strongroom-admin", for messages
    std::string socket;
    bool json = false;
    // Set by the chosen subcommand; run after parsing.
    std::function<int()> action;
};

// Adds --socket and --json, accepted before or after the subcommand.
void add_global_options(CLI::App& app, Global& global);

// One example of a command, shown in its --help and in the manual page.
using Example = manual::Example;

// Gives a command (a subcommand that runs something) its examples. Every
// such command has at least one: a test walks both tools and fails
// otherwise. run() adds them to the command's --help with the exit codes.
void examples(CLI::App* command, std::vector<Example> list);

// The examples given to command (empty if none).
const std::vector<Example>& examples_of(const CLI::App* command);

// "strongroom-admin account add": the tool's name and the command's.
std::string command_path(const CLI::App* command, const std::string& program);

// Prints a successful answer for people.
using HumanPrinter = std::function<void(const boost::json::object& result)>;

// The exit status of a successful answer (0 unless the answer itself is a
// failed check, such as a chain that is not intact).
using ExitStatus = std::function<int(const boost::json::object& result)>;

// One request; its result, or the exit status of its failure (already printed).
std::variant<boost::json::object, int> request(const Global& global, std::string_view op,
                                               boost::json::object args);

// Prints a successful answer (JSON with --json, else for people); returns
// the exit status (1 if stdout failed).
int print_result(const Global& global, const boost::json::object& result,
                 const HumanPrinter& human);

// Sends one request and prints the outcome; returns the exit status.
int call_and_print(const Global& global, std::string_view op, boost::json::object args,
                   const HumanPrinter& human, const ExitStatus& status = nullptr);

// What to tell the caller when the daemon did the work but its document
// could not be written: that the work is done and how to get it again.
using DoneNote = std::function<std::string(const boost::json::object& result)>;

// Sends one request; when out_path is given, writes the answer's string
// `field` to that new file (mode), then prints the outcome. The path is
// checked first (a file can be created there: the directory exists and is
// writable, nothing is at the path), so that nothing is done for a document
// that cannot be kept; if writing still fails after the answer, the error
// says what `done` says.
int call_write_and_print(const Global& global, std::string_view op, boost::json::object args,
                         std::string_view field, const std::string& out_path, mode_t mode,
                         const HumanPrinter& human, const DoneNote& done = nullptr);

// Sends a request with the content of the file at path ("-": standard
// input) following it, and prints the outcome.
int upload_and_print(const Global& global, std::string_view op, boost::json::object args,
                     const std::string& path, const HumanPrinter& human);

// Sends a request whose answer carries content, writes the content to a new
// file at out_path (mode 0600; refused before the request if the file exists
// or cannot be created; written under a temporary name and renamed only once
// complete), and prints the outcome. out_path "-": the content alone on
// standard output, the outcome (and a sidecar marking, as "marking: ...") on
// standard error.
int download_and_print(const Global& global, std::string_view op, boost::json::object args,
                       const std::string& out_path, const HumanPrinter& human);

// Refuses (bad_request, saying what to do) a path where anything is already.
Status must_not_exist(const std::string& path);

// How a -o value is named to people: "standard output" for "-", else the
// path, shown().
std::string output_name(const std::string& out_path);

// Writes a document to -o's target: standard output for "-", else a new file
// (write_new_file).
Status write_output(const std::string& out_path, std::string_view content, mode_t mode);

// Refuses "-" for an -o that names a new directory (a package of files has
// no place on standard output), saying what to give instead.
Status must_be_directory_path(const std::string& out_path);

// Refuses (bad_request, saying what to do) a path where no new file can be
// created: nothing there, and a file can be made beside it (tried, then removed).
Status must_be_creatable(const std::string& path);

// Writes content to a new file at path (refused if anything is there), under
// a temporary name renamed once complete and synced.
Status write_new_file(const std::string& path, std::string_view content, mode_t mode);

// Prints a failure (stderr, its message shown(); and the error document on
// stdout with --json); returns its exit status.
int fail(const Global& global, const Error& error);

// Parses the command line and runs the chosen action. Usage errors exit 2
// (bad_request), --help exits 0 with the help on stdout.
//
// `PROGRAM --generate-manual` prints the tool's manual page (roff) and
// `PROGRAM --generate-completion` its bash completion, both written from app
// (the build installs them; they are not meant for people to type).
int run(CLI::App& app, Global& global, int argc, char** argv);

// Text of a JSON scalar (strings without quotes), or of an array joined by
// sep, exactly as it is: for deciding and for files, never for people.
std::string text(const boost::json::value& v, std::string_view sep = ", ");

// Text for people. Whatever the tools print for a person (tables, fields,
// messages with the daemon's text, errors on stderr) goes through shown():
// every control character, C1, DEL, line separator, bidirectional control
// and byte that is not UTF-8 is written as a visible escape (\x1b, \n,
// \u202e, \xff; escape_controls in daemon/common/text.hpp), so nothing that
// another account stored can make a reader's terminal obey, forge a line or
// reorder what it shows. Applying it twice changes nothing more.
std::string shown(std::string_view text);
// The same for text of several lines shown as lines (a checkpoint, a key):
// line feeds are kept, everything else is escaped.
std::string shown_lines(std::string_view text);
// shown(text(v, sep)): a value of an answer, for people.
std::string show(const boost::json::value& v, std::string_view sep = ", ");

// A JSON document as the tools print it (--json, reports): serialized, with
// the control characters the serializer leaves raw (DEL, C1, the line
// separators, the bidirectional controls) written as \u escapes as well. The
// same JSON value, exactly; a terminal receives none of them.
std::string json_text(const boost::json::value& v);

// A left-aligned table with a header row, for people; every cell shown().
void print_table(std::ostream& out, const std::vector<std::string>& headers,
                 const std::vector<std::vector<std::string>>& rows);

// "key: value" lines, keys padded to line up; every key and value shown().
void print_fields(std::ostream& out,
                  const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace strongroom::cli
