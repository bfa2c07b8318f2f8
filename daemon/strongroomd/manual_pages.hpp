// The daemon's manual pages, strongroomd(8) and strongroomd.conf(5), written
// from its command line and from the configuration's own table of settings,
// so that neither can leave out an option or a setting. The build installs
// what `strongroomd --generate-manual` and `--generate-config-manual` print.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace strongroom::daemon_manual {

// strongroomd(8), from app (strongroomd's command line).
std::string daemon_page(const CLI::App& app);

// strongroomd.conf(5): every setting with its default and what it does.
std::string config_page();

}  // namespace strongroom::daemon_manual
