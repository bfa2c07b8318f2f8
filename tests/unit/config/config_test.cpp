// Unit tests of strongroom::config: defaults, every setting, every kind of
// problem with its key and line, and reading files.
#include "daemon/config/config.hpp"

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace strongroom::config {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

// A file that overrides every setting with a value different from its default.
constexpr const char* kFullFile = R"(# every key, none at its default
[daemon]
state_dir = "/srv/strongroom/state"
user = "_sr-daemon"
threads = 12

[socket]
path = "/run/sr/sr.sock"
mode = "0600"

[key]
file = "/etc/sr/db.key"

[store]
readers = 12
cache_mib = 256

[mission]
code = "UNMISS-2"

[audit]
checkpoint_every = 500

[retention]
key_backup_days = 14

[disk]
reserve_mib = 64
space_left_mib = 2048
admin_space_left_mib = 1024
check_seconds = 30

[limits]
max_frame_bytes = 65536
max_json_depth = 8
read_timeout_ms = 2500
idle_timeout_ms = 60000
max_connections = 100
max_connections_per_uid = 4
max_unknown_connections = 8
max_unknown_connections_per_uid = 1
unknown_idle_timeout_ms = 500
requests_per_second = 250
request_burst = 50
)";

// Parses text and expects exactly one problem, which it returns.
Problem only_problem(const std::string& text) {
    const Loaded loaded = parse(text, "test.conf");
    EXPECT_EQ(loaded.problems.size(), 1U) << text;
    if (loaded.problems.empty()) {
        return {};
    }
    return loaded.problems.front();
}

// A fresh temporary directory, removed with everything in it at the end.
class TempDir {
public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "strongroom-config-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            ADD_FAILURE() << "mkdtemp failed";
        }
        path_ = pattern;
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ec;
        fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
        fs::remove_all(path_, ec);
    }

    fs::path write(const std::string& name, const std::string& text) const {
        const fs::path file = path_ / name;
        std::ofstream(file, std::ios::binary) << text;
        return file;
    }
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

TEST(ConfigParse, EmptyTextGivesDefaults) {
    // Verifies that an empty file is valid and leaves every built-in default in place.
    const Loaded loaded = parse("", "empty.conf");
    EXPECT_TRUE(loaded.problems.empty());
    EXPECT_EQ(loaded.source, "empty.conf");
    EXPECT_EQ(loaded.config, Config{});
    EXPECT_EQ(loaded.config.state_dir, "/var/lib/strongroom");
    EXPECT_EQ(loaded.config.user, "strongroom");
    EXPECT_EQ(loaded.config.threads, 8U);
    EXPECT_EQ(loaded.config.socket_path, "/run/strongroom/strongroom.sock");
    EXPECT_EQ(loaded.config.socket_mode, 0660U);
    EXPECT_EQ(loaded.config.key_file, "/etc/strongroom/strongroom.key");
    EXPECT_EQ(loaded.config.store_readers, 4U);
    EXPECT_EQ(loaded.config.store_cache_mib, 32U);
    EXPECT_EQ(loaded.config.mission_code, "MISSION");
    EXPECT_EQ(loaded.config.disk_reserve_mib, 16U);
    EXPECT_EQ(loaded.config.disk_space_left_mib, 512U);
    EXPECT_EQ(loaded.config.disk_admin_space_left_mib, 128U);
    EXPECT_EQ(loaded.config.disk_check_seconds, 5U);
    EXPECT_EQ(loaded.config.limits.max_frame_bytes, 1024U * 1024U);
    EXPECT_EQ(loaded.config.limits.max_json_depth, 16U);
    EXPECT_EQ(loaded.config.limits.read_timeout_ms, 10000U);
    EXPECT_EQ(loaded.config.limits.idle_timeout_ms, 300000U);
    EXPECT_EQ(loaded.config.limits.max_connections, 256U);
    EXPECT_EQ(loaded.config.limits.max_connections_per_uid, 16U);
    EXPECT_EQ(loaded.config.limits.max_unknown_connections, 16U);
    EXPECT_EQ(loaded.config.limits.max_unknown_connections_per_uid, 2U);
    EXPECT_EQ(loaded.config.limits.unknown_idle_timeout_ms, 2000U);
    EXPECT_EQ(loaded.config.limits.requests_per_second, 1000U);
    EXPECT_EQ(loaded.config.limits.request_burst, 2000U);
}

TEST(ConfigParse, CommentsAndEmptyTablesGiveDefaults) {
    // Verifies that comments and tables without keys change nothing.
    const Loaded loaded = parse("# nothing here\n[daemon]\n[limits]\n", "test.conf");
    EXPECT_TRUE(loaded.problems.empty());
    EXPECT_EQ(loaded.config, Config{});
}

TEST(ConfigParse, FullFileOverridesEveryKey) {
    // Verifies that each setting is read into its field.
    const Loaded loaded = parse(kFullFile, "full.conf");
    ASSERT_TRUE(loaded.problems.empty()) << format(loaded.problems.front(), loaded.source);
    const Config& c = loaded.config;
    EXPECT_EQ(c.state_dir, "/srv/strongroom/state");
    EXPECT_EQ(c.user, "_sr-daemon");
    EXPECT_EQ(c.threads, 12U);
    EXPECT_EQ(c.socket_path, "/run/sr/sr.sock");
    EXPECT_EQ(c.socket_mode, 0600U);
    EXPECT_EQ(c.key_file, "/etc/sr/db.key");
    EXPECT_EQ(c.store_readers, 12U);
    EXPECT_EQ(c.store_cache_mib, 256U);
    EXPECT_EQ(c.mission_code, "UNMISS-2");
    EXPECT_EQ(c.audit_checkpoint_every, 500U);
    EXPECT_EQ(c.key_backup_days, 14U);
    EXPECT_EQ(c.disk_reserve_mib, 64U);
    EXPECT_EQ(c.disk_space_left_mib, 2048U);
    EXPECT_EQ(c.disk_admin_space_left_mib, 1024U);
    EXPECT_EQ(c.disk_check_seconds, 30U);
    EXPECT_EQ(c.limits.max_frame_bytes, 65536U);
    EXPECT_EQ(c.limits.max_json_depth, 8U);
    EXPECT_EQ(c.limits.read_timeout_ms, 2500U);
    EXPECT_EQ(c.limits.idle_timeout_ms, 60000U);
    EXPECT_EQ(c.limits.max_connections, 100U);
    EXPECT_EQ(c.limits.max_connections_per_uid, 4U);
    EXPECT_EQ(c.limits.max_unknown_connections, 8U);
    EXPECT_EQ(c.limits.max_unknown_connections_per_uid, 1U);
    EXPECT_EQ(c.limits.unknown_idle_timeout_ms, 500U);
    EXPECT_EQ(c.limits.requests_per_second, 250U);
    EXPECT_EQ(c.limits.request_burst, 50U);
}

TEST(ConfigParse, InlineTablesAndDottedKeysAreAccepted) {
    // Verifies that the other TOML spellings of a table are read like [table] headers.
    const Loaded loaded =
        parse("daemon = { threads = 3 }\nlimits.max_json_depth = 5\n", "test.conf");
    ASSERT_TRUE(loaded.problems.empty()) << format(loaded.problems.front(), loaded.source);
    EXPECT_EQ(loaded.config.threads, 3U);
    EXPECT_EQ(loaded.config.limits.max_json_depth, 5U);
}

constexpr auto npos = std::string::npos;

TEST(ConfigExample, EverySettingIsThereCommentedOutAndTheFileParsesToTheDefaults) {
    // The example shipped as /etc/strongroom/strongroomd.conf: every key of to_toml() appears
    // once, commented out with its default; read as it is, it is the defaults; uncommenting
    // every line still gives the defaults.
    const auto text = example();
    const Loaded as_is = parse(text, "example");
    ASSERT_TRUE(as_is.problems.empty()) << format(as_is.problems.front(), as_is.source);
    EXPECT_EQ(as_is.config, Config{});
    std::string uncommented;
    std::size_t settings = 0;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        if (line.size() > 1 && line[0] == '#' && line[1] != ' ' && line.find(" = ") != npos) {
            line.erase(0, 1);
            ++settings;
        }
        uncommented += line + "\n";
    }
    std::size_t keys = 0;
    std::istringstream full(to_toml(Config{}));
    for (std::string line; std::getline(full, line);) {
        keys += !line.empty() && line[0] != '#' && line[0] != '[' ? 1U : 0U;
    }
    EXPECT_EQ(settings, keys) << text;
    const Loaded opened = parse(uncommented, "uncommented");
    ASSERT_TRUE(opened.problems.empty()) << format(opened.problems.front(), opened.source) << "\n"
                                         << uncommented;
    EXPECT_EQ(opened.config, Config{});
}

TEST(ConfigExample, TheShippedFileIsTheGeneratedOne) {
    // packaging/strongroomd.conf cannot drift from the settings: regenerate it with
    // `strongroomd --print-example-config > packaging/strongroomd.conf`.
    std::ifstream in(STRONGROOM_EXAMPLE_CONFIG);
    ASSERT_TRUE(in) << STRONGROOM_EXAMPLE_CONFIG;
    const std::string shipped((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
    EXPECT_EQ(shipped, example())
        << "packaging/strongroomd.conf differs from the settings: regenerate it with "
           "`strongroomd --print-example-config > packaging/strongroomd.conf`";
}

TEST(ConfigEffective, EachValueSaysWhereItComesFrom) {
    const Loaded loaded =
        parse("[daemon]\nthreads = 12\n\n[limits]\nrequest_burst = 50\n", "x.conf");
    ASSERT_TRUE(loaded.problems.empty());
    const auto text = effective(loaded);
    EXPECT_NE(text.find("threads = 12  # x.conf:2\n"), npos) << text;
    EXPECT_NE(text.find("request_burst = 50  # x.conf:5\n"), npos) << text;
    EXPECT_NE(text.find("readers = 4  # default\n"), npos) << text;
    // What it prints is a configuration that reads back to the same values.
    const Loaded again = parse(text, "effective");
    ASSERT_TRUE(again.problems.empty()) << format(again.problems.front(), again.source) << text;
    EXPECT_EQ(again.config, loaded.config);
}

TEST(ConfigToToml, RoundTripsThroughParse) {
    // Verifies that to_toml() writes every key and that parsing its output gives the same Config.
    const Config full = parse(kFullFile, "full.conf").config;
    for (const Config& c : {Config{}, full}) {
        const std::string text = to_toml(c);
        const Loaded again = parse(text, "rendered");
        ASSERT_TRUE(again.problems.empty()) << format(again.problems.front(), again.source) << "\n"
                                            << text;
        EXPECT_EQ(again.config, c) << text;
    }
    const std::string text = to_toml(full);
    for (const char* line : {"[daemon]\n",
                             "state_dir = \"/srv/strongroom/state\"\n",
                             "user = \"_sr-daemon\"\n",
                             "threads = 12\n",
                             "[socket]\n",
                             "path = \"/run/sr/sr.sock\"\n",
                             "mode = \"0600\"\n",
                             "[key]\n",
                             "file = \"/etc/sr/db.key\"\n",
                             "[store]\n",
                             "readers = 12\n",
                             "cache_mib = 256\n",
                             "[mission]\n",
                             "code = \"UNMISS-2\"\n",
                             "[limits]\n",
                             "max_frame_bytes = 65536\n",
                             "max_json_depth = 8\n",
                             "read_timeout_ms = 2500\n",
                             "idle_timeout_ms = 60000\n",
                             "max_connections = 100\n",
                             "max_connections_per_uid = 4\n",
                             "max_unknown_connections = 8\n",
                             "max_unknown_connections_per_uid = 1\n",
                             "unknown_idle_timeout_ms = 500\n",
                             "requests_per_second = 250\n",
                             "request_burst = 50\n"}) {
        EXPECT_THAT(text, HasSubstr(line));
    }
}

TEST(ConfigToToml, EscapesQuotesAndBackslashesInPaths) {
    // Verifies that paths with characters special to TOML are written so they read back the same.
    Config c;
    c.state_dir = "/srv/odd \"dir\"\\x";
    const Loaded again = parse(to_toml(c), "rendered");
    ASSERT_TRUE(again.problems.empty()) << format(again.problems.front(), again.source);
    EXPECT_EQ(again.config.state_dir, c.state_dir);
}

TEST(ConfigProblems, UnknownTable) {
    // Verifies that an unknown table is reported on its header line with the known tables listed.
    const Problem p = only_problem("\n[daemon]\nthreads = 2\n[bogus]\nx = 1\n");
    EXPECT_EQ(p.key, "bogus");
    EXPECT_EQ(p.line, 4U);
    EXPECT_EQ(p.message,
              "unknown table; known tables are: daemon, socket, key, store, mission, audit, "
              "retention, disk, limits");
}

TEST(ConfigProblems, UnknownKeyInTable) {
    // Verifies that an unknown key is reported with its dotted name, its line and the known keys.
    const Problem p = only_problem("[limits]\nmax_json_depth = 4\nmax_frames = 3\n");
    EXPECT_EQ(p.key, "limits.max_frames");
    EXPECT_EQ(p.line, 3U);
    EXPECT_EQ(p.message,
              "unknown key; known keys in [limits] are: max_frame_bytes, max_json_depth, "
              "read_timeout_ms, idle_timeout_ms, max_connections, max_connections_per_uid, "
              "max_unknown_connections, max_unknown_connections_per_uid, unknown_idle_timeout_ms, "
              "requests_per_second, request_burst");
}

TEST(ConfigProblems, SubTableOfKnownTableIsUnknownKey) {
    // Verifies that a nested table inside a known table is reported as an unknown key.
    const Problem p = only_problem("[store]\nreaders = 2\n\n[store.extra]\nx = 1\n");
    EXPECT_EQ(p.key, "store.extra");
    EXPECT_EQ(p.line, 4U);
    EXPECT_THAT(p.message, HasSubstr("unknown key; known keys in [store] are: readers, cache_mib"));
}

TEST(ConfigProblems, TopLevelKeys) {
    // Verifies that keys outside any table are problems, naming the table a known setting belongs
    // in.
    const Loaded loaded = parse("state_dir = \"/x\"\ncolour = \"red\"\n", "test.conf");
    ASSERT_EQ(loaded.problems.size(), 2U);
    EXPECT_EQ(loaded.problems[0].key, "state_dir");
    EXPECT_EQ(loaded.problems[0].line, 1U);
    EXPECT_EQ(loaded.problems[0].message, "setting outside a table; it belongs in [daemon]");
    EXPECT_EQ(loaded.problems[1].key, "colour");
    EXPECT_EQ(loaded.problems[1].line, 2U);
    EXPECT_THAT(loaded.problems[1].message, HasSubstr("unknown key outside any table"));
    EXPECT_EQ(loaded.config, Config{});
}

TEST(ConfigProblems, KnownTableNameWithAValue) {
    // Verifies that a known table name given a plain value, or as an array of tables, is refused.
    Problem p = only_problem("\nlimits = 5\n");
    EXPECT_EQ(p.key, "limits");
    EXPECT_EQ(p.line, 2U);
    EXPECT_EQ(p.message, "must be a table (found an integer)");

    p = only_problem("[[daemon]]\nthreads = 2\n");
    EXPECT_EQ(p.key, "daemon");
    EXPECT_EQ(p.line, 1U);
    EXPECT_EQ(p.message, "must be a table (found an array)");
}

TEST(ConfigProblems, WrongTypes) {
    // Verifies that a value of the wrong TOML type is reported with what was expected and found.
    Problem p = only_problem("[daemon]\nuser = 5\n");
    EXPECT_EQ(p.key, "daemon.user");
    EXPECT_EQ(p.line, 2U);
    EXPECT_EQ(p.message, "must be a string (found an integer)");

    p = only_problem("[limits]\n\nmax_json_depth = \"16\"\n");
    EXPECT_EQ(p.key, "limits.max_json_depth");
    EXPECT_EQ(p.line, 3U);
    EXPECT_EQ(p.message, "must be an integer between 2 and 64 (found a string)");

    p = only_problem("[store]\nreaders = 4.0\n");
    EXPECT_EQ(p.message, "must be an integer between 1 and 64 (found a floating-point number)");
    p = only_problem("[key]\nfile = [\"/a\"]\n");
    EXPECT_EQ(p.message, "must be a string (found an array)");
    p = only_problem("[daemon]\nthreads = true\n");
    EXPECT_EQ(p.message, "must be an integer between 1 and 64 (found a boolean)");
    p = only_problem("[mission]\ncode = 2024-01-01\n");
    EXPECT_EQ(p.message, "must be a string (found a date)");
}

TEST(ConfigProblems, OutOfRangeIntegers) {
    // Verifies that each integer setting accepts its bounds and rejects one past them, stating the
    // range.
    struct Bounds {
        const char* table;
        const char* key;
        std::int64_t min;
        std::int64_t max;
        const char* extra = "";  // more lines, so that the value alone is the only problem
    };
    const std::vector<Bounds> all = {
        {"daemon", "threads", 1, 64},
        {"store", "readers", 1, 64},
        {"store", "cache_mib", 1, 65536},
        {"disk", "reserve_mib", 0, 4096},
        {"disk", "space_left_mib", 0, 1048576, "admin_space_left_mib = 0\n"},
        {"disk", "admin_space_left_mib", 0, 1048576, "space_left_mib = 1048576\n"},
        {"disk", "check_seconds", 1, 3600},
        {"limits", "max_frame_bytes", 4096, 16777216},
        {"limits", "max_json_depth", 2, 64},
        {"limits", "read_timeout_ms", 100, 600000},
        {"limits", "idle_timeout_ms", 1000, 86400000, "unknown_idle_timeout_ms = 100\n"},
        {"limits", "max_connections", 1, 65536, "max_connections_per_uid = 1\n"},
        {"limits", "max_connections_per_uid", 1, 65536, "max_connections = 65536\n"},
        {"limits", "max_unknown_connections", 1, 65536, "max_unknown_connections_per_uid = 1\n"},
        {"limits", "max_unknown_connections_per_uid", 1, 65536,
         "max_unknown_connections = 65536\n"},
        {"limits", "unknown_idle_timeout_ms", 100, 86400000, "idle_timeout_ms = 86400000\n"},
        {"limits", "requests_per_second", 1, 1000000},
        {"limits", "request_burst", 1, 1000000},
    };
    for (const auto& b : all) {
        for (const std::int64_t ok : {b.min, b.max}) {
            const std::string text = std::string("[") + b.table + "]\n" + b.key + " = " +
                                     std::to_string(ok) + "\n" + b.extra;
            const Loaded loaded = parse(text, "test.conf");
            EXPECT_TRUE(loaded.problems.empty()) << text;
        }
        for (const std::int64_t bad : {b.min - 1, b.max + 1}) {
            const std::string text = std::string("[") + b.table + "]\n" + b.key + " = " +
                                     std::to_string(bad) + "\n" + b.extra;
            const Problem p = only_problem(text);
            EXPECT_EQ(p.key, std::string(b.table) + "." + b.key);
            EXPECT_EQ(p.line, 2U);
            EXPECT_EQ(p.message, "must be an integer between " + std::to_string(b.min) + " and " +
                                     std::to_string(b.max) + " (found " + std::to_string(bad) +
                                     ")");
        }
    }
    // The example from the header, and a value far outside any unsigned type.
    EXPECT_EQ(only_problem("[limits]\nmax_frame_bytes = 12\n").message,
              "must be an integer between 4096 and 16777216 (found 12)");
    EXPECT_EQ(only_problem("[limits]\nmax_frame_bytes = -9223372036854775808\n").message,
              "must be an integer between 4096 and 16777216 (found -9223372036854775808)");
}

TEST(ConfigProblems, AdminSpaceLeftCannotExceedSpaceLeft) {
    // Verifies the cross-check of disk.admin_space_left_mib against disk.space_left_mib and its
    // line.
    Problem p = only_problem("[disk]\nspace_left_mib = 100\nadmin_space_left_mib = 200\n");
    EXPECT_EQ(p.key, "disk.admin_space_left_mib");
    EXPECT_EQ(p.line, 3U);
    EXPECT_EQ(p.message, "must not exceed disk.space_left_mib (200 > 100)");

    // Only the warning level written: the default admin level (128) is above it.
    p = only_problem("[disk]\n\nspace_left_mib = 64\n");
    EXPECT_EQ(p.key, "disk.admin_space_left_mib");
    EXPECT_EQ(p.line, 3U);
    EXPECT_EQ(p.message, "must not exceed disk.space_left_mib (128 > 64)");

    // Equal is fine, and so are both at 0 (no thresholds, only the reserve).
    EXPECT_TRUE(
        parse("[disk]\nspace_left_mib = 64\nadmin_space_left_mib = 64\n", "t").problems.empty());
    EXPECT_TRUE(
        parse("[disk]\nspace_left_mib = 0\nadmin_space_left_mib = 0\n", "t").problems.empty());
    // An invalid value is reported once, not compared against the other.
    p = only_problem("[disk]\nspace_left_mib = -1\nadmin_space_left_mib = 300\n");
    EXPECT_EQ(p.key, "disk.space_left_mib");
}

TEST(ConfigProblems, PerUidConnectionsCannotExceedTotal) {
    // Verifies the cross-check of max_connections_per_uid against max_connections and its line.
    Problem p = only_problem("[limits]\nmax_connections = 8\nmax_connections_per_uid = 9\n");
    EXPECT_EQ(p.key, "limits.max_connections_per_uid");
    EXPECT_EQ(p.line, 3U);
    EXPECT_EQ(p.message, "must not exceed limits.max_connections (9 > 8)");

    // Only the total written: the default per-uid value (16) is too big for it.
    p = only_problem("[limits]\n\nmax_connections = 8\n");
    EXPECT_EQ(p.key, "limits.max_connections_per_uid");
    EXPECT_EQ(p.line, 3U);
    EXPECT_EQ(p.message, "must not exceed limits.max_connections (16 > 8)");

    // Equal is fine.
    EXPECT_TRUE(parse("[limits]\nmax_connections = 8\nmax_connections_per_uid = 8\n", "t")
                    .problems.empty());
    // An invalid total is reported once, not compared against the per-uid value.
    p = only_problem("[limits]\nmax_connections = 0\nmax_connections_per_uid = 300\n");
    EXPECT_EQ(p.key, "limits.max_connections");
}

TEST(ConfigProblems, UnknownCallersLimitsCannotExceedTheirWhole) {
    // Verifies the cross-checks of max_unknown_connections_per_uid against max_unknown_connections
    // and of unknown_idle_timeout_ms against idle_timeout_ms, with their keys and lines.
    Problem p = only_problem(
        "[limits]\nmax_unknown_connections = 4\nmax_unknown_connections_per_uid = 5\n");
    EXPECT_EQ(p.key, "limits.max_unknown_connections_per_uid");
    EXPECT_EQ(p.line, 3U);
    EXPECT_EQ(p.message, "must not exceed limits.max_unknown_connections (5 > 4)");

    // Only the total written: the default per-uid value (2) is too big for it.
    p = only_problem("[limits]\nmax_unknown_connections = 1\n");
    EXPECT_EQ(p.key, "limits.max_unknown_connections_per_uid");
    EXPECT_EQ(p.line, 2U);
    EXPECT_EQ(p.message, "must not exceed limits.max_unknown_connections (2 > 1)");

    p = only_problem("[limits]\nidle_timeout_ms = 5000\nunknown_idle_timeout_ms = 6000\n");
    EXPECT_EQ(p.key, "limits.unknown_idle_timeout_ms");
    EXPECT_EQ(p.line, 3U);
    EXPECT_EQ(p.message, "must not exceed limits.idle_timeout_ms (6000 > 5000)");

    // A short idle deadline for everyone: the default for unknown callers (2000) exceeds it.
    p = only_problem("[limits]\n\nidle_timeout_ms = 1000\n");
    EXPECT_EQ(p.key, "limits.unknown_idle_timeout_ms");
    EXPECT_EQ(p.line, 3U);
    EXPECT_EQ(p.message, "must not exceed limits.idle_timeout_ms (2000 > 1000)");

    // Equal is fine; the three checks are independent of each other.
    EXPECT_TRUE(parse("[limits]\nmax_unknown_connections = 2\nidle_timeout_ms = 2000\n", "t")
                    .problems.empty());
    const Loaded all = parse(
        "[limits]\nmax_connections = 1\nmax_unknown_connections = 1\nidle_timeout_ms = 1000\n",
        "t");
    ASSERT_EQ(all.problems.size(), 3U);
    EXPECT_EQ(all.problems[0].key, "limits.max_connections_per_uid");
    EXPECT_EQ(all.problems[1].key, "limits.max_unknown_connections_per_uid");
    EXPECT_EQ(all.problems[2].key, "limits.unknown_idle_timeout_ms");
}

TEST(ConfigProblems, AllProblemsReportedInFileOrder) {
    // Verifies that parsing goes on past each problem, reports them all in line order, and keeps
    // valid settings.
    const Loaded loaded = parse(R"([limits]
max_json_depth = 1
max_frame_bytes = 8192
bogus = 2

[daemon]
user = "Root"
threads = 4

[socket]
mode = "0777"
path = "relative.sock"

[weird]
)",
                                "several.conf");
    ASSERT_EQ(loaded.problems.size(), 6U);
    const std::vector<std::pair<std::string, unsigned>> expected = {
        {"limits.max_json_depth", 2}, {"limits.bogus", 4}, {"daemon.user", 7},
        {"socket.mode", 11},          {"socket.path", 12}, {"weird", 14},
    };
    for (std::size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ(loaded.problems[i].key, expected[i].first) << i;
        EXPECT_EQ(loaded.problems[i].line, expected[i].second) << i;
    }
    // The valid settings were still applied; the invalid ones kept their defaults.
    EXPECT_EQ(loaded.config.limits.max_frame_bytes, 8192U);
    EXPECT_EQ(loaded.config.threads, 4U);
    EXPECT_EQ(loaded.config.limits.max_json_depth, 16U);
    EXPECT_EQ(loaded.config.user, "strongroom");
    EXPECT_EQ(loaded.config.socket_mode, 0660U);
    EXPECT_EQ(loaded.config.socket_path, "/run/strongroom/strongroom.sock");
}

TEST(ConfigProblems, SyntaxErrorHasItsLine) {
    // Verifies that a TOML syntax error is one problem with no key, its line and toml++'s
    // description.
    const Loaded loaded = parse("[daemon]\nthreads = 4\nuser = \n", "broken.conf");
    ASSERT_EQ(loaded.problems.size(), 1U);
    const Problem& p = loaded.problems.front();
    EXPECT_EQ(p.key, "");
    EXPECT_EQ(p.line, 3U);
    EXPECT_THAT(p.message, HasSubstr("TOML syntax error: "));
    EXPECT_THAT(p.message, HasSubstr("expected value"));
    EXPECT_EQ(loaded.config, Config{});  // nothing half-applied
    EXPECT_THAT(format(p, loaded.source), HasSubstr("broken.conf:3: TOML syntax error: "));
}

TEST(ConfigProblems, DuplicateKeyAndBadUtf8AreSyntaxErrors) {
    // Verifies that TOML-level mistakes beyond plain syntax are reported as syntax errors with a
    // line.
    Problem p = only_problem("[daemon]\nthreads = 2\nthreads = 3\n");
    EXPECT_EQ(p.key, "");
    EXPECT_EQ(p.line, 3U);
    p = only_problem("[mission]\ncode = \"\xff\"\n");
    EXPECT_EQ(p.key, "");
    EXPECT_EQ(p.line, 2U);
}

TEST(ConfigProblems, UntrustedTextIsSanitisedInMessages) {
    // Verifies that control characters in keys and values never reach a message verbatim.
    Problem p = only_problem("[daemon]\n\"a\\u001b[31mb\" = 1\n");
    EXPECT_EQ(p.key, "daemon.a?[31mb");
    p = only_problem("[mission]\ncode = \"AB\\nCD\"\n");
    EXPECT_THAT(p.message, HasSubstr("(found \"AB?CD\")"));
    EXPECT_EQ(format(p, "test.conf").find('\n'), std::string::npos);
}

TEST(ConfigSocketMode, QuotedOctalReadWriteOnly) {
    // Verifies the socket mode rules: a quoted octal string of read/write bits, nothing else.
    EXPECT_EQ(parse("[socket]\nmode = \"0660\"\n", "t").config.socket_mode, 0660U);
    EXPECT_EQ(parse("[socket]\nmode = \"600\"\n", "t").config.socket_mode, 0600U);
    EXPECT_EQ(parse("[socket]\nmode = \"0666\"\n", "t").config.socket_mode, 0666U);
    EXPECT_EQ(parse("[socket]\nmode = \"0000\"\n", "t").config.socket_mode, 0U);

    const std::string rule =
        "must be a quoted octal string of read and write bits within 0666, such as \"0660\"";
    for (const char* bad : {"0777", "0670", "1660", "4660", "abc", "", "66", "06600", "0668"}) {
        const Problem p = only_problem(std::string("[socket]\nmode = \"") + bad + "\"\n");
        EXPECT_EQ(p.key, "socket.mode") << bad;
        EXPECT_EQ(p.line, 2U) << bad;
        EXPECT_EQ(p.message, rule + " (found \"" + bad + "\")") << bad;
    }

    // An integer (here 432 == 0660, as `mode = 0o660` would also give) is refused with advice.
    const Problem p = only_problem("[socket]\nmode = 432\n");
    EXPECT_EQ(p.key, "socket.mode");
    EXPECT_EQ(p.message,
              rule + " (found the integer 432; write it in quotes, e.g. mode = \"0660\")");
    EXPECT_THAT(only_problem("[socket]\nmode = 0o660\n").message,
                HasSubstr("found the integer 432"));
    EXPECT_EQ(only_problem("[socket]\nmode = true\n").message, rule + " (found a boolean)");
}

TEST(ConfigPaths, RelativePathsRejected) {
    // Verifies that every path setting must be absolute, and is left at its default when it is not.
    for (const auto& [table, key] : std::vector<std::pair<std::string, std::string>>{
             {"daemon", "state_dir"}, {"socket", "path"}, {"key", "file"}}) {
        for (const char* bad : {"var/lib/x", "./x", "", "~/x"}) {
            const Loaded loaded =
                parse("[" + table + "]\n" + key + " = \"" + bad + "\"\n", "test.conf");
            ASSERT_EQ(loaded.problems.size(), 1U) << key << " " << bad;
            EXPECT_EQ(loaded.problems[0].key, table + "." + key);
            EXPECT_EQ(loaded.problems[0].line, 2U);
            EXPECT_EQ(loaded.problems[0].message,
                      std::string("must be an absolute path (found \"") + bad + "\")");
            EXPECT_EQ(loaded.config, Config{});
        }
    }
}

TEST(ConfigPaths, ControlCharactersRejected) {
    // Verifies that a path with a control character (even NUL, which TOML allows escaped) is
    // refused.
    const Problem p = only_problem("[key]\nfile = \"/etc/a\\u0000b\"\n");
    EXPECT_EQ(p.key, "key.file");
    EXPECT_THAT(p.message, HasSubstr("must not contain control characters"));
}

TEST(ConfigPaths, SocketPathLength) {
    // Verifies that the socket path may be 107 bytes (sun_path less its NUL) but not 108.
    const std::string ok = "/" + std::string(106, 's');
    const Loaded loaded = parse("[socket]\npath = \"" + ok + "\"\n", "t");
    EXPECT_TRUE(loaded.problems.empty());
    EXPECT_EQ(loaded.config.socket_path, ok);

    const Problem p = only_problem("[socket]\npath = \"/" + std::string(107, 's') + "\"\n");
    EXPECT_EQ(p.key, "socket.path");
    EXPECT_EQ(p.line, 2U);
    EXPECT_EQ(p.message,
              "must be at most 107 bytes, the limit of a Unix socket address (found 108 bytes)");
}

TEST(ConfigNames, ServiceAccountName) {
    // Verifies the [daemon] user rule [a-z_][a-z0-9_-]{0,31}.
    for (const char* ok :
         {"strongroom", "_sr", "a", "sr-2_x", "abcdefghijklmnopqrstuvwxyz012345"}) {
        const Loaded loaded = parse(std::string("[daemon]\nuser = \"") + ok + "\"\n", "t");
        EXPECT_TRUE(loaded.problems.empty()) << ok;
        EXPECT_EQ(loaded.config.user, ok);
    }
    for (const char* bad :
         {"", "Root", "9lives", "-x", "a.b", "a b", "abcdefghijklmnopqrstuvwxyz0123456", "ü"}) {
        const Problem p = only_problem(std::string("[daemon]\nuser = \"") + bad + "\"\n");
        EXPECT_EQ(p.key, "daemon.user") << bad;
        EXPECT_THAT(p.message, HasSubstr("must be a user name of 1 to 32 characters")) << bad;
    }
}

TEST(ConfigNames, MissionCode) {
    // Verifies the [mission] code rule: 2..16 of [A-Z0-9-], starting with a letter.
    for (const char* ok : {"AB", "UNMISS", "MINUSMA-2", "A234567890123456"}) {
        const Loaded loaded = parse(std::string("[mission]\ncode = \"") + ok + "\"\n", "t");
        EXPECT_TRUE(loaded.problems.empty()) << ok;
        EXPECT_EQ(loaded.config.mission_code, ok);
    }
    for (const char* bad : {"", "A", "unmiss", "2ND", "-AB", "AB_C", "A2345678901234567"}) {
        const Problem p = only_problem(std::string("[mission]\ncode = \"") + bad + "\"\n");
        EXPECT_EQ(p.key, "mission.code") << bad;
        EXPECT_EQ(p.message,
                  std::string("must be 2 to 16 characters of A-Z, 0-9 and '-', starting with a "
                              "letter (found \"") +
                      bad + "\")");
    }
}

TEST(ConfigFormat, OneLinePerProblem) {
    // Verifies the "source:line: key: message" layout and its shorter forms.
    EXPECT_EQ(format(Problem{"limits.max_frame_bytes", 12U, "must be x"}, "strongroomd.conf"),
              "strongroomd.conf:12: limits.max_frame_bytes: must be x");
    EXPECT_EQ(format(Problem{"limits.max_connections_per_uid", std::nullopt, "must be y"},
                     "strongroomd.conf"),
              "strongroomd.conf: limits.max_connections_per_uid: must be y");
    EXPECT_EQ(format(Problem{"", 3U, "TOML syntax error: z"}, "a.conf"),
              "a.conf:3: TOML syntax error: z");
    EXPECT_EQ(format(Problem{"", std::nullopt, "cannot open: No such file or directory"}, "a.conf"),
              "a.conf: cannot open: No such file or directory");
}

TEST(ConfigLoad, MissingOptionalFileGivesDefaults) {
    // Verifies that an absent file that is not required means the built-in defaults, without
    // problems.
    const TempDir dir;
    const Loaded loaded = load(dir.path() / "absent.conf", false);
    EXPECT_TRUE(loaded.problems.empty());
    EXPECT_EQ(loaded.source, "built-in defaults");
    EXPECT_EQ(loaded.config, Config{});
}

TEST(ConfigLoad, MissingRequiredFileIsAProblem) {
    // Verifies that an absent file given with --config is one problem carrying the errno text.
    const TempDir dir;
    const fs::path path = dir.path() / "absent.conf";
    const Loaded loaded = load(path, true);
    ASSERT_EQ(loaded.problems.size(), 1U);
    EXPECT_EQ(loaded.source, path.string());
    EXPECT_EQ(loaded.problems[0].key, "");
    EXPECT_FALSE(loaded.problems[0].line.has_value());
    EXPECT_EQ(format(loaded.problems[0], loaded.source),
              path.string() + ": cannot open: No such file or directory");
}

TEST(ConfigLoad, ReadsAFile) {
    // Verifies that load() parses an existing file and names it in problems with their lines.
    const TempDir dir;
    const fs::path good = dir.write("good.conf", kFullFile);
    for (const bool required : {false, true}) {
        const Loaded loaded = load(good, required);
        EXPECT_TRUE(loaded.problems.empty());
        EXPECT_EQ(loaded.source, good.string());
        EXPECT_EQ(loaded.config, parse(kFullFile, "x").config);
    }

    const fs::path bad = dir.write("bad.conf", "[limits]\nmax_frame_bytes = 12\n");
    const Loaded loaded = load(bad, false);
    ASSERT_EQ(loaded.problems.size(), 1U);
    EXPECT_EQ(format(loaded.problems[0], loaded.source),
              bad.string() +
                  ":2: limits.max_frame_bytes: must be an integer between 4096 and 16777216 "
                  "(found 12)");
}

TEST(ConfigLoad, UnreadableFiles) {
    // Verifies that a path that exists but cannot be read is a problem with the reason, even if
    // optional.
    const TempDir dir;

    // A symbolic link loop: exists, cannot be opened (ELOOP), whoever runs the test.
    fs::create_symlink("loop.conf", dir.path() / "loop.conf");
    Loaded loaded = load(dir.path() / "loop.conf", false);
    ASSERT_EQ(loaded.problems.size(), 1U);
    EXPECT_EQ(loaded.problems[0].message, "cannot open: Too many levels of symbolic links");

    // A directory is not a configuration file.
    loaded = load(dir.path(), false);
    ASSERT_EQ(loaded.problems.size(), 1U);
    EXPECT_EQ(loaded.problems[0].message, "is not a regular file");

    // A path through a regular file (ENOTDIR) is a mistake, not an absent file.
    const fs::path plain = dir.write("plain", "");
    loaded = load(plain / "strongroomd.conf", false);
    ASSERT_EQ(loaded.problems.size(), 1U);
    EXPECT_EQ(loaded.problems[0].message, "cannot open: Not a directory");
}

TEST(ConfigLoad, PermissionDenied) {
    // Verifies that a file without read permission gives "Permission denied" (as root: in a child
    // demoted to nobody).
    const TempDir dir;
    const fs::path path = dir.write("secret.conf", "[daemon]\nthreads = 3\n");
    fs::permissions(path, fs::perms::none);
    fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::others_exec);

    auto check = [&]() {
        const Loaded loaded = load(path, false);
        return loaded.problems.size() == 1 &&
               loaded.problems[0].message == "cannot open: Permission denied";
    };
    if (::geteuid() != 0) {
        EXPECT_TRUE(check());
        return;
    }
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        // 65534 is nobody/nogroup on Debian. 77: could not demote.
        if (::setgroups(0, nullptr) != 0 || ::setresgid(65534, 65534, 65534) != 0 ||
            ::setresuid(65534, 65534, 65534) != 0) {
            ::_exit(77);
        }
        ::_exit(check() ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77) {
        GTEST_SKIP() << "cannot drop privileges to test permissions as root";
    }
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(ConfigLoad, OversizedFileRefused) {
    // Verifies that a file larger than 1 MiB is refused before it is parsed.
    const TempDir dir;
    const fs::path big = dir.write("big.conf", std::string(1024 * 1024 + 1, '#'));
    const Loaded loaded = load(big, true);
    ASSERT_EQ(loaded.problems.size(), 1U);
    EXPECT_EQ(loaded.problems[0].message, "is larger than 1048576 bytes");

    const fs::path edge = dir.write("edge.conf", std::string(1024 * 1024, '#'));
    EXPECT_TRUE(load(edge, true).problems.empty());
}

}  // namespace
}  // namespace strongroom::config
