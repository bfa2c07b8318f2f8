// The command groups of strongroom-admin that live outside main.cpp.
#pragma once

#include <CLI/CLI.hpp>

#include "admin-tools/cli/cli.hpp"

namespace strongroom::admin {

// retention list|set|due|review, hold place|release|list (registrars).
void add_retention_commands(CLI::App& app, cli::Global& g);

// disposal propose|approve|execute|list|show, certificate verify.
void add_disposal_commands(CLI::App& app, cli::Global& g);

// transfer prepare|package|confirm|list.
void add_transfer_commands(CLI::App& app, cli::Global& g);

}  // namespace strongroom::admin
