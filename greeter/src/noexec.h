// SPDX-License-Identifier: GPL-2.0-or-later
// The greeter's own no-exec wall (review H2), installed just before a theme loads: from then
// on no thread of the greeter can execve or execveat anything (xdg-open, a shell, a
// "Process" a theme builds). sdvmd's filter (daemon/greeter-sandbox.h) already refuses exec
// after the greeter's start; this one also holds in --test-mode and under other launchers.
// Side effect: AddressSanitizer cannot start its symbolizer afterwards, so reports of a
// sanitized build carry addresses only (symbolize them offline with asan_symbolize or
// llvm-symbolizer, or set SDVM_GREETER_ALLOW_EXEC=1 in --test-mode while debugging).
#pragma once

namespace sdvm {

// no_new_privs plus a seccomp filter refusing execve/execveat with EPERM. Idempotent; only
// system calls (safe after fork). Returns 0 or -errno.
int installNoExecFilter();

} // namespace sdvm
