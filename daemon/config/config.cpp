#include "daemon/config/config.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <exception>
#include <system_error>
#include <type_traits>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "daemon/common/fd.hpp"
#include "daemon/common/text.hpp"

namespace strongroom::config {
namespace {

// A Unix socket address holds at most 107 bytes of path and a NUL (sun_path).
constexpr std::size_t kMaxSocketPathBytes = 107;

// A configuration file is a few hundred bytes; anything over this is a mistake
// (the wrong file given to --config) and is refused before it is parsed.
constexpr std::size_t kMaxFileBytes = 1024 * 1024;

// How much of an untrusted key or value is quoted back in a message.
constexpr std::size_t kQuoteBytes = 64;

constexpr std::string_view kNoFileSource = "built-in defaults";

// What a setting accepts. Each kind is checked by one function below.
enum class Kind {
    integer,        // a TOML integer within [min, max]
    absolute_path,  // a string: an absolute path without control characters
    socket_path,    // an absolute_path of at most kMaxSocketPathBytes
    account_name,   // a string: [a-z_][a-z0-9_-]{0,31}, as useradd accepts by default
    mission_code,   // a string: 2..16 of [A-Z0-9-], starting with a letter
    octal_mode,     // a quoted string of 3 or 4 octal digits, bits within 0666
};

// How a row reaches its field in Config: numbers (integer and octal_mode
// settings) through get_number/set_number, text through get_text/set_text.
// set_* is called only with a value that has passed the row's checks.
struct Access {
    std::uint64_t (*get_number)(const Config&) = nullptr;
    void (*set_number)(Config&, std::uint64_t) = nullptr;
    std::string (*get_text)(const Config&) = nullptr;
    void (*set_text)(Config&, std::string) = nullptr;
};

// The field a member pointer names, in Config itself or in its Limits.
template <auto Member, class C>
auto& field_of(C& c) {
    if constexpr (std::is_invocable_v<decltype(Member), C&>) {
        return c.*Member;
    } else {
        return c.limits.*Member;
    }
}

template <auto Member>
std::uint64_t get_number(const Config& c) {
    return field_of<Member>(c);
}

template <auto Member>
void set_number(Config& c, std::uint64_t v) {
    auto& field = field_of<Member>(c);
    using T = std::remove_reference_t<decltype(field)>;
    if constexpr (std::is_same_v<T, std::uint64_t>) {
        field = v;
    } else {
        field = static_cast<T>(v);  // in range: checked against the row's bounds
    }
}

template <auto Member>
std::string get_text(const Config& c) {
    const auto& field = field_of<Member>(c);
    if constexpr (std::is_same_v<std::remove_cvref_t<decltype(field)>, std::filesystem::path>) {
        return field.string();
    } else {
        return field;
    }
}

template <auto Member>
void set_text(Config& c, std::string v) {
    field_of<Member>(c) = std::move(v);
}

template <auto Member>
constexpr Access number() {
    return Access{&get_number<Member>, &set_number<Member>, nullptr, nullptr};
}

template <auto Member>
constexpr Access text() {
    return Access{nullptr, nullptr, &get_text<Member>, &set_text<Member>};
}

// One row per setting: where it lives in the file, what it accepts, where it
// goes in Config, and the comment to_toml() writes above it. Rows are grouped
// by table, in the order to_toml() writes them.
struct Setting {
    std::string_view table;
    std::string_view key;
    Kind kind;
    std::int64_t min;  // inclusive range of an integer setting
    std::int64_t max;
    Access access;
    std::string_view comment;
};

// clang-format off
constexpr std::array kSettings{
    //      table      key                        kind                 min   max
    Setting{"daemon",  "state_dir",               Kind::absolute_path, 0,    0,
            text<&Config::state_dir>(),
            "Directory holding the encrypted database (absolute path)."},
    Setting{"daemon",  "user",                    Kind::account_name,  0,    0,
            text<&Config::user>(),
            "Service account the daemon runs as after start-up."},
    Setting{"daemon",  "threads",                 Kind::integer,       1,    64,
            number<&Config::threads>(),
            "Worker threads serving connections (1..64), best above the core count."},
    Setting{"socket",  "path",                    Kind::socket_path,   0,    0,
            text<&Config::socket_path>(),
            "Unix socket the tools connect to (absolute, at most 107 bytes)."},
    Setting{"socket",  "mode",                    Kind::octal_mode,    0,    0,
            number<&Config::socket_mode>(),
            "Permissions of the socket: a quoted octal string within \"0666\"."},
    Setting{"key",     "file",                    Kind::absolute_path, 0,    0,
            text<&Config::key_file>(),
            "File holding the database key (absolute path)."},
    Setting{"store",   "readers",                 Kind::integer,       1,    64,
            number<&Config::store_readers>(),
            "Read-only database connections (1..64)."},
    Setting{"store",   "cache_mib",               Kind::integer,       1,    65536,
            number<&Config::store_cache_mib>(),
            "Page cache per database connection, in MiB (1..65536)."},
    Setting{"mission", "code",                    Kind::mission_code,  0,    0,
            text<&Config::mission_code>(),
            "Mission code used in registry numbers (2..16 of A-Z, 0-9, '-')."},
    Setting{"audit",   "checkpoint_every",        Kind::integer,       1,    100000000,
            number<&Config::audit_checkpoint_every>(),
            "Audit entries between two checkpoints of the chain's head (1..100000000)."},
    Setting{"retention", "key_backup_days",       Kind::integer,       1,    3650,
            number<&Config::key_backup_days>(),
            "Days a key-store backup is kept: after them no backup yields a destroyed record."},
    Setting{"retention", "key_backup_check_seconds", Kind::integer,    1,    86400,
            number<&Config::key_backup_check_seconds>(),
            "Seconds between two looks for expired key-store backups while serving (1..86400)."},
    Setting{"disk",    "reserve_mib",             Kind::integer,       0,    4096,
            number<&Config::disk_reserve_mib>(),
            "MiB kept in STATE_DIR/audit-reserve and released for audit entries when the disk fills."},
    Setting{"disk",    "space_left_mib",          Kind::integer,       0,    1048576,
            number<&Config::disk_space_left_mib>(),
            "MiB free below which a warning is logged and reads wait for their audit entry."},
    Setting{"disk",    "admin_space_left_mib",    Kind::integer,       0,    1048576,
            number<&Config::disk_admin_space_left_mib>(),
            "MiB free below which changes are refused (at most space_left_mib)."},
    Setting{"disk",    "check_seconds",           Kind::integer,       1,    3600,
            number<&Config::disk_check_seconds>(),
            "Seconds between two looks at free space while idle (1..3600)."},
    Setting{"limits",  "max_frame_bytes",         Kind::integer,       4096, 16777216,
            number<&Limits::max_frame_bytes>(),
            "Largest request frame accepted, in bytes (4096..16777216)."},
    Setting{"limits",  "max_json_depth",          Kind::integer,       2,    64,
            number<&Limits::max_json_depth>(),
            "Deepest JSON nesting accepted in a request (2..64)."},
    Setting{"limits",  "read_timeout_ms",         Kind::integer,       100,  600000,
            number<&Limits::read_timeout_ms>(),
            "Time for a frame, once started, to arrive whole, in ms (100..600000)."},
    Setting{"limits",  "idle_timeout_ms",         Kind::integer,       1000, 86400000,
            number<&Limits::idle_timeout_ms>(),
            "Idle time after which a connection is closed, in ms (1000..86400000)."},
    Setting{"limits",  "max_connections",         Kind::integer,       1,    65536,
            number<&Limits::max_connections>(),
            "Connections open at once, all callers together (1..65536)."},
    Setting{"limits",  "max_connections_per_uid", Kind::integer,       1,    65536,
            number<&Limits::max_connections_per_uid>(),
            "Connections open at once per Unix user (1..65536, at most max_connections)."},
    Setting{"limits",  "max_unknown_connections", Kind::integer,       1,    65536,
            number<&Limits::max_unknown_connections>(),
            "Connections open at once of users without an account, all together (1..65536)."},
    Setting{"limits",  "max_unknown_connections_per_uid", Kind::integer, 1,  65536,
            number<&Limits::max_unknown_connections_per_uid>(),
            "The same per user without an account (1..65536, at most max_unknown_connections)."},
    Setting{"limits",  "unknown_idle_timeout_ms", Kind::integer,       100,  86400000,
            number<&Limits::unknown_idle_timeout_ms>(),
            "Idle time after which a user without an account is disconnected, in ms "
            "(100..86400000, at most idle_timeout_ms)."},
    Setting{"limits",  "requests_per_second",     Kind::integer,       1,    1000000,
            number<&Limits::requests_per_second>(),
            "Requests per second one user may send, sustained (1..1000000)."},
    Setting{"limits",  "request_burst",           Kind::integer,       1,    1000000,
            number<&Limits::request_burst>(),
            "Requests one user may send at once above that rate (1..1000000)."},
};
// clang-format on

const Setting* find_setting(std::string_view table, std::string_view key) {
    for (const auto& s : kSettings) {
        if (s.table == table && s.key == key) {
            return &s;
        }
    }
    return nullptr;
}

// The first table that has a setting named key, for "it belongs in [daemon]".
std::optional<std::string_view> table_of_key(std::string_view key) {
    for (const auto& s : kSettings) {
        if (s.key == key) {
            return s.table;
        }
    }
    return std::nullopt;
}

bool is_known_table(std::string_view table) {
    return std::any_of(kSettings.begin(), kSettings.end(),
                       [&](const Setting& s) { return s.table == table; });
}

// "daemon, socket, key, store, mission, limits" (rows are grouped by table).
std::string known_tables() {
    std::string out;
    std::string_view last;
    for (const auto& s : kSettings) {
        if (s.table != last) {
            out += out.empty() ? "" : ", ";
            out += s.table;
            last = s.table;
        }
    }
    return out;
}

std::string known_keys(std::string_view table) {
    std::string out;
    for (const auto& s : kSettings) {
        if (s.table == table) {
            out += out.empty() ? "" : ", ";
            out += s.key;
        }
    }
    return out;
}

// A key or value from the file, made safe to put in a one-line message.
std::string in_quotes(std::string_view text) {
    return fmt::format("\"{}\"", printable(text, kQuoteBytes));
}

// What a node is, for "(found a string)".
std::string_view describe(const toml::node& node) {
    switch (node.type()) {
        case toml::node_type::string:
            return "a string";
        case toml::node_type::integer:
            return "an integer";
        case toml::node_type::floating_point:
            return "a floating-point number";
        case toml::node_type::boolean:
            return "a boolean";
        case toml::node_type::date:
            return "a date";
        case toml::node_type::time:
            return "a time";
        case toml::node_type::date_time:
            return "a date-time";
        case toml::node_type::array:
            return "an array";
        case toml::node_type::table:
            return "a table";
        case toml::node_type::none:
            break;
    }
    return "nothing";
}

// The line a node starts on; toml++ uses 0 for "unknown".
std::optional<unsigned> line_of(const toml::source_region& where) {
    if (where.begin.line == 0) {
        return std::nullopt;
    }
    return where.begin.line;
}

// The line of a table entry: the value's own line, or its key's when toml++
// has no position for the value.
std::optional<unsigned> line_of(const toml::key& key, const toml::node& node) {
    if (auto line = line_of(node.source())) {
        return line;
    }
    return line_of(key.source());
}

// --- checks of one value; each returns the problem message, or nothing -----

bool is_control(char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c < 0x20 || c == 0x7f;
}

std::optional<std::string> check_absolute_path(std::string_view v) {
    if (v.empty() || v.front() != '/') {
        return fmt::format("must be an absolute path (found {})", in_quotes(v));
    }
    if (std::any_of(v.begin(), v.end(), is_control)) {
        return fmt::format("must not contain control characters (found {})", in_quotes(v));
    }
    return std::nullopt;
}

std::optional<std::string> check_socket_path(std::string_view v) {
    if (auto problem = check_absolute_path(v)) {
        return problem;
    }
    if (v.size() > kMaxSocketPathBytes) {
        return fmt::format(
            "must be at most {} bytes, the limit of a Unix socket address (found {} bytes)",
            kMaxSocketPathBytes, v.size());
    }
    return std::nullopt;
}

std::optional<std::string> check_account_name(std::string_view v) {
    auto lower = [](char c) { return c >= 'a' && c <= 'z'; };
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    bool ok = !v.empty() && v.size() <= 32 && (lower(v.front()) || v.front() == '_');
    for (std::size_t i = 1; ok && i < v.size(); ++i) {
        const char c = v[i];
        ok = lower(c) || digit(c) || c == '_' || c == '-';
    }
    if (!ok) {
        return fmt::format(
            "must be a user name of 1 to 32 characters of a-z, 0-9, '_' and '-', starting with a "
            "letter or '_' (found {})",
            in_quotes(v));
    }
    return std::nullopt;
}

std::optional<std::string> check_mission_code(std::string_view v) {
    auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    bool ok = v.size() >= 2 && v.size() <= 16 && upper(v.front());
    for (std::size_t i = 1; ok && i < v.size(); ++i) {
        const char c = v[i];
        ok = upper(c) || digit(c) || c == '-';
    }
    if (!ok) {
        return fmt::format(
            "must be 2 to 16 characters of A-Z, 0-9 and '-', starting with a letter (found {})",
            in_quotes(v));
    }
    return std::nullopt;
}

// A socket mode is written as a quoted octal string ("0660"): TOML integers
// are decimal, so `mode = 660` would silently mean 01224. Only read and write
// bits are accepted; a socket has no use for execute, set-id or sticky bits.
std::optional<unsigned> parse_mode(std::string_view v) {
    if (v.size() < 3 || v.size() > 4) {
        return std::nullopt;
    }
    unsigned mode = 0;
    for (const char c : v) {
        if (c < '0' || c > '7') {
            return std::nullopt;
        }
        mode = mode * 8 + static_cast<unsigned>(c - '0');
    }
    if (mode > 0777 || (mode & ~0666U) != 0) {
        return std::nullopt;
    }
    return mode;
}

constexpr std::string_view kModeRule =
    "must be a quoted octal string of read and write bits within 0666, such as \"0660\"";

// Checks node against the setting and, when valid, stores it in config.
std::optional<std::string> apply(const Setting& s, const toml::node& node, Config& config) {
    switch (s.kind) {
        case Kind::integer: {
            const auto* v = node.as_integer();
            if (v == nullptr) {
                return fmt::format("must be an integer between {} and {} (found {})", s.min, s.max,
                                   describe(node));
            }
            const std::int64_t n = v->get();
            if (n < s.min || n > s.max) {
                return fmt::format("must be an integer between {} and {} (found {})", s.min, s.max,
                                   n);
            }
            s.access.set_number(config, static_cast<std::uint64_t>(n));
            return std::nullopt;
        }
        case Kind::octal_mode: {
            if (const auto* v = node.as_integer()) {
                return fmt::format(
                    "{} (found the integer {}; write it in quotes, e.g. mode = \"0660\")",
                    kModeRule, v->get());
            }
            const auto* v = node.as_string();
            if (v == nullptr) {
                return fmt::format("{} (found {})", kModeRule, describe(node));
            }
            const auto mode = parse_mode(v->get());
            if (!mode) {
                return fmt::format("{} (found {})", kModeRule, in_quotes(v->get()));
            }
            s.access.set_number(config, *mode);
            return std::nullopt;
        }
        case Kind::absolute_path:
        case Kind::socket_path:
        case Kind::account_name:
        case Kind::mission_code:
            break;
    }

    const auto* v = node.as_string();
    if (v == nullptr) {
        return fmt::format("must be a string (found {})", describe(node));
    }
    const std::string& text = v->get();
    std::optional<std::string> problem;
    switch (s.kind) {
        case Kind::absolute_path:
            problem = check_absolute_path(text);
            break;
        case Kind::socket_path:
            problem = check_socket_path(text);
            break;
        case Kind::account_name:
            problem = check_account_name(text);
            break;
        case Kind::mission_code:
            problem = check_mission_code(text);
            break;
        case Kind::integer:
        case Kind::octal_mode:
            break;  // handled above
    }
    if (!problem) {
        s.access.set_text(config, text);
    }
    return problem;
}

// --- the document -----------------------------------------------------------

class Checker {
public:
    explicit Checker(Loaded& out) : out_(out) {}

    void check(const toml::table& root) {
        for (auto&& [key, node] : root) {
            check_top_level(key, node);
        }
        check_limit_pairs(root);
        check_disk_thresholds(root);
        // toml++ visits keys in sorted order; operators read the file top down.
        std::stable_sort(out_.problems.begin(), out_.problems.end(),
                         [](const Problem& a, const Problem& b) {
                             return a.line.value_or(~0U) < b.line.value_or(~0U);
                         });
    }

private:
    void add(std::string key, std::optional<unsigned> line, std::string message) {
        out_.problems.push_back(Problem{std::move(key), line, std::move(message)});
    }

    bool has_problem(std::string_view key) const {
        return std::any_of(out_.problems.begin(), out_.problems.end(),
                           [&](const Problem& p) { return p.key == key; });
    }

    void check_top_level(const toml::key& key, const toml::node& node) {
        const std::string_view name = key.str();
        const std::string shown = printable(name, kQuoteBytes);
        const auto line = line_of(key, node);
        if (!is_known_table(name)) {
            if (node.is_table() || node.is_array_of_tables()) {
                add(shown, line,
                    fmt::format("unknown table; known tables are: {}", known_tables()));
            } else if (auto table = table_of_key(name)) {
                add(shown, line,
                    fmt::format("setting outside a table; it belongs in [{}]", *table));
            } else {
                add(shown, line,
                    fmt::format("unknown key outside any table; known tables are: {}",
                                known_tables()));
            }
            return;
        }
        const auto* table = node.as_table();
        if (table == nullptr) {
            add(shown, line, fmt::format("must be a table (found {})", describe(node)));
            return;
        }
        for (auto&& [k, v] : *table) {
            const std::string dotted = fmt::format("{}.{}", name, printable(k.str(), kQuoteBytes));
            const Setting* setting = find_setting(name, k.str());
            if (setting == nullptr) {
                add(dotted, line_of(k, v),
                    fmt::format("unknown key; known keys in [{}] are: {}", name, known_keys(name)));
                continue;
            }
            if (auto problem = apply(*setting, v, out_.config)) {
                add(dotted, line_of(k, v), std::move(*problem));
            } else {
                const auto at = line_of(k, v);
                out_.origins[dotted] = at ? fmt::format("{}:{}", out_.source, *at) : out_.source;
            }
        }
    }

    // A part cannot exceed its whole: each uid's share of connections, and
    // the idle deadline of callers without an account that of everyone.
    // Reported on the part's key, at its line or, when only the whole was
    // written, at that one. Not checked when either value was itself
    // rejected (it would compare against a default the operator did not
    // write).
    void check_limit_pairs(const toml::table& root) {
        const Limits& l = out_.config.limits;
        struct Pair {
            const char* part;
            const char* whole;
            unsigned part_value;
            unsigned whole_value;
        };
        const Pair pairs[] = {
            {"max_connections_per_uid", "max_connections", l.max_connections_per_uid,
             l.max_connections},
            {"max_unknown_connections_per_uid", "max_unknown_connections",
             l.max_unknown_connections_per_uid, l.max_unknown_connections},
            {"unknown_idle_timeout_ms", "idle_timeout_ms", l.unknown_idle_timeout_ms,
             l.idle_timeout_ms},
        };
        const auto* limits = root["limits"].as_table();
        for (const auto& p : pairs) {
            const std::string part = fmt::format("limits.{}", p.part);
            const std::string whole = fmt::format("limits.{}", p.whole);
            if (p.part_value <= p.whole_value || has_problem(part) || has_problem(whole)) {
                continue;
            }
            std::optional<unsigned> line;
            if (limits != nullptr) {
                for (const char* key : {p.part, p.whole}) {
                    if (const auto* node = limits->get(key); node != nullptr && !line) {
                        line = line_of(node->source());
                    }
                }
            }
            add(part, line,
                fmt::format("must not exceed {} ({} > {})", whole, p.part_value, p.whole_value));
        }
    }

    // Changes are refused below admin_space_left, after the warning at
    // space_left: the order cannot be reversed. Reported on
    // admin_space_left_mib, at its line or at space_left_mib's.
    void check_disk_thresholds(const toml::table& root) {
        const Config& c = out_.config;
        if (c.disk_admin_space_left_mib <= c.disk_space_left_mib ||
            has_problem("disk.admin_space_left_mib") || has_problem("disk.space_left_mib")) {
            return;
        }
        std::optional<unsigned> line;
        if (const auto* disk = root["disk"].as_table()) {
            for (const char* key : {"admin_space_left_mib", "space_left_mib"}) {
                if (const auto* node = disk->get(key); node != nullptr && !line) {
                    line = line_of(node->source());
                }
            }
        }
        add("disk.admin_space_left_mib", line,
            fmt::format("must not exceed disk.space_left_mib ({} > {})",
                        c.disk_admin_space_left_mib, c.disk_space_left_mib));
    }

    Loaded& out_;
};

// --- files ------------------------------------------------------------------

std::string errno_text(int error) {
    return std::generic_category().message(error);
}

struct FileText {
    std::string text;
    std::string problem;   // why it could not be read; empty on success
    bool missing = false;  // the file does not exist (ENOENT)
};

// Reads the whole file, refusing anything that is not a regular file of at
// most kMaxFileBytes. O_NONBLOCK keeps a FIFO given by mistake from hanging
// the daemon in open(); it has no effect on a regular file.
FileText read_config_file(const std::filesystem::path& path) {
    FileText out;
    const Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (!fd) {
        const int error = errno;
        out.missing = error == ENOENT;
        out.problem = "cannot open: " + errno_text(error);
        return out;
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        out.problem = "cannot read: " + errno_text(errno);
        return out;
    }
    if (!S_ISREG(st.st_mode)) {
        out.problem = "is not a regular file";
        return out;
    }
    // Read up to past the limit, whatever st_size said.
    if (const int error = io::read_file(fd.get(), out.text, kMaxFileBytes); error != 0) {
        out.problem = "cannot read: " + errno_text(error);
        return out;
    }
    if (out.text.size() > kMaxFileBytes) {
        out.problem = fmt::format("is larger than {} bytes", kMaxFileBytes);
        return out;
    }
    return out;
}

// A problem that is about the whole file, not one key or line.
Loaded whole_file_problem(std::string source, std::string message) {
    Loaded out;
    out.source = std::move(source);
    out.problems.push_back(Problem{{}, std::nullopt, std::move(message)});
    return out;
}

// TOML basic string: quotes, backslashes and control characters escaped.
// Values that came from a file are valid UTF-8 (toml++ checks), and are copied
// through unchanged.
std::string toml_string(std::string_view text) {
    std::string out = "\"";
    for (const char ch : text) {
        if (ch == '"' || ch == '\\') {
            out += '\\';
            out += ch;
        } else if (is_control(ch)) {
            out += fmt::format("\\u{:04X}", static_cast<unsigned>(static_cast<unsigned char>(ch)));
        } else {
            out += ch;
        }
    }
    out += '"';
    return out;
}

std::string render(const Setting& s, const Config& c) {
    switch (s.kind) {
        case Kind::integer:
            return fmt::format("{}", s.access.get_number(c));
        case Kind::octal_mode:
            return fmt::format("\"{:04o}\"", s.access.get_number(c));
        case Kind::absolute_path:
        case Kind::socket_path:
        case Kind::account_name:
        case Kind::mission_code:
            break;
    }
    return toml_string(s.access.get_text(c));
}

}  // namespace

Loaded parse(std::string_view text, std::string source) {
    Loaded out;
    out.source = std::move(source);
    try {
        const toml::table root = toml::parse(text, std::string_view(out.source));
        Checker(out).check(root);
    } catch (const toml::parse_error& e) {
        // TOML cannot be read past a syntax error: one problem, defaults kept.
        out.config = Config{};
        out.problems.assign(1, Problem{{},
                                       line_of(e.source()),
                                       "TOML syntax error: " + printable(e.description(), 200)});
    } catch (const std::exception& e) {
        // Not expected beyond std::bad_alloc; still a problem, never a crash.
        out.config = Config{};
        out.problems.assign(1,
                            Problem{{}, std::nullopt, "cannot parse: " + printable(e.what(), 200)});
    }
    return out;
}

Loaded load(const std::filesystem::path& path, bool required) {
    std::string source = path.string();
    try {
        FileText file = read_config_file(path);
        if (file.missing && !required) {
            Loaded out;
            out.source = kNoFileSource;
            return out;
        }
        if (!file.problem.empty()) {
            return whole_file_problem(std::move(source), std::move(file.problem));
        }
        return parse(file.text, std::move(source));
    } catch (const std::exception& e) {
        return whole_file_problem(path.string(), "cannot read: " + printable(e.what(), 200));
    }
}

std::string format(const Problem& p, std::string_view source) {
    std::string out(source);
    if (p.line) {
        out += fmt::format(":{}", *p.line);
    }
    if (!out.empty()) {
        out += ": ";
    }
    if (!p.key.empty()) {
        out += p.key;
        out += ": ";
    }
    out += p.message;
    return out;
}

std::string example() {
    const Config defaults;
    std::string out =
        "# Strongroom daemon configuration (strongroomd.conf).\n"
        "#\n"
        "# Every setting is shown commented out, with its built-in default and what it\n"
        "# does: uncomment a line to change it. The daemon reads this file at start-up;\n"
        "# `strongroomd --check-config` reports every problem in it at once, and\n"
        "# `strongroomd --print-config` shows the values in effect and where each comes\n"
        "# from. [mission] code, the prefix of every registry number, must be set:\n"
        "# strongroomd does not start without it (except with --dev).\n";
    std::string_view table;
    for (const auto& s : kSettings) {
        if (s.table != table) {
            out += fmt::format("\n[{}]\n", s.table);
            table = s.table;
        }
        out += fmt::format("# {}\n#{} = {}\n", s.comment, s.key, render(s, defaults));
    }
    return out;
}

std::vector<SettingDoc> documentation() {
    const Config defaults;
    std::vector<SettingDoc> out;
    for (const auto& s : kSettings) {
        out.push_back(SettingDoc{std::string(s.table), std::string(s.key), render(s, defaults),
                                 std::string(s.comment)});
    }
    return out;
}

std::string effective(const Loaded& loaded) {
    std::string out = fmt::format("# The configuration in effect ({}).\n", loaded.source);
    std::string_view table;
    for (const auto& s : kSettings) {
        if (s.table != table) {
            out += fmt::format("\n[{}]\n", s.table);
            table = s.table;
        }
        const auto at = loaded.origins.find(fmt::format("{}.{}", s.table, s.key));
        out += fmt::format("{} = {}  # {}\n", s.key, render(s, loaded.config),
                           at == loaded.origins.end() ? std::string("default") : at->second);
    }
    return out;
}

std::string to_toml(const Config& c) {
    std::string out = "# Strongroom daemon configuration: every setting with its value.\n";
    std::string_view table;
    for (const auto& s : kSettings) {
        if (s.table != table) {
            out += fmt::format("\n[{}]\n", s.table);
            table = s.table;
        }
        out += fmt::format("# {}\n{} = {}\n", s.comment, s.key, render(s, c));
    }
    return out;
}

}  // namespace strongroom::config
