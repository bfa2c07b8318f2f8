// End-to-end tests of the foundation: the real daemon in --dev mode, the real
// tools run as root and as other Unix users.

#include <atomic>
#include <cstring>
#include <fstream>
#include <set>
#include <thread>

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "admin-tools/client/client.hpp"
#include "tests/integration/harness.hpp"

namespace strongroom::test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

std::string str(uid_t uid) {
    return std::to_string(uid);
}

constexpr uid_t kSecondOfficer = 61098;

// A daemon in a fresh directory, initialised with two officers: root and
// "second" (uid 61098), who approves what root proposes.
struct Fixture {
    TempDir tmp;
    fs::path state = tmp.path() / "state";
    std::optional<Daemon> daemon;

    explicit Fixture(std::vector<std::string> extra = {}) {
        daemon.emplace(state, std::move(extra));
        auto r = daemon->admin({"init", "--officer", "root", "--uid", "0", "--officer", "second",
                                "--uid", str(kSecondOfficer)});
        EXPECT_EQ(r.status, 0) << r.err;
    }
    Daemon& d() { return *daemon; }
    // An account with roles: root proposes it, the second officer approves.
    RunResult add_with_role(const std::string& name, uid_t uid, const std::string& role) {
        auto r =
            daemon->admin({"--json", "account", "add", name, "--uid", str(uid), "--role", role});
        if (r.status != 0) {
            return r;
        }
        const auto id = std::to_string(r.json().at("pending_id").as_int64());
        return daemon->admin({"pending", "approve", id}, kSecondOfficer);
    }
    void restart(std::vector<std::string> extra = {}) {
        EXPECT_EQ(daemon->stop(), 0) << daemon->log();
        daemon.reset();
        daemon.emplace(state, std::move(extra));
    }
};

// Raw connection for sending bytes the tools never would.
int raw_connect(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    timeval tv{15, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

void send_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n <= 0) {
            return;
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
}

std::string frame(std::uint8_t type, std::string_view payload) {
    std::string out;
    const auto n = static_cast<std::uint32_t>(payload.size());
    out.push_back(static_cast<char>(n >> 24));
    out.push_back(static_cast<char>(n >> 16));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n));
    out.push_back(static_cast<char>(type));
    out.append(payload);
    return out;
}

// Reads everything until the daemon closes the connection (or the timeout).
std::string read_until_closed(int fd) {
    std::string out;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
            break;
        }
        out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
}

// The error code in the first response frame of bytes, or "" if none.
std::string error_code_of(const std::string& bytes) {
    if (bytes.size() < 5) {
        return "";
    }
    boost::system::error_code ec;
    auto v = json::parse(std::string_view(bytes).substr(5), ec);
    if (ec || !v.is_object() || !v.as_object().contains("error")) {
        return "";
    }
    return json::value_to<std::string>(v.at("error").at("code"));
}

TEST(Bootstrap, OnlyOnceAndOnlyFromRoot) {
    // init is refused to a non-root uid, accepted once from root, then refused as already done.
    TempDir tmp;
    Daemon d(tmp.path() / "state");
    auto r = d.admin({"--json", "init", "--officer", "alice", "--uid", str(kAlice)}, kAlice);
    EXPECT_EQ(r.status, 3) << r.err;
    EXPECT_EQ(r.json().at("error").at("code"), "denied");

    r = d.admin({"init", "--officer", "root", "--uid", "0"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("initialised: officer root"), std::string::npos) << r.out;

    r = d.admin({"--json", "init", "--officer", "again", "--uid", str(kBob)});
    EXPECT_EQ(r.status, 5) << r.err;
    EXPECT_EQ(r.json().at("error").at("code"), "conflict");

    r = d.admin({"--json", "account", "list"});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.json().at("accounts").as_array().size(), 1U);
}

TEST(Accounts, UnknownAndSuspendedCallersAreRefused) {
    // An unknown uid gets denied (3); a suspended account likewise until it is reactivated.
    Fixture f;
    auto r = f.d().tool({"whoami"}, kStranger);
    EXPECT_EQ(r.status, 3);
    EXPECT_NE(r.err.find("has no Strongroom account"), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << "nothing on stdout that is not the answer";

    ASSERT_EQ(f.d().admin({"account", "add", "alice", "--uid", str(kAlice)}).status, 0);
    r = f.d().tool({"--json", "whoami"}, kAlice);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.json().at("name"), "alice");
    EXPECT_EQ(r.json().at("uid").to_number<std::int64_t>(), kAlice);

    ASSERT_EQ(f.d().admin({"account", "suspend", "alice"}).status, 0);
    r = f.d().tool({"--json", "whoami"}, kAlice);
    EXPECT_EQ(r.status, 3);
    EXPECT_EQ(r.json().at("error").at("code"), "denied");
    EXPECT_NE(r.err.find("suspended"), std::string::npos) << r.err;

    ASSERT_EQ(f.d().admin({"account", "reactivate", "alice"}).status, 0);
    EXPECT_EQ(f.d().tool({"whoami"}, kAlice).status, 0);
}

TEST(Accounts, OnlyOfficersAdministerAccounts) {
    // A registrar cannot add accounts; an auditor may list but not suspend; separation of duties
    // holds.
    Fixture f;
    ASSERT_EQ(f.add_with_role("reg", kAlice, "registrar").status, 0);
    ASSERT_EQ(f.add_with_role("aud", kBob, "auditor").status, 0);
    EXPECT_EQ(f.d().admin({"account", "add", "x", "--uid", str(kCarol)}, kAlice).status, 3);
    EXPECT_EQ(f.d().admin({"account", "list"}, kBob).status, 0);
    EXPECT_EQ(f.d().admin({"account", "suspend", "reg"}, kBob).status, 3);
    auto r = f.d().admin({"--json", "account", "add", "both", "--uid", str(kCarol), "--role",
                          "auditor", "--role", "officer"});
    EXPECT_EQ(r.status, 5);
    EXPECT_NE(r.err.find("separation of duties"), std::string::npos) << r.err;
    r = f.d().admin({"account", "add", "dup", "--uid", str(kAlice)});
    EXPECT_EQ(r.status, 5);
    EXPECT_NE(r.err.find("already belongs to account reg"), std::string::npos) << r.err;
    r = f.d().admin({"account", "add", "bad name!", "--uid", "61050"});
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(f.d().admin({"account", "show", "nobody"}).status, 4);
    r = f.d().admin({"account", "suspend", "root"});
    EXPECT_EQ(r.status, 5) << "an officer cannot suspend their own account";
}

TEST(Store, DataSurvivesARestart) {
    // Accounts added before SIGTERM are there after the daemon starts again.
    Fixture f;
    ASSERT_EQ(f.d().admin({"account", "add", "alice", "--uid", str(kAlice)}).status, 0);
    f.restart();
    auto r = f.d().tool({"--json", "whoami"}, kAlice);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.json().at("name"), "alice");
}

TEST(Store, WrongKeyIsRefusedAndTheFileIsUnchanged) {
    // With another master key the daemon exits non-zero, names the key, and changes no byte of the
    // database.
    Fixture f;
    ASSERT_EQ(f.d().admin({"account", "add", "alice", "--uid", str(kAlice)}).status, 0);
    EXPECT_EQ(f.d().stop(), 0);
    f.daemon.reset();
    const auto before = read_file(f.state / "strongroom.db");
    {
        std::ofstream key(f.state / "dev.key", std::ios::binary | std::ios::trunc);
        key << std::string(32, 'k');
    }
    const auto log = f.tmp.path() / "wrong.log";
    const pid_t pid = spawn({daemon_path(), "--dev", f.state.string()}, {}, log);
    EXPECT_EQ(wait_exit(pid, 30s), 1);
    const auto text = read_file(log);
    EXPECT_NE(text.find("master key"), std::string::npos) << text;
    EXPECT_NE(text.find("not modified"), std::string::npos) << text;
    EXPECT_EQ(read_file(f.state / "strongroom.db"), before);
    EXPECT_FALSE(fs::exists(f.state / "strongroom.sock")) << "a refused daemon leaves no socket";
}

TEST(Store, DamagedFileIsRefusedAndUnchanged) {
    // A database whose first page is damaged is refused as damaged (the key check matches),
    // unchanged.
    Fixture f;
    EXPECT_EQ(f.d().stop(), 0);
    f.daemon.reset();
    const auto db = f.state / "strongroom.db";
    {
        std::fstream io(db, std::ios::binary | std::ios::in | std::ios::out);
        io.seekp(1500);
        io.write("\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    }
    const auto before = read_file(db);
    const auto log = f.tmp.path() / "damaged.log";
    const pid_t pid = spawn({daemon_path(), "--dev", f.state.string()}, {}, log);
    EXPECT_EQ(wait_exit(pid, 30s), 1);
    const auto text = read_file(log);
    EXPECT_NE(text.find("damaged"), std::string::npos) << text;
    EXPECT_EQ(read_file(db), before);
}

TEST(Store, DatabaseFilesHoldNoPlaintext) {
    // A marker in an account name appears in no file of the state directory, running or stopped.
    Fixture f;
    const std::string marker = "zebra-marker-5521";
    ASSERT_EQ(f.d().admin({"account", "add", marker, "--uid", str(kAlice)}).status, 0);
    auto scan = [&] {
        for (const auto& e : fs::directory_iterator(f.state)) {
            if (e.is_regular_file()) {
                const auto bytes = read_file(e.path());
                EXPECT_EQ(bytes.find(marker), std::string::npos) << e.path();
                EXPECT_EQ(bytes.find("SQLite format 3"), std::string::npos) << e.path();
            }
        }
    };
    scan();  // the WAL holds the change now
    EXPECT_EQ(f.d().stop(), 0);
    f.daemon.reset();
    scan();  // checkpointed into the main file
}

TEST(Server, MalformedFramesAreRefusedWhileOthersAreServed) {
    // Oversized, truncated, deeply nested and garbage frames get an error or a closed
    // connection, while a well-behaved client keeps getting answers throughout.
    TempDir tmp;
    const auto conf = tmp.path() / "limits.conf";
    {
        std::ofstream c(conf);
        c << "[limits]\nread_timeout_ms = 500\nmax_json_depth = 16\n";
    }
    Fixture f({"--config", conf.string()});
    const std::string sock = f.d().socket();

    std::atomic<bool> done{false};
    std::atomic<int> ok{0};
    std::atomic<int> failed{0};
    std::thread good([&] {
        while (!done) {
            auto c = client::Connection::open(sock);
            if (!c) {
                ++failed;
                continue;
            }
            for (int i = 0; i < 20 && !done; ++i) {
                auto r = c->call("whoami", {});
                (r && !r->error) ? ++ok : ++failed;
                // Well-behaved: within the default request rate of a uid
                // (1000/s) however fast the build.
                std::this_thread::sleep_for(2ms);
            }
        }
    });

    {  // length far beyond the limit: refused before anything is allocated
        const int fd = raw_connect(sock);
        send_all(fd, std::string("\x7f\xff\xff\xff\x01", 5));
        EXPECT_EQ(error_code_of(read_until_closed(fd)), "bad_request");
        ::close(fd);
    }
    {  // unknown frame type
        const int fd = raw_connect(sock);
        send_all(fd, std::string("\x00\x00\x00\x02\x09{}", 7));
        EXPECT_EQ(error_code_of(read_until_closed(fd)), "bad_request");
        ::close(fd);
    }
    {  // truncated: the header promises more than ever comes; the read timeout closes it
        const int fd = raw_connect(sock);
        send_all(fd, frame(1, "{\"v\":1,\"id\":1,\"op\":\"whoami\"}").substr(0, 12));
        const auto start = std::chrono::steady_clock::now();
        EXPECT_EQ(read_until_closed(fd), "");
        EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
        ::close(fd);
    }
    {  // truncated and then closed by the client
        const int fd = raw_connect(sock);
        send_all(fd, frame(1, "{\"v\":1,\"id\":1,\"op\":\"whoami\"}").substr(0, 9));
        ::close(fd);
    }
    {  // nested deeper than the limit
        std::string deep = "{\"v\":1,\"id\":1,\"op\":\"whoami\",\"args\":{\"a\":";
        deep += std::string(200, '[') + std::string(200, ']') + "}}";
        const int fd = raw_connect(sock);
        send_all(fd, frame(1, deep));
        EXPECT_EQ(error_code_of(read_until_closed(fd)), "bad_request");
        ::close(fd);
    }
    {  // garbage bytes
        const int fd = raw_connect(sock);
        std::string garbage;
        for (int i = 0; i < 4096; ++i) {
            garbage.push_back(static_cast<char>((i * 7919) & 0xff));
        }
        send_all(fd, garbage);
        read_until_closed(fd);
        ::close(fd);
    }
    for (const char* bad : {"{\"v\":1,\"id\":1,\"op\":\"whoami\"} trailing",
                            "{\"v\":1,\"id\":1,\"op\":\"whoami\",\"extra\":1}",
                            "{\"v\":1,\"id\":1,\"op\":\"whoami\",\"op\":\"init\"}",
                            "{\"v\":2,\"id\":1,\"op\":\"whoami\"}", "[1,2,3]", "\"\xff\xfe\""}) {
        const int fd = raw_connect(sock);
        send_all(fd, frame(1, bad));
        EXPECT_EQ(error_code_of(read_until_closed(fd)), "bad_request") << bad;
        ::close(fd);
    }
    {  // a well-formed request for an operation that does not exist
        const int fd = raw_connect(sock);
        send_all(fd, frame(1, "{\"v\":1,\"id\":9,\"op\":\"launch.missiles\"}"));
        char buf[4096];
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        ASSERT_GT(n, 5);
        EXPECT_EQ(error_code_of(std::string(buf, static_cast<std::size_t>(n))), "bad_request");
        ::close(fd);
    }

    std::this_thread::sleep_for(200ms);
    done = true;
    good.join();
    EXPECT_GT(ok.load(), 0);
    EXPECT_EQ(failed.load(), 0);
    EXPECT_EQ(f.d().tool({"whoami"}).status, 0) << "the daemon keeps serving";
}

TEST(Server, ConnectionsPerUidAreCapped) {
    // Beyond the per-uid cap a connection is refused with `unavailable`; other uids are unaffected.
    TempDir tmp;
    const auto conf = tmp.path() / "cap.conf";
    {
        std::ofstream c(conf);
        c << "[limits]\nmax_connections_per_uid = 3\n";
    }
    Fixture f({"--config", conf.string()});
    ASSERT_EQ(f.d().admin({"account", "add", "alice", "--uid", str(kAlice)}).status, 0);
    // Three connections, each shown to be admitted by an answered request (the
    // tools' earlier connections may take a moment to be counted out).
    std::vector<int> held;
    const auto request = frame(1, "{\"v\":1,\"id\":1,\"op\":\"whoami\"}");
    for (int attempts = 0; held.size() < 3 && attempts < 100; ++attempts) {
        const int fd = raw_connect(f.d().socket());
        send_all(fd, request);
        char buf[4096];
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        const std::string answer(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
        if (n > 5 && error_code_of(answer).empty()) {
            held.push_back(fd);
        } else {
            ::close(fd);
            std::this_thread::sleep_for(50ms);
        }
    }
    ASSERT_EQ(held.size(), 3U);
    const int extra = raw_connect(f.d().socket());
    const auto answer = read_until_closed(extra);
    EXPECT_EQ(error_code_of(answer), "unavailable") << answer << "\n" << f.d().log();
    ::close(extra);
    const auto other = f.d().tool({"whoami"}, kAlice);
    EXPECT_EQ(other.status, 0) << other.err << "\n" << f.d().log();
    for (int fd : held) {
        ::close(fd);
    }
    // The daemon notices the closed connections asynchronously.
    int status = -1;
    for (int i = 0; i < 100 && status != 0; ++i) {
        std::this_thread::sleep_for(50ms);
        status = f.d().tool({"whoami"}).status;
    }
    EXPECT_EQ(status, 0) << "freed slots are usable again";
}

TEST(Server, SecondDaemonOnTheSameSocketIsRefused) {
    // A daemon whose socket path is answered by another daemon refuses to start.
    Fixture f;
    const auto log = f.tmp.path() / "second.log";
    const pid_t pid = spawn({daemon_path(), "--dev", f.state.string()}, {}, log);
    EXPECT_EQ(wait_exit(pid, 30s), 1);
    EXPECT_NE(read_file(log).find("already answering"), std::string::npos) << read_file(log);
    EXPECT_EQ(f.d().tool({"whoami"}).status, 0) << "the first daemon is unaffected";
}

TEST(Lifecycle, SigtermWithClientsConnectedAnswersAndExitsZero) {
    // SIGTERM with idle and busy connections: a change in flight is answered, the daemon exits 0,
    // and every acknowledged change is there after a restart.
    Fixture f;
    std::vector<int> idle;
    for (int i = 0; i < 4; ++i) {
        idle.push_back(raw_connect(f.d().socket()));
    }
    const int partial = raw_connect(f.d().socket());
    send_all(partial, std::string("\x00\x00", 2));

    std::vector<std::thread> writers;
    std::atomic<int> acknowledged{0};
    std::vector<std::string> acked_names(8);
    for (int i = 0; i < 8; ++i) {
        writers.emplace_back([&, i] {
            auto c = client::Connection::open(f.d().socket());
            if (!c) {
                return;
            }
            json::object args;
            args["name"] = "user" + std::to_string(i);
            args["uid"] = 62000 + i;
            auto r = c->call("account.add", args);
            if (r && !r->error) {
                acked_names[static_cast<std::size_t>(i)] = "user" + std::to_string(i);
                ++acknowledged;
            }
        });
    }
    std::this_thread::sleep_for(5ms);
    EXPECT_EQ(f.d().stop(), 0) << f.d().log();
    for (auto& t : writers) {
        t.join();
    }
    for (int fd : idle) {
        EXPECT_EQ(read_until_closed(fd), "") << "idle connections are closed";
        ::close(fd);
    }
    ::close(partial);
    f.daemon.reset();
    f.daemon.emplace(f.state);
    auto r = f.d().admin({"--json", "account", "list"});
    ASSERT_EQ(r.status, 0);
    std::set<std::string> present;
    const auto listed = r.json();
    for (const auto& a : listed.at("accounts").as_array()) {
        present.insert(json::value_to<std::string>(a.at("name")));
    }
    for (const auto& n : acked_names) {
        if (!n.empty()) {
            EXPECT_TRUE(present.count(n)) << n << " was acknowledged but is missing";
        }
    }
}

TEST(Lifecycle, ReadyWatchdogAndStoppingAreSentToNotifySocket) {
    // With NOTIFY_SOCKET set, the daemon sends READY=1 once serving, feeds the watchdog, and
    // sends STOPPING=1 on SIGTERM.
    TempDir tmp;
    const auto notify = tmp.path() / "notify.sock";
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, notify.c_str(), sizeof addr.sun_path - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
    // Like systemd's, the notification socket is writable by the service
    // account the daemon drops to.
    ::chmod(notify.c_str(), 0666);
    timeval tv{20, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);

    auto receive_until = [&](std::string_view want) {
        std::string all;
        char buf[4096];
        for (int i = 0; i < 20; ++i) {
            const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) {
                break;
            }
            all.append(buf, static_cast<std::size_t>(n)).push_back('\n');
            if (all.find(want) != std::string::npos) {
                break;
            }
        }
        return all;
    };
    Daemon d(tmp.path() / "state", {},
             {{"NOTIFY_SOCKET", notify.string()}, {"WATCHDOG_USEC", "400000"}});
    const auto ready = receive_until("READY=1");
    EXPECT_NE(ready.find("READY=1"), std::string::npos) << ready;
    EXPECT_NE(ready.find("STATUS=serving"), std::string::npos) << ready;
    // With WATCHDOG_USEC set, the watchdog is fed at half the interval.
    const auto fed = receive_until("WATCHDOG=1");
    EXPECT_NE(fed.find("WATCHDOG=1"), std::string::npos) << fed;
    ::kill(d.pid(), SIGTERM);
    const auto stopping = receive_until("STOPPING=1");
    EXPECT_NE(stopping.find("STOPPING=1"), std::string::npos) << stopping;
    EXPECT_EQ(d.stop(), 0);
    ::close(fd);
}

TEST(Lifecycle, SocketActivationThroughSystemdSocketActivate) {
    // Started by systemd-socket-activate, the daemon serves on the socket it was handed.
    TempDir tmp;
    const auto state = tmp.path() / "state";
    const auto sock = tmp.path() / "activated.sock";
    std::map<std::string, std::string> env;
    // spawn() always sets ASAN_OPTIONS (leak checks off in the sandbox);
    // systemd-socket-activate passes only what -E names.
    std::vector<std::string> argv{"/usr/bin/systemd-socket-activate", "-l", sock.string(),
                                  "-EASAN_OPTIONS"};
    for (const char* name : {"UBSAN_OPTIONS"}) {
        if (std::getenv(name) != nullptr) {
            env[name] = std::getenv(name);
            argv.push_back(std::string("-E") + name);
        }
    }
    argv.insert(argv.end(), {daemon_path(), "--dev", state.string()});
    const pid_t pid = spawn(argv, env, tmp.path() / "activate.log");
    ASSERT_TRUE(wait_for_socket(sock.string(), 10s)) << read_file(tmp.path() / "activate.log");
    auto r =
        run({admin_path(), "--socket", sock.string(), "init", "--officer", "root", "--uid", "0"});
    EXPECT_EQ(r.status, 0) << r.err << read_file(tmp.path() / "activate.log");
    r = run({tool_path(), "--socket", sock.string(), "--json", "whoami"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_FALSE(fs::exists(state / "strongroom.sock")) << "no socket of its own when activated";
    ::kill(pid, SIGTERM);
    EXPECT_EQ(wait_exit(pid, 30s), 0) << read_file(tmp.path() / "activate.log");
}

TEST(Tools, UnavailableWhenTheDaemonIsNotRunning) {
    // With no daemon, the tools exit 6 and say what to check, in text and in JSON.
    TempDir tmp;
    const auto sock = (tmp.path() / "none.sock").string();
    auto r = run({tool_path(), "--socket", sock, "whoami"});
    EXPECT_EQ(r.status, 6);
    EXPECT_NE(r.err.find("Is strongroomd running?"), std::string::npos) << r.err;
    RunOptions opts;
    opts.env["STRONGROOM_SOCKET"] = sock;
    r = run({admin_path(), "--json", "status"}, opts);
    EXPECT_EQ(r.status, 6);
    EXPECT_EQ(r.json().at("error").at("code"), "unavailable");
}

TEST(Tools, HelpOnEveryCommandAndUsageErrorsExitTwo) {
    // Every command and subcommand answers --help with exit 0; a usage error exits 2.
    const std::vector<std::vector<std::string>> admin_cmds{{},
                                                           {"init"},
                                                           {"account"},
                                                           {"account", "add"},
                                                           {"account", "list"},
                                                           {"account", "show"},
                                                           {"account", "suspend"},
                                                           {"account", "reactivate"},
                                                           {"compartment", "add"},
                                                           {"compartment", "list"},
                                                           {"post", "add"},
                                                           {"post", "assign"},
                                                           {"post", "unassign"},
                                                           {"post", "level"},
                                                           {"post", "list"},
                                                           {"grant"},
                                                           {"revoke"},
                                                           {"matrix"},
                                                           {"pending", "list"},
                                                           {"pending", "approve"},
                                                           {"status"}};
    for (auto cmd : admin_cmds) {
        cmd.insert(cmd.begin(), admin_path());
        cmd.push_back("--help");
        auto r = run(cmd);
        EXPECT_EQ(r.status, 0) << cmd[1];
        EXPECT_NE(r.out.find("Usage"), std::string::npos) << r.out;
    }
    for (auto cmd : std::vector<std::vector<std::string>>{{},
                                                          {"whoami"},
                                                          {"ingest"},
                                                          {"list"},
                                                          {"show"},
                                                          {"search"},
                                                          {"get"},
                                                          {"disseminate"},
                                                          {"delegate", "disseminate"}}) {
        cmd.insert(cmd.begin(), tool_path());
        cmd.push_back("--help");
        EXPECT_EQ(run(cmd).status, 0);
    }
    auto r = run({admin_path(), "--json", "account", "add", "x"});
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(r.json().at("error").at("code"), "bad_request");
    EXPECT_EQ(run({tool_path(), "frobnicate"}).status, 2);
    r = run({daemon_path(), "--version"});
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.out.find("strongroomd "), std::string::npos);
}

TEST(Config, CheckConfigReportsEachProblemWithKeyAndLine) {
    // --check-config lists every problem with the key and its line, and exits non-zero.
    TempDir tmp;
    const auto conf = tmp.path() / "bad.conf";
    {
        std::ofstream c(conf);
        c << "[daemon]\nthreads = 2\nbogus = 1\n[limits]\nmax_frame_bytes = 12\n";
    }
    auto r = run({daemon_path(), "--check-config", "--config", conf.string()});
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find(":3: daemon.bogus"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(":5: limits.max_frame_bytes"), std::string::npos) << r.err;

    const auto good = tmp.path() / "good.conf";
    {
        std::ofstream c(good);
        c << "[limits]\nmax_connections = 100\n";
    }
    r = run({daemon_path(), "--check-config", "--config", good.string()});
    EXPECT_EQ(r.status, 0) << r.err;

    // The daemon itself refuses to start on a bad file, with the same report.
    r = run({daemon_path(), "--config", conf.string(), "--dev", (tmp.path() / "s").string()});
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("daemon.bogus"), std::string::npos) << r.err;
}

TEST(Config, PrintConfigShowsEachValueAndWhereItComesFrom) {
    // --print-config: the configuration in effect, each value with its origin (the file's line,
    // an option, or the default); a file with a problem is refused like --check-config. The
    // example configuration parses, and with it the daemon prints only defaults.
    TempDir tmp;
    const auto conf = tmp.path() / "site.conf";
    {
        std::ofstream c(conf);
        c << "[store]\nreaders = 6\n\n[mission]\ncode = \"UNMISS\"\n";
    }
    auto r = run({daemon_path(), "--config", conf.string(), "--state-dir",
                  (tmp.path() / "state").string(), "--print-config"});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find(fmt::format("readers = 6  # {}:2\n", conf.string())), std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find(fmt::format("code = \"UNMISS\"  # {}:5\n", conf.string())),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("  # --state-dir\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("threads = 8  # default\n"), std::string::npos) << r.out;
    EXPECT_TRUE(r.err.empty()) << r.err;

    const auto bad = tmp.path() / "bad.conf";
    std::ofstream(bad) << "[store]\nreaders = 0\n";
    r = run({daemon_path(), "--config", bad.string(), "--print-config"});
    EXPECT_EQ(r.status, 1);
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_NE(r.err.find("store.readers"), std::string::npos) << r.err;

    r = run({daemon_path(), "--print-example-config"});
    ASSERT_EQ(r.status, 0) << r.err;
    const auto example = tmp.path() / "example.conf";
    std::ofstream(example) << r.out;
    r = run({daemon_path(), "--config", example.string(), "--print-config"});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out.find(example.string() + ":"), std::string::npos) << "the example sets a value\n"
                                                                     << r.out;
}

TEST(Keys, KeyFileReadableByOthersIsRefused) {
    // Outside --dev, a key file readable by group or others is refused with the fix to apply.
    TempDir tmp;
    const auto key = tmp.path() / "master.key";
    {
        std::ofstream k(key, std::ios::binary);
        k << std::string(32, 'a');
    }
    ::chmod(key.c_str(), 0644);
    const auto state = tmp.path() / "state";
    // Outside --dev the mission's code must be set: the message names the key.
    auto r = run({daemon_path(), "--state-dir", state.string(), "--socket",
                  (tmp.path() / "s.sock").string(), "--key-file", key.string()});
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("[mission] code is not set"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(state)) << "nothing is created before the code is set";
    const auto mission = tmp.path() / "mission.conf";
    std::ofstream(mission) << "[mission]\ncode = \"UNMISS\"\n";
    r = run({daemon_path(), "--config", mission.string(), "--state-dir", state.string(), "--socket",
             (tmp.path() / "s.sock").string(), "--key-file", key.string()});
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("chmod"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(state / "strongroom.db")) << "nothing is created without a key";

    ::chmod(key.c_str(), 0400);
    // Started as root outside --dev, it becomes the configured service account,
    // and refuses to start if there is none.
    r = run({daemon_path(), "--config", mission.string(), "--state-dir", state.string(), "--socket",
             (tmp.path() / "s.sock").string(), "--key-file", key.string()});
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("service account strongroom does not exist"), std::string::npos) << r.err;

    const auto conf = tmp.path() / "nobody.conf";
    {
        std::ofstream c(conf);
        c << "[daemon]\nuser = \"nobody\"\n[mission]\ncode = \"UNMISS\"\n";
    }
    // Links planted in the state directory (which the account owns) do not
    // make root give it what they point to.
    const auto target = tmp.path() / "root-only";
    std::ofstream(target) << "root's\n";
    ::chmod(target.c_str(), 0600);
    fs::create_directories(state / "key-backups");
    fs::create_symlink(target, state / "planted");
    fs::create_symlink(target, state / "key-backups" / "planted");
    const pid_t pid =
        spawn({daemon_path(), "--config", conf.string(), "--state-dir", state.string(), "--socket",
               (tmp.path() / "s.sock").string(), "--key-file", key.string()},
              {}, tmp.path() / "ok.log");
    EXPECT_TRUE(wait_for_socket((tmp.path() / "s.sock").string(), 30s))
        << read_file(tmp.path() / "ok.log");
    // Serving (the socket is bound before the hand-over; an answer comes after it).
    EXPECT_EQ(run({tool_path(), "--socket", (tmp.path() / "s.sock").string(), "whoami"}).status, 3);
    struct stat st {};
    ASSERT_EQ(::stat(state.c_str(), &st), 0);
    EXPECT_NE(st.st_uid, 0U) << "the state directory is the account's";
    ASSERT_EQ(::stat((state / "strongroom.db").c_str(), &st), 0);
    EXPECT_NE(st.st_uid, 0U);
    ASSERT_EQ(::stat(target.c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 0U) << "a planted link was followed";
    ::kill(pid, SIGTERM);
    EXPECT_EQ(wait_exit(pid, 30s), 0);
}

}  // namespace
}  // namespace strongroom::test
