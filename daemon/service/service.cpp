#include "daemon/service/service.hpp"

#include <exception>
#include <memory>

#include <fmt/format.h>

#include "daemon/common/text.hpp"
#include "daemon/policy/access.hpp"
#include "daemon/service/operations.hpp"
#include "daemon/store/accounts.hpp"

namespace strongroom::service {
namespace json = boost::json;
using protocol::Response;

namespace {

// Who is calling, read in the same transaction as the request's effects.
struct Caller {
    policy::Subject subject;
    std::optional<store::AccountRow> row;
};

Caller load_caller(store::Connection& conn, const Peer& peer) {
    Caller c;
    c.subject.uid = peer.uid;
    c.row = store::AccountRepository(conn).find_by_uid(peer.uid);
    if (c.row) {
        c.subject.account = policy::Account{c.row->id, c.row->name, c.row->roles, c.row->suspended};
    }
    return c;
}

store::AuditRecord begin_record(const Peer& peer, std::string_view request, Micros now) {
    store::AuditRecord r;
    r.at = now;
    r.uid = peer.uid;
    r.pid = peer.pid;
    r.request = std::string(request);
    return r;
}

// The message a refused caller sees. An unknown uid is told how to get an
// account; everything else is told the rule that refused it.
std::string refusal_message(const policy::Decision& d, const policy::Subject& s) {
    if (d.code == ErrorCode::denied && !s.account) {
        return fmt::format("uid {} has no Strongroom account; ask a technical officer to add one",
                           s.uid);
    }
    return d.reason;
}

store::Decision decision_for(ErrorCode code) {
    return code == ErrorCode::internal ? store::Decision::error : store::Decision::deny;
}

// Authorises and runs one operation on a connection; fills the audit record.
// Returns the answer (or refusal) and whether the effects are to be kept.
Result<json::object> run_operation(const Operation& op, const Peer& peer, const json::object& args,
                                   store::Connection& conn, store::AuditRecord& audit,
                                   const DaemonFacts& facts) {
    Caller caller = load_caller(conn, peer);
    if (caller.row) {
        audit.account_id = caller.row->id;
        audit.account = caller.row->name;
    }
    bool accounts_exist = true;
    if (op.who.kind == policy::Requirement::Kind::bootstrap) {
        accounts_exist = store::AccountRepository(conn).count() > 0;
    }
    const auto decision = policy::authorize(op.who, caller.subject, accounts_exist);
    if (!decision.allowed) {
        audit.decision = store::Decision::deny;
        audit.reason = decision.reason;
        return make_error(decision.code, refusal_message(decision, caller.subject));
    }
    Context ctx{peer,         caller.subject, caller.row ? &*caller.row : nullptr,
                args,         conn,           audit,
                now_micros(), facts};
    auto result = op.handler(ctx);
    if (!result) {
        audit.decision = decision_for(result.error().code);
        audit.reason = fmt::format("{}; refused: {}", decision.reason, result.error().message);
        return result;
    }
    audit.decision = store::Decision::allow;
    audit.reason = decision.reason;
    return result;
}

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

}  // namespace

Service::Service(store::Store& store, ServiceOptions options)
    : store_(store), options_(options), started_at_(now_micros()) {}

void Service::handle(const Peer& peer, protocol::Request request, Reply reply) {
    const Micros now = now_micros();
    auto& writer = store_.writer();

    // Fail closed: without an audit trail nothing is answered.
    if (writer.failed()) {
        reply(Response::failure(
            request.id, make_error(ErrorCode::unavailable,
                                   "the audit trail cannot be written, so strongroomd is not "
                                   "answering; a technical officer must check the daemon's log")));
        return;
    }
    if (writer.pending() > options_.max_pending_writes) {
        reply(Response::failure(request.id, make_error(ErrorCode::unavailable,
                                                       "strongroomd is overloaded; try again")));
        return;
    }

    const Operation* op = find_operation(request.op);
    if (op == nullptr) {
        auto audit = begin_record(peer, request.op, now);
        audit.decision = store::Decision::deny;
        audit.reason = "unknown operation";
        writer.submit_audit(std::move(audit));
        reply(Response::failure(
            request.id,
            make_error(ErrorCode::bad_request,
                       fmt::format("unknown operation \"{}\"; the daemon may be older than "
                                   "this tool",
                                   printable(request.op, 48)))));
        return;
    }

    DaemonFacts facts;
    facts.started_at = started_at_;
    if (op->name == "status") {
        facts.writer = writer.stats();
        facts.writer_pending = writer.pending();
    }

    if (op->mode == Mode::read) {
        auto audit = begin_record(peer, op->name, now);
        Result<json::object> result = make_error(ErrorCode::internal, "not run");
        try {
            auto lease = store_.readers().lease();
            store::ReadSnapshot snapshot(lease.connection());
            result = run_operation(*op, peer, request.args, lease.connection(), audit, facts);
        } catch (const std::exception& e) {
            audit.decision = store::Decision::error;
            audit.reason = fmt::format("internal error: {}", e.what());
            result = internal_error(e);
        }
        // The answer may go before its audit entry is durable: the writer
        // commits it with the batch it is starting now (DESIGN.md §4).
        writer.submit_audit(std::move(audit));
        reply(to_response(request.id, std::move(result)));
        return;
    }

    // A change: decided and applied on the writer thread, answered once durable.
    struct Pending {
        protocol::Request request;
        Result<json::object> result = make_error(ErrorCode::internal, "not run");
        DaemonFacts facts;
        Reply reply;
    };
    auto pending = std::make_shared<Pending>(Pending{
        std::move(request), make_error(ErrorCode::internal, "not run"), facts, std::move(reply)});
    writer.submit(
        begin_record(peer, op->name, now),
        [op, peer, pending](store::Transaction& txn, store::AuditRecord& audit) {
            try {
                pending->result = run_operation(*op, peer, pending->request.args, txn.connection(),
                                                audit, pending->facts);
            } catch (const std::exception& e) {
                pending->result = internal_error(e);
                throw;  // the writer rolls back and audits the error
            }
            return pending->result.ok();
        },
        [pending](const Status& committed) {
            if (!committed) {
                pending->reply(Response::failure(pending->request.id, committed.error()));
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

void Service::record_event(std::string request, std::string reason) {
    Peer self{options_.daemon_uid, 0, options_.daemon_pid};
    auto audit = begin_record(self, request, now_micros());
    audit.account = "strongroomd";
    audit.decision = store::Decision::allow;
    audit.reason = std::move(reason);
    store_.writer().submit_audit(std::move(audit));
    store_.writer().flush();
}

}  // namespace strongroom::service
