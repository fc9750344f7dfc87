/* [upload] of sohoa.ini, upload's own section: where packages go, for whom, how big a volume may
 * be, and (issue 16) where they are delivered. */
#include <stddef.h>

#include "upload/upload.h"

static const sh_config_key UPLOAD_KEYS[] = {
    {.name = "endpoint",
     .kind = SH_KEY_STRING,
     .offset = offsetof(up_config, endpoint),
     .comment = "Receiving service address / Địa chỉ máy chủ nhận dữ liệu"},
    {.name = "package_dir",
     .kind = SH_KEY_STRING,
     .offset = offsetof(up_config, package_dir),
     .comment = "Where pack writes packages, inside the workspace / Thư mục chứa gói dữ liệu",
     .def = "packages"},
    {.name = "receiver_cert",
     .kind = SH_KEY_STRING,
     .offset = offsetof(up_config, receiver_cert),
     .comment = "Receiver's certificate (PEM), packages are encrypted for it / Chứng thư của bên "
                "nhận"},
    {.name = "max_volume_mb",
     .kind = SH_KEY_INT,
     .offset = offsetof(up_config, max_volume_mb),
     .comment = "Largest volume of a package, in MiB / Dung lượng tối đa của một tệp gói (MiB)",
     .lo = 1,
     .hi = 1048576,
     .def = "1024"},
};

const sh_config_section up_config_section = {
    "upload", UPLOAD_KEYS, sizeof UPLOAD_KEYS / sizeof *UPLOAD_KEYS, sizeof(up_config)};

const up_config *up_config_get(const sh_config *cfg)
{
    return sh_config_values(cfg, &up_config_section);
}
