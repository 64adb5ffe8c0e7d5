/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "greeter-process.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <linux/kd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "greeter-sandbox.h"
#include "sdvm/greeter-choice.h"
#include "sdvm/log.h"

/* Three deaths within this long of their start means the theme cannot run: use the fallback. */
#define CRASH_WINDOW_US (10 * G_USEC_PER_SEC)
#define CRASHES_BEFORE_FALLBACK 3
#define KILL_GRACE_MS 2000
/* After an unexpected exit, under sdvmd. */
#define RESTART_DELAY_MS 500

enum state { STOPPED, SUPERVISED, RELEASED };

struct sdvmd_greeter {
    char **argv;
    char **config_args; /* the [Greeter] values, between argv[0] and the rest; may be NULL */
    char **extra_env;
    char *user;
    char *home;
    char *runtime_dir;
    int vt;
    char *vt_path;
    const struct sdvmd_greeter_vt_ops *vt_ops;
    char **read_paths;
    bool landlock_logged;
    unsigned restart_delay_ms;
    uid_t uid;
    gid_t gid;
    gid_t *groups;
    int n_groups;
    /* The VT as it was before the greeter got it (L6): given back when the greeter exits. */
    bool vt_saved;
    uid_t vt_uid;
    gid_t vt_gid;
    mode_t vt_mode;
    int vt_kbmode;

    enum state state;
    GPid pid;
    guint child_watch;
    guint restart_timer;
    guint kill_timer;
    bool sent_term;
    gint64 started_at;
    unsigned quick_crashes;
    unsigned starts;
    sdvmd_greeter_exited_fn exited;
    void *userdata;
};

/* What the child does between fork and exec; only async-signal-safe calls. */
struct child_setup {
    uid_t uid;
    gid_t gid;
    const gid_t *groups;
    int n_groups;
    int tty_fd;
    const struct sdvmd_greeter_sandbox *sandbox;
};

static void
child_setup(gpointer data)
{
    const struct child_setup *cs = data;
    setsid();
    if (cs->tty_fd >= 0) {
        dup2(cs->tty_fd, STDIN_FILENO);
        ioctl(STDIN_FILENO, TIOCSCTTY, 0);
    }
    /* Review H2: the namespace while root; the filter once the ids are the greeter's. */
    if (sdvmd_greeter_sandbox_enter_namespace(cs->sandbox) < 0)
        _exit(127);
    if (setgroups((size_t)cs->n_groups, cs->groups) != 0 || setgid(cs->gid) != 0 ||
        setuid(cs->uid) != 0)
        _exit(127);
    /* Paranoia: never run a theme with root's ids, even if setuid lied. */
    if (getuid() != cs->uid || geteuid() != cs->uid || (cs->uid != 0 && setuid(0) == 0))
        _exit(127);
    if (sdvmd_greeter_sandbox_apply(cs->sandbox) < 0)
        _exit(127);
}

static int
kernel_get_kbmode(int fd, int *mode, void *data)
{
    (void)data;
    return ioctl(fd, KDGKBMODE, mode);
}

static int
kernel_set_kbmode(int fd, int mode, void *data)
{
    (void)data;
    return ioctl(fd, KDSKBMODE, mode);
}

static int
kernel_set_text_mode(int fd, void *data)
{
    (void)data;
    return ioctl(fd, KDSETMODE, KD_TEXT);
}

static const struct sdvmd_greeter_vt_ops kernel_vt_ops = {kernel_get_kbmode, kernel_set_kbmode,
                                                          kernel_set_text_mode, NULL};

sdvmd_greeter *
sdvmd_greeter_new(const struct sdvmd_greeter_params *params, sdvmd_greeter_exited_fn exited,
                  void *userdata)
{
    struct passwd *pw = getpwnam(params->user);
    if (!pw) {
        errno = ENOENT;
        return NULL;
    }
    sdvmd_greeter *g = g_new0(sdvmd_greeter, 1);
    g->argv = g_strdupv((char **)params->argv);
    g->extra_env = g_strdupv((char **)params->env);
    g->user = g_strdup(params->user);
    g->home = g_strdup(params->home);
    g->runtime_dir = g_strdup(params->runtime_dir);
    g->vt = params->vt;
    g->vt_path = params->vt_path ? g_strdup(params->vt_path) : g_strdup_printf("/dev/tty%d", params->vt);
    g->vt_ops = params->vt_ops ? params->vt_ops : &kernel_vt_ops;
    g->read_paths = g_strdupv((char **)params->read_paths);
    g->restart_delay_ms = params->restart_delay_ms > 1000 ? 1000 : params->restart_delay_ms;
    g->uid = pw->pw_uid;
    g->gid = pw->pw_gid;
    /* Resolve supplementary groups (video, input, render) now: NSS is not fork-safe. */
    int n = 32;
    g->groups = g_new(gid_t, n);
    if (getgrouplist(pw->pw_name, pw->pw_gid, g->groups, &n) < 0) {
        g->groups = g_renew(gid_t, g->groups, n);
        getgrouplist(pw->pw_name, pw->pw_gid, g->groups, &n);
    }
    g->n_groups = n;
    g->exited = exited;
    g->userdata = userdata;
    return g;
}

/* Which [Greeter] key becomes which sdvm-greeter option; values in sdvm.conf's own text form
 * (lists joined with ';', booleans as true or false). */
static const struct {
    const char *key;
    const char *option;
} greeter_options[] = {
    {"Theme", "--theme"},
    {"ThemeDirs", "--theme-dirs"},
    {"Platform", "--default-platform"},
    {"KeyboardLayouts", "--keyboard-layouts"}, /* empty: the greeter asks the host */
    {"VirtualKeyboard", "--virtual-keyboard"},
};

/* One argv entry per option ("--theme=sdvm"), so no value can pass for an option of its own. */
static char **
config_args(const struct sdvm_config *config, const char *user)
{
    GPtrArray *args = g_ptr_array_new();
    g_ptr_array_add(args, g_strdup_printf("--user=%s", user));
    for (size_t i = 0; i < G_N_ELEMENTS(greeter_options); i++) {
        g_autofree char *value = sdvm_config_get_text(config, "Greeter", greeter_options[i].key);
        if (value && *value)
            g_ptr_array_add(args, g_strdup_printf("%s=%s", greeter_options[i].option, value));
    }
    g_ptr_array_add(args, NULL);
    return (char **)g_ptr_array_free(args, FALSE);
}

sdvmd_greeter *
sdvmd_greeter_new_from_config(const struct sdvm_config *config, const char *const *extra_args,
                              const char *const *extra_env, int vt,
                              sdvmd_greeter_exited_fn exited, void *userdata)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_ptr_array_add(argv, config->greeter.command);
    for (const char *const *a = extra_args; a && *a; a++)
        g_ptr_array_add(argv, (gpointer)*a);
    g_ptr_array_add(argv, NULL);
    g_autoptr(GPtrArray) env = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(env, g_strdup_printf("SDVM_SOCKET=%s", config->paths.socket));
    for (const char *const *e = extra_env; e && *e; e++)
        g_ptr_array_add(env, g_strdup(*e));
    g_ptr_array_add(env, NULL);
    g_autofree char *home = g_build_filename(config->paths.state_dir, "greeter", NULL);
    /* Next to the socket: /run/sdvm/greeter normally, inside the demo's dir in the demo. */
    g_autofree char *run_dir = g_path_get_dirname(config->paths.socket);
    g_autofree char *runtime = g_build_filename(run_dir, "greeter", NULL);
    struct sdvmd_greeter_params params = {
        .argv = (const char *const *)argv->pdata,
        .user = config->greeter.user,
        .home = home,
        .runtime_dir = runtime,
        .env = (const char *const *)env->pdata,
        .vt = vt,
        .restart_delay_ms = RESTART_DELAY_MS,
        /* The themes: readable (the Landlock view), besides the system's files. */
        .read_paths = (const char *const *)config->greeter.theme_dirs,
    };
    sdvmd_greeter *g = sdvmd_greeter_new(&params, exited, userdata);
    if (g)
        g->config_args = config_args(config, g->user);
    return g;
}

void
sdvmd_greeter_reconfigure(sdvmd_greeter *g, const struct sdvm_config *config)
{
    if (!g->config_args)
        return;
    g_strfreev(g->config_args);
    g->config_args = config_args(config, g->user);
}

static void
clear_source(guint *id)
{
    if (*id) {
        g_source_remove(*id);
        *id = 0;
    }
}

static void restore_vt(sdvmd_greeter *g);

static void
kill_and_reap(sdvmd_greeter *g)
{
    if (!g->pid)
        return;
    clear_source(&g->child_watch);
    sdvmd_child_stop(g->pid, KILL_GRACE_MS);
    g->pid = 0;
    restore_vt(g);
}

void
sdvmd_greeter_free(sdvmd_greeter *g)
{
    if (!g)
        return;
    g->state = STOPPED;
    clear_source(&g->restart_timer);
    clear_source(&g->kill_timer);
    kill_and_reap(g);
    g_strfreev(g->argv);
    g_strfreev(g->config_args);
    g_strfreev(g->extra_env);
    g_free(g->user);
    g_free(g->home);
    g_free(g->runtime_dir);
    g_free(g->vt_path);
    g_strfreev(g->read_paths);
    g_free(g->groups);
    g_free(g);
}

/* A private dir owned by the greeter user (cache, runtime dir). */
static int
prepare_dir(const char *path, uid_t uid, gid_t gid)
{
    if (!path)
        return 0;
    if (g_mkdir_with_parents(path, 0700) != 0)
        return -errno;
    /* L6: never follow a symlink planted in its place (a root chown of any file). */
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int r = 0;
    if (fchown(fd, uid, gid) != 0 || fchmod(fd, 0700) != 0)
        r = -errno;
    close(fd);
    return r;
}

static char **
child_environment(const sdvmd_greeter *g)
{
    char **env = sdvmd_child_env_new("/usr/local/bin:/usr/bin:/bin");
    env = g_environ_setenv(env, "USER", g->user, TRUE);
    env = g_environ_setenv(env, "LOGNAME", g->user, TRUE);
    env = g_environ_setenv(env, "SHELL", "/usr/sbin/nologin", TRUE);
    if (g->home)
        env = g_environ_setenv(env, "HOME", g->home, TRUE);
    if (g->runtime_dir)
        env = g_environ_setenv(env, "XDG_RUNTIME_DIR", g->runtime_dir, TRUE);
    return sdvmd_child_env_add(env, (const char *const *)g->extra_env);
}

static int
open_vt(sdvmd_greeter *g)
{
    if (g->vt <= 0)
        return -1;
    const char *path = g->vt_path;
    int fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        log_warningf("greeter: cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    /* The greeter switches the VT to graphics mode itself (Qt's eglfs does). */
    struct stat st;
    if (!g->vt_saved && fstat(fd, &st) == 0) {
        g->vt_saved = true;
        g->vt_uid = st.st_uid;
        g->vt_gid = st.st_gid;
        g->vt_mode = st.st_mode & 07777;
        if (g->vt_ops->get_kbmode(fd, &g->vt_kbmode, g->vt_ops->data) != 0)
            g->vt_kbmode = -1;
    }
    if (fchown(fd, g->uid, g->gid) != 0 || fchmod(fd, 0600) != 0)
        log_warningf("greeter: cannot hand %s to %s: %s", path, g->user, strerror(errno));
    return fd;
}

/* L6: the VT back to its owner and mode, in text mode with its keyboard mode, whatever the
 * greeter (or a theme) left behind. */
static void
restore_vt(sdvmd_greeter *g)
{
    if (g->vt <= 0 || !g->vt_saved)
        return;
    const char *path = g->vt_path;
    int fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        log_warningf("greeter: cannot take %s back: %s", path, strerror(errno));
        return;
    }
    if (fchown(fd, g->vt_uid, g->vt_gid) != 0 || fchmod(fd, g->vt_mode) != 0)
        log_warningf("greeter: cannot give %s back to its owner: %s", path, strerror(errno));
    g->vt_ops->set_text_mode(fd, g->vt_ops->data);
    if (g->vt_kbmode >= 0)
        g->vt_ops->set_kbmode(fd, g->vt_kbmode, g->vt_ops->data);
    close(fd);
    g->vt_saved = false;
}

static void schedule_restart(sdvmd_greeter *g);

static void
on_child_exit(GPid pid, gint status, gpointer data)
{
    sdvmd_greeter *g = data;
    g->child_watch = 0;
    g_spawn_close_pid(pid);
    g->pid = 0;
    clear_source(&g->kill_timer);
    restore_vt(g);

    bool expected = g->state == RELEASED;
    if (expected) {
        g->state = STOPPED;
        log_infof("greeter exited after a login (status 0x%x)", (unsigned)status);
    } else {
        if (g_get_monotonic_time() - g->started_at < CRASH_WINDOW_US)
            g->quick_crashes++;
        else
            g->quick_crashes = 0;
        if (WIFSIGNALED(status))
            log_errorf("greeter killed by signal %d; restarting", WTERMSIG(status));
        else
            log_errorf("greeter exited with status %d; restarting", WEXITSTATUS(status));
    }
    if (g->exited)
        g->exited(status, expected, g->userdata);
    if (!expected && g->state == SUPERVISED)
        schedule_restart(g);
}

/* The value of the last --NAME=value or --NAME value in argv (the greeter's rule: the last of
 * an option given twice wins); NULL when absent. */
static const char *
last_option(char *const *argv, const char *name)
{
    const char *value = NULL;
    size_t n = strlen(name);
    for (char *const *a = argv; *a; a++) {
        if (strncmp(*a, name, n) != 0)
            continue;
        if ((*a)[n] == '=')
            value = *a + n + 1;
        else if ((*a)[n] == '\0' && a[1])
            value = *++a;
    }
    return value;
}

/* Issue 16: the configured greeter or its Qt 5 sibling, as the theme's QtVersion asks
 * (sdvm_greeter_choose owns the rule). The embedded fallback theme runs in the configured one. */
static char *
choose_binary(const sdvmd_greeter *g, char *const *argv, bool fallback)
{
    if (fallback)
        return g_strdup(g->argv[0]);
    const char *theme = last_option(argv, "--theme");
    const char *dirs_text = last_option(argv, "--theme-dirs");
    g_auto(GStrv) dirs = g_strsplit(dirs_text ? dirs_text : "", ";", -1);
    char chosen[4096];
    int qt = sdvm_greeter_choose(g->argv[0], theme, (const char *const *)dirs, chosen,
                                 sizeof(chosen));
    if (qt < 0)
        return g_strdup(g->argv[0]);
    if (strcmp(chosen, g->argv[0]) != 0)
        log_infof("greeter: theme %s is for Qt %d: starting %s", theme, qt, chosen);
    return g_strdup(chosen);
}

static int
spawn(sdvmd_greeter *g)
{
    int r;
    if ((r = prepare_dir(g->home, g->uid, g->gid)) < 0 ||
        (r = prepare_dir(g->runtime_dir, g->uid, g->gid)) < 0) {
        log_errorf("greeter: cannot prepare its directories: %s", strerror(-r));
        return r;
    }
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_ptr_array_add(argv, g->argv[0]);
    for (char **a = g->config_args; a && *a; a++)
        g_ptr_array_add(argv, *a);
    for (char **a = g->argv + 1; *a; a++)
        g_ptr_array_add(argv, *a);
    bool fallback = g->quick_crashes >= CRASHES_BEFORE_FALLBACK;
    if (fallback) {
        log_errorf("greeter crashed %u times at start; using the embedded fallback theme",
                   g->quick_crashes);
        g_ptr_array_add(argv, (gpointer) "--fallback");
    }
    g_ptr_array_add(argv, NULL);
    /* The sandbox below allows execve of exactly this pointer: the chosen binary. */
    g_autofree char *program = choose_binary(g, (char *const *)argv->pdata, fallback);
    argv->pdata[0] = program;

    g_auto(GStrv) env = child_environment(g);
    struct sdvmd_greeter_sandbox sandbox;
    const bool keep_network = sdvmd_greeter_env_wants_network((const char *const *)env);
    /* argv->pdata[0] is the very pointer GLib hands to execve in the child. */
    r = sdvmd_greeter_sandbox_prepare(&sandbox, argv->pdata[0], keep_network);
    if (r == -ENOTSUP)
        log_warningf("greeter: no seccomp filter for this architecture; it runs with "
                     "no_new_privs and its own network namespace only");
    else if (r < 0) {
        log_errorf("greeter: cannot build its seccomp filter: %s", strerror(-r));
        return r;
    }
    /* Issue 14 §1: the file-system view. Reads: its binary's dir, the themes; writes: its
     * home and runtime dir; its VT. */
    g_autoptr(GPtrArray) reads = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(reads, g_path_get_dirname(g->argv[0]));
#ifdef SDVM_BUILD_LIBDIR
    /* A greeter run from the build tree (the demo, the tests) finds libsdvm there; the
     * directory does not exist where sdvm is installed. */
    g_ptr_array_add(reads, g_strdup(SDVM_BUILD_LIBDIR));
#endif
    for (char **p = g->read_paths; p && *p; p++)
        g_ptr_array_add(reads, g_strdup(*p));
    /* What its options name (sdvmd's own arguments, never the theme's): --theme=/folder,
     * --theme-dirs=a;b. */
    for (guint i = 1; i + 1 < argv->len; i++) {
        const char *a = argv->pdata[i];
        if (g_str_has_prefix(a, "--theme=/"))
            g_ptr_array_add(reads, g_strdup(a + 8));
        else if (g_str_has_prefix(a, "--theme-dirs=")) {
            g_auto(GStrv) dirs = g_strsplit(a + 13, ";", -1);
            for (char **d = dirs; *d; d++)
                if (**d == '/')
                    g_ptr_array_add(reads, g_strdup(*d));
        }
    }
    g_ptr_array_add(reads, NULL);
    const char *writes[] = {g->home, g->runtime_dir, NULL};
    if (!g->home)
        writes[0] = g->runtime_dir, writes[1] = NULL;
    const char *devices[] = {g->vt > 0 ? g->vt_path : NULL, NULL};
    int abi = sdvmd_greeter_sandbox_add_files(&sandbox, (const char *const *)reads->pdata, writes,
                                              devices);
    if (abi < 0 && !g->landlock_logged) {
        g->landlock_logged = true;
        if (abi == -ENOTSUP)
            log_warningf("greeter: this kernel has no Landlock; its file-system view is not "
                         "restricted (it reads what its user may read)");
        else
            log_warningf("greeter: cannot restrict its file-system view: %s", strerror(-abi));
    }
    if (keep_network)
        log_warningf("greeter: QT_QPA_PLATFORM is vnc, so it keeps the network (TCP) to "
                     "serve its screen");
    struct child_setup cs = {g->uid, g->gid, g->groups, g->n_groups, open_vt(g), &sandbox};
    g_autoptr(GError) error = NULL;
    GPid pid;
    gboolean ok = g_spawn_async(g->home ? g->home : "/", (char **)argv->pdata, env,
                                G_SPAWN_DO_NOT_REAP_CHILD,
                                child_setup, &cs, &pid, &error);
    sdvmd_greeter_sandbox_release(&sandbox);
    if (cs.tty_fd >= 0)
        close(cs.tty_fd);
    if (!ok) {
        log_errorf("greeter: cannot start %s: %s", program, error->message);
        return -ENOEXEC;
    }
    g->pid = pid;
    g->sent_term = false;
    g->starts++;
    g->started_at = g_get_monotonic_time();
    g->child_watch = g_child_watch_add(pid, on_child_exit, g);
    log_infof("greeter started (pid %d, user %s%s)", (int)pid, g->user,
              fallback ? ", fallback theme" : "");
    return 0;
}

static gboolean
on_restart_timer(gpointer data)
{
    sdvmd_greeter *g = data;
    g->restart_timer = 0;
    if (g->state == SUPERVISED && !g->pid && spawn(g) < 0)
        schedule_restart(g);
    return G_SOURCE_REMOVE;
}

static void
schedule_restart(sdvmd_greeter *g)
{
    if (!g->restart_timer)
        g->restart_timer = g_timeout_add(g->restart_delay_ms, on_restart_timer, g);
}

int
sdvmd_greeter_start(sdvmd_greeter *g)
{
    g->state = SUPERVISED;
    if (g->pid || g->restart_timer)
        return 0;
    return spawn(g);
}

/* A released greeter that does not leave: SIGTERM, then SIGKILL after a grace period. */
static gboolean
on_kill_timer(gpointer data)
{
    sdvmd_greeter *g = data;
    g->kill_timer = 0;
    if (!g->pid)
        return G_SOURCE_REMOVE;
    if (!g->sent_term) {
        log_warningf("greeter did not exit after the login; terminating it");
        kill(g->pid, SIGTERM);
        g->sent_term = true;
        g->kill_timer = g_timeout_add(KILL_GRACE_MS, on_kill_timer, g);
    } else {
        log_errorf("greeter ignored SIGTERM; killing it");
        kill(g->pid, SIGKILL);
    }
    return G_SOURCE_REMOVE;
}

void
sdvmd_greeter_release(sdvmd_greeter *g, unsigned timeout_ms)
{
    clear_source(&g->restart_timer);
    g->quick_crashes = 0;
    if (!g->pid) {
        g->state = STOPPED;
        if (g->exited)
            g->exited(0, true, g->userdata);
        return;
    }
    g->state = RELEASED;
    clear_source(&g->kill_timer);
    g->kill_timer = g_timeout_add(timeout_ms, on_kill_timer, g);
}

pid_t
sdvmd_greeter_pid(const sdvmd_greeter *g)
{
    return g->pid;
}

uid_t
sdvmd_greeter_uid(const sdvmd_greeter *g)
{
    return g->uid;
}

unsigned
sdvmd_greeter_starts(const sdvmd_greeter *g)
{
    return g->starts;
}
