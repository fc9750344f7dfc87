/* The report's as-of time and period (HD11 II.1b: a month, quarter, half-year, year or any span
 * of days), and the calendar arithmetic of the weekly series. Times are compared as text: the
 * ledger writes every time as UTC 2026-11-21T13:01:15.123Z. */
#include <glib.h>
#include <string.h>

#include "report_impl.h"

/* YYYY-MM-DD, alone or at the start of a time (YYYY-MM-DDT...). */
static bool parse_day(const char *s, GDate *d)
{
    unsigned y, m, dd;
    if (!s || strlen(s) < 10 || (s[10] != '\0' && s[10] != 'T') || s[4] != '-' || s[7] != '-' ||
        sscanf(s, "%4u-%2u-%2u", &y, &m, &dd) != 3 ||
        !g_date_valid_dmy((GDateDay)dd, (GDateMonth)m, (GDateYear)y))
        return false;
    g_date_clear(d, 1);
    g_date_set_dmy(d, (GDateDay)dd, (GDateMonth)m, (GDateYear)y);
    return true;
}

int pg_julian(const char *day)
{
    GDate d;
    return parse_day(day, &d) ? (int)g_date_get_julian(&d) : 0;
}

int pg_monday(int j)
{
    return j - (j - 1) % 7; /* julian day 1 (1 January of year 1) was a Monday */
}

void pg_julian_day(int j, char out[11])
{
    GDate d;
    g_date_clear(&d, 1);
    g_date_set_julian(&d, (guint32)j);
    g_snprintf(out, 11, "%04d-%02d-%02d", g_date_get_year(&d), g_date_get_month(&d),
               g_date_get_day(&d));
}

static void when_from(pg_when *w, GDateTime *t)
{
    char *shown = g_date_time_format(t, "%Y-%m-%dT%H:%M:%SZ");
    /* The ledger holds times with milliseconds (…:05.466Z) and without (signatures: …:05Z);
     * "…:05Z" sorts after every "…:05.xxxZ" ('Z' > '.') and equals the other form: the one
     * upper bound that takes in both. */
    char *until = g_date_time_format(t, "%Y-%m-%dT%H:%M:%SZ");
    char *day = g_date_time_format(t, "%Y-%m-%d");
    g_strlcpy(w->as_of, shown, sizeof w->as_of);
    g_strlcpy(w->until, until, sizeof w->until);
    g_strlcpy(w->day, day, sizeof w->day);
    g_free(shown);
    g_free(until);
    g_free(day);
}

sh_status pg_when_parse(const char *as_of, pg_when *w, sh_error *err)
{
    GTimeZone *utc = g_time_zone_new_utc();
    GDateTime *t = NULL;
    GDate d;
    if (!as_of)
        t = g_date_time_new_now(utc);
    else if (strlen(as_of) == 10 && parse_day(as_of, &d))
        t = g_date_time_new(utc, g_date_get_year(&d), g_date_get_month(&d), g_date_get_day(&d), 23,
                            59, 59);
    else if (strlen(as_of) < 64)
        t = g_date_time_new_from_iso8601(as_of, utc);
    g_time_zone_unref(utc);
    if (!t)
        return sh_fail(err, SH_USAGE,
                       _("--as-of \"%s\" is not a time: write YYYY-MM-DD or "
                         "YYYY-MM-DDTHH:MM:SSZ"),
                       as_of);
    GDateTime *u = g_date_time_to_utc(t);
    when_from(w, u);
    g_date_time_unref(u);
    g_date_time_unref(t);
    return SH_OK;
}

/* The named periods: the month, quarter, half or year holding the as-of day. */
static bool named_period(const char *spec, const GDate *day, pg_period *p)
{
    int y = g_date_get_year(day), m = g_date_get_month(day), first, months;
    if (strcmp(spec, "month") == 0) {
        first = m, months = 1;
        g_snprintf(p->name, sizeof p->name, "%04d-%02d", y, m);
    } else if (strcmp(spec, "quarter") == 0) {
        first = (m - 1) / 3 * 3 + 1, months = 3;
        g_snprintf(p->name, sizeof p->name, "%04d-Q%d", y, (m - 1) / 3 + 1);
    } else if (strcmp(spec, "half") == 0) {
        first = m <= 6 ? 1 : 7, months = 6;
        g_snprintf(p->name, sizeof p->name, "%04d-H%d", y, m <= 6 ? 1 : 2);
    } else if (strcmp(spec, "year") == 0) {
        first = 1, months = 12;
        g_snprintf(p->name, sizeof p->name, "%04d", y);
    } else
        return false;
    int last = first + months - 1;
    g_snprintf(p->start, sizeof p->start, "%04d-%02d-01", y, first);
    g_snprintf(p->end, sizeof p->end, "%04d-%02d-%02d", y, last,
               g_date_get_days_in_month((GDateMonth)last, (GDateYear)y));
    return true;
}

static bool span_period(const char *spec, pg_period *p)
{
    const char *dots = strstr(spec, "..");
    GDate a, b;
    if (!dots || dots - spec != 10 || strlen(dots + 2) != 10)
        return false;
    char from[11];
    g_strlcpy(from, spec, sizeof from);
    if (!parse_day(from, &a) || !parse_day(dots + 2, &b) || g_date_compare(&a, &b) > 0)
        return false;
    g_strlcpy(p->start, from, sizeof p->start);
    g_strlcpy(p->end, dots + 2, sizeof p->end);
    g_snprintf(p->name, sizeof p->name, "%s..%s", p->start, p->end);
    return true;
}

sh_status pg_period_parse(const char *spec, const pg_when *w, pg_period *p, sh_error *err)
{
    memset(p, 0, sizeof *p);
    GDate day;
    if (!parse_day(w->day, &day))
        return sh_fail(err, SH_INTERNAL, "as-of day %s", w->day);
    const char *s = spec ? spec : "month";
    if (!named_period(s, &day, p) && !span_period(s, p))
        return sh_fail(err, SH_USAGE,
                       _("--period \"%s\" is not a period: write month, quarter, half, year or "
                         "YYYY-MM-DD..YYYY-MM-DD"),
                       s);
    g_snprintf(p->from, sizeof p->from, "%sT00:00:00.000Z", p->start);
    g_snprintf(p->to, sizeof p->to, "%sT23:59:59Z", p->end); /* as until: both forms */
    if (strcmp(w->until, p->to) < 0)
        g_strlcpy(p->to, w->until, sizeof p->to);
    g_strlcpy(p->last_day, strcmp(w->day, p->end) < 0 ? w->day : p->end, sizeof p->last_day);
    return SH_OK;
}
