/* package.json is the sender's bytes, parsed by the receiver before anything else in it is
 * believed: any input must parse into a consistent structure or fail with a UTF-8 message naming
 * the byte, never crash, leak or read past the end (the input is not NUL-terminated here). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "package_impl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy: a read past the end is a heap overflow the sanitizer reports. */
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    if (size)
        memcpy(text, data, size);
    up_package_json p;
    sh_error err;
    sh_error_clear(&err);
    sh_status st = up_package_json_parse(text, size, &p, &err);
    if (st == SH_OK) {
        if (!p.schema || strcmp(p.schema, UP_PACKAGE_SCHEMA) != 0 || p.volume > p.volumes ||
            !up_package_id_valid(p.package) || strlen(p.signer_cert_sha256) != 64)
            abort();
        for (size_t i = 0; i < p.n_dossiers; i++)
            for (size_t k = 0; k < p.dossiers[i].n_docs; k++)
                if (!p.dossiers[i].docs[k].path ||
                    !g_utf8_validate(p.dossiers[i].docs[k].path, -1, NULL))
                    abort();
    } else if (st != SH_FINDINGS || !g_utf8_validate(err.msg, -1, NULL) ||
               strstr(err.msg, "package.json") == NULL) {
        abort();
    }
    up_package_json_clear(&p);
    free(text);
    return 0;
}
