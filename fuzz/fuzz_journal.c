/* The journal of "sohoa name fix" is read back by --undo, from a file a person may have edited
 * or that a crash may have cut short: any bytes must give renames or an error, nothing else. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "naming/naming.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nm_rename *renames = NULL;
    size_t n = 0;
    sh_error err;
    if (nm_journal_parse((const char *)data, size, &renames, &n, &err) == SH_OK) {
        for (size_t i = 0; i < n; i++)
            if (renames[i].from[0] != '/' || renames[i].to[0] != '/')
                __builtin_trap(); /* only absolute paths are ever renamed */
    } else if (n != 0 || renames != NULL || !err.msg[0]) {
        __builtin_trap();
    }
    nm_renames_free(renames, n);
    return 0;
}
