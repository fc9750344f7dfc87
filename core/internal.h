/* Private to the core module: shared between its source files, never included from outside. */
#ifndef SOHOA_CORE_INTERNAL_H
#define SOHOA_CORE_INTERNAL_H

#include "core.h"

/* The ledger's wording for an SQLite failure (locked, damaged, disk full, other). */
sh_status sh_ledger_fail_(sh_ledger *l, sh_error *err, const char *what);

#endif
