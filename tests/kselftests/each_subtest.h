/*
 * Included by tests/kselftests/build.sh into a copy of the kernel's
 * tools/testing/selftests/net/reuseport_bpf.c, just before its main()
 * (renamed ks_stock_main), to build reuseport_bpf.each: the same test
 * sequence, but every subtest runs in a child process, so one failure does
 * not hide the next ones. After each subtest it prints one line
 *
 *   subtest NN NAME FAMILY PROTO [socks=N] [port=P]: ok|FAIL (exit N|signal N)
 *
 * and exits 1 when any subtest failed (its closing "SUCCESS" line is
 * renamed "end of subtests"). The stock binary stays the reference;
 * this one only tells which subtests differ.
 */
#ifndef EACH_SUBTEST_H
#define EACH_SUBTEST_H

#include <sys/wait.h>

static int ks_subtests, ks_failed;

static const char *ks_fam(int f)
{
	return f == AF_INET ? "IPv4" : f == AF_INET6 ? "IPv6" : "?";
}

static void ks_result(const char *label, int status)
{
	ks_subtests++;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		fprintf(stderr, "subtest %02d %s: ok\n", ks_subtests, label);
		return;
	}
	ks_failed++;
	if (WIFEXITED(status))
		fprintf(stderr, "subtest %02d %s: FAIL (exit %d)\n",
			ks_subtests, label, WEXITSTATUS(status));
	else
		fprintf(stderr, "subtest %02d %s: FAIL (signal %d)\n",
			ks_subtests, label, WTERMSIG(status));
}

static int ks_wait(pid_t pid)
{
	int status;

	if (pid < 0)
		error(1, errno, "fork");
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			error(1, errno, "waitpid");
	return status;
}

/* FUNC(struct test_params): the parenthesised name is the function itself. */
static void ks_label_p(char *buf, size_t len, const char *func,
		       const struct test_params *p)
{
	int n = snprintf(buf, len, "%s %s", func, ks_fam(p->recv_family));

	if (n > 0 && (size_t)n < len && p->send_family &&
	    p->send_family != p->recv_family)
		n += snprintf(buf + n, len - n, "<-%s", ks_fam(p->send_family));
	if (n > 0 && (size_t)n < len)
		n += snprintf(buf + n, len - n, " %s",
			      p->protocol == SOCK_STREAM ? "TCP" : "UDP");
	if (n > 0 && (size_t)n < len && p->recv_socks)
		n += snprintf(buf + n, len - n, " socks=%zu", p->recv_socks);
	if (n > 0 && (size_t)n < len)
		snprintf(buf + n, len - n, " port=%u", (unsigned)p->recv_port);
}

/* FUNC(struct test_params): the parenthesised name is the function itself. */
#define KS_SUBTEST_P(func, ...)                                       \
	do {                                                          \
		const struct test_params ks_p = __VA_ARGS__;          \
		char ks_label[160];                                   \
		pid_t ks_pid;                                         \
		ks_label_p(ks_label, sizeof(ks_label), #func, &ks_p); \
		fflush(NULL);                                         \
		ks_pid = fork();                                      \
		if (ks_pid == 0) {                                    \
			(func)(ks_p);                                 \
			fflush(NULL);                                 \
			_exit(0);                                     \
		}                                                     \
		ks_result(ks_label, ks_wait(ks_pid));                 \
	} while (0)

#define KS_SUBTEST_V(func)                         \
	do {                                       \
		pid_t ks_pid;                      \
		fflush(NULL);                      \
		ks_pid = fork();                   \
		if (ks_pid == 0) {                 \
			(func)();                  \
			fflush(NULL);              \
			_exit(0);                  \
		}                                  \
		ks_result(#func, ks_wait(ks_pid)); \
	} while (0)

#define test_reuseport_ebpf(...) KS_SUBTEST_P(test_reuseport_ebpf, __VA_ARGS__)
#define test_reuseport_cbpf(...) KS_SUBTEST_P(test_reuseport_cbpf, __VA_ARGS__)
#define test_extra_filter(...) KS_SUBTEST_P(test_extra_filter, __VA_ARGS__)
#define test_filter_no_reuseport(...) \
	KS_SUBTEST_P(test_filter_no_reuseport, __VA_ARGS__)
#define test_filter_without_bind() KS_SUBTEST_V(test_filter_without_bind)

static int ks_stock_main(void);

int main(void)
{
	int rc = ks_stock_main();

	fprintf(stderr, "subtests: %d run, %d failed\n", ks_subtests,
		ks_failed);
	return ks_failed ? 1 : rc;
}

#endif
