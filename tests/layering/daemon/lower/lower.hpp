// The public header of the fixture's lower module.
#pragma once

namespace fixture {
int lower();
}
