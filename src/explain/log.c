/* SPDX-License-Identifier: Apache-2.0 */
/* The explainer's clock and log lines (log.h). Lines go to the caller's callback, never to
 * a global stream: two explanations running side by side keep their logs apart. */
#include "explain/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

double anc_ex_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void anc_ex_log(const anchor_explain_params *p, const char *fmt, ...)
{
    if (!p->log)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    p->log(p->log_user, line);
}
