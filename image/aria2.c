/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "aria2.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <jansson.h>

#include "http.h"
#include "sdvm/log.h"

#define RPC_MAX_ANSWER (1024 * 1024)
#define RPC_TIMEOUT_MS 10000

struct aria2 {
    pid_t pid;
    char url[64];
    char token[80]; /* "token:<secret>" */
    unsigned next_id;
};

int
aria2_pid(const struct aria2 *a)
{
    return a ? a->pid : -1;
}

/* A port the kernel calls free on loopback now (aria2 binds it a moment later). */
static int
free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -errno;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof(sa);
    int port = -1;
    if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
        getsockname(s, (struct sockaddr *)&sa, &sl) == 0)
        port = ntohs(sa.sin_port);
    else
        port = -errno;
    close(s);
    return port;
}

static char *
format_ratio(uint32_t milli)
{
    return g_strdup_printf("%" PRIu32 ".%03" PRIu32, milli / 1000, milli % 1000);
}

static char *
write_conf(const struct aria2_options *o, int rpc_port, const char *secret, char **error)
{
    g_autofree char *ratio = format_ratio(o->seed_ratio_milli);
    GString *c = g_string_new("# Written by sdvm-image for its aria2c child; regenerated on "
                              "every start.\n");
    g_string_append_printf(c, "enable-rpc=true\nrpc-listen-all=false\nrpc-listen-port=%d\n"
                              "rpc-secret=%s\nrpc-allow-origin-all=false\n",
                           rpc_port, secret);
    g_string_append_printf(c, "stop-with-process=%d\n", (int)getpid());
    g_string_append(c, "daemon=false\nquiet=true\nsummary-interval=0\nconsole-log-level=error\n"
                       "continue=true\nallow-overwrite=false\nauto-file-renaming=false\n"
                       "file-allocation=none\nauto-save-interval=1\nbt-save-metadata=false\n"
                       "bt-hash-check-seed=true\nfollow-torrent=false\nmax-concurrent-downloads=16\n"
                       "enable-dht=false\nenable-dht6=false\nenable-peer-exchange=false\n"
                       "bt-remove-unselected-file=false\nmax-download-result=1000\n"
                       "disk-cache=16M\nrpc-save-upload-metadata=false\n");
    /* The image server may sit behind the lab's proxy rules, the peers never: no proxy. */
    g_string_append(c, "no-proxy=*\n");
    g_string_append_printf(c, "listen-port=%" PRIu32 "\nbt-enable-lpd=%s\n", o->listen_port,
                           o->local_peer_discovery ? "true" : "false");
    if (o->trackers && o->trackers[0]) {
        g_autofree char *list = g_strjoinv(",", (char **)o->trackers);
        g_string_append_printf(c, "bt-exclude-tracker=*\nbt-tracker=%s\n", list);
    }
    g_string_append_printf(c, "max-overall-download-limit=%" PRIu32 "K\n"
                              "max-overall-upload-limit=%" PRIu32 "K\n",
                           o->max_download_kibps, o->max_upload_kibps);
    /* aria2 counts seeding in (fractional) minutes; 0 minutes = do not seed; no seed-time
     * and ratio 0 = seed for ever (the image server). */
    if (o->seed_time_ms != ARIA2_SEED_FOREVER)
        g_string_append_printf(c, "seed-time=%.4f\n", o->seed_time_ms / 60000.0);
    g_string_append_printf(c, "seed-ratio=%s\n", ratio);
    if (o->max_peers)
        g_string_append_printf(c, "bt-max-peers=%" PRIu32 "\n", o->max_peers);
    if (o->log_path)
        g_string_append_printf(c, "log=%s\nlog-level=info\n", o->log_path);
    g_autofree char *path = g_build_filename(o->work_dir, "aria2.conf", NULL);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 || fchmod(fd, 0600) < 0 || write(fd, c->str, c->len) != (ssize_t)c->len) {
        *error = g_strdup_printf("%s: %s", path, g_strerror(errno));
        if (fd >= 0)
            close(fd);
        g_string_free(c, TRUE);
        return NULL;
    }
    close(fd);
    /* The secret is in there: do not leave it in freed memory. */
    explicit_bzero(c->str, c->len);
    g_string_free(c, TRUE);
    return g_steal_pointer(&path);
}

/* One JSON-RPC call; *result is a new reference. -EIO on transport or RPC error. */
static int
call(struct aria2 *a, const char *method, json_t *params, json_t **result, char **error)
{
    json_t *full = json_array();
    json_array_append_new(full, json_string(a->token));
    if (params) {
        size_t i;
        json_t *v;
        json_array_foreach (params, i, v)
            json_array_append(full, v);
        json_decref(params);
    }
    char id[16];
    snprintf(id, sizeof(id), "%u", ++a->next_id);
    json_t *req = json_pack("{s:s, s:s, s:s, s:o}", "jsonrpc", "2.0", "id", id, "method", method,
                            "params", full);
    char *text = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    if (!text)
        return -ENOMEM;
    char *body = NULL;
    size_t len = 0;
    int r = http_post_json(a->url, text, RPC_MAX_ANSWER, RPC_TIMEOUT_MS, &body, &len, error);
    explicit_bzero(text, strlen(text));
    free(text);
    if (r < 0)
        return r;
    json_error_t jerr;
    json_t *ans = json_loadb(body, len, 0, &jerr);
    g_free(body);
    if (!ans) {
        *error = g_strdup_printf("aria2 %s: answer is not JSON: %s", method, jerr.text);
        return -EIO;
    }
    json_t *err = json_object_get(ans, "error");
    if (err) {
        const char *msg = json_string_value(json_object_get(err, "message"));
        *error = g_strdup_printf("aria2 %s: %s", method, msg ? msg : "error");
        json_decref(ans);
        return -EIO;
    }
    json_t *res = json_object_get(ans, "result");
    if (!res) {
        *error = g_strdup_printf("aria2 %s: no result", method);
        json_decref(ans);
        return -EIO;
    }
    if (result)
        *result = json_incref(res);
    json_decref(ans);
    return 0;
}

static void
sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

int
aria2_start(const struct aria2_options *o, struct aria2 **out, char **error)
{
    *out = NULL;
    *error = NULL;
    unsigned char raw[24];
    if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
        *error = g_strdup_printf("getrandom: %s", g_strerror(errno));
        return -EIO;
    }
    char secret[2 * sizeof(raw) + 1];
    for (size_t i = 0; i < sizeof(raw); i++)
        snprintf(secret + 2 * i, 3, "%02x", raw[i]);
    explicit_bzero(raw, sizeof(raw));
    int port = free_port();
    if (port < 0) {
        *error = g_strdup_printf("no free loopback port: %s", g_strerror(-port));
        return port;
    }
    g_autofree char *conf = write_conf(o, port, secret, error);
    if (!conf)
        return -EIO;
    const char *bin = getenv("SDVM_ARIA2C");
    if (!bin || !*bin)
        bin = "aria2c";
    g_autofree char *conf_arg = g_strdup_printf("--conf-path=%s", conf);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        *error = g_strdup_printf("fork: %s", g_strerror(errno));
        return -errno;
    }
    if (pid == 0) {
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (devnull >= 0) {
            dup2(devnull, 0);
            dup2(devnull, 1);
        }
        execlp(bin, bin, conf_arg, (char *)NULL);
        _exit(127);
    }
    struct aria2 *a = g_new0(struct aria2, 1);
    a->pid = pid;
    snprintf(a->url, sizeof(a->url), "http://127.0.0.1:%d/jsonrpc", port);
    snprintf(a->token, sizeof(a->token), "token:%s", secret);
    explicit_bzero(secret, sizeof(secret));
    /* Ready when it answers; it reads the configuration and binds within a second. */
    for (int i = 0; i < 200; i++) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            a->pid = -1;
            *error = g_strdup_printf("%s exited at start (status %d): is aria2 installed?", bin,
                                     WIFEXITED(status) ? WEXITSTATUS(status) : -1);
            g_free(a);
            return -ENOENT;
        }
        char *e = NULL;
        if (call(a, "aria2.getVersion", NULL, NULL, &e) == 0) {
            *out = a;
            return 0;
        }
        g_free(e);
        sleep_ms(50);
    }
    *error = g_strdup_printf("%s did not answer on %s", bin, a->url);
    aria2_stop(a);
    return -ETIMEDOUT;
}

void
aria2_stop(struct aria2 *a)
{
    if (!a)
        return;
    if (a->pid > 0) {
        char *e = NULL;
        /* forceShutdown: control files are saved all the same, but no waiting for trackers
         * to hear "stopped" (they forget a silent peer by themselves). */
        if (call(a, "aria2.forceShutdown", NULL, NULL, &e) < 0)
            kill(a->pid, SIGTERM);
        g_free(e);
        int status;
        int waited = 0;
        while (waitpid(a->pid, &status, WNOHANG) == 0) {
            if (waited == 100) /* 5 s: it saves control files, nothing more */
                kill(a->pid, SIGKILL);
            sleep_ms(50);
            waited++;
        }
    }
    explicit_bzero(a->token, sizeof(a->token));
    g_free(a);
}

int
aria2_add_torrent(struct aria2 *a, const void *torrent, size_t len, const char *dir,
                  bool seed_only, char **gid, char **error)
{
    *gid = NULL;
    *error = NULL;
    g_autofree char *b64 = g_base64_encode(torrent, len);
    /* check-integrity: a resumed download's pieces (and a seed's file) are hashed again
     * rather than trusted, so a piece torn by a crash is fetched anew. */
    json_t *opts = json_pack("{s:s, s:s}", "dir", dir, "check-integrity", "true");
    (void)seed_only; /* the same options: aria2 seeds a complete file after checking it */
    json_t *params = json_pack("[s, [], o]", b64, opts);
    json_t *res = NULL;
    int r = call(a, "aria2.addTorrent", params, &res, error);
    if (r < 0)
        return r;
    const char *g = json_string_value(res);
    if (!g) {
        json_decref(res);
        *error = g_strdup("aria2.addTorrent: no gid");
        return -EIO;
    }
    *gid = g_strdup(g);
    json_decref(res);
    return 0;
}

static uint64_t
num(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? g_ascii_strtoull(s, NULL, 10) : 0;
}

int
aria2_tell(struct aria2 *a, const char *gid, struct aria2_status *st, char **error)
{
    memset(st, 0, sizeof(*st));
    *error = NULL;
    json_t *params = json_pack("[s, [s,s,s,s,s,s,s,s,s,s]]", gid, "status", "totalLength",
                               "completedLength", "uploadLength", "downloadSpeed", "uploadSpeed",
                               "connections", "seeder", "errorCode", "errorMessage");
    json_t *res = NULL;
    int r = call(a, "aria2.tellStatus", params, &res, error);
    if (r < 0)
        return r;
    const char *status = json_string_value(json_object_get(res, "status"));
    snprintf(st->status, sizeof(st->status), "%s", status ? status : "unknown");
    st->total = num(res, "totalLength");
    st->completed = num(res, "completedLength");
    st->uploaded = num(res, "uploadLength");
    st->download_bps = num(res, "downloadSpeed");
    st->upload_bps = num(res, "uploadSpeed");
    st->connections = (uint32_t)num(res, "connections");
    const char *seeder = json_string_value(json_object_get(res, "seeder"));
    st->seeder = seeder && !strcmp(seeder, "true");
    st->error_code = (int)num(res, "errorCode");
    const char *msg = json_string_value(json_object_get(res, "errorMessage"));
    snprintf(st->error_message, sizeof(st->error_message), "%s", msg ? msg : "");
    json_decref(res);
    return 0;
}

int
aria2_remove(struct aria2 *a, const char *gid)
{
    char *e = NULL;
    int r = call(a, "aria2.forceRemove", json_pack("[s]", gid), NULL, &e);
    g_free(e);
    return r;
}

int
aria2_add_uris(struct aria2 *a, const char *gid, char *const *uris, char **error)
{
    *error = NULL;
    json_t *add = json_array();
    for (char *const *u = uris; u && *u; u++)
        json_array_append_new(add, json_string(*u));
    return call(a, "aria2.changeUri", json_pack("[s, i, [], o]", gid, 1, add), NULL, error);
}
