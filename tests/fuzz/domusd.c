// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: domusd's packet handling (userland/domusd/): the
 * framing, the XDR argument decoding of every procedure, the dispatch and
 * the reply encoding, as one client's byte stream would reach them, with
 * fake domains behind (two listed, one with a definition that dumpxml
 * turns into XML), the definition store in a scratch CONF_DIR (emptied
 * before each input: define, undefine, autostart and the --config
 * changes write there) and fake launchers that take every lifecycle
 * request (start, shutdown, pause, mem-set, ...).
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
 * MESSAGE with serial 0; on a read-only session, every procedure that
 * changes state is refused.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <unistd.h>
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

static int fake_request(const char *name, const char *req, char *reply, size_t len, int timeout_ms)
{
	(void)timeout_ms;
	/* a launcher refuses what it cannot do: here vcpu-set over 4 */
	if (!strncmp(req, "vcpu-set ", 9) && strtoul(req + 9, NULL, 10) > 4) {
		snprintf(reply, len, "error %s: %s: give 1 to 4", name, req);
		return 1;
	}
	snprintf(reply, len, "ok");
	return 0;
}

static int fake_start(const char *file, const char *uuid, bool paused, char *err, size_t errlen)
{
	(void)uuid;
	(void)paused;
	if (access(file, R_OK)) {
		snprintf(err, errlen, "domus create: %s: %s", file, strerror(errno));
		return -1;
	}
	return 0;
}

/* `domus save NAME FILE` / `domus restore ... FILE`: succeed for a
 * FILE under the scratch directory, else fail with one line */
static int fake_cli(const char *const *args, char *err, size_t errlen)
{
	const char *file = NULL;
	size_t i;

	for (i = 0; args[i]; i++)
		file = args[i];
	if (file && !strncmp(file, "/tmp/fuzz-domusd.", 17))
		return 0;
	snprintf(err, errlen, "domus %s: %s: refused", args[0], file ? file : "");
	return -1;
}

static const struct domusd_backend fake_life = {
	.list = fake_list, .config = fake_config, .request = fake_request, .start = fake_start, .cli = fake_cli,
};

/* The scratch CONF_DIR (made once), emptied: its files, auto/'s links. */
static void conf_dir_reset(void)
{
	static char dir[64];
	const char *sub[] = { "/auto", "" };
	size_t i;

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/fuzz-domusd.XXXXXX");
		if (!mkdtemp(dir))
			abort();
		setenv("DOMUS_CONF_DIR", dir, 1);
		unsetenv("DOMUS_AUTO_DIR");
		setenv("DOMUS_RUN_DIR", dir, 1);
		setenv("DOMUS_SAVE_DIR", dir, 1);	/* managed saves: NAME.save, emptied too */
	}
	for (i = 0; i < 2; i++) {
		char path[600];
		struct dirent *e;
		DIR *d;

		snprintf(path, sizeof(path), "%s%s", dir, sub[i]);
		d = opendir(path);
		if (!d)
			continue;
		while ((e = readdir(d))) {
			char f[900];

			if (e->d_name[0] == '.' || !strcmp(e->d_name, "auto"))
				continue;
			snprintf(f, sizeof(f), "%s/%s", path, e->d_name);
			unlink(f);
		}
		closedir(d);
	}
}

/* The procedures that change state (PROC_WRITE in procs.c) */
static bool changes_state(int32_t proc)
{
	static const int32_t w[] = {
		PROC_DOMAIN_DEFINE_XML, PROC_DOMAIN_DEFINE_XML_FLAGS, PROC_DOMAIN_UNDEFINE, PROC_DOMAIN_UNDEFINE_FLAGS,
		PROC_DOMAIN_CREATE, PROC_DOMAIN_CREATE_WITH_FLAGS, PROC_DOMAIN_CREATE_XML, PROC_DOMAIN_DESTROY,
		PROC_DOMAIN_DESTROY_FLAGS, PROC_DOMAIN_SHUTDOWN, PROC_DOMAIN_SHUTDOWN_FLAGS, PROC_DOMAIN_REBOOT,
		PROC_DOMAIN_SUSPEND, PROC_DOMAIN_RESUME, PROC_DOMAIN_SET_MEMORY, PROC_DOMAIN_SET_MAX_MEMORY,
		PROC_DOMAIN_SET_MEMORY_FLAGS, PROC_DOMAIN_SET_VCPUS, PROC_DOMAIN_SET_VCPUS_FLAGS, PROC_DOMAIN_SET_AUTOSTART,
		PROC_DOMAIN_SAVE, PROC_DOMAIN_SAVE_FLAGS, PROC_DOMAIN_RESTORE, PROC_DOMAIN_RESTORE_FLAGS,
		PROC_DOMAIN_MANAGED_SAVE, PROC_DOMAIN_MANAGED_SAVE_REMOVE,
	};
	size_t i;

	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		if (w[i] == proc)
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rpc_session s;
	struct xdr_out out;
	size_t off = 1;

	if (!size)
		return 0;
	conf_dir_reset();
	rpc_session_init(&s, &fake_life, data[0] & 2);
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
				if (s.readonly && in.prog == RPC_PROG_REMOTE && changes_state(in.proc))
					CHECK(h.status == RPC_ERROR);
			} else {
				CHECK(h.type == RPC_MESSAGE && h.prog == RPC_PROG_KEEPALIVE && h.serial == 0);
			}
		}
		off += n;
		if (r)
			break;
	}
	rpc_session_end(&s);	/* event callbacks' domain lists */
	xdr_out_free(&out);
	return 0;
}
