#include "daemon/common/states.hpp"

#include <array>
#include <utility>

namespace strongroom {
namespace {

template <typename E, std::size_t N>
using Words = std::array<std::pair<E, std::string_view>, N>;

constexpr Words<RecordState, 5> kRecordStates{{
    {RecordState::uploading, "uploading"},
    {RecordState::held, "held"},
    {RecordState::destroyed, "destroyed"},
    {RecordState::transferred, "transferred"},
    {RecordState::lost, "lost"},
}};
constexpr Words<BatchKind, 2> kBatchKinds{{
    {BatchKind::destroy, "destroy"},
    {BatchKind::transfer, "transfer"},
}};
constexpr Words<BatchState, 5> kBatchStates{{
    {BatchState::proposed, "proposed"},
    {BatchState::approved, "approved"},
    {BatchState::executed, "executed"},
    {BatchState::prepared, "prepared"},
    {BatchState::confirmed, "confirmed"},
}};

constexpr Words<Conveyance, 6> kConveyances{{
    {Conveyance::originator, "originator"},
    {Conveyance::delegation, "delegation"},
    {Conveyance::head_of_mission, "head-of-mission"},
    {Conveyance::must_share, "must-share"},
    {Conveyance::receipt, "receipt"},
    {Conveyance::release_review, "release-review"},
}};

template <typename E, std::size_t N>
std::string_view word(const Words<E, N>& words, E value) noexcept {
    for (const auto& [v, w] : words) {
        if (v == value) {
            return w;
        }
    }
    return "?";
}

template <typename E, std::size_t N>
std::optional<E> parse(const Words<E, N>& words, std::string_view text) noexcept {
    for (const auto& [v, w] : words) {
        if (w == text) {
            return v;
        }
    }
    return std::nullopt;
}

}  // namespace

std::string_view to_text(RecordState state) noexcept {
    return word(kRecordStates, state);
}
std::string_view to_text(BatchKind kind) noexcept {
    return word(kBatchKinds, kind);
}
std::string_view to_text(BatchState state) noexcept {
    return word(kBatchStates, state);
}
std::string_view to_text(Conveyance conveyance) noexcept {
    return word(kConveyances, conveyance);
}
std::optional<Conveyance> parse_conveyance(std::string_view text) noexcept {
    return parse(kConveyances, text);
}
std::optional<RecordState> parse_record_state(std::string_view text) noexcept {
    return parse(kRecordStates, text);
}
std::optional<BatchKind> parse_batch_kind(std::string_view text) noexcept {
    return parse(kBatchKinds, text);
}
std::optional<BatchState> parse_batch_state(std::string_view text) noexcept {
    return parse(kBatchStates, text);
}

}  // namespace strongroom
