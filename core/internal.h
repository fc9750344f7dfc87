/* Private to the core module: shared between its source files, never included from outside. */
#ifndef SOHOA_CORE_INTERNAL_H
#define SOHOA_CORE_INTERNAL_H

#include "core.h"

/* The ledger's wording for an SQLite failure (locked, damaged, disk full, other). */
sh_status sh_ledger_fail_(sh_ledger *l, sh_error *err, const char *what);

/* The ids of intents whose file is in place, waiting to be deleted (publish.c). */
#include <glib.h>
GArray *sh_ledger_done_intents_(sh_ledger *l);
/* Delete those intents now, in a transaction of their own when none is open. */
void sh_publish_flush_(sh_ledger *l);

#endif
