/* sohoa pack: signed dossiers into encrypted, signed packages, one per organisation folder and
 * run (up_pack does it all; docs/package.md). Here: the options, the secret taken out of the
 * environment at once, and what the operator sees. */
#include "cli.h"

#include <glib.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "upload/upload.h"

enum {
    O_TO,
    O_PKCS12,
    O_MODULE,
    O_TOKEN,
    O_KEY,
    O_PIN_ENV,
    O_PIN_FILE,
    O_OUT,
    O_MAX_VOLUME,
    O_BASIS,
    O_JSON
};

static const cli_option OPTIONS[] = {
    [O_TO] = {"to", 0, CLI_FILE, N_("CERT.pem"),
              N_("encrypt for this receiver's certificate (RSA or EC P-256); give it again for "
                 "each further receiver, such as an escrow copy (default: receiver_cert in "
                 "sohoa.ini)"),
              .flags = CLI_REPEAT},
    CLI_KEY_OPTIONS(O_PKCS12, O_MODULE, O_TOKEN, O_KEY, O_PIN_ENV, O_PIN_FILE,
                    N_("the organisation's key and certificate in a PKCS#12 file (.p12, .pfx): "
                       "it signs each package"),
                    CLI_PKCS11_MODULE_HELP),
    [O_OUT] = {"out", 0, CLI_DIR, N_("DIR"),
               N_("where packages go, inside the workspace (default: package_dir in sohoa.ini, "
                  "packages)")},
    [O_MAX_VOLUME] = {"max-volume", 0, CLI_STRING, N_("SIZE"),
                      N_("split a package into volumes of at most SIZE of payload, at dossier "
                         "boundaries: bytes, or with K, M or G (default: max_volume_mb in "
                         "sohoa.ini, 1G)")},
    [O_BASIS] = {"basis", 0, CLI_STRING, N_("TEXT"),
                 N_("the document that authorises this transfer (required; recorded in the "
                    "package and the audit log)")},
    [O_JSON] = {"json", 0, CLI_FLAG, NULL, N_("print the results as one JSON document"),
                .flags = CLI_GLOBAL},
    {0},
};

static const cli_item ARGUMENTS[] = {
    {NULL, N_("PATH..."),
     N_("organisation or dossier folders to pack (default: the whole workspace)")},
    {0},
};

static int run_pack(const cli_globals *g, const cli_value *opt, int nargs, char **args);

const cli_command cli_cmd_pack = {
    .name = "pack",
    .summary = N_("pack signed dossiers into encrypted, signed packages for the receiver"),
    .usage = N_("sohoa pack [PATH...] --to CERT.pem [--to CERT.pem...] --basis TEXT\n"
                "    (--pkcs12 FILE | --pkcs11-module LIB [--token LABEL] [--key LABEL])\n"
                "    [--pin-env VAR | --pin-file FILE] [--out DIR] [--max-volume SIZE]"),
    .description = N_(
        "Pack every dossier under PATH whose documents are all signed and unchanged into one "
        "package per organisation folder: a BagIt bag of the signed files byte for byte, with "
        "package.json describing each dossier and document, the tag manifest signed with the "
        "organisation's key, in a stored ZIP encrypted for each --to certificate (CMS, "
        "AES-256-GCM). It is written as <out>/<org>/<package-id>.zip.p7m, or in volumes "
        "<package-id>.partK-of-N.zip.p7m, and recorded in the ledger; no unencrypted copy "
        "touches the disk. Dossiers with an unsigned, failed, changed or missing document are "
        "held back with the reason; dossiers packed before and unchanged are not packed again; "
        "a dossier that changed since goes into a new package that names the one it corrects. A "
        "PDF with active content (JavaScript, launch actions, embedded files, XFA, RichMedia) is "
        "never packed."),
    .arguments = ARGUMENTS,
    .options = OPTIONS,
    .exit_status = N_("Exit status: 0 everything was packed (or nothing was left to pack), 1 "
                      "some dossiers were held back, 2 bad arguments, 3 the key, a certificate "
                      "or a file could not be used, 4 the ledger or the disk failed."),
    .run = run_pack,
};

/* ---- output ---- */

typedef struct {
    cli_out *out;
    GPtrArray *held;    /* "path\treason" with --json, else printed at once */
    GPtrArray *volumes; /* JSON texts of the volumes with --json */
} pack_output;

static void held_out(const char *path, const char *reason, void *ctx)
{
    pack_output *p = ctx;
    if (p->out->json) {
        g_ptr_array_add(p->held, g_strdup(path));
        g_ptr_array_add(p->held, g_strdup(reason));
        return;
    }
    cli_say(p->out, CLI_RESULT, _("%s: held back: %s\n"), path, reason);
}

static void volume_json(sh_json *j, const up_volume_report *v)
{
    sh_json_begin_object(j);
    sh_json_kv_str(j, "id", v->package);
    sh_json_kv_str(j, "org", v->org);
    sh_json_kv_int(j, "volume", v->volume);
    sh_json_kv_int(j, "volumes", v->volumes);
    sh_json_kv_str(j, "path", v->path);
    sh_json_kv_int(j, "bytes", (int64_t)v->bytes);
    sh_json_kv_str(j, "sha256", v->sha256);
    sh_json_kv_int(j, "dossiers", v->dossiers);
    sh_json_kv_int(j, "documents", v->documents);
    sh_json_kv_array(j, "corrects");
    for (char *const *c = v->corrects; c && *c; c++)
        sh_json_string(j, *c);
    sh_json_end_array(j);
    sh_json_end_object(j);
}

static void volume_out(const up_volume_report *v, void *ctx)
{
    pack_output *p = ctx;
    if (v->oversized)
        sh_warn(_("%s: one dossier of %s is larger than --max-volume; it has a volume of its "
                  "own"),
                v->path, v->org);
    if (p->out->json) {
        sh_json *j = sh_json_new();
        volume_json(j, v);
        const char *text = sh_json_finish(j, NULL);
        if (text)
            g_ptr_array_add(p->volumes, g_strdup(text));
        sh_json_free(j);
        return;
    }
    char *size = g_format_size(v->bytes);
    cli_say(p->out, CLI_RESULT,
            ngettext("%s: package %s, volume %d of %d: %d dossier, ",
                     "%s: package %s, volume %d of %d: %d dossiers, ", (unsigned long)v->dossiers),
            v->org, v->package, v->volume, v->volumes, v->dossiers);
    cli_say(
        p->out, CLI_RESULT,
        ngettext("%d document, %s → %s\n", "%d documents, %s → %s\n", (unsigned long)v->documents),
        v->documents, size, v->path);
    if (v->corrects && v->corrects[0])
        cli_say(p->out, CLI_RESULT, _("  it corrects package %s\n"), v->corrects[0]);
    g_free(size);
}

static void summary_out(const pack_output *p, const up_pack_summary *s)
{
    if (p->out->json) {
        sh_json *j = p->out->json;
        sh_json_kv_array(j, "packages");
        for (guint i = 0; i < p->volumes->len; i++)
            sh_json_raw(j, g_ptr_array_index(p->volumes, i));
        sh_json_end_array(j);
        sh_json_kv_array(j, "held_back");
        for (guint i = 0; i + 1 < p->held->len; i += 2) {
            sh_json_begin_object(j);
            sh_json_kv_str(j, "path", g_ptr_array_index(p->held, i));
            sh_json_kv_str(j, "reason", g_ptr_array_index(p->held, i + 1));
            sh_json_end_object(j);
        }
        sh_json_end_array(j);
        sh_json_kv_int(j, "unchanged", s->unchanged);
        return;
    }
    char *size = g_format_size(s->bytes);
    cli_say(p->out, CLI_RESULT,
            _("Packed: %d dossiers, %d documents, %d packages, %d volumes, %s. Held back: %d. "
              "Unchanged since their last package: %d.\n"),
            s->dossiers, s->documents, s->packages, s->volumes, size, s->held_back, s->unchanged);
    if (s->held_back)
        cli_say(p->out, CLI_RESULT,
                _("Held-back dossiers were not packed: do what each reason says, then run sohoa "
                  "pack again.\n"));
    g_free(size);
}

/* ---- the command ---- */

/* "1G", "500M", "64k", "1048576" → bytes; false when it is not a size. */
static bool parse_size(const char *text, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (end == text || errno != 0 || text[0] == '-')
        return false;
    unsigned shift = 0;
    switch (g_ascii_toupper(*end)) {
    case 'K':
        shift = 10;
        break;
    case 'M':
        shift = 20;
        break;
    case 'G':
        shift = 30;
        break;
    case 'T':
        shift = 40;
        break;
    case '\0':
        break;
    default:
        return false;
    }
    if (*end && end[1] && !(g_ascii_toupper(end[1]) == 'B' || g_ascii_toupper(end[1]) == 'I'))
        return false;
    if (v > (UINT64_MAX >> shift))
        return false;
    *out = (uint64_t)v << shift;
    return true;
}

typedef struct {
    char **recipients;
    int n_recipients;
    char *out_dir;
    uint64_t max_volume;
} pack_settings;

static sh_status settings(const sh_workspace *ws, const cli_value *opt, pack_settings *s,
                          sh_error *err)
{
    const up_config *c = up_config_get(&ws->config);
    GPtrArray *to = g_ptr_array_new();
    for (const char **t = opt[O_TO].all; t && *t; t++)
        g_ptr_array_add(to, g_strdup(*t));
    if (to->len == 0 && c->receiver_cert && *c->receiver_cert)
        g_ptr_array_add(to, g_path_is_absolute(c->receiver_cert)
                                ? g_strdup(c->receiver_cert)
                                : g_build_filename(ws->root, c->receiver_cert, NULL));
    s->n_recipients = (int)to->len;
    g_ptr_array_add(to, NULL);
    s->recipients = (char **)g_ptr_array_free(to, FALSE);
    const char *out = opt[O_OUT].text ? opt[O_OUT].text : c->package_dir;
    char *joined = g_path_is_absolute(out) ? g_strdup(out)
                   : opt[O_OUT].text       ? g_canonicalize_filename(out, NULL)
                                           : g_build_filename(ws->root, out, NULL);
    s->out_dir = g_canonicalize_filename(joined, NULL);
    g_free(joined);
    s->max_volume = (uint64_t)c->max_volume_mb << 20;
    if (opt[O_MAX_VOLUME].text && !parse_size(opt[O_MAX_VOLUME].text, &s->max_volume))
        return cli_usage(err, "pack",
                         _("--max-volume takes a size: bytes, or a number with K, M or G (for "
                           "example 500M)"));
    return SH_OK;
}

static int pack_run(const cli_globals *g, const cli_value *opt, int nargs, char **args,
                    const char *secret, sh_workspace *ws, sh_ledger *ledger, sh_error *err)
{
    sh_actor actor;
    sg_key_source src;
    pack_settings set = {0};
    sh_status st = cli_key_source(&ws->config, "pack", opt[O_PKCS12].text, opt[O_MODULE].text,
                                  opt[O_TOKEN].text, opt[O_KEY].text, &src, err);
    if (st == SH_OK)
        st = cli_actor(g, ws, &actor, err);
    if (st == SH_OK)
        st = settings(ws, opt, &set, err);
    int status;
    if (st != SH_OK) {
        status = cli_report(err);
    } else {
        nm_rules rules;
        nm_rules_from_config(&rules, &ws->config);
        cli_out out;
        cli_out_open(&out, g);
        pack_output po = {&out, g_ptr_array_new_with_free_func(g_free),
                          g_ptr_array_new_with_free_func(g_free)};
        up_pack_options o = {.ws = ws,
                             .ledger = ledger,
                             .actor = &actor,
                             .signed_suffix = rules.signed_suffix,
                             .recipients = (const char *const *)set.recipients,
                             .n_recipients = set.n_recipients,
                             .key = src,
                             .secret = secret,
                             .pin_file = opt[O_PIN_FILE].text,
                             .out_dir = set.out_dir,
                             .max_volume = set.max_volume,
                             .basis = opt[O_BASIS].text,
                             .held = held_out,
                             .volume = volume_out,
                             .ctx = &po};
        up_pack_summary sum;
        st = up_pack(nargs ? args : NULL, nargs, &o, &sum, err);
        if (st != SH_OK && st != SH_FINDINGS) {
            status = cli_out_fail(&out, err);
        } else {
            summary_out(&po, &sum);
            status = cli_out_close(&out, st);
        }
        g_ptr_array_free(po.held, TRUE);
        g_ptr_array_free(po.volumes, TRUE);
    }
    g_strfreev(set.recipients);
    g_free(set.out_dir);
    return status;
}

static int run_pack(const cli_globals *g, const cli_value *opt, int nargs, char **args)
{
    sh_error err;
    sh_error_clear(&err);
    sh_status st = SH_OK;
    if (opt[O_PIN_ENV].text && opt[O_PIN_FILE].text)
        st = cli_usage(&err, "pack", _("give --pin-env or --pin-file, not both"));
    else if (!opt[O_BASIS].text)
        st = cli_usage(&err, "pack",
                       _("say what authorises this transfer: --basis TEXT (the document's number "
                         "and date)"));
    /* Out of the environment at once: /proc/PID/environ and core dumps must not keep it. */
    char *secret = NULL;
    if (st == SH_OK && opt[O_PIN_ENV].text)
        st = sg_secret_get(opt[O_PIN_ENV].text, NULL, NULL, &secret, &err);
    sh_workspace ws = {0};
    sh_ledger *ledger = NULL;
    if (st == SH_OK)
        st = cli_open_workspace(g, nargs ? args[0] : NULL, &ws, &ledger, &err);
    int status =
        st == SH_OK ? pack_run(g, opt, nargs, args, secret, &ws, ledger, &err) : cli_report(&err);
    sg_secret_free(secret);
    sh_ledger_close(ledger);
    sh_workspace_close(&ws); /* the defaults' values too, outside a workspace */
    g_free(args);
    return status;
}
