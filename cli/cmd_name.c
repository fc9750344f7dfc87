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
    printf(_("Usage: sohoa name check PATH...\n"
             "       sohoa name suggest TITLE-OR-STT [--seq N] [--signed]\n"
             "       sohoa name folder --org CODE --cccd NUMBER --name \"Họ và tên\"\n"
             "       sohoa name fix PATH [--apply]\n"
             "       sohoa name fix --undo JOURNAL\n"
             "\n"
             "  check              check every folder and file name under each PATH (a\n"
             "                     workspace, a folder of organisation folders, an\n"
             "                     organisation folder, a dossier folder or a file); each\n"
             "                     problem with its code and the name it should have;\n"
             "                     exit 1 when there is an error\n"
             "  suggest            the file name of a document type, from its STT or its title\n"
             "                     (with or without diacritics, abbreviated, with typos);\n"
             "                     an unclear title lists the closest types\n"
             "  --seq N            the SoThuTu, when the dossier holds several of that type\n"
             "  --signed           the name of the signed file\n"
             "  folder             the dossier folder: organisation code / CCCD_Name, each\n"
             "                     part checked\n"
             "  fix                plan the renames that make near-miss names right\n"
             "                     (diacritics, .PDF, padding, spaces, misspelt type names);\n"
             "                     nothing is renamed without --apply\n"
             "  --apply            rename, never over an existing file, with a journal in\n"
             "                     .sohoa/journals and an audit entry\n"
             "  --undo JOURNAL     give back the old names of a journal's renames\n"
             "\n"
             "Inside a workspace its [naming] settings apply (spaces, signed_suffix).\n"));
}

/* ---- suggest ---- */

static int suggest(const cli_globals *g, int nargs, char **args, const char *seq_text,
                   bool is_signed, sh_error *err)
{
    if (nargs == 0)
        return sh_fail(err, SH_USAGE, _("name suggest: give a document title or its STT"));
    int seq = 0;
    if (seq_text) {
        char *end;
        long v = strtol(seq_text, &end, 10);
        if (*end || v < 1 || v > NM_SEQ_MAX)
            return sh_fail(err, SH_USAGE, _("name suggest: --seq takes a number from 1 to 999"));
        seq = (int)v;
    }
    /* Unquoted words are one title: sohoa name suggest Ly lich dang vien */
    char *title = g_strjoinv(" ", args);
    nm_match m[MAX_CANDIDATES];
    size_t n = nm_match_title(title, m, MAX_CANDIDATES);
    bool clear = nm_match_is_clear(m, n);
    int status = clear ? SH_OK : SH_FINDINGS;
    char *file = NULL;
    if (clear) {
        sh_workspace ws;
        nm_rules rules;
        if (cli_naming_rules(g, NULL, &ws, &rules, err) != SH_OK) {
            g_free(title);
            return err->status;
        }
        nm_file_id id = {m[0].type, seq, is_signed};
        file = nm_canonical_file_name(&id, &rules);
        sh_workspace_close(&ws);
    }
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

static int folder(const cli_globals *g, const char *org, const char *cccd, const char *person,
                  sh_error *err)
{
    if (!org || !cccd || !person)
        return sh_fail(err, SH_USAGE,
                       _("name folder: give --org CODE, --cccd NUMBER and --name \"Họ và tên\""));
    nm_rules rules;
    nm_rules_default(&rules);
    sh_json *j = g->json ? sh_json_new() : NULL;
    if (j) {
        sh_json_begin_object(j);
        sh_json_key(j, "findings");
        sh_json_begin_array(j);
    }
    char *path = nm_dossier_folder(org, cccd, person, &rules, cli_finding_err, j);
    int status = path ? SH_OK : SH_FINDINGS;
    if (j) {
        sh_json_end_array(j);
        sh_json_key(j, "folder");
        sh_json_string(j, path);
        sh_json_end_object(j);
        status = cli_print_json(j, status);
        sh_json_free(j);
    } else if (path) {
        printf("%s\n", path);
    }
    g_free(path);
    return status;
}

int cmd_name(const cli_globals *g, int argc, char **argv)
{
    if (g->help) {
        print_help();
        return SH_OK;
    }
    const char *seq = NULL, *org = NULL, *cccd = NULL, *person = NULL, *undo = NULL;
    bool is_signed = false, apply = false;
    const cli_opt opts[] = {
        {"--seq", &seq, NULL},     {"--signed", NULL, &is_signed},
        {"--org", &org, NULL},     {"--cccd", &cccd, NULL},
        {"--name", &person, NULL}, {"--apply", NULL, &apply},
        {"--undo", &undo, NULL},   {NULL, NULL, NULL},
    };
    sh_error err;
    sh_error_clear(&err);
    char **args = NULL;
    int nargs = 0;
    if (cli_parse(argc, argv, opts, false, "name", &args, &nargs, &err) != SH_OK)
        return cli_report(&err);
    const char *verb = nargs > 0 ? args[0] : "";
    bool folder_opts = org || cccd || person, suggest_opts = seq || is_signed;
    bool fix_opts = apply || undo;
    int status;
    if (strcmp(verb, "check") == 0 && nargs > 1 && !folder_opts && !suggest_opts && !fix_opts)
        status = name_check(g, nargs - 1, args + 1);
    else if (strcmp(verb, "suggest") == 0 && !folder_opts && !fix_opts)
        status = suggest(g, nargs - 1, args + 1, seq, is_signed, &err);
    else if (strcmp(verb, "folder") == 0 && nargs == 1 && !suggest_opts && !fix_opts)
        status = folder(g, org, cccd, person, &err);
    else if (strcmp(verb, "fix") == 0 && !folder_opts && !suggest_opts &&
             (undo ? nargs == 1 && !apply : nargs == 2))
        status = name_fix(g, undo ? NULL : args[1], apply, undo, &err);
    else
        status = sh_fail(&err, SH_USAGE,
                         _("name: expected \"check PATH...\", \"suggest TITLE-OR-STT [--seq N] "
                           "[--signed]\", \"folder --org CODE --cccd NUMBER --name NAME\", "
                           "\"fix PATH [--apply]\" or \"fix --undo JOURNAL\"; see \"sohoa name "
                           "--help\""));
    if (err.status != SH_OK)
        status = cli_report(&err);
    g_free(args);
    return status;
}
