/* The sections of sohoa.ini this program reads: each module's own. */
#include "cli.h"

#include <stddef.h>

#include "ingest/ingest.h"
#include "progress/progress.h"
#include "sign/sign.h"
#include "upload/upload.h"
#include "validate/validate.h"

const sh_config_section *const cli_config_sections[] = {
    &nm_config_section, &in_config_section,         &vd_config_section, &sg_config_section,
    &up_config_section, &up_receive_config_section, &pg_config_section, NULL,
};
