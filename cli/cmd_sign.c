/* sohoa sign: the organisation's signature on every PDF that passed validation and has not
 * changed since, as <name>_signed.pdf beside it, each recorded in the ledger with an audit
 * entry (sg_sign_path does it all). Here: the options, the secret taken out of the environment
 * at once, and what the operator sees. */
#include "cli.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "sign/sign.h"

static void print_help(void)
{
    printf(_("Usage: sohoa sign PATH... (--pkcs12 FILE | --pkcs11-module LIB [--token LABEL]\n"
             "                  [--key LABEL]) [--pin-env VAR | --pin-file FILE]\n"
             "                  [--org NAME] [--seal PNG] [--force]\n"
             "\n"
             "Sign with the organisation's certificate every PDF under PATH that passed\n"
             "sohoa validate and has not changed since. Each is written beside it as\n"
             "<name>_signed.pdf (PAdES, visible stamp at the top right of page 1, where it\n"
             "covers the least print: [sign] stamp_place); the original is not touched.\n"
             "Files already signed are left alone, and so are files another sohoa run is\n"
             "signing at the same time. The key, token, seal and font are checked before\n"
             "the PIN is asked.\n"
             "\n"
             "  --pkcs12 FILE         the key and certificate in a PKCS#12 file (.p12, .pfx)\n"
             "  --pkcs11-module LIB   the token's PKCS#11 module (sohoa.ini: pkcs11_module)\n"
             "  --token LABEL         which token, when several are plugged in\n"
             "  --key LABEL           which key on the token, when it holds several\n"
             "  --pin-env VAR         read the PIN or passphrase from environment variable VAR\n"
             "  --pin-file FILE       read it from the first line of FILE (mode 600)\n"
             "                        (neither: it is asked on the terminal, not shown)\n"
             "  --org NAME            the organisation on the stamp (default: sohoa.ini, else\n"
             "                        the certificate's O)\n"
             "  --seal PNG            the seal image (default: sohoa.ini seal_image)\n"
             "  --force               also sign files that did not pass validation or changed\n"
             "                        since; recorded as forced in the audit log\n"
             "  --json                print the results as one JSON document\n"
             "\n"
             "Exit status: 0 every file signed or already signed, 1 some were refused, 2 bad\n"
             "arguments, 3 the key, a file or a folder could not be used, 4 the ledger could\n"
             "not be written.\n"));
}

/* ---- output ---- */

typedef struct {
    const cli_globals *g;
    sh_json *json; /* --json: the "files" array is open in it */
} output;

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

/* One file's fate, as it is known: refusals and errors always, the rest with -v. */
static void file_out(const sg_file_report *r, void *ctx)
{
    output *o = ctx;
    if (o->json) {
        file_json(o->json, r);
        return;
    }
    bool verbose = sh_log_get_level() == SH_LOG_VERBOSE;
    sh_progress_suspend();
    switch (r->state) {
    case SG_FILE_ERROR:
        fflush(stdout);
        fprintf(stderr, "sohoa: %s\n", r->reason);
        break;
    case SG_FILE_REFUSED:
        printf(_("%s: not signed: %s\n"), r->path, r->reason);
        break;
    case SG_FILE_ELSEWHERE:
        if (sh_log_get_level() != SH_LOG_QUIET)
            printf(_("%s: another sohoa run is signing it now; left to that run\n"), r->path);
        break;
    case SG_FILE_ALREADY:
        if (verbose)
            printf(_("%s: already signed (%s), left alone\n"), r->path, r->output);
        break;
    case SG_FILE_SIGNED:
        if (r->forced)
            printf(_("%s: signed anyway (--force) → %s\n"), r->path, r->output);
        else if (verbose)
            printf(_("%s: signed → %s\n"), r->path, r->output);
        break;
    }
    fflush(stdout);
    sh_progress_resume();
}

static void print_summary(const sg_summary *sum)
{
    printf(ngettext("Signed %d file", "Signed %d files", (unsigned long)sum->signed_n),
           sum->signed_n);
    printf(_("; %d already signed; %d refused; %d errors.\n"), sum->already, sum->refused,
           sum->errors);
    if (sum->elsewhere)
        printf(ngettext("%d file was being signed by another sohoa run at the same time and was "
                        "left to it.\n",
                        "%d files were being signed by another sohoa run at the same time and "
                        "were left to it.\n",
                        (unsigned long)sum->elsewhere),
               sum->elsewhere);
    if (sum->refused)
        printf(_("Refused files were not changed: validate them (or fix and validate again), then "
                 "run sohoa sign again.\n"));
}

static void summary_json(sh_json *j, const sg_summary *sum)
{
    sh_json_key(j, "summary");
    sh_json_begin_object(j);
    sh_json_kv_int(j, "signed", sum->signed_n);
    sh_json_kv_int(j, "already_signed", sum->already);
    sh_json_kv_int(j, "refused", sum->refused);
    sh_json_kv_int(j, "in_progress_elsewhere", sum->elsewhere);
    sh_json_kv_int(j, "errors", sum->errors);
    sh_json_end_object(j);
}

/* ---- the command ---- */

/* The key options with sohoa.ini's defaults; SH_USAGE when the key is not said. */
static sh_status key_source(const sh_config *c, const char *pkcs12, const char *module,
                            const char *token, const char *key, sg_key_source *src, sh_error *err)
{
    if (!module && !pkcs12 && c->sign_pkcs11_module && *c->sign_pkcs11_module)
        module = c->sign_pkcs11_module;
    if (!module == !pkcs12)
        return sh_fail(err, SH_USAGE,
                       _("sign: say where the key is: --pkcs12 FILE or --pkcs11-module LIB "
                         "(or pkcs11_module in sohoa.ini), one of them"));
    *src = (sg_key_source){.pkcs12 = pkcs12,
                           .pkcs11_module = pkcs12 ? NULL : module,
                           .token_label = token ? token : c->sign_token_label,
                           .key_label = key ? key : c->sign_key_label};
    if (src->token_label && !*src->token_label)
        src->token_label = NULL;
    if (src->key_label && !*src->key_label)
        src->key_label = NULL;
    return SH_OK;
}

int cmd_sign(const cli_globals *g, int argc, char **argv)
{
    const char *pkcs12 = NULL, *module = NULL, *token = NULL, *key = NULL, *pin_env = NULL,
               *pin_file = NULL, *org = NULL, *seal = NULL;
    bool force = false;
    const cli_opt opts[] = {{"--pkcs12", &pkcs12, NULL},   {"--pkcs11-module", &module, NULL},
                            {"--token", &token, NULL},     {"--key", &key, NULL},
                            {"--pin-env", &pin_env, NULL}, {"--pin-file", &pin_file, NULL},
                            {"--org", &org, NULL},         {"--seal", &seal, NULL},
                            {"--force", NULL, &force},     {0}};
    char **args;
    int nargs;
    sh_error err;
    sh_error_clear(&err);
    if (cli_parse(argc, argv, opts, false, "sign", &args, &nargs, &err) != SH_OK)
        return cli_report(&err);
    if (g->help) {
        print_help();
        g_free(args);
        return 0;
    }
    sh_status st = SH_OK;
    if (nargs == 0)
        st = sh_fail(&err, SH_USAGE, _("sign: name at least one folder or PDF file to sign"));
    else if (pin_env && pin_file)
        st = sh_fail(&err, SH_USAGE, _("sign: give --pin-env or --pin-file, not both"));
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
        st = key_source(&ws.config, pkcs12, module, token, key, &src, &err);
    if (st == SH_OK)
        st = cli_actor(g, &ws, &actor, &err);
    if (st == SH_OK)
        st = sh_ledger_open(ws.ledger_path, false, &ledger, &err);
    int status = 0;
    if (st == SH_OK) {
        const sh_config *c = &ws.config;
        output out = {.g = g};
        if (g->json) {
            out.json = sh_json_new();
            sh_json_begin_object(out.json);
            sh_json_key(out.json, "files");
            sh_json_begin_array(out.json);
        }
        const char *seal_path = seal ? seal : c->sign_seal_image;
        sg_batch_options o = {
            .ws = &ws,
            .ledger = ledger,
            .actor = &actor,
            .signer = {.key = src,
                       .secret = secret,
                       .organisation = org && *org ? org : c->sign_organisation,
                       .font_path = c->sign_font,
                       .seal_path = seal_path && *seal_path ? seal_path : NULL,
                       .stamp_width_mm = c->sign_stamp_width_mm,
                       .stamp_margin_mm = c->sign_stamp_margin_mm,
                       .placement = c->sign_stamp_fixed ? SG_PLACE_FIXED : SG_PLACE_AUTO},
            .pin_file = pin_file,
            .force = force,
            .file = file_out,
            .ctx = &out};
        sg_summary sum;
        st = sg_sign_path(args, nargs, &o, &sum, &err);
        /* A message in err: the batch stopped before any file (the key, the ledger). */
        if (st != SH_OK && err.msg[0]) {
            status = cli_report(&err);
        } else {
            status = st != SH_OK ? (int)st : sum.refused ? SH_FINDINGS : SH_OK;
            if (out.json) {
                sh_json_end_array(out.json);
                summary_json(out.json, &sum);
                sh_json_end_object(out.json);
                status = cli_print_json(out.json, status);
            } else {
                print_summary(&sum);
            }
        }
        sh_json_free(out.json);
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
