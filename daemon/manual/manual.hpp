// Manual pages (man(7) roff) and bash completion written from a program's
// CLI11 command tree: the commands, options, required flags, descriptions
// and examples that --help shows are the ones the manual and the completion
// show, because all three are read from the same tree.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

namespace strongroom::manual {

// One example of a command, shown in its --help and in the manual page.
struct Example {
    std::string command;  // as typed: "strongroom get 12 -o report.pdf"
    std::string what;     // what it does, one line for people
};

// Gives a command its examples (replacing any it had).
void set_examples(const CLI::App* command, std::vector<Example> list);

// The examples given to command (empty if none).
const std::vector<Example>& examples_of(const CLI::App* command);

// A section of a manual page written by hand: paragraphs separated by blank
// lines (filled by the formatter); a line starting with two spaces is shown
// as it is (commands to type). Then entries: a term and what it means.
struct Section {
    std::string title;  // "FILES"
    std::string text;
    std::vector<std::pair<std::string, std::string>> entries;
};

struct Page {
    std::string name;                // "strongroom-admin"
    std::string section;             // "8"
    std::string summary;             // the NAME line: "administer ... a Strongroom appliance"
    std::string date;                // "2026-12-03" (left empty: none shown)
    std::string source;              // "Strongroom 0.1.0"
    std::string synopsis;            // written by hand; empty: from the tree
    std::vector<Section> described;  // after SYNOPSIS (DESCRIPTION, ...)
    std::vector<Section> closing;    // after the options and commands
};

// The date a page shows: the build's SOURCE_DATE_EPOCH as YYYY-MM-DD (so
// that packages are reproducible), or empty when it is not set.
std::string build_date();

// Every subcommand below app, depth first in the order they were added
// (hidden ones, with an empty group, left out).
std::vector<const CLI::App*> commands(const CLI::App& app);

// A command's names below the program: "account add".
std::string path_of(const CLI::App* command);

// The command's options people see (--help and hidden ones left out).
std::vector<const CLI::Option*> visible_options(const CLI::App* command);

// How to type the command: "strongroom-admin account add NAME --uid UID
// [--role ROLE]...": positionals, required options, then optional ones.
std::string usage(const CLI::App* command, std::string_view program);

// The manual page of app, in man(7) roff: NAME, SYNOPSIS, the described
// sections, OPTIONS (app's own), COMMANDS (every command with its usage,
// description, options and examples), the closing sections.
std::string man_page(const CLI::App& app, const Page& page);

// A bash completion script for program: completes every command's
// subcommands and options, and file names where an option takes a FILE,
// DIR or PATH.
std::string bash_completion(const CLI::App& app, std::string_view program);

// Text made safe for a roff line: backslashes and minus signs escaped, a
// leading '.' or '\'' neutralised, the common typographic characters written
// as roff glyphs.
std::string roff(std::string_view text);

}  // namespace strongroom::manual
