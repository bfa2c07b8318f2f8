// Numbered copies (rule 8 of the design: duplication control). Every copy of
// content that leaves the strongroom has a number, a holder and a marking
// line; a record's copy limit bounds those outstanding; a copy is closed
// once, by its holder or a registrar; a text copy carries its fingerprint.
//
// Each operation appends to `why` what the audit trail records of it (why it
// was allowed or refused); a refusal's message is for the caller.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/common/error.hpp"
#include "daemon/common/stream.hpp"
#include "daemon/common/time.hpp"
#include "daemon/policy/clearance.hpp"
#include "daemon/store/connection.hpp"
#include "daemon/store/copies.hpp"
#include "daemon/store/records.hpp"

namespace strongroom::registry {

// A copy to issue: of a record the holder was decided to read.
struct CopyRequest {
    std::int64_t holder = 0;  // account id
    std::string holder_name;
    std::string purpose;
    Micros at = 0;
    // A release's copy: the "RELEASED TO … UNDER …" words and the release.
    // It does not count against the copy limit (the release was approved).
    std::optional<std::string> released_to;
    std::optional<std::int64_t> release_id;
};

struct IssuedCopy {
    std::int64_t number = 0;
    std::uint64_t fingerprint = 0;
    std::string marking;  // the marking line
};

// Issues the next numbered copy of a record: refused (conflict) when the
// record may not leave (copy limit 0) or its limit is reached.
Result<IssuedCopy> issue_copy(store::Connection& conn, const store::RecordRow& record,
                              const CopyRequest& request, std::string& why);

// The content of a copy: a text copy marked at top and bottom and
// fingerprinted; other content unchanged (the tool writes its marking beside).
std::unique_ptr<ContentSource> marked_content(std::unique_ptr<ContentSource> plain,
                                              const store::RecordRow& record,
                                              const IssuedCopy& copy);

enum class CopyEnd { returned, destroyed, lost };
std::string_view to_text(CopyEnd end) noexcept;
std::optional<CopyEnd> parse_copy_end(std::string_view text) noexcept;

// A copy to close, by someone who may be its holder or a registrar.
struct CopyClosing {
    std::int64_t record = 0;
    std::int64_t number = 0;
    CopyEnd end = CopyEnd::returned;
    std::int64_t by = 0;     // account id
    bool registrar = false;  // the closer holds the registrar role
    Micros at = 0;
};

struct ClosedCopy {
    std::int64_t outstanding = 0;  // the record's copies still outstanding
};

// Closes a copy. Refused as if the record did not exist (no_record) when
// the closer may not read it and is not a registrar; otherwise refused when
// the copy does not exist, is someone else's, or is already closed.
Result<ClosedCopy> close_copy(store::Connection& conn, const CopyClosing& closing,
                              std::string& why);

}  // namespace strongroom::registry
