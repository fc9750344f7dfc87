/* Verifying a signed PDF: for each signature, the /ByteRange must leave out exactly the
 * signature's own /Contents string as it lies in the file (not a copy elsewhere: signature
 * wrapping; not a malformed range: universal signature forgery), the digest of those ranges must
 * be the one signed, the CMS signature must verify and chain to a trust anchor at the signing
 * time, and nothing may follow the signed revision (incremental saving attacks). */
#include "sign_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#define MAX_REVISIONS 4096

/* The digest (md) of [0, a) and [b, b + c) of the file. */
static bool digest_ranges(int fd, const int64_t br[4], const EVP_MD *md,
                          uint8_t out[EVP_MAX_MD_SIZE], size_t *out_len)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    enum { CHUNK = 1 << 20 };
    uint8_t *buf = g_malloc(CHUNK);
    unsigned int n_out = 0;
    bool ok = ctx && EVP_DigestInit_ex(ctx, md, NULL) == 1;
    for (int k = 0; k < 2 && ok; k++) {
        uint64_t pos = (uint64_t)br[2 * k], end = pos + (uint64_t)br[2 * k + 1];
        while (pos < end && ok) {
            size_t want = end - pos < CHUNK ? (size_t)(end - pos) : CHUNK;
            ssize_t n = pread(fd, buf, want, (off_t)pos);
            if (n < 0 && errno == EINTR)
                continue;
            ok = n > 0 && EVP_DigestUpdate(ctx, buf, (size_t)n) == 1;
            pos += n > 0 ? (uint64_t)n : 0;
        }
    }
    ok = ok && EVP_DigestFinal_ex(ctx, out, &n_out) == 1;
    *out_len = n_out;
    EVP_MD_CTX_free(ctx);
    g_free(buf);
    return ok;
}

static void problem(GString *p, const char *sentence)
{
    if (p->len)
        g_string_append_c(p, '\n');
    g_string_append(p, sentence);
}

/* A /ByteRange [0 a b c] that a signature can stand on: two ranges, from the start of the file
 * (not of its header: the offsets are the file's, as Poppler reads them too), in order, inside
 * it. */
static bool byte_range_sound(const pdf_signature *sig, uint64_t size)
{
    const int64_t *br = sig->byte_range;
    return sig->n_byte_range == 4 && br[0] == 0 && br[1] > 0 && br[2] > br[1] && br[3] >= 0 &&
           (uint64_t)br[2] + (uint64_t)br[3] <= size;
}

/* The /SubFilters whose CMS verify checks; others (a document timestamp ETSI.RFC3161,
 * adbe.x509.rsa_sha1, adbe.pkcs7.sha1, …) cannot be checked here. */
static bool subfilter_checked(const char *subfilter, bool *pades)
{
    *pades = subfilter && strcmp(subfilter, "ETSI.CAdES.detached") == 0;
    return *pades || (subfilter && strcmp(subfilter, "adbe.pkcs7.detached") == 0);
}

static void check_signature(const pdf_signature *sig, int fd, uint64_t header, uint64_t size,
                            X509_STORE *trust, sg_signature_report *rep)
{
    GString *p = g_string_new(NULL);
    bool invalid = false, unchecked = false;
    rep->field = g_strdup(sig->field);
    rep->subfilter = g_strdup(sig->subfilter ? sig->subfilter : "");
    /* /M is the signer's claim, outside what is signed: without a readable one the certificate
     * is checked at the present time (signed_at 0), as before. */
    if (sig->m && !sg_time_parse_pdf_date(sig->m, &rep->signed_at))
        rep->signed_at = 0;
    const int64_t *br = sig->byte_range;
    bool ranges_ok = byte_range_sound(sig, size);
    bool gap_ok = ranges_ok && sig->in_file && !sig->duplicate_keys && sig->contents_hex;
    if (!ranges_ok) {
        problem(p, _("its /ByteRange is malformed (a forged signature: the ranges must be [0 a "
                     "b c] inside the file)"));
        invalid = true;
    } else if (gap_ok && header > 0 && header + (uint64_t)br[1] == sig->contents_start &&
               header + (uint64_t)br[2] == sig->contents_end) {
        /* Signed as a file that started at its header: bytes came before it since (the file
         * says how many). */
        problem(p, _("it was made on the file as it was before bytes were put in front of its "
                     "header"));
        invalid = true;
    } else if (!gap_ok || (uint64_t)br[1] != sig->contents_start ||
               (uint64_t)br[2] != sig->contents_end) {
        problem(p, _("the signed ranges do not leave out exactly the signature's own /Contents "
                     "(signature wrapping): the file was changed to look signed"));
        invalid = true;
    }
    if (ranges_ok) {
        rep->signed_bytes = (uint64_t)br[2] + (uint64_t)br[3];
        rep->covers_whole = rep->signed_bytes == size;
    }
    bool pades = false;
    if (!invalid && !subfilter_checked(sig->subfilter, &pades)) {
        char *why = g_strdup_printf(_("the signature is of a kind that cannot be checked here "
                                      "(SubFilter %s; ETSI.CAdES.detached and "
                                      "adbe.pkcs7.detached can): check it with another tool"),
                                    sig->subfilter ? sig->subfilter : "—");
        problem(p, why);
        g_free(why);
        unchecked = true;
    }
    if (!invalid && !unchecked && (!sig->contents || sig->contents_len == 0)) {
        problem(p, _("its /Contents holds no signature"));
        invalid = true;
    }
    /* The signed bytes hashed with the signer's own digest algorithm (none: the CMS check says
     * why it cannot be checked, or that it is not a CMS). */
    const EVP_MD *md =
        !invalid && !unchecked ? sg_cms_digest_md(sig->contents, sig->contents_len) : NULL;
    uint8_t digest[EVP_MAX_MD_SIZE];
    size_t digest_len = 0;
    if (md && !digest_ranges(fd, br, md, digest, &digest_len)) {
        problem(p, _("the signed bytes could not be read"));
        invalid = true;
    }
    if (!invalid && !unchecked) {
        sg_cms_check c;
        int64_t at = rep->signed_at ? rep->signed_at : (int64_t)time(NULL);
        sg_cms_verify(sig->contents, sig->contents_len, md ? digest : NULL, digest_len, pades,
                      trust, at, &c);
        rep->signer_cn = g_strdup(c.signer_cn);
        rep->signer_org = g_strdup(c.signer_org);
        memcpy(rep->cert_sha256, c.cert_sha256, sizeof rep->cert_sha256);
        bool crypto_ok = c.parsed && c.detached && c.digest_ok && c.signature_ok && c.attrs_ok;
        if (c.parsed && c.unsupported) {
            problem(p, c.problem);
            unchecked = true;
        } else if (!crypto_ok) {
            problem(p, c.problem ? c.problem : _("the signature does not verify"));
            invalid = true;
        } else if (!c.chain_ok) {
            char *why = g_strdup_printf(_("the signer's certificate is not trusted: %s"),
                                        c.chain_problem ? c.chain_problem : "?");
            problem(p, why);
            g_free(why);
        }
        if (!invalid && !unchecked && c.weak_digest) {
            char *why = g_strdup_printf(_("its digest algorithm %s is weak: forging a signature "
                                          "made with it is within reach; ask for the document "
                                          "to be signed again with SHA-256 or stronger"),
                                        c.digest_name);
            problem(p, why);
            g_free(why);
        }
        rep->state = c.chain_ok ? SG_SIG_VALID : SG_SIG_UNTRUSTED;
        rep->weak = c.weak_digest;
        sg_cms_check_clear(&c);
    }
    if (unchecked)
        rep->state = SG_SIG_UNCHECKED;
    if (invalid)
        rep->state = SG_SIG_INVALID;
    rep->problems = p->len ? g_string_free(p, FALSE) : (g_string_free(p, TRUE), NULL);
}

/* How many revisions end after `from`: the incremental updates added after a signature. */
static int updates_after(pdf_reader *r, uint64_t from)
{
    uint64_t *ends = g_new(uint64_t, MAX_REVISIONS);
    int n = pdf_reader_revisions(r, ends, MAX_REVISIONS), after = 0;
    for (int i = 0; i < n; i++)
        after += ends[i] > from;
    g_free(ends);
    return after;
}

sh_status sg_verify_file(const char *path, X509_STORE *trust, sg_verify_report *rep, sh_error *err)
{
    memset(rep, 0, sizeof *rep);
    pdf_reader *r = NULL;
    sh_error e;
    sh_status st = pdf_reader_open(path, &r, &e);
    if (st != SH_OK) {
        rep->problem = g_strdup(e.msg);
        if (err)
            *err = e;
        return st;
    }
    int fd = sh_open_regular(path, err);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        if (fd >= 0)
            close(fd);
        pdf_reader_close(r);
        return fd < 0 ? err->status
                      : sh_fail_errno(err, SH_INPUT, errno, _("cannot read %s"), path);
    }
    rep->file_bytes = (uint64_t)sb.st_size;
    uint64_t header = pdf_reader_header(r);
    pdf_signature *sigs = NULL;
    int n = 0;
    st = pdf_reader_signatures(r, &sigs, &n, &e);
    if (st != SH_OK) { /* a signature left unread could be the one that fails */
        rep->problem = g_strdup(e.msg);
        if (err)
            *err = e;
        close(fd);
        pdf_reader_close(r);
        return st;
    }
    rep->sigs = g_new0(sg_signature_report, n > 0 ? n : 1);
    rep->n_sigs = n;
    uint64_t signed_end = 0;
    bool all_valid = n > 0;
    for (int i = 0; i < n; i++) {
        check_signature(&sigs[i], fd, header, rep->file_bytes, trust, &rep->sigs[i]);
        rep->unchecked |= rep->sigs[i].state == SG_SIG_UNCHECKED;
        if (rep->sigs[i].signed_bytes > signed_end)
            signed_end = rep->sigs[i].signed_bytes;
        all_valid &= rep->sigs[i].state == SG_SIG_VALID && rep->sigs[i].covers_whole;
    }
    if (n == 0) {
        rep->problem = g_strdup(_("the file has no signature"));
    } else if (header > 0 && signed_end + header == rep->file_bytes) {
        rep->modified_after = true;
        rep->problem = g_strdup_printf(ngettext("the file was changed after it was signed: %llu "
                                                "byte was put before the PDF's header, where no "
                                                "signature covers it",
                                                "the file was changed after it was signed: %llu "
                                                "bytes were put before the PDF's header, where "
                                                "no signature covers them",
                                                (unsigned long)header),
                                       (unsigned long long)header);
    } else if (signed_end < rep->file_bytes) {
        rep->modified_after = true;
        int updates = updates_after(r, signed_end);
        uint64_t added = rep->file_bytes - signed_end;
        rep->problem =
            updates > 0
                ? g_strdup_printf(ngettext("the file was changed after it was signed: %d update "
                                           "(%llu bytes) was added after the signature",
                                           "the file was changed after it was signed: %d updates "
                                           "(%llu bytes) were added after the signature",
                                           (unsigned long)updates),
                                  updates, (unsigned long long)added)
                : g_strdup_printf(_("the file was changed after it was signed: %llu bytes were "
                                    "added after the signature"),
                                  (unsigned long long)added);
    }
    rep->ok = all_valid && !rep->modified_after;
    pdf_signatures_free(sigs, n);
    close(fd);
    pdf_reader_close(r);
    return SH_OK;
}

sh_status sg_verify_status(const sg_verify_report *rep)
{
    if (rep->ok)
        return SH_OK;
    /* Only when nothing else is wrong: a signature that cannot be checked is no finding. */
    bool other = rep->n_sigs == 0 || rep->modified_after;
    for (int i = 0; i < rep->n_sigs; i++)
        other |= rep->sigs[i].state == SG_SIG_INVALID || rep->sigs[i].state == SG_SIG_UNTRUSTED ||
                 !rep->sigs[i].covers_whole;
    return rep->unchecked && !other ? SH_INPUT : SH_FINDINGS;
}

void sg_verify_report_clear(sg_verify_report *rep)
{
    for (int i = 0; i < rep->n_sigs; i++) {
        sg_signature_report *s = &rep->sigs[i];
        g_free(s->field);
        g_free(s->subfilter);
        g_free(s->signer_cn);
        g_free(s->signer_org);
        g_free(s->problems);
    }
    g_free(rep->sigs);
    g_free(rep->problem);
    memset(rep, 0, sizeof *rep);
}
