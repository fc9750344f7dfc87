/* Findings as JSON: one writer, so every command reports them the same way. */
#include "core/core.h"

void sh_finding_value(sh_finding *f, const char *key, double value)
{
    if (f->n_values >= SH_FINDING_VALUES)
        return;
    f->values[f->n_values].key = key;
    f->values[f->n_values].value = value;
    f->n_values++;
}

const char *sh_severity_name(sh_severity s) { return s == SH_ERROR ? "error" : "warning"; }

void sh_finding_json(sh_json *j, const sh_finding *f)
{
    sh_json_begin_object(j);
    sh_json_kv_str(j, "code", f->code);
    sh_json_kv_str(j, "severity", sh_severity_name(f->severity));
    if (f->path)
        sh_json_kv_str(j, "path", f->path);
    if (f->page > 0)
        sh_json_kv_int(j, "page", f->page);
    for (int i = 0; i < f->n_values; i++)
        sh_json_kv_double(j, f->values[i].key, f->values[i].value);
    sh_json_kv_str(j, "message", f->message);
    if (f->suggestion) {
        sh_json_kv_str(j, "suggestion", f->suggestion);
        sh_json_kv_bool(j, "fixable", f->fixable);
    }
    sh_json_end_object(j);
}
