// A SQLite VFS shim for fault injection (daemon/common/faults.hpp): it wraps
// the default "unix" VFS and asks, before each xOpen of a file to write,
// xWrite, xSync and xTruncate, whether the call must fail. A failure is
// reported as the unix VFS reports the real one: SQLITE_FULL for a write
// without space, SQLITE_IOERR_WRITE, _FSYNC or _TRUNCATE, SQLITE_CANTOPEN,
// with errno set (sqlite3_system_errno reads it).
//
// Registered, as the default VFS, only when fault injection is enabled
// (strongroomd --dev with STRONGROOM_FAULT_INJECTION=1, or a unit test), and
// before the first connection opens. Everything else is passed through.
#pragma once

namespace strongroom::store {

// Registers the shim over the current default VFS; idempotent. Returns false
// if there is no default VFS to wrap.
bool install_fault_vfs() noexcept;

}  // namespace strongroom::store
