/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the core's parsers of untrusted bytes. The first byte picks one:
 *   0: NAI (what a person types): check and parse agree; the normalised form keeps the
 *      length and the user part, lower-cases only the realm; the user id is well-formed;
 *   1: sdvm.conf: no crash; a file that loads prints (sdvm_config_get_text) into a file
 *      that loads again to the same settings;
 *   2: a qcow2 header (the catalog and the store read base images and users' disks).
 * Any crash, leak, undefined behaviour or broken invariant (abort) is a finding.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sdvm/config.h"
#include "sdvm/nai.h"
#include "sdvm/qcow2.h"
#include "sdvm/user-id.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "invariant broken: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

static void
fuzz_nai(const char *s, size_t n)
{
    enum sdvm_nai_reject check = sdvm_nai_check(s, n, 0);
    enum sdvm_nai_reject why = SDVM_NAI_VALID;
    sdvm_nai *nai = NULL;
    int r = sdvm_nai_parse(s, n, 0, &nai, &why);
    CHECK((r == 0) == (check == SDVM_NAI_VALID));
    CHECK(why == check);
    CHECK(strcmp(sdvm_nai_reject_to_string(why), "UNKNOWN") != 0);
    if (r != 0) {
        CHECK(nai == NULL);
        return;
    }
    const char *norm = sdvm_nai_normalized(nai);
    const char *user = sdvm_nai_user(nai);
    const char *realm = sdvm_nai_realm(nai);
    CHECK(strlen(norm) == n);
    CHECK(strlen(user) + 1 + strlen(realm) == n);
    CHECK(memcmp(norm, s, strlen(user)) == 0); /* the user part is kept */
    CHECK(strchr(realm, '@') == NULL && strchr(user, '@') == NULL);
    for (const char *p = realm; *p; p++)
        CHECK(!(*p >= 'A' && *p <= 'Z'));
    CHECK(sdvm_nai_check(norm, n, 0) == SDVM_NAI_VALID); /* normalising is stable */
    char id[SDVM_USER_ID_SIZE];
    CHECK(sdvm_user_id(nai, id) == 0);
    CHECK(sdvm_user_id_is_valid(id));
    sdvm_nai_free(nai);
}

static char *
dump_config(const struct sdvm_config *c)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CHECK(f);
    const char *section, *key, *last = "";
    for (size_t i = 0; sdvm_config_key_at(i, &section, &key, NULL); i++) {
        if (strcmp(section, last))
            fprintf(f, "[%s]\n", section);
        last = section;
        char *v = sdvm_config_get_text(c, section, key);
        CHECK(v);
        /* Values are written raw; escape what a key file would read differently. */
        fprintf(f, "%s=", key);
        for (const char *p = v; *p; p++) {
            if (*p == '\\')
                fputs("\\\\", f);
            else if (p == v && *p == ' ')
                fputs("\\s", f);
            else
                fputc(*p, f);
        }
        fputc('\n', f);
        free(v);
    }
    fclose(f);
    return buf;
}

static void
fuzz_config(const char *s, size_t n)
{
    struct sdvm_config *c = NULL;
    struct sdvm_config_error *e = NULL;
    int r = sdvm_config_load_data("fuzz.conf", s, n, &c, &e);
    if (r != 0) {
        CHECK(c == NULL && e != NULL && e->message && strncmp(e->message, "fuzz.conf", 9) == 0);
        sdvm_config_error_free(e);
        return;
    }
    CHECK(e == NULL && c != NULL);
    char *text = dump_config(c);
    struct sdvm_config *again = NULL;
    r = sdvm_config_load_data("dump.conf", text, strlen(text), &again, &e);
    if (r != 0)
        fprintf(stderr, "reload failed: %s\n--\n%s--\n", e ? e->message : "?", text);
    CHECK(r == 0);
    char *text2 = dump_config(again);
    CHECK(strcmp(text, text2) == 0);
    free(text);
    free(text2);
    sdvm_config_free(again);
    sdvm_config_free(c);
}

static void
fuzz_qcow2(const unsigned char *d, size_t n)
{
    int fd = memfd_create("qcow2", MFD_CLOEXEC);
    CHECK(fd >= 0);
    CHECK(write(fd, d, n) == (ssize_t)n);
    struct sdvm_qcow2_info info;
    int r = sdvm_qcow2_read_info(fd, &info);
    if (r == 0) {
        CHECK(info.version == 2 || info.version == 3);
        CHECK(strlen(info.backing_file) <= SDVM_QCOW2_MAX_BACKING);
        CHECK(strlen(info.backing_format) < sizeof(info.backing_format));
    }
    close(fd);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    switch (data[0] % 3) {
    case 0:
        fuzz_nai(s, n);
        break;
    case 1:
        fuzz_config(s, n);
        break;
    default:
        fuzz_qcow2(data + 1, n);
        break;
    }
    return 0;
}
