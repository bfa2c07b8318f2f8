// A record's content as the registry holds it: sealed chunks under the
// record's own key, itself wrapped under the master key.
#pragma once

#include <cstddef>
#include <string>

#include "daemon/common/error.hpp"
#include "daemon/store/records.hpp"

namespace strongroom::crypto {
class KeyVault;
}

namespace strongroom::registry {

// The most text of a record the full-text index holds (a prefix, IndexedText).
inline constexpr std::size_t kMaxIndexedText = 1024 * 1024;

// The text ingest indexed for a record: read back from its content, since
// the index keeps none (IndexedText gives the same prefix as at ingest).
// Empty for content that is not text.
Result<std::string> indexed_text_of(store::RecordRepository& records, const crypto::KeyVault& vault,
                                    const store::RecordRow& r);

}  // namespace strongroom::registry
