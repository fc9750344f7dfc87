/* PLACEHOLDER (JSON view): being written for issue 17; replaced by the real code. */
#include "progress/progress.h"

void pg_report_json(sh_json *j, const pg_report *r) { (void)j, (void)r; }
