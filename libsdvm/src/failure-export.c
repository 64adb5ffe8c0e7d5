/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sdvm_failure_to_string() and sdvm_failure_describe() are part of libsdvm's ABI, but the
 * one table of reasons lives in core (core/src/failure.c) so sdvmd and the tools share it.
 * Compile that table into libsdvm with default visibility; the version script then exports
 * exactly these two names from it. (Linking libsdvm-core.a instead would hide them:
 * -Wl,--exclude-libs=ALL makes every archive symbol local.)
 */
#pragma GCC visibility push(default)
#include "../../core/src/failure.c"
#pragma GCC visibility pop
