// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: domusd's packet handling (userland/domusd/): the
 * framing, the XDR argument decoding of every procedure, the dispatch and
 * the reply encoding, as one client's byte stream would reach them, with
 * fake domains behind (two listed, one with a definition that dumpxml
 * turns into XML).
 *
 * Input: byte 0 bit 0 opens the session beforehand (so every procedure
 * is reachable without a CONNECT_OPEN packet), bit 1 makes it read-only;
 * the rest is the client's stream: packets, each with its length word, as
 * domusd's client thread cuts them (a length outside 28..RPC_IN_MAX ends
 * the stream, as it closes the connection).
 *
 * Oracle (besides ASan/UBSan and the leak check): every answer is one
 * well-formed packet within RPC_OUT_MAX; the answer to a CALL is a REPLY
 * echoing its program, procedure and serial; a keepalive answer is a
 * MESSAGE with serial 0.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctl.h"
#include "rpc.h"

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz-domusd: %s:%d: %s does not hold\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

#include "../unit/domusd_fake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rpc_session s;
	struct xdr_out out;
	size_t off = 1;

	if (!size)
		return 0;
	rpc_session_init(&s, &fake, data[0] & 2);
	s.open = data[0] & 1;
	xdr_out_init(&out, RPC_OUT_MAX);
	while (size - off >= RPC_LEN_WORD) {
		uint32_t n = rpc_frame_length(data + off, RPC_IN_MAX);
		struct rpc_header in, h;
		const uint8_t *p;
		size_t plen;
		int r;

		if (!n || n > size - off)
			break;
		r = rpc_handle_packet(&s, data + off, n, &out);
		if (out.len) {
			CHECK(!out.err && out.len <= RPC_OUT_MAX);
			CHECK(rpc_frame_parse(out.buf, out.len, &h, &p, &plen) == 0);
			CHECK(rpc_frame_parse(data + off, n, &in, &p, &plen) == 0);
			if (in.type == RPC_CALL) {
				CHECK(h.type == RPC_REPLY && h.prog == in.prog && h.proc == in.proc &&
				      h.serial == in.serial && h.status != RPC_CONTINUE);
			} else {
				CHECK(h.type == RPC_MESSAGE && h.prog == RPC_PROG_KEEPALIVE && h.serial == 0);
			}
		}
		off += n;
		if (r)
			break;
	}
	xdr_out_free(&out);
	return 0;
}
