/* The sections of sohoa.ini this program reads: each module's own, and [upload], held here until
 * upload has its module (issue 16). */
#include "cli.h"

#include <stddef.h>

#include "ingest/ingest.h"
#include "sign/sign.h"
#include "validate/validate.h"

static const sh_config_key UPLOAD_KEYS[] = {
    {.name = "endpoint",
     .kind = SH_KEY_STRING,
     .offset = offsetof(cli_upload_config, endpoint),
     .comment = "Receiving service address / Địa chỉ máy chủ nhận dữ liệu"},
    {.name = "bundle_dir",
     .kind = SH_KEY_STRING,
     .offset = offsetof(cli_upload_config, bundle_dir),
     .def = "bundles"},
    {.name = "receiver_cert",
     .kind = SH_KEY_STRING,
     .offset = offsetof(cli_upload_config, receiver_cert),
     .comment = "Receiver's certificate (PEM), bundles are encrypted for it / Chứng thư của bên "
                "nhận"},
    {.name = "max_bundle_mb",
     .kind = SH_KEY_INT,
     .offset = offsetof(cli_upload_config, max_bundle_mb),
     .lo = 1,
     .hi = 100000,
     .def = "500"},
};

const sh_config_section cli_upload_section = {
    "upload", UPLOAD_KEYS, sizeof UPLOAD_KEYS / sizeof *UPLOAD_KEYS, sizeof(cli_upload_config)};

const cli_upload_config *cli_upload_config_get(const sh_config *cfg)
{
    return sh_config_values(cfg, &cli_upload_section);
}

const sh_config_section *const cli_config_sections[] = {
    &nm_config_section, &in_config_section,  &vd_config_section,
    &sg_config_section, &cli_upload_section, NULL,
};
