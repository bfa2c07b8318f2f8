#include "daemon/store/fault_vfs.hpp"

#include <cerrno>
#include <mutex>

#include <sqlite3.h>

#include "daemon/common/faults.hpp"

namespace strongroom::store {
namespace {

sqlite3_vfs* g_real = nullptr;
sqlite3_vfs g_shim{};

// Our file, with the real VFS's file right after it in the same allocation.
struct FaultFile {
    sqlite3_file base;
    sqlite3_file* real;
};

sqlite3_file* real_of(sqlite3_file* f) {
    return reinterpret_cast<FaultFile*>(f)->real;
}

const sqlite3_io_methods& real_methods(sqlite3_file* f) {
    return *real_of(f)->pMethods;
}

// errno set and true if the call must fail.
bool fails(faults::Call call) {
    if (const int e = faults::fail_with(call); e != 0) {
        errno = e;
        return true;
    }
    return false;
}

int x_close(sqlite3_file* f) {
    return real_methods(f).xClose(real_of(f));
}
int x_read(sqlite3_file* f, void* buf, int amount, sqlite3_int64 offset) {
    return real_methods(f).xRead(real_of(f), buf, amount, offset);
}
int x_write(sqlite3_file* f, const void* buf, int amount, sqlite3_int64 offset) {
    if (fails(faults::Call::write)) {
        return errno == ENOSPC ? SQLITE_FULL : SQLITE_IOERR_WRITE;
    }
    return real_methods(f).xWrite(real_of(f), buf, amount, offset);
}
int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
    if (fails(faults::Call::truncate)) {
        return SQLITE_IOERR_TRUNCATE;
    }
    return real_methods(f).xTruncate(real_of(f), size);
}
int x_sync(sqlite3_file* f, int flags) {
    if (fails(faults::Call::sync)) {
        return SQLITE_IOERR_FSYNC;
    }
    return real_methods(f).xSync(real_of(f), flags);
}
int x_file_size(sqlite3_file* f, sqlite3_int64* size) {
    return real_methods(f).xFileSize(real_of(f), size);
}
int x_lock(sqlite3_file* f, int level) {
    return real_methods(f).xLock(real_of(f), level);
}
int x_unlock(sqlite3_file* f, int level) {
    return real_methods(f).xUnlock(real_of(f), level);
}
int x_check_reserved_lock(sqlite3_file* f, int* out) {
    return real_methods(f).xCheckReservedLock(real_of(f), out);
}
int x_file_control(sqlite3_file* f, int op, void* arg) {
    return real_methods(f).xFileControl(real_of(f), op, arg);
}
int x_sector_size(sqlite3_file* f) {
    return real_methods(f).xSectorSize(real_of(f));
}
int x_device_characteristics(sqlite3_file* f) {
    return real_methods(f).xDeviceCharacteristics(real_of(f));
}
int x_shm_map(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
    if (real_methods(f).iVersion < 2) {
        return SQLITE_IOERR_SHMMAP;
    }
    return real_methods(f).xShmMap(real_of(f), region, size, extend, out);
}
int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
    if (real_methods(f).iVersion < 2) {
        return SQLITE_IOERR_SHMLOCK;
    }
    return real_methods(f).xShmLock(real_of(f), offset, n, flags);
}
void x_shm_barrier(sqlite3_file* f) {
    if (real_methods(f).iVersion >= 2) {
        real_methods(f).xShmBarrier(real_of(f));
    }
}
int x_shm_unmap(sqlite3_file* f, int delete_flag) {
    if (real_methods(f).iVersion < 2) {
        return SQLITE_OK;
    }
    return real_methods(f).xShmUnmap(real_of(f), delete_flag);
}
int x_fetch(sqlite3_file* f, sqlite3_int64 offset, int amount, void** out) {
    if (real_methods(f).iVersion < 3) {
        *out = nullptr;
        return SQLITE_OK;
    }
    return real_methods(f).xFetch(real_of(f), offset, amount, out);
}
int x_unfetch(sqlite3_file* f, sqlite3_int64 offset, void* p) {
    if (real_methods(f).iVersion < 3) {
        return SQLITE_OK;
    }
    return real_methods(f).xUnfetch(real_of(f), offset, p);
}

const sqlite3_io_methods kMethods{
    3,
    x_close,
    x_read,
    x_write,
    x_truncate,
    x_sync,
    x_file_size,
    x_lock,
    x_unlock,
    x_check_reserved_lock,
    x_file_control,
    x_sector_size,
    x_device_characteristics,
    x_shm_map,
    x_shm_lock,
    x_shm_barrier,
    x_shm_unmap,
    x_fetch,
    x_unfetch,
};

int x_open(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags, int* out_flags) {
    auto* ff = reinterpret_cast<FaultFile*>(f);
    ff->base.pMethods = nullptr;
    ff->real = reinterpret_cast<sqlite3_file*>(ff + 1);
    ff->real->pMethods = nullptr;
    if ((flags & (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) != 0 && fails(faults::Call::open)) {
        return SQLITE_CANTOPEN;
    }
    const int rc = g_real->xOpen(g_real, name, ff->real, flags, out_flags);
    if (ff->real->pMethods != nullptr) {
        ff->base.pMethods = &kMethods;  // xClose is called even after a failed open
    }
    return rc;
}

int x_delete(sqlite3_vfs*, const char* name, int sync_dir) {
    return g_real->xDelete(g_real, name, sync_dir);
}
int x_access(sqlite3_vfs*, const char* name, int flags, int* out) {
    return g_real->xAccess(g_real, name, flags, out);
}
int x_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
    return g_real->xFullPathname(g_real, name, n, out);
}
void* x_dl_open(sqlite3_vfs*, const char* name) {
    return g_real->xDlOpen(g_real, name);
}
void x_dl_error(sqlite3_vfs*, int n, char* out) {
    g_real->xDlError(g_real, n, out);
}
void (*x_dl_sym(sqlite3_vfs*, void* handle, const char* symbol))(void) {
    return g_real->xDlSym(g_real, handle, symbol);
}
void x_dl_close(sqlite3_vfs*, void* handle) {
    g_real->xDlClose(g_real, handle);
}
int x_randomness(sqlite3_vfs*, int n, char* out) {
    return g_real->xRandomness(g_real, n, out);
}
int x_sleep(sqlite3_vfs*, int micros) {
    return g_real->xSleep(g_real, micros);
}
int x_current_time(sqlite3_vfs*, double* out) {
    return g_real->xCurrentTime(g_real, out);
}
int x_get_last_error(sqlite3_vfs*, int n, char* out) {
    return g_real->xGetLastError(g_real, n, out);
}
int x_current_time_int64(sqlite3_vfs*, sqlite3_int64* out) {
    return g_real->xCurrentTimeInt64(g_real, out);
}
int x_set_system_call(sqlite3_vfs*, const char* name, sqlite3_syscall_ptr p) {
    return g_real->xSetSystemCall(g_real, name, p);
}
sqlite3_syscall_ptr x_get_system_call(sqlite3_vfs*, const char* name) {
    return g_real->xGetSystemCall(g_real, name);
}
const char* x_next_system_call(sqlite3_vfs*, const char* name) {
    return g_real->xNextSystemCall(g_real, name);
}

}  // namespace

bool install_fault_vfs() noexcept {
    static std::once_flag once;
    static bool ok = false;
    std::call_once(once, [] {
        g_real = sqlite3_vfs_find(nullptr);
        if (g_real == nullptr || g_real->iVersion < 3) {
            return;
        }
        g_shim.iVersion = 3;
        g_shim.szOsFile = static_cast<int>(sizeof(FaultFile)) + g_real->szOsFile;
        g_shim.mxPathname = g_real->mxPathname;
        g_shim.zName = "strongroom-faults";
        g_shim.xOpen = x_open;
        g_shim.xDelete = x_delete;
        g_shim.xAccess = x_access;
        g_shim.xFullPathname = x_full_pathname;
        g_shim.xDlOpen = x_dl_open;
        g_shim.xDlError = x_dl_error;
        g_shim.xDlSym = x_dl_sym;
        g_shim.xDlClose = x_dl_close;
        g_shim.xRandomness = x_randomness;
        g_shim.xSleep = x_sleep;
        g_shim.xCurrentTime = x_current_time;
        g_shim.xGetLastError = x_get_last_error;
        g_shim.xCurrentTimeInt64 = x_current_time_int64;
        g_shim.xSetSystemCall = x_set_system_call;
        g_shim.xGetSystemCall = x_get_system_call;
        g_shim.xNextSystemCall = x_next_system_call;
        ok = sqlite3_vfs_register(&g_shim, 1) == SQLITE_OK;
    });
    return ok;
}

}  // namespace strongroom::store
