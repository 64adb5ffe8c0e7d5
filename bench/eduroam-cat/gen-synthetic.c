/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A synthetic eduroam CAT data set for the benchmark: COUNT eap-config files shaped like
 * CAT's output (notes §1.3, §2.5), written into OUTDIR, plus OUTDIR/realms.txt (one realm a
 * line, for the lookup benchmark). Nothing here is real data.
 *
 *   gen-synthetic OUTDIR [COUNT=4300] [SEED=1]
 *
 * Shape: ~8% of profiles have ID="undefined", ~4% are EAP-TLS only, ~3% list two providers;
 * 55% of institutions run their own private CA (RSA-2048 or EC P-256 keys, distinct per
 * institution), the rest chain to one of 40 shared roots, often with an intermediate; 1-3
 * server names; 40% carry a logo (which the database drops). RSA public keys are random
 * moduli (never used for crypto; key generation would take minutes) signed with a real key,
 * so certificates have realistic size and entropy.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static unsigned long long rng_state;

static unsigned
rnd(unsigned n)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (unsigned)((rng_state >> 33) % n);
}

static EVP_PKEY *
random_rsa_public(void)
{
    unsigned char nbytes[256];
    RAND_bytes(nbytes, sizeof(nbytes));
    nbytes[0] |= 0x80;
    nbytes[255] |= 1;
    BIGNUM *n = BN_bin2bn(nbytes, sizeof(nbytes), NULL);
    BIGNUM *e = BN_new();
    BN_set_word(e, 65537);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e);
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    EVP_PKEY *pkey = NULL;
    if (EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
        fprintf(stderr, "gen-synthetic: cannot make an RSA public key\n");
        exit(1);
    }
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    return pkey;
}

static EVP_PKEY *
ec_key(void)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    if (!k) {
        fprintf(stderr, "gen-synthetic: EC key generation failed\n");
        exit(1);
    }
    return k;
}

/* base64 DER of a CA certificate. */
static char *
make_ca(EVP_PKEY *pub, EVP_PKEY *signer, const char *org, const char *cn, long serial)
{
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    X509_gmtime_adj(X509_getm_notBefore(x), -86400L * (long)(30 + rnd(3000)));
    X509_gmtime_adj(X509_getm_notAfter(x), 86400L * (long)(365 * (3 + rnd(20))));
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC, (const unsigned char *)"ZZ", -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)org, -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509_set_pubkey(x, pub);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    const char *exts[][2] = {{"basicConstraints", "critical,CA:TRUE"},
                             {"keyUsage", "critical,keyCertSign,cRLSign"},
                             {"subjectKeyIdentifier", "hash"}};
    for (size_t i = 0; i < 3; i++) {
        X509_EXTENSION *ext = X509V3_EXT_conf(NULL, &v3, exts[i][0], exts[i][1]);
        X509_add_ext(x, ext, -1);
        X509_EXTENSION_free(ext);
    }
    X509_sign(x, signer, EVP_sha256());
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    X509_free(x);
    char *b64 = malloc((size_t)n * 4 / 3 + 8);
    EVP_EncodeBlock((unsigned char *)b64, der, n);
    OPENSSL_free(der);
    return b64;
}

static const char *tlds[] = {"test", "example", "invalid", "lab.test", "edu.test", "ac.test"};
static const char *words[] = {"Technical", "National", "Applied", "Free", "Royal", "Open",
                              "Federal", "Polytechnic", "Medical", "Catholic", "State",
                              "Metropolitan", "Northern", "Southern", "Western", "Eastern"};
static const char *kinds[] = {"University", "College", "Institute", "School", "Academy",
                              "Research Centre", "Library", "Hospital"};

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: gen-synthetic OUTDIR [COUNT] [SEED]\n");
        return 2;
    }
    const char *out = argv[1];
    unsigned count = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 4300;
    rng_state = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
    if (mkdir(out, 0755) < 0 && errno != EEXIST) {
        perror(out);
        return 1;
    }
    EVP_PKEY *rsa_signer = NULL;
    {
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
        EVP_PKEY_keygen_init(ctx);
        EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048);
        EVP_PKEY_keygen(ctx, &rsa_signer);
        EVP_PKEY_CTX_free(ctx);
    }
    EVP_PKEY *ec_signer = ec_key();

    /* 40 shared roots, each with an intermediate ("national" or commercial CAs). */
    enum { SHARED = 40 };
    char *shared_root[SHARED], *shared_inter[SHARED];
    for (int i = 0; i < SHARED; i++) {
        char org[64], cn[96];
        snprintf(org, sizeof(org), "Synthetic Trust Services %d", i);
        snprintf(cn, sizeof(cn), "Synthetic Root CA %d (benchmark, not real)", i);
        EVP_PKEY *k = random_rsa_public();
        shared_root[i] = make_ca(k, rsa_signer, org, cn, 1000 + i);
        EVP_PKEY_free(k);
        snprintf(cn, sizeof(cn), "Synthetic RADIUS CA %d (benchmark, not real)", i);
        k = random_rsa_public();
        shared_inter[i] = make_ca(k, rsa_signer, org, cn, 2000 + i);
        EVP_PKEY_free(k);
    }

    char path[4096];
    snprintf(path, sizeof(path), "%s/realms.txt", out);
    FILE *realms = fopen(path, "w");
    if (!realms) {
        perror(path);
        return 1;
    }
    unsigned with_realm = 0;
    for (unsigned i = 0; i < count; i++) {
        char realm[128], name[160];
        snprintf(realm, sizeof(realm), "inst%05u-%c%c.%s", i, 'a' + rnd(26), 'a' + rnd(26),
                 tlds[rnd(6)]);
        snprintf(name, sizeof(name), "%s %s of Place %u", words[rnd(16)], kinds[rnd(8)], i);
        bool undefined = rnd(100) < 8;
        bool tls_only = !undefined && rnd(100) < 4;
        bool two = !undefined && rnd(100) < 3;
        bool hint = rnd(100) < 15;
        bool outer = rnd(100) < 70;
        unsigned n_methods = 1 + rnd(3);

        /* CA set. */
        char *cas[3] = {NULL, NULL, NULL};
        bool own[3] = {false, false, false};
        unsigned n_cas;
        if (rnd(100) < 55) {
            char org[200], cn[240];
            snprintf(org, sizeof(org), "%s", name);
            snprintf(cn, sizeof(cn), "%s RADIUS Root CA", name);
            EVP_PKEY *k = rnd(100) < 60 ? random_rsa_public() : ec_key();
            cas[0] = make_ca(k, EVP_PKEY_get_id(k) == EVP_PKEY_RSA ? rsa_signer : ec_signer,
                             org, cn, 10000 + i);
            own[0] = true;
            EVP_PKEY_free(k);
            n_cas = 1;
            if (rnd(100) < 20) { /* and a second root during a rollover */
                k = ec_key();
                snprintf(cn, sizeof(cn), "%s RADIUS Root CA 2", name);
                cas[1] = make_ca(k, ec_signer, org, cn, 20000 + i);
                own[1] = true;
                EVP_PKEY_free(k);
                n_cas = 2;
            }
        } else {
            unsigned s = rnd(SHARED);
            cas[0] = shared_root[s];
            n_cas = 1;
            if (rnd(100) < 60)
                cas[n_cas++] = shared_inter[s];
        }

        snprintf(path, sizeof(path), "%s/inst%05u.eap-config", out, i);
        FILE *f = fopen(path, "w");
        if (!f) {
            perror(path);
            return 1;
        }
        fprintf(f, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                   "<EAPIdentityProviderList xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-"
                   "instance\" xsi:noNamespaceSchemaLocation=\"eap-metadata.xsd\">\n");
        for (unsigned p = 0; p < (two ? 2u : 1u); p++) {
            const char *id = undefined ? "undefined" : realm;
            fprintf(f, "  <EAPIdentityProvider ID=\"%s\" namespace=\"%s\" version=\"1\">\n",
                    id, undefined ? "urn:undefined" : "urn:RFC4282:realm");
            fprintf(f, "    <AuthenticationMethods>\n");
            for (unsigned m = 0; m < (tls_only ? 1 : n_methods); m++) {
                int eap = tls_only ? 13 : m == 0 ? (rnd(100) < 55 ? 25 : 21) : (m == 1 ? 21 : 13);
                fprintf(f, "      <AuthenticationMethod>\n        <EAPMethod><Type>%d</Type>"
                           "</EAPMethod>\n        <ServerSideCredential>\n", eap);
                for (unsigned c = 0; c < n_cas; c++)
                    fprintf(f, "          <CA format=\"X.509\" encoding=\"base64\">%s</CA>\n",
                            cas[c]);
                unsigned n_sid = 1 + rnd(3);
                for (unsigned s = 0; s < n_sid; s++)
                    fprintf(f, "          <ServerID>radius%u.%s</ServerID>\n", s + 1, realm);
                fprintf(f, "        </ServerSideCredential>\n");
                if (outer || hint) {
                    fprintf(f, "        <ClientSideCredential>\n");
                    if (outer)
                        fprintf(f, "          <OuterIdentity>%s@%s</OuterIdentity>\n",
                                rnd(100) < 80 ? "anonymous" : "", realm);
                    if (hint)
                        fprintf(f, "          <InnerIdentitySuffix>%s</InnerIdentitySuffix>\n"
                                   "          <InnerIdentityHint>true</InnerIdentityHint>\n",
                                realm);
                    fprintf(f, "        </ClientSideCredential>\n");
                }
                if (eap == 21)
                    fprintf(f, "        <InnerAuthenticationMethod><NonEAPAuthMethod><Type>%d"
                               "</Type></NonEAPAuthMethod></InnerAuthenticationMethod>\n",
                            rnd(2) ? 1 : 3);
                else if (eap == 25)
                    fprintf(f, "        <InnerAuthenticationMethod><EAPMethod><Type>26</Type>"
                               "</EAPMethod></InnerAuthenticationMethod>\n");
                fprintf(f, "      </AuthenticationMethod>\n");
            }
            fprintf(f, "    </AuthenticationMethods>\n    <CredentialApplicability>\n"
                       "      <IEEE80211><SSID>eduroam</SSID><MinRSNProto>CCMP</MinRSNProto>"
                       "</IEEE80211>\n      <IEEE80211><ConsortiumOID>001bc50460"
                       "</ConsortiumOID></IEEE80211>\n");
            if (p == 1)
                fprintf(f, "      <IEEE80211><ConsortiumOID>5a03ba0000</ConsortiumOID>"
                           "</IEEE80211>\n");
            fprintf(f, "    </CredentialApplicability>\n    <ProviderInfo>\n"
                       "      <DisplayName lang=\"any\">%s</DisplayName>\n", name);
            if (rnd(100) < 30)
                fprintf(f, "      <DisplayName lang=\"de\">%s (de)</DisplayName>\n", name);
            fprintf(f, "      <Description lang=\"any\">Synthetic benchmark institution.</Description>\n");
            if (rnd(100) < 40) {
                size_t logo = 2000 + rnd(30000);
                unsigned char *raw = malloc(logo);
                char *b64 = malloc(logo * 4 / 3 + 8);
                RAND_bytes(raw, (int)logo);
                EVP_EncodeBlock((unsigned char *)b64, raw, (int)logo);
                fprintf(f, "      <ProviderLogo mime=\"image/png\" encoding=\"base64\">%s"
                           "</ProviderLogo>\n", b64);
                free(raw);
                free(b64);
            }
            fprintf(f, "      <Helpdesk>\n        <EmailAddress lang=\"any\">helpdesk@%s"
                       "</EmailAddress>\n        <WebAddress lang=\"any\">https://www.%s/"
                       "eduroam</WebAddress>\n", realm, realm);
            if (rnd(2))
                fprintf(f, "        <Phone lang=\"any\">+99 %u %u</Phone>\n", 100 + rnd(900),
                        100000 + rnd(900000));
            fprintf(f, "      </Helpdesk>\n    </ProviderInfo>\n  </EAPIdentityProvider>\n");
        }
        fprintf(f, "</EAPIdentityProviderList>\n");
        fclose(f);
        if (!undefined) {
            fprintf(realms, "%s\n", realm);
            with_realm++;
        }
        for (int c = 0; c < 3; c++)
            if (own[c])
                free(cas[c]);
    }
    fclose(realms);
    for (int i = 0; i < SHARED; i++) {
        free(shared_root[i]);
        free(shared_inter[i]);
    }
    EVP_PKEY_free(rsa_signer);
    EVP_PKEY_free(ec_signer);
    printf("%u eap-config files (%u with a realm) in %s\n", count, with_realm, out);
    return 0;
}
