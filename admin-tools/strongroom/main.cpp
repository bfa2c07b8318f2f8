// strongroom: the tool for everyone with an account (CLI.md).
#include <iostream>

#include "admin-tools/cli/cli.hpp"

namespace sr = strongroom;
namespace json = boost::json;

namespace {

void print_whoami(const json::object& r) {
    sr::cli::print_fields(
        std::cout,
        {
            {"account", sr::cli::text(r.at("name"))},
            {"uid", sr::cli::text(r.at("uid"))},
            {"roles", r.at("roles").as_array().empty() ? "(none)" : sr::cli::text(r.at("roles"))},
            {"status", sr::cli::text(r.at("status"))},
        });
}

}  // namespace

int main(int argc, char** argv) {
    sr::cli::Global g;
    g.program = "strongroom";
    CLI::App app{"strongroom: read, ingest and disseminate material held by Strongroom",
                 "strongroom"};
    sr::cli::add_global_options(app, g);
    app.require_subcommand(1);

    auto* whoami = app.add_subcommand("whoami", "show the account you are using, by your Unix uid");
    whoami->callback(
        [&] { g.action = [&] { return sr::cli::call_and_print(g, "whoami", {}, print_whoami); }; });

    return sr::cli::run(app, g, argc, argv);
}
