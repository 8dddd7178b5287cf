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

/* Grant table v1 entries (pvh-abi.md §9, pv-devices.md §5.1). */
struct xen_grant_entry {
	uint16_t flags;
	uint16_t domid;
	uint32_t frame;
};
_Static_assert(sizeof(struct xen_grant_entry) == 8, "grant entry size");
#define XEN_GTF_TYPE_MASK	3u
#define XEN_GTF_PERMIT_ACCESS	1u
#define XEN_GTF_READONLY	(1u << 2)
#define XEN_GTF_READING		(1u << 3)
#define XEN_GTF_WRITING		(1u << 4)
#define XEN_GTF_SUB_PAGE	(1u << 8)	/* v2 only */
#define XEN_GNT_PER_FRAME	512u
#define XEN_GNT_V1_SIZE		8u
/*
 * v2 entries: 16 bytes, the same flags/domid header, then full_page
 * {u32 pad; u64 frame}, sub_page {u16 page_off; u16 length; u64 frame} or
 * transitive {u16 trans_domid; u16 pad; u32 gref}; the in-use bits in a
 * separate u16 status per grant.
 */
#define XEN_GNT_V2_SIZE		16u

/* xenbus states (pv-devices.md §1.1). */
enum xen_bus_state {
	XEN_BUS_UNKNOWN = 0, XEN_BUS_INITIALISING, XEN_BUS_INITWAIT, XEN_BUS_INITIALISED,
	XEN_BUS_CONNECTED, XEN_BUS_CLOSING, XEN_BUS_CLOSED,
};

/* The block ring (pv-devices.md §2, §3.3; x86-64 layout). */
#define BLKIF_OP_READ		0
#define BLKIF_OP_WRITE		1
#define BLKIF_OP_WRITE_BARRIER	2
#define BLKIF_OP_FLUSH_DISKCACHE 3
#define BLKIF_OP_DISCARD	5
#define BLKIF_OP_INDIRECT	6
#define BLKIF_RSP_OKAY		0
#define BLKIF_RSP_ERROR		(-1)
#define BLKIF_RSP_EOPNOTSUPP	(-2)
#define BLKIF_MAX_SEGS		11
#define BLKIF_MAX_INDIRECT_PAGES 8
#define BLKIF_SEGS_PER_INDIRECT_PAGE 512
#define BLKIF_VDISK_CDROM	1u
#define BLKIF_VDISK_READONLY	4u
#define RING_HDR_SIZE		64u	/* req_prod, req_event, rsp_prod, rsp_event, pad */
#define RING_REQ_PROD		0u
#define RING_REQ_EVENT		4u
#define RING_RSP_PROD		8u
#define RING_RSP_EVENT		12u

struct blkif_segment {
	uint32_t gref;
	uint8_t first_sect, last_sect;
	uint16_t pad;
};
_Static_assert(sizeof(struct blkif_segment) == 8, "blkif segment size");

struct blkif_request {			/* READ, WRITE, BARRIER, FLUSH */
	uint8_t operation;
	uint8_t nr_segments;
	uint16_t handle;
	uint32_t pad;
	uint64_t id;
	uint64_t sector_number;
	struct blkif_segment seg[BLKIF_MAX_SEGS];
};
_Static_assert(sizeof(struct blkif_request) == 112, "blkif request size");

struct blkif_request_discard {		/* same slot, operation DISCARD */
	uint8_t operation;
	uint8_t flag;
	uint16_t handle;
	uint32_t pad;
	uint64_t id;
	uint64_t sector_number;
	uint64_t nr_sectors;
};
_Static_assert(sizeof(struct blkif_request_discard) == 32, "blkif discard size");

struct blkif_request_indirect {		/* same slot, operation INDIRECT */
	uint8_t operation;
	uint8_t indirect_op;
	uint16_t nr_segments;
	uint32_t pad;
	uint64_t id;
	uint64_t sector_number;
	uint16_t handle;
	uint16_t pad2;
	uint32_t indirect_grefs[BLKIF_MAX_INDIRECT_PAGES];
} __attribute__((packed));
_Static_assert(sizeof(struct blkif_request_indirect) == 60, "blkif indirect size");
_Static_assert(offsetof(struct blkif_request_indirect, indirect_grefs) == 28, "blkif indirect grefs");

struct blkif_response {
	uint64_t id;
	uint8_t operation;
	uint8_t pad;
	int16_t status;
	uint32_t pad2;
};
_Static_assert(sizeof(struct blkif_response) == 16, "blkif response size");
#define BLKIF_ENTRY_SIZE	112u	/* the union of request and response */

#endif /* DOMUS_XEN_ABI_H */
