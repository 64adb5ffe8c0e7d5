/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sdvm-admin config: check the configuration file and print every setting in effect. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"

int
sdvm_admin_cmd_config(struct sdvm_admin *adm, int argc, char **argv)
{
    static const struct option options[] = {
        {"quiet", no_argument, NULL, 'q'},
        {NULL, 0, NULL, 0},
    };
    bool quiet = false;
    int c;
    while ((c = getopt_long(argc, argv, "q", options, NULL)) != -1) {
        if (c != 'q')
            return admin_usage(adm);
        quiet = true;
    }
    if (optind != argc)
        return admin_usage(adm);
    const struct sdvm_config *cfg = admin_config(adm);
    if (!cfg)
        return ADMIN_EXIT_CONFIG;
    if (quiet)
        return ADMIN_EXIT_OK;
    printf("# %s\n", cfg->source ? cfg->source : "no configuration file: all defaults");
    const char *section, *key, *last = "";
    for (size_t i = 0; sdvm_config_key_at(i, &section, &key, NULL); i++) {
        if (strcmp(section, last))
            printf("%s[%s]\n", i ? "\n" : "", section);
        last = section;
        char *value = sdvm_config_get_text(cfg, section, key);
        printf("%s=%s\n", key, value ? value : "");
        free(value);
    }
    return ADMIN_EXIT_OK;
}
