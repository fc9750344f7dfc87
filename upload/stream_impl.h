/* Byte streams shared by the upload module's writers and readers (private to upload/). */
#ifndef SOHOA_UPLOAD_STREAM_IMPL_H
#define SOHOA_UPLOAD_STREAM_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

/* Takes the next len bytes of a stream being written; a failure (disk full...) stops the writer,
 * which returns the sink's status and message. */
typedef sh_status (*up_sink_fn)(void *ctx, const uint8_t *buf, size_t len, sh_error *err);

/* Gives up to cap bytes of a stream being read into buf and their count in *got; *got == 0 only
 * at the end of the stream. */
typedef sh_status (*up_source_fn)(void *ctx, uint8_t *buf, size_t cap, size_t *got, sh_error *err);

#endif
