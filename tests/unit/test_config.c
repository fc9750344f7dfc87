/* sohoa.ini: the template loads back with the given station and operator and every default;
 * every key maps to its field; every error names the file, the line and the key (unknown key or
 * section, bad value of each kind, a key set twice, a key before any section, a line without
 * '=', a missing or bad station ID, a bad operator); non-UTF-8 text is refused, and files that
 * are missing, unreadable or over 1 MiB are SH_INPUT. Sections are their modules' tables: a
 * module's section fills its own struct with the table's defaults and ranges, a section the
 * program does not list is refused, the template is assembled from the tables to the same text
 * as before. Also the station ID and operator name checks shared with `sohoa init`. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "cli.h"
#include "ingest/ingest.h"
#include "sign/sign.h"
#include "upload/upload.h"
#include "validate/validate.h"

#define MIB (1024 * 1024)

/* Each section's values, from the module that owns it. */
#define NM(c) nm_config_get(&(c))
#define IN(c) in_config_get(&(c))
#define VD(c) vd_config_get(&(c))
#define SG(c) sg_config_get(&(c))
#define UP(c) up_config_get(&(c))

typedef struct {
    char *dir;
    char *ini; /* dir/sohoa.ini */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->dir = test_tmpdir("config");
    f->ini = test_path(f->dir, "sohoa.ini");
    sh_config_use_sections(cli_config_sections); /* as sohoa's main; a test may change it */
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    test_rmtree(f->dir);
    g_free(f->ini);
    g_free(f->dir);
    free(f);
    return 0;
}

/* Write text as sohoa.ini and load it over the defaults, as sh_workspace_open does. */
static sh_status load_text(fixture *f, const char *text, sh_config *cfg, sh_error *err)
{
    test_write(f->ini, text, strlen(text));
    sh_config_defaults(cfg);
    sh_error_clear(err);
    return sh_config_load(f->ini, cfg, err);
}

/* Does loading `text` fail with SH_USAGE and a message naming the file at `line` and `needle`?
 * Prints what is wrong and returns false otherwise, so that tables report every bad case. */
static bool usage_error(fixture *f, const char *text, int line, const char *needle)
{
    sh_config cfg;
    sh_error err;
    sh_status st = load_text(f, text, &cfg, &err);
    sh_config_free(&cfg);
    if (st != SH_USAGE) {
        print_error("expected SH_USAGE, got %d (%s) for:\n%s", st, st ? err.msg : "", text);
        return false;
    }
    char *where = line > 0 ? g_strdup_printf("%s:%d:", f->ini, line) : g_strdup(f->ini);
    bool ok =
        err.status == SH_USAGE && strstr(err.msg, where) && (!needle || strstr(err.msg, needle));
    if (!ok)
        print_error("expected \"%s\" and \"%s\" in: %s\n", where, needle ? needle : "", err.msg);
    g_free(where);
    return ok;
}

static void expect_usage(fixture *f, const char *text, int line, const char *needle)
{
    assert_true(usage_error(f, text, line, needle));
}

/* ---- the template and values ---- */

static void template_loads_back_with_its_values_and_all_defaults(void **state)
{
    fixture *f = *state;
    char *text = sh_config_template("HN-01", "Nguyễn Văn A");
    sh_config cfg;
    sh_error err;
    sh_status st = load_text(f, text, &cfg, &err);
    g_free(text);
    if (st != SH_OK)
        fail_msg("%s", err.msg);
    assert_string_equal(cfg.path, f->ini);
    assert_string_equal(cfg.station_id, "HN-01");
    assert_string_equal(cfg.operator_name, "Nguyễn Văn A");
    assert_int_equal(NM(cfg)->spaces, NM_SPACES_ALLOW);
    assert_string_equal(nm_signed_suffixes[NM(cfg)->signed_suffix], "_signed");
    assert_int_equal(IN(cfg)->max_dimension, 40000);
    assert_int_equal(IN(cfg)->max_megapixels, 600);
    assert_int_equal(VD(cfg)->min_dpi, 200);
    assert_true(VD(cfg)->max_skew_deg == 1.0);
    assert_int_equal(VD(cfg)->n_required_types, 2);
    assert_int_equal(VD(cfg)->required_types[0], 2);
    assert_int_equal(VD(cfg)->required_types[1], 3);
    assert_int_equal(VD(cfg)->jobs, 0);
    assert_string_equal(SG(cfg)->font, "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf");
    assert_true(SG(cfg)->stamp_width_mm == 70);
    assert_true(SG(cfg)->stamp_margin_mm == 10);
    assert_int_equal(SG(cfg)->stamp_place, SG_PLACE_AUTO);
    assert_string_equal(UP(cfg)->package_dir, "packages");
    assert_int_equal(UP(cfg)->max_volume_mb, 1024);
    /* "key =" with nothing after it means unset. */
    assert_null(SG(cfg)->pkcs11_module);
    assert_null(SG(cfg)->token_label);
    assert_null(SG(cfg)->key_label);
    assert_null(SG(cfg)->organisation);
    assert_null(SG(cfg)->seal_image);
    assert_null(UP(cfg)->endpoint);
    assert_null(UP(cfg)->receiver_cert);
    sh_config_free(&cfg);
}

static void template_without_operator_loads_with_no_operator(void **state)
{
    fixture *f = *state;
    char *text = sh_config_template("HN-XA-01", NULL);
    sh_config cfg;
    sh_error err;
    sh_status st = load_text(f, text, &cfg, &err);
    g_free(text);
    if (st != SH_OK)
        fail_msg("%s", err.msg);
    assert_string_equal(cfg.station_id, "HN-XA-01");
    assert_null(cfg.operator_name);
    sh_config_free(&cfg);
}

static void every_key_is_read_into_its_field(void **state)
{
    fixture *f = *state;
    const char *text = "[station]\n"
                       "id = QN-07\n"
                       "operator = Trần Thị Bích Ngọc\n"
                       "airgapped = true\n"
                       "[naming]\n"
                       "spaces = forbid\n"
                       "signed_suffix = .signed\n"
                       "[ingest]\n"
                       "max_dimension = 20000\n"
                       "max_megapixels = 300\n"
                       "[validate]\n"
                       "min_dpi = 300\n"
                       "max_skew_deg = 0.5\n"
                       "required_types = 1;104\n"
                       "jobs = 8\n"
                       "[sign]\n"
                       "pkcs11_module = /usr/lib/libpkcs11.so\n"
                       "token_label = TOKEN A\n"
                       "key_label = key-1\n"
                       "organisation = Sở Nội vụ\n"
                       "seal_image = seal.png\n"
                       "font = /fonts/x.ttf\n"
                       "stamp_width_mm = 80.5\n"
                       "stamp_margin_mm = 0\n"
                       "stamp_place = fixed\n"
                       "[upload]\n"
                       "endpoint = https://example.org/upload\n"
                       "package_dir = out/packages\n"
                       "receiver_cert = receiver.pem\n"
                       "max_volume_mb = 100000\n"
                       "ca_file = hub-ca.pem\n"
                       "client_cert = station.pem\n"
                       "client_key = station.key\n"
                       "receiver_trust = receipts-ca.pem\n"
                       "rate_limit = 512\n"
                       "chunk_size = 64\n"
                       "stall_seconds = 5\n"
                       "give_up_after = 30\n";
    sh_config cfg;
    sh_error err;
    if (load_text(f, text, &cfg, &err) != SH_OK)
        fail_msg("%s", err.msg);
    assert_string_equal(cfg.station_id, "QN-07");
    assert_string_equal(cfg.operator_name, "Trần Thị Bích Ngọc");
    assert_int_equal(cfg.airgapped, 1);
    assert_int_equal(NM(cfg)->spaces, NM_SPACES_FORBID);
    assert_string_equal(nm_signed_suffixes[NM(cfg)->signed_suffix], ".signed");
    nm_rules rules; /* what naming, and sign through the CLI, use */
    nm_rules_from_config(&rules, &cfg);
    assert_int_equal(rules.spaces, NM_SPACES_FORBID);
    assert_string_equal(rules.signed_suffix, ".signed");
    assert_int_equal(IN(cfg)->max_dimension, 20000);
    assert_int_equal(IN(cfg)->max_megapixels, 300);
    assert_int_equal(VD(cfg)->min_dpi, 300);
    assert_true(VD(cfg)->max_skew_deg == 0.5);
    assert_int_equal(VD(cfg)->n_required_types, 2);
    assert_int_equal(VD(cfg)->required_types[0], 1);
    assert_int_equal(VD(cfg)->required_types[1], 104);
    assert_int_equal(VD(cfg)->jobs, 8);
    assert_string_equal(SG(cfg)->pkcs11_module, "/usr/lib/libpkcs11.so");
    assert_string_equal(SG(cfg)->token_label, "TOKEN A");
    assert_string_equal(SG(cfg)->key_label, "key-1");
    assert_string_equal(SG(cfg)->organisation, "Sở Nội vụ");
    assert_string_equal(SG(cfg)->seal_image, "seal.png");
    assert_string_equal(SG(cfg)->font, "/fonts/x.ttf");
    assert_true(SG(cfg)->stamp_width_mm == 80.5);
    assert_true(SG(cfg)->stamp_margin_mm == 0);
    assert_int_equal(SG(cfg)->stamp_place, SG_PLACE_FIXED);
    assert_string_equal(UP(cfg)->endpoint, "https://example.org/upload");
    assert_string_equal(UP(cfg)->package_dir, "out/packages");
    assert_string_equal(UP(cfg)->receiver_cert, "receiver.pem");
    assert_int_equal(UP(cfg)->max_volume_mb, 100000);
    assert_string_equal(UP(cfg)->ca_file, "hub-ca.pem");
    assert_string_equal(UP(cfg)->client_cert, "station.pem");
    assert_string_equal(UP(cfg)->client_key, "station.key");
    assert_string_equal(UP(cfg)->receiver_trust, "receipts-ca.pem");
    assert_int_equal(UP(cfg)->rate_limit_kib, 512);
    assert_int_equal(UP(cfg)->chunk_size_kib, 64);
    assert_int_equal(UP(cfg)->stall_seconds, 5);
    assert_int_equal(UP(cfg)->give_up_after, 30);
    sh_config_free(&cfg);
}

static void keys_left_out_keep_their_defaults(void **state)
{
    fixture *f = *state;
    sh_config cfg;
    sh_error err;
    if (load_text(f, "[station]\nid = HN-01\n", &cfg, &err) != SH_OK)
        fail_msg("%s", err.msg);
    assert_string_equal(cfg.station_id, "HN-01");
    assert_null(cfg.operator_name);
    assert_int_equal(VD(cfg)->min_dpi, 200);
    assert_string_equal(nm_signed_suffixes[NM(cfg)->signed_suffix], "_signed");
    assert_int_equal(VD(cfg)->n_required_types, 2);
    assert_int_equal(UP(cfg)->max_volume_mb, 1024);
    assert_int_equal(cfg.airgapped, 0); /* a station is networked unless it says otherwise */
    assert_int_equal(UP(cfg)->chunk_size_kib, 8192);
    assert_int_equal(UP(cfg)->stall_seconds, 60);
    assert_int_equal(UP(cfg)->give_up_after, 900);
    assert_int_equal(UP(cfg)->rate_limit_kib, 0);
    sh_config_free(&cfg);
}

static void required_types_accepts_semicolons_commas_spaces_and_empty(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *value;
        int n;
        int types[3];
    } cases[] = {
        {"2;3", 2, {2, 3}},
        {"2, 3, 5", 3, {2, 3, 5}},
        {"7", 1, {7}},
        {";", 0, {0}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *text = g_strdup_printf("[station]\nid = HN-01\n[validate]\nrequired_types = %s\n",
                                     cases[i].value);
        sh_config cfg;
        sh_error err;
        sh_status st = load_text(f, text, &cfg, &err);
        g_free(text);
        if (st != SH_OK)
            fail_msg("required_types = %s: %s", cases[i].value, err.msg);
        assert_int_equal(VD(cfg)->n_required_types, cases[i].n);
        for (int k = 0; k < cases[i].n; k++)
            assert_int_equal(VD(cfg)->required_types[k], cases[i].types[k]);
        sh_config_free(&cfg);
    }
}

static void empty_operator_means_no_operator(void **state)
{
    fixture *f = *state;
    sh_config cfg;
    sh_error err;
    if (load_text(f, "[station]\nid = HN-01\noperator =\n", &cfg, &err) != SH_OK)
        fail_msg("%s", err.msg);
    assert_null(cfg.operator_name);
    sh_config_free(&cfg);
    if (load_text(f, "[station]\nid = HN-01\noperator =    \n", &cfg, &err) != SH_OK)
        fail_msg("%s", err.msg);
    assert_null(cfg.operator_name);
    sh_config_free(&cfg);
}

static void comments_and_blank_lines_are_ignored(void **state)
{
    fixture *f = *state;
    const char *text = "# a comment\n"
                       "\n"
                       "   # an indented comment with = and [brackets]\n"
                       "[station]\n"
                       "# id = NOT-THIS\n"
                       "id = HN-01\n"
                       "  \t  \n"
                       "[validate]\n"
                       "#min_dpl = 1\n"
                       "min_dpi = 400\n"
                       "\n";
    sh_config cfg;
    sh_error err;
    if (load_text(f, text, &cfg, &err) != SH_OK)
        fail_msg("%s", err.msg);
    assert_string_equal(cfg.station_id, "HN-01");
    assert_int_equal(VD(cfg)->min_dpi, 400);
    sh_config_free(&cfg);
    /* Comment lines still count: the error is on line 6 of the file. */
    expect_usage(f, "# one\n\n# three\n[station]\nid = HN-01\nbogus = 1\n", 6, "bogus");
}

/* ---- errors name file, line and key ---- */

static void unknown_key_names_file_line_and_key(void **state)
{
    fixture *f = *state;
    expect_usage(f, "[station]\nid = HN-01\n\n[validate]\nmin_dpl = 300\n", 5,
                 "[validate] min_dpl");
    /* A key that exists, but in another section. */
    expect_usage(f, "[station]\nid = HN-01\nmin_dpi = 300\n", 3, "[station] min_dpi");
    expect_usage(f, "[station]\nid = HN-01\nairgapped = yes\n", 3, "write false or true");
}

static void unknown_section_names_file_line_and_section(void **state)
{
    fixture *f = *state;
    expect_usage(f, "[station]\nid = HN-01\n[valdate]\nmin_dpi = 300\n", 3, "[valdate]");
    /* The message lists the sections this program reads. */
    expect_usage(f, "[station]\nid = HN-01\n[valdate]\n", 3,
                 "[station], [naming], [ingest], [validate], [sign], [upload]");
    expect_usage(f, "[station]\nid = HN-01\n[station\n", 3, NULL);
}

static void bad_values_name_file_line_and_key(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *group, *key, *value;
    } cases[] = {
        {"validate", "min_dpi", "abc"},
        {"validate", "min_dpi", "10"},
        {"validate", "min_dpi", "200.5"},
        {"validate", "min_dpi", "2401"},
        {"validate", "min_dpi", ""},
        {"validate", "min_dpi", "300dpi"},
        {"validate", "min_dpi", "nan"},
        {"validate", "max_skew_deg", "-1"},
        {"validate", "max_skew_deg", "46"},
        {"validate", "max_skew_deg", "nan"},
        {"validate", "max_skew_deg", "inf"},
        {"validate", "jobs", "-1"},
        {"validate", "jobs", "257"},
        {"validate", "required_types", "2;105"},
        {"validate", "required_types", "2;x"},
        {"validate", "required_types", "0"},
        {"naming", "spaces", "maybe"},
        {"naming", "spaces", "Allow"},
        {"naming", "signed_suffix", "-signed"},
        {"naming", "signed_suffix", ""},
        {"sign", "stamp_width_mm", "10"},
        {"sign", "stamp_margin_mm", "nan"},
        {"upload", "max_volume_mb", "0"},
    };
    int bad = 0;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *text = g_strdup_printf("[station]\nid = HN-01\n[%s]\n%s = %s\n", cases[i].group,
                                     cases[i].key, cases[i].value);
        char *needle = g_strdup_printf("[%s] %s", cases[i].group, cases[i].key);
        bad += !usage_error(f, text, 4, needle);
        g_free(needle);
        g_free(text);
    }
    assert_int_equal(bad, 0);
}

static void key_set_twice_names_both_lines(void **state)
{
    fixture *f = *state;
    expect_usage(f, "[station]\nid = HN-01\n[validate]\nmin_dpi = 300\njobs = 2\nmin_dpi = 400\n",
                 6, "line 4");
    /* Also when the section is opened twice. */
    expect_usage(f, "[validate]\njobs = 1\n[station]\nid = HN-01\n[validate]\njobs = 2\n", 6,
                 "line 2");
}

static void key_before_any_section_is_refused(void **state)
{
    fixture *f = *state;
    expect_usage(f, "id = HN-01\n[station]\nid = HN-01\n", 1, "id");
}

static void line_without_equals_is_refused(void **state)
{
    fixture *f = *state;
    expect_usage(f, "[station]\nid = HN-01\njust some words\n", 3, "just some words");
}

static void missing_station_id_is_refused(void **state)
{
    fixture *f = *state;
    expect_usage(f, "[station]\noperator = Nguyễn Văn A\n", 0, "[station] id");
    expect_usage(f, "[validate]\nmin_dpi = 300\n", 0, "[station] id");
    expect_usage(f, "", 0, "[station] id");
}

static void bad_station_id_is_refused(void **state)
{
    fixture *f = *state;
    expect_usage(f, "[station]\nid = HN 01\n", 2, "[station] id");
    expect_usage(f, "[station]\nid = HN/01\n", 2, "[station] id");
    expect_usage(f, "[station]\nid =\n", 2, "[station] id");
}

static void operator_with_control_character_is_refused(void **state)
{
    fixture *f = *state;
    expect_usage(f, "[station]\nid = HN-01\noperator = Nguyễn\x01Văn A\n", 3, "operator");
    /* GKeyFile escapes must not smuggle one in either. */
    expect_usage(f, "[station]\nid = HN-01\noperator = Nguyễn\\nVăn A\n", 3, "operator");
    expect_usage(f, "[station]\nid = HN-01\noperator = 12345\n", 3, "operator");
}

static void non_utf8_file_is_refused(void **state)
{
    fixture *f = *state;
    /* "Nguyễn" in Windows-1258 would not be UTF-8; \xe1 alone is invalid. */
    expect_usage(f, "[station]\nid = HN-01\noperator = Nguy\xe1n\n", 0, "UTF-8");
}

/* ---- sections are their modules' tables ---- */

/* A module's section as any module declares one: its struct and the table of its keys. */
typedef struct {
    int count;
    double ratio;
    char *label;
    int mode;
} demo_config;

static const char *const DEMO_MODES[] = {"slow", "fast", NULL};
static const sh_config_key DEMO_KEYS[] = {
    {.name = "count",
     .kind = SH_KEY_INT,
     .offset = offsetof(demo_config, count),
     .lo = 5,
     .hi = 9,
     .def = "7",
     .comment = "How many"},
    {.name = "ratio",
     .kind = SH_KEY_DOUBLE,
     .offset = offsetof(demo_config, ratio),
     .lo = 0.5,
     .hi = 2,
     .def = "1.5"},
    {.name = "label", .kind = SH_KEY_STRING, .offset = offsetof(demo_config, label), .def = "none"},
    {.name = "mode",
     .kind = SH_KEY_CHOICE,
     .offset = offsetof(demo_config, mode),
     .words = DEMO_MODES,
     .hint = "expected slow or fast",
     .def = "slow"},
};
static const sh_config_section DEMO = {"demo", DEMO_KEYS, sizeof DEMO_KEYS / sizeof *DEMO_KEYS,
                                       sizeof(demo_config)};
static const sh_config_section *const DEMO_ONLY[] = {&DEMO, NULL};

static void module_section_is_read_into_its_own_struct(void **state)
{
    fixture *f = *state;
    sh_config_use_sections(DEMO_ONLY);
    sh_config cfg;
    sh_error err;
    if (load_text(f, "[station]\nid = HN-01\n", &cfg, &err) != SH_OK)
        fail_msg("%s", err.msg);
    const demo_config *d = sh_config_values(&cfg, &DEMO);
    assert_non_null(d); /* the defaults, from the table */
    assert_int_equal(d->count, 7);
    assert_true(d->ratio == 1.5);
    assert_string_equal(d->label, "none");
    assert_int_equal(d->mode, 0);
    sh_config_free(&cfg);
    if (load_text(f,
                  "[station]\nid = HN-01\n[demo]\ncount = 9\nratio = 0.5\nlabel = Sổ A\n"
                  "mode = fast\n",
                  &cfg, &err) != SH_OK)
        fail_msg("%s", err.msg);
    d = sh_config_values(&cfg, &DEMO);
    assert_int_equal(d->count, 9);
    assert_true(d->ratio == 0.5);
    assert_string_equal(d->label, "Sổ A");
    assert_int_equal(d->mode, 1);
    sh_config_free(&cfg);
    /* A module can have its defaults without a file. */
    demo_config alone;
    sh_config_section_defaults(&DEMO, &alone);
    assert_int_equal(alone.count, 7);
    assert_string_equal(alone.label, "none");
    sh_config_section_free(&DEMO, &alone);
    assert_null(alone.label);
}

static void unknown_key_of_a_module_section_names_file_line_and_key(void **state)
{
    fixture *f = *state;
    sh_config_use_sections(DEMO_ONLY);
    expect_usage(f, "[station]\nid = HN-01\n[demo]\ncount = 6\nspeed = 1\n", 5, "[demo] speed");
    /* A key of another module's section is not one of this one's. */
    expect_usage(f, "[station]\nid = HN-01\n[demo]\nmin_dpi = 300\n", 4, "[demo] min_dpi");
    expect_usage(f, "[station]\nid = HN-01\n[demo]\ncount = 6\ncount = 7\n", 5, "line 4");
}

static void section_the_program_does_not_list_is_refused(void **state)
{
    fixture *f = *state;
    sh_config_use_sections(DEMO_ONLY);
    expect_usage(f, "[station]\nid = HN-01\n[validate]\nmin_dpi = 300\n", 3, "[validate]");
    expect_usage(f, "[station]\nid = HN-01\n[sign]\n", 3, "the sections are [station], [demo]");
    sh_config cfg;
    sh_error err;
    if (load_text(f, "[station]\nid = HN-01\n[demo]\n", &cfg, &err) != SH_OK)
        fail_msg("%s", err.msg);
    assert_null(vd_config_get(&cfg));
    assert_null(nm_config_get(&cfg));
    /* Naming's rules fall back to its table's defaults. */
    nm_rules r;
    nm_rules_from_config(&r, &cfg);
    assert_int_equal(r.spaces, NM_SPACES_ALLOW);
    assert_string_equal(r.signed_suffix, "_signed");
    sh_config_free(&cfg);
    /* Only [station] before any list is given. */
    sh_config_use_sections(NULL);
    sh_config cfg2;
    assert_int_equal(load_text(f, "[station]\nid = HN-01\n[demo]\n", &cfg2, &err), SH_USAGE);
    sh_config_free(&cfg2);
    assert_true(g_str_has_suffix(err.msg, "the sections are [station]"));
}

static void ranges_and_words_come_from_the_module_table(void **state)
{
    fixture *f = *state;
    sh_config_use_sections(DEMO_ONLY);
    static const struct {
        const char *line, *why;
        bool ok;
    } cases[] = {
        {"count = 5", NULL, true},
        {"count = 9", NULL, true},
        {"count = 4", "expected a whole number from 5 to 9", false},
        {"count = 10", "expected a whole number from 5 to 9", false},
        {"count = 6.5", "expected a whole number from 5 to 9", false},
        {"ratio = 2", NULL, true},
        {"ratio = 0.4", "expected a number from 0.5 to 2", false},
        {"mode = Fast", "expected slow or fast", false},
    };
    int bad = 0;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *text = g_strdup_printf("[station]\nid = HN-01\n[demo]\n%s\n", cases[i].line);
        if (cases[i].ok) {
            sh_config cfg;
            sh_error err;
            if (load_text(f, text, &cfg, &err) != SH_OK) {
                print_error("%s: %s\n", cases[i].line, err.msg);
                bad++;
            }
            sh_config_free(&cfg);
        } else {
            bad += !usage_error(f, text, 4, cases[i].why);
        }
        g_free(text);
    }
    assert_int_equal(bad, 0);
    /* And those of the program's modules from theirs. */
    sh_config_use_sections(cli_config_sections);
    expect_usage(f, "[station]\nid = HN-01\n[validate]\nmin_dpi = 49\n", 4, "from 50 to 2400");
    expect_usage(f, "[station]\nid = HN-01\n[ingest]\nmax_dimension = 99\n", 4,
                 "[ingest] max_dimension = 99: expected a whole number from 100 to");
    expect_usage(f, "[station]\nid = HN-01\n[sign]\nstamp_place = top\n", 4,
                 "expected auto or fixed");
}

static void required_types_are_bounded_by_the_catalog(void **state)
{
    fixture *f = *state;
    char *last = g_strdup_printf("[station]\nid = HN-01\n[validate]\nrequired_types = %d\n",
                                 NM_CATALOG_SIZE);
    char *over = g_strdup_printf("[station]\nid = HN-01\n[validate]\nrequired_types = 2;%d\n",
                                 NM_CATALOG_SIZE + 1);
    char *why = g_strdup_printf("from 1 to %d", NM_CATALOG_SIZE);
    sh_config cfg;
    sh_error err;
    if (load_text(f, last, &cfg, &err) != SH_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(VD(cfg)->n_required_types, 1);
    assert_int_equal(VD(cfg)->required_types[0], NM_CATALOG_SIZE);
    sh_config_free(&cfg);
    expect_usage(f, over, 4, why);
    /* Every type at once fits the struct. */
    GString *all = g_string_new("[station]\nid = HN-01\n[validate]\nrequired_types =");
    for (int t = 1; t <= NM_CATALOG_SIZE; t++)
        g_string_append_printf(all, " %d", t);
    g_string_append_c(all, '\n');
    if (load_text(f, all->str, &cfg, &err) != SH_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(VD(cfg)->n_required_types, NM_CATALOG_SIZE);
    assert_int_equal(VD(cfg)->required_types[NM_CATALOG_SIZE - 1], NM_CATALOG_SIZE);
    sh_config_free(&cfg);
    g_string_free(all, TRUE);
    g_free(why);
    g_free(over);
    g_free(last);
}

/* The sohoa.ini that `sohoa init` writes, to the byte, as it was before the sections moved to
 * their modules: the template is assembled from the tables, comments included. */
static const char INIT_TEXT[] =
    "# sohoa workspace configuration / Cấu hình không gian làm việc sohoa\n"
    "# Every key is described in docs/configuration.md.\n"
    "# Mỗi khóa được mô tả trong docs/configuration.md.\n"
    "\n"
    "[station]\n"
    "# Scan station ID, recorded with every action / Mã trạm số hóa, ghi kèm mọi thao tác\n"
    "id = HN-XA-01\n"
    "# Default operator; --operator overrides it / Người thao tác mặc định; --operator thay thế\n"
    "operator = Nguyễn Văn A\n"
    "# true: no network here, packages leave on a medium (sohoa export) / true: trạm không nối "
    "mạng, gói dữ liệu chuyển bằng thiết bị lưu trữ\n"
    "airgapped = false\n"
    "\n"
    "[naming]\n"
    "# Spaces in document names (Phụ lục 2): allow | forbid / Dấu cách trong tên tài liệu\n"
    "spaces = allow\n"
    "# Suffix of signed files: _signed | .signed / Hậu tố tệp đã ký\n"
    "signed_suffix = _signed\n"
    "\n"
    "[ingest]\n"
    "# Largest page image accepted: pixels a side, millions of pixels / Kích thước ảnh tối đa\n"
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
    "# Stamp place in the top-right corner: auto (where it covers the least print) | fixed / Vị "
    "trí dấu ở góc trên bên phải: auto (chỗ che ít chữ nhất) | fixed\n"
    "stamp_place = auto\n"
    "\n"
    "[upload]\n"
    "# Receiving service address / Địa chỉ máy chủ nhận dữ liệu\n"
    "endpoint =\n"
    "# Where pack writes packages, inside the workspace / Thư mục chứa gói dữ liệu\n"
    "package_dir = packages\n"
    "# Receiver's certificate (PEM), packages are encrypted for it / Chứng thư của bên nhận\n"
    "receiver_cert =\n"
    "# Largest volume of a package, in MiB / Dung lượng tối đa của một tệp gói (MiB)\n"
    "max_volume_mb = 1024\n"
    "# The receiver's TLS CA (PEM); HTTPS is required except to this machine / Chứng thư gốc TLS "
    "của máy chủ nhận\n"
    "ca_file =\n"
    "# Client certificate (PEM) for mutual TLS, if the receiver asks / Chứng thư máy khách cho TLS "
    "hai chiều\n"
    "client_cert =\n"
    "client_key =\n"
    "# CA (PEM) of the key that signs the receiver's receipts / Chứng thư gốc của khoá ký biên "
    "nhận\n"
    "receiver_trust =\n"
    "# Upload speed limit in KiB/s, 0 for none / Giới hạn tốc độ gửi (KiB/s), 0: không giới hạn\n"
    "rate_limit = 0\n"
    "# Bytes per request in KiB: at most this is sent again after a failure / Kích thước mỗi lần "
    "gửi (KiB)\n"
    "chunk_size = 8192\n"
    "# Seconds without progress before a connection is dropped and resumed / Số giây không có tiến "
    "triển trước khi kết nối lại\n"
    "stall_seconds = 60\n"
    "# Seconds of failures in a row before upload stops; the next run resumes / Số giây lỗi liên "
    "tiếp trước khi dừng\n"
    "give_up_after = 900\n"
    "\n"
    "[receive]\n"
    "# The receiving organisation's key (PKCS#12), for receive / Khoá của đơn vị nhận\n"
    "pkcs12 =\n"
    "# Environment variable holding its passphrase / Biến môi trường chứa mật khẩu\n"
    "pin_env =\n"
    "pin_file =\n"
    "# CA certificates of the senders (PEM) / Chứng thư gốc tin cậy của bên gửi\n"
    "trust =\n"
    "# Where accepted packages are extracted / Nơi giải nén các gói được chấp nhận\n"
    "into =\n"
    "\n"
    "[report]\n"
    "# A deadline this many working days away is due soon / Số ngày làm việc trước hạn được coi "
    "là sắp đến hạn\n"
    "due_soon_days = 5\n"
    "# Working days of the week / Các ngày làm việc trong tuần\n"
    "working_days = mon,tue,wed,thu,fri\n"
    "# Days off, YYYY-MM-DD separated by ; / Các ngày nghỉ lễ (YYYY-MM-DD, cách nhau bởi ;)\n"
    "holidays =\n"
    "# A station with no snapshot for this many days is flagged / Số ngày không có số liệu thì "
    "trạm bị đánh dấu\n"
    "stale_days = 7\n"
    "# Counts below this are not shown (0: all shown) / Số liệu nhỏ hơn mức này được ẩn\n"
    "min_cell = 0\n";

static void template_is_assembled_from_the_sections(void **state)
{
    (void)state;
    char *text = sh_config_template("HN-XA-01", "Nguyễn Văn A");
    assert_string_equal(text, INIT_TEXT);
    g_free(text);
    sh_config_use_sections(DEMO_ONLY);
    text = sh_config_template("HN-XA-01", NULL);
    test_assert_contains(text, "airgapped = false\n\n[demo]\n# How many\ncount = 7\nratio = 1.5\n"
                               "label = none\nmode = slow\n");
    assert_null(strstr(text, "[validate]"));
    g_free(text);
}

/* ---- files that cannot be read ---- */

static char *padded_config(size_t size)
{
    const char *head = "[station]\nid = HN-01\n";
    char *text = malloc(size + 1);
    assert_non_null(text);
    memset(text, '#', size);
    memcpy(text, head, strlen(head));
    /* Comment lines of 64 bytes up to the end. */
    for (size_t i = strlen(head) + 63; i < size; i += 64)
        text[i] = '\n';
    text[size - 1] = '\n';
    text[size] = '\0';
    return text;
}

static void file_of_exactly_1_mib_is_read(void **state)
{
    fixture *f = *state;
    char *text = padded_config(MIB);
    sh_config cfg;
    sh_error err;
    sh_status st = load_text(f, text, &cfg, &err);
    free(text);
    if (st != SH_OK)
        fail_msg("%s", err.msg);
    assert_string_equal(cfg.station_id, "HN-01");
    sh_config_free(&cfg);
}

static void file_over_1_mib_is_refused(void **state)
{
    fixture *f = *state;
    char *text = padded_config(MIB + 1);
    sh_config cfg;
    sh_error err;
    sh_status st = load_text(f, text, &cfg, &err);
    free(text);
    sh_config_free(&cfg);
    assert_int_equal(st, SH_INPUT);
    test_assert_contains(err.msg, f->ini);
}

static void missing_or_unreadable_file_is_input_error(void **state)
{
    fixture *f = *state;
    sh_config cfg;
    sh_error err;
    char *missing = test_path(f->dir, "nope.ini");
    sh_config_defaults(&cfg);
    assert_int_equal(sh_config_load(missing, &cfg, &err), SH_INPUT);
    test_assert_contains(err.msg, missing);
    sh_config_free(&cfg);
    g_free(missing);
    /* A folder where the file should be (chmod 000 does not stop root). */
    sh_config_defaults(&cfg);
    assert_int_equal(sh_config_load(f->dir, &cfg, &err), SH_INPUT);
    test_assert_contains(err.msg, f->dir);
    sh_config_free(&cfg);
}

/* ---- station ID and operator name checks ---- */

static void station_id_check_table(void **state)
{
    (void)state;
    char *max = g_strnfill(64, 'A'), *over = g_strnfill(65, 'A');
    const struct {
        const char *id;
        bool ok;
    } cases[] = {
        {"HN-01", true},    {"HN-XA-01", true}, {"st.2_b", true},  {"7", true},
        {max, true},        {NULL, false},      {"", false},       {over, false},
        {"HN 01", false},   {"HN/01", false},   {"HN\\01", false}, {"Hà-Nội", false},
        {"HN-01\n", false}, {" HN-01", false},  {"HN:01", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        sh_error err;
        sh_status st = sh_check_station_id(cases[i].id, &err);
        if ((st == SH_OK) != cases[i].ok)
            fail_msg("station ID \"%s\": expected %s, got %d", cases[i].id ? cases[i].id : "NULL",
                     cases[i].ok ? "accepted" : "refused", st);
        if (!cases[i].ok) {
            assert_int_equal(st, SH_USAGE);
            assert_true(strlen(err.msg) > 0);
        }
    }
    g_free(max);
    g_free(over);
}

static void operator_name_check_table(void **state)
{
    (void)state;
    char *nfd = g_utf8_normalize("Nguyễn Văn A", -1, G_NORMALIZE_NFD);
    assert_string_not_equal(nfd, "Nguyễn Văn A"); /* really decomposed */
    char *ascii128 = g_strnfill(128, 'A'), *ascii129 = g_strnfill(129, 'A');
    GString *e42 = g_string_new(NULL), *e43 = g_string_new(NULL); /* "ễ" is 3 bytes */
    for (int i = 0; i < 42; i++)
        g_string_append(e42, "ễ");
    g_string_append(e43, e42->str);
    g_string_append(e43, "ễ");
    assert_int_equal(e42->len, 126);
    assert_int_equal(e43->len, 129);
    const struct {
        const char *name;
        bool ok;
    } cases[] = {
        {"Nguyễn Văn A", true},
        {"Trần Thị Bích Ngọc", true},
        {"Đặng Thu Thảo", true},
        {"Lê Văn Tám 2", true},
        {nfd, true},
        {ascii128, true},
        {e42->str, true},
        {NULL, false},
        {"", false},
        {" Nguyễn Văn A", false},
        {"Nguyễn Văn A ", false},
        {"\tNguyễn Văn A", false},
        {"Nguyễn Văn A\n", false},
        {"Nguyễn Văn A\xc2\xa0", false}, /* trailing no-break space, as pasted from a web page */
        {"\xc2\xa0Nguyễn Văn A", false},
        {"12345", false},
        {"123 456", false},
        {"---", false},
        {"Nguyễn\nVăn A", false},
        {"Nguyễn\x01Văn A", false},
        {"Nguyễn\\Văn A", false},
        {ascii129, false},
        {e43->str, false},
        {"Nguy\xe1n", false},
    };
    int bad = 0;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        sh_error err;
        sh_status st = sh_check_operator_name(cases[i].name, &err);
        if (st != (cases[i].ok ? SH_OK : SH_USAGE) || (st != SH_OK && !*err.msg)) {
            print_error("operator name case %zu \"%s\": expected %s, got %d\n", i,
                        cases[i].name ? cases[i].name : "NULL",
                        cases[i].ok ? "accepted" : "refused", st);
            bad++;
        }
    }
    g_string_free(e42, TRUE);
    g_string_free(e43, TRUE);
    g_free(ascii128);
    g_free(ascii129);
    g_free(nfd);
    assert_int_equal(bad, 0);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(template_loads_back_with_its_values_and_all_defaults),
        T(template_without_operator_loads_with_no_operator),
        T(every_key_is_read_into_its_field),
        T(keys_left_out_keep_their_defaults),
        T(required_types_accepts_semicolons_commas_spaces_and_empty),
        T(empty_operator_means_no_operator),
        T(comments_and_blank_lines_are_ignored),
        T(unknown_key_names_file_line_and_key),
        T(unknown_section_names_file_line_and_section),
        T(bad_values_name_file_line_and_key),
        T(key_set_twice_names_both_lines),
        T(key_before_any_section_is_refused),
        T(line_without_equals_is_refused),
        T(missing_station_id_is_refused),
        T(bad_station_id_is_refused),
        T(operator_with_control_character_is_refused),
        T(non_utf8_file_is_refused),
        T(module_section_is_read_into_its_own_struct),
        T(unknown_key_of_a_module_section_names_file_line_and_key),
        T(section_the_program_does_not_list_is_refused),
        T(ranges_and_words_come_from_the_module_table),
        T(required_types_are_bounded_by_the_catalog),
        T(template_is_assembled_from_the_sections),
        T(file_of_exactly_1_mib_is_read),
        T(file_over_1_mib_is_refused),
        T(missing_or_unreadable_file_is_input_error),
        cmocka_unit_test(station_id_check_table),
        cmocka_unit_test(operator_name_check_table),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
