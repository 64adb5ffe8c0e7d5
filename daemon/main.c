/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sdvmd(8): the privileged SDVM daemon. Reads sdvm.conf, serves the greeter over
 * sdvm-ipc(7), logs in through 802.1X (nm-glue), prepares the user's disk and runs the guest.
 * Logs to the journal when started by systemd, else to stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <glib-unix.h>
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "net-nm.h"
#include "sdvm/guest-exit.h"
#include "sdvm/log.h"

struct main_state {
    GMainLoop *loop;
    sdvmd *daemon;
    const char *config_path;
    bool stopping;
};

static int
journal_priority(enum sdvm_log_level level)
{
    switch (level) {
    case SDVM_LOG_ERROR:
        return 3; /* LOG_ERR */
    case SDVM_LOG_WARNING:
        return 4;
    case SDVM_LOG_INFO:
        return 6;
    case SDVM_LOG_DEBUG:
    case SDVM_LOG_SILENT:
        break;
    }
    return 7;
}

static void
log_to_journal(enum sdvm_log_level level, const char *msg, void *userdata)
{
    sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", journal_priority(level),
                    "SYSLOG_IDENTIFIER=sdvmd", NULL);
}

static void
log_to_stderr(enum sdvm_log_level level, const char *msg, void *userdata)
{
    static const char *const names[] = {"", "error", "warning", "info", "debug"};
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    localtime_r(&ts.tv_sec, &tm);
    fprintf(stderr, "%02d:%02d:%02d.%03ld sdvmd %s: %s\n", tm.tm_hour, tm.tm_min, tm.tm_sec,
            ts.tv_nsec / 1000000, names[level], msg);
}

static struct sdvm_config *
load_config(const char *path)
{
    struct sdvm_config *config = NULL;
    struct sdvm_config_error *error = NULL;
    if (sdvm_config_load(path, &config, &error) < 0) {
        log_errorf("%s", error ? error->message : "cannot read the configuration");
        sdvm_config_error_free(error);
        return NULL;
    }
    return config;
}

static void
on_stopped(void *data)
{
    struct main_state *m = data;
    g_main_loop_quit(m->loop);
}

static gboolean
on_grace_over(gpointer data)
{
    struct main_state *m = data;
    log_errorf("stopping took longer than %d s: leaving what is left to run-guest --recover "
               "at the next start", SDVMD_STOP_GRACE_S);
    g_main_loop_quit(m->loop);
    return G_SOURCE_REMOVE;
}

/* SIGTERM (systemctl stop) or SIGINT: the session in progress ends as a logout would (the
 * guest gets its stop timeout, the devices go back, the 802.1X connection is deleted) and
 * only then do we exit; the main loop runs throughout (review M6). */
static gboolean
on_sigterm(gpointer data)
{
    struct main_state *m = data;
    if (m->stopping) {
        log_infof("already stopping");
        return G_SOURCE_CONTINUE;
    }
    m->stopping = true;
    log_infof("stopping");
    sd_notify(0, "STOPPING=1");
    g_timeout_add_seconds(SDVMD_STOP_GRACE_S, on_grace_over, m);
    sdvmd_shutdown(m->daemon, on_stopped, m);
    return G_SOURCE_CONTINUE;
}

static gboolean
on_sighup(gpointer data)
{
    struct main_state *m = data;
    sd_notify(0, "RELOADING=1");
    log_infof("reloading %s", m->config_path);
    struct sdvm_config *config = load_config(m->config_path);
    if (config) {
        char *error = NULL;
        if (sdvmd_reload(m->daemon, config, &error) < 0)
            log_errorf("reload failed, keeping the running configuration: %s", error);
        free(error);
    }
    sd_notify(0, "READY=1");
    return G_SOURCE_CONTINUE;
}

static void
usage(FILE *out)
{
    fprintf(out,
            "Usage: sdvmd [OPTION]...\n"
            "The SDVM daemon: 802.1X login, per-user disks, guests (see sdvmd(8)).\n\n"
            "  -c, --config FILE        configuration (default %s)\n"
            "      --vt N               VT for the greeter (default 1; 0 = none)\n"
            "      --no-greeter         do not start a greeter (clients connect themselves)\n"
            "      --greeter-arg ARG    pass ARG to the greeter (repeatable)\n"
            "      --greeter-env K=V    set K=V for the greeter (repeatable)\n"
            "      --run-guest-arg ARG  pass ARG to run-guest (repeatable, e.g. --dry-run)\n"
            "      --run-guest-env K=V  set K=V for run-guest (repeatable)\n"
            "      --authenticate-only  no IP configuration on the 802.1X link (test beds)\n"
            "      --stderr             log to stderr even under systemd\n"
            "  -d, --debug              log debug messages\n"
            "  -V, --version            print the version and exit\n"
            "  -h, --help               print this help and exit\n",
            SDVM_CONFIG_DEFAULT_PATH);
}

int
main(int argc, char **argv)
{
    enum { OPT_VT = 256, OPT_NO_GREETER, OPT_GREETER_ARG, OPT_GREETER_ENV, OPT_RG_ARG, OPT_RG_ENV, OPT_AUTH_ONLY,
           OPT_STDERR };
    static const struct option options[] = {
        {"config", required_argument, NULL, 'c'},
        {"vt", required_argument, NULL, OPT_VT},
        {"no-greeter", no_argument, NULL, OPT_NO_GREETER},
        {"greeter-arg", required_argument, NULL, OPT_GREETER_ARG},
        {"greeter-env", required_argument, NULL, OPT_GREETER_ENV},
        {"run-guest-arg", required_argument, NULL, OPT_RG_ARG},
        {"run-guest-env", required_argument, NULL, OPT_RG_ENV},
        {"authenticate-only", no_argument, NULL, OPT_AUTH_ONLY},
        {"stderr", no_argument, NULL, OPT_STDERR},
        {"debug", no_argument, NULL, 'd'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    /* Passwords pass through this process: no core dump may hold one (review M5; the unit
     * also says LimitCORE=0). The children reset the flag at exec; the greeter sets its own. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    struct main_state m = {.config_path = SDVM_CONFIG_DEFAULT_PATH};
    struct sdvmd_options opts = {.greeter_vt = 1};
    g_autoptr(GPtrArray) greeter_args = g_ptr_array_new();
    g_autoptr(GPtrArray) greeter_env = g_ptr_array_new();
    g_autoptr(GPtrArray) rg_args = g_ptr_array_new();
    g_autoptr(GPtrArray) rg_env = g_ptr_array_new();
    bool debug = false, to_stderr = false, configure_ip = true;
    int c;
    while ((c = getopt_long(argc, argv, "c:dVh", options, NULL)) != -1) {
        switch (c) {
        case 'c':
            m.config_path = optarg;
            break;
        case OPT_VT:
            opts.greeter_vt = atoi(optarg);
            break;
        case OPT_NO_GREETER:
            opts.no_greeter = true;
            break;
        case OPT_GREETER_ARG:
            g_ptr_array_add(greeter_args, optarg);
            break;
        case OPT_GREETER_ENV:
            g_ptr_array_add(greeter_env, optarg);
            break;
        case OPT_RG_ARG:
            g_ptr_array_add(rg_args, optarg);
            break;
        case OPT_RG_ENV:
            g_ptr_array_add(rg_env, optarg);
            break;
        case OPT_AUTH_ONLY:
            configure_ip = false;
            break;
        case OPT_STDERR:
            to_stderr = true;
            break;
        case 'd':
            debug = true;
            break;
        case 'V':
            printf("sdvmd %s\n", PROJECT_VERSION);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    g_ptr_array_add(greeter_args, NULL);
    g_ptr_array_add(greeter_env, NULL);
    g_ptr_array_add(rg_args, NULL);
    g_ptr_array_add(rg_env, NULL);
    opts.greeter_args = (const char *const *)greeter_args->pdata;
    opts.greeter_env = (const char *const *)greeter_env->pdata;
    opts.run_guest_args = (const char *const *)rg_args->pdata;
    opts.run_guest_env = (const char *const *)rg_env->pdata;

    bool journal = !to_stderr && getenv("JOURNAL_STREAM") != NULL;
    sdvm_log_set_handler(debug ? SDVM_LOG_DEBUG : SDVM_LOG_INFO,
                         journal ? log_to_journal : log_to_stderr, NULL);
    if (geteuid() != 0)
        log_warningf("not running as root: 802.1X, disks and devices will likely fail");

    struct sdvm_config *config = load_config(m.config_path);
    if (!config)
        return 1;

    /* A greeter or guest that dies must not take us with it through SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
    m.loop = g_main_loop_new(NULL, FALSE);
    GDBusConnection *bus = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, NULL);
    sdvmd_net *net = sdvmd_net_nm_new(config, configure_ip);
    if (!net) {
        log_errorf("cannot set up NetworkManager access: %s", strerror(errno));
        sdvm_config_free(config);
        return 1;
    }
    char *error = NULL;
    int r = sdvmd_new(config, net, bus, &opts, &m.daemon, &error);
    if (r < 0) {
        log_errorf("cannot start: %s", error ? error : strerror(-r));
        free(error);
        g_clear_object(&bus);
        return 1;
    }
    g_unix_signal_add(SIGTERM, on_sigterm, &m);
    g_unix_signal_add(SIGINT, on_sigterm, &m);
    g_unix_signal_add(SIGHUP, on_sighup, &m);
    sd_notify(0, "READY=1");
    g_main_loop_run(m.loop);
    sdvmd_free(m.daemon);
    g_clear_object(&bus);
    g_main_loop_unref(m.loop);
    return 0;
}
