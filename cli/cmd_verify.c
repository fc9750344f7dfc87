/* sohoa verify: is each signature of these PDFs valid, trusted, and over the whole file? Needs
 * no workspace: anyone holding a signed file (the receiving database too) can check it. */
#include "cli.h"

#include <glib.h>
#include <string.h>

#include "sign/sign.h"

enum { O_TRUST, O_JSON };

static const cli_option OPTIONS[] = {
    [O_TRUST] = {"trust", 0, CLI_FILE, N_("CERTS.pem"),
                 N_("the trusted root certificates (PEM); without it the system's certificate "
                    "store is used")},
    [O_JSON] = {"json", 0, CLI_FLAG, NULL, N_("print the results as one JSON document"),
                .flags = CLI_GLOBAL},
    {0},
};

static const cli_item ARGUMENTS[] = {
    {NULL, N_("FILE..."), N_("the signed PDF files")},
    {0},
};

static int run_verify(const cli_globals *g, const cli_value *opt, int nargs, char **args);

const cli_command cli_cmd_verify = {
    .name = "verify",
    .summary = N_("check the signatures of signed PDFs"),
    .usage = N_("sohoa verify FILE... [--trust CERTS.pem] [--json]"),
    .description = N_("Check every signature of each signed PDF: it covers the whole file except "
                      "the signature itself, the file has not changed since, the signature value "
                      "matches the signer's certificate, and that certificate chains to a trusted "
                      "root and was valid when the file was signed. Reports the signer, "
                      "organisation and time."),
    .arguments = ARGUMENTS,
    .options = OPTIONS,
    .exit_status =
        N_("Exit status: 0 every signature is valid and covers the whole file, 1 one "
           "is not (or a file has none), 2 bad arguments, 3 a file could not be read, or "
           "a signature is of a kind that cannot be checked here (and nothing else is "
           "wrong)."),
    .run = run_verify,
};

static const char *state_text(sg_sig_state s)
{
    return s == SG_SIG_VALID       ? _("valid")
           : s == SG_SIG_UNTRUSTED ? _("not trusted")
           : s == SG_SIG_UNCHECKED ? _("cannot be checked here")
                                   : _("INVALID");
}

static const char *state_code(sg_sig_state s)
{
    return s == SG_SIG_VALID       ? "valid"
           : s == SG_SIG_UNTRUSTED ? "untrusted"
           : s == SG_SIG_UNCHECKED ? "unchecked"
                                   : "invalid";
}

/* -q: the files that are not OK only. */
static void print_text(const cli_out *o, const char *path, const sg_verify_report *r)
{
    cli_level level = r->ok ? CLI_NOTE : CLI_RESULT;
    cli_say(o, level, "%s: %s\n", path, r->ok ? _("OK, signed and unchanged") : _("NOT OK"));
    for (int i = 0; i < r->n_sigs; i++) {
        const sg_signature_report *s = &r->sigs[i];
        char when[SG_TIME_TEXT_LEN] = "?";
        if (s->signed_at)
            sg_time_stamp_text(s->signed_at, when);
        cli_say(o, level, _("  signature %s: %s; signed by %s (%s) at %s; %s\n"), s->field,
                state_text(s->state), s->signer_cn ? s->signer_cn : "?",
                s->signer_org ? s->signer_org : "?", when,
                s->covers_whole ? _("covers the whole file") : _("covers an earlier version only"));
        if (s->problems) {
            gchar **lines = g_strsplit(s->problems, "\n", -1);
            for (int k = 0; lines[k]; k++)
                cli_say(o, level, "    - %s\n", lines[k]);
            g_strfreev(lines);
        }
    }
    if (r->problem)
        cli_say(o, level, "  - %s\n", r->problem);
}

static void add_json(sh_json *j, const char *path, const sg_verify_report *r)
{
    sh_json_begin_object(j);
    sh_json_kv_str(j, "path", path);
    sh_json_kv_bool(j, "ok", r->ok);
    sh_json_kv_int(j, "bytes", (int64_t)r->file_bytes);
    sh_json_kv_bool(j, "modified_after_signing", r->modified_after);
    sh_json_kv_str(j, "problem", r->problem);
    sh_json_kv_array(j, "signatures");
    for (int i = 0; i < r->n_sigs; i++) {
        const sg_signature_report *s = &r->sigs[i];
        sh_json_begin_object(j);
        sh_json_kv_str(j, "field", s->field);
        sh_json_kv_str(j, "status", state_code(s->state));
        sh_json_kv_str(j, "subfilter", s->subfilter);
        sh_json_kv_str(j, "signer", s->signer_cn);
        sh_json_kv_str(j, "organisation", s->signer_org);
        sh_json_kv_str(j, "cert_sha256", s->cert_sha256[0] ? s->cert_sha256 : NULL);
        char when[SG_TIME_TEXT_LEN];
        sg_time_stamp_text(s->signed_at, when);
        sh_json_kv_str(j, "signed_at", s->signed_at ? when : NULL);
        sh_json_kv_bool(j, "covers_whole_file", s->covers_whole);
        sh_json_kv_int(j, "signed_bytes", (int64_t)s->signed_bytes);
        sh_json_kv_array(j, "problems");
        gchar **lines = g_strsplit(s->problems ? s->problems : "", "\n", -1);
        for (int k = 0; lines[k]; k++)
            if (*lines[k])
                sh_json_string(j, lines[k]);
        g_strfreev(lines);
        sh_json_end_array(j);
        sh_json_end_object(j);
    }
    sh_json_end_array(j);
    sh_json_end_object(j);
}

static sh_status load_trust(const char *trust, X509_STORE **store, sh_error *err)
{
    sh_debug("trust anchors: %s", trust ? trust : "the system's certificate store");
    if (trust)
        return sg_trust_load(trust, store, err);
    *store = X509_STORE_new();
    if (!*store || X509_STORE_set_default_paths(*store) != 1)
        return sh_fail(err, SH_INTERNAL, "cannot load the system's certificate store");
    return SH_OK;
}

static int run_verify(const cli_globals *g, const cli_value *opt, int nargs, char **args)
{
    const char *trust = opt[O_TRUST].text;
    sh_error err;
    sh_error_clear(&err);
    X509_STORE *store = NULL;
    if (nargs == 0)
        cli_usage(&err, "verify", _("name at least one signed PDF file"));
    else
        load_trust(trust, &store, &err);
    if (err.status != SH_OK) {
        X509_STORE_free(store);
        g_free(args);
        return cli_report(&err);
    }
    cli_out o;
    cli_out_open(&o, g);
    if (o.json)
        sh_json_kv_array(o.json, "files");
    sh_status worst = SH_OK;
    int ok = 0;
    for (int i = 0; i < nargs; i++) {
        sg_verify_report rep;
        sh_error e;
        sh_error_clear(&e);
        sh_status st = sg_verify_file(args[i], store, &rep, &e);
        if (o.json) /* the file's problem is in its record */
            add_json(o.json, args[i], &rep);
        else if (st != SH_OK)
            cli_report(&e);
        else
            print_text(&o, args[i], &rep);
        if (st == SH_OK)
            st = sg_verify_status(&rep);
        worst = st > worst ? st : worst;
        ok += st == SH_OK;
        sg_verify_report_clear(&rep);
    }
    if (o.json) {
        sh_json_end_array(o.json);
        sh_json_kv_object(o.json, "summary");
        sh_json_kv_int(o.json, "files", nargs);
        sh_json_kv_int(o.json, "ok", ok);
        sh_json_end_object(o.json);
    } else {
        cli_say(&o, CLI_NOTE,
                ngettext("%d of %d file is signed, unchanged and trusted.\n",
                         "%d of %d files are signed, unchanged and trusted.\n",
                         (unsigned long)nargs),
                ok, nargs);
    }
    X509_STORE_free(store);
    g_free(args);
    return cli_out_close(&o, (int)worst);
}
