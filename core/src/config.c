/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sdvm.conf loader. GKeyFile parses values (escapes, ';' lists); a small line scanner of our
 * own finds the line of every section and key, because GKeyFile does not report lines, and
 * catches what GKeyFile would silently accept (a key set twice, a key before any section).
 * The schema is one table: name, type, limits and the default as the file would spell it;
 * defaults are parsed from that text by the same code that parses the file.
 */
#include "sdvm/config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "ini-lines.h"
#include "sdvm/log.h"

#ifndef SDVM_DEFAULT_STATEDIR
#error "SDVM_DEFAULT_STATEDIR must be defined by the build"
#endif

enum key_type {
    K_PATH,        /* absolute path */
    K_COMMAND,     /* command line whose first word is an absolute path */
    K_SSID,        /* 1..32 octets */
    K_BOOL,        /* true/false */
    K_U32,         /* decimal integer in [min, max] */
    K_SECONDS,     /* seconds, up to 3 decimals, stored as ms in [min, max] ms */
    K_MIB,         /* decimal integer (MiB) in [min, max] */
    K_BACKEND,     /* qcow2 | reflink | zvol */
    K_PATH_LIST,   /* ';'-separated absolute paths, at least one */
    K_LAYOUT_LIST, /* ';'-separated XKB layouts, may be empty */
    K_POWER_LIST,  /* ';'-separated power actions, may be empty */
    K_USERNAME,    /* a POSIX user name */
    K_NAME,        /* a theme or platform name */
    K_MACHINE,     /* auto | generic | a machine table name */
    K_PATH_OPT,    /* absolute path, or empty (off) */
    K_URL,         /* http:// or https:// URL, or empty (off) */
    K_URL_LIST,    /* ';'-separated http, https or udp URLs, may be empty */
    K_ID_LIST,     /* ';'-separated image ids, may be empty */
    K_RATIO,       /* decimal with up to 3 decimals, stored x 1000 in [min, max] */
};

struct key_desc {
    const char *section;
    const char *key;
    enum key_type type;
    size_t offset;       /* into struct sdvm_config */
    const char *def;     /* the default as the file spells it; NULL: derived */
    const char *derived; /* the default is <StateDir>/<derived> */
    uint64_t min, max;
};

#define OFF(field) offsetof(struct sdvm_config, field)

static const struct key_desc keys[] = {
    {"Paths", "StateDir", K_PATH, OFF(paths.state_dir), SDVM_DEFAULT_STATEDIR, NULL, 0, 0},
    {"Paths", "ImagesDir", K_PATH, OFF(paths.images_dir), NULL, "images", 0, 0},
    {"Paths", "UsersDir", K_PATH, OFF(paths.users_dir), NULL, "users", 0, 0},
    {"Paths", "RealmsDir", K_PATH, OFF(paths.realms_dir), SDVM_DEFAULT_SYSCONFDIR "/realms.d", NULL,
     0, 0},
    {"Paths", "CatDatabase", K_PATH, OFF(paths.cat_database), NULL, "cat.db", 0, 0},
    {"Paths", "CaDir", K_PATH, OFF(paths.ca_dir), NULL, "ca", 0, 0},
    {"Paths", "MachinesDir", K_PATH, OFF(paths.machines_dir), SDVM_DEFAULT_SYSCONFDIR "/machines.d",
     NULL, 0, 0},
    {"Paths", "RunGuest", K_PATH, OFF(paths.run_guest), SDVM_DEFAULT_LIBEXECDIR "/run-guest", NULL,
     0, 0},
    {"Paths", "Socket", K_PATH, OFF(paths.socket), SDVM_DEFAULT_RUNDIR "/sdvmd.sock", NULL, 0, 0},
    {"Paths", "Wtmp", K_PATH_OPT, OFF(paths.wtmp), "/var/log/wtmp", NULL, 0, 0},

    {"Network", "WifiSsid", K_SSID, OFF(network.wifi_ssid), "eduroam", NULL, 0, 0},
    {"Network", "UseWired", K_BOOL, OFF(network.use_wired), "true", NULL, 0, 0},
    {"Network", "UseWifi", K_BOOL, OFF(network.use_wifi), "true", NULL, 0, 0},
    {"Network", "AllowUnprotectedWired", K_BOOL, OFF(network.allow_unprotected_wired), "false",
     NULL, 0, 0},
    {"Network", "AuthTimeout", K_SECONDS, OFF(network.auth_timeout_ms), "25", NULL, 100, 600000},
    {"Network", "SlowServerNotice", K_SECONDS, OFF(network.slow_server_notice_ms), "5", NULL, 100,
     600000},
    {"Network", "EapStartTimeout", K_SECONDS, OFF(network.eap_start_timeout_ms), "3", NULL, 100,
     600000},
    {"Network", "AttemptTimeout", K_SECONDS, OFF(network.attempt_timeout_ms), "60", NULL, 100,
     3600000},
    {"Network", "WiredPreference", K_SECONDS, OFF(network.wired_preference_ms), "5", NULL, 0,
     60000},
    {"Network", "WiredRouteMetric", K_U32, OFF(network.wired_route_metric), "100", NULL, 0,
     UINT32_MAX},
    {"Network", "WifiRouteMetric", K_U32, OFF(network.wifi_route_metric), "600", NULL, 0,
     UINT32_MAX},

    {"Store", "Backend", K_BACKEND, OFF(store.backend), "qcow2", NULL, 0, 0},
    {"Store", "ReserveMiB", K_MIB, OFF(store.reserve_mib), "1024", NULL, 0, UINT64_C(1) << 40},

    {"Login", "ThrottleAfter", K_U32, OFF(login.throttle_after), "3", NULL, 0, 1000},
    {"Login", "ThrottleBaseSeconds", K_U32, OFF(login.throttle_base_s), "5", NULL, 1, 86400},
    {"Login", "ThrottleMaxSeconds", K_U32, OFF(login.throttle_max_s), "300", NULL, 1, 86400},

    {"Greeter", "User", K_USERNAME, OFF(greeter.user), "sdvm-greeter", NULL, 0, 0},
    {"Greeter", "Command", K_COMMAND, OFF(greeter.command), SDVM_DEFAULT_BINDIR "/sdvm-greeter",
     NULL, 0, 0},
    {"Greeter", "Theme", K_NAME, OFF(greeter.theme), "sdvm", NULL, 0, 0},
    {"Greeter", "ThemeDirs", K_PATH_LIST, OFF(greeter.theme_dirs),
     SDVM_DEFAULT_DATADIR "/themes;/usr/share/sddm/themes", NULL, 0, 0},
    {"Greeter", "Platform", K_NAME, OFF(greeter.platform), "auto", NULL, 0, 0},
    {"Greeter", "VirtualKeyboard", K_BOOL, OFF(greeter.virtual_keyboard), "false", NULL, 0, 0},
    {"Greeter", "KeyboardLayouts", K_LAYOUT_LIST, OFF(greeter.keyboard_layouts), "", NULL, 0, 0},
    {"Greeter", "PowerActions", K_POWER_LIST, OFF(greeter.power_actions), "poweroff;reboot", NULL,
     0, 0},

    {"Guest", "Machine", K_MACHINE, OFF(guest.machine), "auto", NULL, 0, 0},
    {"Guest", "HostReserveMiB", K_MIB, OFF(guest.host_reserve_mib), "1024", NULL, 0,
     UINT64_C(1) << 30},

    {"Images", "Source", K_URL, OFF(images.source), "", NULL, 0, 0},
    {"Images", "Follow", K_ID_LIST, OFF(images.follow), "", NULL, 0, 0},
    {"Images", "TrustedKey", K_PATH, OFF(images.trusted_key),
     SDVM_DEFAULT_SYSCONFDIR "/image-signing.pub", NULL, 0, 0},
    {"Images", "Trackers", K_URL_LIST, OFF(images.trackers), "", NULL, 0, 0},
    {"Images", "LocalPeerDiscovery", K_BOOL, OFF(images.local_peer_discovery), "true", NULL, 0,
     0},
    {"Images", "ListenPort", K_U32, OFF(images.listen_port), "6881", NULL, 1024, 65535},
    {"Images", "MaxDownloadKiBps", K_U32, OFF(images.max_download_kibps), "0", NULL, 0,
     UINT32_MAX / 1024},
    {"Images", "MaxUploadKiBps", K_U32, OFF(images.max_upload_kibps), "0", NULL, 0,
     UINT32_MAX / 1024},
    {"Images", "SeedTime", K_SECONDS, OFF(images.seed_time_ms), "3600", NULL, 0,
     UINT64_C(30) * 86400 * 1000},
    {"Images", "SeedRatio", K_RATIO, OFF(images.seed_ratio_milli), "0", NULL, 0, 1000000},
    {"Images", "WebSeedFallback", K_SECONDS, OFF(images.web_seed_fallback_ms), "30", NULL, 0,
     86400000},

    {"Metrics", "Textfile", K_PATH_OPT, OFF(metrics.textfile), "", NULL, 0, 0},
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

static const char *const power_names[] = {"poweroff", "reboot", "suspend", "hibernate",
                                          "hybrid-sleep"};
static const char *const backend_names[] = {"qcow2", "reflink", "zvol"};

/* ------------------------------------------------------------------------------------------ */
/* Errors                                                                                     */

static struct sdvm_config_error *error_new(const char *file, unsigned line, const char *section,
                                           const char *key, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static struct sdvm_config_error *
error_new(const char *file, unsigned line, const char *section, const char *key, const char *fmt,
          ...)
{
    struct sdvm_config_error *e = g_new0(struct sdvm_config_error, 1);
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    e->file = g_strdup(file);
    e->line = line;
    e->section = g_strdup(section);
    e->key = g_strdup(key);
    GString *m = g_string_new(file);
    if (line)
        g_string_append_printf(m, ":%u", line);
    g_string_append(m, ": ");
    if (section && key)
        g_string_append_printf(m, "[%s] %s: ", section, key);
    else if (section)
        g_string_append_printf(m, "[%s]: ", section);
    else if (key)
        g_string_append_printf(m, "%s: ", key);
    g_string_append(m, what);
    e->message = g_string_free(m, FALSE);
    return e;
}

void
sdvm_config_error_free(struct sdvm_config_error *e)
{
    if (!e)
        return;
    g_free(e->file);
    g_free(e->section);
    g_free(e->key);
    g_free(e->message);
    g_free(e);
}

/* ------------------------------------------------------------------------------------------ */
/* Value parsers: text -> field. On failure they return a message (to free) and touch nothing. */

static char **
field_str(struct sdvm_config *c, const struct key_desc *d)
{
    return (char **)((char *)c + d->offset);
}

static bool
has_control(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7F)
            return true;
    return false;
}

static char *
check_path(const char *v)
{
    if (!*v)
        return g_strdup("must not be empty");
    if (v[0] != '/')
        return g_strdup_printf("\"%s\" is not an absolute path", v);
    if (has_control(v))
        return g_strdup("contains a control character");
    if (strlen(v) >= 4096)
        return g_strdup("path is too long");
    return NULL;
}

static char *
parse_u64(const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
    if (!*v)
        return g_strdup("must not be empty");
    uint64_t n = 0;
    for (const char *p = v; *p; p++) {
        if (*p < '0' || *p > '9')
            return g_strdup_printf("\"%s\" is not a whole number", v);
        unsigned digit = (unsigned)(*p - '0');
        if (n > (UINT64_MAX - digit) / 10)
            return g_strdup_printf("\"%s\" is too large (at most %" PRIu64 ")", v, max);
        n = n * 10 + digit;
    }
    if (n < min || n > max)
        return g_strdup_printf("%" PRIu64 " is out of range (%" PRIu64 " to %" PRIu64 ")", n, min,
                               max);
    *out = n;
    return NULL;
}

/* "2.5" -> 2500. At most three decimals; min and max in ms. */
static char *
parse_seconds(const char *v, uint64_t min, uint64_t max, uint32_t *out)
{
    const char *dot = strchr(v, '.');
    g_autofree char *whole = dot ? g_strndup(v, (size_t)(dot - v)) : g_strdup(v);
    uint64_t s = 0, frac = 0;
    if (!*whole)
        return g_strdup_printf("\"%s\" is not a number of seconds", v);
    for (const char *p = whole; *p; p++)
        if (*p < '0' || *p > '9')
            return g_strdup_printf("\"%s\" is not a number of seconds", v);
    if (strlen(whole) > 9)
        return g_strdup_printf("\"%s\" is too large", v);
    s = g_ascii_strtoull(whole, NULL, 10);
    if (dot) {
        const char *f = dot + 1;
        size_t n = strlen(f);
        if (n == 0 || n > 3)
            return g_strdup_printf("\"%s\": give seconds with at most three decimals", v);
        for (size_t i = 0; i < 3; i++) {
            char ch = i < n ? f[i] : '0';
            if (ch < '0' || ch > '9')
                return g_strdup_printf("\"%s\" is not a number of seconds", v);
            frac = frac * 10 + (unsigned)(ch - '0');
        }
    }
    uint64_t ms = s * 1000 + frac;
    if (ms < min || ms > max)
        return g_strdup_printf("%s s is out of range (%g to %g s)", v, (double)min / 1000.0,
                               (double)max / 1000.0);
    *out = (uint32_t)ms;
    return NULL;
}

static char *
parse_bool(const char *v, bool *out)
{
    if (!strcmp(v, "true") || !strcmp(v, "1")) {
        *out = true;
        return NULL;
    }
    if (!strcmp(v, "false") || !strcmp(v, "0")) {
        *out = false;
        return NULL;
    }
    return g_strdup_printf("\"%s\" is not a boolean (true or false)", v);
}

/* [A-Za-z0-9._-]+, not starting with '.' or '-'. */
static bool
is_simple_name(const char *v)
{
    if (!*v || v[0] == '.' || v[0] == '-' || strlen(v) > 64)
        return false;
    for (const char *p = v; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '.' && *p != '_' && *p != '-')
            return false;
    return true;
}

static char *
check_username(const char *v)
{
    /* POSIX portable user names, as useradd accepts them by default. */
    size_t n = strlen(v);
    if (n == 0 || n > 32)
        return g_strdup("a user name has 1 to 32 characters");
    if (!(g_ascii_islower(v[0]) || v[0] == '_'))
        return g_strdup_printf("\"%s\" is not a valid user name", v);
    for (const char *p = v; *p; p++)
        if (!g_ascii_islower(*p) && !g_ascii_isdigit(*p) && *p != '_' && *p != '-')
            return g_strdup_printf("\"%s\" is not a valid user name", v);
    return NULL;
}

static char *
check_layout(const char *v)
{
    /* XKB layout, optionally with a variant: "br", "us(intl)", "de(nodeadkeys)". */
    if (!*v || strlen(v) > 64)
        return g_strdup("an empty or over-long keyboard layout");
    for (const char *p = v; *p; p++)
        if (!g_ascii_isalnum(*p) && !strchr("_-()+:", *p))
            return g_strdup_printf("\"%s\" is not a keyboard layout name", v);
    return NULL;
}

static char *
parse_power(char **list, unsigned *out)
{
    unsigned bits = 0;
    for (char **p = list; *p; p++) {
        size_t i;
        for (i = 0; i < G_N_ELEMENTS(power_names); i++)
            if (!strcmp(*p, power_names[i]))
                break;
        if (i == G_N_ELEMENTS(power_names))
            return g_strdup_printf(
                "\"%s\" is not a power action (poweroff, reboot, suspend, hibernate, "
                "hybrid-sleep)",
                *p);
        bits |= 1u << i;
    }
    *out = bits;
    return NULL;
}

/* Splits a ';' list the way GKeyFile does for a raw default string. */
static char **
split_list(const char *text)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autofree char *data = g_strdup_printf("[x]\nx=%s\n", text);
    if (!g_key_file_load_from_data(kf, data, (gsize)-1, G_KEY_FILE_NONE, NULL))
        return g_new0(char *, 1);
    char **v = g_key_file_get_string_list(kf, "x", "x", NULL, NULL);
    return v ? v : g_new0(char *, 1);
}

static char *
check_url(const char *v, bool tracker)
{
    static const char *const schemes[] = {"http://", "https://", "udp://"};
    size_t n_schemes = tracker ? 3 : 2;
    size_t i;
    for (i = 0; i < n_schemes; i++)
        if (g_str_has_prefix(v, schemes[i]) && v[strlen(schemes[i])])
            break;
    if (i == n_schemes)
        return g_strdup_printf("\"%s\" is not an %s URL", v,
                               tracker ? "http://, https:// or udp://" : "http:// or https://");
    if (strlen(v) > 2048)
        return g_strdup("URL is too long");
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p <= 0x20 || *p == 0x7F || *p == ',')
            return g_strdup_printf("\"%s\": a URL has no spaces, commas or control characters",
                                   v);
    return NULL;
}

/* "1.5" -> 1500: at most three decimals. */
static char *
parse_ratio(const char *v, uint64_t min, uint64_t max, uint32_t *out)
{
    const char *dot = strchr(v, '.');
    size_t whole_len = dot ? (size_t)(dot - v) : strlen(v);
    uint64_t n = 0;
    if (!whole_len || whole_len > 7)
        return g_strdup_printf("\"%s\" is not a ratio such as 1.5", v);
    for (size_t i = 0; i < whole_len; i++) {
        if (v[i] < '0' || v[i] > '9')
            return g_strdup_printf("\"%s\" is not a ratio such as 1.5", v);
        n = n * 10 + (unsigned)(v[i] - '0');
    }
    size_t frac_len = dot ? strlen(dot + 1) : 0;
    if (dot && (frac_len == 0 || frac_len > 3))
        return g_strdup_printf("\"%s\": at most three decimals", v);
    for (size_t i = 0; i < 3; i++) {
        char ch = i < frac_len ? dot[1 + i] : '0';
        if (ch < '0' || ch > '9')
            return g_strdup_printf("\"%s\" is not a ratio such as 1.5", v);
        n = n * 10 + (unsigned)(ch - '0');
    }
    if (n < min || n > max)
        return g_strdup_printf("%s is out of range (%g to %g)", v, (double)min / 1000.0,
                               (double)max / 1000.0);
    *out = (uint32_t)n;
    return NULL;
}

/*
 * Parse one value. string is the unescaped value; list the ';' split (for list keys).
 * Sets the field in c, replacing what was there.
 */
static char *
apply_value(struct sdvm_config *c, const struct key_desc *d, const char *string, char **list)
{
    char *err = NULL;
    void *field = (char *)c + d->offset;
    switch (d->type) {
    case K_PATH:
        if ((err = check_path(string)))
            return err;
        g_free(*field_str(c, d));
        *field_str(c, d) = g_strdup(string);
        return NULL;
    case K_COMMAND: {
        g_auto(GStrv) argv = NULL;
        if (!*string)
            return g_strdup("must not be empty");
        /* A control character (a stray CR at the end of the file, say) would not survive
         * being written back and read again, and has no business in a command line. */
        if (has_control(string))
            return g_strdup("contains a control character");
        if (!g_shell_parse_argv(string, NULL, &argv, NULL))
            return g_strdup_printf("\"%s\" is not a valid command line", string);
        if ((err = check_path(argv[0])))
            return err;
        g_free(*field_str(c, d));
        *field_str(c, d) = g_strdup(string);
        return NULL;
    }
    case K_SSID: {
        size_t n = strlen(string);
        if (n == 0 || n > 32)
            return g_strdup_printf("an SSID has 1 to 32 octets, not %zu", n);
        if (has_control(string))
            return g_strdup("contains a control character");
        g_free(*field_str(c, d));
        *field_str(c, d) = g_strdup(string);
        return NULL;
    }
    case K_BOOL:
        return parse_bool(string, field);
    case K_U32: {
        uint64_t v;
        if ((err = parse_u64(string, d->min, d->max, &v)))
            return err;
        *(uint32_t *)field = (uint32_t)v;
        return NULL;
    }
    case K_MIB:
        return parse_u64(string, d->min, d->max, field);
    case K_SECONDS:
        return parse_seconds(string, d->min, d->max, field);
    case K_BACKEND:
        for (size_t i = 0; i < G_N_ELEMENTS(backend_names); i++) {
            if (!strcmp(string, backend_names[i])) {
                *(enum sdvm_store_backend_kind *)field = (enum sdvm_store_backend_kind)i;
                return NULL;
            }
        }
        return g_strdup_printf("\"%s\" is not a store backend (qcow2, reflink or zvol)", string);
    case K_PATH_LIST:
        if (!list[0])
            return g_strdup("give at least one directory");
        for (char **p = list; *p; p++)
            if ((err = check_path(*p)))
                return err;
        g_strfreev(*(char ***)field);
        *(char ***)field = g_strdupv(list);
        return NULL;
    case K_LAYOUT_LIST:
        for (char **p = list; *p; p++)
            if ((err = check_layout(*p)))
                return err;
        g_strfreev(*(char ***)field);
        *(char ***)field = g_strdupv(list);
        return NULL;
    case K_POWER_LIST:
        return parse_power(list, field);
    case K_USERNAME:
        if ((err = check_username(string)))
            return err;
        g_free(*field_str(c, d));
        *field_str(c, d) = g_strdup(string);
        return NULL;
    case K_PATH_OPT:
        if (*string && (err = check_path(string)))
            return err;
        g_free(*field_str(c, d));
        *field_str(c, d) = g_strdup(string);
        return NULL;
    case K_URL:
        if (*string && (err = check_url(string, false)))
            return err;
        g_free(*field_str(c, d));
        *field_str(c, d) = g_strdup(string);
        return NULL;
    case K_URL_LIST:
        for (char **p = list; *p; p++)
            if ((err = check_url(*p, true)))
                return err;
        g_strfreev(*(char ***)field);
        *(char ***)field = g_strdupv(list);
        return NULL;
    case K_ID_LIST:
        for (char **p = list; *p; p++)
            if (!is_simple_name(*p))
                return g_strdup_printf("\"%s\" is not an image id ([A-Za-z0-9._-], at most 64, "
                                       "not starting with '.' or '-')",
                                       *p);
        g_strfreev(*(char ***)field);
        *(char ***)field = g_strdupv(list);
        return NULL;
    case K_RATIO:
        return parse_ratio(string, d->min, d->max, field);
    case K_NAME:
    case K_MACHINE:
        if (!is_simple_name(string))
            return g_strdup_printf("\"%s\" is not a valid name (letters, digits, '.', '_', "
                                   "'-'; not starting with '.' or '-')",
                                   string);
        g_free(*field_str(c, d));
        *field_str(c, d) = g_strdup(string);
        return NULL;
    }
    return g_strdup("internal error: unknown key type");
}

static bool
is_list_type(enum key_type t)
{
    return t == K_PATH_LIST || t == K_LAYOUT_LIST || t == K_POWER_LIST || t == K_URL_LIST ||
           t == K_ID_LIST;
}

static bool
apply_default(struct sdvm_config *c, const struct key_desc *d)
{
    if (!d->def)
        return true; /* derived, filled in later */
    g_auto(GStrv) list = is_list_type(d->type) ? split_list(d->def) : NULL;
    g_autofree char *err = apply_value(c, d, d->def, list);
    if (err) {
        log_errorf("built-in default of [%s] %s is invalid: %s", d->section, d->key, err);
        return false;
    }
    return true;
}

static void
fill_derived(struct sdvm_config *c, const bool *set)
{
    for (size_t i = 0; i < N_KEYS; i++) {
        if (keys[i].def || set[i])
            continue;
        char **f = field_str(c, &keys[i]);
        g_free(*f);
        *f = g_build_filename(c->paths.state_dir, keys[i].derived, NULL);
    }
}

struct sdvm_config *
sdvm_config_new_defaults(void)
{
    struct sdvm_config *c = g_new0(struct sdvm_config, 1);
    bool set[N_KEYS] = {false};
    for (size_t i = 0; i < N_KEYS; i++) {
        if (!apply_default(c, &keys[i])) {
            sdvm_config_free(c);
            return NULL;
        }
    }
    fill_derived(c, set);
    return c;
}

void
sdvm_config_free(struct sdvm_config *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < N_KEYS; i++) {
        void *field = (char *)c + keys[i].offset;
        switch (keys[i].type) {
        case K_PATH:
        case K_COMMAND:
        case K_SSID:
        case K_USERNAME:
        case K_NAME:
        case K_MACHINE:
        case K_PATH_OPT:
        case K_URL:
            g_free(*(char **)field);
            break;
        case K_PATH_LIST:
        case K_LAYOUT_LIST:
        case K_URL_LIST:
        case K_ID_LIST:
            g_strfreev(*(char ***)field);
            break;
        case K_BOOL:
        case K_U32:
        case K_SECONDS:
        case K_MIB:
        case K_BACKEND:
        case K_POWER_LIST:
        case K_RATIO:
            break;
        }
    }
    g_free(c->source);
    g_free(c);
}

/* ------------------------------------------------------------------------------------------ */
/* The line scanner                                                                          */

static const struct key_desc *
find_key(const char *section, const char *key, size_t *index)
{
    for (size_t i = 0; i < N_KEYS; i++) {
        if (!strcmp(keys[i].section, section) && !strcmp(keys[i].key, key)) {
            if (index)
                *index = i;
            return &keys[i];
        }
    }
    return NULL;
}

static bool
known_section(const char *section)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (!strcmp(keys[i].section, section))
            return true;
    return false;
}

static const char *
known_sections_text(void)
{
    return "Paths, Network, Store, Login, Greeter, Guest, Images, Metrics";
}

/* Returns NULL and *out, or the first error in file order. */
static struct sdvm_config_error *
parse_data(const char *name, const char *data, size_t len, struct sdvm_config **out)
{
    const char *nul = memchr(data, '\0', len);
    if (nul)
        return error_new(name, sdvm_ini_line_of(data, nul), NULL, NULL,
                         "contains a NUL byte (not a text file)");
    const char *bad = NULL;
    if (!g_utf8_validate(data, (gssize)len, &bad))
        return error_new(name, sdvm_ini_line_of(data, bad), NULL, NULL, "not valid UTF-8");

    unsigned bad_line;
    g_autofree char *bad_section = NULL, *bad_key = NULL, *bad_message = NULL;
    g_autoptr(GArray) lines =
        sdvm_ini_scan(data, len, &bad_line, &bad_section, &bad_key, &bad_message);
    if (!lines)
        return error_new(name, bad_line, bad_section, bad_key, "%s", bad_message);
    struct sdvm_config_error *err = NULL;

    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) gerr = NULL;
    if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, &gerr))
        return error_new(name, 0, NULL, NULL, "%s", gerr->message);

    struct sdvm_config *c = sdvm_config_new_defaults();
    if (!c)
        return error_new(name, 0, NULL, NULL, "out of memory");
    bool set[N_KEYS] = {false};
    unsigned first_line[N_KEYS] = {0};
    for (guint i = 0; i < lines->len && !err; i++) {
        const struct sdvm_ini_line *s = &g_array_index(lines, struct sdvm_ini_line, i);
        if (!s->section) {
            if (!known_section(s->name))
                err = error_new(name, s->line, s->name, NULL, "unknown section (known: %s)",
                                known_sections_text());
            continue;
        }
        size_t idx = 0;
        const struct key_desc *d = find_key(s->section, s->name, &idx);
        if (!d) {
            err = error_new(name, s->line, s->section, s->name, "unknown key");
            continue;
        }
        if (set[idx]) {
            err = error_new(name, s->line, s->section, s->name, "set twice (first on line %u)",
                            first_line[idx]);
            continue;
        }
        set[idx] = true;
        first_line[idx] = s->line;

        g_autoptr(GError) verr = NULL;
        g_autofree char *string = g_key_file_get_string(kf, d->section, d->key, &verr);
        g_auto(GStrv) list = NULL;
        /* g_key_file_get_string() can return a value *and* set verr (an invalid escape):
         * asking for the list then would set verr a second time. */
        if (string && !verr && is_list_type(d->type)) {
            list = g_key_file_get_string_list(kf, d->section, d->key, NULL, &verr);
            if (!list && !verr)
                list = g_new0(char *, 1);
            if (!list && g_error_matches(verr, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE) &&
                !*string) {
                g_clear_error(&verr);
                list = g_new0(char *, 1);
            }
        }
        if (verr || !string) {
            err = error_new(name, s->line, d->section, d->key, "%s",
                            verr ? verr->message : "cannot be read");
            continue;
        }
        g_autofree char *what = apply_value(c, d, string, list);
        if (what)
            err = error_new(name, s->line, d->section, d->key, "%s", what);
    }
    if (err) {
        sdvm_config_free(c);
        return err;
    }
    fill_derived(c, set);
    c->source = g_strdup(name);
    *out = c;
    return NULL;
}

static int
report(struct sdvm_config_error *err, struct sdvm_config_error **error, int ret)
{
    log_errorf("%s", err->message);
    if (error)
        *error = err;
    else
        sdvm_config_error_free(err);
    return ret;
}

int
sdvm_config_load_data(const char *name, const char *data, size_t len, struct sdvm_config **out,
                      struct sdvm_config_error **error)
{
    if (error)
        *error = NULL;
    if (!out || !name || (!data && len))
        return -EINVAL;
    *out = NULL;
    struct sdvm_config_error *err = parse_data(name, data ? data : "", len, out);
    return err ? report(err, error, -EINVAL) : 0;
}

int
sdvm_config_load(const char *path, struct sdvm_config **out, struct sdvm_config_error **error)
{
    if (error)
        *error = NULL;
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!path)
        path = SDVM_CONFIG_DEFAULT_PATH;

    FILE *f = fopen(path, "re");
    if (!f) {
        int e = errno;
        if (e == ENOENT) {
            log_debugf("%s does not exist: using the defaults", path);
            *out = sdvm_config_new_defaults();
            return *out ? 0 : -ENOMEM;
        }
        return report(error_new(path, 0, NULL, NULL, "cannot be read: %s", g_strerror(e)), error,
                      -e);
    }
    /* A configuration file is small; refuse anything absurd rather than read it all. */
    enum { MAX_CONFIG = 1 << 20 };
    g_autofree char *data = g_malloc(MAX_CONFIG + 1);
    size_t len = fread(data, 1, MAX_CONFIG + 1, f);
    int read_error = ferror(f) ? errno : 0;
    fclose(f);
    if (read_error)
        return report(error_new(path, 0, NULL, NULL, "cannot be read: %s", g_strerror(read_error)),
                      error, -read_error);
    if (len > MAX_CONFIG)
        return report(error_new(path, 0, NULL, NULL, "is larger than 1 MiB"), error, -EFBIG);
    return sdvm_config_load_data(path, data, len, out, error);
}

const char *
sdvm_store_backend_kind_to_string(enum sdvm_store_backend_kind kind)
{
    switch (kind) {
    case SDVM_STORE_BACKEND_QCOW2:
        return "qcow2";
    case SDVM_STORE_BACKEND_REFLINK:
        return "reflink";
    case SDVM_STORE_BACKEND_ZVOL:
        return "zvol";
    }
    return "unknown";
}

bool
sdvm_config_key_at(size_t index, const char **section, const char **key, const char **default_text)
{
    static char derived_text[N_KEYS][64];
    if (index >= N_KEYS)
        return false;
    const struct key_desc *d = &keys[index];
    if (section)
        *section = d->section;
    if (key)
        *key = d->key;
    if (default_text) {
        if (d->def) {
            *default_text = d->def;
        } else {
            snprintf(derived_text[index], sizeof(derived_text[index]), "<StateDir>/%s", d->derived);
            *default_text = derived_text[index];
        }
    }
    return true;
}

char *
sdvm_config_get_text(const struct sdvm_config *c, const char *section, const char *key)
{
    const struct key_desc *d = c && section && key ? find_key(section, key, NULL) : NULL;
    if (!d)
        return NULL;
    const void *field = (const char *)c + d->offset;
    switch (d->type) {
    case K_PATH:
    case K_COMMAND:
    case K_SSID:
    case K_USERNAME:
    case K_NAME:
    case K_MACHINE:
    case K_PATH_OPT:
    case K_URL:
        return g_strdup(*(char *const *)field);
    case K_RATIO: {
        uint32_t m = *(const uint32_t *)field;
        if (m % 1000 == 0)
            return g_strdup_printf("%" PRIu32, m / 1000);
        char buf[32];
        snprintf(buf, sizeof(buf), "%" PRIu32 ".%03" PRIu32, m / 1000, m % 1000);
        size_t n = strlen(buf);
        while (buf[n - 1] == '0')
            buf[--n] = '\0';
        return g_strdup(buf);
    }
    case K_BOOL:
        return g_strdup(*(const bool *)field ? "true" : "false");
    case K_U32:
        return g_strdup_printf("%" PRIu32, *(const uint32_t *)field);
    case K_MIB:
        return g_strdup_printf("%" PRIu64, *(const uint64_t *)field);
    case K_SECONDS: {
        uint32_t ms = *(const uint32_t *)field;
        if (ms % 1000 == 0)
            return g_strdup_printf("%" PRIu32, ms / 1000);
        char buf[32];
        snprintf(buf, sizeof(buf), "%" PRIu32 ".%03" PRIu32, ms / 1000, ms % 1000);
        /* "2.500" -> "2.5" */
        size_t n = strlen(buf);
        while (buf[n - 1] == '0')
            buf[--n] = '\0';
        return g_strdup(buf);
    }
    case K_BACKEND:
        return g_strdup(
            sdvm_store_backend_kind_to_string(*(const enum sdvm_store_backend_kind *)field));
    case K_PATH_LIST:
    case K_LAYOUT_LIST:
    case K_URL_LIST:
    case K_ID_LIST:
        return g_strjoinv(";", *(char **const *)field);
    case K_POWER_LIST: {
        unsigned bits = *(const unsigned *)field;
        GString *s = g_string_new(NULL);
        for (size_t i = 0; i < G_N_ELEMENTS(power_names); i++) {
            if (bits & (1u << i)) {
                if (s->len)
                    g_string_append_c(s, ';');
                g_string_append(s, power_names[i]);
            }
        }
        return g_string_free(s, FALSE);
    }
    }
    return NULL;
}
