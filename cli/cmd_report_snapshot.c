/* sohoa report export FILE and sohoa report merge SNAPSHOT... (issue 17; docs/progress.md,
 * "Snapshots and the province merge"): the station's signed snapshot, and the province's sum of
 * the newest snapshot of each station. */
#include "cmd_report.h"

#include <glib.h>
#include <string.h>

#include "validate/validate.h"

/* ---- export ---- */

static sh_status make_signer(const cli_value *opt, const sh_workspace *ws, const char *secret,
                             sg_signer **signer, sh_error *err)
{
    sg_signer_options so = {0};
    sh_status st = cli_key_source(&ws->config, "report export", opt[R_P12].text, opt[R_MODULE].text,
                                  opt[R_TOKEN].text, opt[R_KEY].text, &so.key, err);
    if (st == SH_OK)
        st = sg_signer_prepare(&so, signer, err);
    if (st == SH_OK)
        st = sg_signer_unlock_asking(*signer, secret, opt[R_PIN_FILE].text, err);
    return st;
}

/* The counts to sign: exact (min_cell 0), as the report command would make them. */
static sh_status snapshot_report(const cli_value *opt, const sh_workspace *ws, sh_ledger *l,
                                 const sh_actor *actor, pg_report **r, sh_error *err)
{
    const pg_config *pc = pg_config_get(&ws->config);
    const vd_config *vc = vd_config_get(&ws->config);
    pg_report_options o = {.as_of = opt[R_AS_OF].text,
                           .period = opt[R_PERIOD].text,
                           .min_cell = 0,
                           .config = pc,
                           .required_types = vc ? vc->required_types : NULL,
                           .n_required_types = vc ? vc->n_required_types : 0};
    return pg_report_compute(l, actor, &o, r, err);
}

static int export_run(const cli_globals *g, const cli_value *opt, const char *file,
                      const char *secret, sh_workspace *ws, sh_ledger *l, sh_error *err)
{
    sh_actor actor;
    sg_signer *signer = NULL;
    pg_report *r = NULL;
    int64_t seq = 0;
    sh_status st = cli_actor(g, ws, &actor, err);
    if (st == SH_OK)
        st = make_signer(opt, ws, secret, &signer, err);
    if (st == SH_OK)
        st = snapshot_report(opt, ws, l, &actor, &r, err);
    if (st == SH_OK)
        st = pg_snapshot_export(l, ws->root, &actor, r, signer, file, &seq, err);
    sg_signer_close(signer);
    cli_out out;
    cli_out_open(&out, g);
    int status;
    if (st != SH_OK) {
        status = cli_out_fail(&out, err);
    } else {
        if (out.json) {
            sh_json_kv_str(out.json, "file", file);
            sh_json_kv_str(out.json, "station", actor.station);
            sh_json_kv_int(out.json, "seq", seq);
            sh_json_kv_str(out.json, "as_of", r->as_of);
        }
        cli_say(&out, CLI_RESULT, _("Wrote snapshot %lld of station %s as of %s: %s and %s.p7s\n"),
                (long long)seq, actor.station, r->as_of, file, file);
        status = cli_out_close(&out, SH_OK);
    }
    pg_report_free(r);
    return status;
}

static sh_status export_usage(const cli_value *opt, int nargs, sh_error *err)
{
    if (nargs != 1)
        return cli_usage(err, "report export",
                         _("give one FILE: the snapshot is written there, its signature beside "
                           "it as FILE.p7s"));
    if (opt[R_TRUST].text || opt[R_MIN_CELL].count || opt[R_HTML].text || opt[R_CSV].text ||
        opt[R_XLSX].text)
        return cli_usage(err, "report export",
                         _("a snapshot carries exact counts and has no views: --trust, "
                           "--min-cell, --html, --csv and --xlsx go with merge"));
    if (opt[R_PIN_ENV].text && opt[R_PIN_FILE].text)
        return cli_usage(err, "report export", _("give --pin-env or --pin-file, not both"));
    return SH_OK;
}

int cli_report_export(const cli_globals *g, const cli_value *opt, int nargs, char **args)
{
    sh_error err;
    sh_error_clear(&err);
    sh_status st = export_usage(opt, nargs, &err);
    /* Out of the environment at once: /proc/PID/environ and core dumps must not keep it. */
    char *secret = NULL;
    if (st == SH_OK && opt[R_PIN_ENV].text)
        st = sg_secret_get(opt[R_PIN_ENV].text, NULL, NULL, &secret, &err);
    sh_workspace ws = {0};
    sh_ledger *l = NULL;
    if (st == SH_OK)
        st = cli_open_workspace(g, NULL, &ws, &l, &err);
    int status = st == SH_OK ? export_run(g, opt, args[0], secret, &ws, l, &err) : cli_report(&err);
    sg_secret_free(secret);
    sh_ledger_close(l);
    sh_workspace_close(&ws); /* on every path: a workspace not opened is all zeros */
    return status;
}

/* ---- merge ---- */

static const char *fate_word(pg_snapshot_fate f)
{
    return f == PG_SNAP_USED ? _("used") : f == PG_SNAP_OLDER ? _("older") : _("refused");
}

/* Each file's fate and each flag: on stdout for a person, on stderr beside a JSON document. */
static void summary(const cli_globals *g, const cli_value *opt, const pg_merge_result *m)
{
    bool to_err = cli_report_json(g, opt);
    cli_out o;
    cli_globals plain = *g;
    plain.json = false;
    cli_out_open(&o, &plain);
    for (size_t i = 0; i < m->n_seen; i++) {
        const pg_snapshot_seen *s = &m->seen[i];
        if (s->fate == PG_SNAP_REFUSED)
            cli_say_err(_("%s: refused: %s\n"), s->path, s->problem ? s->problem : "");
        else if (to_err)
            sh_info(_("%s: %s (station %s, snapshot %lld, as of %s)"), s->path, fate_word(s->fate),
                    s->station, (long long)s->seq, s->as_of);
        else
            cli_say(&o, CLI_NOTE, _("%s: %s (station %s, snapshot %lld, as of %s)\n"), s->path,
                    fate_word(s->fate), s->station, (long long)s->seq, s->as_of);
    }
    for (size_t i = 0; i < m->n_flags; i++)
        cli_say_err(_("warning: %s [%s]\n"), m->flags[i].message, m->flags[i].code);
    const pg_report *r = m->report;
    if (!to_err && r && r->n_rows > 0)
        cli_say(&o, CLI_RESULT,
                _("%zu stations summed as of %s: %llu dossiers listed, %llu scanned, %llu "
                  "accepted\n"),
                r->n_stations, r->as_of, (unsigned long long)r->rows[0].stage[PG_INVENTORIED],
                (unsigned long long)r->rows[0].stage[PG_SCANNED],
                (unsigned long long)r->rows[0].stage[PG_ACCEPTED]);
    SH_IGNORE_RESULT(cli_out_close(&o, SH_OK)); /* lines for a person: nothing to close */
}

static sh_status merge_usage(const cli_value *opt, int nargs, sh_error *err)
{
    if (nargs < 1)
        return cli_usage(err, "report merge",
                         _("give the snapshot files (each with its FILE.p7s beside it)"));
    if (!opt[R_TRUST].text)
        return cli_usage(err, "report merge",
                         _("say whose signatures to trust: --trust CA.pem (the certificates "
                           "the stations' keys are issued under)"));
    if (opt[R_P12].text || opt[R_MODULE].text || opt[R_AS_OF].text || opt[R_PERIOD].text)
        return cli_usage(err, "report merge",
                         _("the key options, --as-of and --period go with export: a merge "
                           "sums what the stations signed"));
    return SH_OK;
}

/* [report] of the workspace when merge runs in one (or of --config), else the defaults. ws is
 * closed by the caller whatever happened. */
static void merge_config(const cli_globals *g, sh_workspace *ws, pg_config *pc)
{
    sh_error e;
    sh_error_clear(&e);
    bool found = false;
    bool opened =
        sh_workspace_open_optional(g->workspace, NULL, g->config, ws, &found, &e) == SH_OK;
    const pg_config *c = opened ? pg_config_get(&ws->config) : NULL;
    if (c) {
        *pc = *c;
        return;
    }
    *pc = (pg_config){.due_soon_days = 5, .stale_days = 7};
}

int cli_report_merge(const cli_globals *g, const cli_value *opt, int nargs, char **args)
{
    sh_error err;
    sh_error_clear(&err);
    sh_status st = merge_usage(opt, nargs, &err);
    X509_STORE *trust = NULL;
    if (st == SH_OK)
        st = sg_trust_load(opt[R_TRUST].text, &trust, &err);
    if (st != SH_OK)
        return cli_report(&err);
    sh_workspace ws = {0};
    pg_config pc;
    merge_config(g, &ws, &pc);
    pg_merge_result m = {0};
    st = pg_merge(args, (size_t)nargs, trust, &pc, NULL, &m, &err);
    int min_cell = opt[R_MIN_CELL].count ? (int)opt[R_MIN_CELL].num : pc.min_cell;
    sh_status views = SH_OK;
    sh_error verr;
    sh_error_clear(&verr);
    if (st == SH_OK || st == SH_FINDINGS) {
        pg_report_suppress(m.report, min_cell); /* the snapshots carry exact counts */
        views = cli_report_views(g, opt, m.report, &verr);
    }
    summary(g, opt, &m);
    int status = views != SH_OK ? cli_report(&verr) : cli_report(&err);
    if (views == SH_OK && st == SH_OK)
        status = SH_OK;
    pg_merge_result_clear(&m);
    X509_STORE_free(trust);
    sh_workspace_close(&ws);
    return status;
}
