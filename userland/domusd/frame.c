// SPDX-License-Identifier: MIT
/*
 * The packet of libvirt's remote protocol: a big-endian length word
 * (the whole packet, itself included), a 24-byte header (program,
 * version, procedure, type, serial, status), then the XDR payload.
 */
#include "rpc.h"

uint32_t rpc_frame_length(const uint8_t word[RPC_LEN_WORD], uint32_t max)
{
	uint32_t n = (uint32_t)word[0] << 24 | (uint32_t)word[1] << 16 | (uint32_t)word[2] << 8 | word[3];

	if (n < RPC_LEN_WORD + RPC_HEADER_LEN || n > max)
		return 0;
	return n;
}

int rpc_frame_parse(const uint8_t *pkt, size_t n, struct rpc_header *h,
		    const uint8_t **payload, size_t *plen)
{
	struct xdr_in x;

	if (n < RPC_LEN_WORD + RPC_HEADER_LEN || rpc_frame_length(pkt, UINT32_MAX) != n)
		return -1;
	xdr_in_init(&x, pkt + RPC_LEN_WORD, RPC_HEADER_LEN);
	h->prog = xdr_get_u32(&x);
	h->vers = xdr_get_u32(&x);
	h->proc = xdr_get_i32(&x);
	h->type = xdr_get_u32(&x);
	h->serial = xdr_get_u32(&x);
	h->status = xdr_get_u32(&x);
	if (!xdr_in_done(&x) || h->type > RPC_STREAM_HOLE || h->status > RPC_CONTINUE)
		return -1;
	*payload = pkt + RPC_LEN_WORD + RPC_HEADER_LEN;
	*plen = n - RPC_LEN_WORD - RPC_HEADER_LEN;
	return 0;
}
