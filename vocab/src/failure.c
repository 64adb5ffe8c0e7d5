/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The names of enum sdvm_failure. sdvm_failure_to_string() and sdvm_failure_describe() are
 * part of libsdvm's ABI, and libsdvm links this very object file (vocab/CMakeLists.txt):
 * default visibility lets its version script export them. Linked from the static
 * sdvm-vocab into an executable, the visibility changes nothing.
 */
#include "sdvm-failure.h"

#include <stddef.h>

#define VOCAB_EXPORT __attribute__((visibility("default")))

struct failure_name {
    enum sdvm_failure failure;
    const char *id;
    const char *description;
};

/* One row per value; the switch-less table keeps id and sentence side by side. */
static const struct failure_name failure_names[] = {
    {SDVM_FAILURE_NONE, "NONE", "no failure"},
    {SDVM_FAILURE_BAD_CREDENTIALS, "BAD_CREDENTIALS",
     "the home RADIUS server rejected the user name or password"},
    {SDVM_FAILURE_INVALID_NAI, "INVALID_NAI", "the login is not a valid user@realm"},
    {SDVM_FAILURE_UNKNOWN_REALM, "UNKNOWN_REALM",
     "the realm is in neither realms.d nor the eduroam CAT database"},
    {SDVM_FAILURE_REALM_UNSUPPORTED, "REALM_UNSUPPORTED",
     "the realm offers no password-based EAP method"},
    {SDVM_FAILURE_INSECURE_PROFILE, "INSECURE_PROFILE",
     "the realm's profile has no CA certificate, so the server could not be verified"},
    {SDVM_FAILURE_THROTTLED, "THROTTLED", "too many failed logins on this terminal; wait"},
    {SDVM_FAILURE_PROFILE_EXPIRED, "PROFILE_EXPIRED",
     "the realm's eduroam CAT profile is past its ValidUntil date; a newer one is needed"},
    {SDVM_FAILURE_SERVER_CERT_UNTRUSTED, "SERVER_CERT_UNTRUSTED",
     "the RADIUS server's certificate is not signed by the realm's CA"},
    {SDVM_FAILURE_SERVER_NAME_MISMATCH, "SERVER_NAME_MISMATCH",
     "the RADIUS server's certificate names a server the realm does not list"},
    {SDVM_FAILURE_NO_NETWORK, "NO_NETWORK",
     "no ethernet port with a cable and no Wi-Fi device"},
    {SDVM_FAILURE_AUTH_TIMEOUT, "AUTH_TIMEOUT", "no 802.1X authenticator answered in time"},
    {SDVM_FAILURE_NM_UNAVAILABLE, "NM_UNAVAILABLE", "NetworkManager is not running"},
    {SDVM_FAILURE_NETWORK_ERROR, "NETWORK_ERROR",
     "NetworkManager refused or dropped the connection"},
    {SDVM_FAILURE_UNPROTECTED_RESULT, "UNPROTECTED_RESULT",
     "on a wired link the realm's inner method does not let the home server prove its "
     "answer, and no administrator opted in"},
    {SDVM_FAILURE_HOME_SERVER_TIMEOUT, "HOME_SERVER_TIMEOUT",
     "the switch answered 802.1X, but the home RADIUS server did not decide in time"},
    {SDVM_FAILURE_IMAGE_UNKNOWN, "IMAGE_UNKNOWN", "no image with that id in the catalog"},
    {SDVM_FAILURE_IMAGE_UNAVAILABLE, "IMAGE_UNAVAILABLE",
     "the base image is missing, unreadable or corrupt"},
    {SDVM_FAILURE_DISK_FULL, "DISK_FULL",
     "not enough free space for the user's disk even after eviction"},
    {SDVM_FAILURE_DISK_ERROR, "DISK_ERROR", "an I/O error while preparing the user's disk"},
    {SDVM_FAILURE_DISK_IN_USE, "DISK_IN_USE", "the user's disk is held by a running guest"},
    {SDVM_FAILURE_GUEST_START, "GUEST_START", "the virtual machine could not start"},
    {SDVM_FAILURE_GUEST_CRASHED, "GUEST_CRASHED", "the virtual machine stopped abnormally"},
    {SDVM_FAILURE_DEVICE_MISMATCH, "DEVICE_MISMATCH",
     "a passthrough device is not what the machine table expects"},
    {SDVM_FAILURE_HUGEPAGES, "HUGEPAGES", "hugepages are required but not available"},
    {SDVM_FAILURE_REBOOT_NEEDED, "REBOOT_NEEDED",
     "the host could not take the graphics device back; the terminal must reboot"},
    {SDVM_FAILURE_MACHINE_UNKNOWN, "MACHINE_UNKNOWN",
     "no machine table matches this terminal's model"},
    {SDVM_FAILURE_CANCELLED, "CANCELLED", "the login was cancelled"},
    {SDVM_FAILURE_BUSY, "BUSY", "another login is in progress"},
    {SDVM_FAILURE_DAEMON_UNAVAILABLE, "DAEMON_UNAVAILABLE", "sdvmd cannot be reached"},
    {SDVM_FAILURE_PROTOCOL, "PROTOCOL", "a malformed or unexpected message"},
    {SDVM_FAILURE_CONFIG, "CONFIG", "the terminal's configuration is broken"},
    {SDVM_FAILURE_INTERNAL, "INTERNAL", "an internal error"},
};

static const struct failure_name *
find(enum sdvm_failure failure)
{
    for (size_t i = 0; i < sizeof(failure_names) / sizeof(failure_names[0]); i++)
        if (failure_names[i].failure == failure)
            return &failure_names[i];
    return NULL;
}

VOCAB_EXPORT const char *
sdvm_failure_to_string(enum sdvm_failure failure)
{
    const struct failure_name *f = find(failure);
    return f ? f->id : "UNKNOWN";
}

VOCAB_EXPORT const char *
sdvm_failure_describe(enum sdvm_failure failure)
{
    const struct failure_name *f = find(failure);
    return f ? f->description : "an unknown failure";
}
