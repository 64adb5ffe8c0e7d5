// SPDX-License-Identifier: GPL-2.0-or-later
#include "noexec.h"

#include <cerrno>
#include <cstddef>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace sdvm {

#if defined(__x86_64__)
#define SDVM_NOEXEC_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SDVM_NOEXEC_ARCH AUDIT_ARCH_AARCH64
#endif

int
installNoExecFilter()
{
    static bool installed = false;
    if (installed)
        return 0;
#ifndef SDVM_NOEXEC_ARCH
    return -ENOTSUP;
#else
    static struct sock_filter insns[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SDVM_NOEXEC_ARCH, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_execve, 1, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_execveat, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {static_cast<unsigned short>(sizeof(insns) / sizeof(insns[0])),
                              insns};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -errno;
    // TSYNC: every thread Qt has started by now (the font thread, QML's loader) as well.
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog) != 0)
        return -errno;
    installed = true;
    return 0;
#endif
}

} // namespace sdvm
