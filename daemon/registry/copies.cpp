#include "daemon/registry/copies.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <span>
#include <vector>

#include <fmt/format.h>

#include "daemon/common/fingerprint.hpp"
#include "daemon/common/text.hpp"
#include "daemon/crypto/record_key.hpp"
#include "daemon/registry/access.hpp"
#include "daemon/store/matrix.hpp"

namespace strongroom::registry {

namespace {

// The marking line of a copy. Every part of it that came from someone's
// text is a line_field: however it was stored, it cannot break the line,
// forge a field, or carry another copy's fingerprint.
std::string marking_line(store::Connection& conn, const store::RecordRow& r, std::int64_t number,
                         const std::string& holder, Micros at,
                         const std::optional<std::string>& released_to) {
    std::map<std::int64_t, std::string> names;
    for (const auto& c : store::MatrixRepository(conn).compartments()) {
        names.emplace(c.id, c.name);
    }
    std::string comps;
    for (const auto id : r.compartments) {
        comps += comps.empty() ? " // " : ", ";
        comps += names.count(id) != 0 ? line_field(names[id]) : fmt::format("compartment#{}", id);
    }
    auto line = fmt::format("{}{} | record {} | registry {} | copy {} | holder {} | {}",
                            policy::level_marking(r.level), comps, r.id,
                            line_field(r.registry_number.value_or("none")), number,
                            line_field(holder), format_date(at));
    if (released_to) {
        line += " | " + escape_controls(*released_to);
    }
    return line;
}

// A text copy: the marking line, the text with its fingerprint frames, the
// marking line again.
class MarkedText final : public ContentSource {
public:
    MarkedText(std::unique_ptr<ContentSource> plain, std::uint64_t token, std::string marking)
        : plain_(std::move(plain)), inserter_(token), marking_(std::move(marking)) {
        out_ = marking_ + "\n";
    }

    Result<std::size_t> read(std::span<std::uint8_t> buffer) override {
        while (offset_ >= out_.size()) {
            if (done_) {
                return std::size_t{0};
            }
            out_.clear();
            offset_ = 0;
            in_.resize(64 * 1024);
            auto n = plain_->read(in_);
            if (!n) {
                return std::move(n).error();
            }
            if (*n == 0) {
                if (!inserter_.finish(out_)) {
                    out_ += '\n';
                }
                out_ += marking_;
                out_ += '\n';
                done_ = true;
            } else {
                inserter_.feed(std::span<const std::uint8_t>(in_.data(), *n), out_);
            }
        }
        const std::size_t n = std::min(buffer.size(), out_.size() - offset_);
        std::memcpy(buffer.data(), out_.data() + offset_, n);
        offset_ += n;
        return n;
    }

private:
    std::unique_ptr<ContentSource> plain_;
    fingerprint::Inserter inserter_;
    std::string marking_;
    std::vector<std::uint8_t> in_;
    std::string out_;
    std::size_t offset_ = 0;
    bool done_ = false;
};

}  // namespace

Result<IssuedCopy> issue_copy(store::Connection& conn, const store::RecordRow& record,
                              const CopyRequest& request, std::string& why) {
    store::CopyRepository copies(conn);
    if (record.max_copies) {
        if (*record.max_copies == 0) {
            why += "; content may not leave (copy limit 0)";
            return make_error(ErrorCode::conflict,
                              fmt::format("record {} may not leave strongroom (its copy limit is "
                                          "0); read its metadata with 'show'",
                                          record.id));
        }
        const auto out = copies.outstanding(record.id);
        if (!request.released_to && out >= *record.max_copies) {
            why +=
                fmt::format("; copy limit reached ({} of {} outstanding)", out, *record.max_copies);
            return make_error(
                ErrorCode::conflict,
                fmt::format("record {} has {} of at most {} copies outstanding: one must be "
                            "returned or destroyed first (see 'strongroom copies {}')",
                            record.id, out, *record.max_copies, record.id));
        }
    }
    IssuedCopy issued;
    issued.number = copies.next_number(record.id);
    do {
        issued.fingerprint = crypto::random_u64() & fingerprint::kTokenMask;
    } while (issued.fingerprint == 0 || copies.fingerprint_taken(issued.fingerprint));
    issued.marking = marking_line(conn, record, issued.number, request.holder_name, request.at,
                                  request.released_to);
    store::CopyRow row;
    row.record_id = record.id;
    row.number = issued.number;
    row.holder = request.holder;
    row.purpose = request.purpose;
    row.issued_at = request.at;
    row.fingerprint = issued.fingerprint;
    row.state = request.released_to ? "released" : "outstanding";
    row.release_id = request.release_id;
    copies.insert(row);
    why += fmt::format("; copy {} issued", issued.number);
    return issued;
}

std::unique_ptr<ContentSource> marked_content(std::unique_ptr<ContentSource> plain,
                                              const store::RecordRow& record,
                                              const IssuedCopy& copy) {
    if (record.is_text) {
        return std::make_unique<MarkedText>(std::move(plain), copy.fingerprint, copy.marking);
    }
    return plain;
}

std::string_view to_text(CopyEnd end) noexcept {
    switch (end) {
        case CopyEnd::returned:
            return "returned";
        case CopyEnd::destroyed:
            return "destroyed";
        case CopyEnd::lost:
            return "lost";
    }
    return "returned";
}

std::optional<CopyEnd> parse_copy_end(std::string_view text) noexcept {
    for (const auto e : {CopyEnd::returned, CopyEnd::destroyed, CopyEnd::lost}) {
        if (text == to_text(e)) {
            return e;
        }
    }
    return std::nullopt;
}

Result<ClosedCopy> close_copy(store::Connection& conn, const CopyClosing& closing,
                              std::string& why) {
    store::CopyRepository copies(conn);
    const auto id = closing.record;
    const auto number = closing.number;
    const auto copy = copies.find(id, number);
    if (!copy || (copy->holder != closing.by && !closing.registrar)) {
        // Whether the record or the copy exists is for those who may read it.
        const auto c = check_read(conn, id, clearance_from_db(conn, closing.by, closing.at));
        if (!c.decision.allowed && !closing.registrar) {
            why = c.decision.reason;
            return no_record(id);
        }
        if (!copy) {
            why = "no such copy";
            return make_error(ErrorCode::not_found,
                              fmt::format("record {} has no copy {}", id, number));
        }
        why = "neither the holder nor a registrar";
        return make_error(ErrorCode::denied,
                          fmt::format("copy {} of record {} is held by {}: only its holder or a "
                                      "registrar may close it",
                                      number, id, account_name(conn, copy->holder)));
    }
    const auto end = std::string(to_text(closing.end));
    if (!copies.close(id, number, end, closing.at, closing.by)) {
        why = "copy already " + copy->state;
        return make_error(ErrorCode::conflict, fmt::format("copy {} of record {} is already {}",
                                                           number, id, copy->state));
    }
    why = fmt::format("{}; copy {}", copy->holder == closing.by ? "holder" : "registrar", end);
    return ClosedCopy{copies.outstanding(id)};
}

}  // namespace strongroom::registry
