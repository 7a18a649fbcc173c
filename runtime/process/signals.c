/* Signal names and numbers, and the reset of dispositions, shared by pith and pith-shim (signals.h). */
#include "signals.h"

#include <ctype.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The macros, not literal numbers: a few signals differ between
 * architectures. The first name of a number is the one signal_name gives;
 * later entries are aliases accepted by signal_parse. */
static const struct {
	const char *name;
	int sig;
} signal_table[] = {
	{ "SIGHUP", SIGHUP },       { "SIGINT", SIGINT },       { "SIGQUIT", SIGQUIT },
	{ "SIGILL", SIGILL },       { "SIGTRAP", SIGTRAP },     { "SIGABRT", SIGABRT },
	{ "SIGBUS", SIGBUS },       { "SIGFPE", SIGFPE },       { "SIGKILL", SIGKILL },
	{ "SIGUSR1", SIGUSR1 },     { "SIGSEGV", SIGSEGV },     { "SIGUSR2", SIGUSR2 },
	{ "SIGPIPE", SIGPIPE },     { "SIGALRM", SIGALRM },     { "SIGTERM", SIGTERM },
#ifdef SIGSTKFLT
	{ "SIGSTKFLT", SIGSTKFLT },
#endif
	{ "SIGCHLD", SIGCHLD },     { "SIGCONT", SIGCONT },     { "SIGSTOP", SIGSTOP },
	{ "SIGTSTP", SIGTSTP },     { "SIGTTIN", SIGTTIN },     { "SIGTTOU", SIGTTOU },
	{ "SIGURG", SIGURG },       { "SIGXCPU", SIGXCPU },     { "SIGXFSZ", SIGXFSZ },
	{ "SIGVTALRM", SIGVTALRM }, { "SIGPROF", SIGPROF },     { "SIGWINCH", SIGWINCH },
	{ "SIGIO", SIGIO },
#ifdef SIGPWR
	{ "SIGPWR", SIGPWR },
#endif
	{ "SIGSYS", SIGSYS },
	/* aliases */
	{ "SIGIOT", SIGIOT },       { "SIGCLD", SIGCHLD },      { "SIGPOLL", SIGIO },
};

/* Real-time signals are named relative to the libc's SIGRTMIN/SIGRTMAX (a
 * function call on glibc, which keeps two for itself), split in the middle
 * the way bash's `kill -l` does. Literal strings keep signal_name's result
 * static and thread-safe. */
static const char *const rtmin_names[] = {
	"SIGRTMIN",    "SIGRTMIN+1",  "SIGRTMIN+2",  "SIGRTMIN+3",  "SIGRTMIN+4",
	"SIGRTMIN+5",  "SIGRTMIN+6",  "SIGRTMIN+7",  "SIGRTMIN+8",  "SIGRTMIN+9",
	"SIGRTMIN+10", "SIGRTMIN+11", "SIGRTMIN+12", "SIGRTMIN+13", "SIGRTMIN+14",
	"SIGRTMIN+15", "SIGRTMIN+16", "SIGRTMIN+17", "SIGRTMIN+18", "SIGRTMIN+19",
	"SIGRTMIN+20", "SIGRTMIN+21", "SIGRTMIN+22", "SIGRTMIN+23", "SIGRTMIN+24",
	"SIGRTMIN+25", "SIGRTMIN+26", "SIGRTMIN+27", "SIGRTMIN+28", "SIGRTMIN+29",
	"SIGRTMIN+30", "SIGRTMIN+31", "SIGRTMIN+32",
};
static const char *const rtmax_names[] = {
	"SIGRTMAX",    "SIGRTMAX-1",  "SIGRTMAX-2",  "SIGRTMAX-3",  "SIGRTMAX-4",
	"SIGRTMAX-5",  "SIGRTMAX-6",  "SIGRTMAX-7",  "SIGRTMAX-8",  "SIGRTMAX-9",
	"SIGRTMAX-10", "SIGRTMAX-11", "SIGRTMAX-12", "SIGRTMAX-13", "SIGRTMAX-14",
	"SIGRTMAX-15", "SIGRTMAX-16", "SIGRTMAX-17", "SIGRTMAX-18", "SIGRTMAX-19",
	"SIGRTMAX-20", "SIGRTMAX-21", "SIGRTMAX-22", "SIGRTMAX-23", "SIGRTMAX-24",
	"SIGRTMAX-25", "SIGRTMAX-26", "SIGRTMAX-27", "SIGRTMAX-28", "SIGRTMAX-29",
	"SIGRTMAX-30", "SIGRTMAX-31", "SIGRTMAX-32",
};

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *signal_name(int sig)
{
	for (size_t i = 0; i < N_ELEM(signal_table); i++)
		if (signal_table[i].sig == sig)
			return signal_table[i].name;
	if (sig < SIGRTMIN || sig > SIGRTMAX)
		return NULL;
	int off = sig - SIGRTMIN;
	int span = SIGRTMAX - SIGRTMIN;
	if (off <= span / 2)
		return (size_t)off < N_ELEM(rtmin_names) ? rtmin_names[off] : NULL;
	size_t back = (size_t)(SIGRTMAX - sig);
	return back < N_ELEM(rtmax_names) ? rtmax_names[back] : NULL;
}

/* Decimal digits only (no sign, no spaces), value <= max; -1 otherwise. */
static int parse_small_uint(const char *s, int max)
{
	if (!*s)
		return -1;
	int v = 0;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		v = v * 10 + (*s - '0');
		if (v > max)
			return -1;
	}
	return v;
}

/* "RTMIN", "RTMIN+N", "RTMAX", "RTMAX-N" (prefix SIG already removed). */
static int parse_rt(const char *s)
{
	int span = SIGRTMAX - SIGRTMIN;
	if (strncmp(s, "RTMIN", 5) == 0) {
		if (!s[5])
			return SIGRTMIN;
		int n = s[5] == '+' ? parse_small_uint(s + 6, span) : -1;
		return n < 0 ? -1 : SIGRTMIN + n;
	}
	if (strncmp(s, "RTMAX", 5) == 0) {
		if (!s[5])
			return SIGRTMAX;
		int n = s[5] == '-' ? parse_small_uint(s + 6, span) : -1;
		return n < 0 ? -1 : SIGRTMAX - n;
	}
	return -1;
}

static int parse_name(const char *upper)
{
	const char *bare = strncmp(upper, "SIG", 3) == 0 ? upper + 3 : upper;
	for (size_t i = 0; i < N_ELEM(signal_table); i++)
		if (strcmp(signal_table[i].name + 3, bare) == 0)
			return signal_table[i].sig;
	return parse_rt(bare);
}

int signal_parse(const char *s, int *sig, struct pith_error *err)
{
	char upper[32];
	size_t len = strlen(s);
	int v = -1;

	if (len > 0 && isdigit((unsigned char)s[0])) {
		v = parse_small_uint(s, SIGRTMAX);
		if (v == 0)
			v = -1;
	} else if (len > 0 && len < sizeof(upper)) {
		for (size_t i = 0; i <= len; i++)
			upper[i] = (char)toupper((unsigned char)s[i]);
		v = parse_name(upper);
	}
	if (v < 0)
		return pith_fail(err, 0, "unknown signal \"%s\"", s);
	*sig = v;
	return 0;
}

/* The kernel's struct sigaction (not glibc's): the raw call also reaches
 * the signals glibc keeps for itself (32, 33), which a careless parent may
 * have left ignored. Field order is the same on x86 and ARM. */
struct kernel_sigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};

void signal_reset_all(void)
{
	struct kernel_sigaction dfl = { .handler = SIG_DFL };
	for (int sig = 1; sig <= 64; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(uint64_t));
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}
