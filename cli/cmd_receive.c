/* sohoa receive: the receiving end's full check of packages (up_receive does it all): each
 * volume decrypted with the receiver's key, its signature, bag, names, package.json and PDFs
 * checked, the volumes of a package together; with --into, a valid package extracted at once
 * and a signed receipt written for every package. Needs no workspace; in one, the options not
 * given come from its sohoa.ini [receive] section. */
#include "cli.h"

#include <glib.h>
#include <string.h>

#include "sign/sign.h"
#include "upload/upload.h"

enum { O_PKCS12, O_MODULE, O_TOKEN, O_KEY, O_PIN_ENV, O_PIN_FILE, O_TRUST, O_INTO, O_JSON };

static const cli_option OPTIONS[] = {
    CLI_KEY_OPTIONS(O_PKCS12, O_MODULE, O_TOKEN, O_KEY, O_PIN_ENV, O_PIN_FILE,
                    N_("the receiver's key and certificate in a PKCS#12 file (.p12, .pfx): it "
                       "decrypts the packages and signs the receipts"),
                    N_("a token's PKCS#11 module: not yet usable here, a token's key never leaves "
                       "it to decrypt")),
    [O_TRUST] = {"trust", 0, CLI_FILE, N_("CA.pem"),
                 N_("the trusted root certificates (PEM) of the senders' signatures: required")},
    [O_INTO] = {"into", 0, CLI_DIR, N_("DIR"),
                N_("extract each valid package as DIR/<package-id>/ and write a signed receipt "
                   "for every package in DIR/receipts/")},
    [O_JSON] = {"json", 0, CLI_FLAG, NULL, N_("print the results as one JSON document"),
                .flags = CLI_GLOBAL},
    {0},
};

static const cli_item ARGUMENTS[] = {
    {NULL, N_("FILE..."), N_("the package files (.zip.p7m), every volume of each package")},
    {0},
};

static int run_receive(const cli_globals *g, const cli_value *opt, int nargs, char **args);

const cli_command cli_cmd_receive = {
    .name = "receive",
    .summary = N_("check received packages in full; extract valid ones and sign receipts"),
    .usage = N_("sohoa receive FILE... (--pkcs12 FILE | --pkcs11-module LIB [--token LABEL]\n"
                "    [--key LABEL]) [--pin-env VAR | --pin-file FILE] --trust CA.pem\n"
                "    [--into DIR] [--json]"),
    .description =
        N_("Check each package file as the receiving end must: decrypt it with the receiver's "
           "key (held in a hidden temporary file, nothing trusted before its authentication "
           "tag), check the signature of its tag manifest and the chain to the trusted roots, "
           "the bag (every file listed, both checksums, Payload-Oxum), every name, "
           "package.json against the files, every PDF's signatures, and that every volume of "
           "a package is there. Every problem is reported, with a stable code "
           "(docs/package.md, \"Receiving\"). With --into, a valid package is extracted at "
           "once as DIR/<package-id>/ (never a partial folder), and every package gets a "
           "receipt signed with the receiver's key, DIR/receipts/<package-id>.json and "
           ".json.p7s, accepted or rejected with the codes."),
    .arguments = ARGUMENTS,
    .options = OPTIONS,
    .exit_status = N_("Exit status: 0 every package is valid, 1 some are not (rejected), 2 bad "
                      "arguments or a key that cannot decrypt, 3 a file could not be read or is "
                      "not encrypted for this key, 4 an internal error (disk full)."),
    .run = run_receive,
};

/* ---- output */

typedef struct {
    cli_out out;
    GPtrArray *receipts; /* paths, for the JSON document's end */
} receive_out;

static const char *verdict(const up_receive_report *r)
{
    return r->status == SH_INPUT ? "unreadable" : r->accepted ? "accepted" : "rejected";
}

/* A path given by the operator, fit for JSON (a name that is not UTF-8 shown as nm_shown does). */
static void kv_path(sh_json *j, const char *key, const char *path)
{
    char *shown = path ? nm_shown(path) : NULL;
    if (key)
        sh_json_kv_str(j, key, shown);
    else
        sh_json_string(j, shown);
    g_free(shown);
}

static void package_json(sh_json *j, const up_receive_report *r)
{
    sh_json_begin_object(j);
    sh_json_kv_str(j, "id", r->id);
    sh_json_kv_str(j, "org", r->org);
    sh_json_kv_array(j, "volumes");
    for (int i = 0; i < r->volumes; i++)
        kv_path(j, NULL, r->files[i]);
    sh_json_end_array(j);
    sh_json_kv_str(j, "verdict", verdict(r));
    sh_json_kv_int(j, "dossiers", r->dossiers);
    sh_json_kv_int(j, "documents", r->documents);
    sh_json_kv_array(j, "findings");
    for (size_t i = 0; i < r->n_findings; i++)
        sh_finding_json(j, &r->findings[i]);
    sh_json_end_array(j);
    sh_json_kv_int(j, "more_findings", (int64_t)r->more_findings);
    kv_path(j, "extracted", r->extracted);
    kv_path(j, "receipt", r->receipt);
    sh_json_end_object(j);
}

static void package_text(const cli_out *o, const up_receive_report *r)
{
    const char *id = r->id ? r->id : (r->volumes ? r->files[0] : "?");
    if (r->status == SH_INPUT)
        cli_say(o, CLI_RESULT, _("%s: NOT READ\n"), id);
    else if (r->accepted)
        cli_say(o, CLI_RESULT, _("%s (%s): accepted; dossiers: %d, documents: %d\n"), id,
                r->org ? r->org : "?", r->dossiers, r->documents);
    else
        cli_say(o, CLI_RESULT, _("%s: REJECTED\n"), id);
    for (size_t i = 0; i < r->n_findings; i++)
        cli_finding_out(&r->findings[i], (void *)o);
    if (r->more_findings)
        cli_say(o, CLI_RESULT, _("  … and %zu more findings\n"), r->more_findings);
    if (r->extracted)
        cli_say(o, CLI_NOTE, _("  extracted to %s\n"), r->extracted);
    if (r->receipt)
        cli_say(o, CLI_NOTE, _("  receipt %s\n"), r->receipt);
}

static void package_out(const up_receive_report *r, void *ctx)
{
    receive_out *ro = ctx;
    if (r->receipt)
        g_ptr_array_add(ro->receipts, g_strdup(r->receipt));
    if (ro->out.json)
        package_json(ro->out.json, r);
    else
        package_text(&ro->out, r);
}

/* ---- the settings: the options, else [receive] of the workspace's sohoa.ini when there is one */

typedef struct {
    const char *pkcs12, *module, *token, *key, *pin_env, *pin_file, *trust, *into;
    char *owned[5]; /* config paths made absolute */
} receive_settings;

/* value of option, else the config's (relative to root) at owned slot k. */
static const char *setting(const char *option, const char *conf, const char *root, bool is_path,
                           receive_settings *s, int k)
{
    if (option || !conf || !*conf)
        return option;
    if (!is_path || g_path_is_absolute(conf))
        return conf;
    s->owned[k] = g_build_filename(root, conf, NULL);
    return s->owned[k];
}

static sh_status load_settings(const cli_globals *g, const cli_value *opt, receive_settings *s,
                               sh_workspace *ws, sh_error *err)
{
    *s = (receive_settings){.pkcs12 = opt[O_PKCS12].text,
                            .module = opt[O_MODULE].text,
                            .token = opt[O_TOKEN].text,
                            .key = opt[O_KEY].text,
                            .pin_env = opt[O_PIN_ENV].text,
                            .pin_file = opt[O_PIN_FILE].text,
                            .trust = opt[O_TRUST].text,
                            .into = opt[O_INTO].text};
    bool found = false;
    sh_status st = sh_workspace_open_optional(g->workspace, NULL, g->config, ws, &found, err);
    if (st != SH_OK || !found)
        return st;
    const up_receive_config *c = up_receive_config_get(&ws->config);
    bool key_given = s->pkcs12 || s->module;
    if (!key_given)
        s->pkcs12 = setting(NULL, c->pkcs12, ws->root, true, s, 0);
    if (!s->pin_env && !s->pin_file && !key_given) {
        s->pin_env = setting(NULL, c->pin_env, ws->root, false, s, 1);
        if (!s->pin_env)
            s->pin_file = setting(NULL, c->pin_file, ws->root, true, s, 1);
    }
    s->trust = setting(s->trust, c->trust, ws->root, true, s, 2);
    s->into = setting(s->into, c->into, ws->root, true, s, 3);
    return SH_OK;
}

static void settings_clear(receive_settings *s)
{
    for (int i = 0; i < 5; i++)
        g_free(s->owned[i]);
}

/* ---- the key */

static sh_status open_signer(const receive_settings *set, const char *secret, sg_signer **s,
                             sh_error *err)
{
    sg_signer_options so = {.key = {.pkcs12 = set->pkcs12,
                                    .pkcs11_module = set->module,
                                    .token_label = set->token,
                                    .key_label = set->key}};
    sh_status st = sg_signer_prepare(&so, s, err);
    if (st == SH_OK)
        st = sg_signer_unlock_asking(*s, secret, set->pin_file, err);
    return st;
}

/* The options' own rules; SH_USAGE with the message. */
static sh_status check_options(const receive_settings *opt, int nargs, sh_error *err)
{
    if (nargs == 0)
        return cli_usage(err, "receive", _("name at least one package file"));
    if (!opt->pkcs12 == !opt->module)
        return cli_usage(err, "receive",
                         _("say where the key is: --pkcs12 FILE or --pkcs11-module LIB, one of "
                           "them"));
    /* Checked before any PIN is asked: decrypting needs the key itself (sg_signer_decryption_key
     * would refuse a token's only after the login). */
    if (opt->module)
        return cli_usage(err, "receive",
                         _("a token's key never leaves the token, and decrypting a package "
                           "needs it: give the receiver's key as --pkcs12 FILE"));
    if (opt->pin_env && opt->pin_file)
        return cli_usage(err, "receive", _("give --pin-env or --pin-file, not both"));
    if (!opt->trust)
        return cli_usage(err, "receive",
                         _("say which roots to trust: --trust CA.pem (the senders' chain)"));
    return SH_OK;
}

static int receive(const cli_globals *g, const receive_settings *set, int nargs, char **args,
                   sg_signer *signer, X509_STORE *trust)
{
    receive_out ro = {.receipts = g_ptr_array_new_with_free_func(g_free)};
    cli_out_open(&ro.out, g);
    if (ro.out.json)
        sh_json_kv_array(ro.out.json, "packages");
    up_receive_options o = {
        .signer = signer, .trust = trust, .into = set->into, .package = package_out, .ctx = &ro};
    up_receive_summary sum;
    sh_error err;
    sh_error_clear(&err);
    sh_status st = up_receive(args, nargs, &o, &sum, &err);
    int status;
    if (st != SH_OK && err.msg[0]) {
        status = cli_out_fail(&ro.out, &err);
    } else if (ro.out.json) {
        sh_json_end_array(ro.out.json);
        sh_json_kv_array(ro.out.json, "receipts");
        for (guint i = 0; i < ro.receipts->len; i++)
            kv_path(ro.out.json, NULL, g_ptr_array_index(ro.receipts, i));
        sh_json_end_array(ro.out.json);
        status = cli_out_close(&ro.out, (int)st);
    } else {
        cli_say(&ro.out, CLI_NOTE,
                ngettext("%d package: %d accepted, %d rejected, %d not read.\n",
                         "%d packages: %d accepted, %d rejected, %d not read.\n",
                         (unsigned long)sum.packages),
                sum.packages, sum.accepted, sum.rejected, sum.unreadable);
        status = cli_out_close(&ro.out, (int)st);
    }
    g_ptr_array_free(ro.receipts, TRUE);
    return status;
}

static int run_receive(const cli_globals *g, const cli_value *opt, int nargs, char **args)
{
    sh_error err;
    sh_error_clear(&err);
    receive_settings set;
    sh_workspace ws = {0};
    sh_status st = load_settings(g, opt, &set, &ws, &err);
    if (st == SH_OK)
        st = check_options(&set, nargs, &err);
    /* Out of the environment at once: /proc/PID/environ and core dumps must not keep it. */
    char *secret = NULL;
    if (st == SH_OK && set.pin_env)
        st = sg_secret_get(set.pin_env, NULL, NULL, &secret, &err);
    X509_STORE *trust = NULL;
    if (st == SH_OK)
        st = sg_trust_load(set.trust, &trust, &err);
    sg_signer *signer = NULL;
    if (st == SH_OK)
        st = open_signer(&set, secret, &signer, &err);
    sg_secret_free(secret);
    int status = st == SH_OK ? receive(g, &set, nargs, args, signer, trust) : cli_report(&err);
    sg_signer_close(signer);
    X509_STORE_free(trust);
    settings_clear(&set);
    sh_workspace_close(&ws); /* the defaults' values too, outside a workspace */
    g_free(args);
    return status;
}
