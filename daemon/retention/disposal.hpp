// Disposal and transfer batches (DESIGN §2 rules 10 and 11): found by kind,
// approved by a registrar other than the proposer, their records checked
// again when they are carried out (a hold placed or a copy issued since
// stops the whole batch), and the records disposed of so that their content
// cannot be read back: key, chunks and text index entries.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/common/error.hpp"
#include "daemon/common/states.hpp"
#include "daemon/common/time.hpp"
#include "daemon/policy/duties.hpp"
#include "daemon/store/connection.hpp"
#include "daemon/store/disposal.hpp"
#include "daemon/store/records.hpp"

namespace strongroom::crypto {
class KeyVault;
}

namespace strongroom::retention {

// A batch of a kind, or not_found ("no destroy batch 4").
Result<store::BatchRow> find_batch(store::Connection& conn, std::int64_t id, BatchKind kind);

// The two-person rule for a registrar's proposal (a disposal batch, a
// closure): refused (conflict) when `by` made it (`made`: "proposed disposal
// batch 4"), otherwise as policy::may_approve decides, with its reason in
// `why`.
Status second_registrar(const policy::Approver& approver, std::int64_t by, std::int64_t id,
                        std::int64_t proposed_by, Micros proposed_at, std::string_view made,
                        std::string& why);

// Approves a proposed destruction batch: refused (conflict) when it is not
// proposed or the approver proposed it; otherwise as the two-person rule
// decides (an approver who gained the role after the proposal does not
// count). `by` is the approver's account. Returns the batch as approved and
// its number of records.
struct Approved {
    store::BatchRow batch;
    std::size_t records = 0;
};
Result<Approved> approve_disposal(store::Connection& conn, std::int64_t id, std::int64_t by,
                                  const policy::Approver& approver, Micros at, std::string& why);

// A batch's records as they are now, each checked again: `blocked` names the
// first that may not be disposed of (under a hold, copies outstanding, no
// longer held), and then nothing may be done.
struct Members {
    std::vector<store::RecordRow> rows;
    std::optional<std::string> blocked;
};
Result<Members> members_now(store::Connection& conn, std::int64_t batch);

// A batch ready to be carried out now, and its records: a destruction batch
// approved, or a transfer batch prepared, none of whose records is blocked
// (refused, conflict, naming the first blocked one; `why` gets the blocker).
struct Ready {
    store::BatchRow batch;
    std::vector<store::RecordRow> rows;
};
Result<Ready> disposal_to_execute(store::Connection& conn, std::int64_t id, std::string& why);
Result<Ready> transfer_to_confirm(store::Connection& conn, std::int64_t id, std::string& why);

// Disposes of a batch's records (state destroyed or transferred): removes
// each one's text from the index, its key and its content, then merges the
// index. Returns the certificate's record lines, one per record:
// "record: ID | NUMBER | LEVEL | TYPE | dated DAY | N bytes | sha256 HEX | copies: ...".
Result<std::string> dispose_records(store::Connection& conn, const crypto::KeyVault& vault,
                                    std::int64_t batch, const std::vector<store::RecordRow>& rows,
                                    RecordState state, Micros at);

}  // namespace strongroom::retention
