/* SPDX-License-Identifier: MIT */
/*
 * The config tests' one way to parse a config text: as file "t.cfg",
 * then finished; 0 or -1 with the one-line message in @err.
 */
#ifndef DOMUS_UNIT_CFG_H
#define DOMUS_UNIT_CFG_H

#include <string.h>
#include "xlcfg.h"

static inline int unit_cfg_parse(struct domus_config *c, const char *text, char *err, size_t errlen)
{
	domus_config_init(c);
	err[0] = 0;
	if (domus_config_parse(c, text, strlen(text), "t.cfg", err, errlen))
		return -1;
	return domus_config_finish(c, err, errlen);
}

#endif
