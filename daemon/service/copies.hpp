// Numbered copies: what `get` (and, later, a release) issues. Internal to
// the service.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <boost/json/object.hpp>

#include "daemon/common/stream.hpp"
#include "daemon/registry/copies.hpp"
#include "daemon/service/operations.hpp"
#include "daemon/store/records.hpp"

namespace strongroom::service {

using registry::IssuedCopy;

// Issues the next numbered copy of a record the caller may read, in the
// writer's transaction: refused (conflict) when the record's copy limit is
// reached. `released_to`: the "RELEASED TO … UNDER …" words of a release.
Result<IssuedCopy> issue_copy(Context& ctx, const store::RecordRow& record,
                              const std::string& purpose,
                              const std::optional<std::string>& released_to = std::nullopt,
                              std::optional<std::int64_t> release_id = std::nullopt);

// The content of a copy: a text copy marked at top and bottom and
// fingerprinted; other content unchanged. Adds the answer's copy fields.
std::unique_ptr<ContentSource> copy_content(std::unique_ptr<ContentSource> plain,
                                            const store::RecordRow& record, const IssuedCopy& copy,
                                            boost::json::object& out);

}  // namespace strongroom::service
