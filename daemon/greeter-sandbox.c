/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "greeter-sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/close_range.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
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
