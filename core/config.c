/* sohoa.ini: read with GKeyFile, after a line scan of our own that knows where each key stands,
 * so that every error names the file, the line and the key. Unknown keys are errors: a typo in
 * a threshold must not silently fall back to the default. */
#include "core/core.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#define CONFIG_MAX_BYTES (1024 * 1024)

typedef enum {
    K_STRING,
    K_STATION,
    K_OPERATOR,
    K_INT,
    K_DOUBLE,
    K_SPACES,
    K_SUFFIX,
    K_TYPES,
    K_PLACE
} key_kind;

typedef struct {
    const char *group, *key;
    key_kind kind;
    size_t offset;   /* of the field in sh_config */
    double min, max; /* for K_INT and K_DOUBLE */
} key_spec;

#define F(field) offsetof(sh_config, field)
static const key_spec KEYS[] = {
    {"station", "id", K_STATION, F(station_id), 0, 0},
    {"station", "operator", K_OPERATOR, F(operator_name), 0, 0},
    {"naming", "spaces", K_SPACES, F(spaces), 0, 0},
    {"naming", "signed_suffix", K_SUFFIX, F(signed_suffix), 0, 0},
    {"ingest", "max_dimension", K_INT, F(ingest_max_dimension), 100, 1000000},
    {"ingest", "max_megapixels", K_INT, F(ingest_max_megapixels), 1, 100000},
    {"validate", "min_dpi", K_INT, F(min_dpi), 50, 2400},
    {"validate", "max_skew_deg", K_DOUBLE, F(max_skew_deg), 0.05, 45},
    {"validate", "required_types", K_TYPES, 0, 0, 0},
    {"validate", "jobs", K_INT, F(jobs), 0, 256},
    {"sign", "pkcs11_module", K_STRING, F(sign_pkcs11_module), 0, 0},
    {"sign", "token_label", K_STRING, F(sign_token_label), 0, 0},
    {"sign", "key_label", K_STRING, F(sign_key_label), 0, 0},
    {"sign", "organisation", K_STRING, F(sign_organisation), 0, 0},
    {"sign", "seal_image", K_STRING, F(sign_seal_image), 0, 0},
    {"sign", "font", K_STRING, F(sign_font), 0, 0},
    {"sign", "stamp_width_mm", K_DOUBLE, F(sign_stamp_width_mm), 20, 200},
    {"sign", "stamp_margin_mm", K_DOUBLE, F(sign_stamp_margin_mm), 0, 100},
    {"sign", "stamp_place", K_PLACE, F(sign_stamp_fixed), 0, 0},
    {"upload", "endpoint", K_STRING, F(upload_endpoint), 0, 0},
    {"upload", "bundle_dir", K_STRING, F(upload_bundle_dir), 0, 0},
    {"upload", "receiver_cert", K_STRING, F(upload_receiver_cert), 0, 0},
    {"upload", "max_bundle_mb", K_INT, F(upload_max_bundle_mb), 1, 100000},
};
#undef F
#define N_KEYS (sizeof KEYS / sizeof *KEYS)

static char **field_str(sh_config *cfg, const key_spec *k)
{
    return (char **)((char *)cfg + k->offset);
}

void sh_config_defaults(sh_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->spaces = SH_SPACES_ALLOW;
    cfg->signed_suffix = g_strdup("_signed");
    cfg->ingest_max_dimension = 40000;
    cfg->ingest_max_megapixels = 600;
    cfg->min_dpi = 200;
    cfg->max_skew_deg = 1.0;
    cfg->required_types[0] = 2;
    cfg->required_types[1] = 3;
    cfg->n_required_types = 2;
    cfg->jobs = 0;
    cfg->sign_font = g_strdup("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf");
    cfg->sign_stamp_width_mm = 70;
    cfg->sign_stamp_margin_mm = 10;
    cfg->upload_bundle_dir = g_strdup("bundles");
    cfg->upload_max_bundle_mb = 500;
}

void sh_config_free(sh_config *cfg)
{
    g_free(cfg->path);
    for (size_t i = 0; i < N_KEYS; i++) {
        key_kind kind = KEYS[i].kind;
        if (kind == K_STRING || kind == K_STATION || kind == K_OPERATOR || kind == K_SUFFIX) {
            char **s = field_str(cfg, &KEYS[i]);
            g_free(*s);
            *s = NULL;
        }
    }
    cfg->path = NULL;
}

sh_status sh_check_station_id(const char *id, sh_error *err)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > 64)
        return sh_fail(err, SH_USAGE, _("station ID must be 1 to 64 characters"));
    for (size_t i = 0; i < n; i++)
        if (!g_ascii_isalnum(id[i]) && !strchr("._-", id[i]))
            return sh_fail(err, SH_USAGE,
                           _("station ID \"%s\" may hold only Latin letters without "
                             "diacritics, digits, '.', '_' and '-' (for example HN-XA-01)"),
                           id);
    return SH_OK;
}

sh_status sh_check_operator_name(const char *name, sh_error *err)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0)
        return sh_fail(err, SH_USAGE, _("operator name is empty"));
    if (n > 128 || !g_utf8_validate(name, (gssize)n, NULL))
        return sh_fail(err, SH_USAGE, _("operator name must be UTF-8 text of at most 128 bytes"));
    bool has_letter = false;
    for (const char *p = name; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (g_unichar_iscntrl(c) || c == '\\')
            return sh_fail(err, SH_USAGE,
                           _("operator name must not hold control characters or "
                             "backslashes"));
        has_letter |= g_unichar_isalpha(c);
    }
    const char *last = g_utf8_find_prev_char(name, name + n);
    if (!has_letter || g_unichar_isspace(g_utf8_get_char(name)) ||
        g_unichar_isspace(g_utf8_get_char(last)))
        return sh_fail(err, SH_USAGE,
                       _("operator name must be a person's name, without spaces "
                         "before or after it"));
    return SH_OK;
}

/* ---- the line scan ---- */

typedef struct {
    char *group, *key;
    int line;
} key_place;

typedef struct {
    GArray *places; /* key_place */
} config_scan;

static void scan_free(config_scan *s)
{
    for (guint i = 0; i < s->places->len; i++) {
        key_place *p = &g_array_index(s->places, key_place, i);
        g_free(p->group);
        g_free(p->key);
    }
    g_array_free(s->places, TRUE);
}

static const key_spec *find_spec(const char *group, const char *key)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (strcmp(KEYS[i].group, group) == 0 && (!key || strcmp(KEYS[i].key, key) == 0))
            return &KEYS[i];
    return NULL;
}

static int place_line(const config_scan *s, const char *group, const char *key)
{
    for (guint i = 0; i < s->places->len; i++) {
        key_place *p = &g_array_index(s->places, key_place, i);
        if (strcmp(p->group, group) == 0 && strcmp(p->key, key) == 0)
            return p->line;
    }
    return 0;
}

/* Check the shape of every line and that every group and key is one we know. */
static sh_status scan_lines(const char *path, const char *text, config_scan *s, sh_error *err)
{
    char **lines = g_strsplit(text, "\n", -1);
    char *group = NULL;
    sh_status st = SH_OK;
    for (int i = 0; lines[i] && st == SH_OK; i++) {
        int lineno = i + 1;
        char *line = g_strstrip(lines[i]);
        if (*line == '\0' || *line == '#')
            continue;
        if (*line == '[') {
            size_t n = strlen(line);
            if (line[n - 1] != ']') {
                st = sh_fail(err, SH_USAGE, _("%s:%d: a section header must look like [station]"),
                             path, lineno);
                break;
            }
            g_free(group);
            group = g_strndup(line + 1, n - 2);
            if (!find_spec(group, NULL))
                st = sh_fail(err, SH_USAGE,
                             _("%s:%d: unknown section [%s]; the sections are [station], "
                               "[naming], [validate], [sign] and [upload]"),
                             path, lineno, group);
            continue;
        }
        char *eq = strchr(line, '=');
        if (!eq) {
            st = sh_fail(err, SH_USAGE, _("%s:%d: expected \"key = value\", found \"%s\""), path,
                         lineno, line);
            break;
        }
        *eq = '\0';
        char *key = g_strstrip(line);
        if (!group) {
            st = sh_fail(err, SH_USAGE, _("%s:%d: key %s stands before any [section]"), path,
                         lineno, key);
            break;
        }
        if (!find_spec(group, key)) {
            st = sh_fail(err, SH_USAGE,
                         _("%s:%d: [%s] %s: unknown key; see docs/configuration.md for the keys"),
                         path, lineno, group, key);
            break;
        }
        int earlier = place_line(s, group, key);
        if (earlier) {
            st = sh_fail(err, SH_USAGE, _("%s:%d: [%s] %s: set again (first set on line %d)"), path,
                         lineno, group, key, earlier);
            break;
        }
        key_place p = {g_strdup(group), g_strdup(key), lineno};
        g_array_append_val(s->places, p);
    }
    g_free(group);
    g_strfreev(lines);
    return st;
}

/* ---- values ---- */

static sh_status parse_types(const char *value, sh_config *cfg, GString *why)
{
    char **parts = g_strsplit_set(value, ";, ", -1);
    cfg->n_required_types = 0;
    sh_status st = SH_OK;
    for (int i = 0; parts[i]; i++) {
        if (!*parts[i])
            continue;
        char *end;
        errno = 0;
        long t = strtol(parts[i], &end, 10);
        if (errno || *end || t < 1 || t > 104) {
            g_string_printf(why, _("\"%s\" is not a document type number from 1 to 104"), parts[i]);
            st = SH_USAGE;
            break;
        }
        if (cfg->n_required_types < SH_MAX_REQUIRED_TYPES)
            cfg->required_types[cfg->n_required_types++] = (int)t;
    }
    g_strfreev(parts);
    return st;
}

/* Parse one value into cfg; on failure put the reason in why. */
static sh_status set_value(const key_spec *k, const char *value, sh_config *cfg, GString *why)
{
    sh_error e;
    switch (k->kind) {
    case K_STRING:
    case K_STATION:
    case K_OPERATOR: {
        if (k->kind == K_STATION && sh_check_station_id(value, &e) != SH_OK) {
            g_string_assign(why, e.msg);
            return SH_USAGE;
        }
        if (k->kind == K_OPERATOR && *value && sh_check_operator_name(value, &e) != SH_OK) {
            g_string_assign(why, e.msg);
            return SH_USAGE;
        }
        char **s = field_str(cfg, k);
        g_free(*s);
        *s = *value ? g_strdup(value) : NULL;
        return SH_OK;
    }
    case K_INT:
    case K_DOUBLE: {
        char *end;
        errno = 0;
        double v = g_ascii_strtod(value, &end);
        if (errno || end == value || *end || !(v >= k->min && v <= k->max) ||
            (k->kind == K_INT && v != (double)(long)v)) {
            g_string_printf(why,
                            k->kind == K_INT ? _("expected a whole number from %g to %g")
                                             : _("expected a number from %g to %g"),
                            k->min, k->max);
            return SH_USAGE;
        }
        if (k->kind == K_INT)
            *(int *)((char *)cfg + k->offset) = (int)v;
        else
            *(double *)((char *)cfg + k->offset) = v;
        return SH_OK;
    }
    case K_SPACES:
        if (strcmp(value, "allow") == 0)
            cfg->spaces = SH_SPACES_ALLOW;
        else if (strcmp(value, "forbid") == 0)
            cfg->spaces = SH_SPACES_FORBID;
        else {
            g_string_assign(why, _("expected allow or forbid"));
            return SH_USAGE;
        }
        return SH_OK;
    case K_SUFFIX:
        if (strcmp(value, "_signed") != 0 && strcmp(value, ".signed") != 0) {
            g_string_assign(why, _("expected _signed or .signed"));
            return SH_USAGE;
        }
        g_free(cfg->signed_suffix);
        cfg->signed_suffix = g_strdup(value);
        return SH_OK;
    case K_TYPES:
        return parse_types(value, cfg, why);
    case K_PLACE:
        if (strcmp(value, "auto") != 0 && strcmp(value, "fixed") != 0) {
            g_string_assign(why, _("expected auto or fixed"));
            return SH_USAGE;
        }
        cfg->sign_stamp_fixed = strcmp(value, "fixed") == 0;
        return SH_OK;
    }
    return SH_INTERNAL;
}

sh_status sh_config_load(const char *path, sh_config *cfg, sh_error *err)
{
    char *text = NULL;
    size_t len = 0;
    sh_status st = sh_read_file(path, CONFIG_MAX_BYTES, &text, &len, err);
    if (st == SH_OK)
        st = sh_config_parse(path, text, len, cfg, err);
    free(text);
    return st;
}

sh_status sh_config_parse(const char *path, const char *text, size_t len, sh_config *cfg,
                          sh_error *err)
{
    if (len > CONFIG_MAX_BYTES)
        return sh_fail(err, SH_INPUT, _("%s is too large (at most %zu bytes expected)"), path,
                       (size_t)CONFIG_MAX_BYTES);
    if (!g_utf8_validate(text, (gssize)len, NULL) || memchr(text, '\0', len))
        return sh_fail(err, SH_USAGE, _("%s is not UTF-8 text; save it as UTF-8"), path);
    char *copy = g_strndup(text, len); /* NUL-terminated for the line scan */
    sh_status st;
    config_scan scan = {g_array_new(FALSE, FALSE, sizeof(key_place))};
    GKeyFile *kf = g_key_file_new();
    GError *gerr = NULL;
    GString *why = g_string_new(NULL);
    st = scan_lines(path, copy, &scan, err);
    if (st == SH_OK && !g_key_file_load_from_data(kf, copy, len, G_KEY_FILE_NONE, &gerr)) {
        st = sh_fail(err, SH_USAGE, "%s: %s", path, gerr->message);
        g_error_free(gerr);
    }
    for (guint i = 0; st == SH_OK && i < scan.places->len; i++) {
        key_place *p = &g_array_index(scan.places, key_place, i);
        char *value = g_key_file_get_string(kf, p->group, p->key, &gerr);
        if (!value) {
            st = sh_fail(err, SH_USAGE, "%s:%d: [%s] %s: %s", path, p->line, p->group, p->key,
                         gerr->message);
            g_error_free(gerr);
            break;
        }
        g_strstrip(value);
        if (set_value(find_spec(p->group, p->key), value, cfg, why) != SH_OK)
            st = sh_fail(err, SH_USAGE, "%s:%d: [%s] %s = %s: %s", path, p->line, p->group, p->key,
                         value, why->str);
        g_free(value);
    }
    if (st == SH_OK && !cfg->station_id)
        st = sh_fail(err, SH_USAGE,
                     _("%s: [station] id is missing; add a line such as \"id = HN-XA-01\" under "
                       "[station]"),
                     path);
    if (st == SH_OK) {
        g_free(cfg->path);
        cfg->path = g_strdup(path);
    }
    g_string_free(why, TRUE);
    g_key_file_free(kf);
    scan_free(&scan);
    g_free(copy);
    return st;
}

char *sh_config_template(const char *station_id, const char *operator_name)
{
    /* Both values were checked: no control characters and no backslash, so no escaping. */
    return g_strdup_printf(
        "# sohoa workspace configuration / Cấu hình không gian làm việc sohoa\n"
        "# Every key is described in docs/configuration.md.\n"
        "# Mỗi khóa được mô tả trong docs/configuration.md.\n"
        "\n"
        "[station]\n"
        "# Scan station ID, recorded with every action / Mã trạm số hóa, ghi kèm mọi thao tác\n"
        "id = %s\n"
        "# Default operator; --operator overrides it / Người thao tác mặc định; --operator thay "
        "thế\n"
        "operator = %s\n"
        "\n"
        "[naming]\n"
        "# Spaces in document names (Phụ lục 2): allow | forbid / Dấu cách trong tên tài liệu\n"
        "spaces = allow\n"
        "# Suffix of signed files: _signed | .signed / Hậu tố tệp đã ký\n"
        "signed_suffix = _signed\n"
        "\n"
        "[ingest]\n"
        "# Largest page image accepted: pixels a side, millions of pixels / Kích thước ảnh tối "
        "đa\n"
        "max_dimension = 40000\n"
        "max_megapixels = 600\n"
        "\n"
        "[validate]\n"
        "# Lowest acceptable resolution, pixels per inch / Độ phân giải tối thiểu (ppi)\n"
        "min_dpi = 200\n"
        "# Largest acceptable skew, degrees / Độ nghiêng tối đa (độ)\n"
        "max_skew_deg = 1.0\n"
        "# Document types every dossier must hold (STT of Phụ lục 1) / Loại tài liệu bắt buộc\n"
        "required_types = 2;3\n"
        "# Worker threads, 0 = one per core / Số luồng xử lý, 0 = theo số lõi\n"
        "jobs = 0\n"
        "\n"
        "[sign]\n"
        "# PKCS#11 library of the USB token / Thư viện PKCS#11 của USB token\n"
        "pkcs11_module =\n"
        "token_label =\n"
        "key_label =\n"
        "# Organisation name on the stamp (empty: from the certificate) / Tên tổ chức trên dấu\n"
        "organisation =\n"
        "# Red seal image, PNG with transparency / Ảnh con dấu đỏ, PNG nền trong suốt\n"
        "seal_image =\n"
        "font = /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf\n"
        "stamp_width_mm = 70\n"
        "stamp_margin_mm = 10\n"
        "# Stamp place in the top-right corner: auto (where it covers the least print) | fixed "
        "/ Vị trí dấu ở góc trên bên phải: auto (chỗ che ít chữ nhất) | fixed\n"
        "stamp_place = auto\n"
        "\n"
        "[upload]\n"
        "# Receiving service address / Địa chỉ máy chủ nhận dữ liệu\n"
        "endpoint =\n"
        "bundle_dir = bundles\n"
        "# Receiver's certificate (PEM), bundles are encrypted for it / Chứng thư của bên nhận\n"
        "receiver_cert =\n"
        "max_bundle_mb = 500\n",
        station_id, operator_name ? operator_name : "");
}
