/* package.json read back (docs/package.md, "package.json"): a strict parser directed by the
 * schema sohoa-package/1. Bounded: the text (UP_PACKAGE_JSON_MAX), each string, each list; the
 * nesting is the schema's own (unknown keys are refused, never skipped), and memory grows only
 * with what is kept. */
#include "package_impl.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "naming/naming.h"

/* ---- the schema */

typedef struct {
    int64_t id;
    char *action;
    char hash[SH_SHA256_HEX_LEN + 1];
} audit_ref;

static bool read_validation(sh_jr *r, void *obj)
{
    static const sh_jr_field FIELDS[] = {
        SH_JR_F(up_pkg_document, "verdict", SH_JR_STR, validation_verdict),
        SH_JR_F(up_pkg_document, "at", SH_JR_STR, validation_at),
    };
    return sh_jr_object(r, FIELDS, SH_JR_COUNT(FIELDS), obj);
}

static bool read_audit(sh_jr *r, void *obj)
{
    static const sh_jr_field FIELDS[] = {
        SH_JR_FI(audit_ref, "id", SH_JR_INT, id, 1, INT64_C(1) << 53),
        SH_JR_F(audit_ref, "action", SH_JR_STR, action),
        SH_JR_F(audit_ref, "hash", SH_JR_HEX, hash),
    };
    up_pkg_document *d = obj;
    bool first = true;
    while (sh_jr_next_item(r, &first)) {
        audit_ref a = {0};
        bool ok =
            d->n_audit < UP_PACKAGE_LIST_MAX && sh_jr_object(r, FIELDS, SH_JR_COUNT(FIELDS), &a);
        g_free(a.action);
        if (!ok)
            return sh_jr_fail(r, _("a bad \"audit\" entry"));
        d->n_audit++;
    }
    return !r->failed;
}

static bool read_documents(sh_jr *r, void *obj)
{
    static const sh_jr_field FIELDS[] = {
        SH_JR_F(up_pkg_document, "path", SH_JR_STR, path),
        SH_JR_FI(up_pkg_document, "stt", SH_JR_INT, stt, 1, 1000),
        SH_JR_F(up_pkg_document, "type", SH_JR_STR, type),
        SH_JR_FI(up_pkg_document, "seq", SH_JR_INT_OR_NULL, seq, 1, 1000000),
        SH_JR_FI(up_pkg_document, "pages", SH_JR_INT, pages, 0, 1000000),
        SH_JR_FI(up_pkg_document, "bytes", SH_JR_INT, bytes, 0, INT64_C(1) << 53),
        SH_JR_F(up_pkg_document, "sha256", SH_JR_HEX, sha256),
        SH_JR_F(up_pkg_document, "original_sha256", SH_JR_HEX, original_sha256),
        SH_JR_F(up_pkg_document, "signer_cert_sha256", SH_JR_HEX, signer_cert_sha256),
        SH_JR_F(up_pkg_document, "signed_at", SH_JR_STR, signed_at),
        SH_JR_FN("validation", read_validation),
        SH_JR_FN("audit", read_audit),
    };
    up_pkg_dossier *d = obj;
    bool first = true;
    while (sh_jr_next_item(r, &first)) {
        up_pkg_document *doc = sh_jr_grow(r, (void **)&d->docs, &d->n_docs, sizeof *doc);
        if (!doc || !sh_jr_object(r, FIELDS, SH_JR_COUNT(FIELDS), doc))
            return false;
    }
    return !r->failed;
}

static bool read_identity(sh_jr *r, void *obj)
{
    static const sh_jr_field FIELDS[] = {
        SH_JR_F(up_pkg_dossier, "kind", SH_JR_STR, identity_kind),
        SH_JR_F(up_pkg_dossier, "key", SH_JR_STR, identity_key),
    };
    return sh_jr_object(r, FIELDS, SH_JR_COUNT(FIELDS), obj);
}

static bool read_dossiers(sh_jr *r, void *obj)
{
    static const sh_jr_field FIELDS[] = {
        SH_JR_F(up_pkg_dossier, "folder", SH_JR_STR, folder),
        SH_JR_FN("identity", read_identity),
        SH_JR_F(up_pkg_dossier, "name", SH_JR_STR, name),
        SH_JR_F(up_pkg_dossier, "cell", SH_JR_STR, cell),
        SH_JR_F(up_pkg_dossier, "organisation", SH_JR_STR, organisation),
        SH_JR_FN("documents", read_documents),
    };
    up_package_json *p = obj;
    bool first = true;
    while (sh_jr_next_item(r, &first)) {
        up_pkg_dossier *d = sh_jr_grow(r, (void **)&p->dossiers, &p->n_dossiers, sizeof *d);
        if (!d || !sh_jr_object(r, FIELDS, SH_JR_COUNT(FIELDS), d))
            return false;
    }
    return !r->failed;
}

static bool read_corrects(sh_jr *r, void *obj)
{
    up_package_json *p = obj;
    bool first = true;
    while (sh_jr_next_item(r, &first)) {
        char *id = sh_jr_string(r);
        if (id && !up_package_id_valid(id))
            sh_jr_fail(r, _("\"corrects\" holds something that is not a package ID"));
        char **slot =
            r->failed ? NULL : sh_jr_grow(r, (void **)&p->corrects, &p->n_corrects, sizeof id);
        if (!slot) {
            g_free(id);
            return false;
        }
        *slot = id;
    }
    return !r->failed;
}

static bool read_audit_head(sh_jr *r, void *obj)
{
    static const sh_jr_field FIELDS[] = {
        SH_JR_FI(up_package_json, "id", SH_JR_INT, audit_head_id, 0, INT64_C(1) << 53),
        SH_JR_F(up_package_json, "hash", SH_JR_HEX, audit_head_hash),
    };
    return sh_jr_object(r, FIELDS, SH_JR_COUNT(FIELDS), obj);
}

/* "package": a package ID. */
static bool read_package(sh_jr *r, void *obj)
{
    char *id = ((up_package_json *)obj)->package;
    return sh_jr_text(r, id, UP_PACKAGE_ID_LEN + 1) &&
           (up_package_id_valid(id) || sh_jr_fail(r, _("\"%s\" is not a package ID"), "package"));
}

static const sh_jr_field PACKAGE_FIELDS[] = {
    SH_JR_F(up_package_json, "schema", SH_JR_STR, schema),
    SH_JR_FN("package", read_package),
    SH_JR_FI(up_package_json, "volume", SH_JR_INT, volume, 1, 9999),
    SH_JR_FI(up_package_json, "volumes", SH_JR_INT, volumes, 1, 9999),
    SH_JR_F(up_package_json, "organisation", SH_JR_STR, organisation),
    SH_JR_F(up_package_json, "station", SH_JR_STR, station),
    SH_JR_F(up_package_json, "operator", SH_JR_STR, operator_name),
    SH_JR_F(up_package_json, "created_at", SH_JR_STR, created_at),
    SH_JR_F(up_package_json, "basis", SH_JR_STR, basis),
    SH_JR_FN("corrects", read_corrects),
    SH_JR_FI(up_package_json, "share_level", SH_JR_INT, share_level, 1, 4),
    SH_JR_F(up_package_json, "catalog", SH_JR_STR, catalog),
    SH_JR_F(up_package_json, "signer_cert_sha256", SH_JR_HEX, signer_cert_sha256),
    SH_JR_FN("dossiers", read_dossiers),
    SH_JR_FN("audit_head", read_audit_head),
};

/* Each dossier's identity: a kind sohoa knows, "cccd", or "cmnd" or "passport" for the temporary
 * key of a member without a CCCD (QĐ-KN Đ17.2), and a key of that kind's shape. */
static void check_identities(sh_jr *r, const up_package_json *p)
{
    for (size_t i = 0; i < p->n_dossiers && !r->failed; i++) {
        const up_pkg_dossier *d = &p->dossiers[i];
        const char *kind = d->identity_kind ? d->identity_kind : "";
        const char *key = d->identity_key ? d->identity_key : "";
        nm_key_kind k = nm_key_kind_from_name(kind);
        if (k == NM_KEY_NONE)
            sh_jr_fail(r,
                       _("the identity kind \"%s\" of the dossier %s is not cccd, cmnd or "
                         "passport"),
                       kind, d->folder ? d->folder : "?");
        else if (nm_key_kind_of(key) != k)
            sh_jr_fail(r,
                       _("the identity key \"%s\" of the dossier %s is not a %s key (cccd: "
                         "12 digits, cmnd: 9 digits, passport: a capital letter and 7 "
                         "digits)"),
                       key, d->folder ? d->folder : "?", kind);
    }
}

sh_status up_package_json_parse(const char *text, size_t len, up_package_json *out, sh_error *err)
{
    memset(out, 0, sizeof *out);
    sh_jr r;
    sh_jr_init(&r, text, len, "package.json", UP_PACKAGE_SCHEMA, UP_PACKAGE_STRING_MAX,
               UP_PACKAGE_LIST_MAX, err);
    if (len > UP_PACKAGE_JSON_MAX) {
        sh_jr_fail(&r, _("the file is larger than %zu MiB"), UP_PACKAGE_JSON_MAX >> 20);
        return SH_FINDINGS;
    }
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        sh_jr_fail(&r, _("a byte-order mark"));
    if (sh_jr_object(&r, PACKAGE_FIELDS, SH_JR_COUNT(PACKAGE_FIELDS), out))
        SH_IGNORE_RESULT(sh_jr_end(&r)); /* a failure is in r */
    if (!r.failed && strcmp(out->schema, UP_PACKAGE_SCHEMA) != 0)
        sh_jr_fail(&r, _("the schema is not %s"), UP_PACKAGE_SCHEMA);
    if (!r.failed && !nm_org_code_valid(out->organisation))
        sh_jr_fail(&r, _("\"organisation\" is not an organisation code (M1.M2.M3.M4.M5)"));
    if (!r.failed)
        check_identities(&r, out);
    if (!r.failed && out->volume > out->volumes)
        sh_jr_fail(&r, _("\"volume\" is larger than \"volumes\""));
    return r.failed ? SH_FINDINGS : SH_OK;
}

static void document_clear(up_pkg_document *d)
{
    g_free(d->path);
    g_free(d->type);
    g_free(d->signed_at);
    g_free(d->validation_verdict);
    g_free(d->validation_at);
}

void up_package_json_clear(up_package_json *p)
{
    g_free(p->schema);
    g_free(p->organisation);
    g_free(p->station);
    g_free(p->operator_name);
    g_free(p->created_at);
    g_free(p->basis);
    g_free(p->catalog);
    for (size_t i = 0; i < p->n_corrects; i++)
        g_free(p->corrects[i]);
    g_free(p->corrects);
    for (size_t i = 0; i < p->n_dossiers; i++) {
        up_pkg_dossier *d = &p->dossiers[i];
        g_free(d->folder);
        g_free(d->identity_kind);
        g_free(d->identity_key);
        g_free(d->name);
        g_free(d->cell);
        g_free(d->organisation);
        for (size_t k = 0; k < d->n_docs; k++)
            document_clear(&d->docs[k]);
        g_free(d->docs);
    }
    g_free(p->dossiers);
    memset(p, 0, sizeof *p);
}
