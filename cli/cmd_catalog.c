/* sohoa catalog [--priority N]: the 104 document types of Phụ lục 1. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "naming/naming.h"

enum { O_PRIORITY, O_JSON };

static const cli_option OPTIONS[] = {
    [O_PRIORITY] = {"priority", 0, CLI_INT, N_("N"), N_("only the types of priority N (1, 2 or 3)"),
                    1, 3},
    [O_JSON] = {"json", 0, CLI_FLAG, NULL, N_("print the results as one JSON document"),
                .flags = CLI_GLOBAL},
    {0},
};

static int run_catalog(const cli_globals *g, const cli_value *opt, int nargs, char **args);

const cli_command cli_cmd_catalog = {
    .name = "catalog",
    .summary = N_("the 104 document types of Phụ lục 1"),
    .usage = N_("sohoa catalog [--priority N] [--json]"),
    .description = N_("List the 104 document types of Phụ lục 1: STT, the name used in file names, "
                      "priority (1 needed right after digitisation, 2 for cross-checks, 3 kept for "
                      "the record) and the official Vietnamese name."),
    .options = OPTIONS,
    .run = run_catalog,
};

static void put_aliases(sh_json *j, const char *aliases)
{
    sh_json_kv_array(j, "aliases");
    char **list = g_strsplit(aliases, "|", -1);
    for (char **a = list; *a; a++)
        if (**a)
            sh_json_string(j, *a);
    g_strfreev(list);
    sh_json_end_array(j);
}

/* One document type: a record, or a line of the table (names padded to width). */
static void put_type(const cli_out *o, const nm_doc_type *t, int width)
{
    if (o->json) {
        sh_json_begin_object(o->json);
        sh_json_kv_int(o->json, "stt", t->stt);
        sh_json_kv_str(o->json, "name", t->name_ascii);
        sh_json_kv_int(o->json, "priority", t->priority);
        sh_json_kv_str(o->json, "name_vi", t->name_vi);
        put_aliases(o->json, t->aliases);
        sh_json_end_object(o->json);
        return;
    }
    char stt[4];
    nm_stt_text(t->stt, stt);
    cli_say(o, CLI_RESULT, "%-3s  %-*s  %d  %s\n", stt, width, t->name_ascii, t->priority,
            t->name_vi);
}

static int run_catalog(const cli_globals *g, const cli_value *opt, int nargs, char **args)
{
    sh_error err;
    sh_error_clear(&err);
    g_free(args);
    if (nargs > 0) {
        cli_usage(&err, "catalog", _("takes only options, no other arguments"));
        return cli_report(&err);
    }
    int priority = (int)opt[O_PRIORITY].num;
    const nm_doc_type *types = nm_catalog();
    int width = 0;
    for (int i = 0; i < NM_CATALOG_SIZE; i++)
        if (!priority || types[i].priority == priority)
            width = MAX(width, (int)strlen(types[i].name_ascii));
    cli_out o;
    cli_out_open(&o, g);
    if (o.json)
        sh_json_kv_array(o.json, "types");
    int count = 0;
    for (int i = 0; i < NM_CATALOG_SIZE; i++) {
        if (!priority || types[i].priority == priority) {
            put_type(&o, &types[i], width);
            count++;
        }
    }
    if (o.json) {
        sh_json_end_array(o.json);
        sh_json_kv_int(o.json, "count", count);
    }
    return cli_out_close(&o, SH_OK);
}
