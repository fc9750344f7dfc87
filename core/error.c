/* Errors as values, and stderr logging with -q / -v. */
#include "core/core.h"

#undef sh_fail /* the analyzer's stand-ins (core.h): here are the functions themselves */
#undef sh_fail_errno

#include <string.h>

static void vfill(sh_error *err, sh_status status, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static void vfill(sh_error *err, sh_status status, const char *fmt, va_list ap)
{
    err->status = status;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
}

sh_status sh_fail(sh_error *err, sh_status status, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vfill(err, status, fmt, ap);
        va_end(ap);
    }
    return status;
}

sh_status sh_fail_errno(sh_error *err, sh_status status, int errnum, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vfill(err, status, fmt, ap);
        va_end(ap);
        size_t used = strlen(err->msg);
        snprintf(err->msg + used, sizeof err->msg - used, ": %s", strerror(errnum));
    }
    return status;
}

void sh_error_clear(sh_error *err)
{
    if (err) {
        err->status = SH_OK;
        err->msg[0] = '\0';
    }
}

static sh_log_level log_level = SH_LOG_NORMAL;

void sh_log_set_level(sh_log_level level) { log_level = level; }
sh_log_level sh_log_get_level(void) { return log_level; }

static void vlog(sh_log_level min, const char *prefix, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static void vlog(sh_log_level min, const char *prefix, const char *fmt, va_list ap)
{
    if (log_level < min)
        return;
    /* One fprintf per line so lines from worker threads do not interleave. */
    char line[SH_ERROR_MAX + 64];
    int n = snprintf(line, sizeof line, "%s", prefix);
    if (n < 0)
        return;
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    sh_progress_suspend(); /* never in the middle of a progress bar's line */
    fprintf(stderr, "%s\n", line);
    sh_progress_resume();
}

void sh_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(SH_LOG_NORMAL, _("warning: "), fmt, ap);
    va_end(ap);
}

void sh_info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(SH_LOG_NORMAL, "", fmt, ap);
    va_end(ap);
}

void sh_debug(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(SH_LOG_VERBOSE, "debug: ", fmt, ap);
    va_end(ap);
}
