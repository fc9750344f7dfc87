/* What the report structures own. */
#include "validate/validate.h"

#include <glib.h>

void vd_file_report_free(vd_file_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_findings; i++) {
        g_free(r->findings[i].code);
        g_free(r->findings[i].message);
        g_free(r->findings[i].suggestion);
    }
    g_free(r->findings);
    for (size_t i = 0; i < r->n_thumbs; i++) {
        g_free(r->thumbs[i].px);
        g_free(r->thumbs[i].twin.px);
        g_free(r->thumbs[i].twin.file);
    }
    g_free(r->thumbs);
    g_free(r->priority1);
    g_free(r->path);
    g_free(r->org);
    g_free(r->dossier);
    *r = (vd_file_report){0};
}
