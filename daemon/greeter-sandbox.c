/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "greeter-sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/close_range.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define SANDBOX_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SANDBOX_ARCH AUDIT_ARCH_AARCH64
#endif

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define ARG_HI(i) (offsetof(struct seccomp_data, args) + 8 * (i) + 4)
#else
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i) + 4)
#define ARG_HI(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#endif

/* Jump targets are labels, patched once the program is laid out. */
enum label { L_NONE, L_ALLOW, L_EPERM, L_ENOSYS, L_EAFNOSUPPORT, L_EXEC, L_SOCKET, L_COUNT };

struct emitter {
    struct sdvmd_greeter_sandbox *sb;
    int at[L_COUNT];
    unsigned char jt[SDVMD_SANDBOX_MAX_INSNS], jf[SDVMD_SANDBOX_MAX_INSNS];
    bool overflow;
};

static void
emit(struct emitter *e, unsigned short code, unsigned int k, enum label jt, enum label jf)
{
    if (e->sb->n_insns >= SDVMD_SANDBOX_MAX_INSNS) {
        e->overflow = true;
        return;
    }
    unsigned short i = e->sb->n_insns++;
    e->sb->insns[i] = (struct sock_filter)BPF_JUMP(code, k, 0, 0);
    e->jt[i] = (unsigned char)jt;
    e->jf[i] = (unsigned char)jf;
}

static void
mark(struct emitter *e, enum label l)
{
    e->at[l] = e->sb->n_insns;
}

/* Syscall nr == k: go to target, else fall through. */
static void
on_nr(struct emitter *e, unsigned int nr, enum label target)
{
    emit(e, BPF_JMP | BPF_JEQ | BPF_K, nr, target, L_NONE);
}

int
sdvmd_greeter_sandbox_prepare(struct sdvmd_greeter_sandbox *sb, const char *exec_path,
                              bool keep_network)
{
    memset(sb, 0, sizeof(*sb));
    sb->landlock_fd = -1;
    sb->new_netns = !keep_network;
#ifndef SANDBOX_ARCH
    (void)exec_path;
    return -ENOTSUP;
#else
    struct emitter e = {.sb = sb};
    const uint64_t ptr = (uint64_t)(uintptr_t)exec_path;

    emit(&e, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch), L_NONE, L_NONE);
    emit(&e, BPF_JMP | BPF_JEQ | BPF_K, SANDBOX_ARCH, L_NONE, L_ENOSYS);
    emit(&e, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), L_NONE, L_NONE);
#if defined(__x86_64__)
    /* x32 system calls share the arch: refuse them all. */
    emit(&e, BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, L_ENOSYS, L_NONE);
#endif
    on_nr(&e, __NR_execve, L_EXEC);
    on_nr(&e, __NR_execveat, L_EPERM);
    on_nr(&e, __NR_io_uring_setup, L_ENOSYS);
    on_nr(&e, __NR_io_uring_enter, L_ENOSYS);
    on_nr(&e, __NR_io_uring_register, L_ENOSYS);
    on_nr(&e, __NR_socket, L_SOCKET);
    emit(&e, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, L_NONE, L_NONE);

    /* execve(path, ...): only the greeter's own start. */
    mark(&e, L_EXEC);
    emit(&e, BPF_LD | BPF_W | BPF_ABS, ARG_LO(0), L_NONE, L_NONE);
    emit(&e, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)ptr, L_NONE, L_EPERM);
    emit(&e, BPF_LD | BPF_W | BPF_ABS, ARG_HI(0), L_NONE, L_NONE);
    emit(&e, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(ptr >> 32), L_ALLOW, L_EPERM);

    /* socket(domain, ...): no IP, no raw link layer. */
    mark(&e, L_SOCKET);
    emit(&e, BPF_LD | BPF_W | BPF_ABS, ARG_LO(0), L_NONE, L_NONE);
    emit(&e, BPF_JMP | BPF_JEQ | BPF_K, AF_PACKET, L_EAFNOSUPPORT, L_NONE);
    if (!keep_network) {
        emit(&e, BPF_JMP | BPF_JEQ | BPF_K, AF_INET, L_EAFNOSUPPORT, L_NONE);
        emit(&e, BPF_JMP | BPF_JEQ | BPF_K, AF_INET6, L_EAFNOSUPPORT, L_NONE);
    }

    mark(&e, L_ALLOW);
    emit(&e, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, L_NONE, L_NONE);
    mark(&e, L_EPERM);
    emit(&e, BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM, L_NONE, L_NONE);
    mark(&e, L_ENOSYS);
    emit(&e, BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS, L_NONE, L_NONE);
    mark(&e, L_EAFNOSUPPORT);
    emit(&e, BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EAFNOSUPPORT, L_NONE, L_NONE);
    if (e.overflow)
        return -E2BIG;

    /* Patch the jumps (forward only, as BPF wants). */
    for (unsigned short i = 0; i < sb->n_insns; i++) {
        if (BPF_CLASS(sb->insns[i].code) != BPF_JMP)
            continue;
        for (int which = 0; which < 2; which++) {
            enum label l = which ? e.jf[i] : e.jt[i];
            int off = l == L_NONE ? 0 : e.at[l] - (i + 1);
            if (off < 0 || off > 255)
                return -EINVAL;
            if (which)
                sb->insns[i].jf = (unsigned char)off;
            else
                sb->insns[i].jt = (unsigned char)off;
        }
    }
    return 0;
#endif
}

/* Landlock rights newer than the oldest headers we build with (Debian 12's has ABI 2). */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14) /* ABI 3 */
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0) /* ABI 6 */
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#endif

/* struct landlock_ruleset_attr as of ABI 6; the size given to the kernel follows its ABI. */
struct ruleset_attr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net;
    uint64_t scoped;
};

#define FS_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define FS_EXEC (FS_READ | LANDLOCK_ACCESS_FS_EXECUTE)
#define FS_WRITE_ABI1                                                                           \
    (LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |                            \
     LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_DIR |                             \
     LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO | \
     LANDLOCK_ACCESS_FS_MAKE_SYM)
/* Device nodes: read, write, truncate (a shell's "> /dev/null"), nothing else. */
#define FS_DEVICE (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE | \
                   LANDLOCK_ACCESS_FS_TRUNCATE)

/* What any Qt program needs of the system: found by running sdvm-greeter (offscreen, xcb on
 * Xvfb, vnc) under strace -e trace=%file, plus what eglfs/linuxfb open on a terminal (DRM,
 * fbdev, evdev through libinput, udev's database and /sys for its enumeration). */
static const char *const system_exec[] = {"/usr", "/lib", "/lib64", "/bin", "/sbin", NULL};
static const char *const system_read[] = {
    "/proc", "/sys", "/run/udev",
    "/var/cache/fontconfig", "/var/lib/dbus/machine-id",
    /* /etc: these files and trees only (a theme listing /etc sees nothing) */
    "/etc/ld.so.cache", "/etc/ld.so.preload", "/etc/fonts", "/etc/passwd", "/etc/group",
    "/etc/nsswitch.conf", "/etc/localtime", "/etc/locale.alias", "/etc/locale.conf",
    "/etc/default/locale", "/etc/machine-id", "/etc/os-release", "/etc/xdg", "/etc/X11/xkb",
    "/etc/drirc", "/etc/libinput", "/etc/glvnd", "/etc/vulkan", "/etc/gai.conf", "/etc/host.conf", "/etc/hosts",
    "/dev/urandom", "/dev/random", NULL};
/* Whole directories of devices that a screen and input need, read and write. */
static const char *const system_devices[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/tty",
                                             "/dev/dri", "/dev/input", "/dev/fb0", "/dev/fb1",
                                             NULL};

static int
add_rule(int ruleset, const char *path, uint64_t access, uint64_t handled)
{
    int fd = open(path, O_PATH | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR || errno == EACCES ? 0 : -errno;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int r = -errno;
        close(fd);
        return r;
    }
    access &= handled;
    /* A file (not a directory) takes file rights only. */
    if (!S_ISDIR(st.st_mode))
        access &= LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
                  LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE;
    struct landlock_path_beneath_attr attr = {.allowed_access = access, .parent_fd = fd};
    int r = 0;
    if (access && syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &attr, 0) != 0)
        r = -errno;
    close(fd);
    return r;
}

static int
add_rules(int ruleset, const char *const *paths, uint64_t access, uint64_t handled)
{
    for (const char *const *p = paths; p && *p; p++) {
        int r = add_rule(ruleset, *p, access, handled);
        if (r < 0)
            return r;
    }
    return 0;
}

int
sdvmd_greeter_sandbox_add_files(struct sdvmd_greeter_sandbox *sb, const char *const *reads,
                                const char *const *writes, const char *const *devices)
{
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
    if (abi <= 0)
        return errno == ENOSYS || errno == EOPNOTSUPP ? -ENOTSUP : -errno;
    struct ruleset_attr attr = {.handled_access_fs = FS_EXEC | FS_WRITE_ABI1 |
                                                     LANDLOCK_ACCESS_FS_MAKE_CHAR |
                                                     LANDLOCK_ACCESS_FS_MAKE_BLOCK};
    size_t size = sizeof(attr.handled_access_fs);
    if (abi >= 2)
        attr.handled_access_fs |= LANDLOCK_ACCESS_FS_REFER;
    if (abi >= 3)
        attr.handled_access_fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
    /* Not handled: ioctls on devices (ABI 5; DRM, evdev and the VT need theirs) and TCP (ABI
     * 4; seccomp refuses IP sockets already, and vnc must listen). */
    if (abi >= 6) {
        /* Abstract unix sockets and signals outside the greeter's own domain. */
        attr.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL;
        size = sizeof(attr);
    }
    int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
    if (ruleset < 0)
        return -errno;
    const uint64_t handled = attr.handled_access_fs;
    const uint64_t write = FS_READ | FS_WRITE_ABI1 | LANDLOCK_ACCESS_FS_REFER |
                           LANDLOCK_ACCESS_FS_TRUNCATE;
    int r;
    if ((r = add_rules(ruleset, system_exec, FS_EXEC, handled)) < 0 ||
        (r = add_rules(ruleset, system_read, FS_READ, handled)) < 0 ||
        (r = add_rules(ruleset, system_devices, FS_DEVICE | FS_READ, handled)) < 0 ||
        (r = add_rules(ruleset, reads, FS_EXEC, handled)) < 0 ||
        (r = add_rules(ruleset, writes, write, handled)) < 0 ||
        (r = add_rules(ruleset, devices, FS_DEVICE, handled)) < 0) {
        close(ruleset);
        return r;
    }
    sb->landlock_fd = ruleset;
    sb->landlock_abi = (int)abi;
    return (int)abi;
}

void
sdvmd_greeter_sandbox_release(struct sdvmd_greeter_sandbox *sb)
{
    if (sb->landlock_fd >= 0)
        close(sb->landlock_fd);
    sb->landlock_fd = -1;
}

int
sdvmd_greeter_sandbox_enter_namespace(const struct sdvmd_greeter_sandbox *sb)
{
    if (sb->new_netns && unshare(CLONE_NEWNET) != 0)
        return -errno;
    return 0;
}

int
sdvmd_greeter_sandbox_apply(const struct sdvmd_greeter_sandbox *sb)
{
    /* L6: nothing but stdin (the VT), stdout and stderr reaches the greeter. */
    if (syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC) != 0) {
        for (int fd = 3; fd < 4096; fd++)
            fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -errno;
    /* The file-system view: needs no_new_privs (the ids are already the greeter's). */
    if (sb->landlock_fd >= 0 && syscall(SYS_landlock_restrict_self, sb->landlock_fd, 0) != 0)
        return -errno;
    if (sb->n_insns == 0)
        return 0; /* no filter for this architecture (logged by the parent) */
    struct sock_fprog prog = {.len = sb->n_insns, .filter = (struct sock_filter *)sb->insns};
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
        return -errno;
    return 0;
}

bool
sdvmd_greeter_env_wants_network(const char *const *env)
{
    for (const char *const *e = env; e && *e; e++) {
        if (strncmp(*e, "QT_QPA_PLATFORM=", 16) == 0 && strncmp(*e + 16, "vnc", 3) == 0)
            return true;
    }
    return false;
}
