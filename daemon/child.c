/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "child.h"

#include <glib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

char **
sdvmd_child_env_new(const char *path)
{
    char **env = g_environ_setenv(NULL, "PATH", path, TRUE);
    static const char *const inherited[] = {"LANG", "LANGUAGE", "LC_ALL", "TZ", NULL};
    for (const char *const *name = inherited; *name; name++) {
        const char *value = g_getenv(*name);
        if (value)
            env = g_environ_setenv(env, *name, value, TRUE);
    }
    return env;
}

char **
sdvmd_child_env_add(char **env, const char *const *entries)
{
    for (const char *const *e = entries; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq)
            continue;
        g_autofree char *name = g_strndup(*e, (gsize)(eq - *e));
        env = g_environ_setenv(env, name, eq + 1, TRUE);
    }
    return env;
}

void
sdvmd_child_stop(GPid pid, unsigned grace_ms)
{
    int status;
    kill(pid, SIGTERM);
    for (unsigned waited = 0; waitpid(pid, &status, WNOHANG) != pid; waited += 10) {
        if (waited >= grace_ms) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            break;
        }
        usleep(10000);
    }
    g_spawn_close_pid(pid);
}
