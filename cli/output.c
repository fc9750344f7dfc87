/* The one output path of the commands: a JSON document on stdout with --json, else lines for a
 * person that honour -q / -v and never cut through a progress bar. Errors go to stderr. */
#include "cli.h"

#include <stdarg.h>

void cli_out_open(cli_out *o, const cli_globals *g)
{
    o->json = NULL;
    if (g->json) {
        o->json = sh_json_new();
        sh_json_begin_object(o->json);
    }
}

int cli_out_close(cli_out *o, int status)
{
    if (!o->json)
        return status;
    sh_json_end_object(o->json);
    sh_error err;
    const char *text = sh_json_finish(o->json, &err);
    if (text) {
        printf("%s\n", text);
        fflush(stdout);
    } else {
        status = cli_report(&err); /* a writer misuse: nothing half-written on stdout */
    }
    sh_json_free(o->json);
    o->json = NULL;
    return status;
}

void cli_out_drop(cli_out *o)
{
    sh_json_free(o->json); /* a command that stopped prints no document */
    o->json = NULL;
}

void cli_out_flush(cli_out *o)
{
    if (o->json)
        (void)sh_json_flush_to(o->json, stdout); /* a failed document is reported at close */
}

int cli_out_fail(cli_out *o, const sh_error *err)
{
    cli_out_drop(o);
    return cli_report(err);
}

static bool level_shown(cli_level level)
{
    sh_log_level now = sh_log_get_level();
    return level == CLI_RESULT || (level == CLI_NOTE && now >= SH_LOG_NORMAL) ||
           (level == CLI_DETAIL && now >= SH_LOG_VERBOSE);
}

/* One write per message, with the bar blanked around it. */
static void put(FILE *stream, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void put(FILE *stream, const char *fmt, va_list ap)
{
    sh_progress_suspend();
    fflush(stream == stdout ? stderr : stdout); /* the two streams in the order written */
    vfprintf(stream, fmt, ap);
    fflush(stream);
    sh_progress_resume();
}

static void say_to(FILE *stream, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say_to(FILE *stream, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    put(stream, fmt, ap);
    va_end(ap);
}

void cli_say(const cli_out *o, cli_level level, const char *fmt, ...)
{
    if (o->json || !level_shown(level))
        return; /* with --json, stdout holds the document and nothing else */
    va_list ap;
    va_start(ap, fmt);
    put(stdout, fmt, ap);
    va_end(ap);
}

void cli_say_err(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    put(stderr, fmt, ap);
    va_end(ap);
}

/* ---- findings: a record of the document, or lines for a person ---- */

static void print_finding(FILE *stream, const sh_finding *f)
{
    const char *severity = f->severity == SH_ERROR ? _("error") : _("warning");
    if (f->path)
        say_to(stream, "%s: %s %s: %s\n", f->path, severity, f->code, f->message);
    else
        say_to(stream, "%s %s: %s\n", severity, f->code, f->message);
    if (f->suggestion)
        say_to(stream, "    → %s%s\n", f->suggestion, f->fixable ? "" : _(" (to be confirmed)"));
}

void cli_finding_out(const sh_finding *f, void *ctx)
{
    const cli_out *o = ctx;
    if (o->json)
        sh_finding_json(o->json, f);
    else
        print_finding(stdout, f);
}

void cli_finding_err(const sh_finding *f, void *ctx)
{
    const cli_out *o = ctx;
    if (o->json)
        sh_finding_json(o->json, f);
    else if (f->severity == SH_ERROR || sh_log_get_level() != SH_LOG_QUIET)
        print_finding(stderr, f);
}
