// sr-probe: run by packaging/boot-test inside a booted systemd, as a service
// with exactly strongroomd.service's sandbox. Makes the system calls that
// strongroomd's start-up and its in-process sandbox (libcap-ng, Landlock,
// libseccomp) need, and checks that they work, and that what the unit forbids
// is refused. Prints one line per check; exits 1 if any is not as expected.
// (A call outside the unit's SystemCallFilter would kill it with SIGSYS.)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
static int bad;
static void expect(const char* what, long rc, int want_errno) {
    int e = rc < 0 ? errno : 0;
    int ok = want_errno == 0 ? rc >= 0 : (rc < 0 && e == want_errno);
    printf("%-4s %-40s rc=%ld errno=%s\n", ok ? "ok" : "BAD", what, rc, e ? strerror(e) : "-");
    if (!ok) bad = 1;
}
int main(void) {
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2] = {{0}};
    expect("capget", syscall(SYS_capget, &h, d), 0);
    /* Like the daemon (hardening/sandbox.cpp), capset() only when a capability
       is held: the unit forbids it (~@privileged), and started without any
       the daemon never calls it. */
    if (d[0].permitted != 0 || d[1].permitted != 0 || d[0].effective != 0 || d[1].effective != 0) {
        memset(d, 0, sizeof d);
        expect("capset(empty)", syscall(SYS_capset, &h, d), 0);
    } else {
        printf("%-4s %-40s none held: not called, as the daemon does\n", "ok", "capset");
    }
    expect("prctl(PR_CAP_AMBIENT_CLEAR_ALL)", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), 0);
    expect("prctl(PR_SET_NO_NEW_PRIVS)", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
    expect("prctl(PR_SET_DUMPABLE 0)", prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), 0);
    struct rlimit none = {0, 0};
    expect("setrlimit(RLIMIT_CORE 0)", setrlimit(RLIMIT_CORE, &none), 0);
    expect("setpriority(tid, 5)", setpriority(PRIO_PROCESS, (id_t)gettid(), 5), 0);
    long pg = sysconf(_SC_PAGESIZE);
    void* p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    expect("madvise(MADV_DONTDUMP)", madvise(p, pg, MADV_DONTDUMP), 0);
    expect("mlock(1 page)", syscall(SYS_mlock, p, pg), 0);
    expect("munlock", munlock(p, pg), 0);
    void* wx = mmap(NULL, pg, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    expect("mmap(W+X) refused", wx == MAP_FAILED ? -1 : 0, EPERM);
    expect("socket(AF_UNIX)", socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), 0);
    expect("socket(AF_INET) refused", socket(AF_INET, SOCK_STREAM, 0), EAFNOSUPPORT);
    expect("socket(AF_NETLINK) refused", socket(AF_NETLINK, SOCK_RAW, 0), EAFNOSUPPORT);
    expect("open(/etc/x, O_CREAT) refused", open("/etc/strongroom/x", O_WRONLY | O_CREAT, 0600), EROFS);
    const char* sd = getenv("STATE_DIRECTORY");
    char path[512];
    snprintf(path, sizeof path, "%s/probe", sd ? sd : "/var/lib/strongroom");
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    expect("open(state dir file)", fd, 0);
    expect("pwrite", pwrite(fd, "x", 1, 0), 0);
    expect("fdatasync", fdatasync(fd), 0);
    expect("fallocate", fallocate(fd, 0, 0, 8192), 0);
    close(fd);
    unlink(path);
    const char* cd = getenv("CREDENTIALS_DIRECTORY");
    snprintf(path, sizeof path, "%s/strongroom.key", cd ? cd : "/nonexistent");
    expect("open(credential)", open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), 0);
    expect("getpwnam(strongroom)", getpwnam("strongroom") ? 0 : -1, 0);
    pid_t c = fork();
    if (c == 0) {
        char* argv[] = {"true", NULL};
        execv("/usr/bin/true", argv);
        _exit(errno);
    }
    int st = 0;
    waitpid(c, &st, 0);
    printf("%-4s %-40s child status exit=%d\n", WIFEXITED(st) && WEXITSTATUS(st) == EACCES ? "ok" : "BAD",
           "execv(/usr/bin/true) refused", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == EACCES)) bad = 1;
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
    expect("landlock_create_ruleset(VERSION)", abi, 0);
    struct landlock_ruleset_attr ra = {.handled_access_fs = LANDLOCK_ACCESS_FS_WRITE_FILE};
    long rs = syscall(SYS_landlock_create_ruleset, &ra, sizeof ra, 0);
    expect("landlock_create_ruleset", rs, 0);
    int dfd = open("/var/lib/strongroom", O_PATH | O_DIRECTORY | O_CLOEXEC);
    struct landlock_path_beneath_attr pb = {.allowed_access = LANDLOCK_ACCESS_FS_WRITE_FILE, .parent_fd = dfd};
    expect("landlock_add_rule", syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &pb, 0), 0);
    expect("landlock_restrict_self", syscall(SYS_landlock_restrict_self, rs, 0), 0);
    struct sock_filter f[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
    struct sock_fprog prog = {1, f};
    expect("seccomp(SET_MODE_FILTER, TSYNC)", syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog), 0);
    printf("%s\n", bad ? "PROBE FAILED" : "PROBE PASSED");
    return bad;
}
