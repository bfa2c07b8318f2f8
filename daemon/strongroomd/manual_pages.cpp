#include "daemon/strongroomd/manual_pages.hpp"

#include <fmt/format.h>

#include "daemon/common/version.hpp"
#include "daemon/config/config.hpp"
#include "daemon/manual/manual.hpp"

namespace strongroom::daemon_manual {
namespace {

manual::Page base(std::string name, std::string section, std::string summary) {
    manual::Page page;
    page.name = std::move(name);
    page.section = std::move(section);
    page.summary = std::move(summary);
    page.date = manual::build_date();
    page.source = fmt::format("Strongroom {}", kVersion);
    return page;
}

}  // namespace

std::string daemon_page(const CLI::App& app) {
    auto page = base("strongroomd", "8",
                     "the Strongroom daemon: an encrypted registry of classified material");
    page.synopsis =
        "  strongroomd [--config FILE] [--state-dir DIR] [--socket PATH] [--key-file FILE]\n"
        "  strongroomd --dev DIR\n"
        "  strongroomd --check-config | --print-config | --print-example-config [--config FILE]\n"
        "  strongroomd --restore BACKUP | --rekey NEW_KEY_FILE [--config FILE]\n"
        "  strongroomd --provision-key [--credstore DIR] [--seal auto|tpm2|host|file] "
        "[--escrow FILE]\n"
        "  strongroomd --recover-key ESCROW [--credstore DIR] [--seal auto|tpm2|host|file]\n"
        "  strongroomd --version";
    page.described.push_back(manual::Section{
        "DESCRIPTION",
        "strongroomd keeps a mission's classified material (intelligence products, received "
        "reports, plans) encrypted in an SQLCipher database, decides every access by "
        "classification, compartment and need to know, numbers and controls copies and "
        "releases, runs retention through to archive transfer and certified destruction, and "
        "records every request in a tamper-evident audit trail.\n\n"
        "It opens no network socket. People reach it through its local Unix socket with the "
        "tools strongroom(1) and strongroom-admin(8); it knows each caller by the Unix uid "
        "the kernel reports for the connection, and the socket is open to the group "
        "strongroom-users only.\n\n"
        "Under systemd, strongroomd.socket owns the socket and starts strongroomd.service on "
        "the first connection; the service runs as the system user strongroom, with no "
        "capabilities, in a sandbox of its own (no_new_privs, a seccomp allow-list, Landlock "
        "rules) inside the unit's. The configuration is read from "
        "/etc/strongroom/strongroomd.conf (see strongroomd.conf(5)); [mission] code must be "
        "set there before the daemon serves.",
        {}});
    page.described.push_back(manual::Section{
        "THE MASTER KEY",
        "Everything stored is encrypted under keys derived from one 256-bit master key. "
        "strongroomd reads it from the systemd credential strongroom.key "
        "($CREDENTIALS_DIRECTORY/strongroom.key, which the unit loads with "
        "LoadCredentialEncrypted= from /etc/credstore.encrypted/strongroom.key), else from "
        "the key file of the configuration ([key] file, a root-owned file of mode 0400). A key "
        "file holds 32 raw bytes or 64 hexadecimal digits.\n\n"
        "strongroomd --provision-key makes the key once, before the first start: it seals a "
        "new key with systemd-creds (to the TPM2 where there is one, else to the host key) "
        "and, with --escrow FILE, writes a recovery copy encrypted under a passphrase, in the "
        "format of openssl enc -aes-256-cbc -pbkdf2 -iter 600000 -md sha256 -a, so that stock "
        "openssl can recover it. strongroomd --recover-key FILE seals the key of such a copy "
        "again (a new machine, a lost TPM). Both refuse to replace an existing key. Without "
        "the key the database cannot be read: keep the escrow copy and its passphrase in the "
        "safe, apart.",
        {}});
    page.closing.push_back(manual::Section{
        "SIGNALS",
        "",
        {{"SIGTERM, SIGINT",
          "stop accepting connections, answer the requests in progress, commit everything "
          "queued, then exit 0: anything acknowledged before is on disk"}}});
    page.closing.push_back(manual::Section{
        "EXIT STATUS",
        "",
        {{"0", "stopped cleanly, or the requested check or print succeeded"},
         {"1",
          "could not start or run; the journal (or standard error) holds one message "
          "saying why and what to do"},
         {"2", "the command line is wrong"}}});
    page.closing.push_back(manual::Section{
        "ENVIRONMENT",
        "",
        {{"CREDENTIALS_DIRECTORY", "where systemd put the credential strongroom.key"},
         {"LISTEN_FDS, LISTEN_PID", "the listening socket passed by the socket unit"},
         {"NOTIFY_SOCKET, WATCHDOG_USEC", "readiness and watchdog notification to systemd"},
         {"STRONGROOM_DEV_CLOCK",
          "with --dev only: a file holding an offset in seconds that moves the daemon's clock "
          "(for tests of dates)"},
         {"STRONGROOM_FAULT_INJECTION",
          "with --dev only: 1 makes the daemon's file and database I/O fail on demand (for "
          "tests)"}}});
    page.closing.push_back(manual::Section{
        "FILES",
        "",
        {{"/etc/strongroom/strongroomd.conf", "the configuration, see strongroomd.conf(5)"},
         {"/etc/credstore.encrypted/strongroom.key", "the master key, as a systemd credential"},
         {"/etc/strongroom/strongroom.key", "the master key as a plain key file (fallback)"},
         {"/var/lib/strongroom",
          "the state directory: the encrypted database, its backups "
          "and the audit checkpoints"},
         {"/run/strongroom/strongroom.sock", "the socket the tools connect to"}}});
    page.closing.push_back(manual::Section{
        "SEE ALSO",
        "strongroom(1), strongroom-admin(8), strongroomd.conf(5), systemd-creds(1), "
        "systemd.exec(5); /usr/share/doc/strongroom/operations.md",
        {}});
    return manual::man_page(app, page);
}

std::string config_page() {
    auto page = base("strongroomd.conf", "5", "configuration of the Strongroom daemon");
    page.synopsis = "  /etc/strongroom/strongroomd.conf";
    page.described.push_back(manual::Section{
        "DESCRIPTION",
        "strongroomd(8) reads its configuration at start-up from "
        "/etc/strongroom/strongroomd.conf, or the file given with --config. The file is TOML: "
        "settings are grouped in tables ([daemon], [socket], ...), one key = value per line; "
        "text is quoted, numbers are not. Every setting has a built-in default; the file "
        "installed by the package lists each one commented out, with its default and what "
        "it does.\n\n"
        "[mission] code must be set: it begins every registry number, and strongroomd does "
        "not start without it (except with --dev). For example:\n\n"
        "  [mission]\n"
        "  code = \"UNMISS\"\n\n"
        "Check a file with strongroomd --check-config, which reports every problem at once "
        "with its line; strongroomd --print-config shows the values in effect and where each "
        "comes from. An unknown table or key, a value of the wrong type or out of range is a "
        "problem: the daemon does not start with one.",
        {}});
    std::string table;
    std::vector<manual::Section> tables;
    for (const auto& s : config::documentation()) {
        if (s.table != table) {
            table = s.table;
            tables.push_back(manual::Section{fmt::format("[{}]", table), "", {}});
        }
        tables.back().entries.emplace_back(fmt::format("{} = {}", s.key, s.default_value),
                                           s.explanation);
    }
    // Each table is a section of its own, after the description.
    page.described.insert(page.described.end(), tables.begin(), tables.end());
    page.closing.push_back(manual::Section{
        "SEE ALSO",
        "strongroomd(8), strongroom-admin(8); the TOML format (toml.io) for the file's syntax",
        {}});
    const CLI::App no_commands{"strongroomd.conf"};
    return manual::man_page(no_commands, page);
}

}  // namespace strongroom::daemon_manual
