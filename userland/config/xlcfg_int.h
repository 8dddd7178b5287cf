/* SPDX-License-Identifier: MIT */
/* Shared by the parser (xlcfg.c) and the settings (settings.c) only. */
#ifndef DOMUS_XLCFG_INT_H
#define DOMUS_XLCFG_INT_H

#include <stdbool.h>
#include <stddef.h>

struct domus_config;
struct domus_cfg_value;

/* printf into @err (up to @errlen bytes; nothing if @err is NULL). */
void xlcfg_errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The store (xlcfg.c): values, lists, entries, file names. */
void xlcfg_value_free(struct domus_cfg_value *v);
int xlcfg_list_add(struct domus_cfg_value *l, struct domus_cfg_value *v);
const char *xlcfg_keep_name(struct domus_config *c, const char *fname);
/* KEY = @v (replacing an earlier value); takes @v, also on failure. */
int xlcfg_store(struct domus_config *c, const char *file, unsigned int line, const char *key,
		struct domus_cfg_value *v, char *err, size_t errlen);
/* The JSON view into the store (jsoncfg.c). */
int xlcfg_parse_json(struct domus_config *c, const char *text, size_t len, const char *fname,
		     char *err, size_t errlen);
/* Is @key one domus_config_finish() reads (settings.c)? */
bool xlcfg_key_used(const char *key);

#endif
