// strongroomd: start-up, serving and shutdown.
//
// Start-up, in order: protect the process (no core dumps) → read the
// configuration → load the master key into locked memory → open the database
// (key check, migrations) → start the writer with the audit trail → open or
// adopt the socket → set no_new_privs → audit the start → serve and tell
// systemd READY=1. SIGTERM stops accepting, answers requests in progress,
// commits everything queued and exits 0.
//
// Start-up errors are exceptions caught here, logged once and turned into a
// non-zero exit with a message an operator can act on.

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <fmt/format.h>
#include <systemd/sd-daemon.h>

#include "daemon/audit/trail.hpp"
#include "daemon/common/faults.hpp"
#include "daemon/common/fd.hpp"
#include "daemon/common/files.hpp"
#include "daemon/common/text.hpp"
#include "daemon/common/time.hpp"
#include "daemon/common/version.hpp"
#include "daemon/config/config.hpp"
#include "daemon/crypto/key_source.hpp"
#include "daemon/crypto/key_vault.hpp"
#include "daemon/log/log.hpp"
#include "daemon/maintenance/backups.hpp"
#include "daemon/maintenance/rekey.hpp"
#include "daemon/maintenance/restore.hpp"
#include "daemon/server/server.hpp"
#include "daemon/service/service.hpp"
#include "daemon/store/audit_log.hpp"
#include "daemon/store/disk.hpp"
#include "daemon/store/fault_vfs.hpp"
#include "daemon/store/store.hpp"
#include "daemon/strongroomd/manual_pages.hpp"
#include "daemon/strongroomd/provision.hpp"
#include "hardening/process.hpp"
#include "hardening/sandbox.hpp"

namespace sr = strongroom;
namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

struct CommandLine {
    std::optional<std::string> config;
    std::optional<std::string> state_dir;
    std::optional<std::string> socket;
    std::optional<std::string> key_file;
    std::optional<std::string> dev;
    bool check_config = false;
    bool print_config = false;
    bool print_example = false;
    bool version = false;
    std::optional<std::string> restore;  // a backup to restore, the daemon stopped
    std::optional<std::string> rekey;    // a new master key file, the daemon stopped

    // Provisioning the master key (provision.hpp), as root, then exit.
    bool provision_key = false;
    std::optional<std::string> recover_key;  // the escrow copy whose key to provision
    std::optional<std::string> credstore;
    std::optional<std::string> seal;
    std::optional<std::string> escrow;
};

// A start-up failure: logged once and shown to the operator.
struct Fatal : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The development clock: with --dev, STRONGROOM_DEV_CLOCK=FILE moves the
// daemon's clock by the offset FILE holds ("+3d"; time.hpp), read at start
// and every second while serving (the file is opened once, before the
// sandbox, and read again in place: rewrite it, do not replace it). Without
// --dev the variable is ignored, with a warning.
struct DevClock {
    int fd = -1;
    std::string path;

    // Opens FILE and sets the offset it holds; Fatal if it holds none.
    void start(bool dev) {
        const char* v = std::getenv("STRONGROOM_DEV_CLOCK");
        if (v == nullptr || *v == '\0') {
            return;
        }
        if (!dev) {
            sr::log::emit(sr::log::msg::dev_clock,
                          "STRONGROOM_DEV_CLOCK is set but strongroomd is not in --dev mode: "
                          "ignored (the development clock is for tests)");
            return;
        }
        path = v;
        fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            throw Fatal(fmt::format("STRONGROOM_DEV_CLOCK: cannot open {}: {}",
                                    sr::escape_controls(path), std::strerror(errno)));
        }
        std::string problem;
        if (!refresh(problem)) {
            throw Fatal(fmt::format("STRONGROOM_DEV_CLOCK: {}", problem));
        }
        sr::log::emit(sr::log::msg::dev_clock,
                      fmt::format("development clock (--dev, STRONGROOM_DEV_CLOCK={}): the "
                                  "daemon's clock runs {} s {} the system's; a test hook",
                                  sr::escape_controls(path), std::abs(sr::clock_offset()) / 1000000,
                                  sr::clock_offset() < 0 ? "behind" : "ahead of"));
    }

    // Reads the offset again; false (the clock unchanged) if the file does
    // not hold one.
    bool refresh(std::string& problem) const {
        char buf[64];
        const ssize_t n = ::pread(fd, buf, sizeof buf, 0);
        if (n < 0) {
            problem =
                fmt::format("cannot read {}: {}", sr::escape_controls(path), std::strerror(errno));
            return false;
        }
        const std::string_view text(buf, static_cast<std::size_t>(n));
        const auto offset = sr::parse_clock_offset(text);
        if (!offset) {
            problem = fmt::format("{} holds \"{}\", not an offset such as +3d, -2h, +90m or +30s",
                                  sr::escape_controls(path), sr::escape_controls(text));
            return false;
        }
        sr::set_clock_offset(*offset);
        return true;
    }
};
DevClock g_dev_clock;

void fatal_message(const std::string& text) {
    sr::log::emit(sr::log::msg::startup_failed, text);
}

// True if something accepts connections on the Unix socket at path.
bool socket_answers(const fs::path& path) {
    const sr::Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const auto& p = path.native();
    if (!fd || p.size() >= sizeof addr.sun_path) {
        return false;
    }
    std::copy(p.begin(), p.end(), addr.sun_path);
    return ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
}

// Creates a directory with the given mode if it does not exist yet.
void ensure_directory(const fs::path& dir, mode_t mode) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            throw Fatal(fmt::format("{} exists and is not a directory", dir.string()));
        }
        return;
    }
    std::error_code ec;
    fs::create_directories(dir.parent_path(), ec);
    if (::mkdir(dir.c_str(), mode) != 0 && errno != EEXIST) {
        throw Fatal(
            fmt::format("cannot create the directory {}: {}", dir.string(), std::strerror(errno)));
    }
    ::chmod(dir.c_str(), mode);
}

// The uid and gid of a local account, if it exists.
std::optional<std::pair<uid_t, gid_t>> find_account(const std::string& name) {
    if (const passwd* pw = ::getpwnam(name.c_str())) {
        return std::make_pair(pw->pw_uid, pw->pw_gid);
    }
    return std::nullopt;
}

// Loads the configuration and applies the command line over it.
// The configuration file (or the defaults) with the command line's overrides,
// each override's origin recorded for --print-config.
sr::config::Loaded effective_loaded(const CommandLine& cl) {
    sr::config::Loaded loaded;
    if (cl.config) {
        loaded = sr::config::load(*cl.config, true);
    } else if (cl.dev) {
        loaded.source = "built-in defaults";  // --dev runs on the embedded defaults
    } else {
        loaded = sr::config::load(sr::config::kDefaultPath, false);
    }
    if (!loaded.problems.empty()) {
        std::string text;
        for (const auto& p : loaded.problems) {
            text += sr::config::format(p, loaded.source) + "\n";
        }
        text += fmt::format("{} problem(s) in the configuration; strongroomd did not start",
                            loaded.problems.size());
        throw Fatal(text);
    }
    auto& c = loaded.config;
    auto& from = loaded.origins;
    if (cl.dev) {
        const fs::path dir = fs::absolute(*cl.dev).lexically_normal();
        c.state_dir = dir;
        c.socket_path = dir / "strongroom.sock";
        c.socket_mode = 0666;
        c.key_file = dir / "dev.key";
        for (const char* key : {"daemon.state_dir", "socket.path", "socket.mode", "key.file"}) {
            from[key] = "--dev";
        }
    }
    if (cl.state_dir) {
        c.state_dir = fs::absolute(*cl.state_dir);
        from["daemon.state_dir"] = "--state-dir";
    }
    if (cl.socket) {
        c.socket_path = fs::absolute(*cl.socket);
        from["socket.path"] = "--socket";
    }
    if (cl.key_file) {
        c.key_file = fs::absolute(*cl.key_file);
        from["key.file"] = "--key-file";
    }
    return loaded;
}

// Everything that runs while serving; destroyed in reverse order.
class Daemon {
public:
    Daemon(const CommandLine& cl, sr::config::Config config)
        : cl_(cl), config_(std::move(config)) {}
    // The writer appends through the trail: it stops first, whatever path
    // led here.
    ~Daemon() {
        if (store_) {
            store_->stop();
        }
    }
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    // strongroomd --restore FILE: replaces the database with a backup and
    // replays every disposal since (restore.hpp), then exits. The daemon
    // must be stopped; the next start records the restore in the audit trail.
    int restore(const std::string& backup) {
        begin_offline("restoring");
        const auto vault = load_key(cl_.dev.has_value());
        const sr::maintenance::KeyBackups key_backups(config_.state_dir / "key-backups",
                                                      config_.key_backup_days);
        const auto report = sr::maintenance::restore_backup(config_.state_dir, fs::absolute(backup),
                                                            vault, key_backups, sr::now_micros());
        if (!report) {
            throw Fatal(report.error().message);
        }
        const auto summary = report->summary(backup);
        {
            std::ofstream note(config_.state_dir / sr::maintenance::kRestoredNote, std::ios::trunc);
            note << summary << "\n";
        }
        if (const auto account = service_account()) {
            hand_over_state(account->first, account->second);
        }
        std::cout << summary << "\n";
        return 0;
    }

    // strongroomd --rekey NEW_KEY_FILE: moves the store to a new master key
    // (rekey.hpp), then exits. The daemon must be stopped. The new key
    // replaces the key file (the old one is overwritten); a systemd
    // credential cannot be written here, so the operator is told to replace
    // it before the next start.
    int rekey(const std::string& new_key_file) {
        begin_offline("rekeying");
        const auto current = load_key(cl_.dev.has_value());
        const bool from_credential = key_origin_.starts_with("systemd credential");
        const fs::path source = fs::absolute(new_key_file);
        if (!from_credential && fs::exists(config_.key_file) &&
            fs::equivalent(source, config_.key_file)) {
            throw Fatal(fmt::format("{} is the key file in use: give the new key in another file",
                                    source.string()));
        }
        const auto account = find_account(config_.user);
        auto key =
            sr::crypto::load_master_key({source, false}, account ? account->first : ::geteuid());
        if (!key) {
            throw Fatal(fmt::format("the new key: {}", key.error().message));
        }
        const sr::crypto::KeyVault next(std::move(key).value());
        const sr::maintenance::KeyBackups key_backups(config_.state_dir / "key-backups",
                                                      config_.key_backup_days);
        const auto report =
            sr::maintenance::rekey_store(config_.state_dir, current, next, key_backups,
                                         {::getuid(), ::getpid()}, sr::now_micros());
        if (!report) {
            throw Fatal(report.error().message);
        }
        std::string where;
        if (from_credential) {
            where = fmt::format(
                "the credential {} still holds the retired key: encrypt {} with systemd-creds "
                "encrypt --name=strongroom.key and put it where LoadCredentialEncrypted= reads "
                "it before starting strongroomd",
                sr::crypto::kCredentialName, source.string());
        } else {
            install_key_file(source, config_.key_file);
            where = fmt::format(
                "the new key is installed as {} (the retired key there was "
                "overwritten); {} still holds it: keep it in the safe or shred it",
                config_.key_file.string(), source.string());
        }
        if (const auto owner = service_account()) {
            hand_over_state(owner->first, owner->second);
        }
        std::cout << report->summary() << "\n"
                  << report->key_backups_removed.size()
                  << " key-store backups removed; backups made before now open only with the "
                     "retired key: take a backup now\n"
                  << where << "\n";
        return 0;
    }

    sr::server::Options server_options() const {
        sr::server::Options sopts;
        sopts.limits.max_frame_bytes = config_.limits.max_frame_bytes;
        sopts.limits.max_json_depth = config_.limits.max_json_depth;
        sopts.read_timeout = std::chrono::milliseconds(config_.limits.read_timeout_ms);
        sopts.idle_timeout = std::chrono::milliseconds(config_.limits.idle_timeout_ms);
        sopts.max_connections = config_.limits.max_connections;
        sopts.max_connections_per_uid = config_.limits.max_connections_per_uid;
        sopts.max_unknown_connections = config_.limits.max_unknown_connections;
        sopts.max_unknown_connections_per_uid = config_.limits.max_unknown_connections_per_uid;
        sopts.unknown_idle_timeout =
            std::chrono::milliseconds(config_.limits.unknown_idle_timeout_ms);
        sopts.requests_per_second = config_.limits.requests_per_second;
        sopts.request_burst = config_.limits.request_burst;
        sopts.threads = config_.threads;
        return sopts;
    }

    // The server's calls into the service, each logged at the boundary.
    sr::server::Hooks server_hooks() {
        sr::server::Hooks hooks;
        // Internal errors are logged here, once, at the boundary.
        auto logged = [](sr::server::Reply reply, std::string op, sr::Peer peer) {
            return sr::service::Reply(
                [reply = std::move(reply), op = std::move(op), peer](
                    sr::protocol::Response response, std::unique_ptr<sr::ContentSource> content) {
                    if (response.error && response.error->code == sr::ErrorCode::internal) {
                        sr::log::emit(sr::log::msg::request_failed,
                                      fmt::format("{} from uid {} failed: {}", op, peer.uid,
                                                  response.error->message),
                                      {{"UID", std::to_string(peer.uid)}, {"OP", op}});
                    }
                    reply(std::move(response), std::move(content));
                });
        };
        hooks.request = [this, logged](const sr::Peer& peer, sr::protocol::Request request,
                                       sr::server::Reply reply) {
            auto wrapped = logged(std::move(reply), request.op, peer);
            service_->handle(peer, std::move(request), std::move(wrapped));
        };
        hooks.upload = [this, logged](const sr::Peer& peer, sr::protocol::Request request,
                                      sr::server::Reply reply) {
            auto wrapped = logged(std::move(reply), request.op, peer);
            return service_->upload(peer, std::move(request), std::move(wrapped));
        };
        hooks.malformed = [this](const sr::Peer& peer, const sr::Error& error) {
            sr::log::emit(sr::log::msg::malformed_request,
                          fmt::format("malformed request from uid {} (pid {}): {}; connection "
                                      "closed",
                                      peer.uid, peer.pid, error.message),
                          {{"UID", std::to_string(peer.uid)}, {"PID", std::to_string(peer.pid)}});
            service_->record_malformed(peer, error);
        };
        // Which budget a connection counts against: the service knows the
        // accounts (the server does not); connections are accepted only
        // once the service exists (server_->start() below).
        hooks.known = [this](std::uint32_t uid) { return service_->is_known_caller(uid); };
        // Refusals by a limit, already gathered by the server (at most one
        // report per uid and kind every report_interval): logged and audited.
        hooks.refused = [this](const sr::server::Refusal& r) {
            const bool connection = r.kind == sr::server::Refusal::Kind::connection;
            const char* what = connection ? "connection" : "request";
            std::string text;
            if (r.period.count() == 0) {
                text = fmt::format("{} from uid {} (pid {}) refused: {}", what, r.peer.uid,
                                   r.peer.pid, r.reason);
            } else {
                text =
                    fmt::format("{} {}{} from uid {} refused in the last {:.1f} s (the last: {})",
                                r.count, what, r.count == 1 ? "" : "s", r.peer.uid,
                                std::chrono::duration<double>(r.period).count(), r.reason);
            }
            sr::log::emit(
                connection ? sr::log::msg::connection_refused : sr::log::msg::request_rate_limited,
                text,
                {{"UID", std::to_string(r.peer.uid)},
                 {"PID", std::to_string(r.peer.pid)},
                 {"COUNT", std::to_string(r.count)}});
            service_->record_refusal(
                r.peer, connection ? "connection.refused" : "request.rate_limited", text);
        };
        return hooks;
    }

    void open_disk() {
        try {
            sr::store::DiskOptions dopts;
            dopts.dir = config_.state_dir;
            dopts.reserve_bytes = std::uint64_t{config_.disk_reserve_mib} << 20;
            dopts.space_left_bytes = std::uint64_t{config_.disk_space_left_mib} << 20;
            dopts.admin_space_left_bytes = std::uint64_t{config_.disk_admin_space_left_mib} << 20;
            disk_.emplace(dopts);
        } catch (const std::exception& e) {
            throw Fatal(e.what());
        }
        disk_->on_change([](sr::store::DiskLevel from, sr::store::DiskLevel to,
                            const sr::store::DiskReading& r) { disk_changed(from, to, r); });
        if (disk_->level() != sr::store::DiskLevel::ok) {
            disk_changed(sr::store::DiskLevel::ok, disk_->level(), disk_->reading());
        }
    }

    void open_store(const sr::crypto::KeyVault& vault) {
        sr::store::StoreOptions so;
        so.state_dir = config_.state_dir;
        so.readers = config_.store_readers;
        so.cache_mib = config_.store_cache_mib;
        try {
            store_.emplace(so, vault, true);
        } catch (const sr::store::OpenError& e) {
            throw Fatal(e.what());
        }
        const auto& mig = store_->migration();
        sr::log::emit(
            sr::log::msg::database_opened,
            fmt::format(
                "database {} {} (schema version {}{})", store_->database_path().string(),
                store_->created() ? "created" : "opened", mig.to,
                mig.from != mig.to ? fmt::format(", migrated from {}", mig.from) : std::string()),
            {{"DATABASE", store_->database_path().string()}});
    }

    // The checkpoint file and its latest checkpoint.
    std::optional<sr::audit::Checkpoint> open_checkpoints(const sr::crypto::KeyVault& vault) {
        try {
            checkpoints_.emplace(config_.state_dir / "audit-checkpoints", vault.audit_mac());
        } catch (const std::exception& e) {
            throw Fatal(e.what());
        }
        std::optional<sr::audit::Checkpoint> latest;
        if (auto content = checkpoints_->read()) {
            for (const auto& c : content->checkpoints) {
                if (!latest || c.seq > latest->seq) {
                    latest = c;
                }
            }
        }

        return latest;
    }

    // Starts the audit trail and the writer; returns the truncation found,
    // if any.
    std::optional<std::string> start_trail(const sr::crypto::KeyVault& vault,
                                           const std::optional<sr::audit::Checkpoint>& latest) {
        // The trail continues from the newest entry already stored, or, if
        // entries a checkpoint saw are gone (the newest were removed), from
        // that checkpoint: the gap stays in the chain for audit verify to
        // name, and is never filled with other entries under the same numbers.
        auto head = sr::store::AuditRepository(store_->writer_connection()).head();
        std::optional<std::string> truncated;
        if (latest && latest->seq > (head ? head->first : 0)) {
            truncated = fmt::format(
                "audit entries {} to {} are missing although the checkpoint of {} recorded them: "
                "the newest entries were removed; the chain continues after entry {}",
                (head ? head->first : 0) + 1, latest->seq, sr::format_timestamp(latest->at),
                latest->seq);
            head = std::make_pair(latest->seq, latest->head);
            sr::log::emit(sr::log::msg::audit_truncated, *truncated);
        }
        trail_.emplace(vault.audit_mac(), head);
        trail_->set_checkpoints(
            &*checkpoints_, config_.audit_checkpoint_every, latest ? latest->seq : 0,
            [](const sr::audit::Checkpoint& c, const sr::Status& st) {
                const auto seq = std::to_string(c.seq);
                const auto mac = sr::to_hex(c.head);
                if (st) {
                    sr::log::emit(sr::log::msg::audit_checkpoint,
                                  fmt::format("audit checkpoint: entry {}, head {}", seq, mac),
                                  {{"SEQ", seq}, {"HEAD", mac}});
                } else {
                    sr::log::emit(
                        sr::log::msg::audit_checkpoint_failed,
                        fmt::format("audit checkpoint of entry {} (head {}) not written: {}", seq,
                                    mac, st.error().message),
                        {{"SEQ", seq}, {"HEAD", mac}});
                }
            });
        store_->start_writer(
            trail_->hooks(), [this](const std::string& reason) { audit_failed(reason); }, &*disk_,
            [this](const sr::store::Writer::TroubleReport& r) { writer_trouble(r); });

        return truncated;
    }

    // The service, its start-up clean-ups, and the start-up's audit events.
    void start_service(const sr::crypto::KeyVault& vault, const std::string& where,
                       const std::string& sandbox, const std::optional<std::string>& truncated,
                       const std::vector<std::string>& finished) {
        sr::service::ServiceOptions svc;
        svc.daemon_uid = ::geteuid();
        svc.daemon_pid = ::getpid();
        svc.vault = &vault;
        svc.checkpoints = &*checkpoints_;
        svc.mission_code = config_.mission_code;
        svc.key_backup_days = config_.key_backup_days;
        svc.state_dir = config_.state_dir;
        svc.disk = &*disk_;
        service_.emplace(*store_, svc);
        service_->remove_unfinished_uploads();
        const auto schedules = service_->add_built_in_schedules();
        service_->remove_unfinished_backups();

        service_->record_event(
            "daemon.start",
            fmt::format("strongroomd {} started: schema version {}, socket {}, key from {}; "
                        "sandbox: {}",
                        sr::kVersion, store_->migration().to, where, key_origin_, sandbox));

        if (truncated) {
            service_->record_event("audit.truncation", *truncated);
        }
        for (const auto& f : finished) {
            service_->record_event("rekey.finished", f);
        }
        if (const auto note = config_.state_dir / sr::maintenance::kRestoredNote;
            fs::exists(note)) {
            std::ifstream in(note);
            std::string text;
            std::getline(in, text);
            service_->record_event("restore", text);
            fs::remove(note);
        }
        for (const auto& conflict : service_->separation_conflicts()) {
            sr::log::emit(sr::log::msg::duty_conflict, conflict);
            service_->record_event("duties.conflict", conflict);
        }
        service_->expire_key_backups();
        if (!schedules.empty()) {
            std::string types;
            for (const auto& t : schedules) {
                types += (types.empty() ? "" : ", ") + t;
            }
            service_->record_event("retention.defaults",
                                   "built-in retention schedules added for " + types);
        }
    }

    void make_state_directories(bool dev) {
        if (dev) {
            // Other users reach the socket inside, but cannot list the directory.
            ensure_directory(config_.state_dir, 0711);
        } else {
            ensure_directory(config_.state_dir, 0700);
        }
        // Key-store backups, and backups being written (made now: the
        // sandbox allows no mkdir).
        ensure_directory(config_.state_dir / "key-backups", 0700);
        ensure_directory(config_.state_dir / "backup-tmp", 0700);
    }

    // The watchdog, the expiry of assignments and delegations, the
    // development clock and the disk check.
    void start_timers() {
        start_watchdog();
        expiry_.emplace(control_);
        arm_expiry();
        if (g_dev_clock.fd >= 0) {
            clock_timer_.emplace(control_);
            arm_dev_clock();
        }
        disk_timer_.emplace(control_);
        arm_disk_check();
    }

    // After serving: the stop audited, what is queued committed, the last
    // checkpoint written.
    int finish() {
        // Every connection is closed: commit what is queued, then stop.
        if (!store_->writer().failed()) {
            service_->record_event("daemon.stop",
                                   fmt::format("strongroomd stopped ({})", stop_reason_));
        }
        store_->stop();
        if (!store_->writer().failed()) {
            trail_->checkpoint_now();  // the head everything acknowledged ends at
        }
        sr::log::emit(sr::log::msg::stopped, fmt::format("strongroomd stopped ({})", stop_reason_));
        return exit_code_.load();
    }

    int run() {
        // Signals first: a SIGTERM during start-up is kept and handled as
        // soon as serving begins, instead of killing a half-started daemon.
        asio::signal_set signals(control_, SIGTERM, SIGINT);
        signals.async_wait([this](const boost::system::error_code& ec, int sig) {
            if (!ec) {
                begin_shutdown(fmt::format("signal {}", sig == SIGTERM ? "SIGTERM" : "SIGINT"), 0);
            }
        });
        signals_ = &signals;
        const bool dev = cl_.dev.has_value();
        make_state_directories(dev);

        server_.emplace(io_, server_options(), server_hooks());
        // The socket first: a second daemon must stop before it touches the
        // database. Clients that connect now wait until serving starts.
        const std::string where = open_socket();
        // And the state directory's lock: a daemon on another socket, or an
        // offline rekey or restore, must not use the same database.
        lock_state();

        vault_.emplace(load_key(dev));
        const auto& vault = *vault_;
        if (!vault.locked()) {
            sr::log::emit(sr::log::msg::key_not_locked,
                          "key memory could not be locked (RLIMIT_MEMLOCK); keys may be written "
                          "to swap");
        }

        enable_fault_injection(dev);

        open_disk();

        open_store(vault);

        // What a rekey interrupted by a crash left undone (the key in use has
        // just opened the database).
        const auto finished = sr::maintenance::finish_interrupted_rekey(config_.state_dir, vault);

        const auto latest = open_checkpoints(vault);

        // Everything needed is open: confine the process before any other
        // thread starts (hardening/sandbox.hpp has the order and why).
        const std::string sandbox = demote(where);

        const auto truncated = start_trail(vault, latest);

        start_service(vault, where, sandbox, truncated, finished);

        start_timers();

        server_->start();
        sd_notifyf(0, "READY=1\nSTATUS=serving on %s\nMAINPID=%lu", where.c_str(),
                   static_cast<unsigned long>(::getpid()));
        sr::log::emit(sr::log::msg::started,
                      fmt::format("strongroomd {} serving on {} (state {})", sr::kVersion, where,
                                  config_.state_dir.string()),
                      {{"SOCKET", where}, {"STATE_DIR", config_.state_dir.string()}});

        // This thread runs the acceptor, signals and the watchdog; the
        // server's worker threads serve the connections.
        io_.run();
        server_->join();
        signals_ = nullptr;

        return finish();
    }

private:
    sr::crypto::KeyVault load_key(bool dev) {
        sr::Result<sr::crypto::SecureBuffer> key = sr::make_error(sr::ErrorCode::internal, "");
        if (dev) {
            key = sr::crypto::load_or_create_dev_key(config_.key_file);
            key_origin_ = fmt::format("development key file {}", config_.key_file.string());
        } else {
            const auto source = sr::crypto::choose_key_source(std::getenv("CREDENTIALS_DIRECTORY"),
                                                              config_.key_file);
            // The key file may belong to root or to the service account (or,
            // when there is none, to whoever runs the daemon).
            const auto account = find_account(config_.user);
            key = sr::crypto::load_master_key(source, account ? account->first : ::geteuid());
            key_origin_ = source.from_credential
                              ? fmt::format("systemd credential {}", source.path.string())
                              : fmt::format("key file {}", source.path.string());
        }
        if (!key) {
            throw Fatal(key.error().message);
        }
        sr::log::emit(sr::log::msg::key_loaded,
                      fmt::format("master key loaded from {}", key_origin_));
        return sr::crypto::KeyVault(std::move(key).value());
    }

    // The start of an offline operation (restoring, rekeying): the state
    // directory and its subdirectories exist, no daemon answers on the
    // socket, and this process holds the state directory's lock.
    void begin_offline(const char* doing) {
        ensure_directory(config_.state_dir, cl_.dev ? 0711 : 0700);
        ensure_directory(config_.state_dir / "key-backups", 0700);
        ensure_directory(config_.state_dir / "backup-tmp", 0700);
        if (socket_answers(config_.socket_path)) {
            throw Fatal(fmt::format("strongroomd is running on {}: stop it before {}",
                                    config_.socket_path.string(), doing));
        }
        lock_state();
    }

    // Takes STATE_DIR/strongroomd.lock (flock, exclusive) for the life of the
    // process: one daemon, rekey or restore at a time uses a state directory.
    void lock_state() {
        const auto path = config_.state_dir / "strongroomd.lock";
        lock_fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (lock_fd_ < 0) {
            throw Fatal(fmt::format("cannot open {}: {}", path.string(), std::strerror(errno)));
        }
        if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
            throw Fatal(fmt::format(
                "another strongroomd (serving, rekeying or restoring) uses {}: stop it first",
                config_.state_dir.string()));
        }
    }

    // Puts the new key file's bytes in place of the key file, with the old
    // file's owner and mode (0400 and root for a new one): a copy, fsync'd,
    // renamed over it; the old file's blocks are overwritten.
    static void install_key_file(const fs::path& from, const fs::path& to) {
        struct stat old {};
        const bool existed = ::lstat(to.c_str(), &old) == 0 && S_ISREG(old.st_mode);
        const auto tmp = fs::path(to.string() + ".rekeying");
        const auto retired = fs::path(to.string() + ".retired");
        std::error_code ec;
        sr::maintenance::overwrite_and_remove(tmp);  // an interrupted run's copies of a key
        sr::maintenance::overwrite_and_remove(retired);
        sr::Fd in(::open(from.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        sr::Fd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                          existed ? (old.st_mode & 0600) : 0400));
        bool ok = in && out;
        char buf[256];
        for (ssize_t n = 0; ok && (n = ::read(in.get(), buf, sizeof buf)) != 0;) {
            ok = n > 0 && ::write(out.get(), buf, static_cast<std::size_t>(n)) == n;
        }
        ::explicit_bzero(buf, sizeof buf);
        ok = ok && (!existed || ::fchown(out.get(), old.st_uid, old.st_gid) == 0) &&
             ::fsync(out.get()) == 0;
        const int err = errno;
        in.reset();
        out.reset();
        if (ok && existed) {
            ok = ::link(to.c_str(), retired.c_str()) == 0;
        }
        if (!ok || ::rename(tmp.c_str(), to.c_str()) != 0) {
            sr::maintenance::overwrite_and_remove(tmp);
            fs::remove(retired, ec);
            throw Fatal(fmt::format(
                "the store is rekeyed, but the new key could not be installed as {} ({}): copy "
                "{} there (same owner and mode) before starting strongroomd",
                to.string(), std::strerror(err != 0 ? err : errno), from.string()));
        }
        if (existed) {
            sr::maintenance::overwrite_and_remove(retired);
        }
        sr::sync_directory(to.parent_path());
    }

    // The account to become when started as root: [daemon] user, or in --dev
    // mode "nobody" when that user does not exist on a development machine.
    std::optional<std::pair<uid_t, gid_t>> service_account() const {
        if (::geteuid() != 0) {
            return std::nullopt;  // already unprivileged (systemd's User=, or a developer)
        }
        if (auto account = find_account(config_.user)) {
            return account;
        }
        if (cl_.dev) {
            return find_account("nobody").value_or(std::make_pair(uid_t{65534}, gid_t{65534}));
        }
        throw Fatal(
            fmt::format("the service account {} does not exist: create it (the package's "
                        "sysusers entry does), or set [daemon] user",
                        config_.user));
    }

    // Gives the state directory and the files in it (but not a key file) to
    // the account the daemon becomes, so that it can use them now and after
    // a restart. Through directory descriptors, never following a symbolic
    // link: the account owns the directory, and a link it planted there must
    // not make root give it a file elsewhere.
    void hand_over_state(uid_t uid, gid_t gid) const {
        const sr::Fd dir(
            ::open(config_.state_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!dir) {
            throw Fatal(fmt::format("cannot open {}: {}", config_.state_dir.string(),
                                    std::strerror(errno)));
        }
        give_tree(dir.get(), config_.state_dir, uid, gid, true);
    }

    // The directory open at dir (named where), its regular files, and (at
    // the top) its subdirectories, key-backups/ and backup-tmp/, with theirs.
    void give_tree(int dir, const fs::path& where, uid_t uid, gid_t gid, bool top) const {
        if (::fchown(dir, uid, gid) != 0) {
            throw Fatal(fmt::format("cannot give {} to uid {}: {}", where.string(), uid,
                                    std::strerror(errno)));
        }
        sr::Fd listing(::dup(dir));
        DIR* d = listing ? ::fdopendir(listing.get()) : nullptr;
        if (d == nullptr) {
            throw Fatal(fmt::format("cannot list {}: {}", where.string(), std::strerror(errno)));
        }
        listing.release();  // the DIR owns it now
        std::vector<std::string> names;
        while (const dirent* e = ::readdir(d)) {
            const std::string name = e->d_name;
            if (name != "." && name != "..") {
                names.push_back(name);
            }
        }
        ::closedir(d);
        for (const auto& name : names) {
            const auto path = where / name;
            struct stat st {};
            if (path == config_.key_file ||
                ::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
                continue;
            }
            if (S_ISREG(st.st_mode) && st.st_nlink == 1) {
                // Replaced by a link since fstatat: the link itself changes owner.
                if (::fchownat(dir, name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0) {
                    throw Fatal(fmt::format("cannot give {} to uid {}: {}", path.string(), uid,
                                            std::strerror(errno)));
                }
            } else if (S_ISDIR(st.st_mode) && top) {
                const sr::Fd sub(
                    ::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
                if (!sub) {
                    continue;  // replaced by a link: left alone
                }
                give_tree(sub.get(), path, uid, gid, false);
            }
        }
    }

    // Applies the sandbox; returns its one-line summary.
    std::string demote(const std::string& socket_where) {
        sr::hardening::SandboxOptions so;
        if (const auto account = service_account()) {
            so.uid = account->first;
            so.gid = account->second;
            hand_over_state(account->first, account->second);
        }
        so.read_write.push_back(config_.state_dir);
        const fs::path socket_dir = config_.socket_path.parent_path();
        if (socket_where == config_.socket_path.string() && socket_dir != config_.state_dir) {
            so.remove_only.push_back(socket_dir);  // to remove the socket at stop
        }
        const char* notify = std::getenv("NOTIFY_SOCKET");
        so.allow_abstract_unix = notify != nullptr && notify[0] == '@';
        so.seccomp = sr::hardening::default_seccomp_action();
        auto report = sr::hardening::demote(so);
        if (!report) {
            throw Fatal(fmt::format("cannot confine the process, so strongroomd will not serve: {}",
                                    report.error().message));
        }
        const std::string summary = report->summary();
        sr::log::emit(sr::log::msg::hardening, fmt::format("sandbox applied: {}", summary));
        return summary;
    }

    // Adopts the socket systemd passes, or creates one at the configured path.
    std::string open_socket() {
        const int n = sd_listen_fds(1);
        if (n < 0) {
            throw Fatal(
                fmt::format("cannot read the sockets passed by systemd: {}", std::strerror(-n)));
        }
        if (n > 1) {
            throw Fatal(fmt::format("systemd passed {} sockets; strongroomd expects one", n));
        }
        if (n == 1) {
            const int fd = SD_LISTEN_FDS_START;
            if (sd_is_socket_unix(fd, SOCK_STREAM, 1, nullptr, 0) <= 0) {
                throw Fatal("the socket passed by systemd is not a listening Unix stream socket");
            }
            server_->adopt(fd);
            sr::log::emit(sr::log::msg::listening, "serving on the socket passed by systemd");
            return "socket passed by systemd";
        }
        try {
            server_->listen_path(config_.socket_path, config_.socket_mode);
        } catch (const std::runtime_error& e) {
            throw Fatal(e.what());
        }
        sr::log::emit(sr::log::msg::listening,
                      fmt::format("listening on {} (mode {:04o})", config_.socket_path.string(),
                                  config_.socket_mode));
        return config_.socket_path.string();
    }

    void start_watchdog() {
        std::uint64_t usec = 0;
        if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) {
            return;
        }
        watchdog_interval_ = std::chrono::microseconds(usec / 2);
        watchdog_limit_us_ = static_cast<std::int64_t>(usec);
        watchdog_.emplace(control_);
        arm_watchdog();
    }

    void arm_watchdog() {
        watchdog_->expires_after(watchdog_interval_);
        watchdog_->async_wait([this](const boost::system::error_code& ec) {
            if (ec || stopping_) {
                return;
            }
            // Only a live writer keeps the watchdog fed: a hung disk shows
            // up as a watchdog timeout and systemd restarts the daemon.
            const auto age = sr::now_micros() - store_->writer().last_heartbeat();
            if (!store_->writer().failed() && age < watchdog_limit_us_ + 2000000) {
                sd_notify(0, "WATCHDOG=1");
            }
            arm_watchdog();
        });
    }

    // Key-store backups expire while the daemon serves, not only at its
    // next start: a certificate says after which date no backup yields its
    // records.
    void arm_dev_clock() {
        clock_timer_->expires_after(std::chrono::seconds(1));
        clock_timer_->async_wait([this](const boost::system::error_code& ec) {
            if (ec || stopping_) {
                return;
            }
            std::string problem;
            if (!g_dev_clock.refresh(problem)) {
                sr::log::emit(sr::log::msg::dev_clock,
                              fmt::format("development clock unchanged: {}", problem));
            }
            arm_dev_clock();
        });
    }

    void arm_expiry() {
        expiry_->expires_after(std::chrono::seconds(config_.key_backup_check_seconds));
        expiry_->async_wait([this](const boost::system::error_code& ec) {
            if (ec || stopping_) {
                return;
            }
            if (!store_->writer().failed() &&
                store_->writer().blocked() == sr::store::Writer::Trouble::none) {
                service_->expire_key_backups();
            }
            arm_expiry();
        });
    }

    // Free space is looked at after commits; this timer looks while the
    // daemon is idle (changes refused), so that space freed is noticed and
    // changes are accepted again without a restart.
    void arm_disk_check() {
        disk_timer_->expires_after(std::chrono::seconds(config_.disk_check_seconds));
        disk_timer_->async_wait([this](const boost::system::error_code& ec) {
            if (ec || stopping_) {
                return;
            }
            disk_->check();
            arm_disk_check();
        });
    }

    // A level of free space crossed, either way (disk.hpp).
    static void disk_changed(sr::store::DiskLevel from, sr::store::DiskLevel to,
                             const sr::store::DiskReading& r) {
        const auto free_mib = std::to_string(r.free_bytes >> 20);
        const auto fields = {sr::log::Field{"FREE_MIB", free_mib},
                             sr::log::Field{"DISK_STATE", std::string(sr::store::to_string(to))}};
        using L = sr::store::DiskLevel;
        if (to == L::critical) {
            sr::log::emit(
                sr::log::msg::disk_critical,
                fmt::format("the state directory's file system {} ({} MiB free{}): "
                            "changes are refused until space is freed; reads and "
                            "refusals go on, audited",
                            r.full ? "is full" : "is below [disk] admin_space_left_mib", free_mib,
                            r.reserve_released ? ", reserve released for the audit trail" : ""),
                fields);
        } else if (to == L::low) {
            sr::log::emit(
                sr::log::msg::disk_low,
                fmt::format("the state directory's file system is below [disk] "
                            "space_left_mib ({} MiB free){}: free space before changes are "
                            "refused",
                            free_mib, from == L::critical ? "; changes are accepted again" : ""),
                fields);
        } else {
            sr::log::emit(sr::log::msg::disk_ok,
                          fmt::format("the state directory's file system has {} MiB free again: "
                                      "serving normally",
                                      free_mib),
                          fields);
        }
    }

    void writer_trouble(const sr::store::Writer::TroubleReport& r) {
        using E = sr::store::Writer::TroubleReport::Event;
        const std::string cause = r.trouble == sr::store::Writer::Trouble::disk_full
                                      ? "the file system is full"
                                      : "an I/O error";
        switch (r.event) {
            case E::failed:
                sr::log::emit(sr::log::msg::commit_failed,
                              fmt::format("a commit failed ({}: {}) and was rolled back: {} "
                                          "change(s) refused with that error, {} audit entries "
                                          "written again",
                                          cause, r.reason, r.changes, r.entries));
                break;
            case E::blocked:
                sr::log::emit(sr::log::msg::audit_blocked,
                              fmt::format("the audit trail cannot be written ({}: {}): "
                                          "strongroomd holds {} audit entries, answers nothing "
                                          "and tries again until it can; do not restart it",
                                          cause, r.reason, r.entries));
                break;
            case E::resumed:
                sr::log::emit(sr::log::msg::audit_resumed,
                              fmt::format("the audit trail is written again ({} held entries "
                                          "stored); serving again",
                                          r.entries));
                break;
            case E::lost:
                exit_code_.store(1);  // not a clean stop: answered requests lack their entries
                sr::log::emit(sr::log::msg::audit_lost,
                              fmt::format("stopping while the audit trail cannot be written ({}): "
                                          "{} audit entries of requests answered are lost",
                                          cause, r.entries));
                break;
        }
    }

    // The test hook (faults.hpp): only with --dev and
    // STRONGROOM_FAULT_INJECTION=1; otherwise the variable is ignored.
    static void enable_fault_injection(bool dev) {
        const char* v = std::getenv("STRONGROOM_FAULT_INJECTION");
        if (v == nullptr || std::string_view(v) != "1") {
            return;
        }
        if (!dev) {
            sr::log::emit(sr::log::msg::fault_injection,
                          "STRONGROOM_FAULT_INJECTION is set but strongroomd is not in --dev "
                          "mode: ignored (fault injection is a test hook)");
            return;
        }
        sr::faults::enable();
        if (!sr::store::install_fault_vfs()) {
            throw Fatal("fault injection: cannot wrap SQLite's default VFS");
        }
        sr::faults::install_signal_arming();
        sr::log::emit(sr::log::msg::fault_injection,
                      "fault injection enabled (--dev, STRONGROOM_FAULT_INJECTION=1): SIGUSR2 "
                      "with a sigqueue value makes file and database writes fail; a test hook");
    }

    void audit_failed(const std::string& reason) {
        sr::log::emit(sr::log::msg::audit_failed,
                      fmt::format("the audit trail cannot be written ({}); strongroomd stops "
                                  "answering and exits",
                                  reason));
        asio::post(control_,
                   [this, reason] { begin_shutdown("audit trail failure: " + reason, 1); });
    }

    // Runs on the control strand, like the signal and watchdog handlers, so
    // that a cancelled timer cannot be re-armed behind its back.
    void begin_shutdown(const std::string& reason, int code) {
        if (stopping_.exchange(true)) {
            return;
        }
        stop_reason_ = reason;
        exit_code_.store(code);
        sd_notify(0, "STOPPING=1\nSTATUS=stopping");
        sr::log::emit(sr::log::msg::stopping, fmt::format("strongroomd stopping ({})", reason));
        if (signals_ != nullptr) {
            boost::system::error_code ignored;
            signals_->cancel(ignored);
        }
        if (expiry_) {
            expiry_->cancel();
        }
        if (disk_timer_) {
            disk_timer_->cancel();
        }
        if (watchdog_) {
            watchdog_->cancel();
        }
        server_->shutdown();
    }

    const CommandLine& cl_;
    sr::config::Config config_;
    std::string key_origin_;
    asio::io_context io_;
    // Serialises signals, the watchdog and shutdown.
    asio::strand<asio::io_context::executor_type> control_ = asio::make_strand(io_);
    std::optional<sr::crypto::KeyVault> vault_;  // outlives the store and the service
    std::optional<sr::store::DiskSpace> disk_;   // outlives the store's writer
    std::optional<sr::store::Store> store_;
    std::optional<sr::audit::CheckpointLog> checkpoints_;
    std::optional<sr::audit::Trail> trail_;
    std::optional<sr::service::Service> service_;
    std::optional<sr::server::Server> server_;
    std::optional<asio::steady_timer> watchdog_;
    std::optional<asio::steady_timer> expiry_;
    std::optional<asio::steady_timer> clock_timer_;
    std::optional<asio::steady_timer> disk_timer_;
    int lock_fd_ = -1;  // the state directory's lock, held until exit
    std::chrono::microseconds watchdog_interval_{0};
    std::int64_t watchdog_limit_us_ = 0;
    asio::signal_set* signals_ = nullptr;
    std::atomic<bool> stopping_{false};
    std::atomic<int> exit_code_{0};
    std::string stop_reason_ = "stopped";
};

}  // namespace

int main(int argc, char** argv) {
    // Before anything else: no core dump may ever hold key material.
    const auto protect = sr::hardening::protect_process();
    ::umask(0077);
    std::signal(SIGPIPE, SIG_IGN);
    // One malloc arena per worker thread would hold memory the daemon does
    // not need (RSS stays under 100 MiB); two serve two cores.
    ::mallopt(M_ARENA_MAX, 2);

    CommandLine cl;
    CLI::App app{"strongroomd: the Strongroom daemon (encrypted registry of classified material)",
                 "strongroomd"};
    app.add_option("--config", cl.config, "configuration file (TOML)")->option_text("FILE");
    app.add_option("--state-dir", cl.state_dir, "state directory (database)")->option_text("DIR");
    app.add_option("--socket", cl.socket, "socket path to listen on")->option_text("PATH");
    app.add_option("--key-file", cl.key_file, "master key file (root-owned, mode 0400)")
        ->option_text("FILE");
    app.add_option("--dev", cl.dev,
                   "development mode: state, socket (mode 0666) and a generated key in DIR, "
                   "logs to stderr; every hardening step still applies")
        ->option_text("DIR");
    app.add_flag("--check-config", cl.check_config,
                 "check the configuration, report every problem, and exit");
    app.add_flag("--print-config", cl.print_config,
                 "print the configuration in effect, with where each value comes from "
                 "(default, FILE:LINE or the option that set it), and exit");
    app.add_flag("--print-example-config", cl.print_example,
                 "print the example configuration file (every setting commented out, with its "
                 "default and what it does), and exit");
    app.add_flag("--version", cl.version, "print the version and exit");
    app.add_option("--restore", cl.restore,
                   "replace the database with a backup (strongroomd stopped), replay every "
                   "destruction and transfer since, and exit")
        ->option_text("BACKUP");
    app.add_option("--rekey", cl.rekey,
                   "move the store to the master key in FILE (strongroomd stopped): the database "
                   "and the record keys are encrypted again, the retired key kept to verify the "
                   "audit trail and certificates made under it; the new key replaces the key "
                   "file; then exit")
        ->option_text("NEW_KEY_FILE")
        ->excludes("--restore");
    auto* provision =
        app.add_flag("--provision-key", cl.provision_key,
                     "generate a new 256-bit master key and seal it as the systemd credential "
                     "strongroom.key in the credential store (to the TPM2 where there is one, "
                     "else to the host key), or with --seal file write a root-only key file; "
                     "refuses if a key is already there; as root, then exit")
            ->excludes("--restore", "--rekey", "--dev", "--check-config", "--print-config");
    app.add_option("--recover-key", cl.recover_key,
                   "decrypt an escrow copy made with --escrow (passphrase asked for once) and "
                   "provision its key as --provision-key does; as root, then exit")
        ->option_text("ESCROW")
        ->excludes("--restore", "--rekey", "--dev", "--check-config", "--print-config",
                   "--provision-key");
    app.add_option("--credstore", cl.credstore,
                   fmt::format("with --provision-key or --recover-key: where the credential "
                               "goes (created 0700 if absent; default {})",
                               sr::provision::kDefaultCredstore))
        ->option_text("DIR");
    app.add_option("--seal", cl.seal,
                   "with --provision-key or --recover-key: auto (TPM2 if usable, else the host "
                   "key; the default), tpm2, host, or file (a plain key file at [key] file or "
                   "--key-file, root-owned 0400)")
        ->option_text("auto|tpm2|host|file")
        ->check(CLI::IsMember({"auto", "tpm2", "host", "file"}));
    app.add_option("--escrow", cl.escrow,
                   "with --provision-key: also write a recovery copy for the safe, encrypted "
                   "under a passphrase (asked for twice; standard input when not a terminal) "
                   "in the format of openssl enc -aes-256-cbc -pbkdf2 -iter 600000 -md sha256 "
                   "-a, so that stock openssl decrypts it")
        ->option_text("FILE")
        ->needs(provision);
    // For the build, which installs the manual pages these print.
    if (argc == 2 && std::strcmp(argv[1], "--generate-manual") == 0) {
        std::cout << sr::daemon_manual::daemon_page(app);
        return std::cout.flush() ? 0 : 1;
    }
    if (argc == 2 && std::strcmp(argv[1], "--generate-config-manual") == 0) {
        std::cout << sr::daemon_manual::config_page();
        return std::cout.flush() ? 0 : 1;
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    if ((cl.credstore || cl.seal) && !cl.provision_key && !cl.recover_key) {
        std::cerr << "strongroomd: --credstore and --seal go with --provision-key or "
                     "--recover-key\n";
        return 2;
    }

    if (cl.version) {
        std::cout << "strongroomd " << sr::kVersion << "\n";
        return 0;
    }
    if (cl.print_example) {
        std::cout << sr::config::example();
        return 0;
    }

    sr::log::init(cl.dev || cl.check_config || ::isatty(STDERR_FILENO) != 0
                      ? sr::log::Target::stderr_lines
                      : sr::log::Target::journal);
    if (!protect) {
        fatal_message(protect.error().message);
        return 1;
    }

    try {
        if (cl.check_config) {
            sr::config::Loaded loaded = cl.config
                                            ? sr::config::load(*cl.config, true)
                                            : sr::config::load(sr::config::kDefaultPath, false);
            for (const auto& p : loaded.problems) {
                std::cerr << sr::config::format(p, loaded.source) << "\n";
            }
            if (!loaded.problems.empty()) {
                std::cerr << loaded.problems.size() << " problem(s) in " << loaded.source << "\n";
                return 1;
            }
            std::cout << "configuration OK (" << loaded.source << ")\n";
            return 0;
        }
        if (cl.print_config) {
            std::cout << sr::config::effective(effective_loaded(cl));
            return 0;
        }
        // Provisioning the master key: root's, before any demotion or
        // sandbox (those are in Daemon::run) and without the database.
        if (cl.provision_key || cl.recover_key) {
            if (const int refused = sr::provision::require_root(); refused != 0) {
                return refused;
            }
            const auto config = effective_loaded(cl).config;
            sr::provision::Options po;
            po.key_file = config.key_file;
            po.database = config.state_dir / "strongroom.db";
            if (cl.credstore) {
                po.credstore = fs::absolute(*cl.credstore).lexically_normal();
            }
            if (cl.seal) {
                po.seal = sr::provision::parse_seal(*cl.seal).value_or(po.seal);
            }
            if (cl.escrow) {
                po.escrow = fs::absolute(*cl.escrow).lexically_normal();
            }
            if (cl.recover_key) {
                return sr::provision::recover_key(fs::absolute(*cl.recover_key), po);
            }
            return sr::provision::provision_key(po);
        }
        auto loaded = effective_loaded(cl);
        // Every registry number begins with the mission's code: outside
        // --dev it is set on purpose before anything is numbered.
        if (!cl.dev && !cl.restore && !cl.rekey && loaded.origins.count("mission.code") == 0) {
            throw Fatal(fmt::format(
                "[mission] code is not set in {}: set it to the mission's registry code (2 to 16 "
                "of A-Z, 0-9 and -, starting with a letter; every registry number begins with "
                "it), for example code = \"UNMISS\" under [mission]; strongroomd did not start",
                loaded.source));
        }
        g_dev_clock.start(cl.dev.has_value());
        Daemon daemon(cl, std::move(loaded.config));
        if (cl.restore) {
            return daemon.restore(*cl.restore);
        }
        if (cl.rekey) {
            return daemon.rekey(*cl.rekey);
        }
        return daemon.run();
    } catch (const Fatal& e) {
        fatal_message(e.what());
        if (::isatty(STDERR_FILENO) == 0 && !cl.dev) {
            std::cerr << "strongroomd: " << e.what() << "\n";  // also when logging to the journal
        }
        return 1;
    } catch (const std::exception& e) {
        fatal_message(fmt::format("unexpected failure at start-up: {}", e.what()));
        if (::isatty(STDERR_FILENO) == 0 && !cl.dev) {
            std::cerr << "strongroomd: unexpected failure at start-up: " << e.what() << "\n";
        }
        return 1;
    }
}
