/* Private to the core module: shared between its source files, never included from outside. */
#ifndef SOHOA_CORE_CORE_IMPL_H
#define SOHOA_CORE_CORE_IMPL_H

#include "core/core.h"

/* The ids of intents whose file is in place, waiting to be deleted (publish.c). */
#include <glib.h>
GArray *sh_ledger_done_intents_(sh_ledger *l);
/* Delete those intents now, in a transaction of their own when none is open. */
void sh_publish_flush_(sh_ledger *l);

/* Publish f (never replacing) like sh_atomic_commit, but when it cannot be put in place keep
 * the temp file (unlocked) instead of removing it: bytes the ledger records are never deleted;
 * recovery retries. With locked_fd, a file put in place stays open and locked: *locked_fd, for
 * the caller to close (-1 on failure). f is freed whatever the outcome (fileio.c). */
SH_NODISCARD sh_status sh_atomic_commit_keep_(sh_atomic_file *f, int *locked_fd, sh_error *err);
/* fsync a folder (fileio.c); -1 with errno on failure. */
SH_NODISCARD int sh_fsync_dir_(const char *dir);

#endif
