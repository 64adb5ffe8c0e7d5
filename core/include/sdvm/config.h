/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The terminal's configuration, /etc/sdvm/sdvm.conf (GLib key file; lists use ';').
 * Every key, its default and unit is in sdvm.conf(5); packaging/sdvm.conf is an annotated
 * example. A missing file means every default. An unknown section or key, a key set twice,
 * a syntax error or a bad value is an error naming the file, the line and the key.
 *
 * Units: *_ms fields hold milliseconds (the file says seconds, decimals allowed: "2.5");
 * *_mib fields hold MiB. Directories and files are absolute paths.
 */
#ifndef SDVM_CONFIG_H
#define SDVM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Where sdvmd and sdvm-admin look when no other file is named. */
#define SDVM_CONFIG_DEFAULT_PATH "/etc/sdvm/sdvm.conf"

enum sdvm_store_backend_kind {
    SDVM_STORE_BACKEND_QCOW2 = 0,   /* qcow2 overlay on any file system (default) */
    SDVM_STORE_BACKEND_REFLINK = 1, /* FICLONE copy on XFS or btrfs */
    SDVM_STORE_BACKEND_ZVOL = 2,    /* ZFS zvol clone (not built yet) */
};

/* sdvm_config.greeter.power_actions bits. */
enum sdvm_config_power {
    SDVM_CONFIG_POWER_OFF = 1u << 0,
    SDVM_CONFIG_POWER_REBOOT = 1u << 1,
    SDVM_CONFIG_POWER_SUSPEND = 1u << 2,
    SDVM_CONFIG_POWER_HIBERNATE = 1u << 3,
    SDVM_CONFIG_POWER_HYBRID_SLEEP = 1u << 4,
};

struct sdvm_config {
    char *source; /* the file read; NULL when only defaults are in effect */

    struct {
        char *state_dir;    /* StateDir */
        char *images_dir;   /* ImagesDir */
        char *users_dir;    /* UsersDir */
        char *realms_dir;   /* RealmsDir */
        char *cat_database; /* CatDatabase */
        char *ca_dir;       /* CaDir */
        char *machines_dir; /* MachinesDir */
        char *run_guest;    /* RunGuest */
        char *socket;       /* Socket */
        char *wtmp;         /* Wtmp: the session records ("" = none) */
    } paths;

    struct {
        char *wifi_ssid;               /* WifiSsid, 1..32 octets */
        bool use_wired;                /* UseWired */
        bool use_wifi;                 /* UseWifi */
        bool allow_unprotected_wired;  /* AllowUnprotectedWired */
        uint32_t auth_timeout_ms;      /* AuthTimeout */
        uint32_t slow_server_notice_ms; /* SlowServerNotice */
        uint32_t eap_start_timeout_ms; /* EapStartTimeout */
        uint32_t attempt_timeout_ms;   /* AttemptTimeout */
        uint32_t wired_preference_ms;  /* WiredPreference */
        uint32_t wired_route_metric;   /* WiredRouteMetric */
        uint32_t wifi_route_metric;    /* WifiRouteMetric */
    } network;

    struct {
        enum sdvm_store_backend_kind backend; /* Backend */
        uint64_t reserve_mib;                 /* ReserveMiB */
    } store;

    struct {
        uint32_t throttle_after;  /* ThrottleAfter; 0 = never throttle */
        uint32_t throttle_base_s; /* ThrottleBaseSeconds */
        uint32_t throttle_max_s;  /* ThrottleMaxSeconds */
    } login;

    struct {
        char *user;              /* User */
        char *command;           /* Command */
        char *theme;             /* Theme */
        char **theme_dirs;       /* ThemeDirs, NULL-terminated */
        char *platform;          /* Platform */
        bool virtual_keyboard;   /* VirtualKeyboard */
        char **keyboard_layouts; /* KeyboardLayouts, NULL-terminated; empty = the host's */
        unsigned power_actions;  /* PowerActions, enum sdvm_config_power bits */
    } greeter;

    struct {
        char *machine;             /* Machine: "auto", "generic" or a machine table name */
        uint64_t host_reserve_mib; /* HostReserveMiB */
    } guest;

    struct {                         /* sdvm-image fetch (sdvm-image(8)) */
        char *source;                /* Source: the image server's URL ("" = no fetching) */
        char **follow;               /* Follow: image ids, NULL-terminated; empty = all */
        char *trusted_key;           /* TrustedKey: PEM public key the manifests are signed by */
        char **trackers;             /* Trackers: this lab's tracker URLs; empty = the torrent's */
        bool local_peer_discovery;   /* LocalPeerDiscovery */
        uint32_t listen_port;        /* ListenPort (BitTorrent, TCP) */
        uint32_t max_download_kibps; /* MaxDownloadKiBps; 0 = no cap */
        uint32_t max_upload_kibps;   /* MaxUploadKiBps; 0 = no cap */
        uint32_t seed_time_ms;       /* SeedTime */
        uint32_t seed_ratio_milli;   /* SeedRatio x 1000; 0 = no ratio limit */
        uint32_t web_seed_fallback_ms; /* WebSeedFallback: HTTP only after this long without
                                        * progress from peers; 0 = from the start */
    } images;

    struct {
        char *textfile; /* Textfile: node exporter .prom file sdvmd writes ("" = off) */
    } metrics;
};

/* Where and why loading failed. */
struct sdvm_config_error {
    char *file;    /* the file */
    unsigned line; /* 1-based; 0 when the error is about the file as a whole */
    char *section; /* NULL when not about one section */
    char *key;     /* NULL when not about one key */
    char *message; /* "FILE:LINE: [Section] Key: what is wrong" */
};

/* Every default (the compiled-in paths). NULL on allocation failure. */
struct sdvm_config *sdvm_config_new_defaults(void);

/*
 * Load path (NULL: SDVM_CONFIG_DEFAULT_PATH). A file that does not exist gives the defaults
 * (source NULL). Returns 0; -EINVAL for a broken file or -errno when it cannot be read, with
 * *error set (free it with sdvm_config_error_free; error may be NULL); -ENOMEM.
 */
int sdvm_config_load(const char *path, struct sdvm_config **out, struct sdvm_config_error **error);

/* Same, from a buffer; name is what error messages call it. */
int sdvm_config_load_data(const char *name, const char *data, size_t len, struct sdvm_config **out,
                          struct sdvm_config_error **error);

/* NULL is accepted by both. */
void sdvm_config_free(struct sdvm_config *config);
void sdvm_config_error_free(struct sdvm_config_error *error);

/* "qcow2", "reflink", "zvol". */
const char *sdvm_store_backend_kind_to_string(enum sdvm_store_backend_kind kind);

/*
 * The schema, for documentation checks and "sdvm-admin config": the index-th key (0-based)
 * in file order. Returns false past the end. default_text is the default as the file would
 * spell it ("<StateDir>/images" for paths derived from StateDir).
 */
bool sdvm_config_key_at(size_t index, const char **section, const char **key,
                        const char **default_text);

/*
 * The value of one key in cfg as the file would spell it (lists joined with ';'),
 * newly allocated; NULL for an unknown key or on allocation failure.
 */
char *sdvm_config_get_text(const struct sdvm_config *cfg, const char *section, const char *key);

#ifdef __cplusplus
}
#endif

#endif
