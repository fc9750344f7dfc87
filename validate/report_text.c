/* The terminal and JSON forms of a validation report. The terminal form is for the operator at
 * the scan station: each file that failed, each problem on its page, and what to do. */
#include <glib.h>

#include "validate/validate.h"

static const char *severity_word(sh_severity s)
{
    return s == SH_ERROR ? _("error") : _("warning");
}

static void print_priority1(FILE *out, const vd_file_report *r)
{
    if (r->kind != VD_ENTRY_FOLDER || !r->dossier)
        return;
    fprintf(out, "  %s", _("priority-1 documents present:"));
    if (r->n_priority1 == 0)
        fprintf(out, " %s", _("none"));
    for (size_t i = 0; i < r->n_priority1; i++) {
        char stt[4];
        nm_stt_text(r->priority1[i], stt);
        fprintf(out, "%s %s", i ? "," : "", stt);
    }
    fputc('\n', out);
}

void vd_text_entry(FILE *out, const vd_file_report *r, sh_log_level level)
{
    bool quiet = level == SH_LOG_QUIET;
    if (r->passed && (quiet || (r->n_findings == 0 && level != SH_LOG_VERBOSE)))
        return;
    if (r->kind == VD_ENTRY_FOLDER)
        fprintf(out, "%s/ — %s\n", r->path, r->passed ? _("passed") : _("FAILED"));
    else if (r->pages > 0)
        fprintf(out,
                ngettext("%s (%d page) — %s\n", "%s (%d pages) — %s\n", (unsigned long)r->pages),
                r->path, r->pages, r->passed ? _("passed") : _("FAILED"));
    else
        fprintf(out, "%s — %s\n", r->path, r->passed ? _("passed") : _("FAILED"));
    if (!quiet)
        print_priority1(out, r);
    for (size_t i = 0; i < r->n_findings; i++) {
        const vd_finding *f = &r->findings[i];
        if (quiet && f->severity != SH_ERROR)
            continue;
        fprintf(out, "  %s %s: %s\n", severity_word(f->severity), f->code, f->message);
        if (f->suggestion)
            fprintf(out, "    → %s%s\n", f->suggestion, f->fixable ? "" : _(" (to be confirmed)"));
    }
}

void vd_text_summary(FILE *out, const vd_summary *s)
{
    fprintf(out,
            _("Checked %zu files (%llu pages) in %zu dossiers: %zu passed, %zu failed; %zu "
              "errors, %zu warnings (%.1f s).\n"),
            s->files, (unsigned long long)s->pages, s->dossiers, s->passed, s->failed, s->errors,
            s->warnings, s->seconds);
    vd_text_verdict(out, s, false);
}

void vd_text_verdict(FILE *out, const vd_summary *s, bool problems_only)
{
    /* "Everything passed" is a statement operators sign on: it is said only when it is true of
     * everything they asked about. Each reason it is not is said instead. */
    bool said = false;
    if (s->incomplete) {
        fprintf(out,
                ngettext("%zu of the paths given could not be checked in full (see the messages "
                         "above): what was not read is not vouched for. Put that right and run "
                         "sohoa validate again.\n",
                         "%zu of the paths given could not be checked in full (see the messages "
                         "above): what was not read is not vouched for. Put that right and run "
                         "sohoa validate again.\n",
                         s->incomplete),
                s->incomplete);
        said = true;
    }
    if (s->unrecorded) {
        fprintf(out,
                ngettext("The verdict of %zu file was not recorded in the ledger (see the "
                         "messages above): put that right and run sohoa validate again before "
                         "signing.\n",
                         "The verdicts of %zu files were not recorded in the ledger (see the "
                         "messages above): put that right and run sohoa validate again before "
                         "signing.\n",
                         s->unrecorded),
                s->unrecorded);
        said = true;
    }
    if (problems_only)
        return;
    if (s->failed || s->errors) {
        fprintf(out, "%s\n",
                _("Fix what is listed above (rescan, rename), then run sohoa validate "
                  "again: only files that pass can be signed."));
    } else if (s->files == 0) {
        if (!s->incomplete)
            fprintf(out, "%s\n",
                    _("No PDF document was found under the paths given: nothing was checked, "
                      "and nothing can be signed."));
    } else if (!said) {
        fprintf(out, "%s\n", _("Everything passed: the files can be signed."));
    }
}

void vd_json_entry(sh_json *j, const vd_file_report *r)
{
    sh_json_begin_object(j);
    sh_json_kv_str(j, "path", r->path);
    if (r->kind == VD_ENTRY_FOLDER)
        sh_json_kv_str(j, "kind", "folder");
    sh_json_kv_str(j, "sha256", r->has_sha256 ? r->sha256 : NULL);
    sh_json_kv_int(j, "pages", r->pages);
    sh_json_kv_str(j, "status", r->passed ? "pass" : "fail");
    if (r->kind == VD_ENTRY_FOLDER && r->dossier) {
        sh_json_kv_array(j, "priority1");
        for (size_t i = 0; i < r->n_priority1; i++)
            sh_json_int(j, r->priority1[i]);
        sh_json_end_array(j);
    }
    sh_json_kv_array(j, "findings");
    for (size_t i = 0; i < r->n_findings; i++) {
        sh_finding f;
        vd_finding_view(&r->findings[i], NULL, &f);
        sh_finding_json(j, &f);
    }
    sh_json_end_array(j);
    sh_json_end_object(j);
}

void vd_json_summary(sh_json *j, const vd_summary *s)
{
    sh_json_kv_object(j, "summary");
    sh_json_kv_int(j, "files", (int64_t)s->files);
    sh_json_kv_int(j, "passed", (int64_t)s->passed);
    sh_json_kv_int(j, "failed", (int64_t)s->failed);
    sh_json_kv_int(j, "pages", (int64_t)s->pages);
    sh_json_kv_int(j, "dossiers", (int64_t)s->dossiers);
    sh_json_kv_int(j, "errors", (int64_t)s->errors);
    sh_json_kv_int(j, "warnings", (int64_t)s->warnings);
    sh_json_kv_int(j, "incomplete", (int64_t)s->incomplete);
    sh_json_kv_int(j, "unrecorded", (int64_t)s->unrecorded);
    sh_json_end_object(j);
}
