/* sohoa.ini is typed by people: any bytes must give a config or an error, never a crash. Every
 * section the program reads is known, as in sohoa itself (cli/config.c is built in). */
#include <stddef.h>
#include <stdint.h>

#include "cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sh_config_use_sections(cli_config_sections);
    sh_config cfg;
    sh_error err;
    sh_config_defaults(&cfg);
    (void)sh_config_parse("fuzz.ini", (const char *)data, size, &cfg, &err);
    sh_config_free(&cfg);
    return 0;
}
