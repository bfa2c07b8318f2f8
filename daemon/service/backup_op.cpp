// strongroom-admin backup (officers): a content backup streamed to the tool,
// and a key-store backup kept apart in the state directory (backups.hpp).
#include <cerrno>
#include <cstring>
#include <optional>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>

#include <boost/json/object.hpp>
#include <fmt/format.h>

#include "daemon/common/fd.hpp"
#include "daemon/common/files.hpp"
#include "daemon/crypto/key_vault.hpp"
#include "daemon/maintenance/backups.hpp"
#include "daemon/protocol/args.hpp"
#include "daemon/service/handlers.hpp"
#include "daemon/service/internal.hpp"
#include "daemon/service/service.hpp"
#include "daemon/store/backup.hpp"
#include "daemon/store/connection.hpp"
#include "daemon/store/register.hpp"
#include "daemon/store/store.hpp"

namespace strongroom::service {
namespace json = boost::json;

namespace {

// Written when first read (on a server thread, after the request's audit
// entry is durable), streamed, then removed. A backup that fails, or is not
// delivered whole, leaves nothing behind (neither its copy here nor its
// key-store backup) and is audited as failed, with the cause.
class BackupContent final : public ContentSource {
public:
    BackupContent(const Deps& deps, Micros taken, store::AuditRecord failure)
        : deps_(deps),
          taken_(taken),
          path_(deps.backup_tmp / fmt::format("backup-{}.db", taken)),
          failure_(std::move(failure)) {}
    ~BackupContent() override {
        fd_.reset();
        ::unlink(path_.c_str());
        ::unlink((path_.string() + "-journal").c_str());
        if (!done_ && !failed_) {
            fail(produced_ ? "the backup was not delivered whole (the connection ended first)"
                           : "the backup was not taken (the connection ended first)");
        }
    }
    BackupContent(const BackupContent&) = delete;
    BackupContent& operator=(const BackupContent&) = delete;

    // Taken before the answer, so that a failure is the answer (and is
    // audited as failed, with its cause).
    Status prepare() override {
        if (auto st = produce(); !st) {
            fail(st.error().message);
            return st;
        }
        return {};
    }

    Result<std::size_t> read(std::span<std::uint8_t> buffer) override {
        if (failed_) {
            return make_error(ErrorCode::internal, "the backup failed");
        }
        if (!fd_) {
            if (auto st = produce(); !st) {
                fail(st.error().message);
                return std::move(st).error();
            }
        }
        const auto n =
            retry_on_eintr([&] { return ::read(fd_.get(), buffer.data(), buffer.size()); });
        if (n > 0) {
            return static_cast<std::size_t>(n);
        }
        if (n == 0) {
            done_ = true;
            return std::size_t{0};
        }
        auto err = make_error(ErrorCode::internal,
                              fmt::format("cannot read the backup: {}", std::strerror(errno)));
        fail(err.message);
        return err;
    }

private:
    Status produce() {
        if (fd_) {
            return {};
        }
        produced_ = true;
        try {
            auto lease = deps_.readers->lease();
            auto& conn = lease.connection();
            store::ReadSnapshot snapshot(conn);
            store::write_content_backup(conn, path_, *deps_.vault);
            // The keys and the register of the same snapshot, apart.
            key_backup_ = deps_.key_backups->write(
                taken_, deps_.mission_code, store::all_record_keys(conn), store::all_disposed(conn),
                store::read_register(conn), *deps_.vault);
        } catch (const std::exception& e) {
            // Nothing half-written is kept (the copy is removed with this object).
            std::error_code ec;
            std::filesystem::remove(path_, ec);
            // A full disk or an I/O error: the daemon cannot do it now
            // (unavailable), and says which; anything else is internal.
            const auto where = deps_.backup_tmp.parent_path().string();
            const auto* sys = dynamic_cast<const std::system_error*>(&e);
            const auto kind = store::classify_write_failure(e);
            if (kind == store::WriteFailure::disk_full ||
                (sys != nullptr && is_out_of_space(sys->code().value()))) {
                return make_error(ErrorCode::unavailable,
                                  fmt::format("the backup could not be written: the file system "
                                              "of {} is full; free space there and take the "
                                              "backup again",
                                              where));
            }
            if (kind == store::WriteFailure::io_error || sys != nullptr) {
                return make_error(
                    ErrorCode::unavailable,
                    fmt::format(
                        "the backup could not be written in {} ({}): nothing was kept; "
                        "take it again, and if it fails again a technical officer must "
                        "check the disk",
                        where,
                        sys != nullptr ? sys->code().message() : store::describe_write_failure(e)));
            }
            return make_error(ErrorCode::internal,
                              fmt::format("the backup could not be written: {}", e.what()));
        }
        fd_.reset(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd_) {
            return make_error(ErrorCode::internal,
                              fmt::format("cannot open the backup: {}", std::strerror(errno)));
        }
        return {};
    }

    // Removes what was written and audits the failure.
    void fail(const std::string& cause) noexcept {
        failed_ = true;
        try {
            ::unlink(path_.c_str());
            ::unlink((path_.string() + "-journal").c_str());
            std::string removed;
            if (key_backup_) {
                removed = maintenance::overwrite_and_remove(*key_backup_)
                              ? fmt::format("; key-store backup {} removed",
                                            key_backup_->filename().string())
                              : fmt::format("; key-store backup {} could not be removed",
                                            key_backup_->string());
            } else {
                removed = fmt::format("; no key-store backup {} was kept",
                                      maintenance::KeyBackups::name_for(taken_));
            }
            auto audit = failure_;
            audit.at = now_micros();
            audit.decision = store::Decision::error;
            audit.content_digest.reset();
            audit.reason = fmt::format("backup failed: {}{}", cause, removed);
            if (deps_.writer != nullptr) {
                deps_.writer->submit_audit(std::move(audit));
            }
        } catch (...) {
            // Nothing more can be done from a destructor; the copy is gone.
        }
    }

    const Deps& deps_;
    Micros taken_;
    std::filesystem::path path_;
    store::AuditRecord failure_;
    std::optional<std::filesystem::path> key_backup_;
    Fd fd_;
    bool produced_ = false;
    bool done_ = false;
    bool failed_ = false;
};

}  // namespace

Result<json::object> handle_backup(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = "backup";
    // The copy is written in STATE_DIR/backup-tmp first: it must fit above
    // [disk] admin_space_left_mib, or it would fill the disk the audit trail
    // needs.
    if (ctx.deps.disk != nullptr) {
        const auto reading = ctx.deps.disk->reading();
        const auto needed = static_cast<std::uint64_t>(store::database_bytes(ctx.conn()));
        const auto floor = ctx.deps.disk->options().admin_space_left_bytes;
        if (reading.free_bytes < floor || reading.free_bytes - floor < needed) {
            ctx.audit.reason = "refused: no room for the backup's copy in the state directory";
            return make_error(
                ErrorCode::unavailable,
                fmt::format("a backup needs up to {} MiB in {} and its file system has {} MiB "
                            "free above [disk] admin_space_left_mib: free space there first",
                            (needed + (1 << 20) - 1) >> 20, ctx.deps.backup_tmp.string(),
                            reading.free_bytes > floor ? (reading.free_bytes - floor) >> 20 : 0));
        }
    }
    const auto name = maintenance::KeyBackups::name_for(ctx.now);
    ctx.audit.reason = fmt::format(
        "content backup without record keys or text index; key-store backup {} until {}", name,
        format_timestamp(ctx.deps.key_backups->expiry_of(ctx.now)));
    ctx.content = std::make_unique<BackupContent>(ctx.deps, ctx.now, ctx.audit);
    json::object out;
    out["taken"] = format_timestamp(ctx.now);
    out["key_backup"] = name;
    out["key_backup_expires"] = format_timestamp(ctx.deps.key_backups->expiry_of(ctx.now));
    return out;
}

void Service::remove_unfinished_backups() {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(deps_.backup_tmp, ec)) {
        std::filesystem::remove(entry.path(), ec);  // an interrupted backup's copy
    }
}

std::vector<std::string> Service::expire_key_backups() {
    const auto expired = key_backups_.remove_expired(now_micros());
    if (!expired.empty()) {
        std::string names;
        for (const auto& n : expired) {
            names += (names.empty() ? "" : ", ") + n;
        }
        record_event("backup.expired",
                     "key-store backups expired, overwritten and removed: " + names, false);
    }
    return expired;
}

}  // namespace strongroom::service
