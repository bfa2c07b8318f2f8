// Disposal and archive-transfer batches (rules 9-10): the batch, its records,
// its approval and execution, and the certificate it yields.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/common/states.hpp"
#include "daemon/common/time.hpp"

namespace strongroom::store {

class Connection;

struct BatchRow {
    std::int64_t id = 0;
    BatchKind kind = BatchKind::destroy;
    BatchState state = BatchState::proposed;  // proposed, approved, executed | prepared, confirmed
    Micros as_of = 0;
    std::int64_t proposed_by = 0;
    Micros proposed_at = 0;
    std::optional<std::int64_t> approved_by;
    std::optional<Micros> approved_at;
    std::optional<std::int64_t> executed_by;
    std::optional<Micros> executed_at;
    std::optional<std::string> receipt;
    std::optional<std::string> list;  // a transfer's signed list
    std::optional<std::string> certificate;
};

struct BatchRecord {
    std::int64_t record_id = 0;
    std::string why;
};

struct ClosureRow {
    std::int64_t id = 0;
    std::optional<std::int64_t> transfer_batch;
    std::optional<std::int64_t> disposal_batch;
    std::int64_t proposed_by = 0;
    Micros proposed_at = 0;
    std::optional<std::int64_t> approved_by;
    std::optional<Micros> approved_at;
    std::optional<std::int64_t> completed_by;
    std::optional<Micros> completed_at;
    std::optional<std::string> statement;
};

class DisposalRepository {
public:
    explicit DisposalRepository(Connection& conn) : conn_(conn) {}

    std::int64_t insert(BatchKind kind, BatchState state, Micros as_of, std::int64_t by, Micros at);
    void add_record(std::int64_t batch, std::int64_t record, std::string_view why);
    std::optional<BatchRow> find(std::int64_t id);
    std::vector<BatchRow> list(BatchKind kind);
    std::vector<BatchRow> all();
    std::vector<BatchRecord> records(std::int64_t batch);
    // The open batch (not executed or confirmed) of a kind holding a record.
    std::optional<std::int64_t> open_batch_of(std::int64_t record, BatchKind kind);

    // How a record left the registry: destroyed or transferred, when, in
    // which batch (if the register has it) and why; nothing while it is held.
    struct RecordDisposal {
        RecordState state = RecordState::destroyed;  // destroyed | transferred
        Micros at = 0;
        std::optional<std::int64_t> batch;
        std::string why;
    };
    std::optional<RecordDisposal> disposal_of(std::int64_t record);

    // Per record type, the records destroyed or transferred in [since, until)
    // and the batches that did it: (type, state, count, batch ids).
    struct Disposals {
        std::string type;
        RecordState state = RecordState::destroyed;
        std::int64_t records = 0;
        std::vector<std::int64_t> batches;
    };
    std::vector<Disposals> disposed_between(Micros since, Micros until);

    void approve(std::int64_t id, std::int64_t by, Micros at);

    std::int64_t insert_closure(std::optional<std::int64_t> transfer_batch,
                                std::optional<std::int64_t> disposal_batch, std::int64_t by,
                                Micros at);
    std::optional<ClosureRow> find_closure(std::int64_t id);
    // True once a closure has been proposed: the mission is closed or being
    // closed.
    bool any_closure();
    // The closure not completed yet, if any.
    std::optional<ClosureRow> open_closure();
    // The open closure a batch belongs to, if any.
    std::optional<std::int64_t> open_closure_of(std::int64_t batch);
    void approve_closure(std::int64_t id, std::int64_t by, Micros at);
    void complete_closure(std::int64_t id, std::int64_t by, Micros at, std::string_view statement);
    void execute(std::int64_t id, BatchState state, std::int64_t by, Micros at,
                 std::string_view certificate);
    void set_receipt(std::int64_t id, std::string_view receipt);
    void set_list(std::int64_t id, std::string_view list);
    // Adds a batch with its id, or replaces the one that has it (a restore
    // carries batches over from the database it replaces, which knows more).
    void put(const BatchRow& row);

private:
    Connection& conn_;
};

}  // namespace strongroom::store
