#include "daemon/store/retired_keys.hpp"

#include <span>

#include "daemon/store/sqlite.hpp"

namespace strongroom::store {

std::vector<std::uint8_t> RetiredKey::binding() const {
    std::vector<std::uint8_t> out;
    auto put = [&out](std::uint64_t v) {
        for (int shift = 56; shift >= 0; shift -= 8) {
            out.push_back(static_cast<std::uint8_t>((v >> shift) & 0xff));
        }
    };
    auto put_bytes = [&](std::span<const std::uint8_t> b) {
        put(b.size());
        out.insert(out.end(), b.begin(), b.end());
    };
    put(static_cast<std::uint64_t>(epoch));
    put_bytes({reinterpret_cast<const std::uint8_t*>(key_check.data()), key_check.size()});
    put_bytes(signing_public);
    put(static_cast<std::uint64_t>(first_seq));
    put(static_cast<std::uint64_t>(last_seq));
    put(static_cast<std::uint64_t>(retired_at));
    return out;
}

std::vector<RetiredKey> RetiredKeyRepository::all() {
    auto s = conn_.cached(
        "SELECT epoch, key_check, signing_public, audit_key, first_seq, last_seq, retired_at "
        "FROM retired_keys ORDER BY epoch");
    std::vector<RetiredKey> out;
    while (s->step()) {
        RetiredKey k;
        k.epoch = s->column_int(0);
        k.key_check = s->column_text(1);
        k.signing_public = s->column_blob(2);
        k.audit_key = s->column_blob(3);
        k.first_seq = s->column_int(4);
        k.last_seq = s->column_int(5);
        k.retired_at = s->column_int(6);
        out.push_back(std::move(k));
    }
    return out;
}

void RetiredKeyRepository::put(const RetiredKey& key) {
    auto s = conn_.cached(
        "INSERT OR REPLACE INTO retired_keys (epoch, key_check, signing_public, audit_key, "
        "first_seq, last_seq, retired_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    s->bind(1, key.epoch)
        .bind(2, key.key_check)
        .bind_blob(3, key.signing_public)
        .bind_blob(4, key.audit_key)
        .bind(5, key.first_seq)
        .bind(6, key.last_seq)
        .bind(7, key.retired_at);
    s->run();
}

}  // namespace strongroom::store
