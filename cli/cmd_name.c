/* sohoa name suggest|folder: canonical names by Phụ lục 2. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>

#include "naming/naming.h"

#define MAX_CANDIDATES 8

static void print_help(void)
{
    printf(_("Usage: sohoa name suggest TITLE-OR-STT [--seq N] [--signed]\n"
             "       sohoa name folder --org CODE --cccd NUMBER --name \"Họ và tên\"\n"
             "\n"
             "  suggest            the file name of a document type, from its STT or its title\n"
             "                     (with or without diacritics, abbreviated, with typos);\n"
             "                     an unclear title lists the closest types\n"
             "  --seq N            the SoThuTu, when the dossier holds several of that type\n"
             "  --signed           the name of the signed file\n"
             "  folder             the dossier folder: organisation code / CCCD_Name, each\n"
             "                     part checked\n"));
}

/* One problem with a name part: finding code, severity and message, printed or put in JSON. */
typedef struct {
    const char *code;
    bool error;
    char message[512];
} name_finding;

typedef struct {
    name_finding items[8];
    int n;
} name_findings;

static void add_finding(name_findings *f, const char *code, bool error, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void add_finding(name_findings *f, const char *code, bool error, const char *fmt, ...)
{
    if (f->n == (int)G_N_ELEMENTS(f->items))
        return;
    name_finding *x = &f->items[f->n++];
    x->code = code;
    x->error = error;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->message, sizeof x->message, fmt, ap);
    va_end(ap);
}

static bool any_error(const name_findings *f)
{
    for (int i = 0; i < f->n; i++)
        if (f->items[i].error)
            return true;
    return false;
}

static void put_findings(sh_json *j, const name_findings *f)
{
    sh_json_key(j, "findings");
    sh_json_begin_array(j);
    for (int i = 0; i < f->n; i++) {
        sh_json_begin_object(j);
        sh_json_key(j, "code");
        sh_json_string(j, f->items[i].code);
        sh_json_key(j, "severity");
        sh_json_string(j, f->items[i].error ? "error" : "warning");
        sh_json_key(j, "message");
        sh_json_string(j, f->items[i].message);
        sh_json_end_object(j);
    }
    sh_json_end_array(j);
}

static void print_findings(const name_findings *f)
{
    for (int i = 0; i < f->n; i++)
        fprintf(stderr, "%s %s: %s\n", f->items[i].error ? _("error") : _("warning"),
                f->items[i].code, f->items[i].message);
}

/* ---- suggest ---- */

static const char *signed_suffix(const cli_globals *g)
{
    /* Inside a workspace its [naming] signed_suffix applies; elsewhere the default. */
    static char suffix[16] = "_signed";
    sh_workspace ws;
    if (sh_workspace_open(g->workspace, NULL, g->config, &ws, NULL) == SH_OK) {
        g_strlcpy(suffix, ws.config.signed_suffix, sizeof suffix);
        sh_workspace_close(&ws);
    }
    return suffix;
}

static int suggest(const cli_globals *g, int nargs, char **args, const char *seq_text,
                   bool is_signed, sh_error *err)
{
    if (nargs == 0)
        return sh_fail(err, SH_USAGE, _("name suggest: give a document title or its STT"));
    int seq = 0;
    if (seq_text) {
        char *end;
        long v = strtol(seq_text, &end, 10);
        if (*end || v < 1 || v > 999)
            return sh_fail(err, SH_USAGE, _("name suggest: --seq takes a number from 1 to 999"));
        seq = (int)v;
    }
    /* Unquoted words are one title: sohoa name suggest Ly lich dang vien */
    char *title = g_strjoinv(" ", args);
    nm_match m[MAX_CANDIDATES];
    size_t n = nm_match_title(title, m, MAX_CANDIDATES);
    bool clear = nm_match_is_clear(m, n);
    int status = clear ? SH_OK : SH_FINDINGS;
    char *file = clear ? nm_file_name(m[0].type, seq, is_signed ? signed_suffix(g) : NULL) : NULL;
    if (g->json) {
        sh_json *j = sh_json_new();
        sh_json_begin_object(j);
        sh_json_key(j, "file");
        sh_json_string(j, file);
        sh_json_key(j, "candidates");
        sh_json_begin_array(j);
        for (size_t i = 0; i < (clear ? 1 : n); i++) {
            sh_json_begin_object(j);
            sh_json_key(j, "stt");
            sh_json_int(j, m[i].type->stt);
            sh_json_key(j, "name");
            sh_json_string(j, m[i].type->name_ascii);
            sh_json_key(j, "name_vi");
            sh_json_string(j, m[i].type->name_vi);
            sh_json_key(j, "score");
            sh_json_double(j, (double)(int)(m[i].score * 1000) / 1000);
            sh_json_end_object(j);
        }
        sh_json_end_array(j);
        sh_json_end_object(j);
        status = cli_print_json(j, status);
        sh_json_free(j);
    } else if (clear) {
        printf("%s\n", file);
        if (m[0].score < 1.0)
            sh_info(_("taken as type %d: %s"), m[0].type->stt, m[0].type->name_vi);
    } else if (n == 0) {
        fprintf(stderr, _("sohoa: no document type matches \"%s\"; \"sohoa catalog\" lists them\n"),
                title);
    } else {
        fprintf(stderr, _("sohoa: \"%s\" could be several types; give the STT or more words:\n"),
                title);
        for (size_t i = 0; i < n && m[i].score >= m[0].score - 0.15; i++) {
            char *name = nm_file_name(m[i].type, seq, NULL);
            printf("%s\t%s\n", name, m[i].type->name_vi);
            g_free(name);
        }
    }
    g_free(file);
    g_free(title);
    return status;
}

/* ---- folder ---- */

static int current_year(void)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    return tm.tm_year + 1900;
}

static void check_cccd(const char *cccd, name_findings *f)
{
    int year = 0;
    switch (nm_cccd_check(cccd, current_year(), &year)) {
    case NM_CCCD_OK:
        break;
    case NM_CCCD_FORMAT:
        add_finding(f, "name.cccd", true, _("CCCD \"%s\" must be exactly 12 digits"), cccd);
        break;
    case NM_CCCD_PROVINCE:
        add_finding(f, "name.cccd", true,
                    _("CCCD %s: its first three digits %.3s are not a provincial code (001 Hà "
                      "Nội … 096 Cà Mau); check the number on the card"),
                    cccd, cccd);
        break;
    case NM_CCCD_IMPLAUSIBLE_AGE:
        add_finding(f, "name.cccd", false,
                    _("CCCD %s: digits 4-6 give the year of birth %d, unlikely for a Party "
                      "member; check the number on the card"),
                    cccd, year);
        break;
    }
}

static int folder(const cli_globals *g, const char *org, const char *cccd, const char *person,
                  sh_error *err)
{
    if (!org || !cccd || !person)
        return sh_fail(err, SH_USAGE,
                       _("name folder: give --org CODE, --cccd NUMBER and --name \"Họ và tên\""));
    name_findings f = {0};
    if (!nm_org_code_valid(org))
        add_finding(&f, "name.folder", true,
                    _("organisation code \"%s\" must be five groups of 2, 3, 3, 3 and 3 digits, "
                      "like 93.000.036.001.015 (000 where a level does not exist)"),
                    org);
    check_cccd(cccd, &f);
    char *ascii_name = nm_person_name(person);
    if (!ascii_name)
        add_finding(&f, "name.person", true,
                    _("name \"%s\" must be letters and spaces only (a person's full name)"),
                    person);
    else if (!nm_person_part_valid(ascii_name))
        add_finding(&f, "name.person", true,
                    _("name \"%s\" must be the full name, at least two words (Họ và tên)"), person);
    bool failed = any_error(&f);
    char *path = failed ? NULL : g_strdup_printf("%s/%s_%s", org, cccd, ascii_name);
    int status = failed ? SH_FINDINGS : SH_OK;
    if (g->json) {
        sh_json *j = sh_json_new();
        sh_json_begin_object(j);
        sh_json_key(j, "folder");
        sh_json_string(j, path);
        put_findings(j, &f);
        sh_json_end_object(j);
        status = cli_print_json(j, status);
        sh_json_free(j);
    } else {
        print_findings(&f);
        if (path)
            printf("%s\n", path);
    }
    g_free(path);
    g_free(ascii_name);
    return status;
}

int cmd_name(const cli_globals *g, int argc, char **argv)
{
    if (g->help) {
        print_help();
        return SH_OK;
    }
    const char *seq = NULL, *org = NULL, *cccd = NULL, *person = NULL;
    bool is_signed = false;
    const cli_opt opts[] = {
        {"--seq", &seq, NULL},   {"--signed", NULL, &is_signed}, {"--org", &org, NULL},
        {"--cccd", &cccd, NULL}, {"--name", &person, NULL},      {NULL, NULL, NULL},
    };
    sh_error err;
    sh_error_clear(&err);
    char **args = NULL;
    int nargs = 0;
    if (cli_parse(argc, argv, opts, false, "name", &args, &nargs, &err) != SH_OK)
        return cli_report(&err);
    const char *verb = nargs > 0 ? args[0] : "";
    int status;
    if (strcmp(verb, "suggest") == 0 && !org && !cccd && !person)
        status = suggest(g, nargs - 1, args + 1, seq, is_signed, &err);
    else if (strcmp(verb, "folder") == 0 && nargs == 1 && !seq && !is_signed)
        status = folder(g, org, cccd, person, &err);
    else
        status = sh_fail(&err, SH_USAGE,
                         _("name: expected \"suggest TITLE-OR-STT [--seq N] [--signed]\" or "
                           "\"folder --org CODE --cccd NUMBER --name NAME\"; see \"sohoa name "
                           "--help\""));
    if (err.status != SH_OK)
        status = cli_report(&err);
    g_free(args);
    return status;
}
