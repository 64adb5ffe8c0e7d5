/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "guest-runner.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "sdvm/guest-exit.h"
#include "sdvm/log.h"

/* Freeing a run-guest that still runs: sdvmd's stop has waited SDVMD_STOP_GRACE_S for it
 * already (or a test ends); whatever it leaves, its journal has, for run-guest --recover. */
#define FREE_GRACE_MS 1000

struct sdvmd_guest {
    GPid pid;
    guint child_watch;
    guint output_watch;
    GIOChannel *output;
    gint64 started_at;
    bool recover;
    sdvmd_guest_done_fn done;
    sdvmd_guest_line_fn line;
    void *userdata;
};

/* stderr joins stdout so QEMU's error lines reach the log in order with the rest. */
static void
merge_stderr(gpointer data)
{
    dup2(STDOUT_FILENO, STDERR_FILENO);
}

static char **
guest_environment(const struct sdvmd_guest_params *p)
{
    char **env = sdvmd_child_env_new("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    /* What sdvmd's stop waits for (guest-exit.h); p->env may say otherwise (tests). */
    env = g_environ_setenv(env, "SDVM_STOP_TIMEOUT", G_STRINGIFY(SDVM_GUEST_STOP_TIMEOUT_S), TRUE);
    env = g_environ_setenv(env, "SDVM_UNDO_TIMEOUT", G_STRINGIFY(SDVM_GUEST_UNDO_ALLOWANCE_S),
                           TRUE);
    if (p->recover)
        return sdvmd_child_env_add(env, p->env);
    env = g_environ_setenv(env, "SDVM_DISK", p->disk, TRUE);
    env = g_environ_setenv(env, "SDVM_IMAGE_ID", p->image_id, TRUE);
    env = g_environ_setenv(env, "SDVM_OS_TYPE", p->os_type ? p->os_type : "", TRUE);
    env = g_environ_setenv(env, "SDVM_USER_ID", p->user_id, TRUE);
    return sdvmd_child_env_add(env, p->env);
}

/* run-guest's output (its plan, QEMU's messages, the guest console in the demo) to the log. */
static gboolean
on_output(GIOChannel *channel, GIOCondition cond, gpointer data)
{
    sdvmd_guest *g = data;
    for (;;) {
        g_autofree char *line = NULL;
        gsize len = 0;
        GIOStatus st = g_io_channel_read_line(channel, &line, &len, NULL, NULL);
        if (st == G_IO_STATUS_NORMAL) {
            g_strchomp(line);
            log_infof("run-guest: %s", line);
            if (g->line)
                g->line(line, g->userdata);
            continue;
        }
        if (st == G_IO_STATUS_AGAIN)
            return G_SOURCE_CONTINUE;
        break; /* EOF or error */
    }
    g->output_watch = 0;
    return G_SOURCE_REMOVE;
}

static void
close_output(sdvmd_guest *g)
{
    if (g->output_watch) {
        g_source_remove(g->output_watch);
        g->output_watch = 0;
    }
    if (g->output) {
        /* Drain what is left so the last lines (the exit reason) reach the log. */
        g_io_channel_set_flags(g->output, 0, NULL);
        on_output(g->output, G_IO_IN, g);
        g_io_channel_unref(g->output);
        g->output = NULL;
    }
}

static void
on_guest_exit(GPid pid, gint status, gpointer data)
{
    sdvmd_guest *g = data;
    g->child_watch = 0;
    g_spawn_close_pid(pid);
    g->pid = 0;
    close_output(g);
    enum sdvm_failure failure = sdvm_guest_exit_to_failure(status);
    uint64_t ms = (uint64_t)((g_get_monotonic_time() - g->started_at) / 1000);
    const char *what = g->recover ? "recovery" : "guest";
    if (failure == SDVM_FAILURE_NONE)
        log_infof("%s ended normally after %" G_GUINT64_FORMAT " ms", what, ms);
    else
        log_errorf("%s ended with %s (wait status 0x%x) after %" G_GUINT64_FORMAT " ms", what,
                   sdvm_failure_to_string(failure), (unsigned)status, ms);
    if (g->done)
        g->done(failure, status, ms, g->userdata);
}

sdvmd_guest *
sdvmd_guest_start(const struct sdvmd_guest_params *p, sdvmd_guest_done_fn done,
                  sdvmd_guest_line_fn line, void *userdata)
{
    if (!p->run_guest || (!p->recover && (!p->disk || !p->image_id || !p->user_id))) {
        errno = EINVAL;
        return NULL;
    }
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_ptr_array_add(argv, (gpointer)p->run_guest);
    if (p->recover)
        g_ptr_array_add(argv, (gpointer) "--recover");
    for (const char *const *a = p->recover ? NULL : p->args; a && *a; a++)
        g_ptr_array_add(argv, (gpointer)*a);
    g_ptr_array_add(argv, NULL);
    g_auto(GStrv) env = guest_environment(p);

    sdvmd_guest *g = g_new0(sdvmd_guest, 1);
    int out_fd = -1;
    g_autoptr(GError) error = NULL;
    if (!g_spawn_async_with_pipes(NULL, (char **)argv->pdata, env,
                                  G_SPAWN_DO_NOT_REAP_CHILD, merge_stderr, NULL, &g->pid, NULL, &out_fd, NULL, &error)) {
        log_errorf("cannot start %s: %s", p->run_guest, error->message);
        g_free(g);
        errno = ENOEXEC;
        return NULL;
    }
    g->started_at = g_get_monotonic_time();
    g->recover = p->recover;
    g->done = done;
    g->line = line;
    g->userdata = userdata;
    g_unix_set_fd_nonblocking(out_fd, TRUE, NULL);
    g->output = g_io_channel_unix_new(out_fd);
    g_io_channel_set_close_on_unref(g->output, TRUE);
    g_io_channel_set_encoding(g->output, NULL, NULL);
    g->output_watch = g_io_add_watch(g->output, G_IO_IN | G_IO_HUP | G_IO_ERR, on_output, g);
    g->child_watch = g_child_watch_add(g->pid, on_guest_exit, g);
    if (p->recover)
        log_infof("recovery started: run-guest --recover pid %d", (int)g->pid);
    else
        log_infof("guest started: run-guest pid %d, image %s, user %s", (int)g->pid,
                  p->image_id, p->user_id);
    return g;
}

void
sdvmd_guest_stop(sdvmd_guest *g)
{
    if (g && g->pid)
        kill(g->pid, SIGTERM);
}

void
sdvmd_guest_free(sdvmd_guest *g)
{
    if (!g)
        return;
    if (g->pid) {
        if (g->child_watch)
            g_source_remove(g->child_watch);
        sdvmd_child_stop(g->pid, FREE_GRACE_MS);
    }
    close_output(g);
    g_free(g);
}
