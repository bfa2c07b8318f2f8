#include "hardening/sandbox.hpp"

#include <cerrno>
#include <cstring>

#include <grp.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cap-ng.h>
#include <fmt/format.h>

#include "hardening/process.hpp"
#include "hardening/syscalls.hpp"

namespace strongroom::hardening {
namespace {

Error fail(std::string_view what) {
    return make_error(ErrorCode::internal, fmt::format("{}: {}", what, std::strerror(errno)));
}

}  // namespace

std::string SandboxReport::summary() const {
    return fmt::format(
        "uid {} gid {}{}, no capabilities, no_new_privs, Landlock ABI {}, "
        "seccomp allow-list of {} rules",
        uid, gid, dropped_privileges ? " (dropped from root)" : "", landlock_abi, syscalls_allowed);
}

Status drop_privileges(uid_t uid, gid_t gid) {
    // The bounding set first: it can be emptied only while root.
    capng_clear(CAPNG_SELECT_BOUNDS);
    if (capng_apply(CAPNG_SELECT_BOUNDS) != 0) {
        return make_error(ErrorCode::internal, "cannot empty the capability bounding set");
    }
    if (::setgroups(0, nullptr) != 0) {
        return fail("cannot clear the supplementary groups");
    }
    if (::setresgid(gid, gid, gid) != 0) {
        return fail(fmt::format("cannot change to gid {}", gid));
    }
    if (::setresuid(uid, uid, uid) != 0) {
        return fail(fmt::format("cannot change to uid {}", uid));
    }
    uid_t r = 0;
    uid_t e = 0;
    uid_t s = 0;
    gid_t rg = 0;
    gid_t eg = 0;
    gid_t sg = 0;
    if (::getresuid(&r, &e, &s) != 0 || ::getresgid(&rg, &eg, &sg) != 0 || r != uid || e != uid ||
        s != uid || rg != gid || eg != gid || sg != gid) {
        return make_error(ErrorCode::internal, "the uid or gid did not change everywhere");
    }
    if (uid != 0 && ::setuid(0) == 0) {
        return make_error(ErrorCode::internal, "root could be regained after dropping it");
    }
    // Changing credentials resets the dumpable flag: set it off again.
    return protect_process();
}

Status drop_capabilities() {
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
        return fail("cannot clear the ambient capabilities");
    }
    // Nothing to drop when none is held (systemd started us without any):
    // then capset() is not called at all, and the unit may forbid it.
    if (capng_get_caps_process() != 0) {
        return make_error(ErrorCode::internal, "cannot read the process's capabilities");
    }
    if (capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE) {
        capng_clear(CAPNG_SELECT_CAPS);
        if (capng_apply(CAPNG_SELECT_CAPS) != 0) {
            return make_error(ErrorCode::internal, "cannot drop the capabilities");
        }
    }
    // Check with the kernel's view, not the library's.
    if (capng_get_caps_process() != 0 || capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE) {
        return make_error(ErrorCode::internal, "capabilities remain after dropping them");
    }
    return {};
}

Result<SandboxReport> demote(const SandboxOptions& options) {
    SandboxReport report;
    // 1. The service account, when started as root.
    if (options.uid && ::geteuid() == 0) {
        const gid_t gid = options.gid.value_or(*options.uid);
        if (auto st = drop_privileges(*options.uid, gid); !st) {
            return std::move(st).error();
        }
        report.dropped_privileges = true;
    }
    report.uid = ::geteuid();
    report.gid = ::getegid();
    // 2. no_new_privs: required for unprivileged Landlock and seccomp.
    if (auto st = set_no_new_privs(); !st) {
        return std::move(st).error();
    }
    // 3. No capability at all.
    if (auto st = drop_capabilities(); !st) {
        return std::move(st).error();
    }
    // 4. Landlock.
    auto abi = apply_landlock(options);
    if (!abi) {
        return std::move(abi).error();
    }
    report.landlock_abi = *abi;
    // 5. seccomp, last: from here on only the allow-list.
    auto rules = apply_seccomp(options.seccomp);
    if (!rules) {
        return std::move(rules).error();
    }
    report.syscalls_allowed = *rules;
    return report;
}

}  // namespace strongroom::hardening
