/* sohoa name suggest|folder: canonical names by Phụ lục 2. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>

#include "naming/naming.h"

#define MAX_CANDIDATES 8

enum { O_SEQ, O_SIGNED, O_ORG, O_CCCD, O_NAME, O_APPLY, O_UNDO };

static const cli_option OPTIONS[] = {
    [O_SEQ] = {"seq", 0, CLI_INT, N_("N"),
               N_("with suggest: the SoThuTu, when the dossier holds several of that type"), 1,
               NM_SEQ_MAX},
    [O_SIGNED] = {"signed", 0, CLI_FLAG, NULL, N_("with suggest: the name of the signed file")},
    [O_ORG] = {"org", 0, CLI_STRING, N_("CODE"), N_("with folder: the organisation code")},
    [O_CCCD] = {"cccd", 0, CLI_STRING, N_("NUMBER"),
                N_("with folder: the member's key: the 12-digit CCCD, or without one the CMND's 9 "
                   "digits or the passport number")},
    [O_NAME] = {"name", 0, CLI_STRING, N_("\"Họ và tên\""),
                N_("with folder: the member's full name, with diacritics")},
    [O_APPLY] = {"apply", 0, CLI_FLAG, NULL,
                 N_("with fix: rename, never over an existing file, with a journal in "
                    ".sohoa/journals and an audit entry")},
    [O_UNDO] = {"undo", 0, CLI_FILE, N_("JOURNAL"),
                N_("with fix: give back the old names of a journal's renames")},
    {0},
};

static const cli_item VERBS[] = {
    {"check", N_("PATH..."),
     N_("check every folder and file name under each PATH (a workspace, a folder of "
        "organisation folders, an organisation folder, a dossier folder or a file); each "
        "problem with its code and the name it should have; exit 1 when there is an error")},
    {"suggest", N_("TITLE-OR-STT"),
     N_("the file name of a document type, from its STT or its title (with or without "
        "diacritics, abbreviated, with typos); an unclear title lists the closest types")},
    {"folder", NULL, N_("the dossier folder: organisation code / CCCD_Name, each part checked")},
    {"fix", N_("PATH"),
     N_("plan the renames that make near-miss names right (diacritics, .PDF, padding, spaces, "
        "misspelt type names); nothing is renamed without --apply")},
    {0},
};

static int run_name(const cli_globals *g, const cli_value *opt, int nargs, char **args);

const cli_command cli_cmd_name = {
    .name = "name",
    .summary = N_("canonical file and folder names (Phụ lục 2)"),
    .usage = N_("sohoa name check PATH...\n"
                "sohoa name suggest TITLE-OR-STT [--seq N] [--signed]\n"
                "sohoa name folder --org CODE --cccd NUMBER --name \"Họ và tên\"\n"
                "sohoa name fix PATH [--apply]\n"
                "sohoa name fix --undo JOURNAL"),
    .verbs = VERBS,
    .options = OPTIONS,
    .notes = N_("Inside a workspace its [naming] settings apply (spaces, signed_suffix)."),
    .run = run_name,
};

/* ---- suggest ---- */

static void put_candidate(sh_json *j, const nm_match *m)
{
    sh_json_begin_object(j);
    sh_json_kv_int(j, "stt", m->type->stt);
    sh_json_kv_str(j, "name", m->type->name_ascii);
    sh_json_kv_str(j, "name_vi", m->type->name_vi);
    sh_json_kv_double(j, "score", (double)(int)(m->score * 1000) / 1000);
    sh_json_end_object(j);
}

static int suggest(const cli_globals *g, int nargs, char **args, int seq, bool is_signed,
                   sh_error *err)
{
    if (nargs == 0)
        return cli_usage(err, "name suggest", _("give a document title or its STT"));
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
    cli_out o;
    cli_out_open(&o, g);
    if (o.json) {
        sh_json_kv_str(o.json, "file", file);
        sh_json_kv_array(o.json, "candidates");
        for (size_t i = 0; i < (clear ? 1 : n); i++)
            put_candidate(o.json, &m[i]);
        sh_json_end_array(o.json);
    } else if (clear) {
        cli_say(&o, CLI_RESULT, "%s\n", file);
        if (m[0].score < 1.0)
            sh_info(_("taken as type %d: %s"), m[0].type->stt, m[0].type->name_vi);
    } else if (n == 0) {
        cli_say_err(_("sohoa: no document type matches \"%s\"; \"sohoa catalog\" lists them\n"),
                    title);
    } else {
        cli_say_err(_("sohoa: \"%s\" could be several types; give the STT or more words:\n"),
                    title);
        for (size_t i = 0; i < n && m[i].score >= m[0].score - 0.15; i++) {
            char *name = nm_file_name(m[i].type, seq, NULL);
            cli_say(&o, CLI_RESULT, "%s\t%s\n", name, m[i].type->name_vi);
            g_free(name);
        }
    }
    g_free(file);
    g_free(title);
    return cli_out_close(&o, status);
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
    cli_out o;
    cli_out_open(&o, g);
    if (o.json)
        sh_json_kv_array(o.json, "findings");
    char *path = nm_dossier_folder(org, cccd, person, &rules, cli_finding_err, &o);
    if (o.json) {
        sh_json_end_array(o.json);
        sh_json_kv_str(o.json, "folder", path);
    } else if (path) {
        cli_say(&o, CLI_RESULT, "%s\n", path);
    }
    int status = cli_out_close(&o, path ? SH_OK : SH_FINDINGS);
    g_free(path);
    return status;
}

static int run_name(const cli_globals *g, const cli_value *opt, int nargs, char **args)
{
    const char *org = opt[O_ORG].text, *cccd = opt[O_CCCD].text, *person = opt[O_NAME].text;
    const char *undo = opt[O_UNDO].text;
    bool is_signed = opt[O_SIGNED].count > 0, apply = opt[O_APPLY].count > 0;
    int seq = (int)opt[O_SEQ].num;
    sh_error err;
    sh_error_clear(&err);
    const char *verb = nargs > 0 ? args[0] : "";
    bool folder_opts = org || cccd || person, suggest_opts = opt[O_SEQ].count || is_signed;
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
        status = cli_usage(&err, "name",
                           _("expected \"check PATH...\", \"suggest TITLE-OR-STT [--seq N] "
                             "[--signed]\", \"folder --org CODE --cccd NUMBER --name NAME\", "
                             "\"fix PATH [--apply]\" or \"fix --undo JOURNAL\"; see \"sohoa help "
                             "name\""));
    if (err.status != SH_OK)
        status = cli_report(&err);
    g_free(args);
    return status;
}
