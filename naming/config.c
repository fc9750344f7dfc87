/* [naming] of sohoa.ini: its key table, and the rules a workspace's values give. */
#include "naming/naming.h"

#include <stddef.h>
#include <time.h>

_Static_assert(sizeof(nm_spaces_policy) == sizeof(int), "a choice is stored as an int");

const char *const nm_signed_suffixes[] = {"_signed", ".signed", NULL};
static const char *const SPACES[] = {"allow", "forbid", NULL}; /* in nm_spaces_policy order */

static const sh_config_key KEYS[] = {
    {.name = "spaces",
     .kind = SH_KEY_CHOICE,
     .offset = offsetof(nm_config, spaces),
     .words = SPACES,
     .hint = N_("expected allow or forbid"),
     .def = "allow",
     .comment = "Spaces in document names (Phụ lục 2): allow | forbid / Dấu cách trong tên tài "
                "liệu"},
    {.name = "signed_suffix",
     .kind = SH_KEY_CHOICE,
     .offset = offsetof(nm_config, signed_suffix),
     .words = nm_signed_suffixes,
     .hint = N_("expected _signed or .signed"),
     .def = "_signed",
     .comment = "Suffix of signed files: _signed | .signed / Hậu tố tệp đã ký"},
};

const sh_config_section nm_config_section = {"naming", KEYS, sizeof KEYS / sizeof *KEYS,
                                             sizeof(nm_config)};

const nm_config *nm_config_get(const sh_config *cfg)
{
    return sh_config_values(cfg, &nm_config_section);
}

static void rules_from(nm_rules *r, const nm_config *c)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    r->spaces = c->spaces;
    r->signed_suffix = nm_signed_suffixes[c->signed_suffix];
    r->current_year = tm.tm_year + 1900;
}

void nm_rules_default(nm_rules *r)
{
    nm_config c;
    sh_config_section_defaults(&nm_config_section, &c);
    rules_from(r, &c);
    sh_config_section_free(&nm_config_section, &c);
}

void nm_rules_from_config(nm_rules *r, const sh_config *cfg)
{
    const nm_config *c = nm_config_get(cfg);
    if (c)
        rules_from(r, c);
    else
        nm_rules_default(r);
}
