/* sohoa sign: the organisation's signature on every PDF that passed validation and has not
 * changed since, as <name>_signed.pdf beside it, each recorded in the ledger with an audit
 * entry. The key is opened (and the PIN asked) once, and only when something is to be signed. */
#include "cli.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sign/sign.h"
#include "sign/sign_impl.h"

#define MAX_WALK_DEPTH 16
#define MAX_FILES 1000000

static void print_help(void)
{
    printf(_("Usage: sohoa sign PATH... (--pkcs12 FILE | --pkcs11-module LIB [--token LABEL]\n"
             "                  [--key LABEL]) [--pin-env VAR | --pin-file FILE]\n"
             "                  [--org NAME] [--seal PNG] [--force]\n"
             "\n"
             "Sign with the organisation's certificate every PDF under PATH that passed\n"
             "sohoa validate and has not changed since. Each is written beside it as\n"
             "<name>_signed.pdf (PAdES, visible stamp at the top right of page 1); the\n"
             "original is not touched. Files already signed are left alone.\n"
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
             "arguments, 3 the key or a file could not be used, 4 the ledger could not be\n"
             "written.\n"));
}

typedef enum { ITEM_SIGN, ITEM_ALREADY, ITEM_REFUSED } item_state;

typedef struct {
    char *path, *output, *rel;
    item_state state;
    char *reason; /* why refused, or why forced */
    char *expect; /* the sha256 of the passed validation, or NULL */
    bool forced;
    sg_sign_result result;
    sh_status status; /* of signing it */
    char *error;
} item;

typedef struct {
    const cli_globals *g;
    sh_workspace ws;
    sh_ledger *ledger;
    sh_actor actor;
    bool force;
    GArray *items; /* item */
} batch;

/* ---- which files ---- */

static bool has_pdf_extension(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && g_ascii_strcasecmp(name + n - 4, ".pdf") == 0;
}

/* A signed output: "<stem><suffix>.pdf". */
static bool is_signed_name(const char *name, const char *suffix)
{
    size_t n = strlen(name), s = strlen(suffix);
    return n > s + 4 && strncmp(name + n - 4 - s, suffix, s) == 0;
}

static char *output_path(const char *path, const char *suffix)
{
    size_t n = strlen(path);
    return g_strdup_printf("%.*s%s.pdf", (int)(n - 4), path, suffix);
}

static void add_file(batch *b, const char *path)
{
    if (b->items->len >= MAX_FILES)
        return;
    item it = {.path = g_strdup(path)};
    g_array_append_val(b->items, it);
}

static void walk(batch *b, const char *dir, int depth)
{
    GDir *d = depth <= MAX_WALK_DEPTH ? g_dir_open(dir, 0, NULL) : NULL;
    if (!d)
        return;
    const char *name;
    while ((name = g_dir_read_name(d))) {
        if (name[0] == '.') /* the workspace's state, temp files */
            continue;
        char *path = g_build_filename(dir, name, NULL);
        if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK))
            walk(b, path, depth + 1);
        else if (has_pdf_extension(name) && !is_signed_name(name, b->ws.config.signed_suffix))
            add_file(b, path);
        g_free(path);
    }
    g_dir_close(d);
}

static gint by_path(gconstpointer a, gconstpointer b)
{
    return strcmp(((const item *)a)->path, ((const item *)b)->path);
}

/* The newest verdict on rel: "pass"/"fail" and the sha256 it was given for; false when none. */
static bool last_verdict(sh_ledger *l, const char *rel, char verdict[8],
                         char sha[SH_SHA256_HEX_LEN + 1])
{
    sqlite3_stmt *q = NULL;
    bool found = false;
    if (sqlite3_prepare_v2(sh_ledger_db(l),
                           "SELECT verdict, sha256 FROM validations WHERE path = ? "
                           "ORDER BY id DESC LIMIT 1",
                           -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_text(q, 1, rel, -1, SQLITE_STATIC);
        if (sqlite3_step(q) == SQLITE_ROW) {
            g_strlcpy(verdict, (const char *)sqlite3_column_text(q, 0), 8);
            g_strlcpy(sha, (const char *)sqlite3_column_text(q, 1), SH_SHA256_HEX_LEN + 1);
            found = true;
        }
    }
    sqlite3_finalize(q);
    return found;
}

/* Decide for each file: sign it (with the digest it must still have), leave it, or refuse. */
static void plan(batch *b)
{
    for (guint i = 0; i < b->items->len; i++) {
        item *it = &g_array_index(b->items, item, i);
        it->output = output_path(it->path, b->ws.config.signed_suffix);
        it->rel = sh_workspace_relpath(b->ws.root, it->path);
        char verdict[8] = "", sha[SH_SHA256_HEX_LEN + 1] = "";
        if (g_file_test(it->output, G_FILE_TEST_EXISTS)) {
            it->state = ITEM_ALREADY;
            continue;
        }
        if (!it->rel) {
            it->reason = g_strdup(_("it is outside the workspace, so it has no validation"));
        } else if (!last_verdict(b->ledger, it->rel, verdict, sha)) {
            it->reason = g_strdup(_("it has not been validated: run sohoa validate first"));
        } else if (strcmp(verdict, "pass") != 0) {
            it->reason = g_strdup(_("it did not pass validation: fix its problems (sohoa "
                                    "validate lists them) and validate it again"));
        } else {
            it->expect = g_strdup(sha);
        }
        it->state = it->expect || b->force ? ITEM_SIGN : ITEM_REFUSED;
        it->forced = it->state == ITEM_SIGN && !it->expect;
    }
}

/* ---- the ledger ---- */

static sh_status record(batch *b, item *it, const sg_signer *s, sh_error *err)
{
    char *out_rel = sh_workspace_relpath(b->ws.root, it->output);
    sh_json *j = sh_json_new();
    sh_json_begin_object(j);
    sh_json_kv_str(j, "input", it->rel ? it->rel : it->path);
    sh_json_kv_str(j, "input_sha256", it->result.input_sha256);
    sh_json_kv_str(j, "output_sha256", it->result.output_sha256);
    sh_json_kv_str(j, "cert_sha256", sg_signer_cert_sha256(s));
    sh_json_kv_bool(j, "forced", it->forced);
    if (it->forced && it->reason)
        sh_json_kv_str(j, "forced_because", it->reason);
    sh_json_end_object(j);
    char *details = g_strdup(sh_json_finish(j, NULL));
    sh_json_free(j);
    char when[32]; /* the time in the signature's /M, in UTC */
    time_t t = (time_t)it->result.signed_at;
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    int64_t audit_id = 0;
    sh_status st = sh_ledger_begin(b->ledger, err);
    if (st == SH_OK)
        st = sh_audit_append(b->ledger, &b->actor,
                             it->forced ? "document.sign_forced" : "document.sign",
                             out_rel ? out_rel : it->output, details, &audit_id, err);
    sqlite3_stmt *q = NULL;
    sqlite3 *db = sh_ledger_db(b->ledger);
    if (st == SH_OK &&
        (sqlite3_prepare_v2(db,
                            "INSERT INTO signatures (input_path, input_sha256, output_path, "
                            "output_sha256, cert_sha256, signed_at, forced, audit_id) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            -1, &q, NULL) != SQLITE_OK))
        st = sh_fail(err, SH_INTERNAL, _("cannot write the ledger: %s"), sqlite3_errmsg(db));
    if (st == SH_OK) {
        sqlite3_bind_text(q, 1, it->rel ? it->rel : it->path, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, it->result.input_sha256, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 3, out_rel ? out_rel : it->output, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 4, it->result.output_sha256, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 5, sg_signer_cert_sha256(s), -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 6, when, -1, SQLITE_STATIC);
        sqlite3_bind_int(q, 7, it->forced);
        sqlite3_bind_int64(q, 8, audit_id);
        if (sqlite3_step(q) != SQLITE_DONE)
            st = sh_fail(err, SH_INTERNAL, _("cannot write the ledger: %s"), sqlite3_errmsg(db));
    }
    sqlite3_finalize(q);
    st = st == SH_OK ? sh_ledger_commit(b->ledger, err) : (sh_ledger_rollback(b->ledger), st);
    g_free(details);
    g_free(out_rel);
    return st;
}

/* ---- signing ---- */

static sh_status open_signer(batch *b, const sg_key_source *src, const char *pin_env,
                             const char *pin_file, const char *org, const char *seal,
                             sg_signer **signer, sh_error *err)
{
    const sh_config *c = &b->ws.config;
    char *secret = NULL;
    sh_status st = sg_secret_get(
        pin_env, pin_file,
        src->pkcs12 ? _("Passphrase of the key file: ") : _("PIN of the token: "), &secret, err);
    if (st != SH_OK)
        return st;
    if (!seal || !*seal)
        sh_warn(_("no seal image is configured (--seal or seal_image in sohoa.ini): the stamp "
                  "shows the text only"));
    sg_signer_options o = {.key = *src,
                           .secret = secret,
                           .organisation = org && *org ? org : c->sign_organisation,
                           .font_path = c->sign_font,
                           .seal_path = seal && *seal ? seal : NULL,
                           .stamp_width_mm = c->sign_stamp_width_mm,
                           .stamp_margin_mm = c->sign_stamp_margin_mm};
    st = sg_signer_open(&o, signer, err);
    sg_secret_free(secret);
    return st;
}

static void sign_all(batch *b, sg_signer *s, sh_status *worst)
{
    int todo = 0;
    for (guint i = 0; i < b->items->len; i++)
        todo += g_array_index(b->items, item, i).state == ITEM_SIGN;
    sh_progress *progress = sh_progress_new(_("Signing"), (uint64_t)todo);
    for (guint i = 0; i < b->items->len; i++) {
        item *it = &g_array_index(b->items, item, i);
        if (it->state != ITEM_SIGN)
            continue;
        sh_error e;
        sh_error_clear(&e);
        /* With --force a changed file is signed as it is now, and recorded as forced. */
        it->status =
            sg_sign_file(s, it->path, b->force ? NULL : it->expect, it->output, &it->result, &e);
        if (it->status == SH_OK && it->expect && strcmp(it->expect, it->result.input_sha256)) {
            it->forced = true;
            it->reason = g_strdup(_("it changed since it passed validation"));
        }
        if (it->status == SH_OK && record(b, it, s, &e) != SH_OK) {
            g_unlink(it->output); /* a signed file the ledger does not know would be lost */
            it->status = e.status;
        }
        if (it->status == SH_FINDINGS) { /* changed since validation */
            it->state = ITEM_REFUSED;
            it->reason = g_strdup(e.msg);
        } else if (it->status != SH_OK) {
            it->error = g_strdup(e.msg);
            *worst = it->status > *worst ? it->status : *worst;
        }
        sh_progress_add(progress, 1);
    }
    sh_progress_done(progress);
}

/* ---- output ---- */

static const char *state_name(const item *it)
{
    if (it->error)
        return "error";
    return it->state == ITEM_SIGN      ? "signed"
           : it->state == ITEM_ALREADY ? "already_signed"
                                       : "refused";
}

static void print_json(batch *b, int signed_n, int already, int refused, int errors, int status)
{
    sh_json *j = sh_json_new();
    sh_json_begin_object(j);
    sh_json_key(j, "files");
    sh_json_begin_array(j);
    for (guint i = 0; i < b->items->len; i++) {
        item *it = &g_array_index(b->items, item, i);
        sh_json_begin_object(j);
        sh_json_kv_str(j, "path", it->path);
        sh_json_kv_str(j, "status", state_name(it));
        sh_json_kv_str(j, "output", it->output);
        if (it->reason || it->error)
            sh_json_kv_str(j, "reason", it->error ? it->error : it->reason);
        if (it->state == ITEM_SIGN && !it->error) {
            sh_json_kv_str(j, "input_sha256", it->result.input_sha256);
            sh_json_kv_str(j, "output_sha256", it->result.output_sha256);
            sh_json_kv_bool(j, "forced", it->forced);
        }
        sh_json_end_object(j);
    }
    sh_json_end_array(j);
    sh_json_key(j, "summary");
    sh_json_begin_object(j);
    sh_json_kv_int(j, "signed", signed_n);
    sh_json_kv_int(j, "already_signed", already);
    sh_json_kv_int(j, "refused", refused);
    sh_json_kv_int(j, "errors", errors);
    sh_json_end_object(j);
    sh_json_end_object(j);
    cli_print_json(j, status);
    sh_json_free(j);
}

static int report(batch *b, sh_status worst)
{
    int signed_n = 0, already = 0, refused = 0, errors = 0;
    for (guint i = 0; i < b->items->len; i++) {
        item *it = &g_array_index(b->items, item, i);
        if (it->error) {
            errors++;
            if (!b->g->json)
                fprintf(stderr, "sohoa: %s\n", it->error);
        } else if (it->state == ITEM_REFUSED) {
            refused++;
            if (!b->g->json)
                printf(_("%s: not signed: %s\n"), it->path, it->reason);
        } else if (it->state == ITEM_ALREADY) {
            already++;
            if (!b->g->json && sh_log_get_level() == SH_LOG_VERBOSE)
                printf(_("%s: already signed (%s), left alone\n"), it->path, it->output);
        } else {
            signed_n++;
            if (!b->g->json && (it->forced || sh_log_get_level() == SH_LOG_VERBOSE))
                printf(it->forced ? _("%s: signed anyway (--force) → %s\n")
                                  : _("%s: signed → %s\n"),
                       it->path, it->output);
        }
    }
    int status = worst != SH_OK ? (int)worst : refused ? SH_FINDINGS : SH_OK;
    if (b->g->json) {
        print_json(b, signed_n, already, refused, errors, status);
        return status;
    }
    printf(ngettext("Signed %d file", "Signed %d files", (unsigned long)signed_n), signed_n);
    printf(_("; %d already signed; %d refused; %d errors.\n"), already, refused, errors);
    if (refused)
        printf(_("Refused files were not changed: validate them (or fix and validate again), then "
                 "run sohoa sign again.\n"));
    return status;
}

/* ---- the command ---- */

static void batch_free(batch *b)
{
    for (guint i = 0; b->items && i < b->items->len; i++) {
        item *it = &g_array_index(b->items, item, i);
        g_free(it->path);
        g_free(it->output);
        g_free(it->rel);
        g_free(it->reason);
        g_free(it->expect);
        g_free(it->error);
    }
    if (b->items)
        g_array_free(b->items, TRUE);
    sh_ledger_close(b->ledger);
    sh_workspace_close(&b->ws);
}

static sh_status collect(batch *b, int nargs, char **args, sh_error *err)
{
    for (int i = 0; i < nargs; i++) {
        if (g_file_test(args[i], G_FILE_TEST_IS_DIR))
            walk(b, args[i], 0);
        else if (g_file_test(args[i], G_FILE_TEST_IS_REGULAR) && has_pdf_extension(args[i]) &&
                 !is_signed_name(args[i], b->ws.config.signed_suffix))
            add_file(b, args[i]);
        else if (!g_file_test(args[i], G_FILE_TEST_EXISTS))
            return sh_fail(err, SH_INPUT, _("%s does not exist"), args[i]);
    }
    g_array_sort(b->items, by_path);
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
    batch b = {.g = g, .force = force, .items = g_array_new(FALSE, TRUE, sizeof(item))};
    sh_status st = SH_OK;
    if (nargs == 0)
        st = sh_fail(&err, SH_USAGE, _("sign: name at least one folder or PDF file to sign"));
    else if (pin_env && pin_file)
        st = sh_fail(&err, SH_USAGE, _("sign: give --pin-env or --pin-file, not both"));
    if (st == SH_OK)
        st = sh_workspace_open(g->workspace, args[0], g->config, &b.ws, &err);
    if (st == SH_OK) {
        if (!module && !pkcs12)
            module = b.ws.config.sign_pkcs11_module && *b.ws.config.sign_pkcs11_module
                         ? b.ws.config.sign_pkcs11_module
                         : NULL;
        if (!module == !pkcs12)
            st = sh_fail(&err, SH_USAGE,
                         _("sign: say where the key is: --pkcs12 FILE or --pkcs11-module LIB "
                           "(or pkcs11_module in sohoa.ini), one of them"));
    }
    if (st == SH_OK)
        st = sh_ledger_open(b.ws.ledger_path, false, &b.ledger, &err);
    if (st == SH_OK)
        st = cli_actor(g, &b.ws, &b.actor, &err);
    if (st == SH_OK)
        st = collect(&b, nargs, args, &err);
    if (st != SH_OK) {
        batch_free(&b);
        g_free(args);
        return cli_report(&err);
    }
    plan(&b);
    bool any = false;
    for (guint i = 0; i < b.items->len; i++)
        any |= g_array_index(b.items, item, i).state == ITEM_SIGN;
    sh_status worst = SH_OK;
    if (any) {
        sg_key_source src = {.pkcs12 = pkcs12,
                             .pkcs11_module = pkcs12 ? NULL : module,
                             .token_label = token ? token : b.ws.config.sign_token_label,
                             .key_label = key ? key : b.ws.config.sign_key_label};
        if (src.token_label && !*src.token_label)
            src.token_label = NULL;
        if (src.key_label && !*src.key_label)
            src.key_label = NULL;
        sg_signer *signer = NULL;
        st = open_signer(&b, &src, pin_env, pin_file, org,
                         seal ? seal : b.ws.config.sign_seal_image, &signer, &err);
        if (st != SH_OK) {
            batch_free(&b);
            g_free(args);
            return cli_report(&err);
        }
        sign_all(&b, signer, &worst);
        sg_signer_close(signer);
    }
    int status = report(&b, worst);
    batch_free(&b);
    g_free(args);
    return status;
}
