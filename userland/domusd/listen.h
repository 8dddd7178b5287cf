/* SPDX-License-Identifier: MIT */
/* domusd's listening sockets and links (listen.c). */
#ifndef DOMUSD_LISTEN_H
#define DOMUSD_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Bind and listen on @path (mode 0600; 0660 and group @gid with @grp;
 * 0666 when @ro), replacing a dead domusd's socket, refusing a live
 * one's: the fd, or -1 (one line printed). */
int domusd_listen_on(const char *path, gid_t gid, bool grp, bool ro);
/* @link -> @target, replacing an old link (never another file): 0 or -1. */
int domusd_make_link(const char *link, const char *target);
/* The same where another daemon may own @link: its file is left alone
 * (1); 0 made, -1 failed (one line each time; never fatal). */
int domusd_make_link_shared(const char *link, const char *target);
/* Remove @link if it still points at @target. */
void domusd_unlink_own(const char *link, const char *target);

struct domusd_inherit {
	int rw, ro;			/* the inherited sockets, -1 none */
	char rw_path[108], ro_path[108];	/* their paths */
};
/* Socket activation (sd_listen_fds): 1 with @out's sockets, 0 when
 * there is none for this process (LISTEN_PID another's: one line), -1
 * when what was passed is wrong (one line printed).  @sock and @rosock
 * (may be NULL) tell the read-write socket from the read-only one. */
int domusd_inherited(const char *sock, const char *rosock, struct domusd_inherit *out);

#endif
