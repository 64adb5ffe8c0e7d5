/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sdvm-admin userid NAI: the user id (the name of the user's disk directory). */
#include <getopt.h>
#include <stdio.h>

#include "admin.h"
#include "sdvm/nai.h"
#include "sdvm/user-id.h"

int
sdvm_admin_cmd_userid(struct sdvm_admin *adm, int argc, char **argv)
{
    static const struct option options[] = {
        {"reject-decoration", no_argument, NULL, 'd'},
        {"normalized", no_argument, NULL, 'n'},
        {NULL, 0, NULL, 0},
    };
    unsigned flags = 0;
    bool normalized = false;
    int c;
    while ((c = getopt_long(argc, argv, "dn", options, NULL)) != -1) {
        switch (c) {
        case 'd':
            flags |= SDVM_NAI_REJECT_DECORATION;
            break;
        case 'n':
            normalized = true;
            break;
        default:
            return admin_usage(adm);
        }
    }
    if (argc - optind != 1)
        return admin_usage(adm);

    const char *input = argv[optind];
    sdvm_nai *nai = NULL;
    enum sdvm_nai_reject reject;
    int r = sdvm_nai_parse(input, SDVM_NAI_NUL_TERMINATED, flags, &nai, &reject);
    if (r < 0) {
        if (reject != SDVM_NAI_VALID)
            admin_errorf(adm, "not a valid login: %s (%s)", sdvm_nai_reject_describe(reject),
                         sdvm_nai_reject_to_string(reject));
        else
            admin_errorf(adm, "out of memory");
        return ADMIN_EXIT_FAILED;
    }
    char id[SDVM_USER_ID_SIZE];
    r = sdvm_user_id(nai, id);
    if (r < 0) {
        admin_errorf(adm, "cannot compute the user id (SHA3-256 from libcrypto failed)");
        sdvm_nai_free(nai);
        return ADMIN_EXIT_FAILED;
    }
    if (normalized)
        printf("%s\t%s\n", id, sdvm_nai_normalized(nai));
    else
        printf("%s\n", id);
    sdvm_nai_free(nai);
    return ADMIN_EXIT_OK;
}
