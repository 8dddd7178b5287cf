/* SPDX-License-Identifier: MIT */
/*
 * The Xen ABI numbers and layouts userland needs, in one place: hypercall
 * numbers and sub-ops the launcher handles in userspace, HVM parameters,
 * shutdown reasons, the PV console ring and the xenstore ring and message
 * header.  Our own definitions of published facts (the numbers are those
 * of Xen's public headers, see /work/shared/docs/pvh-abi.md); layouts are
 * pinned by _Static_assert.  The kernel side has its own (module/pv/).
 */
#ifndef DOMUS_XEN_ABI_H
#define DOMUS_XEN_ABI_H

#include <stddef.h>
#include <stdint.h>

/* Hypercall numbers (xen.h __HYPERVISOR_*) that reach userspace. */
#define XEN_HC_CONSOLE_IO		18
#define XEN_HC_SCHED_OP			29

/* console_io sub-op (xen.h CONSOLEIO_*). */
#define XEN_CONSOLEIO_WRITE		0

/* sched_op sub-op (sched.h SCHEDOP_*) and shutdown reasons (SHUTDOWN_*). */
#define XEN_SCHEDOP_SHUTDOWN		2
enum xen_shutdown_reason {
	XEN_SHUTDOWN_POWEROFF = 0,
	XEN_SHUTDOWN_REBOOT = 1,
	XEN_SHUTDOWN_SUSPEND = 2,
	XEN_SHUTDOWN_CRASH = 3,
	XEN_SHUTDOWN_WATCHDOG = 4,
	XEN_SHUTDOWN_SOFT_RESET = 5,
};

/* HVM parameters (hvm/params.h HVM_PARAM_*), DOMUS_XEN_SET_PARAM. */
#define XEN_HVM_PARAM_STORE_PFN		1
#define XEN_HVM_PARAM_STORE_EVTCHN	2
#define XEN_HVM_PARAM_CONSOLE_PFN	17
#define XEN_HVM_PARAM_CONSOLE_EVTCHN	18

/* The PV console ring (io/console.h struct xencons_interface, pvh-abi.md
 * section 12). */
struct xencons_interface {
	char in[1024];
	char out[2048];
	uint32_t in_cons, in_prod;
	uint32_t out_cons, out_prod;
};
_Static_assert(sizeof(struct xencons_interface) == 3088, "xencons_interface size");
_Static_assert(offsetof(struct xencons_interface, in_cons) == 3072, "xencons_interface in_cons");

/* The xenstore ring page (io/xs_wire.h struct xenstore_domain_interface,
 * pvh-abi.md section 10.1). */
#define XS_RING_SIZE 1024u
struct xs_ring_page {
	char req[XS_RING_SIZE];		/* guest -> server */
	char rsp[XS_RING_SIZE];		/* server -> guest */
	uint32_t req_cons;		/* written by the server */
	uint32_t req_prod;		/* written by the guest */
	uint32_t rsp_cons;		/* written by the guest */
	uint32_t rsp_prod;		/* written by the server */
	uint32_t server_features;	/* XS_FEAT_* set by the server */
	uint32_t connection;		/* XS_CONN_*: guest asks for a reset */
	uint32_t error;			/* XS_ERR_*: set by the server */
};
_Static_assert(offsetof(struct xs_ring_page, req_cons) == 2048, "xenstore ring req_cons");
_Static_assert(offsetof(struct xs_ring_page, rsp_prod) == 2060, "xenstore ring rsp_prod");
_Static_assert(offsetof(struct xs_ring_page, error) == 2072, "xenstore ring error");
_Static_assert(sizeof(struct xs_ring_page) == 2076, "xenstore ring size");
#define XS_FEAT_RECONNECTION	(1u << 0)
#define XS_FEAT_ERROR		(1u << 1)
#define XS_CONN_CONNECTED	0u
#define XS_CONN_RECONNECT	1u
#define XS_ERR_NONE		0u
#define XS_ERR_COMM		1u
#define XS_ERR_RINGIDX		2u	/* bad ring index */
#define XS_ERR_PROTO		3u	/* malformed message */

/* xenstore message header (struct xsd_sockmsg) and types (section 10.2). */
struct xs_msg_hdr {
	uint32_t type;
	uint32_t req_id;
	uint32_t tx_id;
	uint32_t len;
};
_Static_assert(sizeof(struct xs_msg_hdr) == 16, "xsd_sockmsg size");
enum {
	XS_CONTROL = 0, XS_DIRECTORY = 1, XS_READ = 2, XS_GET_PERMS = 3,
	XS_WATCH = 4, XS_UNWATCH = 5, XS_TRANSACTION_START = 6,
	XS_TRANSACTION_END = 7, XS_INTRODUCE = 8, XS_RELEASE = 9,
	XS_GET_DOMAIN_PATH = 10, XS_WRITE = 11, XS_MKDIR = 12, XS_RM = 13,
	XS_SET_PERMS = 14, XS_WATCH_EVENT = 15, XS_ERROR = 16,
	XS_IS_DOMAIN_INTRODUCED = 17, XS_RESUME = 18, XS_SET_TARGET = 19,
	XS_RESET_WATCHES = 21, XS_DIRECTORY_PART = 22,
	XS_TYPE_COUNT = 27,	/* types 23-26: features and quotas */
};
#define XS_PAYLOAD_MAX		4096u	/* message payload bytes */

#endif /* DOMUS_XEN_ABI_H */
