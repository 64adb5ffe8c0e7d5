/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the eap-config parser (built with clang, see
 * tests/eduroam-cat/CMakeLists.txt). Besides "no crash, no leak, no UB", it checks the
 * invariants a caller relies on.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sdvm/cat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sdvm_cat_document *doc = NULL;
    char *error = NULL;
    int rc = sdvm_cat_parse((const char *)data, size, &doc, &error);
    if (rc < 0) {
        if (doc || !error || !*error)
            abort(); /* a failure always says why and returns no document */
        free(error);
        return 0;
    }
    if (!doc || error || doc->n_providers == 0)
        abort();
    for (size_t i = 0; i < doc->n_providers; i++) {
        const struct sdvm_cat_provider *p = &doc->providers[i];
        if ((p->chosen < 0) != (p->failure != SDVM_FAILURE_NONE) || (p->failure && !p->reason))
            abort();
        for (size_t m = 0; m < p->n_methods; m++) {
            const struct sdvm_cat_method *me = &p->methods[m];
            if ((me->eap == SDVM_EAP_NONE) != (me->failure != SDVM_FAILURE_NONE))
                abort();
            /* Security: a usable TTLS/PEAP method always has a CA certificate. */
            if ((me->eap == SDVM_EAP_TTLS || me->eap == SDVM_EAP_PEAP) && me->n_certs == 0)
                abort();
            for (size_t c = 0; c < me->n_certs; c++)
                if (me->certs[c] >= p->n_certs || !p->certs[me->certs[c]].is_ca)
                    abort();
            for (size_t s = 0; s < me->n_server_ids; s++)
                if (!me->server_ids[s] || strchr(me->server_ids[s], ';'))
                    abort();
        }
        for (size_t c = 0; c < p->n_certs; c++) {
            char *pem = sdvm_cat_cert_to_pem(p->certs[c].der, p->certs[c].der_len);
            free(pem);
        }
    }
    sdvm_cat_document_free(doc);
    return 0;
}
