// strongroom:internal -- the fixture's stand-in for the store's raw
// connection: only daemon/lower/ may include it.
#pragma once

namespace fixture {
int raw();
}
