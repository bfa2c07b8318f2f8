// Typed access to records: metadata, compartments, content chunks, record
// keys, the full-text index, dissemination, delegations and the registry
// sequence.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/common/states.hpp"
#include "daemon/common/time.hpp"

namespace strongroom::store {

class Connection;

// Content is stored in chunks of at most this many plaintext bytes.
inline constexpr std::size_t kChunkBytes = 256 * 1024;
// A record has at most this many chunks (the chunk number is in the low
// bits of the chunk's row id): 2^20 * 256 KiB = 256 GiB.
inline constexpr std::uint64_t kMaxChunks = std::uint64_t{1} << 20;

struct RecordRow {
    std::int64_t id = 0;
    std::string title;
    int level = 0;
    std::string type;
    Micros dated = 0;
    std::int64_t originator = 0;
    std::optional<std::int64_t> origin_post;
    std::string origin;
    bool safety = false;
    std::optional<std::int64_t> max_copies;
    std::optional<std::string> registry_number;
    std::int64_t size = 0;
    std::int64_t chunks = 0;
    std::vector<std::uint8_t> sha256;
    bool is_text = false;
    std::string filename;
    Micros created_at = 0;
    RecordState state = RecordState::uploading;
    std::vector<std::int64_t> compartments;  // sorted ids
};

struct DisseminationRow {
    std::int64_t id = 0;
    std::int64_t record_id = 0;
    Recipient recipient = Recipient::post(0);
    Conveyance authority = Conveyance::originator;
    std::string reference;
    std::optional<std::int64_t> by_account;
    Micros at = 0;
};

struct DelegationRow {
    std::int64_t id = 0;
    std::string kind;
    std::optional<std::int64_t> record_id;
    std::int64_t grantor = 0;
    std::int64_t to_post = 0;
    std::string reference;
    std::optional<Micros> until;
    Micros created_at = 0;
};

// A candidate for a listing: a record id and whether it came to the reader
// under must-share.
struct Candidate {
    std::int64_t id = 0;
    bool must_share = false;
};

// Paces the text index's merging (its automatic merging is off, see
// migration 2): a merge step is due after every kBytesPerStep bytes of
// text indexed. Used from the writer thread only.
class TextIndexPacer {
public:
    static constexpr std::size_t kBytesPerStep = 128 * 1024;
    static constexpr int kLeavesPerStep = 128;

    // Counts what was indexed; true when a merge step is due.
    bool indexed(std::size_t bytes) {
        since_ += bytes;
        if (since_ < kBytesPerStep) {
            return false;
        }
        since_ = 0;
        return true;
    }

private:
    std::size_t since_ = 0;
};

class RecordRepository {
public:
    explicit RecordRepository(Connection& conn) : conn_(conn) {}

    // Inserts the metadata row (state 'uploading' until finished) and its
    // compartments; returns the id.
    std::int64_t insert(const RecordRow& record);
    // Inserts a record whose content is all known, in state 'held', with
    // its size, chunks, digest and registry number: one write of the row.
    std::int64_t insert_held(const RecordRow& record);
    // Fills in what is known once the content has arrived and makes the
    // record visible (state 'held').
    void finish(std::int64_t id, std::int64_t size, std::int64_t chunks,
                std::span<const std::uint8_t> sha256, bool is_text,
                const std::optional<std::string>& registry_number);
    // Replaces the metadata and compartments of a record still uploading.
    void update_metadata(std::int64_t id, const RecordRow& record);
    std::optional<RecordRow> find(std::int64_t id);
    // Removes records left in state 'uploading' (a crash or a lost
    // connection) with their chunks; returns how many.
    std::int64_t remove_unfinished();
    void remove_unfinished(std::int64_t id);

    // The next registry number's sequence for a year (1, 2, ...).
    std::int64_t next_registry_sequence(std::int64_t year);

    void put_key(std::int64_t record_id, std::span<const std::uint8_t> wrapped);
    // Replaces a record's wrapped key (a rekey wraps it again).
    void replace_key(std::int64_t record_id, std::span<const std::uint8_t> wrapped);
    std::optional<std::vector<std::uint8_t>> key(std::int64_t record_id);

    void put_chunk(std::int64_t record_id, std::uint64_t chunk, std::span<const std::uint8_t> data);
    std::optional<std::vector<std::uint8_t>> chunk(std::int64_t record_id, std::uint64_t chunk);

    // Indexes the title and text of a record for search (text may be empty).
    void index_text(std::int64_t record_id, std::string_view title, std::string_view text);
    // Removes a record from the text index: title and text must be what
    // index_text was given (the index keeps no copy to read them back from).
    void unindex_text(std::int64_t record_id, std::string_view title, std::string_view text);
    // Merges the whole text index into one segment, which drops every entry
    // of removed records from the pages (a removal alone only adds markers).
    void optimize_text_index();
    // Destroys a record's content: its key and its chunks (their pages are
    // overwritten: secure_delete). The metadata row stays in the register,
    // in `state` (destroyed or transferred), with the batch that disposed of it.
    void dispose(std::int64_t record_id, RecordState state, std::optional<std::int64_t> batch,
                 Micros at);
    // Ids of the records in a state, above `after`, in order.
    std::vector<std::int64_t> in_state(RecordState state, std::int64_t after, std::size_t limit);
    // Calls fn with every record in a state, in id order, a page at a time
    // (fn may change the database between pages).
    void for_each_in_state(RecordState state, const std::function<void(RecordRow&)>& fn);

    // One step of merging the text index's segments: up to `leaves` leaf
    // pages of work on the lowest level holding 8 segments or more.
    void merge_text_index(int leaves);
    // Ids of held records matching an FTS4 query, below `before`, newest first.
    std::vector<std::int64_t> search(std::string_view match, std::int64_t before,
                                     std::size_t limit);

    // The registry: ids of records entered (held, destroyed or transferred)
    // in [since, until), above `after`, in order.
    std::vector<std::int64_t> registered(std::int64_t after, Micros since, Micros until,
                                         std::size_t limit);

    // false when the recipient already received it under that authority.
    bool disseminate(const DisseminationRow& row);
    std::vector<DisseminationRow> disseminations(std::int64_t record_id);

    std::int64_t insert_delegation(const DelegationRow& row);
    // Dissemination delegations of a record in force at now.
    std::vector<DelegationRow> delegations_in_force(std::string_view kind,
                                                    std::optional<std::int64_t> record_id,
                                                    Micros now);

    // Index-driven candidates for listings, newest first, ids < before.
    std::vector<Candidate> at_level(int level, std::int64_t before, std::size_t limit);
    std::vector<Candidate> by_originator(std::int64_t account, std::int64_t before,
                                         std::size_t limit);
    std::vector<Candidate> by_recipient(Recipient recipient, std::int64_t before,
                                        std::size_t limit);

    // Records held (count) and classified records held or being uploaded
    // (count_classified): a closure ends with none of either.
    std::int64_t count();
    std::int64_t count_classified();

private:
    void put_compartments(std::int64_t id, const std::vector<std::int64_t>& ids);

    Connection& conn_;
};

}  // namespace strongroom::store
