// Process hardening that applies from the first instruction of main() and
// through start-up. The full demotion (service account, capabilities,
// Landlock, seccomp) is in sandbox.hpp.
#pragma once

#include "daemon/common/error.hpp"

namespace strongroom::hardening {

// Makes the process non-dumpable (no core file, no ptrace attach by the same
// uid, /proc/PID/mem closed to others) and sets RLIMIT_CORE to 0, so that key
// material can never reach a core dump. Call first thing in main().
Status protect_process() noexcept;

// Sets no_new_privs: from now on nothing this process runs or becomes can
// gain privileges (no setuid binaries, no file capabilities).
Status set_no_new_privs() noexcept;

}  // namespace strongroom::hardening
