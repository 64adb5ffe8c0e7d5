/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * CA bundles: the PEM file a profile's ca_bundle_path names, written once under CaDir with a
 * content-addressed name (the SHA-256 of the bundle), root-owned and mode 0644, so a realm's
 * CA set is one file however many logins use it, and a changed set is a new file.
 */
#include "cat-private.h"
#include "sdvm/hex.h"
#include "sdvm/atomic-file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "sdvm/log.h"

/* Is path a bundle we wrote: a regular file of ours, mode 0644, the expected size? */
static bool
bundle_present(const char *path, size_t size)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return false;
    return S_ISREG(st.st_mode) && st.st_uid == geteuid() && (st.st_mode & 07777) == 0644 &&
           (size_t)st.st_size == size;
}

int
cat_bundle_write(const char *ca_dir, const struct cat_certref *certs, size_t n, char **path_out)
{
    *path_out = NULL;
    size_t total = 0;
    char **pems = calloc(n, sizeof(char *));
    if (!pems)
        return -ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (!(pems[i] = sdvm_cat_cert_to_pem(certs[i].der, certs[i].len)))
            rc = -ENOMEM;
        else
            total += strlen(pems[i]);
    }
    char *bundle = rc ? NULL : malloc(total + 1);
    if (!bundle && rc == 0)
        rc = -ENOMEM;
    if (rc == 0) {
        size_t off = 0;
        for (size_t i = 0; i < n; i++) {
            size_t l = strlen(pems[i]);
            memcpy(bundle + off, pems[i], l);
            off += l;
        }
        bundle[total] = '\0';
        unsigned char digest[32];
        char hex[65];
        SHA256((const unsigned char *)bundle, total, digest);
        sdvm_hex(digest, 32, hex);
        char *path = cat_strdupf("%s/%s.pem", ca_dir, hex);
        if (!path) {
            rc = -ENOMEM;
        } else if (!bundle_present(path, total)) {
            if (mkdir(ca_dir, 0755) < 0 && errno != EEXIST)
                rc = -errno;
            if (rc == 0)
                rc = sdvm_write_file_atomic(path, bundle, total, 0644);
            if (rc == 0)
                log_infof("wrote CA bundle %s (%zu certificates)", path, n);
        }
        if (rc == 0)
            *path_out = path;
        else
            free(path);
    }
    for (size_t i = 0; i < n; i++)
        free(pems[i]);
    free(pems);
    free(bundle);
    return rc;
}
