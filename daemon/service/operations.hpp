// The dispatch table: one row per operation. Internal to the service.
#pragma once

#include <optional>
#include <string_view>

#include <boost/json/object.hpp>

#include "daemon/common/error.hpp"
#include "daemon/common/peer.hpp"
#include "daemon/common/time.hpp"
#include "daemon/policy/access.hpp"
#include "daemon/store/accounts.hpp"
#include "daemon/store/audit_log.hpp"
#include "daemon/store/sqlite.hpp"
#include "daemon/store/writer.hpp"

namespace strongroom::service {

// Facts about the running daemon that some answers include.
struct DaemonFacts {
    Micros started_at = 0;
    store::Writer::Stats writer;
    std::size_t writer_pending = 0;
};

// Where a handler's connection comes from: the writer's transaction for a
// change, or a reader leased on first use for a read (so that an answer that
// needs no database, like whoami, leases nothing).
class ConnectionSource {
public:
    virtual ~ConnectionSource() = default;
    virtual store::Connection& get() = 0;
};

// What a handler gets: the caller, its arguments, a connection, and the
// audit record, whose object it names.
struct Context {
    const Peer& peer;
    const policy::Subject& subject;
    const store::AccountRow* caller;  // the caller's account row, if any
    const boost::json::object& args;
    ConnectionSource& db;
    store::AuditRecord& audit;
    Micros now;
    const DaemonFacts& facts;

    store::Connection& conn() { return db.get(); }
};

using Handler = Result<boost::json::object> (*)(Context&);

enum class Mode { read, write };

struct Operation {
    std::string_view name;
    policy::Requirement who;
    Mode mode;
    Handler handler;
    std::string_view summary;  // one line, for `--help` of the tools and docs
};

// The row for name, or nothing: an unknown operation reaches no handler.
const Operation* find_operation(std::string_view name) noexcept;

// Every row, for tests and documentation.
std::span<const Operation> all_operations() noexcept;

}  // namespace strongroom::service
