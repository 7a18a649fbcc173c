/* mini_criterion: the subset of Criterion 2.4 that pith's unit tests use, so
 * the same tests/unit/test_*.c build and run where no libcriterion exists (Debian
 * has none for armhf) and under qemu-user. Runner: ../runner.c.
 *
 * Semantics kept from Criterion: each test runs in a forked child (a crash or
 * an exit ends only that test); suite .init runs before the test's, the test's
 * .fini before the suite's; a failing cr_assert_* ends the test (after its
 * .fini), a failing cr_expect_* marks it failed and goes on; skipped and
 * disabled tests are not counted as tested; the same synthesis line and a
 * non-zero exit when any test failed. Differences are listed in runner.c.
 * Anything outside this subset fails to compile rather than half-working. */
#ifndef MINI_CRITERION_CRITERION_H
#define MINI_CRITERION_CRITERION_H
/* Like the real header (installed under /usr/include), keep warnings about
 * the macros' own comparisons (sign-compare, shadow) out of the tests' build. */
#pragma GCC system_header

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct criterion_test_extra_data {
	void (*init)(void);
	void (*fini)(void);
	double timeout; /* seconds; 0: the suite's, else the runner's --timeout */
	bool disabled;
	const char *description;
};

struct mcr_test {
	const char *suite, *name, *file;
	int line;
	void (*fn)(void);
	struct criterion_test_extra_data data;
	struct mcr_test *next;
};

struct mcr_suite {
	const char *name;
	struct criterion_test_extra_data data;
	struct mcr_suite *next;
};

void mcr_register_test(struct mcr_test *t);
void mcr_register_suite(struct mcr_suite *s);
/* Report a failed assertion: USER_FMT when the test gave a message ("" when
 * not), else DEFAULT_MSG verbatim (it holds the expression's text, which may
 * contain '%'). FATAL ends the test. */
void mcr_fail(const char *file, int line, bool fatal, const char *default_msg,
	      const char *user_fmt, ...) __attribute__((format(printf, 5, 6)));
void mcr_skip(const char *file, int line, const char *user_fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));
/* Value printers for failed comparisons (integers and floats only). */
void mcr_show_i(char *buf, size_t n, long long v);
void mcr_show_u(char *buf, size_t n, unsigned long long v);
void mcr_show_f(char *buf, size_t n, long double v);
void mcr_show_none(char *buf, size_t n, ...);
void mcr_fail_cmp(const char *file, int line, bool fatal, const char *expr, const char *va,
		  const char *vb, const char *user_fmt, ...) __attribute__((format(printf, 7, 8)));

#define Test(Suite, Name, ...)                                                                   \
	static void Suite##_##Name##_impl(void);                                                 \
	static struct mcr_test mcr_test_##Suite##_##Name = {                                     \
		#Suite, #Name, __FILE__, __LINE__, Suite##_##Name##_impl, { __VA_ARGS__ }, NULL   \
	};                                                                                       \
	__attribute__((constructor)) static void mcr_reg_##Suite##_##Name(void)                 \
	{                                                                                        \
		mcr_register_test(&mcr_test_##Suite##_##Name);                                   \
	}                                                                                        \
	static void Suite##_##Name##_impl(void)

#define TestSuite(Name, ...)                                                                    \
	static struct mcr_suite mcr_suite_##Name = { #Name, { __VA_ARGS__ }, NULL };             \
	__attribute__((constructor)) static void mcr_regsuite_##Name(void)                      \
	{                                                                                        \
		mcr_register_suite(&mcr_suite_##Name);                                           \
	}                                                                                        \
	extern int mcr_suite_semicolon_##Name

#define cr_skip_test(...) mcr_skip(__FILE__, __LINE__, "" __VA_ARGS__)

/* ---- assertions: Fatal is true for cr_assert_*, false for cr_expect_* ---- */
#define mcr_check_(Fatal, Cond, Msg, ...)                                                    \
	do {                                                                                     \
		if (!(Cond))                                                                     \
			mcr_fail(__FILE__, __LINE__, Fatal, Msg, "" __VA_ARGS__);                \
	} while (0)

#define mcr_show_(Buf, V)                                                                      \
	_Generic((V),                                                                            \
		_Bool: mcr_show_u, char: mcr_show_i, signed char: mcr_show_i,                   \
		unsigned char: mcr_show_u, short: mcr_show_i, unsigned short: mcr_show_u,       \
		int: mcr_show_i, unsigned: mcr_show_u, long: mcr_show_i,                        \
		unsigned long: mcr_show_u, long long: mcr_show_i,                               \
		unsigned long long: mcr_show_u, float: mcr_show_f, double: mcr_show_f,          \
		long double: mcr_show_f, default: mcr_show_none)(Buf, sizeof(Buf), V)

/* Each operand is evaluated once (a test may pass read(...) or a counter++);
 * typeof(x + 0) decays arrays and promotes bit-fields, which __auto_type refuses. */
#define mcr_cmp_(Fatal, Op, A, B, ...)                                                       \
	do {                                                                                     \
		__typeof__((A) + 0) mcr_a_ = (A);                                                \
		__typeof__((B) + 0) mcr_b_ = (B);                                                \
		if (!(mcr_a_ Op mcr_b_)) {                                                       \
			char mcr_va_[48], mcr_vb_[48];                                           \
			mcr_show_(mcr_va_, mcr_a_);                                              \
			mcr_show_(mcr_vb_, mcr_b_);                                              \
			mcr_fail_cmp(__FILE__, __LINE__, Fatal, "(" #A ") " #Op " (" #B ")",     \
				     mcr_va_, mcr_vb_, "" __VA_ARGS__);                           \
		}                                                                                \
	} while (0)

#define mcr_str_eq_(Fatal, A, B, ...)                                                        \
	do {                                                                                     \
		const char *mcr_sa_ = (A), *mcr_sb_ = (B);                                       \
		if (!mcr_sa_ || !mcr_sb_ || strcmp(mcr_sa_, mcr_sb_) != 0)                       \
			mcr_fail_cmp(__FILE__, __LINE__, Fatal,                                  \
				     "(as strings) (" #A ") == (" #B ")", mcr_sa_ ? mcr_sa_ : "(null)", \
				     mcr_sb_ ? mcr_sb_ : "(null)", "" __VA_ARGS__);               \
	} while (0)

#define mcr_arr_eq_(Fatal, A, B, Size, ...)                                                  \
	mcr_check_(Fatal, memcmp((A), (B), (Size)) == 0,                                         \
		   "The expression (" #A ")[0.." #Size "] == (" #B ")[0.." #Size "] is false.",   \
		   __VA_ARGS__)

#define cr_assert(Cond, ...) mcr_check_(true, Cond, "The expression " #Cond " is false.", __VA_ARGS__)
#define cr_expect(Cond, ...) mcr_check_(false, Cond, "The expression " #Cond " is false.", __VA_ARGS__)
#define cr_assert_not(Cond, ...) \
	mcr_check_(true, !(Cond), "The expression !(" #Cond ") is false.", __VA_ARGS__)
#define cr_expect_not(Cond, ...) \
	mcr_check_(false, !(Cond), "The expression !(" #Cond ") is false.", __VA_ARGS__)
#define cr_assert_fail(...) \
	mcr_fail(__FILE__, __LINE__, true, "The conditions for this assertion were not met.", "" __VA_ARGS__)
#define cr_expect_fail(...) \
	mcr_fail(__FILE__, __LINE__, false, "The conditions for this assertion were not met.", "" __VA_ARGS__)

#define cr_assert_null(P, ...) mcr_check_(true, (P) == NULL, #P " is not null.", __VA_ARGS__)
#define cr_expect_null(P, ...) mcr_check_(false, (P) == NULL, #P " is not null.", __VA_ARGS__)
#define cr_assert_not_null(P, ...) mcr_check_(true, (P) != NULL, #P " is null.", __VA_ARGS__)
#define cr_expect_not_null(P, ...) mcr_check_(false, (P) != NULL, #P " is null.", __VA_ARGS__)

#define cr_assert_eq(A, B, ...) mcr_cmp_(true, ==, A, B, __VA_ARGS__)
#define cr_expect_eq(A, B, ...) mcr_cmp_(false, ==, A, B, __VA_ARGS__)
#define cr_assert_neq(A, B, ...) mcr_cmp_(true, !=, A, B, __VA_ARGS__)
#define cr_expect_neq(A, B, ...) mcr_cmp_(false, !=, A, B, __VA_ARGS__)
#define cr_assert_lt(A, B, ...) mcr_cmp_(true, <, A, B, __VA_ARGS__)
#define cr_expect_lt(A, B, ...) mcr_cmp_(false, <, A, B, __VA_ARGS__)
#define cr_assert_leq(A, B, ...) mcr_cmp_(true, <=, A, B, __VA_ARGS__)
#define cr_expect_leq(A, B, ...) mcr_cmp_(false, <=, A, B, __VA_ARGS__)
#define cr_assert_gt(A, B, ...) mcr_cmp_(true, >, A, B, __VA_ARGS__)
#define cr_expect_gt(A, B, ...) mcr_cmp_(false, >, A, B, __VA_ARGS__)
#define cr_assert_geq(A, B, ...) mcr_cmp_(true, >=, A, B, __VA_ARGS__)
#define cr_expect_geq(A, B, ...) mcr_cmp_(false, >=, A, B, __VA_ARGS__)

#define cr_assert_str_eq(A, B, ...) mcr_str_eq_(true, A, B, __VA_ARGS__)
#define cr_expect_str_eq(A, B, ...) mcr_str_eq_(false, A, B, __VA_ARGS__)

#define cr_assert_arr_eq(A, B, Size, ...) mcr_arr_eq_(true, A, B, Size, __VA_ARGS__)
#define cr_expect_arr_eq(A, B, Size, ...) mcr_arr_eq_(false, A, B, Size, __VA_ARGS__)

#endif
