/* upload's sections of sohoa.ini: [upload] (where packages go, for whom, how big a volume may be,
 * and (issue 16) where they are delivered) and [receive] (the receiving end's key, trust and
 * folder: defaults of sohoa receive, and the receiving hub's settings). */
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
    {.name = "ca_file",
     .kind = SH_KEY_STRING,
     .offset = offsetof(up_config, ca_file),
     .comment = "The receiver's TLS CA (PEM); HTTPS is required except to this machine / Chứng "
                "thư gốc TLS của máy chủ nhận"},
    {.name = "client_cert",
     .kind = SH_KEY_STRING,
     .offset = offsetof(up_config, client_cert),
     .comment = "Client certificate (PEM) for mutual TLS, if the receiver asks / Chứng thư máy "
                "khách cho TLS hai chiều"},
    {.name = "client_key", .kind = SH_KEY_STRING, .offset = offsetof(up_config, client_key)},
    {.name = "receiver_trust",
     .kind = SH_KEY_STRING,
     .offset = offsetof(up_config, receiver_trust),
     .comment = "CA (PEM) of the key that signs the receiver's receipts / Chứng thư gốc của "
                "khoá ký biên nhận"},
    {.name = "rate_limit",
     .kind = SH_KEY_INT,
     .offset = offsetof(up_config, rate_limit_kib),
     .comment = "Upload speed limit in KiB/s, 0 for none / Giới hạn tốc độ gửi (KiB/s), 0: "
                "không giới hạn",
     .lo = 0,
     .hi = 10485760,
     .def = "0"},
    {.name = "chunk_size",
     .kind = SH_KEY_INT,
     .offset = offsetof(up_config, chunk_size_kib),
     .comment = "Bytes per request in KiB: at most this is sent again after a failure / Kích "
                "thước mỗi lần gửi (KiB)",
     .lo = 16,
     .hi = 262144,
     .def = "8192"},
    {.name = "stall_seconds",
     .kind = SH_KEY_INT,
     .offset = offsetof(up_config, stall_seconds),
     .comment = "Seconds without progress before a connection is dropped and resumed / Số "
                "giây không có tiến triển trước khi kết nối lại",
     .lo = 1,
     .hi = 3600,
     .def = "60"},
    {.name = "give_up_after",
     .kind = SH_KEY_INT,
     .offset = offsetof(up_config, give_up_after),
     .comment = "Seconds of failures in a row before upload stops; the next run resumes / Số "
                "giây lỗi liên tiếp trước khi dừng",
     .lo = 1,
     .hi = 604800,
     .def = "900"},
};

const sh_config_section up_config_section = {
    "upload", UPLOAD_KEYS, sizeof UPLOAD_KEYS / sizeof *UPLOAD_KEYS, sizeof(up_config)};

const up_config *up_config_get(const sh_config *cfg)
{
    return sh_config_values(cfg, &up_config_section);
}

static const sh_config_key RECEIVE_KEYS[] = {
    {.name = "pkcs12",
     .kind = SH_KEY_STRING,
     .offset = offsetof(up_receive_config, pkcs12),
     .comment = "The receiving organisation's key (PKCS#12), for receive / Khoá của đơn vị nhận"},
    {.name = "pin_env",
     .kind = SH_KEY_STRING,
     .offset = offsetof(up_receive_config, pin_env),
     .comment = "Environment variable holding its passphrase / Biến môi trường chứa mật khẩu"},
    {.name = "pin_file", .kind = SH_KEY_STRING, .offset = offsetof(up_receive_config, pin_file)},
    {.name = "trust",
     .kind = SH_KEY_STRING,
     .offset = offsetof(up_receive_config, trust),
     .comment = "CA certificates of the senders (PEM) / Chứng thư gốc tin cậy của bên gửi"},
    {.name = "into",
     .kind = SH_KEY_STRING,
     .offset = offsetof(up_receive_config, into),
     .comment = "Where accepted packages are extracted / Nơi giải nén các gói được chấp nhận"},
};

const sh_config_section up_receive_config_section = {
    "receive", RECEIVE_KEYS, sizeof RECEIVE_KEYS / sizeof *RECEIVE_KEYS, sizeof(up_receive_config)};

const up_receive_config *up_receive_config_get(const sh_config *cfg)
{
    return sh_config_values(cfg, &up_receive_config_section);
}
