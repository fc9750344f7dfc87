/* Signing a PDF: the original's bytes copied unchanged (and hashed on the way), then an
 * incremental update with the stamp, the signature field on page 1 and the signature dictionary,
 * whose /Contents placeholder is exactly as large as the biggest CMS this key can give. The
 * digest of everything but /Contents needs only the small update read back, so a 50 MB file is
 * read once and written once. */
#include "sign_impl.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/objects.h>

#define MM_TO_PT (72.0 / 25.4)
/* Annotation flags: Print (4) and Locked (128): printed, and not moved by a viewer. */
#define WIDGET_FLAGS 132
/* "[0 a b c]" with room for three offsets of a file below 10 GB. */
#define BYTE_RANGE_WIDTH 36

struct sg_signer {
    sg_key_pending *pending; /* prepared, not yet unlocked */
    sg_key *key;
    sg_stamp *stamp;    /* NULL for a signer without a stamp (font_path NULL): detached only */
    sg_stamp_spec spec; /* what the stamp is made from; the strings below are ours */
    char *font_path, *seal_path, *organisation_given;
    char *cn, *organisation;
    char cert_sha256[SH_SHA256_HEX_LEN + 1];
    size_t cms_max; /* the largest CMS the key gives: the /Contents placeholder */
    double margin_pt;
    sg_placement placement;
};

sh_status sg_signer_prepare(const sg_signer_options *o, sg_signer **out, sh_error *err)
{
    *out = NULL;
    sg_signer *s = g_new0(sg_signer, 1);
    s->font_path = g_strdup(o->font_path);
    s->seal_path = g_strdup(o->seal_path);
    s->organisation_given =
        o->organisation && o->organisation[0] ? g_strdup(o->organisation) : NULL;
    s->spec = (sg_stamp_spec){.font_path = s->font_path,
                              .seal_path = s->seal_path,
                              .organisation = s->organisation_given,
                              .width_mm = o->stamp_width_mm};
    s->margin_pt = o->stamp_margin_mm * MM_TO_PT;
    s->placement = o->placement;
    /* The stamp first: a font or seal mistake is found without touching the token. Without a
     * font, a signer for detached signatures only: no stamp, nothing of it read. */
    sh_status st = s->font_path ? sg_stamp_check(&s->spec, err) : SH_OK;
    if (st == SH_OK)
        st = sg_key_prepare(&o->key, &s->pending, err);
    if (st != SH_OK) {
        sg_signer_close(s);
        return st;
    }
    *out = s;
    return SH_OK;
}

bool sg_signer_needs_secret(const sg_signer *s)
{
    return s->pending && sg_key_needs_secret(s->pending);
}

sh_status sg_signer_unlock(sg_signer *s, const char *secret, sh_error *err)
{
    if (!s->pending)
        return sh_fail(err, SH_INTERNAL, "sg_signer_unlock: the signer is not prepared");
    sh_status st = sg_key_unlock(&s->pending, secret, &s->key, err);
    if (st != SH_OK)
        return st;
    X509 *cert = sg_key_cert(s->key);
    s->cn = sg_cert_field(cert, NID_commonName);
    if (!s->cn)
        s->cn = g_strdup("?");
    s->organisation = s->organisation_given ? g_strdup(s->organisation_given)
                                            : sg_cert_field(cert, NID_organizationName);
    if (!s->organisation)
        s->organisation = g_strdup(s->cn);
    sg_cert_sha256_hex(cert, s->cert_sha256);
    s->cms_max = sg_cms_size(cert, sg_key_chain(s->key), sg_key_kind_of(s->key),
                             sg_key_max_signature(s->key));
    if (!s->font_path)
        return SH_OK;
    sg_stamp_spec spec = s->spec;
    spec.organisation = s->organisation;
    spec.signer = s->cn;
    st = sg_stamp_new(&spec, &s->stamp, err);
    if (st != SH_OK) {
        sg_key_close(s->key);
        s->key = NULL;
    }
    return st;
}

sh_status sg_signer_unlock_asking(sg_signer *s, const char *secret, const char *pin_file,
                                  sh_error *err)
{
    char *asked = NULL;
    sh_status st = SH_OK;
    if (!secret && sg_signer_needs_secret(s)) {
        st = sg_secret_get(NULL, pin_file,
                           sg_key_is_file(s->pending) ? _("Passphrase of the key file: ")
                                                      : _("PIN of the token: "),
                           &asked, err);
        secret = asked;
    }
    if (st == SH_OK)
        st = sg_signer_unlock(s, secret, err);
    sg_secret_free(asked);
    return st;
}

sh_status sg_signer_open(const sg_signer_options *o, sg_signer **out, sh_error *err)
{
    sh_status st = sg_signer_prepare(o, out, err);
    if (st == SH_OK && (st = sg_signer_unlock(*out, o->secret, err)) != SH_OK) {
        sg_signer_close(*out);
        *out = NULL;
    }
    return st;
}

const char *sg_signer_cn(const sg_signer *s) { return s->cn; }
const char *sg_signer_organisation(const sg_signer *s) { return s->organisation; }
const char *sg_signer_cert_sha256(const sg_signer *s) { return s->cert_sha256; }
sg_key *sg_signer_key(const sg_signer *s) { return s->key; }

void sg_signer_close(sg_signer *s)
{
    if (!s)
        return;
    sg_key_pending_free(s->pending);
    sg_key_close(s->key);
    sg_stamp_free(s->stamp);
    g_free(s->font_path);
    g_free(s->seal_path);
    g_free(s->organisation_given);
    g_free(s->cn);
    g_free(s->organisation);
    g_free(s);
}

/* Where the signature dictionary's patched parts are. */
typedef struct {
    uint64_t contents_start, contents_end, byte_range;
} sig_places;

static void write_field(pdf_writer *w, int field, int sig, const char *name, int page, int page_gen,
                        const double rect[4], int form)
{
    pdf_object_begin(w, field);
    pdf_printf(w, "<< /Type /Annot /Subtype /Widget /FT /Sig /T ");
    pdf_text_string(w, name);
    pdf_printf(w, " /V %d 0 R /F %d /P %d %d R /Rect [", sig, WIDGET_FLAGS, page, page_gen);
    for (int i = 0; i < 4; i++) {
        pdf_printf(w, i ? " " : "");
        pdf_real(w, rect[i]);
    }
    pdf_printf(w, "] /AP << /N %d 0 R >> >>", form);
    pdf_object_end(w);
}

/* The signature dictionary with a /Contents of zeros for cms_max bytes and a /ByteRange to be
 * filled in. /Contents comes first so that the mark (the hash of all before it) is taken at its
 * "<": everything after it is small. */
static void write_sig_dict(pdf_writer *w, int sig, int64_t now, const char *cn, size_t cms_max,
                           sig_places *at)
{
    char date[SG_TIME_TEXT_LEN];
    sg_time_pdf_date(now, date);
    pdf_object_begin(w, sig);
    pdf_printf(w,
               "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /M (%s) "
               "/Name ",
               date);
    pdf_text_string(w, cn);
    pdf_printf(w, " /Contents ");
    pdf_writer_mark(w);
    at->contents_start = pdf_writer_tell(w);
    pdf_printf(w, "<");
    static const char zeros[4096] = {[0 ... 4095] = '0'};
    for (size_t left = 2 * cms_max; left > 0;) {
        size_t n = left < sizeof zeros ? left : sizeof zeros;
        pdf_printf(w, "%.*s", (int)n, zeros);
        left -= n;
    }
    pdf_printf(w, ">");
    at->contents_end = pdf_writer_tell(w);
    pdf_printf(w, " /ByteRange ");
    at->byte_range = pdf_writer_tell(w);
    pdf_printf(w, "%-*s >>", BYTE_RANGE_WIDTH, "[0 0 0 0]");
    pdf_object_end(w);
}

/* The CMS over the file's digest (but /Contents), hex-encoded into the placeholder. */
static sh_status put_signature(sg_signer *s, pdf_writer *w, const sig_places *at, sh_error *err)
{
    uint64_t size = pdf_writer_tell(w);
    char range[BYTE_RANGE_WIDTH + 1];
    snprintf(range, sizeof range, "[0 %llu %llu %llu]", (unsigned long long)at->contents_start,
             (unsigned long long)at->contents_end, (unsigned long long)(size - at->contents_end));
    size_t range_len = strlen(range);
    memset(range + range_len, ' ', BYTE_RANGE_WIDTH - range_len);
    sh_status st = pdf_writer_patch(w, at->byte_range, range, BYTE_RANGE_WIDTH, err);
    uint8_t digest[SG_SHA256_LEN];
    if (st == SH_OK)
        st = pdf_writer_digest(w, at->contents_start, at->contents_end, digest, err);
    if (st != SH_OK)
        return st;
    X509 *cert = sg_key_cert(s->key);
    GByteArray *attrs = sg_cms_signed_attrs(cert, digest);
    size_t max_sig = sg_key_max_signature(s->key), sig_len = 0;
    uint8_t *sig = g_malloc(max_sig);
    st = sg_key_sign(s->key, attrs->data, attrs->len, sig, &sig_len, err);
    GByteArray *cms = NULL;
    if (st == SH_OK)
        cms = sg_cms_build(cert, sg_key_chain(s->key), sg_key_kind_of(s->key), attrs, sig, sig_len);
    if (st == SH_OK && (!cms || cms->len > s->cms_max))
        st = sh_fail(err, SH_INTERNAL, "the signature is larger than the room made for it");
    if (st == SH_OK) {
        char *hex = g_malloc(2 * cms->len + 1);
        sh_hex(cms->data, cms->len, hex);
        st = pdf_writer_patch(w, at->contents_start + 1, hex, 2 * cms->len, err);
        g_free(hex);
    }
    if (cms)
        g_byte_array_free(cms, TRUE);
    g_byte_array_free(attrs, TRUE);
    OPENSSL_cleanse(sig, max_sig);
    g_free(sig);
    return st;
}

/* Everything of the update, up to a closed file whose signature is in place. */
static sh_status write_update(sg_signer *s, const char *in, pdf_reader *r, pdf_writer *w,
                              int64_t now, sh_error *err)
{
    double box[4];
    int rotate, page, page_gen;
    sh_status st = pdf_reader_page_geometry(r, 0, box, &rotate, &page, &page_gen, err);
    if (st != SH_OK)
        return st;
    char name[64];
    pdf_reader_new_field_name(r, "Signature", name, sizeof name);
    double w_pt, h_pt;
    sg_stamp_size(s->stamp, &w_pt, &h_pt);
    sg_stamp_spot spot;
    sg_stamp_place(in, r, 0, box, rotate, w_pt, h_pt, s->margin_pt, s->placement, &spot);
    char when[SG_TIME_TEXT_LEN];
    sg_time_stamp_text(now, when);
    int form = sg_stamp_write(s->stamp, w, when, rotate, spot.scale);
    int sig = pdf_object_reserve(w), field = pdf_object_reserve(w);
    write_field(w, field, sig, name, page, page_gen, spot.rect, form);
    st = pdf_update_add_field(r, w, 0, field, err);
    if (st != SH_OK)
        return st;
    sig_places at;
    write_sig_dict(w, sig, now, s->cn, s->cms_max, &at);
    st = pdf_writer_close(w, err);
    if (st == SH_OK)
        st = put_signature(s, w, &at, err);
    return st;
}

sh_status sg_sign_file(sg_signer *s, const char *in, const char *expect_sha256, const char *out,
                       sg_sign_result *res, sh_error *err)
{
    return sg_sign_file_sealed(s, in, expect_sha256, out, res, NULL, err);
}

/* A document whose signatures allow no changes (a certification with DocMDP P=1, or a PDF 2.0
 * lock) is refused, naming that signature; one that allows signing (P=2, 3) is signed with a
 * note saying so. */
static sh_status check_permissions(pdf_reader *r, const char *in, sh_error *err)
{
    pdf_signature *sigs = NULL;
    int n = 0, which = -1;
    sh_status st = pdf_reader_signatures(r, &sigs, &n, err);
    if (st != SH_OK) /* what they allow is unknown: signing could break one */
        return st;
    int p = pdf_reader_permissions(r, sigs, n, &which);
    char *what = NULL;
    if (p && which >= 0) {
        const pdf_signature *c = &sigs[which];
        char *cn = sg_cms_signer_cn(c->contents, c->contents_len);
        int64_t at = 0;
        char when[SG_TIME_TEXT_LEN] = "?";
        if (c->m && sg_time_parse_pdf_date(c->m, &at))
            sg_time_stamp_text(at, when);
        const char *who = cn ? cn : c->name ? c->name : "?";
        what = g_strdup_printf(_("signature \"%s\" (by %s, %s)"), c->field, who, when);
        g_free(cn);
    } else if (p) {
        what = g_strdup(_("the certification its catalog names (/Perms /DocMDP)"));
    }
    if (p == 1)
        st = sh_fail(err, SH_FINDINGS,
                     _("%s: %s allows no changes to the document (DocMDP P=1): a signature "
                       "added now would break it; ask whoever certified it for a copy that "
                       "allows signing, or sign the document it was made from"),
                     in, what);
    else if (p)
        sh_info(_("note: %s: %s allows signatures to be added (DocMDP P=%d), so it is signed"), in,
                what, p);
    g_free(what);
    pdf_signatures_free(sigs, n);
    return st;
}

sh_status sg_sign_file_sealed(sg_signer *s, const char *in, const char *expect_sha256,
                              const char *out, sg_sign_result *res, sh_atomic_file **sealed,
                              sh_error *err)
{
    memset(res, 0, sizeof *res);
    if (sealed)
        *sealed = NULL;
    if (!s->font_path)
        return sh_fail(err, SH_USAGE,
                       _("%s cannot be signed: this signer was prepared without a stamp font, for "
                         "detached signatures only; a PDF is signed with its stamp (give the font: "
                         "font in sohoa.ini)"),
                       in);
    if (!s->key)
        return sh_fail(err, SH_INTERNAL, "sg_sign_file: the signer is not unlocked");
    pdf_reader *r = NULL;
    sh_status st = pdf_reader_open(in, &r, err);
    if (st != SH_OK)
        return st;
    if (pdf_reader_pages(r) < 1) {
        pdf_reader_close(r);
        return sh_fail(err, SH_INPUT, _("%s has no pages: there is nowhere to put the stamp"), in);
    }
    if ((st = check_permissions(r, in, err)) != SH_OK) {
        pdf_reader_close(r);
        return st;
    }
    pdf_update_base base;
    st = pdf_reader_update_base(r, &base, err);
    pdf_writer *w = st == SH_OK ? pdf_writer_update(out, in, &base, err) : NULL;
    if (!w) {
        pdf_reader_close(r);
        return st != SH_OK ? st : err ? err->status : SH_INTERNAL;
    }
    if (sealed)
        pdf_writer_hand_over(w, sealed);
    uint8_t original[SH_SHA256_LEN];
    pdf_writer_original_sha256(w, original);
    sh_hex(original, SH_SHA256_LEN, res->input_sha256);
    if (expect_sha256 && strcmp(expect_sha256, res->input_sha256) != 0) {
        pdf_writer_abort(w);
        pdf_reader_close(r);
        return sh_fail(err, SH_FINDINGS,
                       _("%s changed since it passed validation; validate it again before "
                         "signing"),
                       in);
    }
    res->signed_at = (int64_t)time(NULL);
    st = write_update(s, in, r, w, res->signed_at, err);
    pdf_reader_close(r);
    uint8_t whole[SH_SHA256_LEN];
    if (st == SH_OK)
        st = pdf_writer_digest(w, pdf_writer_tell(w), pdf_writer_tell(w), whole, err);
    if (st != SH_OK) {
        pdf_writer_abort(w);
        return st;
    }
    sh_hex(whole, SH_SHA256_LEN, res->output_sha256);
    res->output_bytes = pdf_writer_tell(w);
    return pdf_writer_publish(w, err);
}
