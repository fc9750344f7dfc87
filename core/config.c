/* sohoa.ini: read with GKeyFile, after a line scan of our own that knows where each key stands,
 * so that every error names the file, the line and the key. Unknown sections and keys are
 * errors: a typo in a threshold must not silently fall back to the default. Core knows the
 * format, the key tables and [station]; every other section is a module's own table, in the list
 * the program gave sh_config_use_sections. */
#include "core/core.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#define CONFIG_MAX_BYTES (1024 * 1024)

static sh_status check_station(const char *value, void *section, sh_error *why)
{
    (void)section;
    return sh_check_station_id(value, why);
}

static sh_status check_operator(const char *value, void *section, sh_error *why)
{
    (void)section;
    return *value ? sh_check_operator_name(value, why) : SH_OK; /* empty: no operator */
}

static const char *const BOOLEAN_WORDS[] = {"false", "true", NULL};

/* [station] fills sh_config itself. */
static const sh_config_key STATION_KEYS[] = {
    {.name = "id",
     .kind = SH_KEY_STRING,
     .offset = offsetof(sh_config, station_id),
     .parse = check_station,
     .comment = "Scan station ID, recorded with every action / Mã trạm số hóa, ghi kèm mọi "
                "thao tác"},
    {.name = "operator",
     .kind = SH_KEY_STRING,
     .offset = offsetof(sh_config, operator_name),
     .parse = check_operator,
     .comment = "Default operator; --operator overrides it / Người thao tác mặc định; "
                "--operator thay thế"},
    {.name = "airgapped",
     .kind = SH_KEY_CHOICE,
     .offset = offsetof(sh_config, airgapped),
     .words = BOOLEAN_WORDS,
     .hint = N_("write false or true"),
     .def = "false",
     .comment = "true: no network here, packages leave on a medium (sohoa export) / true: trạm "
                "không nối mạng, gói dữ liệu chuyển bằng thiết bị lưu trữ"},
};
static const sh_config_section STATION = {
    "station", STATION_KEYS, sizeof STATION_KEYS / sizeof *STATION_KEYS, sizeof(sh_config)};

static const sh_config_section *const NO_SECTIONS[] = {NULL};
static const sh_config_section *const *program_sections = NO_SECTIONS;

void sh_config_use_sections(const sh_config_section *const *sections)
{
    program_sections = sections ? sections : NO_SECTIONS;
}

/* ---- values ---- */

static void *field(void *values, const sh_config_key *k) { return (char *)values + k->offset; }

static sh_status set_string(const sh_config_key *k, const char *value, void *values, sh_error *why)
{
    if (k->parse) {
        sh_status st = k->parse(value, values, why);
        if (st != SH_OK)
            return st;
    }
    char **s = field(values, k);
    g_free(*s);
    *s = *value ? g_strdup(value) : NULL;
    return SH_OK;
}

static sh_status set_number(const sh_config_key *k, const char *value, void *values, sh_error *why)
{
    char *end;
    errno = 0;
    double v = g_ascii_strtod(value, &end);
    bool whole = k->kind == SH_KEY_INT;
    if (errno || end == value || *end || !(v >= k->lo && v <= k->hi) ||
        (whole && v != (double)(long)v))
        return sh_fail(why, SH_USAGE,
                       whole ? _("expected a whole number from %g to %g")
                             : _("expected a number from %g to %g"),
                       k->lo, k->hi);
    if (whole)
        *(int *)field(values, k) = (int)v;
    else
        *(double *)field(values, k) = v;
    return SH_OK;
}

static sh_status set_choice(const sh_config_key *k, const char *value, void *values, sh_error *why)
{
    for (int i = 0; k->words[i]; i++)
        if (strcmp(value, k->words[i]) == 0) {
            *(int *)field(values, k) = i;
            return SH_OK;
        }
    return sh_fail(why, SH_USAGE, "%s", _(k->hint));
}

/* Parse one value into the section's struct; on failure the reason is in why. */
static sh_status set_value(const sh_config_key *k, const char *value, void *values, sh_error *why)
{
    switch (k->kind) {
    case SH_KEY_STRING:
        return set_string(k, value, values, why);
    case SH_KEY_INT:
    case SH_KEY_DOUBLE:
        return set_number(k, value, values, why);
    case SH_KEY_CHOICE:
        return set_choice(k, value, values, why);
    case SH_KEY_CUSTOM:
        return k->parse(value, values, why);
    }
    return sh_fail(why, SH_INTERNAL, "[%s]: unknown key kind", k->name);
}

/* The defaults are the tables' own text, read as a file's would be: one source for both. */
static void apply_defaults(const sh_config_section *s, void *values)
{
    for (size_t i = 0; i < s->n_keys; i++) {
        sh_error why;
        if (s->keys[i].def && *s->keys[i].def &&
            set_value(&s->keys[i], s->keys[i].def, values, &why) != SH_OK)
            sh_warn("[%s] %s = %s: %s", s->name, s->keys[i].name, s->keys[i].def, why.msg);
    }
}

static void free_strings(const sh_config_section *s, void *values)
{
    for (size_t i = 0; i < s->n_keys; i++)
        if (s->keys[i].kind == SH_KEY_STRING) {
            char **p = field(values, &s->keys[i]);
            g_free(*p);
            *p = NULL;
        }
}

void sh_config_section_defaults(const sh_config_section *section, void *values)
{
    memset(values, 0, section->size);
    apply_defaults(section, values);
}

void sh_config_section_free(const sh_config_section *section, void *values)
{
    if (values)
        free_strings(section, values);
}

void sh_config_defaults(sh_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    apply_defaults(&STATION, cfg);
    cfg->sections = program_sections;
    size_t n = 0;
    while (cfg->sections[n])
        n++;
    cfg->values = g_new0(void *, n + 1);
    for (size_t i = 0; i < n; i++) {
        cfg->values[i] = g_malloc(cfg->sections[i]->size);
        sh_config_section_defaults(cfg->sections[i], cfg->values[i]);
    }
}

void sh_config_free(sh_config *cfg)
{
    g_free(cfg->path);
    free_strings(&STATION, cfg);
    for (size_t i = 0; cfg->values && cfg->sections[i]; i++) {
        sh_config_section_free(cfg->sections[i], cfg->values[i]);
        g_free(cfg->values[i]);
    }
    g_free(cfg->values);
    memset(cfg, 0, sizeof *cfg);
}

const void *sh_config_values(const sh_config *cfg, const sh_config_section *section)
{
    for (size_t i = 0; cfg->values && cfg->sections[i]; i++)
        if (cfg->sections[i] == section)
            return cfg->values[i];
    return NULL;
}

/* The section named `name` in cfg, and the struct its keys fill; NULL when there is none. */
static const sh_config_section *find_section(sh_config *cfg, const char *name, void **values)
{
    if (strcmp(name, STATION.name) == 0) {
        *values = cfg;
        return &STATION;
    }
    for (size_t i = 0; cfg->values && cfg->sections[i]; i++)
        if (strcmp(cfg->sections[i]->name, name) == 0) {
            *values = cfg->values[i];
            return cfg->sections[i];
        }
    return NULL;
}

static const sh_config_key *find_key(const sh_config_section *s, const char *name)
{
    for (size_t i = 0; i < s->n_keys; i++)
        if (strcmp(s->keys[i].name, name) == 0)
            return &s->keys[i];
    return NULL;
}

/* "[station], [naming], …" for the message about an unknown section. g_free() it. */
static char *section_names(const sh_config *cfg)
{
    GString *s = g_string_new("[station]");
    for (size_t i = 0; cfg->values && cfg->sections[i]; i++)
        g_string_append_printf(s, ", [%s]", cfg->sections[i]->name);
    return g_string_free(s, FALSE);
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
    const sh_config_key *spec;
    void *values; /* the struct spec's field is in */
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

static int place_line(const config_scan *s, const char *group, const char *key)
{
    for (guint i = 0; i < s->places->len; i++) {
        key_place *p = &g_array_index(s->places, key_place, i);
        if (strcmp(p->group, group) == 0 && strcmp(p->key, key) == 0)
            return p->line;
    }
    return 0;
}

static sh_status unknown_section(const char *path, int lineno, const char *group,
                                 const sh_config *cfg, sh_error *err)
{
    char *names = section_names(cfg);
    sh_status st = sh_fail(err, SH_USAGE, _("%s:%d: unknown section [%s]; the sections are %s"),
                           path, lineno, group, names);
    g_free(names);
    return st;
}

/* One "key = value" line under `section` (NULL before any): where it stands, or an error. */
static sh_status scan_key(const char *path, int lineno, char *line, const char *group,
                          const sh_config_section *section, void *values, config_scan *s,
                          sh_error *err)
{
    char *eq = strchr(line, '=');
    if (!eq)
        return sh_fail(err, SH_USAGE, _("%s:%d: expected \"key = value\", found \"%s\""), path,
                       lineno, line);
    *eq = '\0';
    char *key = g_strstrip(line);
    if (!group)
        return sh_fail(err, SH_USAGE, _("%s:%d: key %s stands before any [section]"), path, lineno,
                       key);
    const sh_config_key *spec = find_key(section, key);
    if (!spec)
        return sh_fail(err, SH_USAGE,
                       _("%s:%d: [%s] %s: unknown key; see docs/configuration.md for the keys"),
                       path, lineno, group, key);
    int earlier = place_line(s, group, key);
    if (earlier)
        return sh_fail(err, SH_USAGE, _("%s:%d: [%s] %s: set again (first set on line %d)"), path,
                       lineno, group, key, earlier);
    key_place p = {g_strdup(group), g_strdup(key), lineno, spec, values};
    g_array_append_val(s->places, p);
    return SH_OK;
}

/* Check the shape of every line and that every section and key is one the program knows. */
static sh_status scan_lines(const char *path, const char *text, sh_config *cfg, config_scan *s,
                            sh_error *err)
{
    char **lines = g_strsplit(text, "\n", -1);
    char *group = NULL;
    const sh_config_section *section = NULL;
    void *values = NULL;
    sh_status st = SH_OK;
    for (int i = 0; lines[i] && st == SH_OK; i++) {
        int lineno = i + 1;
        char *line = g_strstrip(lines[i]);
        if (*line == '\0' || *line == '#')
            continue;
        if (*line != '[') {
            st = scan_key(path, lineno, line, group, section, values, s, err);
            continue;
        }
        size_t n = strlen(line);
        if (line[n - 1] != ']') {
            st = sh_fail(err, SH_USAGE, _("%s:%d: a section header must look like [station]"), path,
                         lineno);
            break;
        }
        g_free(group);
        group = g_strndup(line + 1, n - 2);
        if (!(section = find_section(cfg, group, &values)))
            st = unknown_section(path, lineno, group, cfg, err);
    }
    g_free(group);
    g_strfreev(lines);
    return st;
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

/* Every key the scan placed, read with GKeyFile (its escapes and quoting) and stored. */
static sh_status read_values(const char *path, GKeyFile *kf, const config_scan *scan, sh_error *err)
{
    sh_status st = SH_OK;
    for (guint i = 0; st == SH_OK && i < scan->places->len; i++) {
        key_place *p = &g_array_index(scan->places, key_place, i);
        GError *gerr = NULL;
        char *value = g_key_file_get_string(kf, p->group, p->key, &gerr);
        if (!value) {
            st = sh_fail(err, SH_USAGE, "%s:%d: [%s] %s: %s", path, p->line, p->group, p->key,
                         gerr->message);
            g_error_free(gerr);
            break;
        }
        g_strstrip(value);
        sh_error why;
        if (set_value(p->spec, value, p->values, &why) != SH_OK)
            st = sh_fail(err, SH_USAGE, "%s:%d: [%s] %s = %s: %s", path, p->line, p->group, p->key,
                         value, why.msg);
        g_free(value);
    }
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
    config_scan scan = {g_array_new(FALSE, FALSE, sizeof(key_place))};
    GKeyFile *kf = g_key_file_new();
    GError *gerr = NULL;
    sh_status st = scan_lines(path, copy, cfg, &scan, err);
    if (st == SH_OK && !g_key_file_load_from_data(kf, copy, len, G_KEY_FILE_NONE, &gerr)) {
        st = sh_fail(err, SH_USAGE, "%s: %s", path, gerr->message);
        g_error_free(gerr);
    }
    if (st == SH_OK)
        st = read_values(path, kf, &scan, err);
    if (st == SH_OK && !cfg->station_id)
        st = sh_fail(err, SH_USAGE,
                     _("%s: [station] id is missing; add a line such as \"id = HN-XA-01\" under "
                       "[station]"),
                     path);
    if (st == SH_OK) {
        g_free(cfg->path);
        cfg->path = g_strdup(path);
    }
    g_key_file_free(kf);
    scan_free(&scan);
    g_free(copy);
    return st;
}

/* ---- the template ---- */

/* "[name]" and its keys, each under its comment; with `given`, the values of the keys in
 * order (NULL: empty), else the defaults. */
static void template_section(GString *t, const sh_config_section *s, const char *const *given)
{
    g_string_append_printf(t, "\n[%s]\n", s->name);
    for (size_t i = 0; i < s->n_keys; i++) {
        const sh_config_key *k = &s->keys[i];
        if (k->comment)
            g_string_append_printf(t, "# %s\n", k->comment);
        const char *v = given ? (given[i] ? given[i] : "") : k->def;
        if (given || (v && *v))
            g_string_append_printf(t, "%s = %s\n", k->name, v);
        else
            g_string_append_printf(t, "%s =\n", k->name);
    }
}

char *sh_config_template(const char *station_id, const char *operator_name)
{
    /* Both values were checked: no control characters and no backslash, so no escaping. */
    const char *station[] = {station_id, operator_name, "false"}; /* one per STATION_KEYS */
    _Static_assert(sizeof station / sizeof *station == sizeof STATION_KEYS / sizeof *STATION_KEYS,
                   "a value for every [station] key");
    GString *t = g_string_new("# sohoa workspace configuration / Cấu hình không gian làm việc "
                              "sohoa\n"
                              "# Every key is described in docs/configuration.md.\n"
                              "# Mỗi khóa được mô tả trong docs/configuration.md.\n");
    template_section(t, &STATION, station);
    for (size_t i = 0; program_sections[i]; i++)
        template_section(t, program_sections[i], NULL);
    return g_string_free(t, FALSE);
}
