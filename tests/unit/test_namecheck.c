/* naming: checking names. The strict grammar of document file names (nm_parse_file_name) with
 * the spaces policy and both signed-suffix forms, canonical names (nm_canonical_file_name), the
 * lenient reading of near misses (nm_diagnose_file_name: every problem bit, the guess, whether it
 * is certain, and the name it suggests), and nm_check_path over real folder trees: a correct
 * workspace given as root, organisation folder, dossier folder or single file; misnamed
 * organisation and dossier folders; CCCD errors; stray files and folders; ignored system files;
 * the SoThuTu rules of a dossier; missing and unreadable folders; one CCCD in two dossier folders
 * (name.cccd_duplicate, from every kind of PATH, and nm_other_dossier_of for ingest); names that
 * are not UTF-8 (nm_shown, the findings' text). */
#include "testutil.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "naming/naming.h"

#define LLDV "Ly lich dang vien"                         /* type 2 */
#define GGT "Giay gioi thieu sinh hoat dang tam thoi"    /* type 55 */
#define QDKN "Quyet dinh ket nap dang vien"              /* type 5 */
#define QDCN "Quyet dinh cong nhan dang vien chinh thuc" /* type 7 */

#define ORG "93.000.036.001.015"
#define GUIDE_DOSSIER "012345678901_NguyenVanA" /* the guide's example: born "2045" */
#define GOOD_DOSSIER "001085012345_NguyenVanA"  /* Hà Nội, 1985: no finding at all */

/* The default rules, judged in a fixed year so that CCCD ages do not depend on the clock. */
static nm_rules default_rules(void)
{
    nm_rules r;
    nm_rules_default(&r);
    r.current_year = 2026;
    return r;
}

static nm_rules forbid_rules(void)
{
    nm_rules r = default_rules();
    r.spaces = NM_SPACES_FORBID;
    return r;
}

static nm_rules dot_signed_rules(void)
{
    nm_rules r = default_rules();
    r.signed_suffix = ".signed";
    return r;
}

/* ---- nm_parse_file_name ---- */

static void assert_parses(const char *name, const nm_rules *r, int stt, int seq, bool is_signed)
{
    nm_file_id id = {NULL, -1, !is_signed};
    if (!nm_parse_file_name(name, r, &id))
        fail_msg("\"%s\" refused, expected type %d seq %d%s", name, stt, seq,
                 is_signed ? " signed" : "");
    assert_non_null(id.type);
    if (id.type->stt != stt || id.seq != seq || id.is_signed != is_signed)
        fail_msg("\"%s\" read as type %d seq %d signed %d, expected %d %d %d", name, id.type->stt,
                 id.seq, id.is_signed, stt, seq, is_signed);
}

static void assert_refused(const char *name, const nm_rules *r)
{
    nm_file_id id;
    if (nm_parse_file_name(name, r, &id))
        fail_msg("\"%s\" accepted as a correct document file name", name);
}

static void parse_accepts_correct_names(void **state)
{
    (void)state;
    nm_rules r = default_rules();
    assert_parses("02." LLDV ".pdf", &r, 2, 0, false);
    assert_parses("02.ly lich dang vien.pdf", &r, 2, 0, false); /* case-insensitive */
    assert_parses("02.LY LICH DANG VIEN.pdf", &r, 2, 0, false);
    assert_parses("02.LyLichDangVien.pdf", &r, 2, 0, false); /* rule 2.3 read strictly */
    assert_parses("55." GGT ".2.pdf", &r, 55, 2, false);
    assert_parses("55." GGT ".1.pdf", &r, 55, 1, false);
    assert_parses("55." GGT ".10.pdf", &r, 55, 10, false);
    assert_parses("05." QDKN ".pdf", &r, 5, 0, false);
    /* type 1: the guide's short form is canonical, the full transliteration an alias */
    assert_string_equal(nm_catalog_find(1)->name_ascii, "Ly lich nguoi xin vao dang");
    assert_parses("01.Ly lich nguoi xin vao dang.pdf", &r, 1, 0, false);
    assert_parses("01.Ly lich cua nguoi xin vao dang.pdf", &r, 1, 0, false);
    assert_parses("01.LyLichCuaNguoiXinVaoDang.pdf", &r, 1, 0, false);
    /* signed */
    assert_parses("02." LLDV "_signed.pdf", &r, 2, 0, true);
    assert_parses("55." GGT ".2_signed.pdf", &r, 55, 2, true);
}

/* 100-104 take three digits. */
static void parse_three_digit_stt(void **state)
{
    (void)state;
    nm_rules r = default_rules();
    for (int stt = 100; stt <= NM_CATALOG_SIZE; stt++) {
        const nm_doc_type *t = nm_catalog_find(stt);
        assert_non_null(t);
        char *name = g_strdup_printf("%d.%s.pdf", stt, t->name_ascii);
        assert_parses(name, &r, stt, 0, false);
        g_free(name);
        name = g_strdup_printf("%d.%s.3_signed.pdf", stt, t->name_ascii);
        assert_parses(name, &r, stt, 3, true);
        g_free(name);
    }
    assert_refused("105.X.pdf", &r);
    assert_refused("105." LLDV ".pdf", &r);
    assert_refused("00." LLDV ".pdf", &r);
}

static void parse_refuses_near_misses(void **state)
{
    (void)state;
    nm_rules r = default_rules();
    assert_refused("2." LLDV ".pdf", &r);   /* padding */
    assert_refused("002." LLDV ".pdf", &r); /* padding */
    assert_refused("02." LLDV ".PDF", &r);
    assert_refused("02." LLDV ".Pdf", &r);
    assert_refused("02.Lý lịch đảng viên.pdf", &r);
    assert_refused("02." LLDV ".01.pdf", &r); /* SoThuTu with a leading zero */
    assert_refused("02." LLDV ".0.pdf", &r);
    assert_refused("02." LLDV "..pdf", &r);
    assert_refused("02." LLDV ".1a.pdf", &r);
    assert_refused("03." LLDV ".pdf", &r); /* type 2's name under type 3's number */
    assert_refused("02.Ly lich  dang vien.pdf", &r);
    assert_refused("02. Ly lich dang vien.pdf", &r);
    assert_refused("02.Ly lich dang vien .pdf", &r);
    assert_refused(" 02." LLDV ".pdf", &r);
    assert_refused("02 " LLDV ".pdf", &r);
    assert_refused("02_" LLDV ".pdf", &r);
    assert_refused("02.Ly lich\tdang vien.pdf", &r);
    assert_refused("02." LLDV, &r);
    assert_refused("02." LLDV ".pdf.pdf", &r);
    assert_refused("02.Ly lich dang.pdf", &r); /* a prefix is not the name */
    assert_refused(LLDV ".pdf", &r);
    assert_refused("", &r);
    assert_refused(".pdf", &r);
}

/* The signed suffix: only the configured form. */
static void parse_signed_suffix_follows_the_rules(void **state)
{
    (void)state;
    nm_rules r = default_rules();
    assert_refused("02." LLDV ".signed.pdf", &r);
    assert_refused("02." LLDV "-signed.pdf", &r);
    assert_refused("02." LLDV "_SIGNED.pdf", &r);
    nm_rules dot = dot_signed_rules();
    assert_parses("02." LLDV ".signed.pdf", &dot, 2, 0, true);
    assert_parses("55." GGT ".2.signed.pdf", &dot, 55, 2, true);
    assert_parses("02." LLDV ".pdf", &dot, 2, 0, false);
    assert_refused("02." LLDV "_signed.pdf", &dot);
}

static void parse_spaces_forbidden(void **state)
{
    (void)state;
    nm_rules r = forbid_rules();
    assert_refused("02." LLDV ".pdf", &r);
    assert_parses("02.LyLichDangVien.pdf", &r, 2, 0, false);
    assert_parses("55.GiayGioiThieuSinhHoatDangTamThoi.2.pdf", &r, 55, 2, false);
    assert_parses("02.LyLichDangVien_signed.pdf", &r, 2, 0, true);
}

/* Names that end right after the STT ("07.pdf"): the part between "NN." and ".pdf" is empty and
 * the parser must simply refuse the name. */
typedef struct {
    const char *name;
    const char *signed_suffix;
} parse_case;

static bool parse_refuses_case(const void *arg)
{
    const parse_case *c = arg;
    nm_rules r = default_rules();
    r.signed_suffix = c->signed_suffix;
    nm_file_id id;
    return !nm_parse_file_name(c->name, &r, &id);
}

/* Regression: when nothing follows "NN." but ".pdf" (or the signed suffix and ".pdf"), the
 * parser once passed a negative length to memchr and read past the end of the name. Each name
 * is tried in a child process so that a crash fails only this test. */
static void parse_number_only_names_are_refused_safely(void **state)
{
    (void)state;
    static const parse_case cases[] = {
        {"07.pdf", "_signed"},        {"100.pdf", "_signed"},       {"02.pdf", "_signed"},
        {"02_signed.pdf", "_signed"}, {"02.signed.pdf", ".signed"},
    };
    int failures = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
        if (!test_isolated(parse_refuses_case, &cases[i])) {
            print_error("nm_parse_file_name(\"%s\") with suffix %s crashed or accepted it\n",
                        cases[i].name, cases[i].signed_suffix);
            failures++;
        }
    if (failures)
        fail_msg("%d of %zu number-only names are not refused safely", failures,
                 G_N_ELEMENTS(cases));
}

/* ---- nm_canonical_file_name ---- */

static void assert_canonical(int stt, int seq, bool is_signed, const nm_rules *r, const char *want)
{
    nm_file_id id = {nm_catalog_find(stt), seq, is_signed};
    char *got = nm_canonical_file_name(&id, r);
    assert_string_equal(got, want);
    g_free(got);
}

static void canonical_names(void **state)
{
    (void)state;
    nm_rules def = default_rules(), forbid = forbid_rules(), dot = dot_signed_rules();
    assert_canonical(2, 0, false, &def, "02." LLDV ".pdf");
    assert_canonical(2, 0, true, &def, "02." LLDV "_signed.pdf");
    assert_canonical(2, 0, true, &dot, "02." LLDV ".signed.pdf");
    assert_canonical(55, 2, false, &def, "55." GGT ".2.pdf");
    assert_canonical(55, 2, true, &def, "55." GGT ".2_signed.pdf");
    assert_canonical(55, 2, true, &dot, "55." GGT ".2.signed.pdf");
    assert_canonical(1, 0, false, &def, "01.Ly lich nguoi xin vao dang.pdf");
    assert_canonical(100, 0, false, &def, "100.Phieu bao dang vien duoc cong nhan chinh thuc.pdf");
    assert_canonical(2, 0, false, &forbid, "02.LyLichDangVien.pdf");
    assert_canonical(2, 0, true, &forbid, "02.LyLichDangVien_signed.pdf");
    assert_canonical(55, 3, false, &forbid, "55.GiayGioiThieuSinhHoatDangTamThoi.3.pdf");
    nm_rules forbid_dot = forbid;
    forbid_dot.signed_suffix = ".signed";
    assert_canonical(55, 3, true, &forbid_dot, "55.GiayGioiThieuSinhHoatDangTamThoi.3.signed.pdf");
}

/* Whatever the canonical name of a type under some rules, the strict parser accepts it under the
 * same rules and reads back the same type, seq and signature: the fix never renames a file to a
 * name the check then refuses. */
static void canonical_names_of_every_type_parse_back(void **state)
{
    (void)state;
    nm_rules rules[4] = {default_rules(), forbid_rules(), dot_signed_rules(), forbid_rules()};
    rules[3].signed_suffix = ".signed";
    static const int seqs[] = {0, 1, 7, 999};
    GString *bad = g_string_new(NULL);
    for (size_t k = 0; k < G_N_ELEMENTS(rules); k++)
        for (int stt = 1; stt <= NM_CATALOG_SIZE; stt++)
            for (size_t s = 0; s < G_N_ELEMENTS(seqs); s++)
                for (int sig = 0; sig < 2; sig++) {
                    nm_file_id id = {nm_catalog_find(stt), seqs[s], sig};
                    char *name = nm_canonical_file_name(&id, &rules[k]);
                    nm_file_id back = {0};
                    if (!nm_parse_file_name(name, &rules[k], &back) || back.type != id.type ||
                        back.seq != id.seq || back.is_signed != id.is_signed)
                        g_string_append_printf(bad, "  rules %zu: %s\n", k, name);
                    if (nm_has_non_ascii(name))
                        g_string_append_printf(bad, "  rules %zu: non-ASCII %s\n", k, name);
                    g_free(name);
                }
    if (bad->len)
        fail_msg("canonical names that do not parse back:\n%s", bad->str);
    g_string_free(bad, TRUE);
}

/* ---- nm_diagnose_file_name ---- */

/* The diagnosis of `name`: exactly the problems `bits`, the guessed type (0: none), seq and
 * signature, whether it is sure, and the suggestion built from the guess (NULL: none). */
static void assert_diagnosis(const char *name, const nm_rules *r, unsigned bits, int stt, int seq,
                             bool is_signed, bool sure, const char *suggestion)
{
    nm_file_diagnosis d;
    nm_diagnose_file_name(name, r, &d);
    char *got = d.guess.type ? nm_canonical_file_name(&d.guess, r) : NULL;
    bool ok = d.problems == bits && (d.guess.type ? d.guess.type->stt : 0) == stt &&
              d.guess.seq == seq && d.guess.is_signed == is_signed && d.sure == sure &&
              g_strcmp0(got, suggestion) == 0;
    if (!ok)
        fail_msg("\"%s\": problems %#x type %d seq %d signed %d sure %d suggestion \"%s\"; "
                 "expected %#x %d %d %d %d \"%s\"",
                 name, d.problems, d.guess.type ? d.guess.type->stt : 0, d.guess.seq,
                 d.guess.is_signed, d.sure, got ? got : "(null)", bits, stt, seq, is_signed, sure,
                 suggestion ? suggestion : "(null)");
    g_free(got);
}

#define WANT_LLDV "02." LLDV ".pdf"

static void diagnose_extension(void **state)
{
    (void)state;
    nm_rules r = default_rules();
    assert_diagnosis("02." LLDV ".docx", &r, NM_NOT_PDF, 0, 0, false, false, NULL);
    assert_diagnosis("02." LLDV ".jpg", &r, NM_NOT_PDF, 0, 0, false, false, NULL);
    assert_diagnosis("scan0001", &r, NM_NOT_PDF, 0, 0, false, false, NULL);
    assert_diagnosis("02." LLDV ".PDF", &r, NM_EXT_CASE, 2, 0, false, true, WANT_LLDV);
    assert_diagnosis("02." LLDV ".Pdf", &r, NM_EXT_CASE, 2, 0, false, true, WANT_LLDV);
}

static void diagnose_diacritics_nfc_and_nfd(void **state)
{
    (void)state;
    nm_rules r = default_rules();
    const char *nfc = "02.Lý lịch đảng viên.pdf";
    char *nfd = g_utf8_normalize(nfc, -1, G_NORMALIZE_NFD);
    assert_string_not_equal(nfc, nfd); /* really decomposed (macOS file names) */
    assert_diagnosis(nfc, &r, NM_DIACRITICS, 2, 0, false, true, WANT_LLDV);
    assert_diagnosis(nfd, &r, NM_DIACRITICS, 2, 0, false, true, WANT_LLDV);
    g_free(nfd);
    /* several problems at once: each is named, and the name is still certain */
    assert_diagnosis("2.Lý lịch đảng viên.PDF", &r, NM_DIACRITICS | NM_STT_PADDING | NM_EXT_CASE, 2,
                     0, false, true, WANT_LLDV);
}

static void diagnose_stray_spaces(void **state)
{
    (void)state;
    nm_rules r = default_rules();
    assert_diagnosis("02.Ly lich  dang vien.pdf", &r, NM_STRAY_SPACES, 2, 0, false, true,
                     WANT_LLDV);
    assert_diagnosis(" 02." LLDV ".pdf", &r, NM_STRAY_SPACES, 2, 0, false, true, WANT_LLDV);
    assert_diagnosis("02." LLDV " .pdf", &r, NM_STRAY_SPACES, 2, 0, false, true, WANT_LLDV);
    assert_diagnosis("02. " LLDV ".pdf", &r, NM_STRAY_SPACES, 2, 0, false, true, WANT_LLDV);
    assert_diagnosis("55." GGT ". 2.pdf", &r, NM_STRAY_SPACES, 55, 2, false, true,
                     "55." GGT ".2.pdf");
}

static void diagnose_spaces_forbidden(void **state)
{
    (void)state;
    nm_rules r = forbid_rules();
    assert_diagnosis("02." LLDV ".pdf", &r, NM_SPACES_FORBIDDEN, 2, 0, false, true,
                     "02.LyLichDangVien.pdf");
    assert_diagnosis("02." LLDV "_signed.pdf", &r, NM_SPACES_FORBIDDEN, 2, 0, true, true,
                     "02.LyLichDangVien_signed.pdf");
    /* the same name is no problem where spaces are allowed */
    nm_rules def = default_rules();
    nm_file_diagnosis d;
    nm_diagnose_file_name("02." LLDV ".pdf", &def, &d);
    assert_int_equal(d.problems & NM_SPACES_FORBIDDEN, 0);
}

static void diagnose_stt(void **state)
{
    (void)state;
    nm_rules r = default_rules();
    /* no STT: an exact name is certain, the type comes from the name */
    assert_diagnosis(LLDV ".pdf", &r, NM_NO_STT, 2, 0, false, true, WANT_LLDV);
    assert_diagnosis(QDKN ".pdf", &r, NM_NO_STT, 5, 0, false, true, "05." QDKN ".pdf");
    assert_diagnosis("2." LLDV ".pdf", &r, NM_STT_PADDING, 2, 0, false, true, WANT_LLDV);
    assert_diagnosis("002." LLDV ".pdf", &r, NM_STT_PADDING, 2, 0, false, true, WANT_LLDV);
    assert_diagnosis("5." QDKN ".pdf", &r, NM_STT_PADDING, 5, 0, false, true, "05." QDKN ".pdf");
    /* a number that is no STT: the name tells the type, but the number leaves doubt */
    assert_diagnosis("105." LLDV ".pdf", &r, NM_STT_UNKNOWN, 2, 0, false, false, WANT_LLDV);
    nm_file_diagnosis d;
    nm_diagnose_file_name("105." LLDV ".pdf", &r, &d);
    assert_int_equal(d.stt_written, 105);
    nm_diagnose_file_name("2." LLDV ".pdf", &r, &d);
    assert_int_equal(d.stt_written, 2);
    nm_diagnose_file_name(LLDV ".pdf", &r, &d);
    assert_int_equal(d.stt_written, -1);
}

static void diagnose_separator(void **state)
{
    (void)state;
    nm_rules r = default_rules();
    assert_diagnosis("02 - " LLDV ".pdf", &r, NM_SEPARATOR, 2, 0, false, true, WANT_LLDV);
    assert_diagnosis("02_" LLDV ".pdf", &r, NM_SEPARATOR, 2, 0, false, true, WANT_LLDV);
    assert_diagnosis("02-" LLDV ".pdf", &r, NM_SEPARATOR, 2, 0, false, true, WANT_LLDV);
    assert_diagnosis("02 " LLDV ".pdf", &r, NM_SEPARATOR, 2, 0, false, true, WANT_LLDV);
}

static void diagnose_name_missing_and_chars(void **state)
{
    (void)state;
    nm_rules r = default_rules();
    /* "07.pdf": the STT alone names the type */
    assert_diagnosis("07.pdf", &r, NM_NAME_MISSING, 7, 0, false, true, "07." QDCN ".pdf");
    assert_diagnosis("02.Ly lich, dang vien.pdf", &r, NM_NAME_CHARS, 2, 0, false, true, WANT_LLDV);
    assert_diagnosis("02.Ly lich dang vien!.pdf", &r, NM_NAME_CHARS, 2, 0, false, true, WANT_LLDV);
}

static void diagnose_name_approx_other_unknown(void **state)
{
    (void)state;
    nm_rules r = default_rules();
    /* a typo, and the STT agrees: certain */
    assert_diagnosis("02.Ly lich dang vein.pdf", &r, NM_NAME_APPROX, 2, 0, false, true, WANT_LLDV);
    assert_diagnosis("02.LyLichDangVein.pdf", &r, NM_NAME_APPROX, 2, 0, false, true, WANT_LLDV);
    /* the STT settles an abbreviated title */
    assert_diagnosis("02.Ly lich.pdf", &r, NM_NAME_APPROX, 2, 0, false, true, WANT_LLDV);

    /* type 2's name under type 3's number: a person must decide */
    nm_file_diagnosis d;
    nm_diagnose_file_name("03." LLDV ".pdf", &r, &d);
    assert_int_equal(d.problems, NM_NAME_OTHER_TYPE);
    assert_non_null(d.guess.type);
    assert_int_equal(d.guess.type->stt, 3);
    assert_non_null(d.named_type);
    assert_int_equal(d.named_type->stt, 2);
    assert_false(d.sure);
    assert_int_equal(d.stt_written, 3);
    char *suggestion = nm_canonical_file_name(&d.guess, &r);
    assert_string_equal(suggestion, "03.Phieu dang vien.pdf"); /* the STT's type, to confirm */
    g_free(suggestion);

    /* a name of no type */
    assert_diagnosis("02.Bao cao tai chinh.pdf", &r, NM_NAME_UNKNOWN, 2, 0, false, false,
                     WANT_LLDV);
    assert_diagnosis("02.Xyzzy.pdf", &r, NM_NAME_UNKNOWN, 2, 0, false, false, WANT_LLDV);
    assert_diagnosis("Xyzzy plugh.pdf", &r, NM_NO_STT | NM_NAME_UNKNOWN, 0, 0, false, false, NULL);
}

static void diagnose_seq_format(void **state)
{
    (void)state;
    nm_rules r = default_rules();
    assert_diagnosis("55." GGT ".01.pdf", &r, NM_SEQ_FORMAT, 55, 1, false, true,
                     "55." GGT ".1.pdf");
    assert_diagnosis("55." GGT ".0.pdf", &r, NM_SEQ_FORMAT, 55, 0, false, true, "55." GGT ".pdf");
    assert_diagnosis("02." LLDV ".002.pdf", &r, NM_SEQ_FORMAT, 2, 2, false, true,
                     "02." LLDV ".2.pdf");
}

static void diagnose_suffix_form(void **state)
{
    (void)state;
    nm_rules r = default_rules();
    assert_diagnosis("02." LLDV ".signed.pdf", &r, NM_SUFFIX_FORM, 2, 0, true, true,
                     "02." LLDV "_signed.pdf");
    assert_diagnosis("02." LLDV "-signed.pdf", &r, NM_SUFFIX_FORM, 2, 0, true, true,
                     "02." LLDV "_signed.pdf");
    assert_diagnosis("02." LLDV "_SIGNED.pdf", &r, NM_SUFFIX_FORM, 2, 0, true, true,
                     "02." LLDV "_signed.pdf");
    assert_diagnosis("55." GGT ".2.signed.pdf", &r, NM_SUFFIX_FORM, 55, 2, true, true,
                     "55." GGT ".2_signed.pdf");
    nm_rules dot = dot_signed_rules();
    assert_diagnosis("02." LLDV "_signed.pdf", &dot, NM_SUFFIX_FORM, 2, 0, true, true,
                     "02." LLDV ".signed.pdf");
}

static void diagnose_bad_utf8(void **state)
{
    (void)state;
    nm_rules r = default_rules();
    /* a Windows-1258 byte in the middle of the name: not text, but the rest still reads */
    nm_file_diagnosis d;
    nm_diagnose_file_name("02.Ly lich dang vi\xff"
                          "n.pdf",
                          &r, &d);
    assert_true(d.problems & NM_BAD_UTF8);
    assert_int_equal(d.problems & NM_DIACRITICS, 0);
    assert_non_null(d.guess.type);
    assert_int_equal(d.guess.type->stt, 2);
    char *s = nm_canonical_file_name(&d.guess, &r);
    assert_string_equal(s, WANT_LLDV);
    g_free(s);
    /* only bad bytes */
    nm_diagnose_file_name("\xff", &r, &d);
    assert_true(d.problems & NM_BAD_UTF8);
    assert_true(d.problems & NM_NOT_PDF);
    assert_null(d.guess.type);
    assert_false(d.sure);
    nm_diagnose_file_name("\xff\xfe.pdf", &r, &d);
    assert_true(d.problems & NM_BAD_UTF8);
    assert_false(d.sure);
}

static void diagnose_empty_and_odd_names(void **state)
{
    (void)state;
    nm_rules r = default_rules();
    nm_file_diagnosis d;
    nm_diagnose_file_name("", &r, &d);
    assert_true(d.problems & NM_NOT_PDF);
    assert_null(d.guess.type);
    assert_false(d.sure);
    static const char *const odd[] = {".pdf",
                                      "..pdf",
                                      ".",
                                      " ",
                                      "02.",
                                      "02..pdf",
                                      "02.pdf",
                                      "_signed.pdf",
                                      "02_signed.pdf",
                                      "   .pdf",
                                      "9999999999999999999999.pdf"};
    for (size_t i = 0; i < G_N_ELEMENTS(odd); i++) {
        nm_diagnose_file_name(odd[i], &r, &d);
        if (d.problems == 0)
            fail_msg("\"%s\": no problem found", odd[i]);
        if (d.sure && !d.guess.type)
            fail_msg("\"%s\": sure of no type", odd[i]);
    }
}

/* Longer than NAME_MAX: read up to that length, without crashing. */
static void diagnose_very_long_names(void **state)
{
    (void)state;
    nm_rules r = default_rules();
    GString *s = g_string_new("02.");
    while (s->len < 400)
        g_string_append(s, "Ly lich dang vien ");
    g_string_append(s, ".pdf");
    nm_file_diagnosis d;
    nm_diagnose_file_name(s->str, &r, &d);
    assert_true(d.problems != 0);
    /* Regression: names longer than NAME_MAX were once compared whole with their bounded
     * transliteration, so every long ASCII name was said to have diacritics. */
    size_t long_len = s->len;
    g_string_free(s, TRUE);
    if (d.problems & NM_DIACRITICS)
        fail_msg("a %zu-byte ASCII name is reported with diacritics (problems %#x)", long_len,
                 d.problems);

    /* a long run of multibyte letters, cut in the middle of a character */
    GString *u = g_string_new("02.");
    while (u->len < 600)
        g_string_append(u, "Lý lịch đảng viên ");
    g_string_append(u, ".pdf");
    nm_diagnose_file_name(u->str, &r, &d);
    assert_true(d.problems != 0);
    g_string_free(u, TRUE);
}

/* ---- nm_check_path ---- */

typedef struct {
    GPtrArray *found;
    nm_check_summary sum;
    sh_error err;
    sh_status status;
} check_run;

static void run_check(check_run *run, const char *path, const nm_rules *r)
{
    memset(run, 0, sizeof *run);
    run->found = test_findings_new();
    run->status = nm_check_path(path, r, test_findings_collect, run->found, &run->sum, &run->err);
}

static void run_free(check_run *run) { g_ptr_array_free(run->found, TRUE); }

static void dump(const check_run *run)
{
    for (guint i = 0; i < run->found->len; i++) {
        const test_finding *h = run->found->pdata[i];
        print_error("  %s %s %s -> %s%s: %s\n", h->severity == SH_ERROR ? "error" : "warning",
                    h->code, h->path ? h->path : "(null)", h->suggestion ? h->suggestion : "(none)",
                    h->fixable ? " (fixable)" : "", h->message);
    }
}

/* The finding with this code about this path (full path), or NULL. */
static const test_finding *find(const check_run *run, const char *code, const char *path)
{
    for (guint i = 0; i < run->found->len; i++) {
        const test_finding *h = run->found->pdata[i];
        if (strcmp(h->code, code) == 0 && g_strcmp0(h->path, path) == 0)
            return h;
    }
    return NULL;
}

static const test_finding *must_find(const check_run *run, const char *code, const char *path)
{
    const test_finding *h = find(run, code, path);
    if (!h) {
        dump(run);
        fail_msg("no %s finding about %s", code, path);
    }
    return h;
}

static size_t count_about(const check_run *run, const char *path)
{
    size_t n = 0;
    for (guint i = 0; i < run->found->len; i++)
        n += g_strcmp0(((const test_finding *)run->found->pdata[i])->path, path) == 0;
    return n;
}

static void assert_findings(const check_run *run, size_t want)
{
    if (run->found->len != want) {
        dump(run);
        fail_msg("%u findings, expected %zu", run->found->len, want);
    }
}

/* A correct workspace: sohoa.ini, one organisation, the guide's example dossier with a profile,
 * two temporary transfer letters and a signed profile, and the system files Windows and macOS
 * leave everywhere. */
static char *make_good_workspace(void)
{
    char *root = test_tmpdir("namecheck");
    g_free(test_put_pdf(root, "sohoa.ini"));
    g_free(test_put_pdf(root, ORG "/" GUIDE_DOSSIER "/02." LLDV ".pdf"));
    g_free(test_put_pdf(root, ORG "/" GUIDE_DOSSIER "/02." LLDV "_signed.pdf"));
    g_free(test_put_pdf(root, ORG "/" GUIDE_DOSSIER "/55." GGT ".1.pdf"));
    g_free(test_put_pdf(root, ORG "/" GUIDE_DOSSIER "/55." GGT ".2.pdf"));
    static const char *const junk[] = {"Thumbs.db", "desktop.ini", ".DS_Store", "._02.pdf",
                                       "ehthumbs.db"};
    static const char *const levels[] = {"", ORG "/", ORG "/" GUIDE_DOSSIER "/"};
    for (size_t l = 0; l < G_N_ELEMENTS(levels); l++)
        for (size_t j = 0; j < G_N_ELEMENTS(junk); j++) {
            char *rel = g_strconcat(levels[l], junk[j], NULL);
            g_free(test_put_pdf(root, rel));
            g_free(rel);
        }
    g_free(test_mkdirs(root, ".sohoa"));
    g_free(test_mkdirs(root, ORG "/" GUIDE_DOSSIER "/.thumbnails"));
    return root;
}

static void check_correct_workspace(void **state)
{
    (void)state;
    nm_rules r = default_rules();
    char *root = make_good_workspace();
    char *dossier = g_build_filename(root, ORG, GUIDE_DOSSIER, NULL);
    check_run run;
    run_check(&run, root, &r);
    assert_int_equal(run.status, SH_OK);
    /* the guide's CCCD gives the year of birth 2045: a warning, not an error */
    assert_findings(&run, 1);
    const test_finding *h = must_find(&run, "name.cccd", dossier);
    assert_int_equal(h->severity, SH_WARNING);
    assert_null(h->suggestion);
    assert_false(h->fixable);
    assert_int_equal(run.sum.errors, 0);
    assert_int_equal(run.sum.warnings, 1);
    assert_int_equal(run.sum.org_folders, 1);
    assert_int_equal(run.sum.dossiers, 1);
    assert_int_equal(run.sum.files, 4);
    assert_int_equal(run.sum.unreadable, 0);
    run_free(&run);

    /* the same with a trailing slash */
    char *slashed = g_strconcat(root, "/", NULL);
    run_check(&run, slashed, &r);
    assert_int_equal(run.status, SH_OK);
    assert_int_equal(run.sum.errors, 0);
    assert_int_equal(run.sum.files, 4);
    run_free(&run);
    g_free(slashed);
    g_free(dossier);
    test_rmtree(root);
    g_free(root);
}

static void check_correct_tree_from_each_level(void **state)
{
    (void)state;
    nm_rules r = default_rules();
    char *root = make_good_workspace();
    char *org = g_build_filename(root, ORG, NULL);
    char *dossier = g_build_filename(org, GUIDE_DOSSIER, NULL);
    char *file = g_build_filename(dossier, "55." GGT ".2.pdf", NULL);
    check_run run;

    run_check(&run, org, &r);
    assert_int_equal(run.status, SH_OK);
    assert_findings(&run, 1);
    must_find(&run, "name.cccd", dossier);
    assert_int_equal(run.sum.org_folders, 1);
    assert_int_equal(run.sum.dossiers, 1);
    assert_int_equal(run.sum.files, 4);
    assert_int_equal(run.sum.errors, 0);
    run_free(&run);

    run_check(&run, dossier, &r);
    assert_int_equal(run.status, SH_OK);
    assert_findings(&run, 1);
    must_find(&run, "name.cccd", dossier);
    assert_int_equal(run.sum.org_folders, 0);
    assert_int_equal(run.sum.dossiers, 1);
    assert_int_equal(run.sum.files, 4);
    run_free(&run);

    /* one file: only what concerns it (not its folder's CCCD) */
    run_check(&run, file, &r);
    assert_int_equal(run.status, SH_OK);
    assert_findings(&run, 0);
    assert_int_equal(run.sum.files, 1);
    assert_int_equal(run.sum.errors + run.sum.warnings, 0);
    run_free(&run);

    g_free(file);
    g_free(dossier);
    g_free(org);
    test_rmtree(root);
    g_free(root);
}

/* A single file is judged with its siblings (the seq rules) but only its own findings show. */
static void check_single_file_with_problems(void **state)
{
    (void)state;
    nm_rules r = default_rules();
    char *root = test_tmpdir("namecheck");
    char *bad = test_put_pdf(root, ORG "/" GOOD_DOSSIER "/2.Lý lịch đảng viên.PDF");
    char *lone = test_put_pdf(root, ORG "/" GOOD_DOSSIER "/55." GGT ".1.pdf");
    char *other = test_put_pdf(root, ORG "/" GOOD_DOSSIER "/03.Phieu dang vien.pdf");
    check_run run;

    run_check(&run, bad, &r);
    assert_int_equal(run.status, SH_OK);
    assert_findings(&run, 1);
    const test_finding *h = must_find(&run, "name.file", bad);
    assert_string_equal(h->suggestion, WANT_LLDV);
    assert_true(h->fixable);
    assert_int_equal(h->severity, SH_ERROR);
    assert_int_equal(run.sum.files, 1);
    assert_int_equal(run.sum.errors, 1);
    run_free(&run);

    /* the seq rule needs the siblings: a lone .1 loses its number */
    run_check(&run, lone, &r);
    assert_findings(&run, 1);
    h = must_find(&run, "name.seq", lone);
    assert_string_equal(h->suggestion, "55." GGT ".pdf");
    assert_int_equal(run.sum.files, 1);
    run_free(&run);

    run_check(&run, other, &r);
    assert_findings(&run, 0);
    run_free(&run);

    /* a file outside any dossier */
    char *loose = test_put_pdf(root, "notes/02." LLDV ".pdf");
    run_check(&run, loose, &r);
    assert_findings(&run, 1);
    h = must_find(&run, "name.file", loose);
    assert_null(h->suggestion);
    run_free(&run);

    g_free(loose);
    g_free(other);
    g_free(lone);
    g_free(bad);
    test_rmtree(root);
    g_free(root);
}

/* A single file named with a doubled slash, as shells and scripts produce ("dir//file"): its
 * findings must still be reported. */
static void check_single_file_path_with_double_slash(void **state)
{
    (void)state;
    nm_rules r = default_rules();
    char *root = test_tmpdir("namecheck");
    char *bad = test_put_pdf(root, ORG "/" GOOD_DOSSIER "/2." LLDV ".pdf");
    char *dossier = g_build_filename(root, ORG, GOOD_DOSSIER, NULL);
    char *doubled = g_strconcat(dossier, "//2." LLDV ".pdf", NULL);
    check_run run;
    run_check(&run, doubled, &r);
    assert_int_equal(run.status, SH_OK);
    /* Regression: with a doubled slash the rebuilt path once differed from the one given, the
     * single-file filter dropped every finding, and the misnamed file passed. */
    guint n_found = run.found->len;
    size_t n_errors = run.sum.errors;
    if (n_found != 1 || n_errors != 1)
        dump(&run);
    run_free(&run);
    g_free(doubled);
    g_free(dossier);
    g_free(bad);
    test_rmtree(root);
    g_free(root);
    if (n_found != 1 || n_errors != 1)
        fail_msg("checking a misnamed file as dossier//file gave %u findings and %zu errors, "
                 "expected its name.file",
                 n_found, n_errors);
}

static void check_bad_org_folder(void **state)
{
    (void)state;
    nm_rules r = default_rules();
    char *root = test_tmpdir("namecheck");
    g_free(test_put_pdf(root, "sohoa.ini"));
    g_free(test_put_pdf(root, "93.0.36.1.15/" GOOD_DOSSIER "/02." LLDV ".pdf"));
    /* One person each: one CCCD in two folders would be a finding of its own. */
    g_free(test_put_pdf(root, "93-000-036-001-016/001085012346_NguyenVanB/02." LLDV ".pdf"));
    g_free(test_put_pdf(root, "93.0000.036.001.017/001085012347_NguyenVanC/02." LLDV ".pdf"));
    g_free(test_put_pdf(root, "93-0-36-1-18/001085012348_NguyenVanD/02." LLDV ".pdf"));
    char *org4 = g_build_filename(root, "93-0-36-1-18", NULL);
    char *org1 = g_build_filename(root, "93.0.36.1.15", NULL);
    char *org2 = g_build_filename(root, "93-000-036-001-016", NULL);
    char *org3 = g_build_filename(root, "93.0000.036.001.017", NULL);
    check_run run;
    run_check(&run, root, &r);
    assert_int_equal(run.status, SH_OK);
    assert_findings(&run, 4);
    const test_finding *h = must_find(&run, "name.folder", org1);
    assert_string_equal(h->suggestion, "93.000.036.001.015");
    assert_true(h->fixable);
    assert_int_equal(h->severity, SH_ERROR);
    h = must_find(&run, "name.folder", org2);
    assert_string_equal(h->suggestion, "93.000.036.001.016");
    assert_true(h->fixable);
    /* a group too long has no certain reading */
    h = must_find(&run, "name.folder", org3);
    assert_null(h->suggestion);
    assert_false(h->fixable);
    h = must_find(&run, "name.folder", org4); /* the guide's own example of a short form */
    assert_string_equal(h->suggestion, "93.000.036.001.018");
    assert_true(h->fixable);
    assert_int_equal(run.sum.org_folders, 4);
    assert_int_equal(run.sum.dossiers, 4);
    assert_int_equal(run.sum.errors, 4);
    run_free(&run);

    /* given directly, a misnamed organisation folder is still one */
    run_check(&run, org1, &r);
    assert_findings(&run, 1);
    must_find(&run, "name.folder", org1);
    assert_int_equal(run.sum.org_folders, 1);
    assert_int_equal(run.sum.dossiers, 1);
    run_free(&run);
    g_free(org4);
    g_free(org3);
    g_free(org2);
    g_free(org1);
    test_rmtree(root);
    g_free(root);
}

static void check_dossier_folder_names(void **state)
{
    (void)state;
    nm_rules r = default_rules();
    char *root = test_tmpdir("namecheck");
    static const char *const dossiers[] = {
        "079090001234_Trần Thị B",   "999085012345_NguyenVanB", "00108501234_NguyenVanC",
        "001085012346_nguyen van d", "001085012347-NguyenVanE", "Nguyen Van F",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(dossiers); i++) {
        char *rel = g_strdup_printf(ORG "/%s/02." LLDV ".pdf", dossiers[i]);
        g_free(test_put_pdf(root, rel));
        g_free(rel);
    }
    char *org = g_build_filename(root, ORG, NULL);
    check_run run;
    run_check(&run, org, &r);
    assert_int_equal(run.status, SH_OK);
    assert_int_equal(run.sum.dossiers, G_N_ELEMENTS(dossiers));
    assert_int_equal(run.sum.files, G_N_ELEMENTS(dossiers));

    char *p = g_build_filename(org, dossiers[0], NULL);
    const test_finding *h = must_find(&run, "name.person", p);
    assert_string_equal(h->suggestion, "079090001234_TranThiB");
    assert_true(h->fixable);
    assert_int_equal(count_about(&run, p), 1); /* its CCCD is fine */
    g_free(p);

    p = g_build_filename(org, dossiers[1], NULL); /* province 999 */
    h = must_find(&run, "name.cccd", p);
    assert_int_equal(h->severity, SH_ERROR);
    assert_false(h->fixable);
    assert_int_equal(count_about(&run, p), 1);
    g_free(p);

    p = g_build_filename(org, dossiers[2], NULL); /* 11 digits */
    h = must_find(&run, "name.cccd", p);
    assert_int_equal(h->severity, SH_ERROR);
    assert_null(h->suggestion);
    g_free(p);

    p = g_build_filename(org, dossiers[3], NULL);
    h = must_find(&run, "name.person", p);
    assert_string_equal(h->suggestion, "001085012346_NguyenVanD");
    assert_true(h->fixable);
    g_free(p);

    p = g_build_filename(org, dossiers[4], NULL); /* a hyphen for the underscore */
    h = must_find(&run, "name.folder", p);
    assert_string_equal(h->suggestion, "001085012347_NguyenVanE");
    assert_true(h->fixable);
    g_free(p);

    p = g_build_filename(org, dossiers[5], NULL); /* no CCCD at all */
    h = must_find(&run, "name.folder", p);
    assert_null(h->suggestion);
    assert_false(h->fixable);
    g_free(p);
    run_free(&run);
    g_free(org);
    test_rmtree(root);
    g_free(root);
}

static void check_stray_files_and_folders(void **state)
{
    (void)state;
    nm_rules r = default_rules();
    char *root = test_tmpdir("namecheck");
    g_free(test_put_pdf(root, "sohoa.ini"));
    char *at_root = test_put_pdf(root, "readme.txt");
    char *at_org = test_put_pdf(root, ORG "/02." LLDV ".pdf");
    char *jpg = test_put_pdf(root, ORG "/" GOOD_DOSSIER "/scan0001.jpg");
    char *good = test_put_pdf(root, ORG "/" GOOD_DOSSIER "/02." LLDV ".pdf");
    char *sub = test_mkdirs(root, ORG "/" GOOD_DOSSIER "/old scans");
    g_free(test_put_pdf(root, ORG "/" GOOD_DOSSIER "/old scans/03.Phieu dang vien.pdf"));
    check_run run;
    run_check(&run, root, &r);
    assert_int_equal(run.status, SH_OK);
    assert_findings(&run, 4);
    /* not a document (a handover sheet, a manifest): seen, but only a warning */
    const test_finding *h = must_find(&run, "name.file", at_root);
    assert_null(h->suggestion);
    assert_int_equal(h->severity, SH_WARNING);
    h = must_find(&run, "name.file", at_org); /* a document outside a dossier: an error */
    assert_null(h->suggestion);
    assert_false(h->fixable);
    assert_int_equal(h->severity, SH_ERROR);
    h = must_find(&run, "name.file", jpg); /* not a PDF: nothing to suggest */
    assert_null(h->suggestion);
    assert_false(h->fixable);
    assert_int_equal(h->severity, SH_ERROR);
    h = must_find(&run, "name.folder", sub);
    assert_null(h->suggestion);
    assert_false(h->fixable);
    assert_int_equal(count_about(&run, good), 0);
    assert_int_equal(run.sum.errors, 3);
    assert_int_equal(run.sum.warnings, 1);
    run_free(&run);
    g_free(sub);
    g_free(good);
    g_free(jpg);
    g_free(at_org);
    g_free(at_root);
    test_rmtree(root);
    g_free(root);
}

/* Put files into a fresh dossier and check it; paths of the findings are full paths. */
static char *dossier_with(const char *root, const char *dossier, const char *const *files, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *rel = g_strdup_printf(ORG "/%s/%s", dossier, files[i]);
        g_free(test_put_pdf(root, rel));
        g_free(rel);
    }
    return g_build_filename(root, ORG, dossier, NULL);
}

static char *child(const char *dir, const char *name) { return g_build_filename(dir, name, NULL); }

static void check_seq_rules(void **state)
{
    (void)state;
    nm_rules r = default_rules();
    char *root = test_tmpdir("namecheck");
    check_run run;

    /* a lone .1: the only document of its type has no SoThuTu */
    static const char *const lone[] = {"55." GGT ".1.pdf"};
    char *d = dossier_with(root, "001085012301_NguyenVanA", lone, 1);
    run_check(&run, d, &r);
    assert_findings(&run, 1);
    char *p = child(d, lone[0]);
    const test_finding *h = must_find(&run, "name.seq", p);
    assert_string_equal(h->suggestion, "55." GGT ".pdf");
    assert_true(h->fixable);
    run_free(&run);
    g_free(p);
    g_free(d);

    /* 1 and 3: the gap is closed */
    static const char *const gap[] = {"55." GGT ".1.pdf", "55." GGT ".3.pdf"};
    d = dossier_with(root, "001085012302_NguyenVanA", gap, 2);
    run_check(&run, d, &r);
    assert_findings(&run, 1);
    p = child(d, gap[1]);
    h = must_find(&run, "name.seq", p);
    assert_string_equal(h->suggestion, "55." GGT ".2.pdf");
    assert_true(h->fixable);
    run_free(&run);
    g_free(p);
    g_free(d);

    /* an unnumbered file beside a numbered one of its type: the same document? */
    static const char *const mixed[] = {"02." LLDV ".pdf", "02." LLDV ".1.pdf"};
    d = dossier_with(root, "001085012303_NguyenVanA", mixed, 2);
    run_check(&run, d, &r);
    p = child(d, mixed[0]);
    h = must_find(&run, "name.duplicate", p);
    assert_null(h->suggestion);
    assert_false(h->fixable);
    assert_int_equal(h->severity, SH_ERROR);
    char *q = child(d, mixed[1]);
    assert_null(find(&run, "name.seq", q)); /* no renumbering while a clash stands */
    g_free(q);
    run_free(&run);
    g_free(p);
    g_free(d);

    /* two files with one SoThuTu (one in the spaceless form): both reported */
    static const char *const twice[] = {"55." GGT ".1.pdf", "55." GGT ".2.pdf",
                                        "55.GiayGioiThieuSinhHoatDangTamThoi.2.pdf"};
    d = dossier_with(root, "001085012304_NguyenVanA", twice, 3);
    run_check(&run, d, &r);
    assert_findings(&run, 2);
    p = child(d, twice[1]);
    h = must_find(&run, "name.duplicate", p);
    assert_false(h->fixable);
    g_free(p);
    p = child(d, twice[2]);
    h = must_find(&run, "name.duplicate", p);
    assert_false(h->fixable);
    g_free(p);
    run_free(&run);
    g_free(d);

    /* signed and unsigned files of one type are counted apart */
    static const char *const signed_pair[] = {"02." LLDV ".pdf",         "02." LLDV "_signed.pdf",
                                              "55." GGT ".1.pdf",        "55." GGT ".2.pdf",
                                              "55." GGT ".1_signed.pdf", "55." GGT ".2_signed.pdf"};
    d = dossier_with(root, "001085012305_NguyenVanA", signed_pair, G_N_ELEMENTS(signed_pair));
    run_check(&run, d, &r);
    assert_int_equal(run.status, SH_OK);
    assert_findings(&run, 0);
    assert_int_equal(run.sum.files, G_N_ELEMENTS(signed_pair));
    run_free(&run);
    g_free(d);

    /* a misnamed file takes part in the seq rules under the name it most likely has */
    static const char *const misnamed[] = {"55." GGT ".1.pdf", "55.Giay gioi thieu.2.pdf"};
    d = dossier_with(root, "001085012306_NguyenVanA", misnamed, 2);
    run_check(&run, d, &r);
    assert_findings(&run, 1);
    p = child(d, misnamed[1]);
    h = must_find(&run, "name.file", p);
    assert_string_equal(h->suggestion, "55." GGT ".2.pdf");
    run_free(&run);
    g_free(p);
    g_free(d);

    test_rmtree(root);
    g_free(root);
}

/* Each kind of file-name problem under its code: certain corrections are fixable, the rest
 * carry a suggestion to be confirmed or none. */
static void check_file_codes(void **state)
{
    (void)state;
    nm_rules r = default_rules();
    char *root = test_tmpdir("namecheck");
    static const char *const files[] = {
        "105." LLDV ".pdf", "03." LLDV ".pdf", "Xyzzy plugh.pdf", QDKN ".pdf", "07.pdf.txt",
    };
    char *d = dossier_with(root, GOOD_DOSSIER, files, G_N_ELEMENTS(files));
    check_run run;
    run_check(&run, d, &r);
    assert_int_equal(run.status, SH_OK);
    assert_findings(&run, G_N_ELEMENTS(files));

    char *p = child(d, files[0]); /* no such STT */
    const test_finding *h = must_find(&run, "name.unknown_type", p);
    assert_string_equal(h->suggestion, WANT_LLDV);
    assert_false(h->fixable);
    g_free(p);

    p = child(d, files[1]); /* number and name disagree */
    h = must_find(&run, "name.type_mismatch", p);
    assert_string_equal(h->suggestion, "03.Phieu dang vien.pdf");
    assert_false(h->fixable);
    test_assert_contains(h->message, LLDV); /* the name's type is in the message */
    g_free(p);

    p = child(d, files[2]); /* no number, no type */
    h = must_find(&run, "name.unknown_type", p);
    assert_null(h->suggestion);
    assert_false(h->fixable);
    g_free(p);

    p = child(d, files[3]); /* no number, but plainly type 5 */
    h = must_find(&run, "name.file", p);
    assert_string_equal(h->suggestion, "05." QDKN ".pdf");
    assert_true(h->fixable);
    g_free(p);

    p = child(d, files[4]);
    h = must_find(&run, "name.file", p);
    assert_null(h->suggestion);
    g_free(p);
    assert_int_equal(run.sum.errors, G_N_ELEMENTS(files));
    run_free(&run);
    g_free(d);
    test_rmtree(root);
    g_free(root);
}

/* naming.spaces = forbid: the spaced form is an error with the spaceless name as its fix. */
static void check_under_strict_spaces(void **state)
{
    (void)state;
    nm_rules r = forbid_rules();
    char *root = test_tmpdir("namecheck");
    static const char *const files[] = {"02." LLDV ".pdf",
                                        "55.GiayGioiThieuSinhHoatDangTamThoi.1.pdf",
                                        "55.GiayGioiThieuSinhHoatDangTamThoi.2.pdf"};
    char *d = dossier_with(root, GOOD_DOSSIER, files, G_N_ELEMENTS(files));
    check_run run;
    run_check(&run, d, &r);
    assert_findings(&run, 1);
    char *p = child(d, files[0]);
    const test_finding *h = must_find(&run, "name.file", p);
    assert_string_equal(h->suggestion, "02.LyLichDangVien.pdf");
    assert_true(h->fixable);
    g_free(p);
    run_free(&run);
    g_free(d);
    test_rmtree(root);
    g_free(root);
}

static void check_missing_path(void **state)
{
    (void)state;
    nm_rules r = default_rules();
    char *root = test_tmpdir("namecheck");
    char *missing = g_build_filename(root, "no such folder", NULL);
    check_run run;
    run_check(&run, missing, &r);
    assert_int_equal(run.status, SH_INPUT);
    assert_int_equal(run.err.status, SH_INPUT);
    test_assert_contains(run.err.msg, "no such folder");
    assert_findings(&run, 0);
    run_free(&run);
    g_free(missing);
    test_rmtree(root);
    g_free(root);
}

/* A file "07.pdf" in a dossier must be reported (and renamed by the STT), not crash the
 * check. See parse_number_only_names_are_refused_safely for the cause. */
static bool check_dossier_holding(const void *arg)
{
    const char *dossier = arg;
    nm_rules r = default_rules();
    check_run run;
    run_check(&run, dossier, &r);
    char *p = child(dossier, "07.pdf");
    const test_finding *h = find(&run, "name.file", p);
    bool ok = run.status == SH_OK && h && h->suggestion &&
              strcmp(h->suggestion, "07." QDCN ".pdf") == 0 && h->fixable;
    if (!ok)
        dump(&run);
    g_free(p);
    run_free(&run);
    return ok;
}

static void check_number_only_file(void **state)
{
    (void)state;
    char *root = test_tmpdir("namecheck");
    static const char *const files[] = {"07.pdf"};
    char *d = dossier_with(root, GOOD_DOSSIER, files, 1);
    /* Regression: this once crashed in nm_parse_file_name, which the check calls first. */
    bool ok = test_isolated(check_dossier_holding, d);
    g_free(d);
    test_rmtree(root);
    g_free(root);
    if (!ok)
        fail_msg("checking a dossier holding \"07.pdf\" crashed or did not suggest \"07.%s.pdf\"",
                 QDCN);
}

/* The check of a tree where one dossier cannot be listed: SH_INPUT naming it, and the rest still
 * checked. Returns false with a message printed when it does not hold. */
static bool unreadable_folder_is_reported(const void *arg)
{
    const char *org = arg;
    nm_rules r = default_rules();
    char *locked = child(org, "001085012345_NguyenVanA");
    char *open = child(org, "001085012346_NguyenVanB");
    char *bad = child(open, "2." LLDV ".pdf");
    check_run run;
    run_check(&run, org, &r);
    bool ok = run.status == SH_INPUT && run.err.status == SH_INPUT &&
              strstr(run.err.msg, "001085012345_NguyenVanA") && run.sum.unreadable == 1 &&
              run.sum.dossiers == 2 && find(&run, "name.file", bad) && run.sum.errors == 1;
    if (!ok) {
        print_error("status %d unreadable %zu dossiers %zu errors %zu: %s\n", run.status,
                    run.sum.unreadable, run.sum.dossiers, run.sum.errors, run.err.msg);
        dump(&run);
    }
    run_free(&run);
    g_free(bad);
    g_free(open);
    g_free(locked);
    return ok;
}

/* As root every folder is readable: the check then runs in a child as "nobody". */
static bool unreadable_as_nobody(const void *arg)
{
    if (setgid(65534) != 0 || setuid(65534) != 0)
        _exit(77);
    if (access(arg, R_OK | X_OK) != 0)
        _exit(77);
    return unreadable_folder_is_reported(arg);
}

static void check_unreadable_folder(void **state)
{
    (void)state;
    char *root = test_tmpdir("namecheck");
    assert_int_equal(chmod(root, 0755), 0);
    g_free(test_put_pdf(root, ORG "/001085012345_NguyenVanA/02." LLDV ".pdf"));
    g_free(test_put_pdf(root, ORG "/001085012346_NguyenVanB/2." LLDV ".pdf"));
    char *org = g_build_filename(root, ORG, NULL);
    char *locked = child(org, "001085012345_NguyenVanA");
    assert_int_equal(chmod(locked, 0), 0);
    bool ok = true, unreachable = false;
    if (geteuid() != 0) {
        ok = unreadable_folder_is_reported(org);
    } else {
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            _exit(unreadable_as_nobody(org) ? 0 : 1);
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        unreachable = WIFEXITED(status) && WEXITSTATUS(status) == 77;
        ok = unreachable || (WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    assert_int_equal(chmod(locked, 0755), 0);
    g_free(locked);
    g_free(org);
    test_rmtree(root);
    g_free(root);
    if (!ok)
        fail_msg("an unreadable dossier folder is not reported as SH_INPUT with the rest checked");
    if (unreachable)
        fail_msg("as root this test runs as user nobody (65534), who cannot reach the scratch "
                 "folder: put SOHOA_TEST_TMP where every user can go");
}

/* ---- one person, one dossier ---- */

static int by_text(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Findings of this code, as "path|message" lines, sorted. */
static char *coded(const check_run *run, const char *code)
{
    GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < run->found->len; i++) {
        const test_finding *h = run->found->pdata[i];
        if (strcmp(h->code, code) == 0)
            g_ptr_array_add(lines, g_strdup_printf("%s|%s", h->path, h->message));
    }
    g_ptr_array_sort(lines, by_text);
    g_ptr_array_add(lines, NULL);
    char *all = g_strjoinv("\n", (char **)lines->pdata);
    g_ptr_array_free(lines, TRUE);
    return all;
}

#define ORG2 "93.000.036.001.016"

/* A root with one CCCD in three folders: two names in one organisation, one in another. */
static char *make_shared_cccd_tree(void)
{
    char *root = test_tmpdir("namecheck");
    g_free(test_put_pdf(root, "sohoa.ini"));
    g_free(test_put_pdf(root, ORG "/001085012345_NguyenVanA/02." LLDV ".pdf"));
    g_free(test_put_pdf(root, ORG "/001085012345_TranVanB/02." LLDV ".pdf"));
    g_free(test_put_pdf(root, ORG "/001085012346_LeVanC/02." LLDV ".pdf"));
    g_free(test_put_pdf(root, ORG2 "/001085012345_NguyenVanA/02." LLDV ".pdf"));
    g_free(test_put_pdf(root, ORG2 "/079190012345_PhamThiF/02." LLDV ".pdf"));
    g_free(test_mkdirs(root, ".Trash-1000/001085012346_LeVanC")); /* hidden: not looked at */
    return root;
}

static void check_one_cccd_in_two_dossiers(void **state)
{
    (void)state;
    nm_rules r = default_rules();
    char *root = make_shared_cccd_tree();
    char *a = g_build_filename(root, ORG, "001085012345_NguyenVanA", NULL);
    char *b = g_build_filename(root, ORG, "001085012345_TranVanB", NULL);
    char *c = g_build_filename(root, ORG2, "001085012345_NguyenVanA", NULL);
    check_run run;

    /* From the root: every folder of the CCCD, each naming the others; nothing else. */
    run_check(&run, root, &r);
    assert_int_equal(run.status, SH_OK);
    char *got = coded(&run, "name.cccd_duplicate");
    char *want = g_strdup_printf(
        "%s|CCCD 001085012345 is also the CCCD of the dossiers %s, %s: one person has one "
        "dossier. Check the number on the card; then keep one folder and move the documents of "
        "the others into it\n"
        "%s|CCCD 001085012345 is also the CCCD of the dossiers %s, %s: one person has one "
        "dossier. Check the number on the card; then keep one folder and move the documents of "
        "the others into it\n"
        "%s|CCCD 001085012345 is also the CCCD of the dossiers %s, %s: one person has one "
        "dossier. Check the number on the card; then keep one folder and move the documents of "
        "the others into it",
        a, b, c, b, a, c, c, a, b);
    assert_string_equal(got, want);
    g_free(got);
    g_free(want);
    assert_findings(&run, 3);
    for (guint i = 0; i < run.found->len; i++) {
        const test_finding *h = run.found->pdata[i];
        assert_int_equal(h->severity, SH_ERROR);
        assert_null(h->suggestion);
    }
    assert_int_equal(run.sum.errors, 3);
    run_free(&run);

    /* An organisation folder on its own: compared with the organisation folders beside it. */
    char *org2 = g_build_filename(root, ORG2, NULL);
    run_check(&run, org2, &r);
    assert_findings(&run, 1);
    const test_finding *h = must_find(&run, "name.cccd_duplicate", c);
    test_assert_contains(h->message, a);
    test_assert_contains(h->message, b);
    run_free(&run);
    /* A dossier folder on its own, with a trailing slash. */
    char *slashed = g_strconcat(b, "/", NULL);
    run_check(&run, slashed, &r);
    assert_findings(&run, 1);
    h = run.found->pdata[0];
    assert_string_equal(h->code, "name.cccd_duplicate");
    test_assert_contains(h->message, a);
    test_assert_contains(h->message, c);
    assert_null(strstr(h->message, "TranVanB"));
    run_free(&run);
    /* A single file: its own name only. */
    char *file = g_build_filename(a, "02." LLDV ".pdf", NULL);
    run_check(&run, file, &r);
    assert_findings(&run, 0);
    run_free(&run);
    /* A folder name read leniently counts; more than three others are counted, not listed. */
    g_free(test_mkdirs(root, ORG "/001085012345 - Nguyen Van D"));
    g_free(test_mkdirs(root, ORG2 "/001085012345_VuVanE"));
    run_check(&run, root, &r);
    const test_finding *x = must_find(&run, "name.cccd_duplicate", c);
    test_assert_contains(x->message, " and 1 more: one person");
    size_t shared = 0;
    for (guint i = 0; i < run.found->len; i++)
        shared +=
            strcmp(((const test_finding *)run.found->pdata[i])->code, "name.cccd_duplicate") == 0;
    assert_int_equal(shared, 5);
    run_free(&run);
    /* Unique CCCDs: no finding. */
    char *good = make_good_workspace();
    run_check(&run, good, &r);
    assert_null(find(&run, "name.cccd_duplicate", NULL));
    assert_int_equal(run.sum.errors, 0);
    run_free(&run);
    test_rmtree(good);
    g_free(good);

    g_free(file);
    g_free(slashed);
    g_free(org2);
    g_free(a);
    g_free(b);
    g_free(c);
    test_rmtree(root);
    g_free(root);
}

static void check_cccd_from_inside_the_tree(void **state)
{
    (void)state;
    /* Relative paths: ".", a name alone, "..": the other folders are named so that they can be
     * found from where the check runs. */
    nm_rules r = default_rules();
    char *root = make_shared_cccd_tree();
    char *org2 = g_build_filename(root, ORG2, NULL);
    char *cwd = g_get_current_dir();
    assert_int_equal(chdir(org2), 0);
    check_run run;
    run_check(&run, ".", &r);
    const test_finding *h = must_find(&run, "name.cccd_duplicate", "./001085012345_NguyenVanA");
    test_assert_contains(h->message,
                         "../" ORG "/001085012345_NguyenVanA, ../" ORG "/001085012345_TranVanB");
    run_free(&run);
    run_check(&run, "001085012345_NguyenVanA", &r);
    h = must_find(&run, "name.cccd_duplicate", "001085012345_NguyenVanA");
    test_assert_contains(h->message, "../" ORG "/001085012345_NguyenVanA");
    run_free(&run);
    assert_int_equal(chdir("001085012345_NguyenVanA"), 0);
    run_check(&run, ".", &r);
    h = must_find(&run, "name.cccd_duplicate", ".");
    test_assert_contains(h->message, "../../" ORG "/001085012345_TranVanB");
    run_free(&run);
    assert_int_equal(chdir(root), 0);
    run_check(&run, ORG2, &r);
    h = must_find(&run, "name.cccd_duplicate", ORG2 "/001085012345_NguyenVanA");
    test_assert_contains(h->message,
                         "dossiers " ORG "/001085012345_NguyenVanA, " ORG "/001085012345_TranVanB");
    run_free(&run);
    assert_int_equal(chdir(cwd), 0);
    g_free(cwd);
    g_free(org2);
    test_rmtree(root);
    g_free(root);
}

static void other_dossier_of_a_cccd(void **state)
{
    (void)state;
    char *root = make_shared_cccd_tree();
    char *o = nm_other_dossier_of(root, "001085012345", ORG "/001085012345_NguyenVanA");
    assert_string_equal(o, ORG "/001085012345_TranVanB"); /* the first by name */
    g_free(o);
    o = nm_other_dossier_of(root, "001085012346", ORG "/001085012346_LeVanC");
    assert_null(o); /* .Trash-1000/ holds it too, but hidden folders are no organisations */
    g_free(o);
    o = nm_other_dossier_of(root, "001085012346", ORG "/001085012346_LeVanD");
    assert_non_null(o);
    g_free(o);
    o = nm_other_dossier_of(root, "079190012345", ORG "/079190012345_PhamThiF");
    assert_string_equal(o, ORG2 "/079190012345_PhamThiF"); /* another organisation */
    g_free(o);
    assert_null(nm_other_dossier_of(root, "001099999999", ORG "/001099999999_NguyenVanZ"));
    assert_null(nm_other_dossier_of(root, "12345", ORG "/12345_NguyenVanZ"));
    char *missing = g_build_filename(root, "missing", NULL);
    assert_null(nm_other_dossier_of(missing, "001085012345", ORG "/001085012345_NguyenVanA"));
    g_free(missing);
    char cccd[13];
    assert_true(nm_dossier_cccd("001085012345_NguyenVanA", cccd));
    assert_string_equal(cccd, "001085012345");
    assert_true(nm_dossier_cccd("  001085012345 - Nguyen Van A", cccd));
    assert_string_equal(cccd, "001085012345");
    assert_false(nm_dossier_cccd("0010850123456_NguyenVanA", cccd));
    assert_false(nm_dossier_cccd("00108501234_NguyenVanA", cccd));
    assert_false(nm_dossier_cccd("NguyenVanA", cccd));
    test_rmtree(root);
    g_free(root);
}

/* ---- names that are not UTF-8 ---- */

static void shown_names_are_text_and_distinct(void **state)
{
    (void)state;
    char *a = nm_shown("02.Ly lich\xff.pdf"), *b = nm_shown("02.Ly lich\xfe.pdf");
    assert_string_equal(a, "02.Ly lich\\xFF.pdf");
    assert_string_equal(b, "02.Ly lich\\xFE.pdf");
    g_free(a);
    g_free(b);
    a = nm_shown("L\xc3\xbd l\xe1\xbb\x8b\xe1\xbb"); /* a character cut short at the end */
    assert_string_equal(a, "L\xc3\xbd l\xe1\xbb\x8b\\xE1\\xBB");
    assert_true(g_utf8_validate(a, -1, NULL));
    g_free(a);
    a = nm_shown("Lý lịch");
    assert_string_equal(a, "Lý lịch");
    g_free(a);
    a = nm_shown("");
    assert_string_equal(a, "");
    g_free(a);
}

static void check_names_that_are_not_utf8(void **state)
{
    (void)state;
    nm_rules r = default_rules();
    char *root = test_tmpdir("namecheck");
    g_free(test_put_pdf(root, ORG "/001085012345_Nguy\xe1nVanA/02." LLDV ".pdf"));
    g_free(test_put_pdf(root, ORG "/001085012346_LeVanC/02.Ly lich\xff.pdf"));
    g_free(test_put_pdf(root, ORG "/001085012346_LeVanC/02.Ly lich\xfe.pdf"));
    g_free(test_put_pdf(root, "93.000.036.001.01\xff/001085012347_LeVanD/02." LLDV ".pdf"));
    check_run run;
    run_check(&run, root, &r);
    assert_int_equal(run.status, SH_OK);
    for (guint i = 0; i < run.found->len; i++) {
        const test_finding *h = run.found->pdata[i];
        if (!g_utf8_validate(h->path, -1, NULL) || !g_utf8_validate(h->message, -1, NULL) ||
            (h->suggestion && !g_utf8_validate(h->suggestion, -1, NULL)))
            fail_msg("a finding that is not text: %s %s", h->code, h->message);
        if (strstr(h->path, "\\x") && h->fixable)
            fail_msg("a rename of %s is called certain, but name fix could not name it", h->path);
    }
    char *p = g_strdup_printf("%s/" ORG "/001085012345_Nguy\\xE1nVanA", root);
    const test_finding *h = must_find(&run, "name.folder", p);
    test_assert_contains(h->message, "not Unicode text");
    g_free(p);
    p = g_strdup_printf("%s/93.000.036.001.01\\xFF", root);
    must_find(&run, "name.folder", p);
    g_free(p);
    /* Two file names that differ in their odd byte stay apart, and quote each other as text. */
    p = g_strdup_printf("%s/" ORG "/001085012346_LeVanC/02.Ly lich\\xFF.pdf", root);
    h = must_find(&run, "name.file", p);
    test_assert_contains(h->message, "not Unicode text");
    h = must_find(&run, "name.duplicate", p);
    test_assert_contains(h->message, "02.Ly lich\\xFE.pdf");
    g_free(p);
    run_free(&run);
    test_rmtree(root);
    g_free(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_accepts_correct_names),
        cmocka_unit_test(parse_three_digit_stt),
        cmocka_unit_test(parse_refuses_near_misses),
        cmocka_unit_test(parse_signed_suffix_follows_the_rules),
        cmocka_unit_test(parse_spaces_forbidden),
        cmocka_unit_test(parse_number_only_names_are_refused_safely),
        cmocka_unit_test(canonical_names),
        cmocka_unit_test(canonical_names_of_every_type_parse_back),
        cmocka_unit_test(diagnose_extension),
        cmocka_unit_test(diagnose_diacritics_nfc_and_nfd),
        cmocka_unit_test(diagnose_stray_spaces),
        cmocka_unit_test(diagnose_spaces_forbidden),
        cmocka_unit_test(diagnose_stt),
        cmocka_unit_test(diagnose_separator),
        cmocka_unit_test(diagnose_name_missing_and_chars),
        cmocka_unit_test(diagnose_name_approx_other_unknown),
        cmocka_unit_test(diagnose_seq_format),
        cmocka_unit_test(diagnose_suffix_form),
        cmocka_unit_test(diagnose_bad_utf8),
        cmocka_unit_test(diagnose_empty_and_odd_names),
        cmocka_unit_test(diagnose_very_long_names),
        cmocka_unit_test(check_correct_workspace),
        cmocka_unit_test(check_correct_tree_from_each_level),
        cmocka_unit_test(check_single_file_with_problems),
        cmocka_unit_test(check_single_file_path_with_double_slash),
        cmocka_unit_test(check_bad_org_folder),
        cmocka_unit_test(check_dossier_folder_names),
        cmocka_unit_test(check_stray_files_and_folders),
        cmocka_unit_test(check_seq_rules),
        cmocka_unit_test(check_file_codes),
        cmocka_unit_test(check_under_strict_spaces),
        cmocka_unit_test(check_number_only_file),
        cmocka_unit_test(check_missing_path),
        cmocka_unit_test(check_unreadable_folder),
        cmocka_unit_test(check_one_cccd_in_two_dossiers),
        cmocka_unit_test(check_cccd_from_inside_the_tree),
        cmocka_unit_test(other_dossier_of_a_cccd),
        cmocka_unit_test(shown_names_are_text_and_distinct),
        cmocka_unit_test(check_names_that_are_not_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
