/* The signing time as the stamp and the signature dictionary show it: Vietnam's time (UTC+7,
 * no daylight saving), whatever the station's time zone is set to. */
#include "sign_impl.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define VIETNAM_OFFSET (7 * 3600)

static struct tm vietnam_time(int64_t unix_time)
{
    time_t t = (time_t)(unix_time + VIETNAM_OFFSET);
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        memset(&tm, 0, sizeof tm);
    return tm;
}

void sg_time_stamp_text(int64_t unix_time, char out[SG_TIME_TEXT_LEN])
{
    struct tm tm = vietnam_time(unix_time);
    snprintf(out, SG_TIME_TEXT_LEN, "%02d/%02d/%04d %02d:%02d:%02d +07:00", tm.tm_mday,
             tm.tm_mon + 1, tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void sg_time_pdf_date(int64_t unix_time, char out[SG_TIME_TEXT_LEN])
{
    struct tm tm = vietnam_time(unix_time);
    snprintf(out, SG_TIME_TEXT_LEN, "D:%04d%02d%02d%02d%02d%02d+07'00'", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* n digits at *p into *v (advancing); false when they are not all there. */
static bool digits(const char **p, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (**p < '0' || **p > '9')
            return false;
        *v = *v * 10 + (**p - '0');
    }
    return true;
}

bool sg_time_parse_pdf_date(const char *s, int64_t *unix_time)
{
    if (strncmp(s, "D:", 2) == 0)
        s += 2;
    int f[6] = {0, 1, 1, 0, 0, 0};
    static const int width[6] = {4, 2, 2, 2, 2, 2};
    if (!digits(&s, 4, &f[0]))
        return false;
    for (int i = 1; i < 6 && *s >= '0' && *s <= '9'; i++)
        if (!digits(&s, width[i], &f[i]))
            return false;
    if (f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > 31 || f[3] > 23 || f[4] > 59 || f[5] > 60)
        return false;
    int offset = 0;
    if (*s == '+' || *s == '-') {
        int sign = *s++ == '-' ? -1 : 1, hh = 0, mm = 0;
        if (!digits(&s, 2, &hh))
            return false;
        if (*s == '\'')
            s++;
        if (*s >= '0' && *s <= '9' && !digits(&s, 2, &mm))
            return false;
        offset = sign * (hh * 3600 + mm * 60);
    }
    struct tm tm = {.tm_year = f[0] - 1900,
                    .tm_mon = f[1] - 1,
                    .tm_mday = f[2],
                    .tm_hour = f[3],
                    .tm_min = f[4],
                    .tm_sec = f[5]};
    *unix_time = (int64_t)timegm(&tm) - offset;
    return true;
}
