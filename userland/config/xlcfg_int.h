/* SPDX-License-Identifier: MIT */
/* Shared by the parser (xlcfg.c) and the settings (settings.c) only. */
#ifndef DOMUS_XLCFG_INT_H
#define DOMUS_XLCFG_INT_H

#include <stddef.h>

/* printf into @err (up to @errlen bytes; nothing if @err is NULL). */
void xlcfg_errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
