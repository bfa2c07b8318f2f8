// The manual pages and bash completion are written by the programs from
// their own command trees (daemon/manual). These tests read the commands
// and options another way, from each command's --help (CLI11's own
// formatter), and fail when a page or the completion leaves one out, when a
// page does not render cleanly with man(1), when a command has no example,
// or when a setting of the configuration is missing from strongroomd.conf(5).
#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/harness.hpp"

namespace strongroom::test {
namespace {

// The lines of a --help block ("Subcommands:", "Options:"), up to the next
// blank line.
std::vector<std::string> block(const std::string& help, const std::string& title) {
    std::vector<std::string> out;
    std::istringstream in(help);
    std::string line;
    bool inside = false;
    while (std::getline(in, line)) {
        if (!inside) {
            inside = line == title;
            continue;
        }
        if (line.empty()) {
            break;
        }
        out.push_back(line);
    }
    return out;
}

// The subcommand names --help lists.
std::vector<std::string> subcommands(const std::string& help) {
    std::vector<std::string> out;
    for (const auto& line : block(help, "Subcommands:")) {
        std::istringstream words(line);
        std::string name;
        words >> name;
        out.push_back(name);
    }
    return out;
}

// The long option names --help lists ("--uid"), --help itself left out.
std::vector<std::string> long_options(const std::string& help) {
    std::vector<std::string> out;
    for (const auto& line : block(help, "Options:")) {
        std::istringstream words(line);
        std::string first;
        words >> first;
        std::istringstream names(first);
        std::string name;
        while (std::getline(names, name, ',')) {
            if (name.starts_with("--") && name != "--help") {
                out.push_back(name.substr(0, name.find('=')));
            }
        }
    }
    return out;
}

struct Command {
    std::string path;  // "account add"
    std::string help;
    bool leaf = false;
};

// Every command of a tool, found by walking --help.
std::vector<Command> walk(const std::string& tool) {
    std::vector<Command> out;
    std::vector<std::string> pending{""};
    while (!pending.empty()) {
        const auto path = pending.back();
        pending.pop_back();
        std::vector<std::string> argv{tool};
        std::istringstream words(path);
        for (std::string w; words >> w;) {
            argv.push_back(w);
        }
        argv.push_back("--help");
        const auto r = run(argv);
        EXPECT_EQ(r.status, 0) << path << ": " << r.err;
        const auto subs = subcommands(r.out);
        if (!path.empty()) {
            out.push_back(Command{path, r.out, subs.empty()});
        }
        for (const auto& s : subs) {
            pending.push_back(path.empty() ? s : path + " " + s);
        }
    }
    return out;
}

// The man page as roff source, with roff's escaped minus signs made plain,
// so that names can be looked for as typed.
std::string page_source(const std::vector<std::string>& argv) {
    auto r = run(argv);
    EXPECT_EQ(r.status, 0) << r.err;
    std::string out;
    for (std::size_t i = 0; i < r.out.size(); ++i) {
        if (r.out.compare(i, 2, "\\-") == 0) {
            out += '-';
            ++i;
        } else {
            out += r.out[i];
        }
    }
    return out;
}

// Renders a page with man(1) and returns what man and groff complained of.
std::string render_warnings(const std::string& source, const std::string& name) {
    TempDir dir;
    const auto file = (dir.path() / name).string();
    std::ofstream(file) << source;
    RunOptions options;
    options.env = {{"MANWIDTH", "80"}, {"LC_ALL", "C.UTF-8"}};
    const auto r =
        run({"/bin/sh", "-c", "man --warnings -E UTF-8 -l \"$0\" >/dev/null", file}, options);
    EXPECT_EQ(r.status, 0) << r.err;
    return r.err;
}

// What bash completion offers after the words typed (the last one being
// completed, possibly empty).
std::set<std::string> complete(const std::string& script, const std::string& tool,
                               const std::vector<std::string>& words) {
    std::string array = "COMP_WORDS=(" + tool;
    for (const auto& w : words) {
        array += " '" + w + "'";
    }
    array += ")";
    const std::string program = script + "\n" + array +
                                "\nCOMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n"
                                "complete -p " +
                                tool +
                                " >/dev/null || exit 3\n"
                                "_" +
                                (tool == "strongroom" ? "strongroom" : "strongroom_admin") +
                                "\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n";
    const auto r = run({"/bin/bash", "--norc", "-c", program});
    EXPECT_EQ(r.status, 0) << r.err;
    std::set<std::string> out;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty()) {
            out.insert(line);
        }
    }
    return out;
}

std::vector<std::string> split(const std::string& path) {
    std::vector<std::string> out;
    std::istringstream in(path);
    for (std::string w; in >> w;) {
        out.push_back(w);
    }
    return out;
}

class Manual : public ::testing::TestWithParam<std::string> {};

std::string binary(const std::string& tool) {
    return tool == "strongroom" ? tool_path() : admin_path();
}

TEST_P(Manual, EveryCommandAndOptionIsInTheManualPageWhichRendersCleanly) {
    const auto tool = GetParam();
    const auto page = page_source({binary(tool), "--generate-manual"});
    const auto commands = walk(binary(tool));
    ASSERT_GT(commands.size(), 10U);
    for (const auto& c : commands) {
        EXPECT_NE(page.find(".SS " + c.path + "\n"), std::string::npos)
            << tool << " " << c.path << " is not in the manual page";
        if (!c.leaf) {
            continue;
        }
        // The command's own section holds each of its options.
        const auto at = page.find(".SS " + c.path + "\n");
        const auto end = page.find(".SS ", at + 4);
        const auto section = page.substr(at, end == std::string::npos ? end : end - at);
        for (const auto& o : long_options(c.help)) {
            if (o == "--socket" || o == "--json") {
                continue;  // the global options, under OPTIONS
            }
            EXPECT_NE(section.find("\\fB" + o + "\\fR"), std::string::npos)
                << tool << " " << c.path << ": " << o << " is not in its manual section";
        }
    }
    EXPECT_NE(page.find("\\fB--socket\\fR"), std::string::npos);
    EXPECT_EQ(render_warnings(page, tool == "strongroom" ? "strongroom.1" : "strongroom-admin.8"),
              "");
}

TEST_P(Manual, EveryCommandThatRunsSomethingHasAnExampleInItsHelpAndPage) {
    const auto tool = GetParam();
    const auto page = page_source({binary(tool), "--generate-manual"});
    for (const auto& c : walk(binary(tool))) {
        if (!c.leaf) {
            continue;
        }
        EXPECT_NE(c.help.find("Example"), std::string::npos)
            << tool << " " << c.path << " --help shows no example";
        EXPECT_NE(c.help.find("Exit status:"), std::string::npos)
            << tool << " " << c.path << " --help shows no exit codes";
        const auto at = page.find(".SS " + c.path + "\n");
        ASSERT_NE(at, std::string::npos) << c.path;
        const auto end = page.find(".SS ", at + 4);
        const auto section = page.substr(at, end == std::string::npos ? end : end - at);
        EXPECT_NE(section.find("\\fB" + tool + " " + c.path), std::string::npos)
            << tool << " " << c.path << ": no example in its manual section";
    }
}

TEST_P(Manual, BashCompletionCompletesEveryCommandAndItsOptions) {
    const auto tool = GetParam();
    const auto script = run({binary(tool), "--generate-completion"});
    ASSERT_EQ(script.status, 0) << script.err;
    for (const auto& c : walk(binary(tool))) {
        auto words = split(c.path);
        const auto name = words.back();
        // Typing the command's first letter offers it.
        words.back() = name.substr(0, 1);
        const auto offered = complete(script.out, tool, words);
        EXPECT_TRUE(offered.count(name) == 1) << tool << ": '" << c.path << "' not completed";
        if (!c.leaf) {
            continue;
        }
        auto typed = split(c.path);
        typed.push_back("--");
        const auto options = complete(script.out, tool, typed);
        for (const auto& o : long_options(c.help)) {
            EXPECT_TRUE(options.count(o) == 1)
                << tool << " " << c.path << ": option " << o << " not completed";
        }
    }
    // After an option that takes a file, file names are offered.
    TempDir dir;
    std::ofstream(dir.path() / "report-file.pdf") << "x";
    const auto files = complete(script.out, tool, {"--socket", (dir.path() / "report-").string()});
    EXPECT_EQ(files.count((dir.path() / "report-file.pdf").string()), 1U);
}

INSTANTIATE_TEST_SUITE_P(Tools, Manual, ::testing::Values("strongroom", "strongroom-admin"),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                             return p.param == "strongroom" ? std::string("strongroom")
                                                            : std::string("strongroom_admin");
                         });

TEST(DaemonManual, EveryOptionIsInStrongroomd8) {
    const auto page = page_source({daemon_path(), "--generate-manual"});
    const auto help = run({daemon_path(), "--help"});
    ASSERT_EQ(help.status, 0) << help.err;
    const auto options = long_options(help.out);
    ASSERT_GT(options.size(), 5U);
    for (const auto& o : options) {
        EXPECT_NE(page.find("\\fB" + o + "\\fR"), std::string::npos) << o;
    }
    EXPECT_EQ(render_warnings(page, "strongroomd.8"), "");
}

TEST(DaemonManual, EverySettingIsInStrongroomdConf5WithItsDefault) {
    const auto page = page_source({daemon_path(), "--generate-config-manual"});
    // The example configuration lists every setting: "[table]", then
    // "#key = default" lines.
    const auto example = run({daemon_path(), "--print-example-config"});
    ASSERT_EQ(example.status, 0) << example.err;
    std::istringstream in(example.out);
    int settings = 0;
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with("[")) {
            EXPECT_NE(page.find(".SH " + line + "\n"), std::string::npos) << line;
        } else if (line.starts_with("#") && line.find(" = ") != std::string::npos &&
                   line[1] != ' ') {
            // "#key = value": the page shows "key = value" as a term.
            std::string entry = line.substr(1);
            EXPECT_NE(page.find(".TP\n" + entry + "\n"), std::string::npos) << entry;
            ++settings;
        }
    }
    EXPECT_GT(settings, 20);
    EXPECT_EQ(render_warnings(page, "strongroomd.conf.5"), "");
}

}  // namespace
}  // namespace strongroom::test
