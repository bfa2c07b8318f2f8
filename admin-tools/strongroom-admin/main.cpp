// strongroom-admin: the tool of technical officers, registrars and auditors
// (CLI.md).
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include <boost/json/array.hpp>
#include <fmt/format.h>

#include "admin-tools/cli/cli.hpp"

namespace sr = strongroom;
namespace json = boost::json;

namespace {

std::vector<std::pair<std::string, std::string>> account_fields(const json::object& a) {
    const auto& roles = a.at("roles").as_array();
    return {
        {"account", sr::cli::text(a.at("name"))},
        {"uid", sr::cli::text(a.at("uid"))},
        {"roles", roles.empty() ? "(none)" : sr::cli::text(roles)},
        {"status", sr::cli::text(a.at("status"))},
        {"created", sr::cli::text(a.at("created"))},
        {"changed", sr::cli::text(a.at("changed"))},
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
    add->callback([&g] {
        g.action = [&g] {
            json::object args;
            args["name"] = add_args.name;
            args["uid"] = add_args.uid;
            args["roles"] = to_array(add_args.roles);
            return sr::cli::call_and_print(g, "account.add", std::move(args), print_account);
        };
    });

    auto* list = account->add_subcommand("list", "list accounts (officers, auditors)");
    list->callback([&g] {
        g.action = [&g] {
            return sr::cli::call_and_print(g, "account.list", {}, [](const json::object& r) {
                std::vector<std::vector<std::string>> rows;
                for (const auto& v : r.at("accounts").as_array()) {
                    const auto& a = v.as_object();
                    rows.push_back({sr::cli::text(a.at("name")), sr::cli::text(a.at("uid")),
                                    sr::cli::text(a.at("roles"), ","),
                                    sr::cli::text(a.at("status"))});
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
    };
    static constexpr Simple simple[] = {
        {"show", "account.show", "show one account"},
        {"suspend", "account.suspend", "suspend an account: every request from it is refused"},
        {"reactivate", "account.reactivate", "reactivate a suspended account"},
    };
    for (const auto& s : simple) {
        auto* cmd = account->add_subcommand(s.command, s.help);
        cmd->add_option("NAME", name, "account name")->required();
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

}  // namespace

int main(int argc, char** argv) {
    sr::cli::Global g;
    g.program = "strongroom-admin";
    CLI::App app{"strongroom-admin: administer, register and audit a Strongroom appliance",
                 "strongroom-admin"};
    sr::cli::add_global_options(app, g);
    app.require_subcommand(1);

    static std::string officer;
    static std::uint32_t officer_uid = 0;
    auto* init = app.add_subcommand(
        "init", "create the first officer account (root only, while no account exists)");
    init->add_option("--officer", officer, "name of the first officer")
        ->required()
        ->option_text("NAME");
    init->add_option("--uid", officer_uid, "the officer's Unix uid")
        ->required()
        ->option_text("UID");
    init->callback([&g] {
        g.action = [&g] {
            json::object args;
            args["name"] = officer;
            args["uid"] = officer_uid;
            return sr::cli::call_and_print(g, "init", std::move(args), [](const json::object& r) {
                const auto& a = r.at("account").as_object();
                std::cout << fmt::format("initialised: officer {} (uid {})\n",
                                         sr::cli::text(a.at("name")), sr::cli::text(a.at("uid")));
            });
        };
    });

    add_account_commands(app, g);

    auto* status = app.add_subcommand("status", "show the daemon's state (officers, auditors)");
    status->callback([&g] {
        g.action = [&g] {
            return sr::cli::call_and_print(g, "status", {}, [](const json::object& r) {
                const auto& w = r.at("writer").as_object();
                sr::cli::print_fields(
                    std::cout,
                    {
                        {"version", sr::cli::text(r.at("version"))},
                        {"schema", sr::cli::text(r.at("schema_version"))},
                        {"started", sr::cli::text(r.at("started"))},
                        {"uptime", fmt::format("{} s", sr::cli::text(r.at("uptime_seconds")))},
                        {"accounts", sr::cli::text(r.at("accounts"))},
                        {"audit entries", sr::cli::text(r.at("audit_entries"))},
                        {"database",
                         fmt::format("{} bytes", sr::cli::text(r.at("database_bytes")))},
                        {"commits",
                         fmt::format("{} ({} items, largest batch {})",
                                     sr::cli::text(w.at("commits")), sr::cli::text(w.at("items")),
                                     sr::cli::text(w.at("largest_batch")))},
                    });
            });
        };
    });

    return sr::cli::run(app, g, argc, argv);
}
