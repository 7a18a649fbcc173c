/* The error object's return values and the config parser's view of
 * duplicate keys, each against a fixed expectation. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../config/spec.h"
#include "../../runtime/error.h"

Test(error_codes, failure_without_errno_is_no_errno_value)
{
	struct pith_error err = { 0 };
	int r = pith_fail(&err, 0, "no errno here");
	cr_expect_lt(r, 0);
	cr_expect_neq(r, -EPERM, "callers testing r == -EPERM would misread it");
	cr_expect_geq(-r, 4096, "%d is inside the errno range", r);
	cr_expect_eq(pith_wrap(&err, "ctx"), r);
	cr_expect_eq(pith_fail(NULL, 0, "x"), r);
	cr_expect_eq(pith_fail(&err, EPERM, "x"), -EPERM);
	cr_expect_str_eq(err.msg, "x");
}

static void expect_duplicate_refused(const char *text)
{
	struct spec *s = NULL;
	struct pith_error err = { 0 };
	int r = spec_load_string(text, "config.json", &s, &err);
	cr_expect_lt(r, 0, "accepted: %s", text);
	cr_expect_null(s);
	cr_expect(strstr(err.msg, "duplicate"), "message does not name the problem: %s", err.msg);
	if (s)
		spec_free(s);
}

Test(error_codes, duplicate_keys_refused_at_every_level)
{
	expect_duplicate_refused("{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"a\"},\"root\":{\"path\":\"b\"}}");
	expect_duplicate_refused("{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"a\",\"path\":\"b\"}}");
	/* the same key spelled with an escape is the same key */
	expect_duplicate_refused("{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"a\"},\"ro\\u006ft\":{\"path\":\"b\"}}");
}
