// strongroom:internal -- the store's reading of the words it stores for the
// registry's states and kinds (daemon/common/states.hpp). A word the types
// do not know is a damaged or altered database: StoreError.
#pragma once

#include <string_view>

#include "daemon/common/states.hpp"

namespace strongroom::store {

RecordState stored_record_state(std::string_view word);
BatchKind stored_batch_kind(std::string_view word);
BatchState stored_batch_state(std::string_view word);
Conveyance stored_conveyance(std::string_view word);

}  // namespace strongroom::store
