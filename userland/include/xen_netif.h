/* SPDX-License-Identifier: MIT */
/*
 * The Xen network ring ABI (io/netif.h facts, ../shared/docs/pv-devices.md
 * §4.3), x86-64 layout: our own definitions, pinned by _Static_assert.
 * The shared-ring header (RING_HDR_SIZE, RING_REQ_PROD ...) is in
 * xen_abi.h.
 */
#ifndef DOMUS_XEN_NETIF_H
#define DOMUS_XEN_NETIF_H

#include <stddef.h>
#include <stdint.h>

#define NETIF_RING_ENTS		256u	/* one page: (4096 - 64) / 12 and / 8, rounded down to 2^n */
#define NETIF_TX_ENTRY_SIZE	12u
#define NETIF_RX_ENTRY_SIZE	8u
#define NETIF_MAX_TX_SIZE	65535u
#define NETIF_SLOTS_MIN		18u	/* slots per packet a back end must accept */

/* TX flags (guest -> back end) */
#define NETTXF_CSUM_BLANK	(1u << 0)
#define NETTXF_DATA_VALIDATED	(1u << 1)
#define NETTXF_MORE_DATA	(1u << 2)
#define NETTXF_EXTRA_INFO	(1u << 3)
/* RX flags (back end -> guest) */
#define NETRXF_DATA_VALIDATED	(1u << 0)
#define NETRXF_CSUM_BLANK	(1u << 1)
#define NETRXF_MORE_DATA	(1u << 2)
#define NETRXF_EXTRA_INFO	(1u << 3)

#define NETIF_RSP_DROPPED	(-2)
#define NETIF_RSP_ERROR		(-1)
#define NETIF_RSP_OKAY		0
#define NETIF_RSP_NULL		1

#define NETIF_EXTRA_TYPE_GSO	1
#define NETIF_EXTRA_TYPE_MCAST_ADD 2
#define NETIF_EXTRA_TYPE_MCAST_DEL 3
#define NETIF_EXTRA_FLAG_MORE	1u
#define NETIF_GSO_TYPE_TCPV4	1
#define NETIF_GSO_TYPE_TCPV6	2

struct netif_tx_request {
	uint32_t gref;
	uint16_t offset;
	uint16_t flags;
	uint16_t id;
	uint16_t size;
};
_Static_assert(sizeof(struct netif_tx_request) == 12, "netif tx request size");

struct netif_tx_response {
	uint16_t id;
	int16_t status;
};

struct netif_extra_info {
	uint8_t type;
	uint8_t flags;
	uint16_t gso_size;		/* GSO: the MSS */
	uint8_t gso_type;
	uint8_t pad;
	uint16_t gso_features;
};
_Static_assert(sizeof(struct netif_extra_info) == 8, "netif extra info size");
_Static_assert(offsetof(struct netif_extra_info, gso_type) == 4, "netif extra gso type");

struct netif_rx_request {
	uint16_t id;
	uint16_t pad;
	uint32_t gref;
};
_Static_assert(sizeof(struct netif_rx_request) == 8, "netif rx request size");

struct netif_rx_response {
	uint16_t id;
	uint16_t offset;
	uint16_t flags;
	int16_t status;
};
_Static_assert(sizeof(struct netif_rx_response) == 8, "netif rx response size");

#endif
