// SPDX-License-Identifier: MIT
/*
 * The control loop's one-line answer (ctl.h): one line, cut to
 * DOMUS_CTL_LINE_MAX, sent without SIGPIPE.  Its own file so that the
 * unit tests of the request handlers (test_xsctl) link the real one.
 */
#include <stdarg.h>
#include <stdio.h>
#include <sys/socket.h>
#include "launcher.h"

void l_reply(int fd, const char *fmt, ...)
{
	char buf[DOMUS_CTL_LINE_MAX + 2];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, DOMUS_CTL_LINE_MAX, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n >= DOMUS_CTL_LINE_MAX)
		n = DOMUS_CTL_LINE_MAX - 1;
	buf[n++] = '\n';
	if (send(fd, buf, n, MSG_NOSIGNAL) < 0) {
		/* the client is gone */
	}
}
