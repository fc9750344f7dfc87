/* sohoa verify: is each signature of these PDFs valid, trusted, and over the whole file? Needs
 * no workspace: anyone holding a signed file (the receiving database too) can check it. */
#include "cli.h"

#include <glib.h>
#include <string.h>

#include "sign/sign.h"

static void print_help(void)
{
    printf(_("Usage: sohoa verify FILE... [--trust CERTS.pem] [--json]\n"
             "\n"
             "Check every signature of each signed PDF: it covers the whole file except the\n"
             "signature itself, the file has not changed since, the signature value matches\n"
             "the signer's certificate, and that certificate chains to a trusted root and was\n"
             "valid when the file was signed. Reports the signer, organisation and time.\n"
             "\n"
             "  --trust CERTS.pem  the trusted root certificates (PEM); without it the\n"
             "                     system's certificate store is used\n"
             "  --json             print the results as one JSON document\n"
             "\n"
             "Exit status: 0 every signature is valid and covers the whole file, 1 one is\n"
             "not (or a file has none), 2 bad arguments, 3 a file could not be read, or a\n"
             "signature is of a kind that cannot be checked here (and nothing else is wrong).\n"));
}

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

static void print_text(const char *path, const sg_verify_report *r)
{
    if (r->ok && sh_log_get_level() == SH_LOG_QUIET)
        return; /* -q: the files that are not OK only */
    printf("%s: %s\n", path, r->ok ? _("OK, signed and unchanged") : _("NOT OK"));
    for (int i = 0; i < r->n_sigs; i++) {
        const sg_signature_report *s = &r->sigs[i];
        char when[SG_TIME_TEXT_LEN] = "?";
        if (s->signed_at)
            sg_time_stamp_text(s->signed_at, when);
        printf(_("  signature %s: %s; signed by %s (%s) at %s; %s\n"), s->field,
               state_text(s->state), s->signer_cn ? s->signer_cn : "?",
               s->signer_org ? s->signer_org : "?", when,
               s->covers_whole ? _("covers the whole file") : _("covers an earlier version only"));
        if (s->problems) {
            gchar **lines = g_strsplit(s->problems, "\n", -1);
            for (int k = 0; lines[k]; k++)
                printf("    - %s\n", lines[k]);
            g_strfreev(lines);
        }
    }
    if (r->problem)
        printf("  - %s\n", r->problem);
}

static void add_json(sh_json *j, const char *path, const sg_verify_report *r)
{
    sh_json_begin_object(j);
    sh_json_kv_str(j, "path", path);
    sh_json_kv_bool(j, "ok", r->ok);
    sh_json_kv_int(j, "bytes", (int64_t)r->file_bytes);
    sh_json_kv_bool(j, "modified_after_signing", r->modified_after);
    sh_json_kv_str(j, "problem", r->problem);
    sh_json_key(j, "signatures");
    sh_json_begin_array(j);
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
        sh_json_key(j, "problems");
        sh_json_begin_array(j);
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

int cmd_verify(const cli_globals *g, int argc, char **argv)
{
    const char *trust = NULL;
    const cli_opt opts[] = {{"--trust", &trust, NULL}, {0}};
    char **args;
    int nargs;
    sh_error err;
    sh_error_clear(&err);
    if (cli_parse(argc, argv, opts, false, "verify", &args, &nargs, &err) != SH_OK)
        return cli_report(&err);
    if (g->help) {
        print_help();
        g_free(args);
        return 0;
    }
    X509_STORE *store = NULL;
    if (nargs == 0)
        sh_fail(&err, SH_USAGE, _("verify: name at least one signed PDF file"));
    else
        load_trust(trust, &store, &err);
    if (err.status != SH_OK) {
        X509_STORE_free(store);
        g_free(args);
        return cli_report(&err);
    }
    sh_json *j = NULL;
    if (g->json) {
        j = sh_json_new();
        sh_json_begin_object(j);
        sh_json_key(j, "files");
        sh_json_begin_array(j);
    }
    sh_status worst = SH_OK;
    int ok = 0;
    for (int i = 0; i < nargs; i++) {
        sg_verify_report rep;
        sh_error e;
        sh_error_clear(&e);
        sh_status st = sg_verify_file(args[i], store, &rep, &e);
        if (st != SH_OK && !j)
            fprintf(stderr, "sohoa: %s\n", e.msg);
        else if (j)
            add_json(j, args[i], &rep);
        else
            print_text(args[i], &rep);
        if (st == SH_OK)
            st = sg_verify_status(&rep);
        worst = st > worst ? st : worst;
        ok += st == SH_OK;
        sg_verify_report_clear(&rep);
    }
    if (j) {
        sh_json_end_array(j);
        sh_json_key(j, "summary");
        sh_json_begin_object(j);
        sh_json_kv_int(j, "files", nargs);
        sh_json_kv_int(j, "ok", ok);
        sh_json_end_object(j);
        sh_json_end_object(j);
        cli_print_json(j, worst);
        sh_json_free(j);
    } else if (sh_log_get_level() != SH_LOG_QUIET) {
        printf(ngettext("%d of %d file is signed, unchanged and trusted.\n",
                        "%d of %d files are signed, unchanged and trusted.\n",
                        (unsigned long)nargs),
               ok, nargs);
    }
    X509_STORE_free(store);
    g_free(args);
    return (int)worst;
}
