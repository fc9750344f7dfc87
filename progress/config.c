/* [report] of sohoa.ini: when a deadline is "due soon" (HD11 III.1đ), in working days by the
 * station's calendar, when a station that sent no snapshot is stale, and the smallest count a
 * report shows. */
#include <glib.h>
#include <stddef.h>
#include <string.h>

#include "progress/progress.h"

static const char *const DAY_NAMES[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

/* "mon,tue,wed,thu,fri" (any of , ; space between) into working_day[]. */
static sh_status parse_working_days(const char *value, void *section, sh_error *why)
{
    pg_config *c = section;
    bool days[7] = {false};
    char **parts = g_strsplit_set(value, ";, ", -1);
    sh_status st = SH_OK;
    for (int i = 0; parts[i] && st == SH_OK; i++) {
        if (!*parts[i])
            continue;
        int d = 0;
        while (d < 7 && g_ascii_strcasecmp(parts[i], DAY_NAMES[d]) != 0)
            d++;
        if (d == 7)
            st = sh_fail(why, SH_USAGE,
                         _("\"%s\" is not a day: write mon, tue, wed, thu, fri, sat or sun"),
                         parts[i]);
        else
            days[d] = true;
    }
    g_strfreev(parts);
    if (st == SH_OK)
        memcpy(c->working_day, days, sizeof days);
    return st;
}

static bool parse_day(const char *s, GDate *d)
{
    unsigned y, m, dd;
    char tail;
    if (!s || strlen(s) != 10 || sscanf(s, "%4u-%2u-%2u%c", &y, &m, &dd, &tail) != 3 ||
        !g_date_valid_dmy((GDateDay)dd, (GDateMonth)m, (GDateYear)y))
        return false;
    g_date_set_dmy(d, (GDateDay)dd, (GDateMonth)m, (GDateYear)y);
    return true;
}

static sh_status check_holidays(const char *value, void *section, sh_error *why)
{
    (void)section;
    char **parts = g_strsplit_set(value, ";, ", -1);
    sh_status st = SH_OK;
    for (int i = 0; parts[i] && st == SH_OK; i++) {
        GDate d;
        if (*parts[i] && !parse_day(parts[i], &d))
            st = sh_fail(why, SH_USAGE, _("\"%s\" is not a date: write YYYY-MM-DD"), parts[i]);
    }
    g_strfreev(parts);
    return st;
}

static const sh_config_key KEYS[] = {
    {.name = "due_soon_days",
     .kind = SH_KEY_INT,
     .offset = offsetof(pg_config, due_soon_days),
     .comment = "A deadline this many working days away is due soon / Số ngày làm việc trước "
                "hạn được coi là sắp đến hạn",
     .lo = 0,
     .hi = 365,
     .def = "5"},
    {.name = "working_days",
     .kind = SH_KEY_CUSTOM,
     .parse = parse_working_days,
     .comment = "Working days of the week / Các ngày làm việc trong tuần",
     .def = "mon,tue,wed,thu,fri"},
    {.name = "holidays",
     .kind = SH_KEY_STRING,
     .offset = offsetof(pg_config, holidays),
     .parse = check_holidays,
     .comment = "Days off, YYYY-MM-DD separated by ; / Các ngày nghỉ lễ (YYYY-MM-DD, cách nhau "
                "bởi ;)"},
    {.name = "stale_days",
     .kind = SH_KEY_INT,
     .offset = offsetof(pg_config, stale_days),
     .comment = "A station with no snapshot for this many days is flagged / Số ngày không có số "
                "liệu thì trạm bị đánh dấu",
     .lo = 1,
     .hi = 3650,
     .def = "7"},
    {.name = "min_cell",
     .kind = SH_KEY_INT,
     .offset = offsetof(pg_config, min_cell),
     .comment = "Counts below this are not shown (0: all shown) / Số liệu nhỏ hơn mức này được "
                "ẩn",
     .lo = 0,
     .hi = 1000000,
     .def = "0"},
};

const sh_config_section pg_config_section = {"report", KEYS, sizeof KEYS / sizeof *KEYS,
                                             sizeof(pg_config)};

const pg_config *pg_config_get(const sh_config *cfg)
{
    return sh_config_values(cfg, &pg_config_section);
}

static bool is_holiday(const pg_config *c, const GDate *d)
{
    if (!c->holidays)
        return false;
    char **parts = g_strsplit_set(c->holidays, ";, ", -1);
    bool found = false;
    for (int i = 0; parts[i] && !found; i++) {
        GDate h;
        found = parse_day(parts[i], &h) && g_date_compare(&h, d) == 0;
    }
    g_strfreev(parts);
    return found;
}

static bool is_working(const pg_config *c, const GDate *d)
{
    int wd = (int)g_date_get_weekday(d) - 1; /* G_DATE_MONDAY is 1 */
    return c->working_day[wd] && !is_holiday(c, d);
}

int pg_working_days_between(const pg_config *c, const char *from, const char *to)
{
    GDate a, b;
    if (!parse_day(from, &a) || !parse_day(to, &b))
        return 0;
    int sign = 1;
    if (g_date_compare(&b, &a) < 0) {
        GDate t = a;
        a = b;
        b = t;
        sign = -1;
    }
    /* Bounded: a plan spans years at most; count day by day past whole weeks. */
    int span = g_date_days_between(&a, &b), n = 0;
    if (span > 366 * 50)
        span = 366 * 50;
    for (int i = 0; i < span; i++) {
        g_date_add_days(&a, 1);
        n += is_working(c, &a);
    }
    return sign * n;
}
