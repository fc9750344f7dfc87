/* naming: Vietnamese → ASCII (every vowel under every tone mark, NFC and NFD, đ/Đ, invalid
 * UTF-8), document titles and person names as written in folder and file names, organisation
 * codes, CCCD numbers and provinces, the parts of a dossier folder name, STT text, and matching a
 * title typed by a person (exact, unaccented, upper case, typos, abbreviations, ambiguous
 * prefixes, STT numbers) — for every one of the 104 types by its own names. */
#include "testutil.h"

#include <string.h>

#include <glib.h>

#include "naming/naming.h"

/* ---- transliteration ---- */

#define GRAVE 0x0300
#define ACUTE 0x0301
#define CIRCUMFLEX 0x0302
#define TILDE 0x0303
#define BREVE 0x0306
#define HOOK_ABOVE 0x0309
#define HORN 0x031B
#define DOT_BELOW 0x0323

static void assert_ascii(const char *in, const char *want)
{
    char *got = nm_ascii(in);
    if (!got)
        fail_msg("nm_ascii(\"%s\") is NULL, expected \"%s\"", in, want);
    if (strcmp(got, want) != 0) {
        print_error("nm_ascii(\"%s\") = \"%s\", expected \"%s\"\n", in, got, want);
        g_free(got);
        fail();
    }
    g_free(got);
}

/* The 12 vowels (a ă â e ê i o ô ơ u ư y) × bare and 5 tones × both cases, composed to NFC. */
static void every_vowel_with_every_tone_drops_its_marks(void **state)
{
    (void)state;
    static const struct {
        char base;
        gunichar modifier; /* 0: none */
    } vowels[] = {
        {'a', 0}, {'a', BREVE},      {'a', CIRCUMFLEX}, {'e', 0}, {'e', CIRCUMFLEX}, {'i', 0},
        {'o', 0}, {'o', CIRCUMFLEX}, {'o', HORN},       {'u', 0}, {'u', HORN},       {'y', 0},
    };
    static const gunichar tones[] = {0, GRAVE, ACUTE, TILDE, HOOK_ABOVE, DOT_BELOW};
    int letters = 0;
    for (size_t v = 0; v < G_N_ELEMENTS(vowels); v++)
        for (size_t t = 0; t < G_N_ELEMENTS(tones); t++)
            for (int upper = 0; upper < 2; upper++) {
                char base = upper ? g_ascii_toupper(vowels[v].base) : vowels[v].base;
                GString *decomposed = g_string_new(NULL);
                g_string_append_c(decomposed, base);
                if (vowels[v].modifier)
                    g_string_append_unichar(decomposed, vowels[v].modifier);
                if (tones[t])
                    g_string_append_unichar(decomposed, tones[t]);
                char *nfc = g_utf8_normalize(decomposed->str, -1, G_NORMALIZE_NFC);
                char *nfd = g_utf8_normalize(decomposed->str, -1, G_NORMALIZE_NFD);
                g_string_free(decomposed, TRUE);
                /* Vietnamese has a precomposed letter for each: the NFC input is one character. */
                assert_int_equal(g_utf8_strlen(nfc, -1), 1);
                char want[2] = {base, '\0'};
                assert_ascii(nfc, want);
                assert_ascii(nfd, want);
                g_free(nfc);
                g_free(nfd);
                letters++;
            }
    assert_int_equal(letters, 144);
}

static void d_with_stroke_becomes_d(void **state)
{
    (void)state;
    assert_ascii("đ", "d");
    assert_ascii("Đ", "D");
    assert_ascii("Đảng đoàn", "Dang doan");
    char *nfd = g_utf8_normalize("Đảng đoàn", -1, G_NORMALIZE_NFD);
    assert_ascii(nfd, "Dang doan");
    g_free(nfd);
}

static void ascii_keeps_everything_else(void **state)
{
    (void)state;
    assert_ascii("", "");
    assert_ascii("Ly lich dang vien", "Ly lich dang vien");
    assert_ascii("Điều 8, khoản 2/3 (xoá tên) - hết.", "Dieu 8, khoan 2/3 (xoa ten) - het.");
    assert_ascii("Nguyễn Thị Ánh Tuyết", "Nguyen Thi Anh Tuyet");
    char *nfd = g_utf8_normalize("Ủy ban Kiểm tra Trung ương", -1, G_NORMALIZE_NFD);
    assert_ascii(nfd, "Uy ban Kiem tra Trung uong");
    g_free(nfd);
}

static void invalid_utf8_gives_null(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "\xff",
        "L\xc3",             /* truncated sequence */
        "Ly l\xc3\x28 lich", /* bad continuation byte */
        "\xc0\xaf",          /* overlong '/' */
        "\xed\xa0\x80",      /* surrogate */
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        assert_null(nm_ascii(bad[i]));
        assert_null(nm_document_title(bad[i]));
        assert_null(nm_person_name(bad[i]));
    }
}

static void assert_title(const char *in, const char *want)
{
    char *got = nm_document_title(in);
    assert_non_null(got);
    assert_string_equal(got, want);
    g_free(got);
}

static void document_title_follows_the_canonical_rule(void **state)
{
    (void)state;
    assert_title("Quyết định kết nạp lại người vào Đảng (của cấp uỷ có thẩm quyền)",
                 "Quyet dinh ket nap lai nguoi vao dang cua cap uy co tham quyen");
    assert_title("Lý lịch đảng viên", "Ly lich dang vien");
    assert_title("LÝ LỊCH ĐẢNG VIÊN", "Ly lich dang vien");
    char *nfd = g_utf8_normalize("Lý lịch đảng viên", -1, G_NORMALIZE_NFD);
    assert_title(nfd, "Ly lich dang vien");
    g_free(nfd);
}

static void document_title_drops_punctuation_and_collapses_spaces(void **state)
{
    (void)state;
    assert_title("Kết luận minh oan/không vi phạm", "Ket luan minh oan khong vi pham");
    assert_title("Quyết định phục viên / chuyển ngành (lực lượng vũ trang)",
                 "Quyet dinh phuc vien chuyen nganh luc luong vu trang");
    assert_title("chính trị - xã hội", "Chinh tri xa hoi");
    assert_title("Các quyết định điều động, bổ nhiệm...", "Cac quyet dinh dieu dong bo nhiem");
    assert_title("  Lý   lịch\tđảng  viên  ", "Ly lich dang vien");
    assert_title("(Bản sao) Lý lịch", "Ban sao ly lich");
    assert_title("Bản tự kiểm điểm hằng năm (3 năm gần nhất)",
                 "Ban tu kiem diem hang nam 3 nam gan nhat");
    assert_title("Điều 8", "Dieu 8");
    assert_title("", "");
    assert_title(" - / . ", "");
}

static void assert_person(const char *in, const char *want)
{
    char *got = nm_person_name(in);
    if (!want) {
        if (got)
            fail_msg("nm_person_name(\"%s\") = \"%s\", expected NULL", in, got);
        return;
    }
    if (!got)
        fail_msg("nm_person_name(\"%s\") is NULL, expected \"%s\"", in, want);
    assert_string_equal(got, want);
    g_free(got);
}

static void person_name_is_capitalised_words_without_spaces(void **state)
{
    (void)state;
    assert_person("Nguyễn Văn A", "NguyenVanA");
    char *nfd = g_utf8_normalize("Nguyễn Văn A", -1, G_NORMALIZE_NFD);
    assert_person(nfd, "NguyenVanA");
    g_free(nfd);
    assert_person("  nguyễn   văn  a ", "NguyenVanA");
    assert_person("ĐỖ THỊ HỒNG", "DoThiHong");
    assert_person("Trần Thị Thu-Hà", "TranThiThuHa");
    assert_person("H'Hen Niê", "HHenNie");
}

static void person_name_refuses_digits_and_punctuation(void **state)
{
    (void)state;
    assert_person("Nguyễn Văn 3", NULL);
    assert_person("Nguyễn Văn A.", NULL);
    assert_person("Nguyễn_Văn_A", NULL);
    assert_person("Nguyễn/Văn A", NULL);
}

static void has_non_ascii_flags_marks_and_controls(void **state)
{
    (void)state;
    assert_false(nm_has_non_ascii("02.Ly lich dang vien.pdf"));
    assert_false(nm_has_non_ascii("012345678901_NguyenVanA"));
    assert_false(nm_has_non_ascii(""));
    assert_true(nm_has_non_ascii("02.Lý lịch đảng viên.pdf"));
    assert_true(nm_has_non_ascii("Dang\xc2\xa0vien")); /* no-break space */
    assert_true(nm_has_non_ascii("Dang\tvien"));
    assert_true(nm_has_non_ascii("Dang\x7f"));
}

/* ---- organisation codes ---- */

static void org_code_is_2_3_3_3_3_digits(void **state)
{
    (void)state;
    assert_true(nm_org_code_valid("93.000.036.001.015"));
    assert_true(nm_org_code_valid("01.000.000.000.001"));
    static const char *const bad[] = {
        "93.000.036.001.15",
        "930.000.036.001.015",
        "93.000.036.001",
        "93-000-036-001-015",
        "93.000.036.001.015 ",
        " 93.000.036.001.015",
        "93.000.036.001.0155",
        "93.000.036.001.015.",
        "9a.000.036.001.015",
        "93.000.036.001.01a",
        "93..000.036.001.015",
        "93.000.036.001.015/012345678901",
        "",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
        if (nm_org_code_valid(bad[i]))
            fail_msg("\"%s\" accepted as an organisation code", bad[i]);
}

/* ---- CCCD and provinces ---- */

static void assert_cccd(const char *cccd, nm_cccd_result want, int want_year)
{
    int year = -1;
    nm_cccd_result got = nm_cccd_check(cccd, 2026, &year);
    if (got != want)
        fail_msg("nm_cccd_check(\"%s\", 2026) = %d, expected %d", cccd, got, want);
    if (want_year)
        assert_int_equal(year, want_year);
}

/* The guide's own example must not be refused: it is only an implausible age (born 2045). */
static void cccd_guide_example_is_a_warning_not_an_error(void **state)
{
    (void)state;
    assert_cccd("012345678901", NM_CCCD_IMPLAUSIBLE_AGE, 2045);
}

static void cccd_plausible_numbers_pass(void **state)
{
    (void)state;
    assert_cccd("001085012345", NM_CCCD_OK, 1985); /* Hà Nội, male, 1985 */
    assert_cccd("001185012345", NM_CCCD_OK, 1985); /* female, 1985 */
    assert_cccd("001203012345", NM_CCCD_OK, 2003); /* 2003: 23 in 2026 */
    assert_cccd("096085012345", NM_CCCD_OK, 1985); /* Cà Mau */
    assert_cccd("079150012345", NM_CCCD_OK, 1950); /* Hồ Chí Minh, female, 1950 */
    /* birth_year may be NULL */
    assert_int_equal(nm_cccd_check("001085012345", 2026, NULL), NM_CCCD_OK);
}

static void cccd_bad_format_and_province(void **state)
{
    (void)state;
    assert_cccd("00108501234", NM_CCCD_FORMAT, 0);
    assert_cccd("00108501234a", NM_CCCD_FORMAT, 0);
    assert_cccd("0010850123456", NM_CCCD_FORMAT, 0);
    assert_cccd("001 085012345", NM_CCCD_FORMAT, 0);
    assert_cccd("", NM_CCCD_FORMAT, 0);
    /* the birth year is still given when only the province is wrong */
    assert_cccd("003085012345", NM_CCCD_PROVINCE, 1985);
    assert_cccd("000085012345", NM_CCCD_PROVINCE, 1985);
    assert_cccd("097085012345", NM_CCCD_PROVINCE, 1985);
}

/* The birth year is judged against current_year: a child's number is flagged, so is someone born
 * well over a century ago. */
static void cccd_age_is_judged_against_the_current_year(void **state)
{
    (void)state;
    assert_cccd("001215012345", NM_CCCD_IMPLAUSIBLE_AGE, 2015); /* 11 in 2026 */
    int year = 0;
    assert_int_equal(nm_cccd_check("001215012345", 2041, &year), NM_CCCD_OK); /* 26 in 2041 */
    assert_int_equal(year, 2015);
    assert_cccd("001010012345", NM_CCCD_IMPLAUSIBLE_AGE, 1910); /* 116 */
    assert_cccd("001040012345", NM_CCCD_OK, 1940);              /* 86 */
}

static void province_names(void **state)
{
    (void)state;
    assert_string_equal(nm_province_name(1), "Hà Nội");
    assert_string_equal(nm_province_name(79), "Hồ Chí Minh");
    assert_string_equal(nm_province_name(96), "Cà Mau");
    assert_string_equal(nm_province_name(48), "Đà Nẵng");
    assert_null(nm_province_name(3));
    assert_null(nm_province_name(0));
    assert_null(nm_province_name(97));
    assert_null(nm_province_name(-1));
    int named = 0;
    for (int code = 0; code <= 999; code++) {
        const char *name = nm_province_name(code);
        if (!name)
            continue;
        assert_true(code >= 1 && code <= 96);
        assert_true(g_utf8_validate(name, -1, NULL));
        named++;
    }
    assert_int_equal(named, 63);
}

/* ---- dossier folder names ---- */

static void split_dossier_folder_table(void **state)
{
    (void)state;
    char cccd[13];
    const char *person = NULL;
    assert_true(nm_split_dossier_folder("012345678901_NguyenVanA", cccd, &person));
    assert_string_equal(cccd, "012345678901");
    assert_string_equal(person, "NguyenVanA");
    assert_true(nm_split_dossier_folder("001085012345_DoThiHong", cccd, &person));
    assert_string_equal(cccd, "001085012345");
    assert_string_equal(person, "DoThiHong");

    static const char *const bad[] = {
        "012345678901NguyenVanA",
        "01234567890_NguyenVanA",
        "0123456789012_NguyenVanA",
        "012345678901-NguyenVanA",
        "NguyenVanA_012345678901",
        "",
        "_NguyenVanA",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
        if (nm_split_dossier_folder(bad[i], cccd, &person))
            fail_msg("\"%s\" split as a dossier folder", bad[i]);
}

static void person_part_table(void **state)
{
    (void)state;
    static const struct {
        const char *part;
        bool ok;
    } cases[] = {
        {"NguyenVanA", true},   {"DoThiHong", true},   {"AnhB", true},
        {"Nguyenvana", false},  {"nguyenVanA", false}, {"Nguyen Van A", false},
        {"NguyenVan3", false},  {"NguyễnVănA", false}, {"Nguyen-VanA", false},
        {"Nguyen_VanA", false}, {"", false},           {"A", false},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
        if (nm_person_part_valid(cases[i].part) != cases[i].ok)
            fail_msg("nm_person_part_valid(\"%s\") should be %s", cases[i].part,
                     cases[i].ok ? "true" : "false");
}

/* ---- STT ---- */

static void stt_text_is_two_digits_or_three(void **state)
{
    (void)state;
    static const struct {
        int stt;
        const char *text;
    } cases[] = {{1, "01"},  {2, "02"},  {9, "09"},    {10, "10"},
                 {55, "55"}, {99, "99"}, {100, "100"}, {104, "104"}};
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        char out[4] = "xyz";
        nm_stt_text(cases[i].stt, out);
        assert_string_equal(out, cases[i].text);
    }
}

/* ---- title matching ---- */

static size_t match(const char *title, nm_match out[NM_CATALOG_SIZE])
{
    size_t n = nm_match_title(title, out, NM_CATALOG_SIZE);
    assert_true(n <= NM_CATALOG_SIZE);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(out[i].type);
        assert_true(out[i].score > 0.0 && out[i].score <= 1.0);
        if (i > 0)
            assert_true(out[i].score <= out[i - 1].score);
    }
    return n;
}

static void describe(GString *s, const nm_match *m, size_t n)
{
    for (size_t i = 0; i < n && i < 3; i++)
        g_string_append_printf(s, " %d (%.3f)", m[i].type->stt, m[i].score);
    if (n == 0)
        g_string_append(s, " nothing");
}

/* title names type stt first and clearly */
static void assert_clear(const char *title, int stt)
{
    nm_match m[NM_CATALOG_SIZE];
    size_t n = match(title, m);
    if (n == 0 || m[0].type->stt != stt || !nm_match_is_clear(m, n)) {
        GString *s = g_string_new(NULL);
        describe(s, m, n);
        print_error("\"%s\": expected %d clearly, got%s\n", title, stt, s->str);
        g_string_free(s, TRUE);
        fail();
    }
}

static void number_is_taken_as_stt(void **state)
{
    (void)state;
    nm_match m[NM_CATALOG_SIZE];
    assert_int_equal(match("2", m), 1);
    assert_int_equal(m[0].type->stt, 2);
    assert_true(m[0].score >= 1.0);
    assert_true(nm_match_is_clear(m, 1));
    assert_int_equal(match("02", m), 1);
    assert_int_equal(m[0].type->stt, 2);
    assert_int_equal(match(" 104 ", m), 1);
    assert_int_equal(m[0].type->stt, 104);
    assert_int_equal(match("105", m), 0);
    assert_int_equal(match("0", m), 0);
    assert_int_equal(match("-1", m), 0);
}

static void exact_unaccented_upper_case_and_misspelt_titles(void **state)
{
    (void)state;
    assert_clear("Lý lịch đảng viên", 2);
    assert_clear("ly lich dang vien", 2);
    assert_clear("LY LICH DANG VIEN", 2);
    assert_clear("ly lich dang vein", 2);
    assert_clear("Giấy giới thiệu sinh hoạt đảng tạm thời", 55);
    char *nfd = g_utf8_normalize("Giấy giới thiệu sinh hoạt đảng tạm thời", -1, G_NORMALIZE_NFD);
    assert_clear(nfd, 55);
    g_free(nfd);
}

static void abbreviated_titles(void **state)
{
    (void)state;
    assert_clear("QĐ kết nạp ĐV", 5);
    assert_clear("NQ đề nghị kết nạp đảng viên của chi bộ", 43);
    assert_clear("GGT SHĐ tạm thời", 55);
    assert_clear("LL đảng viên", 2);
}

static bool has_candidate(const nm_match *m, size_t n, int stt)
{
    for (size_t i = 0; i < n; i++)
        if (m[i].type->stt == stt)
            return true;
    return false;
}

/* "Giấy giới thiệu" alone could be any of the kinds of giấy giới thiệu: not clear, all offered. */
static void ambiguous_title_is_not_clear(void **state)
{
    (void)state;
    nm_match m[NM_CATALOG_SIZE];
    size_t n = match("Giấy giới thiệu", m);
    assert_true(n >= 5);
    assert_false(nm_match_is_clear(m, n));
    static const int kinds[] = {39, 54, 55, 56, 59};
    for (size_t i = 0; i < G_N_ELEMENTS(kinds); i++)
        if (!has_candidate(m, n, kinds[i]))
            fail_msg("\"Giấy giới thiệu\": type %d is not a candidate", kinds[i]);

    /* a smaller out[] gets the same best ones */
    nm_match few[3];
    assert_int_equal(nm_match_title("Giấy giới thiệu", few, 3), 3);
    for (size_t i = 0; i < 3; i++)
        assert_ptr_equal(few[i].type, m[i].type);
}

static void nonsense_and_empty_titles_match_nothing(void **state)
{
    (void)state;
    nm_match m[NM_CATALOG_SIZE];
    assert_int_equal(match("xyz abc", m), 0);
    assert_int_equal(match("", m), 0);
    assert_int_equal(match("   ", m), 0);
    assert_int_equal(match("\xff\xfe", m), 0);
    assert_int_equal(nm_match_title(NULL, m, NM_CATALOG_SIZE), 0);
    assert_int_equal(nm_match_title("Lý lịch đảng viên", m, 0), 0);
    assert_false(nm_match_is_clear(m, 0));
}

static void long_full_transliteration_matches_its_type(void **state)
{
    (void)state;
    assert_clear("Tong hop y kien nhan xet cua cac doan the chinh tri xa hoi noi sinh hoat va chi "
                 "uy hoac chi bo noi cu tru doi voi nguoi vao dang",
                 42);
    assert_clear("Tong hop y kien nhan xet cua cac doan the chinh tri xa hoi noi sinh hoat va chi "
                 "uy hoac chi bo noi cu tru doi voi dang vien du bi",
                 49);
}

/* Every type is found, first and clearly, by its Vietnamese name and by its canonical ASCII name.
 * All failures are listed before the test fails. */
static void every_type_matches_its_own_names_clearly(void **state)
{
    (void)state;
    GString *bad = g_string_new(NULL);
    int failures = 0;
    for (int i = 0; i < NM_CATALOG_SIZE; i++) {
        const nm_doc_type *t = &nm_catalog()[i];
        const char *names[] = {t->name_vi, t->name_ascii};
        const char *labels[] = {"name_vi", "name_ascii"};
        for (size_t k = 0; k < 2; k++) {
            nm_match m[NM_CATALOG_SIZE];
            size_t n = match(names[k], m);
            if (n > 0 && m[0].type == t && nm_match_is_clear(m, n))
                continue;
            failures++;
            g_string_printf(bad, "  type %d by %s:", t->stt, labels[k]);
            describe(bad, m, n);
            print_error("%s%s\n", bad->str, n > 0 && m[0].type == t ? " (first, not clear)" : "");
        }
    }
    g_string_free(bad, TRUE);
    if (failures)
        fail_msg("%d of %d lookups by a type's own name fail", failures, 2 * NM_CATALOG_SIZE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_vowel_with_every_tone_drops_its_marks),
        cmocka_unit_test(d_with_stroke_becomes_d),
        cmocka_unit_test(ascii_keeps_everything_else),
        cmocka_unit_test(invalid_utf8_gives_null),
        cmocka_unit_test(document_title_follows_the_canonical_rule),
        cmocka_unit_test(document_title_drops_punctuation_and_collapses_spaces),
        cmocka_unit_test(person_name_is_capitalised_words_without_spaces),
        cmocka_unit_test(person_name_refuses_digits_and_punctuation),
        cmocka_unit_test(has_non_ascii_flags_marks_and_controls),
        cmocka_unit_test(org_code_is_2_3_3_3_3_digits),
        cmocka_unit_test(cccd_guide_example_is_a_warning_not_an_error),
        cmocka_unit_test(cccd_plausible_numbers_pass),
        cmocka_unit_test(cccd_bad_format_and_province),
        cmocka_unit_test(cccd_age_is_judged_against_the_current_year),
        cmocka_unit_test(province_names),
        cmocka_unit_test(split_dossier_folder_table),
        cmocka_unit_test(person_part_table),
        cmocka_unit_test(stt_text_is_two_digits_or_three),
        cmocka_unit_test(number_is_taken_as_stt),
        cmocka_unit_test(exact_unaccented_upper_case_and_misspelt_titles),
        cmocka_unit_test(abbreviated_titles),
        cmocka_unit_test(ambiguous_title_is_not_clear),
        cmocka_unit_test(nonsense_and_empty_titles_match_nothing),
        cmocka_unit_test(long_full_transliteration_matches_its_type),
        cmocka_unit_test(every_type_matches_its_own_names_clearly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
