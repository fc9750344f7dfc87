/* The JSON validator reads stored audit details, and the writer escapes any text handed to it. */
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    bool valid = sh_json_valid(text, size);

    sh_json *j = sh_json_new();
    sh_json_begin_array(j);
    sh_json_string_len(j, text, size);
    sh_json_end_array(j);
    sh_error err;
    const char *out = sh_json_finish(j, &err);
    /* Whatever the writer accepts, the validator must accept back. */
    if (out && !sh_json_valid(out, __builtin_strlen(out)))
        __builtin_trap();
    /* Text the validator accepts, the writer embeds unchanged. */
    if (valid && size < 4096) {
        char *copy = __builtin_malloc(size + 1);
        __builtin_memcpy(copy, data, size);
        copy[size] = '\0';
        sh_json *k = sh_json_new();
        if (__builtin_strlen(copy) == size) {
            sh_json_raw(k, copy);
            if (!sh_json_finish(k, &err))
                __builtin_trap();
        }
        sh_json_free(k);
        __builtin_free(copy);
    }
    sh_json_free(j);
    return 0;
}
