// The daemon's configuration: the TOML file strongroomd reads at start-up
// (/etc/strongroom/strongroomd.conf, or --config FILE).
//
// Every setting has a built-in default, so the daemon runs with no file at all.
// Reading never stops at the first mistake: it collects every problem (unknown
// table or key, wrong type, value out of range, syntax error) with its dotted
// key and line, so that --check-config can show an operator the whole list in
// one go. Nothing here logs and no exception escapes parse() or load(); the
// caller (main) decides whether the problems are fatal and reports them once.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strongroom::config {

inline constexpr const char* kDefaultPath = "/etc/strongroom/strongroomd.conf";

// The [limits] table: a bound on every resource a client controls (STYLE.md 11).
struct Limits {
    std::size_t max_frame_bytes = 1024 * 1024;  // max_frame_bytes, 4096..16777216
    unsigned max_json_depth = 16;               // max_json_depth, 2..64
    unsigned read_timeout_ms = 10000;       // read_timeout_ms, 100..600000: a frame, once started,
                                            // must arrive whole within this
    unsigned idle_timeout_ms = 300000;      // idle_timeout_ms, 1000..86400000
    unsigned max_connections = 256;         // max_connections, 1..65536
    unsigned max_connections_per_uid = 16;  // max_connections_per_uid, 1..65536 and
                                            // at most max_connections
    // Callers without an active account (and not root) count against a budget
    // of their own, so they cannot take a connection from anyone with one.
    unsigned max_unknown_connections = 16;         // max_unknown_connections, 1..65536
    unsigned max_unknown_connections_per_uid = 2;  // max_unknown_connections_per_uid,
                                                   // 1..65536, at most max_unknown_connections
    unsigned unknown_idle_timeout_ms = 2000;  // unknown_idle_timeout_ms, 100..86400000, at most
                                              // idle_timeout_ms
    // Requests of one uid, all its connections together: a token bucket.
    unsigned requests_per_second = 1000;  // requests_per_second, 1..1000000
    unsigned request_burst = 2000;        // request_burst, 1..1000000

    friend bool operator==(const Limits&, const Limits&) = default;
};

struct Config {
    // [daemon]
    std::filesystem::path state_dir = "/var/lib/strongroom";  // state_dir: absolute path
    std::string user = "strongroom";  // user: service account, [a-z_][a-z0-9_-]{0,31}
    unsigned threads = 8;             // threads: worker threads serving connections, 1..64
    // [socket]
    std::filesystem::path socket_path =
        "/run/strongroom/strongroom.sock";  // path: absolute, at most 107 bytes (sun_path)
    unsigned socket_mode = 0660;  // mode: quoted octal string such as "0660", bits within 0666
    // [key]
    std::filesystem::path key_file = "/etc/strongroom/strongroom.key";  // file: absolute path
    // [store]
    unsigned store_readers = 4;     // readers: 1..64
    unsigned store_cache_mib = 32;  // cache_mib: the writer's page cache (readers 1/16), 1..65536
    // [mission]
    std::string mission_code = "MISSION";  // code: 2..16 of [A-Z0-9-], starting with a letter
    // [audit]
    unsigned audit_checkpoint_every = 10000;  // checkpoint_every: entries between checkpoints
    // [retention]
    unsigned key_backup_days = 30;  // key_backup_days: life of a key-store backup, 1..3650
    // key_backup_check_seconds: how often expired key-store backups are
    // looked for while serving, 1..86400
    unsigned key_backup_check_seconds = 300;
    // [disk] space on the state directory's file system (after auditd's
    // space_left, admin_space_left and disk_full_action)
    // reserve_mib: allocated at start-up in STATE_DIR/audit-reserve and
    // released when the file system fills, so that audit entries can still
    // be written, 0..4096
    unsigned disk_reserve_mib = 16;
    // space_left_mib: below it, a warning in the journal and in status,
    // 0..1048576
    unsigned disk_space_left_mib = 512;
    // admin_space_left_mib: below it, changes are refused (reads, refusals
    // and status go on, audited), 0..1048576 and at most space_left_mib
    unsigned disk_admin_space_left_mib = 128;
    // check_seconds: how often free space is looked at while idle (after
    // commits it is looked at every 100 ms at most), 1..3600
    unsigned disk_check_seconds = 5;
    // [limits]
    Limits limits;

    friend bool operator==(const Config&, const Config&) = default;
};

// One thing wrong with a configuration file.
struct Problem {
    std::string key;               // dotted, e.g. "limits.max_frame_bytes"; empty for a
                                   // syntax error or a file that cannot be read
    std::optional<unsigned> line;  // 1-based line in the file, when known
    std::string message;           // e.g. "must be an integer between 4096 and 16777216 (found 12)"
};

struct Loaded {
    // Defaults overridden by every setting valid on its own; a setting refused
    // against another (admin_space_left_mib above space_left_mib) stays, with
    // its problem: use config only when problems is empty.
    Config config;
    std::vector<Problem> problems;  // in file order; empty means the configuration is usable
    std::string source;             // file name used in messages, "built-in defaults" when no file
    // Dotted key -> where its value comes from ("FILE:LINE"), for each setting
    // not left at its default (the daemon adds its command-line overrides).
    std::map<std::string, std::string> origins;
};

// Parses TOML text; source names it in messages. Every problem found is
// reported: a syntax error is one problem (TOML parsing cannot go on past it)
// and leaves the defaults in place.
Loaded parse(std::string_view text, std::string source);

// Reads and parses a file (source is the path as given). When required is false
// and the file does not exist, returns the defaults with no problems (source
// "built-in defaults"). A file that exists but cannot be read, is not a regular
// file or is implausibly large is a problem, with the errno text where there is one.
Loaded load(const std::filesystem::path& path, bool required);

// "strongroomd.conf:12: limits.max_frame_bytes: must be ..." or, without a
// line, "strongroomd.conf: ..."; one line, no trailing newline.
std::string format(const Problem& p, std::string_view source);

// The effective configuration rendered as TOML: every table and key with its
// value and a one-line comment, in a fixed order. parse(to_toml(c)) gives c back.
std::string to_toml(const Config& c);

// The example file shipped as /etc/strongroom/strongroomd.conf: every
// setting commented out, with its default and its one-line explanation.
std::string example();

// One setting as the manual page strongroomd.conf(5) describes it: every
// setting, in the order of the example file.
struct SettingDoc {
    std::string table;          // "limits"
    std::string key;            // "max_frame_bytes"
    std::string default_value;  // as TOML: "1048576", "\"/var/lib/strongroom\""
    std::string explanation;    // one line
};
std::vector<SettingDoc> documentation();

// The configuration in effect, as TOML, each value followed by where it comes
// from ("default", or FILE:LINE): what `strongroomd --print-config` prints.
std::string effective(const Loaded& loaded);

}  // namespace strongroom::config
