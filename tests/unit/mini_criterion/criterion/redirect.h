/* mini_criterion: cr_redirect_stdout() only. Criterion captures the test's
 * stdout for cr_assert_stdout_*; no pith test reads it back (they redirect to
 * keep a command's table out of the report), so here it goes to /dev/null. */
#ifndef MINI_CRITERION_REDIRECT_H
#define MINI_CRITERION_REDIRECT_H
#pragma GCC system_header

#include <criterion/criterion.h>

void mcr_redirect_stdout(void);
#define cr_redirect_stdout() mcr_redirect_stdout()

#endif
