/* SPDX-License-Identifier: MIT */
/*
 * The launcher's log (l_log, main.c) for the unit tests of launcher files:
 * each line is formatted, the last kept in unit_lastlog, and counted in
 * unit_nlogs.  Include after launcher.h, in one file of a test program.
 */
#ifndef DOMUS_UNIT_LLOG_H
#define DOMUS_UNIT_LLOG_H

#include <stdarg.h>
#include <stdio.h>
#include "launcher.h"

static char unit_lastlog[512];
static unsigned int unit_nlogs;

void l_log(struct launcher *L, const char *fmt, ...)
{
	va_list ap;

	(void)L;
	va_start(ap, fmt);
	vsnprintf(unit_lastlog, sizeof(unit_lastlog), fmt, ap);
	va_end(ap);
	unit_nlogs++;
}

#endif
