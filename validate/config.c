/* [validate] of sohoa.ini: its key table. */
#include "validate/validate.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

#include <glib.h>

/* "2;3", "2, 3, 5", "" (none): STTs of Phụ lục 1, so the catalog bounds them. */
static sh_status parse_types(const char *value, void *section, sh_error *why)
{
    vd_config *c = section;
    char **parts = g_strsplit_set(value, ";, ", -1);
    c->n_required_types = 0;
    sh_status st = SH_OK;
    for (int i = 0; parts[i] && st == SH_OK; i++) {
        if (!*parts[i])
            continue;
        char *end;
        errno = 0;
        long t = strtol(parts[i], &end, 10);
        if (errno || *end || t < 1 || t > NM_CATALOG_SIZE)
            st = sh_fail(why, SH_USAGE, _("\"%s\" is not a document type number from 1 to %d"),
                         parts[i], NM_CATALOG_SIZE);
        else if (c->n_required_types < NM_CATALOG_SIZE)
            c->required_types[c->n_required_types++] = (int)t;
    }
    g_strfreev(parts);
    return st;
}

static const sh_config_key KEYS[] = {
    {.name = "min_dpi",
     .kind = SH_KEY_INT,
     .offset = offsetof(vd_config, min_dpi),
     .lo = 50,
     .hi = 2400,
     .def = "200",
     .comment = "Lowest acceptable resolution, pixels per inch / Độ phân giải tối thiểu (ppi)"},
    {.name = "max_skew_deg",
     .kind = SH_KEY_DOUBLE,
     .offset = offsetof(vd_config, max_skew_deg),
     .lo = 0.05,
     .hi = 45,
     .def = "1.0",
     .comment = "Largest acceptable skew, degrees / Độ nghiêng tối đa (độ)"},
    {.name = "required_types",
     .kind = SH_KEY_CUSTOM,
     .parse = parse_types,
     .def = "2;3",
     .comment = "Document types every dossier must hold (STT of Phụ lục 1) / Loại tài liệu bắt "
                "buộc"},
    {.name = "jobs",
     .kind = SH_KEY_INT,
     .offset = offsetof(vd_config, jobs),
     .lo = 0,
     .hi = 256,
     .def = "0",
     .comment = "Worker threads, 0 = one per core / Số luồng xử lý, 0 = theo số lõi"},
};

const sh_config_section vd_config_section = {"validate", KEYS, sizeof KEYS / sizeof *KEYS,
                                             sizeof(vd_config)};

const vd_config *vd_config_get(const sh_config *cfg)
{
    return sh_config_values(cfg, &vd_config_section);
}
