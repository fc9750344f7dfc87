/* sohoa.ini is typed by people: any bytes must give a config or an error, never a crash. */
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sh_config cfg;
    sh_error err;
    sh_config_defaults(&cfg);
    sh_config_parse("fuzz.ini", (const char *)data, size, &cfg, &err);
    sh_config_free(&cfg);
    return 0;
}
