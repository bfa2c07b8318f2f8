// Shared by the service's own files: the request pipeline's pieces, so that
// uploads (ingest.cpp) run the same authenticate → decide → act → audit
// steps as every other request. Internal to the service.
#pragma once

#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "daemon/audit/keys.hpp"
#include "daemon/common/error.hpp"
#include "daemon/common/peer.hpp"
#include "daemon/common/stream.hpp"
#include "daemon/common/time.hpp"
#include "daemon/crypto/ed25519.hpp"
#include "daemon/policy/access.hpp"
#include "daemon/policy/duties.hpp"
#include "daemon/protocol/message.hpp"
#include "daemon/service/identity.hpp"
#include "daemon/service/operations.hpp"
#include "daemon/store/store.hpp"

namespace strongroom::crypto {
class KeyVault;
}

namespace strongroom::service {

// What a handler hands back beside its answer.
struct Outputs {
    std::unique_ptr<ContentSource> content;
    bool changed_directory = false;
    std::vector<std::int64_t> changed_records;
    bool truncate_log = false;
};

store::AuditRecord begin_record(const Peer& peer, std::string_view request, Micros now);
policy::Subject subject_of(std::uint32_t uid, const store::AccountRow* row);
std::string refusal_message(const policy::Decision& d, const policy::Subject& s,
                            policy::Requirement::Kind kind);
store::Decision decision_for(ErrorCode code);

// One request on its way to its handler: the operation, who calls, with
// what, and where its reads come from.
struct Invocation {
    const Operation& op;
    const Peer& peer;
    const store::AccountRow* caller;  // the caller's account, if any
    bool accounts_exist;              // false only before bootstrap
    const boost::json::object& args;
    ConnectionSource& db;
    const DaemonFacts& facts;
    const Directory* directory;  // reads: the cached directory; changes: nullptr
};

// Decides and runs one operation; fills the audit record and the outputs.
// A refusal is an Error result.
Result<boost::json::object> run_operation(const Invocation& call, const Deps& deps,
                                          store::AuditRecord& audit, Outputs& outputs);

// Files a change for a second person with the approver's role (two-person
// rule). The request's own arguments are kept and applied again, unchanged,
// on approval ('pending approve').
boost::json::object file_pending(Context& ctx, std::string_view op, policy::Role approver,
                                 std::string summary);
// The caller as the approver of a change (two-person rule), from the
// database (matrix.cpp).
policy::Approver approver_of(Context& ctx);

// Applies a pending retention schedule change (retention.cpp).
Result<boost::json::object> reapply_schedule(Context& ctx, const boost::json::object& stored,
                                             std::int64_t requested_by,
                                             std::optional<std::int64_t> approver);
// Applies a pending account.add, an account with roles (accounts.cpp).
Result<boost::json::object> reapply_account_add(Context& ctx, const boost::json::object& stored,
                                                std::int64_t requested_by,
                                                std::optional<std::int64_t> approver);
// Whether a pending account.add's stored arguments give the officer role.
bool gives_officer_role(std::string_view stored_args);

// A record's registry history (entry or receipt, disseminations, copies,
// releases), in order, as the registry report lists it.
boost::json::array registry_history(store::Connection& conn, const store::RecordRow& r);
// "JMAC HUMINT"
std::string compartment_names(store::Connection& conn, const std::vector<std::int64_t>& ids);

using registry::account_name;

// Post id → names of the accounts holding it now (suspended ones marked), sorted.
std::map<std::int64_t, std::vector<std::string>> holders(store::Connection& conn, Micros now);

using audit::signed_by;
using audit::signing_keys;
using audit::SigningKey;

protocol::Response to_response(std::uint64_t id, Result<boost::json::object>&& result);
Error internal_error(const std::exception& e);

// A reader connection leased on first use, inside one read transaction.
class LazyReader final : public ConnectionSource {
public:
    explicit LazyReader(store::ReaderPool& pool) : pool_(pool) {}
    store::Connection& get() override {
        if (!lease_) {
            lease_.emplace(pool_.lease());
            snapshot_.emplace(lease_->connection());
        }
        return lease_->connection();
    }

private:
    store::ReaderPool& pool_;
    std::optional<store::ReaderLease> lease_;
    std::optional<store::ReadSnapshot> snapshot_;  // ends before the lease
};

// The writer's open transaction.
class WriterConnection final : public ConnectionSource {
public:
    explicit WriterConnection(store::Connection& conn) : conn_(conn) {}
    store::Connection& get() override { return conn_; }

private:
    store::Connection& conn_;
};

}  // namespace strongroom::service
