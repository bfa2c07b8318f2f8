// The request service: for every request, authenticate → decide → act →
// audit, in one transaction for changes.
//
// Operations are rows of a dispatch table (operations.cpp): a name, who may
// call it (a policy requirement), whether it reads or changes state, and a
// handler. An unknown operation never reaches a handler. Handlers compose the
// store's repositories and the policy's decisions; they never see SQL or a
// socket.
//
// Reads run on the calling thread with a reader connection; their audit entry
// is queued to the writer, which makes it durable within milliseconds, and the
// answer goes out at once. Changes run on the writer thread; the answer goes
// out only after the transaction holding the change and its audit entry is
// durable.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "daemon/common/error.hpp"
#include "daemon/common/peer.hpp"
#include "daemon/common/stream.hpp"
#include "daemon/common/time.hpp"
#include "daemon/maintenance/backups.hpp"
#include "daemon/protocol/message.hpp"
#include "daemon/service/identity.hpp"
#include "daemon/service/operations.hpp"
#include "daemon/service/record_cache.hpp"
#include "daemon/store/disk.hpp"
#include "daemon/store/store.hpp"

namespace strongroom::service {

using Reply = BasicReply<protocol::Response>;

struct ServiceOptions {
    std::uint32_t daemon_uid = 0;  // recorded as the actor of start and stop
    std::int32_t daemon_pid = 0;
    const crypto::KeyVault* vault = nullptr;            // record keys; required for content
    std::string mission_code = "MISSION";               // registry numbers
    std::size_t record_cache_entries = 5000;            // record metadata kept for reads (~4 MiB)
    const audit::CheckpointLog* checkpoints = nullptr;  // for audit verify
    unsigned key_backup_days = 30;                      // life of a key-store backup
    std::filesystem::path state_dir;                    // key-backups/ and backup-tmp/ in it
    // Space on the state directory's file system (optional): below its
    // thresholds reads wait for their audit entry and changes are refused.
    store::DiskSpace* disk = nullptr;
};

class Service {
public:
    Service(store::Store& store, ServiceOptions options);

    // Handles one decoded request; reply is called exactly once, possibly on
    // another thread.
    void handle(const Peer& peer, protocol::Request request, Reply reply);

    // A request whose content follows (stream: true): the sink that takes
    // the content and answers through reply after it, or the refusal, which
    // the server sends after discarding the content.
    Result<std::unique_ptr<ContentSink>> upload(const Peer& peer, protocol::Request request,
                                                Reply reply);

    // Removes what uploads interrupted by a crash left behind (start-up).
    void remove_unfinished_uploads();
    // Adds the built-in retention schedule of each type that has none
    // (start-up); returns the types added.
    std::vector<std::string> add_built_in_schedules();
    // Assignments, made before separation of duties was enforced, of
    // accounts that hold the officer or auditor role: one line each, for the
    // log and the audit trail (start-up). They grant nothing until an
    // officer ends them.
    std::vector<std::string> separation_conflicts();
    // Removes what an interrupted backup left (start-up).
    void remove_unfinished_backups();
    // Overwrites and removes the key-store backups that have expired and
    // records it in the audit trail (backup.expired); returns their names.
    // At start-up and on a timer while serving.
    std::vector<std::string> expire_key_backups();

    // Audits a frame that could not be decoded (the server closes the
    // connection).
    void record_malformed(const Peer& peer, const Error& error);

    // Requests refused without an audit entry because none could be written
    // (the writer blocked).
    std::uint64_t refused_unaudited() const noexcept { return refused_unaudited_.load(); }

    // Whether uid's connections count against the budget of callers with an
    // account (the server's known hook): an active account in the identity
    // snapshot, or root. A suspended account counts as unknown: it can do
    // nothing but be refused. Root has no account before init, and init
    // must never be crowded out by account-less callers; a root process can
    // stop the daemon anyway. Cheap (the snapshot of this thread); never
    // throws: when the accounts cannot be read, every caller counts as known
    // (the failure is no caller's doing, and the caps of known callers
    // still apply).
    bool is_known_caller(std::uint32_t uid) noexcept;

    // Audits connections or requests the server refused by a limit (request
    // is "connection.refused" or "request.rate_limited"); reason says which
    // limit and how many were refused.
    void record_refusal(const Peer& peer, std::string request, std::string reason);

    // Audits a lifecycle event of the daemon itself (start, stop), durably.
    // With wait false (a timer on the control strand), the entry is queued
    // and committed with the next batch, without waiting for it.
    void record_event(std::string request, std::string reason, bool wait = true);

private:
    // The steps of handle(): a refusal while nothing can be audited, an
    // unknown operation, what status reports, a read, a change.
    bool refused_while_unavailable(const protocol::Request& request, const Reply& reply);
    void refuse_unknown(const Peer& peer, const protocol::Request& request, const Reply& reply,
                        Micros now);
    DaemonFacts facts_for(const Operation& op);
    void run_read(const Operation& op, const Peer& peer, const protocol::Request& request,
                  const DaemonFacts& facts, const Reply& reply, Micros now);
    bool refused_for_space(const Operation& op, const Peer& peer, const protocol::Request& request,
                           const Reply& reply, Micros now);
    void run_change(const Operation& op, const Peer& peer, protocol::Request request,
                    DaemonFacts facts, Reply reply, Micros now);

    store::Store& store_;
    ServiceOptions options_;
    RecordCache records_;
    store::TextIndexPacer text_pacer_;
    maintenance::KeyBackups key_backups_;
    Deps deps_;
    Micros started_at_;
    IdentityCache identities_;
    std::atomic<std::uint64_t> refused_unaudited_{0};
};

}  // namespace strongroom::service
