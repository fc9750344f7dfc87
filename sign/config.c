/* [sign] of sohoa.ini: its key table. */
#include "sign/sign.h"

#include <stddef.h>

_Static_assert(sizeof(sg_placement) == sizeof(int), "a choice is stored as an int");

static const char *const PLACES[] = {"auto", "fixed", NULL}; /* in sg_placement order */

#define TEXT(key, field, text)                                                                     \
    {                                                                                              \
        .name = (key), .kind = SH_KEY_STRING, .offset = offsetof(sg_config, field),                \
        .comment = (text)                                                                          \
    }

static const sh_config_key KEYS[] = {
    TEXT("pkcs11_module", pkcs11_module,
         "PKCS#11 library of the USB token / Thư viện PKCS#11 của USB token"),
    TEXT("token_label", token_label, NULL),
    TEXT("key_label", key_label, NULL),
    TEXT("organisation", organisation,
         "Organisation name on the stamp (empty: from the certificate) / Tên tổ chức trên dấu"),
    TEXT("seal_image", seal_image,
         "Red seal image, PNG with transparency / Ảnh con dấu đỏ, PNG nền trong suốt"),
    {.name = "font",
     .kind = SH_KEY_STRING,
     .offset = offsetof(sg_config, font),
     .def = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"},
    {.name = "stamp_width_mm",
     .kind = SH_KEY_DOUBLE,
     .offset = offsetof(sg_config, stamp_width_mm),
     .lo = 20,
     .hi = 200,
     .def = "70"},
    {.name = "stamp_margin_mm",
     .kind = SH_KEY_DOUBLE,
     .offset = offsetof(sg_config, stamp_margin_mm),
     .lo = 0,
     .hi = 100,
     .def = "10"},
    {.name = "stamp_place",
     .kind = SH_KEY_CHOICE,
     .offset = offsetof(sg_config, stamp_place),
     .words = PLACES,
     .hint = N_("expected auto or fixed"),
     .def = "auto",
     .comment = "Stamp place in the top-right corner: auto (where it covers the least print) | "
                "fixed / Vị trí dấu ở góc trên bên phải: auto (chỗ che ít chữ nhất) | fixed"},
};

const sh_config_section sg_config_section = {"sign", KEYS, sizeof KEYS / sizeof *KEYS,
                                             sizeof(sg_config)};

const sg_config *sg_config_get(const sh_config *cfg)
{
    return sh_config_values(cfg, &sg_config_section);
}
