/* The receiver's receipt read back (receipt_impl.h): sohoa-receipt/1 through the bounded,
 * schema-directed reader of core (sh_jr), then the rules of its values. */
#include "receipt_impl.h"

#include <string.h>

#include <glib.h>

#include "naming/naming.h"

static bool read_volumes(sh_jr *r, void *obj)
{
    static const sh_jr_field FIELDS[] = {
        SH_JR_F(up_rc_volume, "file", SH_JR_STR, file),
        SH_JR_FI(up_rc_volume, "volume", SH_JR_INT_OR_NULL, volume, 1, 9999),
        SH_JR_FI(up_rc_volume, "of", SH_JR_INT_OR_NULL, of, 1, 9999),
        SH_JR_FI(up_rc_volume, "bytes", SH_JR_INT, bytes, 0, INT64_C(1) << 53),
        SH_JR_F(up_rc_volume, "sha256", SH_JR_HEX_OR_NULL, sha256),
    };
    up_receipt *p = obj;
    bool first = true;
    while (sh_jr_next_item(r, &first)) {
        up_rc_volume *v = sh_jr_grow(r, (void **)&p->volumes, &p->n_volumes, sizeof *v);
        if (!v || !sh_jr_object(r, FIELDS, SH_JR_COUNT(FIELDS), v))
            return false;
    }
    return !r->failed;
}

/* A finding code as receive writes them: "receive.zip.name_dotdot". */
static bool code_valid(const char *s)
{
    if (!*s)
        return false;
    for (const char *q = s; *q; q++)
        if (!g_ascii_isalnum(*q) && *q != '.' && *q != '_')
            return false;
    return true;
}

static bool read_findings(sh_jr *r, void *obj)
{
    up_receipt *p = obj;
    bool first = true;
    while (sh_jr_next_item(r, &first)) {
        char *code = sh_jr_string(r);
        if (code && !code_valid(code))
            sh_jr_fail(r, _("\"findings\" holds something that is not a finding code"));
        /* One slot more than the codes: the list stays NULL-terminated. */
        char **slot =
            r->failed ? NULL : sh_jr_grow(r, (void **)&p->findings, &p->n_findings, sizeof code);
        if (!slot) {
            g_free(code);
            return false;
        }
        *slot = code;
    }
    if (r->failed)
        return false;
    char **end = sh_jr_grow(r, (void **)&p->findings, &p->n_findings, sizeof(char *));
    p->n_findings--;
    return end != NULL;
}

static bool read_receiver(sh_jr *r, void *obj)
{
    static const sh_jr_field FIELDS[] = {
        SH_JR_F(up_receipt, "cn", SH_JR_STR_OR_NULL, receiver_cn),
        SH_JR_F(up_receipt, "organisation", SH_JR_STR_OR_NULL, receiver_org),
        SH_JR_F(up_receipt, "cert_sha256", SH_JR_HEX, receiver_cert_sha256),
    };
    return sh_jr_object(r, FIELDS, SH_JR_COUNT(FIELDS), obj);
}

/* "package": a package ID. */
static bool read_package(sh_jr *r, void *obj)
{
    char *id = ((up_receipt *)obj)->package;
    return sh_jr_text(r, id, UP_PACKAGE_ID_LEN + 1) &&
           (up_package_id_valid(id) || sh_jr_fail(r, _("\"%s\" is not a package ID"), "package"));
}

static const sh_jr_field RECEIPT_FIELDS[] = {
    SH_JR_F(up_receipt, "schema", SH_JR_STR, schema),
    SH_JR_FN("package", read_package),
    SH_JR_F(up_receipt, "organisation", SH_JR_STR_OR_NULL, organisation),
    SH_JR_F(up_receipt, "verdict", SH_JR_STR, verdict),
    SH_JR_FN("volumes", read_volumes),
    SH_JR_FI(up_receipt, "dossiers", SH_JR_INT, dossiers, 0, INT64_C(1) << 53),
    SH_JR_FI(up_receipt, "documents", SH_JR_INT, documents, 0, INT64_C(1) << 53),
    SH_JR_FN("findings", read_findings),
    SH_JR_F(up_receipt, "received_at", SH_JR_STR, received_at),
    SH_JR_FN("receiver", read_receiver),
};

/* YYYY-MM-DDTHH:MM:SSZ or YYYY-MM-DDTHH:MM:SS.mmmZ, digits where digits go. */
static bool utc_valid(const char *s)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    size_t n = strlen(s), k = sizeof shape - 1;
    if (n != k + 1 && n != k + 5)
        return false;
    for (size_t i = 0; i < k; i++)
        if (shape[i] == 'd' ? !g_ascii_isdigit(s[i]) : s[i] != shape[i])
            return false;
    if (n == k + 5 && !(s[k] == '.' && g_ascii_isdigit(s[k + 1]) && g_ascii_isdigit(s[k + 2]) &&
                        g_ascii_isdigit(s[k + 3])))
        return false;
    return s[n - 1] == 'Z';
}

/* The rules of the values, once the shape is right. */
static void check_values(sh_jr *r, up_receipt *out)
{
    if (strcmp(out->schema, UP_RECEIPT_SCHEMA) != 0)
        sh_jr_fail(r, _("the schema is not %s"), UP_RECEIPT_SCHEMA);
    else if (out->organisation && !nm_org_code_valid(out->organisation))
        sh_jr_fail(r, _("\"organisation\" is not an organisation code (M1.M2.M3.M4.M5)"));
    else if (strcmp(out->verdict, "accepted") != 0 && strcmp(out->verdict, "rejected") != 0)
        sh_jr_fail(r, _("\"verdict\" is neither \"accepted\" nor \"rejected\""));
    else if ((out->accepted = strcmp(out->verdict, "accepted") == 0) && out->n_findings > 0)
        sh_jr_fail(r, _("an accepted package with findings"));
    else if (!utc_valid(out->received_at))
        sh_jr_fail(r, _("\"received_at\" is not a UTC time (YYYY-MM-DDTHH:MM:SS.mmmZ)"));
}

sh_status up_receipt_parse(const char *text, size_t len, const char *what, up_receipt *out,
                           sh_error *err)
{
    memset(out, 0, sizeof *out);
    sh_jr r;
    sh_jr_init(&r, text, len, what, UP_RECEIPT_SCHEMA, UP_RECEIPT_STRING_MAX, UP_RECEIPT_LIST_MAX,
               err);
    if (len > UP_RECEIPT_JSON_MAX) {
        sh_jr_fail(&r, _("the file is larger than %zu MiB"), UP_RECEIPT_JSON_MAX >> 20);
        return SH_FINDINGS;
    }
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        sh_jr_fail(&r, _("a byte-order mark"));
    if (sh_jr_object(&r, RECEIPT_FIELDS, SH_JR_COUNT(RECEIPT_FIELDS), out) && sh_jr_end(&r))
        check_values(&r, out);
    return r.failed ? SH_FINDINGS : SH_OK;
}

void up_receipt_clear(up_receipt *r)
{
    g_free(r->schema);
    g_free(r->organisation);
    g_free(r->verdict);
    for (size_t i = 0; i < r->n_volumes; i++)
        g_free(r->volumes[i].file);
    g_free(r->volumes);
    for (size_t i = 0; i < r->n_findings; i++)
        g_free(r->findings[i]);
    g_free(r->findings);
    g_free(r->received_at);
    g_free(r->receiver_cn);
    g_free(r->receiver_org);
    memset(r, 0, sizeof *r);
}
