// strongroom-admin: the tool of technical officers, registrars and auditors
// (CLI.md).
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/array.hpp>
#include <fmt/format.h>

#include "admin-tools/cli/cli.hpp"
#include "admin-tools/cli/report.hpp"
#include "admin-tools/strongroom-admin/commands.hpp"
#include "daemon/common/fingerprint.hpp"

namespace sr = strongroom;
namespace json = boost::json;

namespace {

std::vector<std::pair<std::string, std::string>> account_fields(const json::object& a) {
    const auto& roles = a.at("roles").as_array();
    return {
        {"account", sr::cli::show(a.at("name"))},
        {"uid", sr::cli::show(a.at("uid"))},
        {"roles", roles.empty() ? "(none)" : sr::cli::show(roles)},
        {"status", sr::cli::show(a.at("status"))},
        {"created", sr::cli::show(a.at("created"))},
        {"changed", sr::cli::show(a.at("changed"))},
    };
}

void print_account(const json::object& r) {
    sr::cli::print_fields(std::cout, account_fields(r.at("account").as_object()));
}

json::array to_array(const std::vector<std::string>& items) {
    json::array a;
    for (const auto& i : items) {
        a.emplace_back(i);
    }
    return a;
}

// The account commands: add, list, show, suspend, reactivate.
void add_account_commands(CLI::App& app, sr::cli::Global& g) {
    auto* account = app.add_subcommand("account", "manage accounts (officers)");
    account->require_subcommand(1);

    struct AddArgs {
        std::string name;
        std::uint32_t uid = 0;
        std::vector<std::string> roles;
    };
    static AddArgs add_args;
    auto* add = account->add_subcommand("add", "add an account for a Unix uid");
    add->add_option("NAME", add_args.name, "account name")->required();
    add->add_option("--uid", add_args.uid, "the person's Unix uid")->required()->option_text("UID");
    add->add_option("--role", add_args.roles,
                    "officer, registrar or auditor (repeatable; none for content users)")
        ->option_text("ROLE")
        ->allow_extra_args(false);
    sr::cli::examples(add, {{"strongroom-admin account add analyst2 --uid 1012",
                             "an account for uid 1012 with no role: a content user"},
                            {"strongroom-admin account add registrar1 --uid 1005 --role registrar",
                             "a registrar: waits for a second officer's approval"}});
    add->callback([&g] {
        g.action = [&g] {
            json::object args;
            args["name"] = add_args.name;
            args["uid"] = add_args.uid;
            args["roles"] = to_array(add_args.roles);
            return sr::cli::call_and_print(
                g, "account.add", std::move(args), [](const json::object& r) {
                    // Any role waits for a second officer (two-person rule).
                    if (const auto* st = r.if_contains("status");
                        st && sr::cli::text(*st) == "pending") {
                        std::cout << fmt::format(
                            "pending {}: {}\n{}\n", sr::cli::show(r.at("pending_id")),
                            sr::cli::show(r.at("summary")), sr::cli::show(r.at("message")));
                        return;
                    }
                    print_account(r);
                });
        };
    });

    auto* list = account->add_subcommand("list", "list accounts (officers, auditors)");
    sr::cli::examples(
        list, {{"strongroom-admin account list", "every account with its uid, roles and status"}});
    list->callback([&g] {
        g.action = [&g] {
            return sr::cli::call_and_print(g, "account.list", {}, [](const json::object& r) {
                std::vector<std::vector<std::string>> rows;
                for (const auto& v : r.at("accounts").as_array()) {
                    const auto& a = v.as_object();
                    rows.push_back({sr::cli::show(a.at("name")), sr::cli::show(a.at("uid")),
                                    sr::cli::show(a.at("roles"), ","),
                                    sr::cli::show(a.at("status"))});
                }
                sr::cli::print_table(std::cout, {"NAME", "UID", "ROLES", "STATUS"}, rows);
            });
        };
    });

    static std::string name;
    struct Simple {
        const char* command;
        const char* op;
        const char* help;
        const char* what;  // of its example, on analyst2
    };
    static constexpr Simple simple[] = {
        {"show", "account.show", "show one account", "analyst2's uid, roles and status"},
        {"suspend", "account.suspend", "suspend an account: every request from it is refused",
         "every request from analyst2 is refused from now on"},
        {"reactivate", "account.reactivate", "reactivate a suspended account",
         "analyst2 may use the strongroom again"},
    };
    for (const auto& s : simple) {
        auto* cmd = account->add_subcommand(s.command, s.help);
        cmd->add_option("NAME", name, "account name")->required();
        sr::cli::examples(
            cmd, {{fmt::format("strongroom-admin account {} analyst2", s.command), s.what}});
        const char* op = s.op;
        cmd->callback([&g, op] {
            g.action = [&g, op] {
                json::object args;
                args["name"] = name;
                return sr::cli::call_and_print(g, op, std::move(args), print_account);
            };
        });
    }
}

// compartment, post, grant, revoke, matrix, pending
void add_matrix_commands(CLI::App& app, sr::cli::Global& g) {
    auto done_or_pending = [](const std::string& what) {
        return [what](const json::object& r) {
            if (const auto* st = r.if_contains("status"); st && sr::cli::text(*st) == "pending") {
                std::cout << fmt::format("pending {}: {}\n", sr::cli::show(r.at("pending_id")),
                                         sr::cli::show(r.at("message")));
                return;
            }
            std::cout << what << "\n";
        };
    };

    auto* comp = app.add_subcommand("compartment", "need-to-know compartments (officers)");
    comp->require_subcommand(1);
    static std::string comp_name;
    static std::string comp_description;
    auto* comp_add = comp->add_subcommand("add", "add a compartment");
    comp_add->add_option("NAME", comp_name, "compartment name")->required();
    comp_add->add_option("--description", comp_description, "what it covers")->option_text("TEXT");
    sr::cli::examples(comp_add, {{"strongroom-admin compartment add JMAC --description "
                                  "\"Joint Mission Analysis Centre products\"",
                                  "adds the compartment JMAC"}});
    comp_add->callback([&g] {
        g.action = [&g] {
            json::object args{{"name", comp_name}};
            if (!comp_description.empty()) {
                args["description"] = comp_description;
            }
            return sr::cli::call_and_print(
                g, "compartment.add", std::move(args), [](const json::object&) {
                    std::cout << "compartment " << comp_name << " added\n";
                });
        };
    });
    auto* comp_list = comp->add_subcommand("list", "list compartments");
    sr::cli::examples(comp_list, {{"strongroom-admin compartment list",
                                   "every compartment with its description"}});
    comp_list->callback([&g] {
        g.action = [&g] {
            return sr::cli::call_and_print(g, "compartment.list", {}, [](const json::object& r) {
                std::vector<std::vector<std::string>> rows;
                for (const auto& v : r.at("compartments").as_array()) {
                    rows.push_back(
                        {sr::cli::show(v.at("name")), sr::cli::show(v.at("description"))});
                }
                sr::cli::print_table(std::cout, {"NAME", "DESCRIPTION"}, rows);
            });
        };
    });

    auto* post = app.add_subcommand("post", "posts and their holders (officers)");
    post->require_subcommand(1);
    struct PostArgs {
        std::string name;
        std::string level;
        std::string authority;
        std::string account;
        std::string until;
    };
    static PostArgs p;
    auto* post_add = post->add_subcommand("add", "add a post (highest level: second officer)");
    post_add->add_option("NAME", p.name, "post name")->required();
    post_add->add_option("--level", p.level, "level for uncompartmented material")
        ->required()
        ->option_text("LEVEL");
    post_add->add_option("--authority", p.authority, "head-of-mission or security-focal-point")
        ->option_text("AUTHORITY");
    sr::cli::examples(post_add,
                      {{"strongroom-admin post add jmac-analyst --level confidential",
                        "a post cleared to confidential for uncompartmented material"},
                       {"strongroom-admin post add srsg --level strictly-confidential --authority "
                        "head-of-mission",
                        "the head of mission's post: waits for a second officer"}});
    post_add->callback([&g, done_or_pending] {
        g.action = [&g, done_or_pending] {
            json::object args{{"name", p.name}, {"level", p.level}};
            if (!p.authority.empty()) {
                args["authority"] = p.authority;
            }
            return sr::cli::call_and_print(g, "post.add", std::move(args),
                                           done_or_pending("post " + p.name + " added"));
        };
    });
    auto* assign = post->add_subcommand("assign", "assign an account to a post");
    assign->add_option("POST", p.name, "post")->required();
    assign->add_option("ACCOUNT", p.account, "account")->required();
    assign->add_option("--until", p.until, "last day of the assignment")->option_text("YYYY-MM-DD");
    sr::cli::examples(assign,
                      {{"strongroom-admin post assign jmac-analyst analyst2",
                        "analyst2 holds post jmac-analyst from now on"},
                       {"strongroom-admin post assign jmac-analyst analyst2 --until 2026-12-31",
                        "the same, until the end of 2026"}});
    assign->callback([&g] {
        g.action = [&g] {
            json::object args{{"post", p.name}, {"account", p.account}};
            if (!p.until.empty()) {
                args["until"] = p.until;
            }
            return sr::cli::call_and_print(
                g, "post.assign", std::move(args), [](const json::object& r) {
                    if (const auto* st = r.if_contains("status");
                        st && sr::cli::text(*st) == "pending") {
                        // An account this officer made: a second officer assigns it.
                        std::cout << fmt::format("pending {}: {}\n",
                                                 sr::cli::show(r.at("pending_id")),
                                                 sr::cli::show(r.at("message")));
                        return;
                    }
                    const auto& a = r.at("assignment").as_object();
                    std::cout << fmt::format(
                        "{} holds post {}{}\n", p.account, p.name,
                        a.at("until").is_null() ? "" : " until " + sr::cli::show(a.at("until")));
                });
        };
    });
    auto* unassign = post->add_subcommand("unassign", "end an assignment now");
    unassign->add_option("POST", p.name, "post")->required();
    unassign->add_option("ACCOUNT", p.account, "account")->required();
    sr::cli::examples(unassign, {{"strongroom-admin post unassign jmac-analyst analyst2",
                                  "analyst2 no longer holds post jmac-analyst"}});
    unassign->callback([&g] {
        g.action = [&g] {
            json::object args{{"post", p.name}, {"account", p.account}};
            return sr::cli::call_and_print(
                g, "post.unassign", std::move(args), [](const json::object&) {
                    std::cout << fmt::format("{} no longer holds post {}\n", p.account, p.name);
                });
        };
    });
    auto* post_level = post->add_subcommand(
        "level", "set a post's level for uncompartmented material (highest: second officer)");
    post_level->add_option("POST", p.name, "post")->required();
    post_level->add_option("--level", p.level, "the new level")->required()->option_text("LEVEL");
    sr::cli::examples(post_level,
                      {{"strongroom-admin post level jmac-analyst --level strictly-confidential",
                        "raises the post to the highest level: waits for a second officer"}});
    post_level->callback([&g, done_or_pending] {
        g.action = [&g, done_or_pending] {
            json::object args{{"post", p.name}, {"level", p.level}};
            return sr::cli::call_and_print(
                g, "post.level", std::move(args),
                done_or_pending("post " + p.name + " set to " + p.level));
        };
    });
    auto* post_list = post->add_subcommand("list", "posts with their holders");
    sr::cli::examples(post_list, {{"strongroom-admin post list",
                                   "every post with its level, authority and holders"}});
    post_list->callback([&g] {
        g.action = [&g] {
            return sr::cli::call_and_print(g, "post.list", {}, [](const json::object& r) {
                std::vector<std::vector<std::string>> rows;
                for (const auto& v : r.at("posts").as_array()) {
                    rows.push_back({sr::cli::show(v.at("name")), sr::cli::show(v.at("level")),
                                    sr::cli::show(v.at("authority")),
                                    sr::cli::show(v.at("holders"), ",")});
                }
                sr::cli::print_table(std::cout, {"POST", "LEVEL", "AUTHORITY", "HOLDERS"}, rows);
            });
        };
    });

    struct GrantArgs {
        std::string post;
        std::string compartment;
        std::string level;
    };
    static GrantArgs ga;
    auto* grant = app.add_subcommand(
        "grant", "grant a post a compartment up to a level (highest level: second officer)");
    grant->add_option("POST", ga.post, "post")->required();
    grant->add_option("COMPARTMENT", ga.compartment, "compartment")->required();
    grant->add_option("--level", ga.level, "highest level granted")
        ->required()
        ->option_text("LEVEL");
    sr::cli::examples(grant,
                      {{"strongroom-admin grant jmac-analyst JMAC --level confidential",
                        "post jmac-analyst may read JMAC material up to confidential"},
                       {"strongroom-admin grant jmac-chief JMAC --level strictly-confidential",
                        "at the highest level: waits for a second officer"}});
    grant->callback([&g, done_or_pending] {
        g.action = [&g, done_or_pending] {
            json::object args{
                {"post", ga.post}, {"compartment", ga.compartment}, {"level", ga.level}};
            return sr::cli::call_and_print(
                g, "grant", std::move(args),
                done_or_pending(
                    fmt::format("post {} holds {} up to {}", ga.post, ga.compartment, ga.level)));
        };
    });
    auto* revoke = app.add_subcommand("revoke", "remove a post's grant of a compartment");
    revoke->add_option("POST", ga.post, "post")->required();
    revoke->add_option("COMPARTMENT", ga.compartment, "compartment")->required();
    sr::cli::examples(revoke, {{"strongroom-admin revoke jmac-analyst JMAC",
                                "post jmac-analyst no longer reads JMAC material"}});
    revoke->callback([&g] {
        g.action = [&g] {
            json::object args{{"post", ga.post}, {"compartment", ga.compartment}};
            return sr::cli::call_and_print(g, "revoke", std::move(args), [](const json::object&) {
                std::cout << fmt::format("post {} no longer holds {}\n", ga.post, ga.compartment);
            });
        };
    });

    auto* matrix = app.add_subcommand("matrix", "post x compartment -> level, with holders");
    sr::cli::examples(matrix, {{"strongroom-admin matrix",
                                "each post's level in each compartment, with its holders"}});
    matrix->callback([&g] {
        g.action = [&g] {
            return sr::cli::call_and_print(g, "matrix", {}, [](const json::object& r) {
                std::vector<std::string> headers{"POST", "LEVEL"};
                std::vector<std::string> comps;
                for (const auto& c : r.at("compartments").as_array()) {
                    comps.push_back(sr::cli::show(c));
                    headers.push_back(sr::cli::show(c));
                }
                headers.emplace_back("HOLDERS");
                std::vector<std::vector<std::string>> rows;
                for (const auto& v : r.at("posts").as_array()) {
                    const auto& post_obj = v.as_object();
                    const auto& grants = post_obj.at("grants").as_object();
                    std::vector<std::string> row{sr::cli::show(post_obj.at("name")),
                                                 sr::cli::show(post_obj.at("level"))};
                    for (const auto& c : comps) {
                        const auto* lvl = grants.if_contains(c);
                        row.push_back(lvl ? sr::cli::show(*lvl) : "-");
                    }
                    row.push_back(sr::cli::show(post_obj.at("holders"), ","));
                    rows.push_back(std::move(row));
                }
                sr::cli::print_table(std::cout, headers, rows);
            });
        };
    });

    auto* pending = app.add_subcommand(
        "pending", "changes waiting for a second person (matrix: officers; retention: registrars)");
    pending->require_subcommand(1);
    auto* pending_list = pending->add_subcommand("list", "list pending changes");
    sr::cli::examples(pending_list, {{"strongroom-admin pending list",
                                      "the changes waiting for a second person, by number"}});
    pending_list->callback([&g] {
        g.action = [&g] {
            return sr::cli::call_and_print(g, "pending.list", {}, [](const json::object& r) {
                std::vector<std::vector<std::string>> rows;
                for (const auto& v : r.at("pending").as_array()) {
                    rows.push_back({sr::cli::show(v.at("id")), sr::cli::show(v.at("summary")),
                                    sr::cli::show(v.at("requested_by")),
                                    sr::cli::show(v.at("requested_at"))});
                }
                sr::cli::print_table(std::cout, {"ID", "CHANGE", "BY", "AT"}, rows);
            });
        };
    });
    static std::uint64_t pending_id = 0;
    auto* approve = pending->add_subcommand("approve", "approve another's change");
    approve->add_option("ID", pending_id, "pending change")->required();
    sr::cli::examples(approve, {{"strongroom-admin pending approve 4",
                                 "approves change 4 (one you did not make)"}});
    approve->callback([&g] {
        g.action = [&g] {
            return sr::cli::call_and_print(
                g, "pending.approve", json::object{{"id", pending_id}}, [](const json::object& r) {
                    std::cout << fmt::format("approved {}: {}\n", sr::cli::show(r.at("approved")),
                                             sr::cli::show(r.at("summary")));
                });
        };
    });
}

}  // namespace

// Registry: muster of copies, trace of a leaked text.
void add_registry_commands(CLI::App& app, sr::cli::Global& g) {
    struct ReceiveArgs {
        std::string file;
        std::string from;
        std::string title;
        std::string level;
        std::vector<std::string> compartments;
        std::string type;
        std::string dated;
        std::vector<std::string> to;
        bool safety = false;
        std::optional<std::uint64_t> max_copies;
    };
    static ReceiveArgs rc;
    auto* receive = app.add_subcommand(
        "receive", "register a product received from outside and disseminate it to posts");
    receive->add_option("FILE", rc.file, "the content (- for standard input)")->required();
    receive->add_option("--from", rc.from, "where it comes from (Member State, UN HQ, mission)")
        ->required()
        ->option_text("ORIGIN");
    receive->add_option("--title", rc.title, "title")->required()->option_text("TEXT");
    receive->add_option("--level", rc.level, "unclassified, confidential or strictly-confidential")
        ->required()
        ->option_text("LEVEL");
    receive->add_option("--compartment", rc.compartments, "compartment (repeatable)")
        ->option_text("C")
        ->allow_extra_args(false);
    receive->add_option("--type", rc.type, "record type (default intelligence-product)")
        ->option_text("TYPE");
    receive->add_option("--dated", rc.dated, "document date (default today)")
        ->option_text("YYYY-MM-DD");
    receive->add_option("--to", rc.to, "post it goes to (repeatable)")
        ->required()
        ->option_text("POST")
        ->allow_extra_args(false);
    receive->add_flag("--safety", rc.safety,
                      "bears on the safety of personnel: reaches the security focal point");
    receive
        ->add_option("--max-copies", rc.max_copies,
                     "copies outstanding at once (0: content never leaves)")
        ->option_text("N");
    sr::cli::examples(
        receive,
        {{"strongroom-admin receive hq-assessment.pdf --from \"UN HQ OMA\" --title \"HQ threat "
          "assessment\" --level confidential --to jmac-analyst",
          "registers a product from UN HQ and sends it to post jmac-analyst"},
         {"strongroom-admin receive movements.pdf --from \"Member State\" --title \"Armed "
          "group movements\" --level strictly-confidential --compartment JMAC --dated "
          "2026-03-02 --to jmac-analyst --to jmac-chief",
          "a JMAC product dated 2 March, to two posts"}});
    receive->callback([&g] {
        g.action = [&g] {
            json::object args;
            args["from"] = rc.from;
            args["title"] = rc.title;
            args["level"] = rc.level;
            json::array comps(rc.compartments.begin(), rc.compartments.end());
            args["compartments"] = std::move(comps);
            json::array to(rc.to.begin(), rc.to.end());
            args["to"] = std::move(to);
            if (!rc.type.empty()) {
                args["type"] = rc.type;
            }
            if (!rc.dated.empty()) {
                args["dated"] = rc.dated;
            }
            if (rc.safety) {
                args["safety"] = true;
            }
            if (rc.max_copies) {
                args["max_copies"] = *rc.max_copies;
            }
            if (rc.file != "-") {
                const auto slash = rc.file.rfind('/');
                args["filename"] = slash == std::string::npos ? rc.file : rc.file.substr(slash + 1);
            }
            return sr::cli::upload_and_print(
                g, "receive", std::move(args), rc.file, [](const json::object& r) {
                    std::cout << fmt::format(
                        "record {} ({}){} received from {}, disseminated to {}\n",
                        sr::cli::show(r.at("id")), sr::cli::show(r.at("level")),
                        r.at("registry_number").is_null()
                            ? ""
                            : ", registry number " + sr::cli::show(r.at("registry_number")),
                        sr::cli::show(r.at("origin")),
                        sr::cli::show(r.at("disseminated_to"), ", "));
                    if (const auto* w = r.if_contains("warning")) {
                        std::cerr << "warning: " << sr::cli::show(*w) << "\n";
                    }
                });
        };
    });
    auto* muster = app.add_subcommand("muster", "every outstanding copy, by holder, with its age");
    sr::cli::examples(muster, {{"strongroom-admin muster",
                                "every copy not yet returned or destroyed, by holder"}});
    muster->callback([&g] {
        g.action = [&g] {
            return sr::cli::call_and_print(g, "muster", {}, [](const json::object& r) {
                std::vector<std::vector<std::string>> rows;
                for (const auto& h : r.at("holders").as_array()) {
                    for (const auto& c : h.at("copies").as_array()) {
                        rows.push_back(
                            {sr::cli::show(h.at("holder")), sr::cli::show(c.at("record")),
                             sr::cli::show(c.at("registry_number")), sr::cli::show(c.at("copy")),
                             sr::cli::show(c.at("age_days")) + "d",
                             sr::cli::show(c.at("purpose"))});
                    }
                }
                sr::cli::print_table(
                    std::cout, {"HOLDER", "RECORD", "REGISTRY", "COPY", "AGE", "PURPOSE"}, rows);
                std::cout << fmt::format("{} outstanding\n", sr::cli::show(r.at("outstanding")));
            });
        };
    });

    static std::string trace_file;
    auto* trace = app.add_subcommand(
        "trace", "name the record, copy and holder of a leaked text by its fingerprint");
    trace->add_option("FILE", trace_file, "the text (- for standard input)")->required();
    sr::cli::examples(trace, {{"strongroom-admin trace leaked.txt",
                               "the record, copy and holder that leaked.txt came from"}});
    trace->callback([&g] {
        g.action = [&g]() -> int {
            std::ifstream file;
            std::istream* in = &std::cin;
            if (trace_file != "-") {
                file.open(trace_file, std::ios::binary);
                if (!file) {
                    return sr::cli::fail(
                        g, sr::make_error(sr::ErrorCode::bad_request,
                                          fmt::format("cannot read {}: {}", trace_file,
                                                      std::strerror(errno))));
                }
                in = &file;
            }
            sr::fingerprint::Scanner scanner;
            std::vector<char> buf(1 << 16);
            while (*in) {
                in->read(buf.data(), static_cast<std::streamsize>(buf.size()));
                const auto n = static_cast<std::size_t>(in->gcount());
                scanner.feed({reinterpret_cast<const std::uint8_t*>(buf.data()), n});
            }
            json::array prints;
            for (const auto t : scanner.tokens()) {
                prints.emplace_back(fmt::format("{:x}", t));
                if (prints.size() == 64) {
                    break;
                }
            }
            return sr::cli::call_and_print(
                g, "trace", json::object{{"fingerprints", std::move(prints)}},
                [](const json::object& r) {
                    for (const auto& c : r.at("copies").as_array()) {
                        std::cout << fmt::format(
                            "record {} ({}), copy {}, issued to {} on {} for \"{}\" ({})\n",
                            sr::cli::show(c.at("record")), sr::cli::show(c.at("registry_number")),
                            sr::cli::show(c.at("copy")), sr::cli::show(c.at("holder")),
                            sr::cli::show(c.at("issued")), sr::cli::show(c.at("purpose")),
                            sr::cli::show(c.at("state")));
                    }
                });
        };
    });
}

// Reports for registrars and auditors.
void add_report_commands(CLI::App& app, sr::cli::Global& g) {
    auto* report = app.add_subcommand("report", "reports for registrars and auditors");
    report->require_subcommand(1);
    struct ReportArgs {
        std::string format = "json";
        std::string out;
        std::optional<std::uint64_t> record;
        std::string since;
        std::string until;
    };
    static ReportArgs ra;
    static std::string account;
    struct Kind {
        const char* name;
        const char* help;
        bool record;   // --record
        bool account;  // --account
        // Two examples: a command and what it does, each.
        const char* example[2][2];
    };
    static constexpr Kind kinds[] = {
        {"registry",
         "receipt, dissemination, copies and releases of each record, in order",
         true,
         false,
         {{"strongroom-admin report registry --format html -o registry.html",
           "the whole registry as a printable page"},
          {"strongroom-admin report registry --record 12",
           "the history of record 12 alone, as JSON"}}},
        {"matrix",
         "posts, grants and holders now, and the changes in the period with approvers",
         false,
         false,
         {{"strongroom-admin report matrix --since 2026-01-01 --until 2026-03-31 --format csv -o "
           "matrix-2026-q1.csv",
           "the matrix, and its changes in the first quarter, as CSV"},
          {"strongroom-admin report matrix --format html -o matrix.html",
           "the matrix and all its changes as a printable page"}}},
        {"copies",
         "the numbered copies issued in the period, by holder",
         false,
         false,
         {{"strongroom-admin report copies --since 2026-03-01 --until 2026-03-31 --format csv "
           "-o copies-2026-03.csv",
           "the copies issued in March 2026, as CSV"},
          {"strongroom-admin report copies --format html -o copies.html",
           "every copy issued, by holder, as a printable page"}}},
        {"retention",
         "per record type: held, due, on hold, overdue now; destroyed and transferred in the "
         "period, with their certificates",
         false,
         false,
         {{"strongroom-admin report retention --since 2026-01-01 --format html -o "
           "retention-2026.html",
           "retention now, and what went since 1 January, as a page"},
          {"strongroom-admin report retention --format csv -o retention.csv",
           "the same for the whole life of the strongroom, as CSV"}}},
        {"access",
         "who read which record, and under which rule, in the period (auditors)",
         false,
         true,
         {{"strongroom-admin report access --account analyst2 --since 2026-03-01",
           "what analyst2 read since 1 March, and under which rule"},
          {"strongroom-admin report access --since 2026-01-01 --until 2026-06-30 --format html "
           "-o access-2026-h1.html",
           "every reader in the first half of 2026, as a printable page"}}},
    };
    for (const auto& kind : kinds) {
        auto* sub = report->add_subcommand(kind.name, kind.help);
        sub->add_option("--format", ra.format, "json, csv or html (default json)")
            ->option_text("FORMAT");
        sub->add_option("-o,--output", ra.out, "write to a new file instead of standard output")
            ->option_text("FILE");
        if (kind.record) {
            sub->add_option("--record", ra.record, "one record only")->option_text("ID");
        }
        if (kind.account) {
            sub->add_option("--account", account, "one account only")->option_text("NAME");
        }
        sub->add_option("--since", ra.since, "from this day")->option_text("YYYY-MM-DD");
        sub->add_option("--until", ra.until, "to this day (inclusive)")->option_text("YYYY-MM-DD");
        sr::cli::examples(sub, {{kind.example[0][0], kind.example[0][1]},
                                {kind.example[1][0], kind.example[1][1]}});
        sub->callback([&g, name = std::string(kind.name)] {
            g.action = [&g, name] {
                json::object args;
                if (ra.record) {
                    args["record"] = *ra.record;
                }
                if (!account.empty()) {
                    args["account"] = account;
                }
                if (!ra.since.empty()) {
                    args["since"] = ra.since;
                }
                if (!ra.until.empty()) {
                    args["until"] = ra.until;
                }
                return sr::cli::report_and_write(g, "report." + name, std::move(args), ra.format,
                                                 ra.out);
            };
        });
    }
}

// Auditors: the audit trail.
void add_audit_commands(CLI::App& app, sr::cli::Global& g) {
    auto* audit = app.add_subcommand("audit", "the audit trail (auditors)");
    audit->require_subcommand(1);

    static std::string verify_checkpoint;
    auto* verify = audit->add_subcommand(
        "verify", "check the whole chain against its checkpoints (and a signed one given)");
    verify
        ->add_option("--checkpoint", verify_checkpoint,
                     "a signed checkpoint taken earlier with 'audit checkpoint'")
        ->option_text("FILE");
    sr::cli::examples(
        verify,
        {{"strongroom-admin audit verify", "checks every entry of the chain and its checkpoints"},
         {"strongroom-admin audit verify --checkpoint checkpoint-2026-03-01.txt",
          "also against a signed checkpoint kept since 1 March"}});
    verify->callback([&g] {
        g.action = [&g]() -> int {
            json::object args;
            if (!verify_checkpoint.empty()) {
                std::ifstream in(verify_checkpoint, std::ios::binary);
                if (!in) {
                    return sr::cli::fail(
                        g, sr::make_error(sr::ErrorCode::bad_request,
                                          fmt::format("cannot read {}: {}", verify_checkpoint,
                                                      std::strerror(errno))));
                }
                std::string text((std::istreambuf_iterator<char>(in)),
                                 std::istreambuf_iterator<char>());
                if (text.size() > 1024) {
                    return sr::cli::fail(
                        g, sr::make_error(sr::ErrorCode::bad_request,
                                          fmt::format("{} is not a strongroom audit checkpoint "
                                                      "(too long)",
                                                      verify_checkpoint)));
                }
                args["checkpoint"] = text;
            }
            return sr::cli::call_and_print(
                g, "audit.verify", std::move(args),
                [](const json::object& r) {
                    const auto& cps = r.at("checkpoints").as_object();
                    if (r.at("intact").as_bool()) {
                        std::cout << fmt::format(
                            "intact: {} entries, {} checkpoints matched (latest at entry {})\n",
                            sr::cli::show(r.at("entries")), sr::cli::show(cps.at("checked")),
                            sr::cli::show(cps.at("latest")));
                        return;
                    }
                    std::cout << fmt::format("NOT intact: first bad entry {}\n",
                                             r.at("first_bad").is_null()
                                                 ? std::string("(none named)")
                                                 : sr::cli::show(r.at("first_bad")));
                    for (const auto& p : r.at("problems").as_array()) {
                        std::cout << "  " << sr::cli::show(p) << "\n";
                    }
                },
                // A chain that is not intact is a failed verification.
                [](const json::object& r) { return r.at("intact").as_bool() ? 0 : 5; });
        };
    });

    struct LogArgs {
        std::string since;
        std::string until;
        std::string account;
        std::optional<std::uint64_t> record;
        std::string action;
        std::string decision;
        std::optional<std::uint64_t> after;
        std::optional<std::uint64_t> limit;
    };
    static LogArgs la;
    auto* log = audit->add_subcommand("log", "audit entries, oldest first (--after to page)");
    log->add_option("--since", la.since, "from this day")->option_text("YYYY-MM-DD");
    log->add_option("--until", la.until, "to this day (inclusive)")->option_text("YYYY-MM-DD");
    log->add_option("--account", la.account, "by this account")->option_text("NAME");
    log->add_option("--record", la.record, "about this record")->option_text("ID");
    log->add_option("--action", la.action, "this operation, e.g. get")->option_text("OP");
    log->add_option("--decision", la.decision, "allow, deny or error")->option_text("D");
    log->add_option("--after", la.after, "entries after this sequence number")->option_text("SEQ");
    log->add_option("--limit", la.limit, "at most this many (default 100, at most 1000)")
        ->option_text("N");
    sr::cli::examples(log, {{"strongroom-admin audit log --since 2026-03-01 --account analyst2",
                             "what analyst2 did since 1 March"},
                            {"strongroom-admin audit log --record 12 --action get",
                             "every copy of record 12 asked for, allowed or not"}});
    log->callback([&g] {
        g.action = [&g] {
            json::object args;
            auto put = [&args](const char* key, const std::string& v) {
                if (!v.empty()) {
                    args[key] = v;
                }
            };
            put("since", la.since);
            put("until", la.until);
            put("account", la.account);
            put("action", la.action);
            put("decision", la.decision);
            if (la.record) {
                args["record"] = *la.record;
            }
            if (la.after) {
                args["after"] = *la.after;
            }
            if (la.limit) {
                args["limit"] = *la.limit;
            }
            return sr::cli::call_and_print(
                g, "audit.log", std::move(args), [](const json::object& r) {
                    std::vector<std::vector<std::string>> rows;
                    for (const auto& e : r.at("entries").as_array()) {
                        rows.push_back(
                            {sr::cli::show(e.at("seq")), sr::cli::show(e.at("at")),
                             sr::cli::show(e.at("account")), sr::cli::show(e.at("action")),
                             sr::cli::show(e.at("object")), sr::cli::show(e.at("decision")),
                             sr::cli::show(e.at("reason"))});
                    }
                    sr::cli::print_table(
                        std::cout,
                        {"SEQ", "AT", "ACCOUNT", "ACTION", "OBJECT", "DECISION", "REASON"}, rows);
                    if (!r.at("next").is_null()) {
                        std::cout << fmt::format("more: --after {}\n", sr::cli::show(r.at("next")));
                    }
                });
        };
    });

    static std::string checkpoint_out;
    auto* checkpoint = audit->add_subcommand(
        "checkpoint", "a signed checkpoint of the chain's head, to keep for later comparison");
    checkpoint->add_option("-o,--output", checkpoint_out, "also write it to a new file")
        ->option_text("FILE");
    sr::cli::examples(
        checkpoint,
        {{"strongroom-admin audit checkpoint", "prints a signed checkpoint of the chain's head"},
         {"strongroom-admin audit checkpoint -o checkpoint-2026-03-01.txt",
          "also keeps it in a new file, for 'audit verify --checkpoint'"}});
    checkpoint->callback([&g] {
        g.action = [&g] {
            return sr::cli::call_write_and_print(
                g, "audit.checkpoint", {}, "checkpoint", checkpoint_out, 0644,
                [](const json::object& r) {
                    if (checkpoint_out == "-") {
                        std::cout << "checkpoint written to standard output\n";
                        return;
                    }
                    std::cout << sr::cli::shown_lines(sr::cli::text(r.at("checkpoint")));
                    if (const auto* w = r.if_contains("written")) {
                        std::cerr << fmt::format("written to {}\n", sr::cli::show(*w));
                    }
                });
        };
    });

    static std::string key_out;
    auto* key = audit->add_subcommand("public-key",
                                      "the public key that signs checkpoints and certificates");
    static std::optional<std::uint64_t> retired_key;
    key->add_option("-o,--output", key_out, "write the PEM to a new file")->option_text("FILE");
    key->add_option("--retired", retired_key,
                    "the key a rekey retired, by number (audit public-key --json lists them): "
                    "it verifies what was signed before that rekey")
        ->option_text("N");
    sr::cli::examples(key, {{"strongroom-admin audit public-key -o strongroom.pem",
                             "writes the current signing key to strongroom.pem"},
                            {"strongroom-admin audit public-key --retired 1 -o strongroom-1.pem",
                             "retired key 1: it verifies what was signed before its rekey"}});
    key->callback([&g] {
        g.action = [&g] {
            json::object args;
            if (retired_key) {
                args["key"] = *retired_key;
            }
            return sr::cli::call_write_and_print(
                g, "audit.public-key", std::move(args), "pem", key_out, 0644,
                [](const json::object& r) {
                    if (key_out == "-") {
                        std::cout << "public key written to standard output\n";
                        return;
                    }
                    std::cout << sr::cli::shown_lines(sr::cli::text(r.at("pem")));
                });
        };
    });
}

int main(int argc, char** argv) {
    sr::cli::Global g;
    g.program = "strongroom-admin";
    CLI::App app{"strongroom-admin: administer, register and audit a Strongroom appliance",
                 "strongroom-admin"};
    sr::cli::add_global_options(app, g);
    app.require_subcommand(1);

    static std::vector<std::string> officers;
    static std::vector<std::uint32_t> officer_uids;
    auto* init = app.add_subcommand(
        "init",
        "create the mission's officers (root only, while no account exists): two officers, so "
        "that every role given later is approved by a second officer");
    init->add_option("--officer", officers,
                     "name of an officer; give two (--officer A --uid N --officer B --uid M)")
        ->required()
        ->expected(1)
        ->take_all()
        ->option_text("NAME");
    init->add_option("--uid", officer_uids, "that officer's Unix uid, in the same order")
        ->required()
        ->expected(1)
        ->take_all()
        ->option_text("UID");
    sr::cli::examples(
        init, {{"strongroom-admin init --officer officer1 --uid 1001 --officer officer2 --uid 1002",
                "as root: creates the first two officers"},
               {"strongroom-admin init --officer officer1 --uid 1001",
                "as root: one officer; root then approves the second officer it adds"}});
    init->callback([&g] {
        g.action = [&g] {
            if (officers.size() != officer_uids.size() || officers.size() > 2) {
                return sr::cli::fail(
                    g, sr::make_error(sr::ErrorCode::bad_request,
                                      "give one or two officers, each with --officer NAME and "
                                      "--uid UID"));
            }
            json::object args;
            args["name"] = officers[0];
            args["uid"] = officer_uids[0];
            if (officers.size() == 2) {
                args["second_name"] = officers[1];
                args["second_uid"] = officer_uids[1];
            }
            return sr::cli::call_and_print(g, "init", std::move(args), [](const json::object& r) {
                std::vector<json::object> made;
                if (const auto* list = r.if_contains("officers")) {
                    for (const auto& v : list->as_array()) {
                        made.push_back(v.as_object());
                    }
                } else {
                    made.push_back(r.at("account").as_object());
                }
                for (const auto& a : made) {
                    std::cout << fmt::format("initialised: officer {} (uid {})\n",
                                             sr::cli::show(a.at("name")),
                                             sr::cli::show(a.at("uid")));
                }
            });
        };
    });

    add_account_commands(app, g);
    add_matrix_commands(app, g);
    add_registry_commands(app, g);
    add_report_commands(app, g);
    add_audit_commands(app, g);
    sr::admin::add_retention_commands(app, g);
    sr::admin::add_disposal_commands(app, g);
    sr::admin::add_transfer_commands(app, g);

    static std::string backup_out;
    auto* backup = app.add_subcommand(
        "backup",
        "write a backup of the database, without keys (officers; the daemon keeps the "
        "key store's backup apart, for [retention] key_backup_days)");
    backup->add_option("-o,--output", backup_out, "the new backup file")
        ->option_text("FILE")
        ->required();
    sr::cli::examples(backup, {{"strongroom-admin backup -o strongroom-2026-03-01.db",
                                "writes a backup of the database to a new file"}});
    backup->callback([&g] {
        g.action = [&g] {
            return sr::cli::download_and_print(
                g, "backup", {}, backup_out, [](const json::object& r) {
                    std::cout << fmt::format(
                        "backup written to {}; key-store backup {} kept until {}\n",
                        sr::cli::output_name(backup_out), sr::cli::show(r.at("key_backup")),
                        sr::cli::show(r.at("key_backup_expires")));
                });
        };
    });

    auto* check = app.add_subcommand(
        "check", "check every page of the database (officers, auditors); exit 5 unless intact");
    sr::cli::examples(check, {{"strongroom-admin check", "checks every page; exit 5 unless intact"},
                              {"strongroom-admin check --json",
                               "the outcome as one JSON document, with \"intact\" true or false"}});
    check->callback([&g] {
        g.action = [&g] {
            return sr::cli::call_and_print(
                g, "check", {},
                [](const json::object& r) {
                    if (r.at("intact").as_bool()) {
                        std::cout << fmt::format("database intact: {} pages checked in {} ms\n",
                                                 sr::cli::show(r.at("pages")),
                                                 sr::cli::show(r.at("milliseconds")));
                        return;
                    }
                    std::cout << "database NOT intact:\n";
                    for (const auto& p : r.at("problems").as_array()) {
                        std::cout << "  " << sr::cli::show(p) << "\n";
                    }
                },
                [](const json::object& r) { return r.at("intact").as_bool() ? 0 : 5; });
        };
    });

    auto* status = app.add_subcommand("status", "show the daemon's state (officers, auditors)");
    sr::cli::examples(status, {{"strongroom-admin status",
                                "version, uptime, accounts, database size and commits"}});
    status->callback([&g] {
        g.action = [&g] {
            return sr::cli::call_and_print(g, "status", {}, [](const json::object& r) {
                const auto& w = r.at("writer").as_object();
                sr::cli::print_fields(
                    std::cout,
                    {
                        {"version", sr::cli::show(r.at("version"))},
                        {"schema", sr::cli::show(r.at("schema_version"))},
                        {"started", sr::cli::show(r.at("started"))},
                        {"uptime", fmt::format("{} s", sr::cli::show(r.at("uptime_seconds")))},
                        {"accounts", sr::cli::show(r.at("accounts"))},
                        {"audit entries", sr::cli::show(r.at("audit_entries"))},
                        {"database",
                         fmt::format("{} bytes", sr::cli::show(r.at("database_bytes")))},
                        {"commits",
                         fmt::format("{} ({} items, largest batch {})",
                                     sr::cli::show(w.at("commits")), sr::cli::show(w.at("items")),
                                     sr::cli::show(w.at("largest_batch")))},
                        {"audited after answer",
                         fmt::format("{} ({} durable later than 10 ms; longest {} us)",
                                     sr::cli::show(w.at("answered_early")),
                                     sr::cli::show(w.at("durable_after_10ms")),
                                     sr::cli::show(w.at("longest_wait_us")))},
                    });
                if (const auto* c = r.if_contains("duty_conflicts"); c && !c->as_array().empty()) {
                    std::cout << "separation of duties: officers or auditors holding posts "
                                 "(they grant nothing; end them):\n";
                    for (const auto& v : c->as_array()) {
                        std::cout << fmt::format(
                            "  {} holds {}: {}\n", sr::cli::show(v.at("account")),
                            sr::cli::show(v.at("post")), sr::cli::show(v.at("fix")));
                    }
                }
            });
        };
    });

    return sr::cli::run(app, g, argc, argv);
}
