/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The authentication profile -> NetworkManager connection mapping (eduroam-cat notes §4.4,
 * §4.5 and §6): one EAP method per connection, the realm's CA as a path (system-wide
 * connections let wpa_supplicant read a whole PEM bundle), server names as
 * domain-suffix-match (or domain-match), the password never in the profile.
 */
#include "builder.h"

#include <string.h>

#include "sdvm/log.h"
#include "sdvm/nm-glue.h"

guint32
sdvm_nm_parse_version(const char *version)
{
    if (!version)
        return 0;
    unsigned part[3] = {0, 0, 0};
    const char *p = version;
    for (int i = 0; i < 3; i++) {
        if (!g_ascii_isdigit(*p))
            return i >= 2 ? SDVM_NM_VERSION(part[0], part[1], 0) : 0;
        unsigned v = 0;
        while (g_ascii_isdigit(*p)) {
            v = v * 10 + (unsigned)(*p - '0');
            if (v > 255)
                return 0;
            p++;
        }
        part[i] = v;
        if (i < 2) {
            if (*p != '.')
                return i == 1 ? SDVM_NM_VERSION(part[0], part[1], 0) : 0;
            p++;
        }
    }
    return SDVM_NM_VERSION(part[0], part[1], part[2]);
}

guint32
sdvm_nm_known_phase1_flags(guint32 v)
{
    if (v >= SDVM_NM_VERSION(1, 42, 0))
        return 0x1ff;
    if (v >= SDVM_NM_VERSION(1, 8, 0))
        return 0x7;
    return 0;
}

/* The profile's server names without prefix, lower case, in order, without duplicates. */
static GPtrArray *
server_names(const struct sdvm_auth_profile *p, char **detail)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    for (char **n = p->server_names; n && *n; n++) {
        /* sdvm_auth_profile_check_server() (core) refused bad names before this runs. */
        const char *name = sdvm_server_name_strip(*n);
        if (sdvm_server_name_problem(name)) {
            *detail = g_strdup_printf("the realm's server name \"%s\" %s", *n,
                                      sdvm_server_name_problem(name));
            g_ptr_array_unref(names);
            return NULL;
        }
        char *lower = g_ascii_strdown(name, -1);
        bool dup = false;
        for (guint i = 0; i < names->len; i++)
            dup = dup || strcmp(names->pdata[i], lower) == 0;
        if (dup)
            g_free(lower);
        else
            g_ptr_array_add(names, lower);
    }
    g_ptr_array_add(names, NULL);
    return names;
}

char *
sdvm_nm_common_suffix(const char *const *names)
{
    if (!names || !names[0])
        return NULL;
    /* Compare label by label from the right. */
    g_auto(GStrv) first = g_strsplit(names[0], ".", -1);
    guint common = g_strv_length(first);
    for (guint i = 1; names[i]; i++) {
        g_auto(GStrv) other = g_strsplit(names[i], ".", -1);
        guint n1 = g_strv_length(first), n2 = g_strv_length(other), k = 0;
        while (k < common && k < n2 &&
               g_ascii_strcasecmp(first[n1 - 1 - k], other[n2 - 1 - k]) == 0)
            k++;
        common = k;
    }
    if (common < 2)
        return NULL;
    guint n = g_strv_length(first);
    return g_strjoinv(".", first + (n - common));
}

/* NetworkManager's 802-1x.eap names are the profile's own ("ttls", "peap", "pwd"). */
static const char *
eap_name(enum sdvm_eap_method m)
{
    const char *name = sdvm_eap_method_to_string(m); /* "none" for anything else */
    return strcmp(name, "none") == 0 ? NULL : name;
}

/* Phase 2: which property and value. TTLS: phase2-auth is non-EAP inner, phase2-autheap is
 * inner EAP; PEAP: phase2-auth is the inner EAP method. Never both. */
static bool
phase2(const struct sdvm_auth_profile *p, const char **prop, const char **value)
{
    *prop = NULL;
    *value = NULL;
    if (p->eap == SDVM_EAP_TTLS) {
        switch (p->inner) {
        case SDVM_INNER_PAP:
            *prop = NM_SETTING_802_1X_PHASE2_AUTH, *value = "pap";
            return true;
        case SDVM_INNER_MSCHAP:
            *prop = NM_SETTING_802_1X_PHASE2_AUTH, *value = "mschap";
            return true;
        case SDVM_INNER_MSCHAPV2:
            *prop = NM_SETTING_802_1X_PHASE2_AUTH, *value = "mschapv2";
            return true;
        case SDVM_INNER_EAP_MSCHAPV2:
            *prop = NM_SETTING_802_1X_PHASE2_AUTHEAP, *value = "mschapv2";
            return true;
        case SDVM_INNER_EAP_GTC:
            *prop = NM_SETTING_802_1X_PHASE2_AUTHEAP, *value = "gtc";
            return true;
        case SDVM_INNER_NONE:
            return false;
        }
        return false;
    }
    if (p->eap == SDVM_EAP_PEAP) {
        switch (p->inner) {
        case SDVM_INNER_EAP_MSCHAPV2:
        case SDVM_INNER_MSCHAPV2:
            *prop = NM_SETTING_802_1X_PHASE2_AUTH, *value = "mschapv2";
            return true;
        case SDVM_INNER_EAP_GTC:
            *prop = NM_SETTING_802_1X_PHASE2_AUTH, *value = "gtc";
            return true;
        case SDVM_INNER_NONE:
        case SDVM_INNER_PAP:
        case SDVM_INNER_MSCHAP:
            return false;
        }
        return false;
    }
    return p->eap == SDVM_EAP_PWD;
}

enum sdvm_failure
sdvm_nm_check_profile(const struct sdvm_auth_profile *p, guint32 v, char **detail)
{
    *detail = NULL;
    if (!p) {
        *detail = g_strdup("no authentication profile");
        return SDVM_FAILURE_INTERNAL;
    }
    const char *realm = p->realm ? p->realm : "(unnamed)";
    if (!eap_name(p->eap)) {
        *detail = g_strdup_printf("realm %s: EAP method %d cannot be used with a password", realm,
                                  (int)p->eap);
        return SDVM_FAILURE_REALM_UNSUPPORTED;
    }
    const char *prop, *value;
    if (!phase2(p, &prop, &value)) {
        *detail = g_strdup_printf("realm %s: inner method %s is not possible with %s", realm,
                                  sdvm_inner_method_to_string(p->inner),
                                  sdvm_eap_method_to_string(p->eap));
        return SDVM_FAILURE_REALM_UNSUPPORTED;
    }
    /* EAP-pwd authenticates both sides from the password itself; TTLS and PEAP without a CA
     * would hand the password to any server that answers. */
    if (p->eap != SDVM_EAP_PWD) {
        /* The one server-validation rule (core), the same sdvm-cat and sdvm-admin show. */
        bool has_ca = p->ca_bundle_path && *p->ca_bundle_path;
        enum sdvm_failure sf = sdvm_auth_profile_check_server(p, has_ca, detail);
        if (sf != SDVM_FAILURE_NONE)
            return sf;
        if (has_ca && !g_path_is_absolute(p->ca_bundle_path)) {
            *detail = g_strdup_printf("realm %s: CA bundle path %s is not absolute", realm,
                                      p->ca_bundle_path);
            return SDVM_FAILURE_CONFIG;
        }
        g_autoptr(GPtrArray) names = server_names(p, detail);
        if (!names)
            return SDVM_FAILURE_INSECURE_PROFILE;
        bool many = names->len > 2; /* NULL-terminated */
        if (many && !p->server_names_exact && v < SDVM_NM_VERSION(1, 24, 0)) {
            g_autofree char *suffix = sdvm_nm_common_suffix((const char *const *)names->pdata);
            if (!suffix) {
                *detail = g_strdup_printf(
                    "realm %s: its server names share no domain, and NetworkManager before "
                    "1.24 accepts only one domain suffix",
                    realm);
                return SDVM_FAILURE_INSECURE_PROFILE;
            }
        }
    }
    return SDVM_FAILURE_NONE;
}

bool
sdvm_nm_connection_is_ours(NMConnection *c)
{
    const char *id = nm_connection_get_id(c);
    if (id && g_str_has_prefix(id, SDVM_NM_CONNECTION_ID_PREFIX))
        return true;
    NMSettingUser *u =
        (NMSettingUser *)nm_connection_get_setting_by_name(c, NM_SETTING_USER_SETTING_NAME);
    return u && nm_setting_user_get_data(u, SDVM_NM_USER_DATA_KEY);
}

static void
set_server_names(NMSetting8021x *s8021x, const struct sdvm_auth_profile *p, guint32 v)
{
    char *detail = NULL;
    g_autoptr(GPtrArray) names = server_names(p, &detail);
    g_free(detail);
    if (!names || names->len < 2)
        return;
    char **list = (char **)names->pdata;
    if (p->server_names_exact) {
        if (v >= SDVM_NM_VERSION(1, 24, 0)) {
            g_autofree char *joined = g_strjoinv(";", list);
            g_object_set(s8021x, NM_SETTING_802_1X_DOMAIN_MATCH, joined, NULL);
        } else {
            /* Exact, SAN-only, case-sensitive: the closest older NetworkManager offers. */
            for (char **n = list; *n; n++) {
                g_autofree char *dns = g_strconcat("DNS:", *n, NULL);
                nm_setting_802_1x_add_altsubject_match(s8021x, dns);
            }
        }
        return;
    }
    if (v >= SDVM_NM_VERSION(1, 24, 0)) {
        g_autofree char *joined = g_strjoinv(";", list);
        g_object_set(s8021x, NM_SETTING_802_1X_DOMAIN_SUFFIX_MATCH, joined, NULL);
    } else if (!list[1]) {
        g_object_set(s8021x, NM_SETTING_802_1X_DOMAIN_SUFFIX_MATCH, list[0], NULL);
    } else {
        g_autofree char *suffix = sdvm_nm_common_suffix((const char *const *)list);
        if (suffix)
            g_object_set(s8021x, NM_SETTING_802_1X_DOMAIN_SUFFIX_MATCH, suffix, NULL);
    }
}

enum sdvm_failure
sdvm_nm_build_connection(const struct sdvm_nm_build *b, NMConnection **out, char **detail)
{
    *out = NULL;
    *detail = NULL;
    const struct sdvm_auth_profile *p = b->profile;
    enum sdvm_failure f = sdvm_nm_check_profile(p, b->nm_version, detail);
    if (f != SDVM_FAILURE_NONE)
        return f;
    if (!b->nai || !*b->nai) {
        *detail = g_strdup("no user name");
        return SDVM_FAILURE_INVALID_NAI;
    }
    guint32 v = b->nm_version;
    bool wifi = b->type == SDVM_NM_LINK_WIFI;
    if (wifi && (!b->ssid || !*b->ssid || strlen(b->ssid) > 32)) {
        *detail = g_strdup_printf("Wi-Fi SSID \"%s\" is empty or longer than 32 bytes",
                                  b->ssid ? b->ssid : "");
        return SDVM_FAILURE_CONFIG;
    }

    g_autoptr(NMConnection) c = nm_simple_connection_new();

    /* connection: system-wide (no permissions), manual, one authentication try. */
    NMSettingConnection *s_con = (NMSettingConnection *)nm_setting_connection_new();
    g_autofree char *uuid = b->uuid ? g_strdup(b->uuid) : nm_utils_uuid_generate();
    g_autofree char *id = wifi ? g_strdup_printf(SDVM_NM_CONNECTION_ID_PREFIX "wifi %s", b->ssid)
                               : g_strdup_printf(SDVM_NM_CONNECTION_ID_PREFIX "%s",
                                                 b->ifname ? b->ifname : "ethernet");
    g_object_set(s_con, NM_SETTING_CONNECTION_ID, id, NM_SETTING_CONNECTION_UUID, uuid,
                 NM_SETTING_CONNECTION_TYPE,
                 wifi ? NM_SETTING_WIRELESS_SETTING_NAME : NM_SETTING_WIRED_SETTING_NAME,
                 NM_SETTING_CONNECTION_AUTOCONNECT, FALSE, NULL);
    if (b->ifname)
        g_object_set(s_con, NM_SETTING_CONNECTION_INTERFACE_NAME, b->ifname, NULL);
    if (v >= SDVM_NM_VERSION(1, 10, 0))
        g_object_set(s_con, NM_SETTING_CONNECTION_AUTH_RETRIES, 1, NULL);
    nm_connection_add_setting(c, NM_SETTING(s_con));

    /* The mark that lets a later sdvmd find leftovers of this one. */
    if (v >= SDVM_NM_VERSION(1, 8, 0)) {
        NMSettingUser *s_user = (NMSettingUser *)nm_setting_user_new();
        g_autoptr(GError) error = NULL;
        if (!nm_setting_user_set_data(s_user, SDVM_NM_USER_DATA_KEY, "nm-glue", &error)) {
            *detail = g_strdup_printf("cannot mark the connection: %s", error->message);
            g_object_unref(s_user);
            return SDVM_FAILURE_INTERNAL;
        }
        nm_connection_add_setting(c, NM_SETTING(s_user));
    }

    if (wifi) {
        NMSettingWireless *s_wifi = (NMSettingWireless *)nm_setting_wireless_new();
        g_autoptr(GBytes) ssid = g_bytes_new(b->ssid, strlen(b->ssid));
        g_object_set(s_wifi, NM_SETTING_WIRELESS_SSID, ssid, NM_SETTING_WIRELESS_MODE,
                     NM_SETTING_WIRELESS_MODE_INFRA, NULL);
        nm_connection_add_setting(c, NM_SETTING(s_wifi));
        /* wpa-eap: NetworkManager offers WPA-EAP, WPA-EAP-SHA256 and FT-EAP, so WPA2 and
         * WPA3-Enterprise transition networks work; ciphers are left to the AP. */
        NMSettingWirelessSecurity *s_wsec =
            (NMSettingWirelessSecurity *)nm_setting_wireless_security_new();
        g_object_set(s_wsec, NM_SETTING_WIRELESS_SECURITY_KEY_MGMT, "wpa-eap", NULL);
        nm_connection_add_setting(c, NM_SETTING(s_wsec));
    } else {
        nm_connection_add_setting(c, nm_setting_wired_new());
    }

    /* 802-1x. */
    NMSetting8021x *s_8021x = (NMSetting8021x *)nm_setting_802_1x_new();
    nm_connection_add_setting(c, NM_SETTING(s_8021x));
    nm_setting_802_1x_add_eap_method(s_8021x, eap_name(p->eap));
    g_object_set(s_8021x, NM_SETTING_802_1X_IDENTITY, b->nai, NM_SETTING_802_1X_PASSWORD_FLAGS,
                 NM_SETTING_SECRET_FLAG_NOT_SAVED, NULL);
    if (p->eap != SDVM_EAP_PWD) {
        if (p->anonymous_identity && *p->anonymous_identity)
            g_object_set(s_8021x, NM_SETTING_802_1X_ANONYMOUS_IDENTITY, p->anonymous_identity,
                         NULL);
        const char *prop, *value;
        phase2(p, &prop, &value);
        g_object_set(s_8021x, prop, value, NULL);
        if (p->ca_bundle_path && *p->ca_bundle_path) {
            g_autoptr(GError) error = NULL;
            if (!nm_setting_802_1x_set_ca_cert(s_8021x, p->ca_bundle_path,
                                               NM_SETTING_802_1X_CK_SCHEME_PATH, NULL, &error)) {
                *detail = g_strdup_printf("realm %s: CA bundle %s cannot be used: %s",
                                          p->realm ? p->realm : "(unnamed)", p->ca_bundle_path,
                                          error->message);
                return SDVM_FAILURE_CONFIG;
            }
        }
        set_server_names(s_8021x, p, v);
        guint32 flags = p->phase1_flags & sdvm_nm_known_phase1_flags(v);
        if (flags != p->phase1_flags)
            log_warningf("realm %s: phase-1 flags 0x%x unknown to NetworkManager %u.%u "
                         "dropped",
                         p->realm ? p->realm : "(unnamed)", p->phase1_flags & ~flags, v >> 16,
                         (v >> 8) & 0xff);
        if (flags)
            g_object_set(s_8021x, NM_SETTING_802_1X_PHASE1_AUTH_FLAGS, flags, NULL);
    }
    if (b->auth_timeout_s && v >= SDVM_NM_VERSION(1, 8, 0))
        g_object_set(s_8021x, NM_SETTING_802_1X_AUTH_TIMEOUT, (int)b->auth_timeout_s, NULL);

    /* IP. */
    NMSettingIPConfig *s_ip4 = (NMSettingIPConfig *)nm_setting_ip4_config_new();
    NMSettingIPConfig *s_ip6 = (NMSettingIPConfig *)nm_setting_ip6_config_new();
    const char *ip6_off = v >= SDVM_NM_VERSION(1, 20, 0) ? NM_SETTING_IP6_CONFIG_METHOD_DISABLED
                                                         : NM_SETTING_IP6_CONFIG_METHOD_IGNORE;
    g_object_set(s_ip4, NM_SETTING_IP_CONFIG_METHOD,
                 b->configure_ip ? NM_SETTING_IP4_CONFIG_METHOD_AUTO
                                 : NM_SETTING_IP4_CONFIG_METHOD_DISABLED,
                 NULL);
    g_object_set(s_ip6, NM_SETTING_IP_CONFIG_METHOD,
                 b->configure_ip ? NM_SETTING_IP6_CONFIG_METHOD_AUTO : ip6_off, NULL);
    if (b->route_metric >= 0) {
        g_object_set(s_ip4, NM_SETTING_IP_CONFIG_ROUTE_METRIC, (gint64)b->route_metric, NULL);
        g_object_set(s_ip6, NM_SETTING_IP_CONFIG_ROUTE_METRIC, (gint64)b->route_metric, NULL);
    }
    nm_connection_add_setting(c, NM_SETTING(s_ip4));
    nm_connection_add_setting(c, NM_SETTING(s_ip6));

    g_autoptr(GError) error = NULL;
    if (!nm_connection_verify(c, &error)) {
        *detail =
            g_strdup_printf("the connection for %s does not verify: %s",
                            wifi ? "Wi-Fi" : (b->ifname ? b->ifname : "ethernet"), error->message);
        return SDVM_FAILURE_INTERNAL;
    }
    *out = g_steal_pointer(&c);
    return SDVM_FAILURE_NONE;
}
