#include "daemon/registry/content.hpp"

#include <cstdint>
#include <vector>

#include <fmt/format.h>

#include "daemon/common/text.hpp"
#include "daemon/crypto/key_vault.hpp"
#include "daemon/crypto/record_key.hpp"

namespace strongroom::registry {

Result<std::string> indexed_text_of(store::RecordRepository& records, const crypto::KeyVault& vault,
                                    const store::RecordRow& r) {
    if (!r.is_text) {
        return std::string();
    }
    const auto wrapped = records.key(r.id);
    if (!wrapped) {
        return make_error(ErrorCode::internal, fmt::format("record {} has no content key", r.id));
    }
    auto key = vault.unwrap_record_key(r.id, *wrapped);
    if (!key) {
        return std::move(key).error();
    }
    IndexedText text(kMaxIndexedText);
    std::vector<std::uint8_t> plain;
    for (std::int64_t i = 0; i < r.chunks && !text.full(); ++i) {
        const auto sealed = records.chunk(r.id, static_cast<std::uint64_t>(i));
        if (!sealed) {
            return make_error(ErrorCode::internal,
                              fmt::format("chunk {} of record {} is missing", i, r.id));
        }
        if (auto st = key->open(static_cast<std::uint64_t>(i), i + 1 == r.chunks, *sealed, plain);
            !st) {
            return std::move(st).error();
        }
        text.feed({reinterpret_cast<const char*>(plain.data()), plain.size()});
    }
    // r.is_text: the whole content is UTF-8, though the part read may end
    // inside a character.
    return text.take_prefix();
}

}  // namespace strongroom::registry
