#include "daemon/service/service.hpp"

#include <exception>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "daemon/common/faults.hpp"
#include "daemon/common/text.hpp"
#include "daemon/policy/access.hpp"
#include "daemon/service/internal.hpp"
#include "daemon/service/operations.hpp"
#include "daemon/store/accounts.hpp"

namespace strongroom::service {
namespace json = boost::json;
using protocol::Response;

store::AuditRecord begin_record(const Peer& peer, std::string_view request, Micros now) {
    store::AuditRecord r;
    r.at = now;
    r.uid = peer.uid;
    r.pid = peer.pid;
    r.request = std::string(request);
    return r;
}

policy::Subject subject_of(std::uint32_t uid, const store::AccountRow* row) {
    policy::Subject s;
    s.uid = uid;
    if (row != nullptr) {
        s.account = policy::Account{row->id, row->name, row->roles, row->suspended};
    }
    return s;
}

// The message a refused caller sees. An unknown uid is told how to get an
// account (but told the rule for the bootstrap, which needs no account);
// everything else is told the rule that refused it.
std::string refusal_message(const policy::Decision& d, const policy::Subject& s,
                            policy::Requirement::Kind kind) {
    if (d.code == ErrorCode::denied && !s.account && kind != policy::Requirement::Kind::bootstrap) {
        return fmt::format("uid {} has no Strongroom account; ask a technical officer to add one",
                           s.uid);
    }
    return d.reason;
}

// A failure (internal, or the daemon unable to do it now: disk space) is an
// error; every other refusal is a denial by a rule.
store::Decision decision_for(ErrorCode code) {
    return code == ErrorCode::internal || code == ErrorCode::unavailable ? store::Decision::error
                                                                         : store::Decision::deny;
}

Result<json::object> run_operation(const Invocation& call, const Deps& deps,
                                   store::AuditRecord& audit, Outputs& outputs) {
    const auto subject = subject_of(call.peer.uid, call.caller);
    if (call.caller != nullptr) {
        audit.account_id = call.caller->id;
        audit.account = call.caller->name;
    }
    const auto decision = policy::authorize(call.op.who, subject, call.accounts_exist);
    if (!decision.allowed) {
        audit.decision = store::Decision::deny;
        audit.reason = decision.reason;
        return make_error(decision.code, refusal_message(decision, subject, call.op.who.kind));
    }
    Context ctx{.peer = call.peer,
                .subject = subject,
                .caller = call.caller,
                .args = call.args,
                .db = call.db,
                .audit = audit,
                .now = now_micros(),
                .facts = call.facts,
                .deps = deps,
                .directory = call.directory,
                .content = nullptr,
                .changed_directory = false,
                .changed_records = {},
                .truncate_log = false};
    auto result = call.op.handler(ctx);
    outputs.content = std::move(ctx.content);
    outputs.changed_directory = ctx.changed_directory;
    outputs.changed_records = std::move(ctx.changed_records);
    outputs.truncate_log = ctx.truncate_log;
    if (!result) {
        audit.decision = decision_for(result.error().code);
        // A handler that refused by a rule names it in the audit reason; the
        // caller may be told less (a refused read says only not_found).
        audit.reason = fmt::format("{}; refused: {}", decision.reason,
                                   audit.reason.empty() ? result.error().message : audit.reason);
        return result;
    }
    audit.decision = store::Decision::allow;
    audit.reason = audit.reason.empty() ? decision.reason
                                        : fmt::format("{}; {}", decision.reason, audit.reason);
    return result;
}

namespace {}  // namespace

Response to_response(std::uint64_t id, Result<json::object>&& result) {
    if (!result) {
        return Response::failure(id, std::move(result).error());
    }
    return Response::success(id, std::move(result).value());
}

Error internal_error(const std::exception& e) {
    return make_error(ErrorCode::internal,
                      fmt::format("internal error: {}; see the daemon's log", e.what()));
}

Service::Service(store::Store& store, ServiceOptions options)
    : store_(store),
      options_(std::move(options)),
      records_(options_.record_cache_entries),
      key_backups_(options_.state_dir / "key-backups", options_.key_backup_days),
      deps_{.vault = options_.vault,
            .readers = &store.readers(),
            .mission_code = options_.mission_code,
            .records = &records_,
            .text_pacer = &text_pacer_,
            .checkpoints = options_.checkpoints,
            .writer = &store.writer(),
            .key_backup_days = options_.key_backup_days,
            .key_backups = &key_backups_,
            .backup_tmp = options_.state_dir / "backup-tmp",
            .disk = options_.disk},
      started_at_(now_micros()),
      identities_([&store] {
          auto lease = store.readers().lease();
          store::ReadSnapshot snapshot(lease.connection());
          return load_directory(lease.connection(), now_micros());
      }) {}

void Service::handle(const Peer& peer, protocol::Request request, Reply reply) {
    const Micros now = now_micros();
    if (refused_while_unavailable(request, reply)) {
        return;
    }
    const Operation* op = find_operation(request.op);
    if (op == nullptr) {
        refuse_unknown(peer, request, reply, now);
        return;
    }
    auto& writer = store_.writer();
    if (op->mode == Mode::upload) {
        auto audit = begin_record(peer, op->name, now);
        audit.decision = store::Decision::deny;
        audit.reason = "content must follow this request (stream: true)";
        writer.submit_audit(std::move(audit));
        reply(Response::failure(
            request.id,
            make_error(ErrorCode::bad_request,
                       fmt::format("{} needs content to follow the request", op->name))));
        return;
    }
    const auto facts = facts_for(*op);
    if (op->mode == Mode::read) {
        run_read(*op, peer, request, facts, reply, now);
        return;
    }
    if (refused_for_space(*op, peer, request, reply, now)) {
        return;
    }
    run_change(*op, peer, std::move(request), facts, std::move(reply), now);
}

// Fail closed: without an audit trail nothing is answered. While the writer
// is blocked (the disk full, an I/O error), the same answer names the cause,
// and serving resumes by itself once entries can be written.
bool Service::refused_while_unavailable(const protocol::Request& request, const Reply& reply) {
    auto& writer = store_.writer();
    if (!writer.failed() && writer.blocked() == store::Writer::Trouble::none) {
        return false;
    }
    refused_unaudited_.fetch_add(1, std::memory_order_relaxed);
    reply(Response::failure(request.id,
                            make_error(ErrorCode::unavailable, writer.unavailable_message())));
    return true;
}

void Service::refuse_unknown(const Peer& peer, const protocol::Request& request, const Reply& reply,
                             Micros now) {
    auto audit = begin_record(peer, request.op, now);
    audit.decision = store::Decision::deny;
    audit.reason = "unknown operation";
    store_.writer().submit_audit(std::move(audit));
    reply(Response::failure(request.id,
                            make_error(ErrorCode::bad_request,
                                       fmt::format("unknown operation \"{}\"; the daemon may be "
                                                   "older than this tool",
                                                   printable(request.op, 48)))));
}

DaemonFacts Service::facts_for(const Operation& op) {
    DaemonFacts facts;
    facts.started_at = started_at_;
    if (op.name == "status") {
        auto& writer = store_.writer();
        facts.writer = writer.stats();
        facts.writer_pending = writer.pending();
        if (options_.disk != nullptr) {
            facts.disk = options_.disk->reading();
            facts.disk_options = options_.disk->options();
        }
        facts.refused_unaudited = refused_unaudited_.load(std::memory_order_relaxed);
        if (faults::enabled()) {
            facts.faults_injected = faults::injected();
        }
    }
    return facts;
}

void Service::run_read(const Operation& op, const Peer& peer, const protocol::Request& request,
                       const DaemonFacts& facts, const Reply& reply, Micros now) {
    auto& writer = store_.writer();
    auto audit = begin_record(peer, op.name, now);
    Result<json::object> result = make_error(ErrorCode::internal, "not run");
    try {
        // Authentication from the identity cache; the handler's own reads
        // (if any) from a reader in one snapshot.
        const auto identities = identities_.current();
        const auto* caller = identities->find(peer.uid);
        LazyReader db(store_.readers());
        Outputs outputs;
        result = run_operation({.op = op,
                                .peer = peer,
                                .caller = caller,
                                .accounts_exist = true,
                                .args = request.args,
                                .db = db,
                                .facts = facts,
                                .directory = &identities->dir},
                               deps_, audit, outputs);
    } catch (const std::exception& e) {
        audit.decision = store::Decision::error;
        audit.reason = fmt::format("internal error: {}", e.what());
        result = internal_error(e);
    }
    {
        // A read is answered only once its audit entry is durable (and
        // refused if it cannot be written): an answer sent first could
        // outlive an entry lost to a full disk, a failed commit or a
        // SIGKILL. The writer commits it with the batch it is starting
        // now, together with every read that arrived meanwhile.
        auto shared = std::make_shared<Result<json::object>>(std::move(result));
        const auto id = request.id;
        writer.submit_audit(std::move(audit), [reply, shared, id](const Status& durable) {
            if (!durable) {
                reply(Response::failure(id, durable.error()));
                return;
            }
            reply(to_response(id, std::move(*shared)));
        });
    }
}

// Too little space for changes: refused at once, and audited.
bool Service::refused_for_space(const Operation& op, const Peer& peer,
                                const protocol::Request& request, const Reply& reply, Micros now) {
    if (options_.disk == nullptr || options_.disk->accepting_changes()) {
        return false;
    }
    auto audit = begin_record(peer, op.name, now);
    if (const auto identities = identities_.current();
        const auto* caller = identities->find(peer.uid)) {
        audit.account_id = caller->id;
        audit.account = caller->name;
    }
    audit.decision = store::Decision::error;
    audit.reason =
        "refused: the state directory's file system is below "
        "[disk] admin_space_left_mib";
    store_.writer().submit_audit(std::move(audit));
    reply(Response::failure(request.id,
                            make_error(ErrorCode::unavailable, options_.disk->changes_refused())));
    return true;
}

void Service::run_change(const Operation& op, const Peer& peer, protocol::Request request,
                         DaemonFacts facts, Reply reply, Micros now) {
    // A change: decided and applied on the writer thread from the database
    // itself, answered once durable.
    struct Pending {
        protocol::Request request;
        Result<json::object> result = make_error(ErrorCode::internal, "not run");
        DaemonFacts facts;
        Reply reply;
        Outputs outputs;
    };
    auto pending = std::make_shared<Pending>(
        Pending{std::move(request), make_error(ErrorCode::internal, "not run"), std::move(facts),
                std::move(reply), Outputs{}});
    store_.writer().submit(
        begin_record(peer, op.name, now),
        // op is an entry of the static dispatch table: it outlives the work.
        [this, op = &op, peer, pending](store::Transaction& txn, store::AuditRecord& audit) {
            try {
                auto& conn = txn.connection();
                store::AccountRepository accounts(conn);
                const auto caller = accounts.find_by_uid(peer.uid);
                const bool exist =
                    op->who.kind != policy::Requirement::Kind::bootstrap || accounts.count() > 0;
                WriterConnection db(conn);
                pending->result = run_operation({.op = *op,
                                                 .peer = peer,
                                                 .caller = caller ? &*caller : nullptr,
                                                 .accounts_exist = exist,
                                                 .args = pending->request.args,
                                                 .db = db,
                                                 .facts = pending->facts,
                                                 .directory = nullptr},
                                                deps_, audit, pending->outputs);
                if (pending->result.ok() && pending->outputs.truncate_log) {
                    txn.truncate_log_after_commit();
                }
            } catch (const std::exception& e) {
                pending->result = internal_error(e);
                throw;  // the writer rolls back and audits the error
            }
            return pending->result.ok();
        },
        [this, pending](const Status& committed) {
            if (!committed) {
                pending->reply(Response::failure(pending->request.id, committed.error()));
                return;
            }
            for (const auto id : pending->outputs.changed_records) {
                records_.invalidate(id);
            }
            if (pending->result.ok() && pending->outputs.changed_directory) {
                // Requests answered from now on see the change.
                identities_.invalidate();
            }
            if (pending->result.ok() && pending->outputs.content) {
                pending->reply(to_response(pending->request.id, std::move(pending->result)),
                               std::move(pending->outputs.content));
                return;
            }
            pending->reply(to_response(pending->request.id, std::move(pending->result)));
        });
}

void Service::record_malformed(const Peer& peer, const Error& error) {
    auto audit = begin_record(peer, "malformed", now_micros());
    audit.decision = store::Decision::deny;
    audit.reason = fmt::format("malformed request: {}", error.message);
    store_.writer().submit_audit(std::move(audit));
}

bool Service::is_known_caller(std::uint32_t uid) noexcept {
    if (uid == 0) {
        return true;
    }
    try {
        const auto identities = identities_.current();
        const auto* account = identities->find(uid);
        return account != nullptr && !account->suspended;
    } catch (const std::exception&) {
        return true;
    }
}

void Service::record_refusal(const Peer& peer, std::string request, std::string reason) {
    auto audit = begin_record(peer, request, now_micros());
    try {
        if (const auto* account = identities_.current()->find(peer.uid)) {
            audit.account_id = account->id;
            audit.account = account->name;
        }
    } catch (const std::exception&) {
        // Recorded by uid alone.
    }
    audit.decision = store::Decision::deny;
    audit.reason = std::move(reason);
    store_.writer().submit_audit(std::move(audit));
}

void Service::record_event(std::string request, std::string reason, bool wait) {
    Peer self{options_.daemon_uid, 0, options_.daemon_pid};
    auto audit = begin_record(self, request, now_micros());
    audit.account = "strongroomd";
    audit.decision = store::Decision::allow;
    audit.reason = std::move(reason);
    store_.writer().submit_audit(std::move(audit));
    if (wait) {
        store_.writer().flush();
    }
}

}  // namespace strongroom::service
