/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The environment sdvmd gives its children (the greeter, run-guest): never its own, which
 * may hold anything systemd or an administrator's shell put there; only a PATH, the locale
 * and time zone, and what the caller adds.
 */
#ifndef SDVM_DAEMON_CHILD_ENV_H
#define SDVM_DAEMON_CHILD_ENV_H

/* PATH = path, plus LANG, LANGUAGE, LC_ALL and TZ when sdvmd has them. g_strfreev() it. */
char **sdvmd_child_env_new(const char *path);
/* Add "NAME=value" entries (NULL-terminated; entries without '=' are skipped). */
char **sdvmd_child_env_add(char **env, const char *const *entries);

#endif
