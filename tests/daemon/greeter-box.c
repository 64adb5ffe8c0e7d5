/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Runs one program as sdvmd starts its greeter (daemon/greeter-process.c: the greeter user,
 * its network namespace, seccomp, Landlock, descriptors, VT), for the greeter tier's shell
 * tests:
 *   greeter-box --user U --home DIR --run DIR [--env K=V]... [--read PATH]... -- ARGV...
 * It waits for the program to exit (no restart) and exits with its status (128 + signal). */
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "greeter-process.h"

static int status = -1;

static void
on_exit_cb(int wait_status, bool expected, void *data)
{
    if (expected || status >= 0)
        return; /* our own release below */
    status = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
    g_main_loop_quit(data);
}

int
main(int argc, char **argv)
{
    const char *user = "nobody", *home = NULL, *run = NULL;
    g_autoptr(GPtrArray) env = g_ptr_array_new();
    g_autoptr(GPtrArray) reads = g_ptr_array_new();
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        if (i + 1 >= argc)
            goto usage;
        if (strcmp(argv[i], "--user") == 0)
            user = argv[++i];
        else if (strcmp(argv[i], "--home") == 0)
            home = argv[++i];
        else if (strcmp(argv[i], "--run") == 0)
            run = argv[++i];
        else if (strcmp(argv[i], "--env") == 0)
            g_ptr_array_add(env, argv[++i]);
        else if (strcmp(argv[i], "--read") == 0)
            g_ptr_array_add(reads, argv[++i]);
        else
            goto usage;
    }
    if (i >= argc || !home || !run)
        goto usage;
    g_ptr_array_add(env, NULL);
    g_ptr_array_add(reads, NULL);
    GMainLoop *loop = g_main_loop_new(NULL, FALSE);
    struct sdvmd_greeter_params p = {
        .argv = (const char *const *)argv + i,
        .user = user,
        .home = home,
        .runtime_dir = run,
        .env = (const char *const *)env->pdata,
        .restart_delay_ms = 1000,
        .read_paths = (const char *const *)reads->pdata,
    };
    sdvmd_greeter *g = sdvmd_greeter_new(&p, on_exit_cb, loop);
    if (!g) {
        perror("greeter-box: sdvmd_greeter_new");
        return 2;
    }
    if (sdvmd_greeter_start(g) != 0)
        return 2;
    fprintf(stderr, "greeter-box: pid %d\n", (int)sdvmd_greeter_pid(g));
    g_main_loop_run(loop);
    /* Stop supervising before anything restarts it. */
    sdvmd_greeter_release(g, 0);
    sdvmd_greeter_free(g);
    g_main_loop_unref(loop);
    return status;
usage:
    fprintf(stderr, "usage: greeter-box [--user U] --home DIR --run DIR [--env K=V]... "
                    "[--read PATH]... -- ARGV...\n");
    return 2;
}
