/* sohoa upload (issue 16): package volumes delivered to the receiver with tus, one pass over the
 * volumes to deliver, each resumed where an earlier run left it; then, for each package whose
 * volumes are all on the server, the receiver's receipt fetched, verified and stored.
 *
 * The ledger is the memory between runs: the upload's URL is stored in the transaction that
 * begins the transfer row (so a kill at any later moment resumes there), and each attempt ends
 * with the server's offset in the uploads row and its outcome in the transfer log: 'sent' (this
 * attempt sent the last bytes), 'complete' (the server held every byte already: nothing sent),
 * 'failed'. A row still 'started' at the next run was killed ('interrupted'). */
#include "upload_impl.h"

#include <glib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    const up_upload_options *o;
    const char *endpoint;
    up_tus_caps caps; /* OPTIONS, asked once per run */
    up_dv_log log;
    up_delivery_summary *sum;
    uint64_t total, done; /* the run's bytes, for the progress callback */
} run;

/* One volume's attempt. */
typedef struct {
    run *r;
    const up_dv_volume *v;
    int64_t transfer; /* the transfer row, 0 until begun */
    bool recreated;   /* a stored upload the server no longer knew was created anew */
} attempt;

/* An upload the receiver no longer knew (expired, forgotten), created anew: in the audit chain,
 * inside the caller's transaction. */
static sh_status record_restart(attempt *a, const char *url, sh_error *err)
{
    sh_json *j = sh_json_new();
    sh_json_begin_object(j);
    sh_json_kv_str(j, "package", a->v->package);
    sh_json_kv_int(j, "volume", a->v->volume);
    sh_json_kv_str(j, "endpoint", a->r->endpoint);
    sh_json_kv_str(j, "url", url);
    sh_json_end_object(j);
    const char *details = sh_json_finish(j, err);
    int64_t id;
    sh_status st = details ? sh_audit_append(a->r->o->ledger, a->r->o->actor,
                                             "package.upload.restart", a->v->rel, details, &id, err)
                           : SH_INTERNAL;
    sh_json_free(j);
    return st;
}

/* The transfer row begun and the URL stored, in one transaction (with the restart's record). */
static sh_status begin_with_url(attempt *a, const char *url, bool restart, sh_error *err)
{
    sh_ledger *l = a->r->o->ledger;
    sh_status st = sh_ledger_begin(l, err);
    if (st != SH_OK)
        return st;
    if (!a->transfer)
        st = up_dv_transfer_begin(&a->r->log, a->v, &a->transfer, err);
    if (st == SH_OK && url)
        st = up_ul_store_url(l, a->v, a->r->endpoint, url, err);
    if (st == SH_OK && restart)
        st = record_restart(a, url, err);
    if (st != SH_OK) {
        sh_ledger_rollback(l);
        a->transfer = 0;
        return st;
    }
    return sh_ledger_commit(l, err);
}

static sh_status on_stored(void *ctx, const char *url, bool replaced, sh_error *err)
{
    attempt *a = ctx;
    if (replaced) {
        a->recreated = true;
        sh_info(_("%s: the receiver no longer held the upload begun earlier; it goes on at %s"),
                a->v->path, url);
    }
    return begin_with_url(a, url, replaced, err);
}

static void on_progress(void *ctx, uint64_t sent, uint64_t length)
{
    (void)length;
    attempt *a = ctx;
    run *r = a->r;
    if (r->o->bytes)
        r->o->bytes(r->done + sent, r->total, r->o->ctx);
}

static up_tus_options tus_options(const run *r)
{
    const up_config *c = r->o->cfg;
    return (up_tus_options){
        .endpoint = r->endpoint,
        .ca_file = c ? c->ca_file : NULL,
        .client_cert = c ? c->client_cert : NULL,
        .client_key = c ? c->client_key : NULL,
        .rate_limit = c ? (uint64_t)c->rate_limit_kib * 1024u : 0,
        .chunk_size = c ? (size_t)c->chunk_size_kib * 1024u : 0,
        .stall_seconds = c ? (unsigned)c->stall_seconds : 0,
        .give_up_after = c ? (unsigned)c->give_up_after : 0,
        .backoff_ms = r->o->backoff_ms,
    };
}

static void report(run *r, const up_dv_volume *v, const up_tus_result *res, bool resumed,
                   bool already, const char *error)
{
    up_stage stage = UP_STAGE_PENDING;
    sh_error ignored;
    if (sh_ledger_begin_read(r->o->ledger, &ignored) == SH_OK) {
        if (up_dv_stage(r->o->ledger, v->package, &stage, &ignored) != SH_OK)
            stage = UP_STAGE_PENDING;
        sh_ledger_rollback(r->o->ledger);
    }
    up_delivery_report rep = {.package = v->package,
                              .org = v->org,
                              .volume = v->volume,
                              .volumes = v->volumes,
                              .path = v->path,
                              .bytes = v->bytes,
                              .sent = res ? res->bytes_sent : 0,
                              .resumed = resumed,
                              .already = already,
                              .stage = stage,
                              .error = error,
                              .target = r->endpoint};
    if (r->o->volume)
        r->o->volume(&rep, r->o->ctx);
}

/* The end of an attempt: the uploads row and the transfer row, whatever happened. */
static sh_status end_attempt(attempt *a, const up_tus_result *res, sh_status sent,
                             const char *error, sh_error *err)
{
    run *r = a->r;
    bool complete = sent == SH_OK;
    sh_status st = SH_OK;
    if (!a->transfer) /* refused before the server made a URL: still an attempt to log */
        st = begin_with_url(a, NULL, false, err);
    if (st == SH_OK)
        st = up_ul_finish(r->o->ledger, a->v, r->endpoint, res->offset, complete, error, err);
    const char *outcome = !complete ? "failed" : res->already_complete ? "complete" : "sent";
    if (st == SH_OK)
        st = up_dv_transfer_end(&r->log, a->v, a->transfer, outcome, res->bytes_sent, error, NULL,
                                err);
    return st;
}

/* One volume: skipped when the server holds it already, else sent (or resumed). *stop: a
 * failure that ends the run (the network, the configuration, the ledger). */
static sh_status deliver(run *r, const up_dv_volume *v, bool *receipt_ready, bool *stop,
                         sh_error *err)
{
    char *url = NULL;
    bool complete = false;
    sh_status st = up_ul_get(r->o->ledger, v, r->endpoint, &url, &complete, err);
    if (st == SH_OK && (complete || v->has_receipt)) {
        r->sum->already++;
        r->done += v->bytes;
        if (r->o->bytes)
            r->o->bytes(r->done, r->total, r->o->ctx);
        report(r, v, NULL, false, true, NULL);
        g_free(url);
        return SH_OK;
    }
    attempt a = {.r = r, .v = v};
    up_tus_options to = tus_options(r);
    to.caps = &r->caps;
    to.progress = on_progress;
    to.progress_ctx = &a;
    to.stored = on_stored;
    to.stored_ctx = &a;
    if (st == SH_OK && url) /* before the HEAD: a kill from here on is an interrupted attempt */
        st = begin_with_url(&a, url, false, err);
    if (st != SH_OK) {
        g_free(url);
        *stop = true;
        return st;
    }
    char *name = g_path_get_basename(v->path);
    up_tus_metadata md = {.package = v->package,
                          .volume = (unsigned)v->volume,
                          .volumes = (unsigned)v->volumes,
                          .org = v->org,
                          .filename = name,
                          .sha256 = v->sha256};
    up_tus_result res;
    sh_error tus_err;
    sh_error_clear(&tus_err);
    sh_status sent = up_tus_upload(&to, v->path, &md, url, &res, &tus_err);
    g_free(name);
    const char *error = sent == SH_OK ? NULL : tus_err.msg;
    st = end_attempt(&a, &res, sent, error, err);
    bool resumed = (url && !res.created) || res.adopted;
    g_free(url);
    r->sum->bytes_sent += res.bytes_sent;
    r->done += v->bytes;
    *receipt_ready = res.receipt_ready;
    if (sent == SH_OK) {
        r->sum->sent_volumes += res.already_complete ? 0 : 1;
        r->sum->already += res.already_complete ? 1 : 0;
    } else {
        r->sum->failed++;
        r->sum->resumable = res.retryable;
        *stop = sent != SH_INPUT; /* the file or this volume's refusal: the others may go */
    }
    report(r, v, &res, resumed, sent == SH_OK && res.already_complete, error);
    if (st != SH_OK) {
        *stop = true;
        return st;
    }
    if (sent != SH_OK)
        *err = tus_err;
    return sent;
}

/* ---- receipts ---- */

static sh_status store_receipt(run *r, const char *package, const up_fetched_receipt *f,
                               sh_error *err)
{
    up_receipt_options ro = {.ws = r->o->ws,
                             .ledger = r->o->ledger,
                             .actor = r->o->actor,
                             .trust = r->o->trust,
                             .expect_package = package};
    up_receipt_report rep;
    sh_status st =
        up_receipt_store(&ro, f->url, f->json, f->json_len, f->p7s, f->p7s_len, &rep, err);
    if (st != SH_OK)
        return st;
    r->sum->receipts++;
    if (r->o->receipt)
        r->o->receipt(&rep, r->o->ctx);
    st = up_ul_note_receipt(r->o->ledger, package, rep.sha256, err);
    if (st == SH_OK && !rep.accepted)
        return sh_fail(err, SH_FINDINGS,
                       _("the receiver REJECTED package %s (receipt %s): see the findings in the "
                         "receipt, correct the dossiers, pack and upload them again"),
                       package, rep.path);
    return st;
}

/* A package whose volumes are all on the server: its receipt, when there is one to have. */
static sh_status receipt_for(run *r, const char *package, bool receipt_ready, bool sent_now,
                             sh_error *err)
{
    bool whole = receipt_ready;
    sh_status st =
        whole ? SH_OK : up_ul_package_complete(r->o->ledger, package, r->endpoint, &whole, err);
    if (st != SH_OK || !whole)
        return st;
    if (!r->o->trust) {
        r->sum->awaiting++;
        return sh_fail(err, SH_FINDINGS,
                       _("package %s is on the receiver's server, but its receipt cannot be "
                         "verified: set receiver_trust (the CA of the receiver's receipt key) in "
                         "the [upload] section of sohoa.ini and run sohoa upload again"),
                       package);
    }
    up_tus_options to = tus_options(r);
    up_fetched_receipt f;
    unsigned wait = !sent_now                ? 0
                    : r->o->receipt_wait < 0 ? UP_RECEIPT_WAIT_DEFAULT
                                             : (unsigned)r->o->receipt_wait;
    st = up_receipt_fetch(&to, package, wait, &f, err);
    if (st == SH_OK && !f.found) {
        r->sum->awaiting++;
        st = sh_fail(err, SH_FINDINGS,
                     _("package %s is on the receiver's server, but its receipt is not there yet "
                       "(%s: %s): run sohoa upload again later to fetch it; nothing will be sent "
                       "again"),
                     package, f.url, f.problem);
    } else if (st == SH_OK) {
        st = store_receipt(r, package, &f, err);
    }
    up_fetched_receipt_clear(&f);
    return st;
}

/* ---- the run ---- */

static sh_status worse(sh_status a, sh_status b) { return b > a ? b : a; }

/* A failure that does not stop the run: the first is kept for the caller (err), the others are
 * said now; the worst status is kept. */
static void note(sh_status st, const sh_error *e, sh_status *worst, sh_error *first)
{
    if (st == SH_OK)
        return;
    if (*worst == SH_OK)
        *first = *e;
    else
        sh_warn("%s", e->msg);
    *worst = worse(*worst, st);
}

/* A failure that stops the run: it goes to the caller, the first one kept so far is said. */
static sh_status stop_with(sh_status st, const sh_error *e, sh_status worst, const sh_error *first,
                           sh_error *err)
{
    if (worst != SH_OK)
        sh_warn("%s", first->msg);
    *err = *e;
    return st;
}

/* A package whose last volume went without a failure: its receipt is asked for once every
 * volume of the run is sent, so that the receiver checks packages while later ones travel. */
typedef struct {
    const char *package;
    bool receipt_ready; /* the receiver said so (303) */
    bool sent_now;      /* this run sent bytes of it: the receiver may still be checking */
} ask;

static sh_status receipts(run *r, const GArray *asks, sh_status worst, sh_error *first,
                          sh_error *err)
{
    for (guint i = 0; i < asks->len; i++) {
        const ask *a = &g_array_index(asks, ask, i);
        sh_error e;
        sh_error_clear(&e);
        sh_status st = receipt_for(r, a->package, a->receipt_ready, a->sent_now, &e);
        if (st != SH_OK && st != SH_FINDINGS)
            return stop_with(st, &e, worst, first, err);
        note(st, &e, &worst, first);
    }
    if (worst != SH_OK)
        *err = *first;
    return worst;
}

static sh_status upload_all(run *r, const up_dv_list *list, sh_error *err)
{
    sh_status worst = SH_OK, failed = SH_OK; /* failed: of the package's volumes so far */
    sh_error first;
    sh_error_clear(&first);
    GArray *asks = g_array_new(FALSE, TRUE, sizeof(ask));
    ask a = {0};
    for (int i = 0; i < list->n; i++) {
        const up_dv_volume *v = &list->v[i];
        if (i == 0 || strcmp(v->package, list->v[i - 1].package) != 0) {
            r->sum->packages++;
            a = (ask){.package = v->package};
            failed = SH_OK;
        }
        r->sum->volumes++;
        bool stop = false, receipt_ready = false;
        sh_error e;
        sh_error_clear(&e);
        uint64_t before = r->sum->bytes_sent;
        sh_status st = deliver(r, v, &receipt_ready, &stop, &e);
        a.sent_now = a.sent_now || r->sum->bytes_sent > before;
        if (stop) {
            g_array_free(asks, TRUE);
            return stop_with(st, &e, worst, &first, err);
        }
        a.receipt_ready = a.receipt_ready || receipt_ready;
        failed = worse(failed, st);
        note(st, &e, &worst, &first);
        bool last = i + 1 == list->n || strcmp(v->package, list->v[i + 1].package) != 0;
        if (last && failed == SH_OK && !v->has_receipt)
            g_array_append_val(asks, a);
    }
    sh_status st = receipts(r, asks, worst, &first, err);
    g_array_free(asks, TRUE);
    return st;
}

sh_status up_upload(char *const *files, int n_files, const up_upload_options *o,
                    up_delivery_summary *sum, sh_error *err)
{
    memset(sum, 0, sizeof *sum);
    if (!o->endpoint || !*o->endpoint)
        return sh_fail(err, SH_USAGE,
                       _("no receiver to upload to: set endpoint in the [upload] section of "
                         "sohoa.ini, or give --to URL"));
    sh_status st = up_tus_check_url(o->endpoint, _("the upload endpoint"), err);
    int lock = st == SH_OK ? up_dv_lock(o->ws, err) : -1;
    if (st == SH_OK && lock < 0)
        st = SH_INTERNAL;
    if (st == SH_OK)
        st = up_dv_close_killed(o->ledger, err);
    up_dv_list list = {0};
    if (st == SH_OK)
        st = up_dv_select(o->ws, o->ledger, files, files ? n_files : 0, &list, err);
    if (st != SH_OK) {
        if (lock >= 0)
            close(lock);
        return st;
    }
    run r = {.o = o,
             .endpoint = o->endpoint,
             .log = {.ledger = o->ledger,
                     .actor = o->actor,
                     .channel = UP_CHANNEL_TUS,
                     .target = o->endpoint},
             .sum = sum};
    for (int i = 0; i < list.n; i++)
        r.total += list.v[i].bytes;
    st = upload_all(&r, &list, err);
    up_dv_list_clear(&list);
    close(lock);
    return st;
}
