// SPDX-License-Identifier: MIT
/*
 * reuseport run's state (state.h), and the words for a wait status that
 * every part of the supervisor writes in its log lines.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>

#include "state.h"

struct run_state R;

void run_describe_exit(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "status=%d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "signal=%s%s", sig_name(WTERMSIG(status)),
			 WCOREDUMP(status) ? " core=1" : "");
	else
		snprintf(buf, len, "status=?");
}

const char *run_exit_words(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "signal %s", sig_name(WTERMSIG(status)));
	else
		snprintf(buf, len, "status %d", WEXITSTATUS(status));
	return buf;
}
