/* sohoa sign: the organisation's signature on every PDF that passed validation and has not
 * changed since, as <name>_signed.pdf beside it, each recorded in the ledger with an audit
 * entry (sg_sign_path does it all). Here: the options, the secret taken out of the environment
 * at once, and what the operator sees. */
#include "cli.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "sign/sign.h"

enum { O_PKCS12, O_MODULE, O_TOKEN, O_KEY, O_PIN_ENV, O_PIN_FILE, O_ORG, O_SEAL, O_FORCE, O_JSON };

static const cli_option OPTIONS[] = {
    CLI_KEY_OPTIONS(O_PKCS12, O_MODULE, O_TOKEN, O_KEY, O_PIN_ENV, O_PIN_FILE,
                    N_("the key and certificate in a PKCS#12 file (.p12, .pfx)"),
                    CLI_PKCS11_MODULE_HELP),
    [O_ORG] = {"org", 0, CLI_STRING, N_("NAME"),
               N_("the organisation on the stamp (default: sohoa.ini, else the certificate's "
                  "O)")},
    [O_SEAL] = {"seal", 0, CLI_FILE, N_("PNG"),
                N_("the seal image (default: sohoa.ini seal_image)")},
    [O_FORCE] = {"force", 0, CLI_FLAG, NULL,
                 N_("also sign files that did not pass validation or changed since; recorded as "
                    "forced in the audit log")},
    [O_JSON] = {"json", 0, CLI_FLAG, NULL, N_("print the results as one JSON document"),
                .flags = CLI_GLOBAL},
    {0},
};

static const cli_item ARGUMENTS[] = {
    {NULL, N_("PATH..."), N_("the folders and PDF files to sign")},
    {0},
};

static int run_sign(const cli_globals *g, const cli_value *opt, int nargs, char **args);

const cli_command cli_cmd_sign = {
    .name = "sign",
    .summary = N_("sign passed PDFs with the organisation's certificate and stamp"),
    .usage = N_("sohoa sign PATH... (--pkcs12 FILE | --pkcs11-module LIB [--token LABEL]\n"
                "    [--key LABEL]) [--pin-env VAR | --pin-file FILE]\n"
                "    [--org NAME] [--seal PNG] [--force]"),
    .description =
        N_("Sign with the organisation's certificate every PDF under PATH that passed "
           "sohoa validate and has not changed since. Each is written beside it as "
           "<name>_signed.pdf (PAdES, visible stamp at the top right of page 1, where it "
           "covers the least print: [sign] stamp_place); the original is not touched. "
           "Files already signed are left alone, and so are files another sohoa run is "
           "signing at the same time. The key, token, seal and font are checked before "
           "the PIN is asked."),
    .arguments = ARGUMENTS,
    .options = OPTIONS,
    .exit_status = N_("Exit status: 0 every file signed or already signed, 1 some were refused, "
                      "2 bad arguments, 3 the key, a file or a folder could not be used, 4 the "
                      "ledger could not be written."),
    .run = run_sign,
};

/* ---- output ---- */

static const char *state_name(sg_file_state s)
{
    switch (s) {
    case SG_FILE_SIGNED:
        return "signed";
    case SG_FILE_ALREADY:
        return "already_signed";
    case SG_FILE_REFUSED:
        return "refused";
    case SG_FILE_ELSEWHERE:
        return "in_progress_elsewhere";
    case SG_FILE_ERROR:
        break;
    }
    return "error";
}

static void file_json(sh_json *j, const sg_file_report *r)
{
    sh_json_begin_object(j);
    sh_json_kv_str(j, "path", r->path);
    sh_json_kv_str(j, "status", state_name(r->state));
    if (r->output)
        sh_json_kv_str(j, "output", r->output);
    if (r->reason)
        sh_json_kv_str(j, "reason", r->reason);
    if (r->result) {
        sh_json_kv_str(j, "input_sha256", r->result->input_sha256);
        sh_json_kv_str(j, "output_sha256", r->result->output_sha256);
        sh_json_kv_bool(j, "forced", r->forced);
    }
    sh_json_end_object(j);
}

/* One file's fate, as it is known (ctx: the cli_out, its "files" array open with --json):
 * refusals and errors always, the rest with -v. */
static void file_out(const sg_file_report *r, void *ctx)
{
    const cli_out *o = ctx;
    if (o->json) {
        file_json(o->json, r);
        return;
    }
    switch (r->state) {
    case SG_FILE_ERROR:
        cli_say_err("sohoa: %s\n", r->reason);
        break;
    case SG_FILE_REFUSED:
        cli_say(o, CLI_RESULT, _("%s: not signed: %s\n"), r->path, r->reason);
        break;
    case SG_FILE_ELSEWHERE:
        cli_say(o, CLI_NOTE, _("%s: another sohoa run is signing it now; left to that run\n"),
                r->path);
        break;
    case SG_FILE_ALREADY:
        cli_say(o, CLI_DETAIL, _("%s: already signed (%s), left alone\n"), r->path, r->output);
        break;
    case SG_FILE_SIGNED:
        if (r->forced)
            cli_say(o, CLI_RESULT, _("%s: signed anyway (--force) → %s\n"), r->path, r->output);
        else
            cli_say(o, CLI_DETAIL, _("%s: signed → %s\n"), r->path, r->output);
        break;
    }
}

static void print_summary(const cli_out *o, const sg_summary *sum)
{
    cli_say(o, CLI_RESULT,
            ngettext("Signed %d file", "Signed %d files", (unsigned long)sum->signed_n),
            sum->signed_n);
    cli_say(o, CLI_RESULT, _("; %d already signed; %d refused; %d errors.\n"), sum->already,
            sum->refused, sum->errors);
    if (sum->elsewhere)
        cli_say(o, CLI_RESULT,
                ngettext("%d file was being signed by another sohoa run at the same time and was "
                         "left to it.\n",
                         "%d files were being signed by another sohoa run at the same time and "
                         "were left to it.\n",
                         (unsigned long)sum->elsewhere),
                sum->elsewhere);
    if (sum->refused)
        cli_say(o, CLI_RESULT,
                _("Refused files were not changed: validate them (or fix and validate again), "
                  "then run sohoa sign again.\n"));
}

static void summary_json(sh_json *j, const sg_summary *sum)
{
    sh_json_kv_object(j, "summary");
    sh_json_kv_int(j, "signed", sum->signed_n);
    sh_json_kv_int(j, "already_signed", sum->already);
    sh_json_kv_int(j, "refused", sum->refused);
    sh_json_kv_int(j, "in_progress_elsewhere", sum->elsewhere);
    sh_json_kv_int(j, "errors", sum->errors);
    sh_json_end_object(j);
}

/* ---- the command ---- */

static int run_sign(const cli_globals *g, const cli_value *opt, int nargs, char **args)
{
    const char *pkcs12 = opt[O_PKCS12].text, *module = opt[O_MODULE].text,
               *token = opt[O_TOKEN].text, *key = opt[O_KEY].text, *pin_env = opt[O_PIN_ENV].text,
               *pin_file = opt[O_PIN_FILE].text, *org = opt[O_ORG].text, *seal = opt[O_SEAL].text;
    bool force = opt[O_FORCE].count > 0;
    sh_error err;
    sh_error_clear(&err);
    sh_status st = SH_OK;
    if (nargs == 0)
        st = cli_usage(&err, "sign", _("name at least one folder or PDF file to sign"));
    else if (pin_env && pin_file)
        st = cli_usage(&err, "sign", _("give --pin-env or --pin-file, not both"));
    /* Out of the environment at once: /proc/PID/environ and core dumps must not keep it. */
    char *secret = NULL;
    if (st == SH_OK && pin_env)
        st = sg_secret_get(pin_env, NULL, NULL, &secret, &err);
    sh_workspace ws = {0};
    bool ws_open = false;
    sh_ledger *ledger = NULL;
    sh_actor actor;
    sg_key_source src;
    if (st == SH_OK)
        st = sh_workspace_open(g->workspace, args[0], g->config, &ws, &err);
    ws_open = st == SH_OK;
    if (st == SH_OK)
        st = cli_key_source(&ws.config, "sign", pkcs12, module, token, key, &src, &err);
    if (st == SH_OK)
        st = cli_actor(g, &ws, &actor, &err);
    if (st == SH_OK)
        st = sh_ledger_open(ws.ledger_path, false, &ledger, &err);
    int status = 0;
    if (st == SH_OK) {
        const sg_config *c = sg_config_get(&ws.config);
        nm_rules rules;
        nm_rules_from_config(&rules, &ws.config);
        cli_out out;
        cli_out_open(&out, g);
        if (out.json)
            sh_json_kv_array(out.json, "files");
        const char *seal_path = seal ? seal : c->seal_image;
        sg_batch_options o = {.ws = &ws,
                              .ledger = ledger,
                              .actor = &actor,
                              .signer = {.key = src,
                                         .secret = secret,
                                         .organisation = org && *org ? org : c->organisation,
                                         .font_path = c->font,
                                         .seal_path = seal_path && *seal_path ? seal_path : NULL,
                                         .stamp_width_mm = c->stamp_width_mm,
                                         .stamp_margin_mm = c->stamp_margin_mm,
                                         .placement = c->stamp_place},
                              .pin_file = pin_file,
                              .force = force,
                              .signed_suffix = rules.signed_suffix,
                              .file = file_out,
                              .ctx = &out};
        sg_summary sum;
        st = sg_sign_path(args, nargs, &o, &sum, &err);
        /* A message in err: the batch stopped before any file (the key, the ledger). */
        if (st != SH_OK && err.msg[0]) {
            status = cli_out_fail(&out, &err);
        } else {
            if (out.json) {
                sh_json_end_array(out.json);
                summary_json(out.json, &sum);
            } else {
                print_summary(&out, &sum);
            }
            status = cli_out_close(&out, st != SH_OK ? (int)st : sum.refused ? SH_FINDINGS : SH_OK);
        }
    } else {
        status = cli_report(&err);
    }
    sg_secret_free(secret);
    sh_ledger_close(ledger);
    if (ws_open)
        sh_workspace_close(&ws);
    g_free(args);
    return status;
}
