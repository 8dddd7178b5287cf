/* SPDX-License-Identifier: MIT */
/*
 * The pieces of `domus xenstored` (docs/xenstore.md "The xenstored
 * socket") that need no socket: framing of xenstore wire messages read
 * from a byte stream, the hex form a message takes on a launcher's control
 * socket (xs-wire), and which store owns a path.
 */
#ifndef DOMUS_XSWIRE_H
#define DOMUS_XSWIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "xen_abi.h"

#define XSW_HDR		16u
#define XSW_MSG_MAX	(XSW_HDR + XS_PAYLOAD_MAX)

/* Where libxenstore (Xen 4.17) looks for xenstored: $XENSTORED_PATH, else
 * $XENSTORED_RUNDIR/socket, else this. */
#define XSW_RUNDIR_DEFAULT	"/var/run/xenstored"
/* The socket path into @buf: 0, or -ENAMETOOLONG (sockaddr_un). */
int xsw_socket_path(char *buf, size_t len);

/*
 * A client's input: bytes are fed in as they come, whole messages taken
 * out.  xsw_in_next returns 1 with a message copied to @msg (header and
 * payload, then a NUL: XSW_MSG_MAX + 1 bytes) and its header in @h, 0
 * when more bytes are needed, or a
 * negative error that ends the client: -EMSGSIZE for a payload over
 * XS_PAYLOAD_MAX, -EPROTO for a type a client never sends (15 WATCH_EVENT,
 * 16 ERROR, 27 and above).
 */
struct xsw_in {
	unsigned char msg[XSW_MSG_MAX];
	size_t have;
};
/* Append up to @n bytes of @buf: how many were taken (the rest must wait
 * for xsw_in_next to consume a message). */
size_t xsw_in_feed(struct xsw_in *in, const void *buf, size_t n);
int xsw_in_next(struct xsw_in *in, struct xs_msg_hdr *h, unsigned char *msg);
/* 0 if @h may come from a client, else as xsw_in_next. */
int xsw_hdr_check(const struct xs_msg_hdr *h);

/* Hex (lower case) of @n bytes into @out (2n + 1 bytes with the NUL). */
void xsw_hex(const void *in, size_t n, char *out);
/* Bytes of the hex text @in into @out: the count, -EINVAL (odd length, a
 * non-hex digit), -E2BIG (over @cap). */
int xsw_unhex(const char *in, void *out, size_t cap);

/*
 * Which store owns an absolute path:
 *   XSW_HOST    the service's own store (/, /local, /local/domain,
 *               /local/domain/0 and its keys, /vm, /tool, anything else)
 *   XSW_DOMAIN  domain *@domid's launcher: /local/domain/<id>[/...] and
 *               /local/domain/0/backend/<type>/<id>[/...] (id 1..32751)
 * and whether its listing merges the domains' (XSW_MERGE_DOMAINS for
 * /local/domain: the running ids; XSW_MERGE_BACKEND for
 * /local/domain/0/backend[/<type>]: every launcher's listing).  -EINVAL
 * for a path that is not absolute.
 */
enum { XSW_HOST = 0, XSW_DOMAIN = 1 };
enum { XSW_MERGE_NONE = 0, XSW_MERGE_DOMAINS = 1, XSW_MERGE_BACKEND = 2 };
int xsw_route(const char *path, unsigned int *domid, int *merge);

/* Does @path equal @top or lie below it? */
bool xsw_under(const char *path, const char *top);

#endif
