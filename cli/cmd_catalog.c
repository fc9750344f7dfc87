/* sohoa catalog [--priority N]: the 104 document types of Phụ lục 1. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "naming/naming.h"

static void print_help(void)
{
    printf(_("Usage: sohoa catalog [--priority N] [--json]\n"
             "\n"
             "List the 104 document types of Phụ lục 1: STT, the name used in file names,\n"
             "priority (1 needed right after digitisation, 2 for cross-checks, 3 kept for\n"
             "the record) and the official Vietnamese name.\n"
             "\n"
             "  --priority N       only the types of priority N (1, 2 or 3)\n"));
}

static void put_aliases(sh_json *j, const char *aliases)
{
    sh_json_begin_array(j);
    char **list = g_strsplit(aliases, "|", -1);
    for (char **a = list; *a; a++)
        if (**a)
            sh_json_string(j, *a);
    g_strfreev(list);
    sh_json_end_array(j);
}

int cmd_catalog(const cli_globals *g, int argc, char **argv)
{
    if (g->help) {
        print_help();
        return SH_OK;
    }
    const char *priority_text = NULL;
    const cli_opt opts[] = {{"--priority", &priority_text, NULL}, {NULL, NULL, NULL}};
    sh_error err;
    sh_error_clear(&err);
    char **args = NULL;
    int nargs = 0;
    if (cli_parse(argc, argv, opts, false, "catalog", &args, &nargs, &err) != SH_OK)
        return cli_report(&err);
    g_free(args);
    if (nargs > 0) {
        sh_fail(&err, SH_USAGE, _("catalog takes only options, no other arguments"));
        return cli_report(&err);
    }
    int priority = 0;
    if (priority_text) {
        if (strlen(priority_text) != 1 || priority_text[0] < '1' || priority_text[0] > '3') {
            sh_fail(&err, SH_USAGE, _("catalog: --priority takes 1, 2 or 3"));
            return cli_report(&err);
        }
        priority = priority_text[0] - '0';
    }
    const nm_doc_type *types = nm_catalog();
    int width = 0;
    for (int i = 0; i < NM_CATALOG_SIZE; i++)
        if (!priority || types[i].priority == priority)
            width = MAX(width, (int)strlen(types[i].name_ascii));
    sh_json *j = g->json ? sh_json_new() : NULL;
    if (j) {
        sh_json_begin_object(j);
        sh_json_key(j, "types");
        sh_json_begin_array(j);
    }
    int count = 0;
    for (int i = 0; i < NM_CATALOG_SIZE; i++) {
        const nm_doc_type *t = &types[i];
        if (priority && t->priority != priority)
            continue;
        count++;
        if (j) {
            sh_json_begin_object(j);
            sh_json_key(j, "stt");
            sh_json_int(j, t->stt);
            sh_json_key(j, "name");
            sh_json_string(j, t->name_ascii);
            sh_json_key(j, "priority");
            sh_json_int(j, t->priority);
            sh_json_key(j, "name_vi");
            sh_json_string(j, t->name_vi);
            sh_json_key(j, "aliases");
            put_aliases(j, t->aliases);
            sh_json_end_object(j);
        } else {
            char stt[4];
            nm_stt_text(t->stt, stt);
            printf("%-3s  %-*s  %d  %s\n", stt, width, t->name_ascii, t->priority, t->name_vi);
        }
    }
    if (!j)
        return SH_OK;
    sh_json_end_array(j);
    sh_json_key(j, "count");
    sh_json_int(j, count);
    sh_json_end_object(j);
    int status = cli_print_json(j, SH_OK);
    sh_json_free(j);
    return status;
}
