/* SPDX-License-Identifier: MIT */
/*
 * domus xenstored (docs/xenstore.md "The xenstored socket"): the state
 * its two files share.  xenstored.c: the socket, the clients, their
 * requests, watches and transactions; xsd_fwd.c: the stores behind it
 * (our own, each domain's launcher) and the domains' change streams.
 */
#ifndef DOMUS_XSD_H
#define DOMUS_XSD_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ctl.h"
#include "xenstore.h"
#include "xswire.h"

#define XSD_DOMS_MAX	256

struct xsd_dom {
	unsigned int id;
	char name[64];
	int wfd;			/* its xs-watch stream, -1 none */
	char wbuf[XS_PATH_MAX + 2];
	size_t wlen;
};

struct xsd {
	struct xs_store *host;		/* our own: /local/domain/0, /vm, /tool ... */
	struct xsd_dom doms[XSD_DOMS_MAX];
	unsigned int ndoms;
};
extern struct xsd xsd;

/* xsd_fwd.c */
int xsd_send(unsigned int id, const void *msg, size_t len, unsigned char *rep);
int xsd_simple(unsigned int id, uint32_t type, uint32_t tx, const void *pl, size_t plen,
	       unsigned char *rep, struct xs_msg_hdr *rh);
int xsd_merged_dir(const struct xs_msg_hdr *h, const char *path, const char *offarg, int merge, uint32_t htx,
		   unsigned char *rep);
int xsd_error_msg(const struct xs_msg_hdr *h, const char *err, unsigned char *rep);
void xsd_refresh(void);
void xsd_host_changed(void *opaque, const char *path);
unsigned int xsd_route_id(const char *path, int *merge);
void xsd_poll_streams(struct pollfd *p, unsigned int *n, unsigned int max);
void xsd_streams_ready(const struct pollfd *p, unsigned int n);

/* xenstored.c: fire the clients' watches for a change at @path (@special:
 * an "@..." event, which fires only the watches on exactly that name);
 * a domain that went away. */
void xsd_fire(const char *path, bool special);
void xsd_domain_gone(unsigned int id);

#endif
