#include "daemon/manual/manual.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <map>

#include <fmt/format.h>

namespace strongroom::manual {
namespace {

std::map<const CLI::App*, std::vector<Example>>& example_table() {
    static std::map<const CLI::App*, std::vector<Example>> table;
    return table;
}

bool shown_command(const CLI::App* app) {
    return !app->get_group().empty();
}

std::vector<const CLI::App*> children(const CLI::App* app) {
    return app->get_subcommands([](const CLI::App* sub) { return shown_command(sub); });
}

void collect(const CLI::App* app, std::vector<const CLI::App*>& out) {
    for (const auto* sub : children(app)) {
        out.push_back(sub);
        collect(sub, out);
    }
}

bool is_flag(const CLI::Option* o) {
    return !o->get_positional() && o->get_expected_max() == 0;
}

bool repeats(const CLI::Option* o) {
    return o->get_items_expected_max() > 1;
}

std::string upper(std::string_view text) {
    std::string out;
    for (const char c : text) {
        out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return out;
}

// The name an option's value is shown with: its option_text ("PATH"), else
// its long name in capitals (--title: TITLE); a positional's own name.
std::string value_name(const CLI::Option* o) {
    if (o->get_positional()) {
        return upper(o->get_name());
    }
    if (!o->get_option_text().empty()) {
        return o->get_option_text();
    }
    std::string name = o->get_lnames().empty() ? o->get_snames().front() : o->get_lnames().front();
    return upper(name);
}

// "--output" (or "-o" when the option has only a short name).
std::string flag_name(const CLI::Option* o) {
    if (!o->get_lnames().empty()) {
        return "--" + o->get_lnames().front();
    }
    return "-" + o->get_snames().front();
}

// Every name of an option: "-o, --output".
std::vector<std::string> all_names(const CLI::Option* o) {
    std::vector<std::string> out;
    for (const auto& s : o->get_snames()) {
        out.push_back("-" + s);
    }
    for (const auto& l : o->get_lnames()) {
        out.push_back("--" + l);
    }
    return out;
}

// One word of a usage line.
struct Word {
    std::string flag;   // "--uid", empty for a positional
    std::string value;  // "UID", empty for a flag
    bool optional = false;
    bool repeated = false;
};

std::vector<Word> usage_words(const CLI::App* command) {
    std::vector<Word> positional;
    std::vector<Word> required;
    std::vector<Word> optional;
    for (const auto* o : visible_options(command)) {
        Word w;
        w.repeated = repeats(o);
        if (o->get_positional()) {
            w.value = value_name(o);
            w.optional = !o->get_required();
            positional.push_back(w);
            continue;
        }
        w.flag = flag_name(o);
        if (!is_flag(o)) {
            w.value = value_name(o);
        }
        w.optional = !o->get_required();
        (w.optional ? optional : required).push_back(w);
    }
    std::vector<Word> out = positional;
    out.insert(out.end(), required.begin(), required.end());
    out.insert(out.end(), optional.begin(), optional.end());
    return out;
}

std::string plain(const Word& w) {
    std::string out = w.flag;
    if (!w.value.empty()) {
        out += (out.empty() ? "" : " ") + w.value;
    }
    if (w.optional) {
        out = "[" + out + "]";
    }
    if (w.repeated) {
        out += "...";
    }
    return out;
}

std::string roff_word(const Word& w) {
    std::string out;
    if (!w.flag.empty()) {
        out += "\\fB" + roff(w.flag) + "\\fR";
    }
    if (!w.value.empty()) {
        out += (out.empty() ? "" : " ") + ("\\fI" + roff(w.value) + "\\fR");
    }
    if (w.optional) {
        out = "[" + out + "]";
    }
    if (w.repeated) {
        out += "...";
    }
    return out;
}

std::string one_line(std::string_view text) {
    std::string out(text);
    std::replace(out.begin(), out.end(), '\n', ' ');
    return out;
}

void write_text(std::string& out, std::string_view text) {
    bool literal = false;
    bool in_paragraph = false;
    std::size_t at = 0;
    while (at <= text.size()) {
        const auto end = std::min(text.find('\n', at), text.size());
        const auto line = text.substr(at, end - at);
        at = end + 1;
        if (line.empty()) {
            if (literal) {
                out += ".fi\n.RE\n";
                literal = false;
            }
            in_paragraph = false;
            if (end == text.size()) {
                break;
            }
            continue;
        }
        if (line.starts_with("  ")) {
            if (!literal) {
                out += ".PP\n.RS 4\n.nf\n";
                literal = true;
            }
            out += roff(line.substr(2)) + "\n";
        } else {
            if (literal) {
                out += ".fi\n.RE\n";
                literal = false;
                in_paragraph = false;
            }
            if (!in_paragraph) {
                out += ".PP\n";
                in_paragraph = true;
            }
            out += roff(line) + "\n";
        }
        if (end == text.size()) {
            break;
        }
    }
    if (literal) {
        out += ".fi\n.RE\n";
    }
}

void write_section(std::string& out, const Section& s) {
    out += ".SH " + roff(s.title) + "\n";
    write_text(out, s.text);
    for (const auto& [term, what] : s.entries) {
        out += ".TP\n" + roff(term) + "\n" + roff(one_line(what)) + "\n";
    }
}

void write_options(std::string& out, const std::vector<const CLI::Option*>& options) {
    for (const auto* o : options) {
        std::string term;
        if (o->get_positional()) {
            term = "\\fI" + roff(value_name(o)) + "\\fR";
        } else {
            for (const auto& name : all_names(o)) {
                term += (term.empty() ? "" : ", ") + ("\\fB" + roff(name) + "\\fR");
            }
            if (!is_flag(o)) {
                term += " \\fI" + roff(value_name(o)) + "\\fR";
            }
        }
        std::string what = one_line(o->get_description());
        if (o->get_required() && !o->get_positional()) {
            what += " (required)";
        }
        if (repeats(o) && what.find("repeat") == std::string::npos) {
            what += " (may be given more than once)";
        }
        out += ".TP\n" + term + "\n" + roff(what) + "\n";
    }
}

void write_examples(std::string& out, const std::vector<Example>& list) {
    if (list.empty()) {
        return;
    }
    out += list.size() == 1 ? ".PP\nExample:\n" : ".PP\nExamples:\n";
    for (const auto& e : list) {
        out += ".TP\n\\fB" + roff(e.command) + "\\fR\n" + roff(one_line(e.what)) + "\n";
    }
}

// A bash word list, each word quoted for a case pattern or a string.
std::string bash_quoted(std::string_view text) {
    std::string out = "\"";
    for (const char c : text) {
        if (c == '"' || c == '\\' || c == '$' || c == '`') {
            out += '\\';
        }
        out += c;
    }
    return out + "\"";
}

std::string function_name(std::string_view program) {
    std::string out = "_";
    for (const char c : program) {
        out += std::isalnum(static_cast<unsigned char>(c)) != 0 ? c : '_';
    }
    return out;
}

// What a value is completed with: file names, directory names, or nothing.
std::string value_kind(const CLI::Option* o) {
    const auto name = value_name(o);
    if (name.find("DIR") != std::string::npos) {
        return "dir";
    }
    if (name.find("FILE") != std::string::npos || name.find("PATH") != std::string::npos ||
        name.find("BACKUP") != std::string::npos) {
        return "file";
    }
    return "none";
}

// The options a command accepts: its own, and those of each ancestor that
// lets its options fall through to its subcommands.
std::vector<const CLI::Option*> accepted_options(const CLI::App* command) {
    auto out = visible_options(command);
    for (const CLI::App* at = command; at->get_parent() != nullptr && at->get_fallthrough();
         at = at->get_parent()) {
        for (const auto* o : visible_options(at->get_parent())) {
            if (!o->get_positional()) {
                out.push_back(o);
            }
        }
    }
    return out;
}

}  // namespace

void set_examples(const CLI::App* command, std::vector<Example> list) {
    example_table()[command] = std::move(list);
}

const std::vector<Example>& examples_of(const CLI::App* command) {
    static const std::vector<Example> none;
    const auto& table = example_table();
    const auto it = table.find(command);
    return it == table.end() ? none : it->second;
}

std::string build_date() {
    const char* epoch = std::getenv("SOURCE_DATE_EPOCH");
    if (epoch == nullptr) {
        return "";
    }
    const std::time_t t = std::strtoll(epoch, nullptr, 10);
    std::tm tm{};
    if (::gmtime_r(&t, &tm) == nullptr) {
        return "";
    }
    return fmt::format("{:04}-{:02}-{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

std::vector<const CLI::App*> commands(const CLI::App& app) {
    std::vector<const CLI::App*> out;
    collect(&app, out);
    return out;
}

std::string path_of(const CLI::App* command) {
    std::vector<std::string> names;
    for (const CLI::App* at = command; at != nullptr && at->get_parent() != nullptr;
         at = at->get_parent()) {
        names.push_back(at->get_name());
    }
    std::string out;
    for (auto it = names.rbegin(); it != names.rend(); ++it) {
        out += (out.empty() ? "" : " ") + *it;
    }
    return out;
}

std::vector<const CLI::Option*> visible_options(const CLI::App* command) {
    const CLI::Option* help = command->get_help_ptr();
    const CLI::Option* help_all = command->get_help_all_ptr();
    return command->get_options([&](const CLI::Option* o) {
        return o != help && o != help_all && !o->get_group().empty();
    });
}

std::string usage(const CLI::App* command, std::string_view program) {
    std::string out(program);
    const auto path = path_of(command);
    if (!path.empty()) {
        out += " " + path;
    }
    if (!children(command).empty()) {
        out += " COMMAND";
    }
    for (const auto& w : usage_words(command)) {
        out += " " + plain(w);
    }
    return out;
}

std::string man_page(const CLI::App& app, const Page& page) {
    std::string out = fmt::format(
        ".\\\" Generated from the command tree of {0} ({0} --generate-manual): do not edit.\n"
        ".TH {1} {2} \"{3}\" \"{4}\" \"Strongroom manual\"\n",
        page.name, upper(page.name), page.section, page.date, roff(page.source));
    out += ".SH NAME\n" + roff(page.name) + " \\- " + roff(page.summary) + "\n";
    out += ".SH SYNOPSIS\n";
    if (!page.synopsis.empty()) {
        write_text(out, page.synopsis);
    } else {
        out += ".B " + roff(page.name) + "\n";
        std::string line;
        for (const auto& w : usage_words(&app)) {
            line += (line.empty() ? "" : " ") + roff_word(w);
        }
        if (!children(&app).empty()) {
            line += (line.empty() ? "" : " ") + std::string("\\fICOMMAND\\fR [\\fIARGUMENTS\\fR]");
        }
        out += line + "\n";
    }
    for (const auto& s : page.described) {
        write_section(out, s);
    }
    const auto own = visible_options(&app);
    if (!own.empty()) {
        out += ".SH OPTIONS\n";
        write_options(out, own);
        out += ".TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\nPrint the help";
        out += children(&app).empty() ? " and exit.\n"
                                      : " (of the program, or of a command) and exit.\n";
    }
    const auto all = commands(app);
    if (!all.empty()) {
        out += ".SH COMMANDS\n";
        for (const auto* command : all) {
            const bool leaf = children(command).empty();
            out += ".SS " + roff(path_of(command)) + "\n";
            if (leaf) {
                out += ".B " + roff(page.name + " " + path_of(command)) + "\n";
                std::string line;
                for (const auto& w : usage_words(command)) {
                    line += (line.empty() ? "" : " ") + roff_word(w);
                }
                out += (line.empty() ? std::string() : line + "\n");
                out += ".PP\n";
            }
            std::string what = one_line(command->get_description());
            if (!what.empty()) {
                what[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(what[0])));
                out += roff(what) + (what.ends_with('.') ? "\n" : ".\n");
            }
            if (!leaf) {
                std::string names;
                for (const auto* sub : children(command)) {
                    names += (names.empty() ? "" : ", ") + sub->get_name();
                }
                out += roff("Commands: " + names + ".") + "\n";
            }
            write_options(out, visible_options(command));
            write_examples(out, examples_of(command));
        }
    }
    for (const auto& s : page.closing) {
        write_section(out, s);
    }
    return out;
}

std::string bash_completion(const CLI::App& app, std::string_view program) {
    const auto f = function_name(program);
    std::vector<const CLI::App*> all{&app};
    const auto below = commands(app);
    all.insert(all.end(), below.begin(), below.end());

    std::string subs;
    std::string opts;
    std::string values;
    std::string args;
    for (const auto* command : all) {
        const auto key = bash_quoted(path_of(command));
        std::string names;
        for (const auto* sub : children(command)) {
            names += (names.empty() ? "" : " ") + sub->get_name();
        }
        if (!names.empty()) {
            subs += fmt::format("        {}) REPLY={} ;;\n", key, bash_quoted(names));
        }
        std::string flags = "--help";
        for (const auto* o : accepted_options(command)) {
            if (o->get_positional()) {
                if (value_kind(o) != "none") {
                    args += fmt::format("        {}) REPLY={} ;;\n", key, value_kind(o));
                }
                continue;
            }
            for (const auto& name : all_names(o)) {
                flags += " " + name;
                if (!is_flag(o)) {
                    values +=
                        fmt::format("        {}) REPLY={} ;;\n",
                                    bash_quoted(path_of(command) + "|" + name), value_kind(o));
                }
            }
        }
        opts += fmt::format("        {}) REPLY={} ;;\n", key, bash_quoted(flags));
    }

    return fmt::format(
        R"(# bash completion for {0}: generated from its command tree
# ({0} --generate-completion), so it offers exactly the commands and options
# that {0} accepts. Do not edit.

# The subcommands of a command ("account add" is the path of a command).
{1}_subs() {{
    case "$1" in
{2}        *) REPLY="" ;;
    esac
}}

# The options a command accepts.
{1}_opts() {{
    case "$1" in
{3}        *) REPLY="" ;;
    esac
}}

# Whether an option of a command takes a value, and how it is completed:
# file, dir or none; empty when the option takes no value.
{1}_value() {{
    case "$1|$2" in
{4}        *) REPLY="" ;;
    esac
}}

# How a command's own arguments are completed (file), if at all.
{1}_args() {{
    case "$1" in
{5}        *) REPLY="" ;;
    esac
}}

{1}() {{
    local cur=${{COMP_WORDS[COMP_CWORD]}} prev="" path="" word i REPLY=""
    ((COMP_CWORD > 0)) && prev=${{COMP_WORDS[COMP_CWORD - 1]}}
    # The command typed so far: words that name a subcommand, skipping
    # options and the values they take.
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${{COMP_WORDS[i]}}
        if [[ $word == -* ]]; then
            {1}_value "$path" "$word"
            [[ -n $REPLY && $word != *=* ]] && ((i++))
            continue
        fi
        {1}_subs "$path"
        if [[ " $REPLY " == *" $word "* ]]; then
            path=${{path:+$path }}$word
        fi
    done
    COMPREPLY=()
    {1}_value "$path" "$prev"
    case $REPLY in
        file) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return 0 ;;
        dir) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return 0 ;;
        none) return 0 ;;
    esac
    if [[ $cur == -* ]]; then
        {1}_opts "$path"
        mapfile -t COMPREPLY < <(compgen -W "$REPLY" -- "$cur")
        return 0
    fi
    {1}_subs "$path"
    if [[ -n $REPLY ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$REPLY" -- "$cur")
        return 0
    fi
    {1}_args "$path"
    if [[ $REPLY == file ]]; then
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    fi
    return 0
}}
complete -F {1} {0}
)",
        program, f, subs, opts, values, args);
}

std::string roff(std::string_view text) {
    static const std::pair<std::string_view, std::string_view> kGlyphs[] = {
        {"\u2014", "\\(em"}, {"\u2013", "\\(en"}, {"\u2026", "..."},   {"\u2018", "\\(oq"},
        {"\u2019", "\\(cq"}, {"\u201c", "\\(lq"}, {"\u201d", "\\(rq"}, {"\u00d7", "\\(mu"},
        {"\u2264", "\\(<="}, {"\u2265", "\\(>="}, {"\u2192", "\\(->"}, {"\u00a7", "\\(sc"},
    };
    std::string out;
    if (!text.empty() && (text.front() == '.' || text.front() == '\'')) {
        out += "\\&";
    }
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\\') {
            out += "\\e";
            continue;
        }
        if (c == '-') {
            out += "\\-";
            continue;
        }
        bool replaced = false;
        for (const auto& [from, to] : kGlyphs) {
            if (text.substr(i).starts_with(from)) {
                out += to;
                i += from.size() - 1;
                replaced = true;
                break;
            }
        }
        if (!replaced) {
            out += c;
        }
    }
    return out;
}

}  // namespace strongroom::manual
