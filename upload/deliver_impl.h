/* What upload and export share (deliver.c): the package volumes to deliver, chosen from the
 * ledger, and the transfer log, one row per attempt over the network or onto a medium, each with
 * an audit entry (Quy định kết nối Đ30.2: who, when, what and the outcome). Private to upload. */
#ifndef SOHOA_UPLOAD_DELIVER_IMPL_H
#define SOHOA_UPLOAD_DELIVER_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/core.h"
#include "upload/upload.h"

/* One volume of a package, as the ledger recorded it when pack published it. */
typedef struct {
    char package[UP_PACKAGE_ID_LEN + 1];
    char *org;
    int volume, volumes;
    char *rel;  /* the .zip.p7m, relative to the workspace root */
    char *path; /* the same, absolute */
    char sha256[SH_SHA256_HEX_LEN + 1];
    uint64_t bytes;
    bool has_receipt; /* the package's receipt is stored */
} up_dv_volume;

typedef struct {
    up_dv_volume *v;
    int n;
} up_dv_list;

/* The volumes to deliver: files[0..n) (paths as given, each a volume this ledger recorded:
 * anything else is SH_INPUT naming the file and what to do) in the order given, or, with n == 0,
 * every volume of every package without a receipt, oldest package first, volumes in order.
 * Every volume's file must exist with the recorded size (SH_INPUT otherwise: "pack it again").
 * One read transaction. */
SH_NODISCARD sh_status up_dv_select(const sh_workspace *ws, sh_ledger *ledger, char *const *files,
                                    int n, up_dv_list *out, sh_error *err);
void up_dv_list_clear(up_dv_list *l);

/* The transfer log. A row is begun (outcome 'started') in the caller's write transaction, or
 * in its own when the ledger is outside one, and ended with its outcome; a row still
 * 'started' at the next run's up_dv_close_killed is an attempt that was killed ('interrupted'). */
typedef enum {
    UP_CHANNEL_TUS,
    UP_CHANNEL_MEDIUM,
} up_dv_channel;

typedef struct {
    sh_ledger *ledger;
    const sh_actor *actor;
    up_dv_channel channel;
    const char *target; /* the endpoint, or the medium: "UUID=... LABEL=... DIR" */
} up_dv_log;

/* Inserts a 'started' row for v; *id is its row ID. Must be inside sh_ledger_begin/commit. */
SH_NODISCARD sh_status up_dv_transfer_begin(const up_dv_log *log, const up_dv_volume *v,
                                            int64_t *id, sh_error *err);
/* Ends row id with outcome ('sent', 'complete', 'failed', 'exported'), the bytes this attempt
 * moved, the error in words (or NULL) and the receipt's SHA-256 (or NULL), and appends the
 * audit entry ("package.upload" or "package.export", subject the volume's path). In its own
 * transaction. */
SH_NODISCARD sh_status up_dv_transfer_end(const up_dv_log *log, const up_dv_volume *v, int64_t id,
                                          const char *outcome, uint64_t bytes, const char *error,
                                          const char *receipt_sha256, sh_error *err);
/* One delivery (upload or export) at a time per workspace, so that a row still 'started' is
 * a killed run's: the locked descriptor (close it to unlock), or -1 with err. */
int up_dv_lock(const sh_workspace *ws, sh_error *err);
/* Marks every row still 'started' (a killed run's) as 'interrupted'; under up_dv_lock. */
SH_NODISCARD sh_status up_dv_close_killed(sh_ledger *ledger, sh_error *err);

/* A package's stage from the ledger (uploads, transfers, receipts), inside a read or write
 * transaction. */
SH_NODISCARD sh_status up_dv_stage(sh_ledger *ledger, const char *package, up_stage *stage,
                                   sh_error *err);

#endif
