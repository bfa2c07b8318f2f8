// The registry's states and kinds as types. Each has one word, the one the
// database stores and operators see (in JSON, reports and messages); code
// compares the types, never the words, so that rewording output cannot
// change what the registry decides or records.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>

#include <fmt/format.h>

namespace strongroom {

// Where a record is in its life. Only held records are readable.
enum class RecordState {
    uploading,    // its content is arriving; not visible yet
    held,         // in the registry
    destroyed,    // destroyed in a disposal batch (or by a closure)
    transferred,  // transferred to the archives
    lost,         // lost by a restore: only the register's entry is left (reports
                  // show it; the records table never holds it)
};

// A batch of the disposal schedule, and where it is.
enum class BatchKind {
    destroy,   // proposed, approved by someone else, executed
    transfer,  // prepared (with its signed list), confirmed with the receipt
};
enum class BatchState {
    proposed,
    approved,
    executed,
    prepared,
    confirmed,
};

// The rule under which a record reached a recipient (a dissemination).
enum class Conveyance {
    originator,       // by its originator
    delegation,       // under the originator's written delegation
    head_of_mission,  // by the head of mission
    must_share,       // safety information, to the security focal point
    receipt,          // received from outside, to the posts named at receipt
    release_review,   // to the approvers of a release request, for review
};

// Who a dissemination went to: a post, or one account in person. The
// database keeps both in one column: the post's id, or minus the account's.
class Recipient {
public:
    static constexpr Recipient post(std::int64_t id) noexcept { return Recipient(id); }
    static constexpr Recipient account(std::int64_t id) noexcept { return Recipient(-id); }
    static constexpr Recipient stored(std::int64_t value) noexcept { return Recipient(value); }

    constexpr bool is_post() const noexcept { return value_ > 0; }
    constexpr bool is_account() const noexcept { return value_ < 0; }
    // The post's or the account's id (0 when it is the other kind).
    constexpr std::int64_t post_id() const noexcept { return is_post() ? value_ : 0; }
    constexpr std::int64_t account_id() const noexcept { return is_account() ? -value_ : 0; }
    constexpr std::int64_t stored_value() const noexcept { return value_; }
    constexpr bool operator==(const Recipient&) const noexcept = default;

private:
    constexpr explicit Recipient(std::int64_t value) noexcept : value_(value) {}
    std::int64_t value_ = 0;
};

std::string_view to_text(RecordState state) noexcept;
std::string_view to_text(BatchKind kind) noexcept;
std::string_view to_text(BatchState state) noexcept;
std::string_view to_text(Conveyance conveyance) noexcept;

// The type of a stored or given word; nullopt for any other.
std::optional<RecordState> parse_record_state(std::string_view text) noexcept;
std::optional<BatchKind> parse_batch_kind(std::string_view text) noexcept;
std::optional<BatchState> parse_batch_state(std::string_view text) noexcept;
std::optional<Conveyance> parse_conveyance(std::string_view text) noexcept;

}  // namespace strongroom

// Formatted as their words: every type above that has a to_text.
template <typename T>
requires std::is_enum_v<T> && requires(T v) {
    strongroom::to_text(v);
}
struct fmt::formatter<T> : fmt::formatter<std::string_view> {
    auto format(T v, format_context& ctx) const {
        return fmt::formatter<std::string_view>::format(strongroom::to_text(v), ctx);
    }
};
