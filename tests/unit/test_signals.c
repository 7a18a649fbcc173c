#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

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

/* signal(7), the x86/ARM column (arm64 uses the same generic numbers):
 * written out here, not taken from pith's table, so a wrong number or a
 * swapped pair there fails. Both directions, with and without "SIG". */
#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__) || defined(__arm__)
Test(signals, every_name_has_the_number_signal7_gives)
{
	static const struct {
		const char *name;
		int nr;
	} sig[] = {
		{ "SIGHUP", 1 },     { "SIGINT", 2 },     { "SIGQUIT", 3 },    { "SIGILL", 4 },
		{ "SIGTRAP", 5 },    { "SIGABRT", 6 },    { "SIGBUS", 7 },     { "SIGFPE", 8 },
		{ "SIGKILL", 9 },    { "SIGUSR1", 10 },   { "SIGSEGV", 11 },   { "SIGUSR2", 12 },
		{ "SIGPIPE", 13 },   { "SIGALRM", 14 },   { "SIGTERM", 15 },   { "SIGSTKFLT", 16 },
		{ "SIGCHLD", 17 },   { "SIGCONT", 18 },   { "SIGSTOP", 19 },   { "SIGTSTP", 20 },
		{ "SIGTTIN", 21 },   { "SIGTTOU", 22 },   { "SIGURG", 23 },    { "SIGXCPU", 24 },
		{ "SIGXFSZ", 25 },   { "SIGVTALRM", 26 }, { "SIGPROF", 27 },   { "SIGWINCH", 28 },
		{ "SIGIO", 29 },     { "SIGPWR", 30 },    { "SIGSYS", 31 },
	};
	for (size_t i = 0; i < sizeof(sig) / sizeof(sig[0]); i++) {
		cr_expect_eq(parse_ok(sig[i].name), sig[i].nr, "%s", sig[i].name);
		cr_expect_eq(parse_ok(sig[i].name + 3), sig[i].nr, "%s without SIG", sig[i].name);
		const char *n = signal_name(sig[i].nr);
		cr_expect(n && strcmp(n, sig[i].name) == 0, "%d is %s, not %s", sig[i].nr,
			  n ? n : "(none)", sig[i].name);
	}
	/* The aliases signal(7) lists, which only parse (the name printed is the first). */
	cr_expect_eq(parse_ok("SIGIOT"), 6);
	cr_expect_eq(parse_ok("SIGCLD"), 17);
	cr_expect_eq(parse_ok("SIGPOLL"), 29);
#ifdef __GLIBC__
	/* 32 and 33 are glibc's own; the real-time names start above them. */
	cr_expect_null(signal_name(32));
	cr_expect_null(signal_name(33));
	cr_expect_str_eq(signal_name(34), "SIGRTMIN");
	cr_expect_str_eq(signal_name(64), "SIGRTMAX");
	cr_expect_str_eq(signal_name(49), "SIGRTMIN+15");
	cr_expect_str_eq(signal_name(50), "SIGRTMAX-14");
#endif
}
#endif
