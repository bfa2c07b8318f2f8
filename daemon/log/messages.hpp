// The message catalogue: every event strongroomd logs at INFO or above, with
// a stable journald MESSAGE_ID. Operators filter on these ids
// (journalctl MESSAGE_ID=...); packaging/strongroomd.catalog explains each.
// Never reuse or change an id; add new ones.
#pragma once

#include <string_view>

namespace strongroom::log {

enum class Priority { crit = 2, err = 3, warning = 4, notice = 5, info = 6, debug = 7 };

struct Message {
    std::string_view id;    // 128-bit id, 32 lower-case hex digits
    std::string_view name;  // STRONGROOM_EVENT field
    Priority priority;
};

// Every message, once: the X-macro below defines each as a constant of
// namespace msg and lists them all in msg::kAll (for the catalogue test and
// the documentation), so that the list cannot omit one.
//   X(constant, id, STRONGROOM_EVENT name, priority)
#define STRONGROOM_LOG_MESSAGES(X)                                                                 \
    X(started, "e70c69525cc4409593a5506b2817d7ca", "started", notice)                              \
    X(stopping, "31dc9e98fcd44ceaa2a8ce67031ed799", "stopping", notice)                            \
    X(stopped, "2d234b8f39cc4e7886aae38dc9874bcf", "stopped", notice)                              \
    X(startup_failed, "eeac5c01a0e84b4d96f5ed876aa3f724", "startup-failed", err)                   \
    X(key_loaded, "547579c4abed428db893b2a5e61fd0dd", "key-loaded", info)                          \
    X(key_not_locked, "c69184f5fcb74638b309734be308b112", "key-not-locked", warning)               \
    X(database_opened, "f1b20b8baab1498c83e46d77e47cc050", "database-opened", info)                \
    X(listening, "c9c1436a1c1a4ae08b867355975d0c77", "listening", info)                            \
    X(malformed_request, "89f87319852744b8bdde598abf859f34", "malformed-request", warning)         \
    X(connection_refused, "2fc2e66e2dc043f9b2c9dc7416685a18", "connection-refused", warning)       \
    X(request_rate_limited, "01aa78b3411c4c2eade1df46760abba8", "request-rate-limited", warning)   \
    X(audit_failed, "8cc438bec297462299788e0a3c4411e3", "audit-failed", crit)                      \
    X(hardening, "8b667c81853c4cc48c86f2f6d427402f", "hardening", info)                            \
    X(request_failed, "5c1a127956d34a55bf90b4b336988ccd", "request-failed", err)                   \
    X(audit_checkpoint, "9d5c1f0e4b7a4e2c8f3d6a1b2c7e9f40", "audit-checkpoint", info)              \
    X(audit_checkpoint_failed, "4e8a2d6c1f3b47a59c0e7d2b8a6f1c35", "audit-checkpoint-failed", err) \
    X(audit_truncated, "b3f0e6a2c9d14f7e8a5b2c1d0e9f8a76", "audit-truncated", crit)                \
    X(duty_conflict, "6f2a9c4e1b7d4a0e9c3f5b8d2e1a7c64", "duty-conflict", warning)                 \
    /* Space on the state directory's file system ([disk]; daemon/store/disk.hpp). */              \
    X(disk_low, "4ef3f27895024ff887a760388e9b0e9c", "disk-low", warning)                           \
    X(disk_critical, "6782ef5d98d74768ab46d9449806e011", "disk-critical", crit)                    \
    X(disk_ok, "b25d7a3603614a6ba081a64eb0708389", "disk-ok", notice)                              \
    /* Commits that failed with a full disk or an I/O error (daemon/store/writer.hpp). */          \
    X(commit_failed, "55b6a63a3e464d51ad99b3a5d5791d99", "commit-failed", err)                     \
    X(audit_blocked, "bafb08570559475a9f4de2ff7e4b900a", "audit-blocked", crit)                    \
    X(audit_resumed, "5068ece869e745a9a820f47de144c7c2", "audit-resumed", notice)                  \
    X(audit_lost, "9c313698d3aa4e51938ed46f5b51ca49", "audit-lost", crit)                          \
    X(fault_injection, "e7de8f467b3140fc86cd035a94e6cfa7", "fault-injection", warning)             \
    X(dev_clock, "90d21f511afc4f4e9b43814f31e65af0", "dev-clock", warning)

namespace msg {
#define STRONGROOM_LOG_DEFINE(constant, id, name, priority) \
    inline constexpr Message constant{id, name, Priority::priority};
STRONGROOM_LOG_MESSAGES(STRONGROOM_LOG_DEFINE)
#undef STRONGROOM_LOG_DEFINE

#define STRONGROOM_LOG_LIST(constant, id, name, priority) constant,
inline constexpr Message kAll[] = {STRONGROOM_LOG_MESSAGES(STRONGROOM_LOG_LIST)};
#undef STRONGROOM_LOG_LIST
}  // namespace msg

}  // namespace strongroom::log
