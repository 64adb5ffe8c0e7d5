/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * store-tool: the guest tests' door to core's disk store, so the overlay a test boots is the
 * one sdvmd would create.
 *   store-tool prepare USERS_DIR USER_ID IMAGE_ID BASE   prints the disk path
 *   store-tool in-use PATH                              prints 1 (held by QEMU) or 0
 * Exit status: 0, or the sdvm_failure number; 2 for usage or system errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdvm/store.h"

int
main(int argc, char **argv)
{
    if (argc == 6 && strcmp(argv[1], "prepare") == 0) {
        struct sdvm_store_options o = {
            .users_dir = argv[2],
            .backend = SDVM_STORE_BACKEND_QCOW2,
            .reserve_bytes = 0,
        };
        sdvm_store *st = NULL;
        int r = sdvm_store_new(&o, &st);
        if (r < 0) {
            fprintf(stderr, "store-tool: sdvm_store_new(%s): %s\n", argv[2], strerror(-r));
            return 2;
        }
        struct sdvm_store_result res = {0};
        char *detail = NULL;
        enum sdvm_failure f = sdvm_store_prepare(st, argv[3], argv[4], argv[5], &res, &detail);
        if (f != SDVM_FAILURE_NONE) {
            fprintf(stderr, "store-tool: %s: %s\n", sdvm_failure_to_string(f),
                    detail ? detail : "");
        } else {
            printf("%s\n", res.disk_path);
        }
        free(detail);
        sdvm_store_result_clear(&res);
        sdvm_store_free(st);
        return (int)f;
    }
    if (argc == 3 && strcmp(argv[1], "in-use") == 0) {
        int r = sdvm_store_disk_in_use(argv[2]);
        if (r < 0) {
            fprintf(stderr, "store-tool: %s: %s\n", argv[2], strerror(-r));
            return 2;
        }
        printf("%d\n", r);
        return 0;
    }
    fprintf(stderr, "usage: store-tool prepare USERS_DIR USER_ID IMAGE_ID BASE | in-use PATH\n");
    return 2;
}
