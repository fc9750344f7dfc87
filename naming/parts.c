/* The parts of folder and file names: organisation code, CCCD, person name, STT, file name. */
#include "naming/naming.h"

#include <string.h>

#include <glib.h>

bool nm_org_code_valid(const char *code)
{
    static const int widths[] = {2, 3, 3, 3, 3};
    const char *p = code;
    for (size_t g = 0; g < 5; g++) {
        for (int i = 0; i < widths[g]; i++, p++)
            if (!g_ascii_isdigit(*p))
                return false;
        if (*p != (g < 4 ? '.' : '\0'))
            return false;
        p++;
    }
    return true;
}

/* Provincial codes printed on citizen ID cards (Circular 07/2016/TT-BCA), the 63 provinces. */
static const struct {
    int code;
    const char *name;
} PROVINCES[] = {
    {1, "Hà Nội"},
    {2, "Hà Giang"},
    {4, "Cao Bằng"},
    {6, "Bắc Kạn"},
    {8, "Tuyên Quang"},
    {10, "Lào Cai"},
    {11, "Điện Biên"},
    {12, "Lai Châu"},
    {14, "Sơn La"},
    {15, "Yên Bái"},
    {17, "Hòa Bình"},
    {19, "Thái Nguyên"},
    {20, "Lạng Sơn"},
    {22, "Quảng Ninh"},
    {24, "Bắc Giang"},
    {25, "Phú Thọ"},
    {26, "Vĩnh Phúc"},
    {27, "Bắc Ninh"},
    {30, "Hải Dương"},
    {31, "Hải Phòng"},
    {33, "Hưng Yên"},
    {34, "Thái Bình"},
    {35, "Hà Nam"},
    {36, "Nam Định"},
    {37, "Ninh Bình"},
    {38, "Thanh Hóa"},
    {40, "Nghệ An"},
    {42, "Hà Tĩnh"},
    {44, "Quảng Bình"},
    {45, "Quảng Trị"},
    {46, "Thừa Thiên Huế"},
    {48, "Đà Nẵng"},
    {49, "Quảng Nam"},
    {51, "Quảng Ngãi"},
    {52, "Bình Định"},
    {54, "Phú Yên"},
    {56, "Khánh Hòa"},
    {58, "Ninh Thuận"},
    {60, "Bình Thuận"},
    {62, "Kon Tum"},
    {64, "Gia Lai"},
    {66, "Đắk Lắk"},
    {67, "Đắk Nông"},
    {68, "Lâm Đồng"},
    {70, "Bình Phước"},
    {72, "Tây Ninh"},
    {74, "Bình Dương"},
    {75, "Đồng Nai"},
    {77, "Bà Rịa - Vũng Tàu"},
    {79, "Hồ Chí Minh"},
    {80, "Long An"},
    {82, "Tiền Giang"},
    {83, "Bến Tre"},
    {84, "Trà Vinh"},
    {86, "Vĩnh Long"},
    {87, "Đồng Tháp"},
    {89, "An Giang"},
    {91, "Kiên Giang"},
    {92, "Cần Thơ"},
    {93, "Hậu Giang"},
    {94, "Sóc Trăng"},
    {95, "Bạc Liêu"},
    {96, "Cà Mau"},
};
_Static_assert(sizeof PROVINCES / sizeof *PROVINCES == 63, "63 provincial codes");

const char *nm_province_name(int code)
{
    for (size_t i = 0; i < sizeof PROVINCES / sizeof *PROVINCES; i++)
        if (PROVINCES[i].code == code)
            return PROVINCES[i].name;
    return NULL;
}

nm_cccd_result nm_cccd_check(const char *cccd, int current_year, int *birth_year)
{
    if (strlen(cccd) != 12)
        return NM_CCCD_FORMAT;
    for (int i = 0; i < 12; i++)
        if (!g_ascii_isdigit(cccd[i]))
            return NM_CCCD_FORMAT;
    int province = (cccd[0] - '0') * 100 + (cccd[1] - '0') * 10 + (cccd[2] - '0');
    /* Digit 4 is century and sex: 0/1 = 1900s, 2/3 = 2000s, 4/5 = 2100s … (even male, odd female).
     */
    int century = 1900 + ((cccd[3] - '0') / 2) * 100;
    int year = century + (cccd[4] - '0') * 10 + (cccd[5] - '0');
    if (birth_year)
        *birth_year = year;
    if (!nm_province_name(province))
        return NM_CCCD_PROVINCE;
    /* Members are admitted at 18 at the earliest (Điều lệ Đảng); 16 leaves room for typos in
     * dates, 110 for the oldest living members. Only a warning: the guide's example fails it. */
    int age = current_year - year;
    if (age < 16 || age > 110)
        return NM_CCCD_IMPLAUSIBLE_AGE;
    return NM_CCCD_OK;
}

/* Are the n bytes at s all digits? */
static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!g_ascii_isdigit(s[i]))
            return false;
    return true;
}

/* The kind of the n bytes at s. */
static nm_key_kind kind_of_len(const char *s, size_t n)
{
    if (n == 12 && all_digits(s, 12))
        return NM_KEY_CCCD;
    if (n == 9 && all_digits(s, 9))
        return NM_KEY_CMND;
    /* Số hộ chiếu: one capital letter of the alphabet, then 7 digits (B1234567, C1234567). */
    if (n == 8 && g_ascii_isupper(s[0]) && all_digits(s + 1, 7))
        return NM_KEY_PASSPORT;
    return NM_KEY_NONE;
}

nm_key_kind nm_key_kind_of(const char *key) { return kind_of_len(key, strlen(key)); }

static const char *const KIND_NAMES[] = {
    [NM_KEY_CCCD] = "cccd",
    [NM_KEY_CMND] = "cmnd",
    [NM_KEY_PASSPORT] = "passport",
};

const char *nm_key_kind_name(nm_key_kind kind)
{
    return kind > NM_KEY_NONE && kind <= NM_KEY_PASSPORT ? KIND_NAMES[kind] : NULL;
}

nm_key_kind nm_key_kind_from_name(const char *name)
{
    for (int k = NM_KEY_CCCD; name && k <= NM_KEY_PASSPORT; k++)
        if (strcmp(name, KIND_NAMES[k]) == 0)
            return (nm_key_kind)k;
    return NM_KEY_NONE;
}

const char *nm_key_kind_label(nm_key_kind kind)
{
    switch (kind) {
    case NM_KEY_CCCD:
        return _("CCCD");
    case NM_KEY_CMND:
        return _("CMND (old ID card)");
    case NM_KEY_PASSPORT:
        return _("passport number");
    case NM_KEY_NONE:
        break;
    }
    return _("member key");
}

bool nm_split_dossier_folder(const char *folder, char key[NM_KEY_SIZE], const char **person)
{
    const char *underscore = strchr(folder, '_');
    if (!underscore)
        return false;
    size_t n = (size_t)(underscore - folder);
    if (n != 12 && kind_of_len(folder, n) == NM_KEY_NONE)
        return false;
    memcpy(key, folder, n);
    key[n] = '\0';
    *person = underscore + 1;
    return true;
}

bool nm_person_part_valid(const char *person)
{
    int words = 0;
    for (const char *p = person; *p; p++) {
        if (!g_ascii_isalpha(*p))
            return false;
        if (g_ascii_isupper(*p))
            words++;
        else if (p == person)
            return false; /* must start with a capital */
    }
    return words >= 2;
}

void nm_stt_text(int stt, char out[4]) { snprintf(out, 4, stt >= 100 ? "%03d" : "%02d", stt); }

char *nm_file_name(const nm_doc_type *t, int seq, const char *signed_suffix)
{
    char stt[4];
    nm_stt_text(t->stt, stt);
    GString *s = g_string_new(stt);
    g_string_append_printf(s, ".%s", t->name_ascii);
    if (seq > 0)
        g_string_append_printf(s, ".%d", seq);
    if (signed_suffix)
        g_string_append(s, signed_suffix);
    g_string_append(s, ".pdf");
    return g_string_free(s, FALSE);
}
