// Handlers about the daemon itself.
#include <boost/json/array.hpp>
#include <fmt/format.h>

#include "daemon/common/text.hpp"
#include "daemon/common/version.hpp"
#include "daemon/protocol/args.hpp"
#include "daemon/service/handlers.hpp"
#include "daemon/store/accounts.hpp"
#include "daemon/store/audit_log.hpp"
#include "daemon/store/disk.hpp"
#include "daemon/store/matrix.hpp"
#include "daemon/store/store.hpp"

namespace strongroom::service {
namespace json = boost::json;

Result<json::object> handle_status(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = "daemon";
    store::AccountRepository accounts(ctx.conn());
    store::AuditRepository audit(ctx.conn());
    const auto head = audit.head();

    json::object out;
    out["version"] = kVersion;
    out["schema_version"] = store::schema_version(ctx.conn());
    out["started"] = format_timestamp(ctx.facts.started_at);
    out["uptime_seconds"] = (ctx.now - ctx.facts.started_at) / 1000000;
    out["accounts"] = accounts.count();
    out["audit_entries"] = head ? head->first : 0;
    out["database_bytes"] = store::database_bytes(ctx.conn());
    json::object writer;
    writer["commits"] = ctx.facts.writer.commits;
    writer["items"] = ctx.facts.writer.items;
    writer["largest_batch"] = ctx.facts.writer.largest_batch;
    // Entries of requests answered before their entry was durable, and how
    // many of them took longer than the 10 ms DESIGN.md allows.
    writer["answered_early"] = ctx.facts.writer.early;
    writer["durable_after_10ms"] = ctx.facts.writer.early_late;
    writer["longest_wait_us"] = ctx.facts.writer.early_max_us;
    writer["pending"] = ctx.facts.writer_pending;
    // Commits that failed (disk full, I/O error) and were rolled back, the
    // changes answered with that error, the audit entries written again
    // after one, and those held now because none can be written.
    writer["failed_commits"] = ctx.facts.writer.failed_commits;
    writer["changes_failed"] = ctx.facts.writer.changes_failed;
    writer["entries_retried"] = ctx.facts.writer.entries_retried;
    writer["entries_held"] = ctx.facts.writer.held;
    writer["refused_unaudited"] = ctx.facts.refused_unaudited;
    out["writer"] = std::move(writer);
    if (ctx.facts.disk && ctx.facts.disk_options) {
        const auto& d = *ctx.facts.disk;
        const auto& o = *ctx.facts.disk_options;
        json::object disk;
        disk["state"] = store::to_string(d.level);
        disk["free_bytes"] = d.free_bytes;
        disk["total_bytes"] = d.total_bytes;
        disk["space_left_bytes"] = o.space_left_bytes;
        disk["admin_space_left_bytes"] = o.admin_space_left_bytes;
        disk["reserve_bytes"] = o.reserve_bytes;
        disk["reserve_held"] = d.reserve_bytes > 0;
        disk["full_events"] = d.full_events;
        disk["accepting_changes"] = d.level != store::DiskLevel::critical;
        out["disk"] = std::move(disk);
    }
    if (ctx.facts.faults_injected) {
        out["faults_injected"] = *ctx.facts.faults_injected;  // a test build's hook is enabled
    }
    // Separation of duties: assignments of officers and auditors left from
    // before the rule was enforced (they grant nothing; an officer ends them).
    json::array conflicts;
    for (const auto& c : store::MatrixRepository(ctx.conn()).oversight_conflicts(ctx.now)) {
        conflicts.push_back(json::object{
            {"account", c.account},
            {"post", c.post},
            {"fix", fmt::format("strongroom-admin post unassign {} {}", c.post, c.account)}});
    }
    out["duty_conflicts"] = std::move(conflicts);
    return out;
}

Result<json::object> handle_check(Context& ctx) {
    protocol::ArgReader args(ctx.args);
    if (auto err = args.finish()) {
        return *err;
    }
    ctx.audit.object = "database";
    const auto started = now_micros();
    const auto report = store::check_integrity(ctx.conn());
    json::object out;
    out["intact"] = report.ok;
    out["pages"] = report.pages;
    json::array problems;
    for (const auto& p : report.problems) {
        problems.emplace_back(p);
    }
    out["problems"] = std::move(problems);
    out["milliseconds"] = (now_micros() - started) / 1000;
    ctx.audit.reason =
        report.ok ? fmt::format("integrity check: {} pages intact", report.pages)
                  : fmt::format("integrity check: {} problems, first: {}", report.problems.size(),
                                printable(report.problems.front(), 120));
    return out;
}

}  // namespace strongroom::service
