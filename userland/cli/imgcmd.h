/* SPDX-License-Identifier: MIT */
/*
 * Images, clones and backups of domains (docs/cli.md "Images, clones,
 * backups"): imgcopy.c copies disk images, imgcfg.c finds and rewrites a
 * domain's config, imgcmd.c holds the commands.
 */
#ifndef DOMUS_IMGCMD_H
#define DOMUS_IMGCMD_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include "xlcfg.h"

#define DOMUS_CONF_DIR_DEFAULT	"/etc/domus"

/* Set by SIGINT/SIGTERM/SIGHUP once domus_copy_catch_signals() ran. */
extern volatile sig_atomic_t domus_copy_stop;
void domus_copy_catch_signals(void);
/* Copy @src to the new file @dst (O_EXCL): a reflink if the file system
 * can (*reflinked = 1), else (unless @reflink_only) a sparse copy with a
 * progress bar labelled @label on a terminal.  0 or -errno; a failed
 * copy leaves no @dst. */
int domus_copy_file(const char *src, const char *dst, const char *label, int reflink_only, int *reflinked);

/* A domain's config: where it is, its text, the parsed settings. */
struct domus_srccfg {
	char path[4096];
	char *text;
	size_t len;
	struct domus_config cfg;
};

/* The config directory: $DOMUS_CONF_DIR or /etc/domus. */
const char *domus_conf_dir(void);
/* SRC (a config file's path, or a domain name: CONF_DIR/SRC.cfg) read and
 * parsed into @sc; 0, or -1 with a one-line message in @err. */
int domus_srccfg_load(struct domus_srccfg *sc, const char *src, char *err, size_t errlen);
void domus_srccfg_free(struct domus_srccfg *sc);

/* Changes imgcfg_write() makes to the text of a config. */
struct domus_cfgedit {
	const char *name;		/* new name= (NULL: keep) */
	const char *uuid;		/* new uuid= (NULL: keep) */
	bool new_macs;			/* a new random MAC for every vif */
	const char *old_targets[DOMUS_CFG_MAX_DISKS];	/* disk targets replaced ... */
	const char *new_targets[DOMUS_CFG_MAX_DISKS];	/* ... by these */
	size_t ntargets;
	const char *comment;		/* a "# ..." line put first */
};
/* The config text of @sc with @e's changes, malloc'ed in *@out; 0 or -1 (@err). */
int domus_cfg_rewrite(const struct domus_srccfg *sc, const struct domus_cfgedit *e, char **out,
		      char *err, size_t errlen);
/* A random version-4 UUID; a random 00:16:3e:(00-7f):xx:xx MAC. */
void domus_random_uuid(char out[37]);
void domus_random_mac(char out[18]);
/* Write @text to @path through a temporary file; with @no_clobber an
 * existing @path is an error (-EEXIST).  0 or -errno. */
int domus_write_file(const char *path, const char *text, bool no_clobber);

#endif
