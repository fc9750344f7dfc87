/* sohoa handover receive|return|print (issue 17; docs/progress.md, "Paper handover"): the paper
 * dossier handed to the scan team and given back, in the ledger and the audit log, and the
 * day's handover record as a PDF. The rules are progress's (pg_handover_record); here: the
 * options, the workspace, what the operator sees. */
#include "cli.h"

#include <string.h>

#include <glib.h>

#include "progress/progress.h"
#include "validate/validate.h"

enum { O_ORG, O_CCCD, O_KEY, O_PAGES, O_NOTE, O_FORCE, O_PRINT, O_DAY, O_JSON };

static const cli_option OPTIONS[] = {
    [O_ORG] = {"org", 0, CLI_STRING, N_("CODE"),
               N_("the organisation code M1.M2.M3.M4.M5 of the dossier's folder, e.g. "
                  "93.000.036.001.015")},
    [O_CCCD] = {"cccd", 0, CLI_STRING, N_("N"),
                N_("the member's CCCD, 12 digits (required); for a member without one, the "
                   "temporary key the dossier folder carries: the CMND's 9 digits or the "
                   "passport number (C1234567)")},
    [O_KEY] = {"key", 0, CLI_STRING, N_("N"), N_("the same as --cccd: the member's key")},
    [O_PAGES] = {"pages", 0, CLI_INT, N_("N"), N_("the paper sheets counted by both parties"), 1,
                 100000},
    [O_NOTE] = {"note", 0, CLI_STRING, N_("TEXT"),
                N_("what the parties noted, e.g. \"thiếu quyết định kết nạp\" (missing papers, "
                   "damage); printed in the record")},
    [O_FORCE] = {"force", 0, CLI_STRING, N_("REASON"),
                 N_("record what is otherwise refused, with the reason: a return before the "
                    "receiver accepted the dossier (or of a dossier never received here), or a "
                    "second receipt of a dossier already held (sheets brought later)")},
    [O_PRINT] = {"print", 0, CLI_FILE, N_("FILE.pdf"),
                 N_("receive, return: then write the day's handover record to FILE.pdf")},
    [O_DAY] = {"day", 0, CLI_STRING, N_("YYYY-MM-DD"),
               N_("print: the day of the record, the station's local day (default: today)")},
    [O_JSON] = {"json", 0, CLI_FLAG, NULL, N_("print the results as one JSON document"),
                .flags = CLI_GLOBAL},
    {0},
};

static const cli_item VERBS[] = {
    {"receive", NULL,
     N_("the paper dossier of member --cccd of organisation --org is handed to the scan team")},
    {"return", NULL,
     N_("the scan team gives the paper dossier back; refused until the receiver has accepted "
        "the dossier (its acceptance receipt is stored), unless --force REASON")},
    {"print", N_("FILE.pdf"),
     N_("write the handover record (biên bản giao nhận) of a day to FILE.pdf: an A4 PDF in "
        "Vietnamese listing the dossiers received and returned that day, with page counts, "
        "notes and places for both parties' signatures")},
    {0},
};

static int run_handover(const cli_globals *g, const cli_value *opt, int nargs, char **args);

const cli_command cli_cmd_handover = {
    .name = "handover",
    .summary = N_("record the paper dossiers handed over and returned; print the handover record"),
    .usage = N_("sohoa handover receive --org CODE --cccd N [--pages N] [--note TEXT] [--force "
                "REASON] [--print FILE.pdf] [--json]\n"
                "sohoa handover return --org CODE --cccd N [--pages N] [--note TEXT] [--force "
                "REASON] [--print FILE.pdf] [--json]\n"
                "sohoa handover print FILE.pdf [--day YYYY-MM-DD] [--json]"),
    .description =
        N_("The paper dossiers of Party members are handed to the scan team and given back "
           "complete and unchanged, each time with a record signed by both parties (guide of "
           "Công văn 1361, IV.6). Each receipt and return is recorded in the ledger with its "
           "audit entry (dossier.handover): the organisation code and CCCD, as in the dossier's "
           "folder name, the pages counted, the note, the station and operator.\n\n"
           "A dossier is held by the scan team from its receipt to its return. A return is "
           "refused until the receiver has accepted the dossier (stage accepted, as sohoa report "
           "counts it), and when the dossier is not held; a second receipt of a dossier already "
           "held is refused too. --force REASON records either all the same, with the reason in "
           "the ledger, the audit log and the record.\n\n"
           "The record (biên bản giao nhận) lists the day's receipts and returns, each in its own "
           "table (STT, organisation code, CCCD, full name, pages, note) with totals and the "
           "places where the giving and the receiving party sign; a table that does not fit "
           "goes on to the next page under its header. The full name comes from the inventory "
           "(sohoa inventory import), else from the dossier ingested. The font is [sign] font of "
           "sohoa.ini (DejaVu Sans by default). The record names members: it is for the two "
           "parties, not for reports."),
    .verbs = VERBS,
    .options = OPTIONS,
    .exit_status = N_("Exit status: 0 recorded (and printed); 1 refused: a return before "
                      "acceptance or of a dossier not held, a second receipt (the message says "
                      "what to do); 2 bad arguments (an organisation code or CCCD that a dossier "
                      "folder would not have, a day with no handover to print); 3 the font or the "
                      "workspace cannot be read; 4 the ledger or the disk failed."),
    .run = run_handover,
};

/* ---- options ---- */

static sh_status check_options(const char *verb, const cli_value *opt, sh_error *err)
{
    bool print = strcmp(verb, "print") == 0;
    if (print && (opt[O_ORG].text || opt[O_CCCD].text || opt[O_KEY].text || opt[O_PAGES].count ||
                  opt[O_NOTE].text || opt[O_FORCE].text || opt[O_PRINT].text))
        return cli_usage(err, "handover print", "%s",
                         _("print takes only FILE.pdf and --day: the record lists what receive "
                           "and return recorded"));
    if (print)
        return SH_OK;
    if (opt[O_CCCD].text && opt[O_KEY].text)
        return cli_usage(err, "handover", "%s",
                         _("--key is another name for --cccd: give one of them"));
    if (!opt[O_ORG].text || !(opt[O_CCCD].text || opt[O_KEY].text))
        return cli_usage(err, "handover",
                         _("%s: give --org CODE and --cccd N (the dossier's "
                           "organisation code and the member's CCCD)"),
                         verb);
    if (opt[O_DAY].text)
        return cli_usage(err, "handover",
                         _("%s: --day is for print; --print writes today's "
                           "record"),
                         verb);
    return SH_OK;
}

/* ---- recording ---- */

static const char *today(char out[16])
{
    GDateTime *now = g_date_time_new_now_local();
    char *s = g_date_time_format(now, "%Y-%m-%d");
    g_strlcpy(out, s, 16);
    g_free(s);
    g_date_time_unref(now);
    return out;
}

/* The record names members: writing it is a read of personal data, and is logged (QĐ-HT
 * Đ16.6) as "handover.print" with the day and the file, never the names. */
static sh_status print_record(sh_ledger *ledger, const sh_workspace *ws, const sh_actor *actor,
                              const char *day, const char *path, sh_error *err)
{
    const sg_config *sc = sg_config_get(&ws->config);
    const char *font = sc && sc->font ? sc->font : NULL;
    if (!font)
        return cli_usage(err, "handover", "%s",
                         _("no font for the record: set font in [sign] of sohoa.ini (a .ttf with "
                           "Vietnamese letters, such as DejaVu Sans)"));
    sh_status st = pg_handover_print(ledger, day, font, ws->config.station_id, path, err);
    if (st != SH_OK)
        return st;
    sh_json *j = sh_json_new();
    sh_json_begin_object(j);
    sh_json_kv_str(j, "day", day);
    sh_json_kv_str(j, "file", path);
    sh_json_end_object(j);
    const char *details = sh_json_finish(j, err);
    st = details ? sh_audit_record(ledger, actor, "handover.print", day, details, NULL, err)
                 : SH_INTERNAL;
    sh_json_free(j);
    return st;
}

static void handover_out(cli_out *o, const pg_handover *h, int64_t audit_id, const char *record,
                         const sh_error *refused)
{
    bool ret = h->direction == PG_HANDOVER_RETURN;
    if (o->json) {
        sh_json_kv_str(o->json, "direction", ret ? "return" : "receive");
        sh_json_kv_str(o->json, "org", h->org_code);
        sh_json_kv_str(o->json, "cccd", h->member_key);
        sh_json_kv_int_or_null(o->json, "pages", h->pages, h->pages > 0);
        sh_json_kv_str(o->json, "note", h->note);
        sh_json_kv_str(o->json, "forced_reason", h->force_reason);
        sh_json_kv_bool(o->json, "recorded", !refused);
        sh_json_kv_str(o->json, "refused", refused ? refused->msg : NULL);
        sh_json_kv_int_or_null(o->json, "audit_id", audit_id, !refused);
        sh_json_kv_str(o->json, "record", record);
        return;
    }
    if (refused)
        return;
    if (ret)
        cli_say(o, CLI_RESULT, _("Returned: the paper dossier %s/%s; audit entry %lld.\n"),
                h->org_code, h->member_key, (long long)audit_id);
    else
        cli_say(o, CLI_RESULT, _("Received: the paper dossier %s/%s; audit entry %lld.\n"),
                h->org_code, h->member_key, (long long)audit_id);
    if (record)
        cli_say(o, CLI_NOTE, _("The day's handover record: %s\n"), record);
}

static int do_record(const cli_globals *g, const cli_value *opt, bool ret, sh_error *err)
{
    sh_workspace ws = {0};
    sh_ledger *ledger = NULL;
    sh_status st = cli_open_workspace(g, NULL, &ws, &ledger, err);
    if (st != SH_OK)
        return st;
    sh_actor actor;
    st = cli_actor(g, &ws, &actor, err);
    const vd_config *vc = vd_config_get(&ws.config);
    pg_handover h = {.direction = ret ? PG_HANDOVER_RETURN : PG_HANDOVER_RECEIVE,
                     .org_code = opt[O_ORG].text,
                     .member_key = opt[O_CCCD].text ? opt[O_CCCD].text : opt[O_KEY].text,
                     .pages = opt[O_PAGES].count ? (int)opt[O_PAGES].num : 0,
                     .note = opt[O_NOTE].text,
                     .force_reason = opt[O_FORCE].text,
                     .config = pg_config_get(&ws.config),
                     .required_types = vc ? vc->required_types : NULL,
                     .n_required_types = vc ? vc->n_required_types : 0};
    int64_t audit_id = 0;
    if (st == SH_OK)
        st = pg_handover_record(ledger, &actor, &h, &audit_id, err);
    /* Recorded, the record's failure is reported beside the result, never instead of it: the
     * operator must not take a recorded handover for one that was not. */
    bool recorded = st == SH_OK;
    char day[16];
    if (recorded && opt[O_PRINT].text)
        st = print_record(ledger, &ws, &actor, today(day), opt[O_PRINT].text, err);
    if (recorded || st == SH_FINDINGS) { /* a refusal is a result too: in the document */
        cli_out o;
        cli_out_open(&o, g);
        handover_out(&o, &h, audit_id, st == SH_OK ? opt[O_PRINT].text : NULL,
                     recorded ? NULL : err);
        st = cli_out_close(&o, st);
    }
    sh_ledger_close(ledger);
    sh_workspace_close(&ws);
    return st;
}

static int do_print(const cli_globals *g, const cli_value *opt, int nargs, char **args,
                    sh_error *err)
{
    if (nargs != 1)
        return cli_usage(err, "handover print", "%s", _("name one file to write: FILE.pdf"));
    sh_workspace ws = {0};
    sh_ledger *ledger = NULL;
    sh_status st = cli_open_workspace(g, NULL, &ws, &ledger, err);
    if (st != SH_OK)
        return st;
    sh_actor actor;
    st = cli_actor(g, &ws, &actor, err);
    char buf[16];
    const char *day = opt[O_DAY].text ? opt[O_DAY].text : today(buf);
    if (st == SH_OK)
        st = print_record(ledger, &ws, &actor, day, args[0], err);
    if (st == SH_OK) {
        cli_out o;
        cli_out_open(&o, g);
        if (o.json) {
            sh_json_kv_str(o.json, "day", day);
            sh_json_kv_str(o.json, "record", args[0]);
        } else {
            cli_say(&o, CLI_RESULT, _("The handover record of %s: %s\n"), day, args[0]);
        }
        st = cli_out_close(&o, SH_OK);
    }
    sh_ledger_close(ledger);
    sh_workspace_close(&ws);
    return st;
}

/* The exit status; what went wrong (a refusal too) in err, for the caller to report. */
static int dispatch(const cli_globals *g, const cli_value *opt, int nargs, char **args,
                    sh_error *err)
{
    const char *verb = nargs > 0 ? args[0] : "";
    bool known =
        strcmp(verb, "receive") == 0 || strcmp(verb, "return") == 0 || strcmp(verb, "print") == 0;
    if (!known)
        return cli_usage(err, "handover", "%s",
                         _("give what to do: receive, return or print (see \"sohoa help "
                           "handover\")"));
    sh_status st = check_options(verb, opt, err);
    if (st != SH_OK)
        return st;
    if (strcmp(verb, "print") == 0)
        return do_print(g, opt, nargs - 1, args + 1, err);
    if (nargs != 1)
        return cli_usage(err, "handover", _("%s takes no arguments, only options"), verb);
    return do_record(g, opt, strcmp(verb, "return") == 0, err);
}

static int run_handover(const cli_globals *g, const cli_value *opt, int nargs, char **args)
{
    sh_error err;
    sh_error_clear(&err);
    int status = dispatch(g, opt, nargs, args, &err);
    g_free(args);
    if (status != SH_OK && err.msg[0])
        cli_report(&err); /* a refusal says what to do; an error what failed */
    return status;
}
