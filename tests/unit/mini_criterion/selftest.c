/* mini_criterion's own test: selftest.sh builds this against the mini runner
 * (and against the real Criterion when installed) and checks the verdicts and
 * counts, so the runner that reports the armhf unit tests is itself tested. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

static void say_fini(void)
{
	fprintf(stderr, "selftest: fini ran\n");
}

static int counter;

Test(self, passes)
{
	int a[3] = { 1, 2, 3 }, b[3] = { 1, 2, 3 };
	uint64_t big = UINT64_C(1) << 40;
	cr_assert_eq(2 + 2, 4);
	cr_assert_eq(counter++, 0); /* operands are evaluated once */
	cr_assert_eq(counter, 1, "counter is %d", counter);
	cr_assert_neq(big, 0);
	cr_assert_gt(big, UINT32_MAX);
	cr_assert_lt(-1, 1);
	cr_assert_leq(1, 1);
	cr_assert_geq(2, 1);
	cr_assert_str_eq("abc", "abc");
	cr_assert_arr_eq(a, b, sizeof(a));
	cr_assert_null(NULL);
	cr_assert_not_null(a);
	cr_assert(1 % 2 == 1);
	cr_assert_not(0);
	cr_expect_eq(1, 1);
}

Test(self, fails, .fini = say_fini)
{
	cr_expect_eq(1, 2, "expect goes on");
	cr_assert_str_eq("a", "b");
	fprintf(stderr, "selftest: reached after a failed assert\n");
}

Test(self, expect_only)
{
	cr_expect(0, "first expect");
	cr_expect(0, "second expect");
}

Test(self, crashes)
{
	raise(SIGSEGV);
}

Test(self, exits)
{
	exit(3);
}

Test(self, skipped)
{
	cr_skip_test("no %s here", "kernel feature");
	fprintf(stderr, "selftest: reached after a skip\n");
}

Test(self, disabled, .disabled = true)
{
	cr_assert_fail("a disabled test ran");
}

Test(slow, times_out, .timeout = 1)
{
	sleep(30);
}
