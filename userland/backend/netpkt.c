// SPDX-License-Identifier: MIT
/*
 * Packet parsing for the network back end (see netback.h): where the L4
 * checksum of a partial-checksum frame lives (the protocol does not say:
 * pv-devices.md §4.4), and the ip= anti-spoofing filter.  Every read is
 * bounded by the frame's length.
 */
#include <string.h>
#include "netback.h"

#define ETH_HLEN	14
#define ETH_P_IP	0x0800
#define ETH_P_ARP	0x0806
#define ETH_P_8021Q	0x8100
#define ETH_P_8021AD	0x88a8
#define ETH_P_IPV6	0x86dd
#define IPPROTO_TCP_	6
#define IPPROTO_UDP_	17

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int net_csum_locate(const uint8_t *pkt, size_t len, struct net_csum *c)
{
	size_t l3 = ETH_HLEN, l4;
	uint16_t type;
	uint8_t proto;

	memset(c, 0, sizeof(*c));
	if (len < ETH_HLEN)
		return -1;
	type = be16(pkt + 12);
	if (type == ETH_P_8021Q) {
		if (len < ETH_HLEN + 4)
			return -1;
		type = be16(pkt + 16);
		l3 += 4;
	}
	if (type == ETH_P_IP) {
		size_t ihl;

		if (len < l3 + 20 || (pkt[l3] >> 4) != 4)
			return -1;
		ihl = (size_t)(pkt[l3] & 15) * 4;
		if (ihl < 20 || len < l3 + ihl)
			return -1;
		/* a fragment (MF set or an offset) has no whole L4 segment */
		if (be16(pkt + l3 + 6) & 0x3fff)
			return -1;
		proto = pkt[l3 + 9];
		l4 = l3 + ihl;
	} else if (type == ETH_P_IPV6) {
		if (len < l3 + 40 || (pkt[l3] >> 4) != 6)
			return -1;
		proto = pkt[l3 + 6];
		l4 = l3 + 40;
		c->ipv6 = true;
	} else {
		return -1;
	}
	if (proto == IPPROTO_TCP_) {
		size_t doff;

		if (len < l4 + 20)
			return -1;
		doff = (size_t)(pkt[l4 + 12] >> 4) * 4;
		if (doff < 20 || len < l4 + doff)
			return -1;
		c->offset = 16;
		c->hdr_len = (uint16_t)(l4 + doff);
		c->tcp = true;
	} else if (proto == IPPROTO_UDP_) {
		if (len < l4 + 8)
			return -1;
		c->offset = 6;
		c->hdr_len = (uint16_t)(l4 + 8);
	} else {
		return -1;
	}
	c->start = (uint16_t)l4;
	return 0;
}

static bool listed(uint32_t a, const uint32_t *ips, unsigned int nips)
{
	unsigned int i;

	for (i = 0; i < nips; i++)
		if (ips[i] == a)
			return true;
	return false;
}

bool net_ip_allowed(const uint8_t *pkt, size_t len, const uint32_t *ips, unsigned int nips, uint32_t *src)
{
	uint16_t type;

	*src = 0;
	if (!nips)
		return true;
	if (len < ETH_HLEN)
		return false;
	type = be16(pkt + 12);
	if (type == ETH_P_8021Q || type == ETH_P_8021AD)
		return false;	/* a tag would carry traffic past the filter */
	if (type == ETH_P_IP) {
		size_t ihl;

		if (len < ETH_HLEN + 20)
			return false;
		*src = be32(pkt + ETH_HLEN + 12);
		if (listed(*src, ips, nips))
			return true;
		/* DHCP before the guest has its address: 0.0.0.0 -> UDP port 67 */
		ihl = (size_t)(pkt[ETH_HLEN] & 15) * 4;
		return *src == 0 && pkt[ETH_HLEN + 9] == IPPROTO_UDP_ && ihl >= 20 &&
		       len >= ETH_HLEN + ihl + 4 && be16(pkt + ETH_HLEN + ihl + 2) == 67;
	}
	if (type == ETH_P_ARP) {
		/* Ethernet/IPv4 ARP: the sender protocol address at 14 */
		if (len < ETH_HLEN + 28 || be16(pkt + ETH_HLEN) != 1 || be16(pkt + ETH_HLEN + 2) != ETH_P_IP)
			return false;
		*src = be32(pkt + ETH_HLEN + 14);
		return *src == 0 || listed(*src, ips, nips);
	}
	return true;
}
