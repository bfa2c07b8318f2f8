#include "daemon/manual/manual.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace strongroom::manual {
namespace {

TEST(Roff, EscapesWhatRoffWouldObey) {
    EXPECT_EQ(roff("--uid"), "\\-\\-uid");
    EXPECT_EQ(roff("a\\b"), "a\\eb");
    // A line starting with a control character would be a request.
    EXPECT_EQ(roff(".so /etc/shadow"), "\\&.so /etc/shadow");
    EXPECT_EQ(roff("'br"), "\\&'br");
    EXPECT_EQ(roff("a \u2014 b\u2026"), "a \\(em b...");
}

// A tool like ours: a global option that falls through, a group, leaves.
struct Tool {
    CLI::App app{"tool: does things", "tool"};
    std::string socket;
    std::string name;
    std::string file;
    std::vector<std::string> tags;
    int uid = 0;
    bool json = false;
    CLI::App* add = nullptr;
    CLI::App* hidden = nullptr;

    Tool() {
        app.add_option("--socket", socket, "the socket")->option_text("PATH");
        app.add_flag("--json", json, "print JSON");
        app.fallthrough();
        auto* account = app.add_subcommand("account", "manage accounts");
        add = account->add_subcommand("add", "add an account");
        add->add_option("name", name, "its name")->required();
        add->add_option("--uid", uid, "its uid")->required();
        add->add_option("--tag", tags, "a tag (repeatable)");
        add->add_option("-o,--output", file, "write it here")->option_text("FILE");
        hidden = app.add_subcommand("secret", "not shown");
        hidden->group("");
        set_examples(add, {{"tool account add alice --uid 1001", "adds alice"}});
    }
};

TEST(Commands, DepthFirstWithoutHiddenOnes) {
    Tool t;
    std::vector<std::string> paths;
    for (const auto* c : commands(t.app)) {
        paths.push_back(path_of(c));
    }
    EXPECT_EQ(paths, (std::vector<std::string>{"account", "account add"}));
}

TEST(Usage, PositionalsThenRequiredThenOptional) {
    Tool t;
    EXPECT_EQ(usage(t.add, "tool"),
              "tool account add NAME --uid UID [--tag TAG]... [--output FILE]");
}

TEST(ManPage, HasEveryCommandOptionAndExample) {
    Tool t;
    Page page;
    page.name = "tool";
    page.section = "1";
    page.summary = "does things";
    page.closing.push_back(Section{"EXIT STATUS", "", {{"0", "done"}}});
    const auto out = man_page(t.app, page);
    EXPECT_NE(out.find(".TH TOOL 1"), std::string::npos);
    EXPECT_NE(out.find(".SS account add\n"), std::string::npos);
    EXPECT_NE(out.find("\\fB\\-\\-uid\\fR \\fIUID\\fR\nits uid (required)"), std::string::npos);
    EXPECT_NE(out.find("\\fB\\-o\\fR, \\fB\\-\\-output\\fR \\fIFILE\\fR"), std::string::npos);
    EXPECT_NE(out.find("\\fBtool account add alice \\-\\-uid 1001\\fR\nadds alice"),
              std::string::npos);
    EXPECT_NE(out.find(".SH EXIT STATUS"), std::string::npos);
    EXPECT_EQ(out.find("secret"), std::string::npos);
}

TEST(Completion, OffersSubcommandsOptionsAndFileValues) {
    Tool t;
    const auto out = bash_completion(t.app, "tool");
    EXPECT_NE(out.find("\"\") REPLY=\"account\" ;;"), std::string::npos);
    EXPECT_NE(out.find("\"account\") REPLY=\"add\" ;;"), std::string::npos);
    // The global options fall through to every command.
    EXPECT_NE(
        out.find("\"account add\") REPLY=\"--help --uid --tag -o --output --socket --json\" ;;"),
        std::string::npos);
    EXPECT_NE(out.find("\"account add|--output\") REPLY=file ;;"), std::string::npos);
    EXPECT_NE(out.find("\"account add|--uid\") REPLY=none ;;"), std::string::npos);
    EXPECT_NE(out.find("complete -F _tool tool"), std::string::npos);
    EXPECT_EQ(out.find("secret"), std::string::npos);
}

}  // namespace
}  // namespace strongroom::manual
