// SPDX-License-Identifier: MIT
/* The --json output of the read-only commands: strings escaped as JSON. */
#include <stdio.h>
#include "cli.h"

void domus_json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}
