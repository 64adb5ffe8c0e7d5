/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sdvmd's child processes (the greeter, run-guest): the environment they get, never sdvmd's
 * own, which may hold anything systemd or an administrator's shell put there (only a PATH,
 * the locale and time zone, and what the caller adds); and how they are stopped.
 */
#ifndef SDVM_DAEMON_CHILD_H
#define SDVM_DAEMON_CHILD_H

#include <glib.h>

/* PATH = path, plus LANG, LANGUAGE, LC_ALL and TZ when sdvmd has them. g_strfreev() it. */
char **sdvmd_child_env_new(const char *path);
/* Add "NAME=value" entries (NULL-terminated; entries without '=' are skipped). */
char **sdvmd_child_env_add(char **env, const char *const *entries);

/* Stop and reap a child whose child watch has been removed: SIGTERM, then SIGKILL after
 * grace_ms. Blocks for at most about grace_ms (used when freeing). */
void sdvmd_child_stop(GPid pid, unsigned grace_ms);

#endif
