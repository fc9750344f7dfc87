/* Signing a PDF: the original's bytes copied unchanged (and hashed on the way), then an
 * incremental update with the stamp, the signature field on page 1 and the signature dictionary,
 * whose /Contents placeholder is exactly as large as the biggest CMS this key can give. The
 * digest of everything but /Contents needs only the small update read back, so a 50 MB file is
 * read once and written once. */
#include "sign/sign_impl.h"

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
    sg_key *key;
    sg_stamp *stamp;
    char *cn, *organisation;
    char cert_sha256[SH_SHA256_HEX_LEN + 1];
    size_t cms_max; /* the largest CMS the key gives: the /Contents placeholder */
    double margin_pt;
};

sh_status sg_signer_open(const sg_signer_options *o, sg_signer **out, sh_error *err)
{
    *out = NULL;
    sg_signer *s = g_new0(sg_signer, 1);
    sh_status st = sg_key_open(&o->key, o->secret, &s->key, err);
    if (st != SH_OK) {
        g_free(s);
        return st;
    }
    X509 *cert = sg_key_cert(s->key);
    s->cn = sg_cert_field(cert, NID_commonName);
    if (!s->cn)
        s->cn = g_strdup("?");
    s->organisation = o->organisation && o->organisation[0]
                          ? g_strdup(o->organisation)
                          : sg_cert_field(cert, NID_organizationName);
    if (!s->organisation)
        s->organisation = g_strdup(s->cn);
    sg_cert_sha256_hex(cert, s->cert_sha256);
    s->cms_max = sg_cms_size(cert, sg_key_chain(s->key), sg_key_kind_of(s->key),
                             sg_key_max_signature(s->key));
    s->margin_pt = o->stamp_margin_mm * MM_TO_PT;
    sg_stamp_spec spec = {.font_path = o->font_path,
                          .seal_path = o->seal_path,
                          .organisation = s->organisation,
                          .signer = s->cn,
                          .width_mm = o->stamp_width_mm};
    st = sg_stamp_new(&spec, &s->stamp, err);
    if (st != SH_OK) {
        sg_signer_close(s);
        return st;
    }
    *out = s;
    return SH_OK;
}

const char *sg_signer_cn(const sg_signer *s) { return s->cn; }
const char *sg_signer_organisation(const sg_signer *s) { return s->organisation; }
const char *sg_signer_cert_sha256(const sg_signer *s) { return s->cert_sha256; }

void sg_signer_close(sg_signer *s)
{
    if (!s)
        return;
    sg_key_close(s->key);
    sg_stamp_free(s->stamp);
    g_free(s->cn);
    g_free(s->organisation);
    g_free(s);
}

/* The widget's rectangle in default user space: at the top-right corner of the page as it is
 * displayed (box turned by rotate, clockwise), w × h as displayed, margin from both edges. */
static void stamp_rect(const double box[4], int rotate, double w, double h, double margin,
                       double rect[4])
{
    double x0 = box[0], y0 = box[1], x1 = box[2], y1 = box[3];
    switch (rotate) {
    case 90: /* shown top right: the user space's top left; shown leftwards: downwards */
        rect[0] = x0 + margin, rect[1] = y1 - margin - w, rect[2] = x0 + margin + h,
        rect[3] = y1 - margin;
        break;
    case 180:
        rect[0] = x0 + margin, rect[1] = y0 + margin, rect[2] = x0 + margin + w,
        rect[3] = y0 + margin + h;
        break;
    case 270:
        rect[0] = x1 - margin - h, rect[1] = y0 + margin, rect[2] = x1 - margin,
        rect[3] = y0 + margin + w;
        break;
    default:
        rect[0] = x1 - margin - w, rect[1] = y1 - margin - h, rect[2] = x1 - margin,
        rect[3] = y1 - margin;
        break;
    }
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
static sh_status write_update(sg_signer *s, pdf_reader *r, pdf_writer *w, int64_t now,
                              sh_error *err)
{
    double box[4];
    int rotate, page, page_gen;
    sh_status st = pdf_reader_page_geometry(r, 0, box, &rotate, &page, &page_gen, err);
    if (st != SH_OK)
        return st;
    char name[64];
    pdf_reader_new_field_name(r, "Signature", name, sizeof name);
    double w_pt, h_pt, rect[4];
    sg_stamp_size(s->stamp, &w_pt, &h_pt);
    stamp_rect(box, rotate, w_pt, h_pt, s->margin_pt, rect);
    char when[SG_TIME_TEXT_LEN];
    sg_time_stamp_text(now, when);
    int form = sg_stamp_write(s->stamp, w, when, rotate);
    int sig = pdf_object_reserve(w), field = pdf_object_reserve(w);
    write_field(w, field, sig, name, page, page_gen, rect, form);
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
    memset(res, 0, sizeof *res);
    pdf_reader *r = NULL;
    sh_status st = pdf_reader_open(in, &r, err);
    if (st != SH_OK)
        return st;
    if (pdf_reader_pages(r) < 1) {
        pdf_reader_close(r);
        return sh_fail(err, SH_INPUT, _("%s has no pages: there is nowhere to put the stamp"), in);
    }
    pdf_update_base base;
    st = pdf_reader_update_base(r, &base, err);
    pdf_writer *w = st == SH_OK ? pdf_writer_update(out, in, &base, err) : NULL;
    if (!w) {
        pdf_reader_close(r);
        return st != SH_OK ? st : err ? err->status : SH_INTERNAL;
    }
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
    st = write_update(s, r, w, res->signed_at, err);
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
