#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>

#include "../../runtime/process/signals.h"

static int parse_ok(const char *s)
{
	struct pith_error err = { 0 };
	int sig = -1;
	int r = signal_parse(s, &sig, &err);
	cr_assert_eq(r, 0, "signal_parse(\"%s\") failed: %s", s, err.msg);
	return sig;
}

static void parse_fails(const char *s)
{
	struct pith_error err = { 0 };
	int sig = 12345;
	char want[128];
	cr_assert_lt(signal_parse(s, &sig, &err), 0, "\"%s\" should be refused", s);
	cr_assert_eq(sig, 12345, "*sig changed on failure for \"%s\"", s);
	snprintf(want, sizeof(want), "unknown signal \"%s\"", s);
	cr_assert_str_eq(err.msg, want);
	cr_assert_eq(err.errnum, 0);
}

Test(signals, names_with_and_without_sig)
{
	cr_assert_eq(parse_ok("KILL"), SIGKILL);
	cr_assert_eq(parse_ok("SIGKILL"), SIGKILL);
	cr_assert_eq(parse_ok("TERM"), SIGTERM);
	cr_assert_eq(parse_ok("SIGTERM"), SIGTERM);
	cr_assert_eq(parse_ok("HUP"), SIGHUP);
	cr_assert_eq(parse_ok("SIGUSR1"), SIGUSR1);
	cr_assert_eq(parse_ok("WINCH"), SIGWINCH);
	cr_assert_eq(parse_ok("SIGSYS"), SIGSYS);
	cr_assert_eq(parse_ok("PWR"), SIGPWR);
}

Test(signals, lower_and_mixed_case_like_runc)
{
	cr_assert_eq(parse_ok("sigterm"), SIGTERM);
	cr_assert_eq(parse_ok("kill"), SIGKILL);
	cr_assert_eq(parse_ok("SigInt"), SIGINT);
	cr_assert_eq(parse_ok("rtmin+2"), SIGRTMIN + 2);
}

Test(signals, aliases)
{
	cr_assert_eq(parse_ok("IOT"), SIGABRT);
	cr_assert_eq(parse_ok("SIGCLD"), SIGCHLD);
	cr_assert_eq(parse_ok("POLL"), SIGIO);
}

Test(signals, numbers)
{
	cr_assert_eq(parse_ok("9"), 9);
	cr_assert_eq(parse_ok("1"), 1);
	cr_assert_eq(parse_ok("15"), 15);
	cr_assert_eq(parse_ok("64"), 64);
	cr_assert_eq(parse_ok("010"), 10);
}

Test(signals, realtime)
{
	cr_assert_eq(parse_ok("RTMIN"), SIGRTMIN);
	cr_assert_eq(parse_ok("SIGRTMIN"), SIGRTMIN);
	cr_assert_eq(parse_ok("RTMIN+1"), SIGRTMIN + 1);
	cr_assert_eq(parse_ok("SIGRTMIN+15"), SIGRTMIN + 15);
	cr_assert_eq(parse_ok("RTMAX"), SIGRTMAX);
	cr_assert_eq(parse_ok("SIGRTMAX-3"), SIGRTMAX - 3);
	cr_assert_eq(parse_ok("RTMIN+0"), SIGRTMIN);
	cr_assert_eq(parse_ok("RTMAX-0"), SIGRTMAX);
}

Test(signals, unknown)
{
	parse_fails("FOO");
	parse_fails("SIGFOO");
	parse_fails("");
	parse_fails("SIG");
	parse_fails("SIGSIGKILL");
	parse_fails("0");
	parse_fails("65");
	parse_fails("-9");
	parse_fails("9x");
	parse_fails(" 9");
	parse_fails("KILL ");
	parse_fails("99999999999999999999");
	parse_fails("RTMIN+");
	parse_fails("RTMIN-1");
	parse_fails("RTMAX+1");
	parse_fails("RTMAX-");
	parse_fails("RTMIN+99");
	parse_fails("SIGAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
}

Test(signals, rt_range_bounds)
{
	char buf[32];
	int span = SIGRTMAX - SIGRTMIN;
	snprintf(buf, sizeof(buf), "RTMIN+%d", span);
	cr_assert_eq(parse_ok(buf), SIGRTMAX);
	snprintf(buf, sizeof(buf), "RTMIN+%d", span + 1);
	parse_fails(buf);
	snprintf(buf, sizeof(buf), "RTMAX-%d", span);
	cr_assert_eq(parse_ok(buf), SIGRTMIN);
	snprintf(buf, sizeof(buf), "RTMAX-%d", span + 1);
	parse_fails(buf);
}

Test(signals, names)
{
	cr_assert_str_eq(signal_name(SIGKILL), "SIGKILL");
	cr_assert_str_eq(signal_name(SIGTERM), "SIGTERM");
	cr_assert_str_eq(signal_name(SIGABRT), "SIGABRT"); /* not the IOT alias */
	cr_assert_str_eq(signal_name(SIGCHLD), "SIGCHLD");
	cr_assert_str_eq(signal_name(SIGRTMIN), "SIGRTMIN");
	cr_assert_str_eq(signal_name(SIGRTMIN + 3), "SIGRTMIN+3");
	cr_assert_str_eq(signal_name(SIGRTMAX), "SIGRTMAX");
	cr_assert_str_eq(signal_name(SIGRTMAX - 2), "SIGRTMAX-2");
	cr_assert_null(signal_name(0));
	cr_assert_null(signal_name(-1));
	cr_assert_null(signal_name(SIGRTMAX + 1));
}

/* Every signal that has a name parses back to itself, so `kill` accepts what
 * the shim and `ps`-style output print. */
Test(signals, name_round_trip)
{
	int named = 0;
	for (int sig = 1; sig <= SIGRTMAX; sig++) {
		const char *name = signal_name(sig);
		if (!name)
			continue;
		named++;
		cr_assert_eq(parse_ok(name), sig, "%s", name);
		cr_assert_eq(parse_ok(name + 3), sig, "%s without SIG", name);
	}
	/* 31 classic signals + the real-time range; glibc keeps 32 and 33 */
	cr_assert_geq(named, 31 + (SIGRTMAX - SIGRTMIN + 1));
}
