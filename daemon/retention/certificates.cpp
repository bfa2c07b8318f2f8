#include "daemon/retention/certificates.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

#include <fmt/format.h>

#include "daemon/common/text.hpp"
#include "daemon/crypto/digest.hpp"
#include "daemon/retention/disposal.hpp"
#include "daemon/store/disposal.hpp"
#include "daemon/store/records.hpp"

namespace strongroom::retention {

namespace {

std::optional<std::int64_t> number_of(std::string_view text) {
    std::int64_t n = 0;
    const auto* end = text.data() + text.size();
    const auto [at, ec] = std::from_chars(text.data(), end, n);
    if (ec != std::errc() || at != end || text.empty()) {
        return std::nullopt;
    }
    return n;
}

// The count of records a certificate states ("records: N").
std::optional<std::size_t> certified_count(std::string_view certificate) {
    const auto at = certificate.find("\nrecords: ");
    if (at == std::string_view::npos) {
        return std::nullopt;
    }
    const auto rest = certificate.substr(at + 10);
    const auto n = number_of(rest.substr(0, rest.find('\n')));
    return n ? std::optional<std::size_t>(static_cast<std::size_t>(*n)) : std::nullopt;
}

}  // namespace

Result<CertificateCheck> check_certificate(store::Connection& conn, std::int64_t id, BatchKind kind,
                                           std::string_view file_sha256,
                                           const SignatureCheck& signed_here) {
    auto b = find_batch(conn, id, kind);
    if (!b) {
        return std::move(b).error();
    }
    if (!b->certificate) {
        return make_error(ErrorCode::conflict,
                          fmt::format("{} batch {} is not done: it has no certificate yet",
                                      kind == BatchKind::transfer ? "transfer" : "disposal", id));
    }
    CertificateCheck out;
    const auto disposed =
        kind == BatchKind::transfer ? RecordState::transferred : RecordState::destroyed;
    const auto& kept = *b->certificate;
    const auto kept_digest = crypto::sha256(kept);
    out.matches_register = to_hex(kept_digest) == file_sha256;
    if (!out.matches_register) {
        out.problems.emplace_back(fmt::format(
            "the file differs from the certificate of batch {} kept in the register", id));
    }
    // The kept certificate's own signature.
    const auto at = kept.rfind("signature: ");
    bool kept_valid = false;
    if (at != std::string::npos) {
        const auto sig = from_base64(kept.substr(at + 11, kept.size() - at - 12));
        crypto::Ed25519Key::Signature signature{};
        if (sig && sig->size() == signature.size()) {
            std::copy(sig->begin(), sig->end(), signature.begin());
            kept_valid = signed_here(std::string_view(kept).substr(0, at), signature);
        }
    }
    out.register_signature_valid = kept_valid;
    if (!kept_valid) {
        out.problems.emplace_back("the certificate kept in the register does not verify");
    }
    // What it certifies is still so: each record it names (and each the
    // register puts in the batch) is in the register, destroyed, with no key
    // and no content.
    store::RecordRepository records(conn);
    std::vector<std::int64_t> named;
    for (std::size_t at_line = 0; at_line < kept.size();) {
        const auto end = kept.find('\n', at_line);
        const auto line = std::string_view(kept).substr(
            at_line, end == std::string::npos ? std::string::npos : end - at_line);
        if (line.starts_with("record: ")) {
            if (const auto record = number_of(line.substr(8, line.find(' ', 8) - 8))) {
                named.push_back(*record);
            } else {
                out.problems.emplace_back(
                    fmt::format("the certificate's line '{}' names no record", printable(line)));
            }
        }
        at_line = end == std::string::npos ? kept.size() : end + 1;
    }
    const auto members = store::DisposalRepository(conn).records(id);
    for (const auto& m : members) {
        if (std::find(named.begin(), named.end(), m.record_id) == named.end()) {
            out.problems.emplace_back(fmt::format(
                "record {} is in batch {} but the certificate does not name it", m.record_id, id));
        }
    }
    std::size_t& destroyed = out.records_disposed;
    for (const auto record : named) {
        const auto r = records.find(record);
        const bool member =
            std::any_of(members.begin(), members.end(),
                        [record](const store::BatchRecord& m) { return m.record_id == record; });
        const bool gone =
            r && r->state == disposed && !records.key(record) && !records.chunk(record, 0);
        destroyed += gone && member ? 1 : 0;
        if (!r) {
            out.problems.emplace_back(
                fmt::format("record {} named in the certificate is not in the register", record));
        } else if (!gone) {
            out.problems.emplace_back(fmt::format("record {} is not {}", record, disposed));
        } else if (!member) {
            out.problems.emplace_back(
                fmt::format("record {} named in the certificate is not in batch {} in the register",
                            record, id));
        }
    }
    if (const auto n = certified_count(kept); n && *n != named.size()) {
        out.problems.emplace_back(
            fmt::format("the certificate counts {} records but names {}", *n, named.size()));
    }
    out.records = named.size();
    return out;
}

}  // namespace strongroom::retention
