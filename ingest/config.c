/* [ingest] of sohoa.ini: its key table, and the page limits its values give. */
#include "ingest/ingest.h"

#include <stddef.h>

static const sh_config_key KEYS[] = {
    {.name = "max_dimension",
     .kind = SH_KEY_INT,
     .offset = offsetof(in_config, max_dimension),
     .lo = 100,
     .hi = 1000000,
     .def = "40000",
     .comment = "Largest page image accepted: pixels a side, millions of pixels / Kích thước ảnh "
                "tối đa"},
    {.name = "max_megapixels",
     .kind = SH_KEY_INT,
     .offset = offsetof(in_config, max_megapixels),
     .lo = 1,
     .hi = 100000,
     .def = "600"},
};

const sh_config_section in_config_section = {"ingest", KEYS, sizeof KEYS / sizeof *KEYS,
                                             sizeof(in_config)};

const in_config *in_config_get(const sh_config *cfg)
{
    return sh_config_values(cfg, &in_config_section);
}

static void limits_from(in_limits *l, const in_config *c)
{
    l->max_dimension = (uint32_t)c->max_dimension;
    l->max_pixels = (uint64_t)c->max_megapixels * 1000000u;
}

void in_limits_default(in_limits *l)
{
    /* One place holds the defaults: the section's table. */
    in_config c;
    sh_config_section_defaults(&in_config_section, &c);
    limits_from(l, &c);
    sh_config_section_free(&in_config_section, &c);
}

void in_limits_from_config(in_limits *l, const sh_config *cfg)
{
    const in_config *c = in_config_get(cfg);
    if (c)
        limits_from(l, c);
    else
        in_limits_default(l);
}
