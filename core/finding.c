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
    sh_json_key(j, "code");
    sh_json_string(j, f->code);
    sh_json_key(j, "severity");
    sh_json_string(j, sh_severity_name(f->severity));
    if (f->path) {
        sh_json_key(j, "path");
        sh_json_string(j, f->path);
    }
    if (f->page > 0) {
        sh_json_key(j, "page");
        sh_json_int(j, f->page);
    }
    for (int i = 0; i < f->n_values; i++) {
        sh_json_key(j, f->values[i].key);
        sh_json_double(j, f->values[i].value);
    }
    sh_json_key(j, "message");
    sh_json_string(j, f->message);
    if (f->suggestion) {
        sh_json_key(j, "suggestion");
        sh_json_string(j, f->suggestion);
        sh_json_key(j, "fixable");
        sh_json_bool(j, f->fixable);
    }
    sh_json_end_object(j);
}
