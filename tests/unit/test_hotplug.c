// SPDX-License-Identifier: MIT
/*
 * Hot-plug requests of the launcher (userland/launcher/hotplug.c) on a real
 * store, answered over a socketpair: block-attach and network-attach with
 * descriptors, refusals that close them and leave no xenstore directory,
 * block-list / network-list lines, the detach handshake (back end Closing,
 * the "guest" answering Closed, directories removed, the image's lock and
 * the TAP's descriptor released), a detach forced after its deadline, the
 * guest's own complaint in the note, and a detach cut short by teardown.
 * The guest's grant table is never touched (no front end connects).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/socket.h>
#include "launcher.h"
#include "unit.h"

/* the launcher's log and answers (main.c, loop.c) */
#include "unit_llog.h"

void l_reply(int fd, const char *fmt, ...)
{
	char buf[DOMUS_CTL_LINE_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	if (send(fd, buf, (size_t)n, MSG_NOSIGNAL) < 0) {
		/* the test reads it */
	}
}

static struct launcher L;
static int sv[2];
static char img[64], img2[64];
static uint64_t fake_gnttab[512];

static void setup(void)
{
	memset(&L, 0, sizeof(L));
	snprintf(L.cfg.name, sizeof(L.cfg.name), "g1");
	L.domid = 7;
	L.state = L_RUNNING;
	L.xs = xs_new(7, "g1");
	L.gnttab = fake_gnttab;		/* l_be_host: no mapping */
	L.be.domfd = -1;
	L.be.domid = 7;
	L.be.xs = L.xs;
	l_hotplug_init(&L);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		sv[0] = sv[1] = -1;
	snprintf(img, sizeof(img), "/tmp/domus-hp-XXXXXX");
	close(mkstemp(img));
	truncate(img, 1 << 20);
	snprintf(img2, sizeof(img2), "/tmp/domus-hp-XXXXXX");
	close(mkstemp(img2));
	truncate(img2, 1 << 20);
}

static void teardown(void)
{
	size_t i;

	l_hotplug_teardown(&L);
	for (i = 0; i < L.ndisks; i++)
		blk_disk_close(L.disks[i]);
	for (i = 0; i < L.nvifs; i++)
		net_vif_close(L.vifs[i]);
	xs_free(L.xs);
	close(sv[0]);
	close(sv[1]);
	unlink(img);
	unlink(img2);
}

/* The next answer line (without the newline). */
static char *answer(void)
{
	static char buf[DOMUS_CTL_LINE_MAX + 8];
	size_t n = 0;

	while (n < sizeof(buf) - 1) {
		struct pollfd p = { .fd = sv[1], .events = POLLIN };

		if (poll(&p, 1, 1000) <= 0 || read(sv[1], buf + n, 1) != 1)
			break;
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = 0;
	return buf;
}

static bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static char *xs_get(const char *path)
{
	static char v[256];
	int n = xs_read(L.xs, path, v, sizeof(v) - 1);

	if (n < 0)
		return NULL;
	v[n] = 0;
	return v;
}

/* An image opened and locked as domus block-attach does. */
static int image_fd(const char *path, bool ro)
{
	int fd = open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);

	if (fd >= 0 && flock(fd, (ro ? LOCK_SH : LOCK_EX) | LOCK_NB)) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool fd_closed(int fd)
{
	return fcntl(fd, F_GETFD) < 0 && errno == EBADF;
}

static bool unlocked(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	bool ok = fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0;

	if (fd >= 0)
		close(fd);
	return ok;
}

/* A request with descriptors, as loop.c hands it to the handler. */
static bool request(bool (*fn)(struct launcher *, int, const char *), const char *arg, int *fds,
		    unsigned int nfds, int conn)
{
	bool kept;

	L.req_fds = fds;
	L.req_nfds = nfds;
	kept = fn(&L, conn, arg);
	L.req_fds = NULL;
	L.req_nfds = 0;
	return kept;
}

static void attach_xvdb(bool ro)
{
	char spec[128];
	int fds[1] = { image_fd(img, ro) };

	snprintf(spec, sizeof(spec), "tap:aio:%s,xvdb,%s", img, ro ? "r" : "w");
	EXPECT(fds[0] >= 0);
	EXPECT(!request(l_ctl_block_attach, spec, fds, 1, sv[0]));
	EXPECT(!strcmp(answer(), "ok"));
	EXPECT(fds[0] == -1);	/* taken */
}

/* Detach through a connection of its own (closed when answered). */
static bool detach(bool (*fn)(struct launcher *, int, const char *), const char *arg)
{
	return request(fn, arg, NULL, 0, dup(sv[0]));
}

static void test_block_attach(void)
{
	const char *be = "/local/domain/0/backend/vbd/7/51728";
	char spec[128], *v;
	int fds[1];

	setup();
	attach_xvdb(false);
	EXPECT(L.ndisks == 1);
	EXPECT((v = xs_get("/local/domain/0/backend/vbd/7/51728/state")) && !strcmp(v, "2"));
	EXPECT((v = xs_get("/local/domain/0/backend/vbd/7/51728/sectors")) && !strcmp(v, "2048"));
	EXPECT((v = xs_get("/local/domain/0/backend/vbd/7/51728/mode")) && !strcmp(v, "w"));
	EXPECT((v = xs_get("/local/domain/7/device/vbd/51728/state")) && !strcmp(v, "1"));
	EXPECT((v = xs_get("/local/domain/7/device/vbd/51728/backend")) && !strcmp(v, be));
	EXPECT(!unlocked(img));
	EXPECT(!l_ctl_block_list(&L, sv[0], ""));
	EXPECT(!strcmp(answer(), "ok"));
	EXPECT(!strcmp(answer(), "51728 xvdb 2 1 -1 -1 /local/domain/0/backend/vbd/7/51728"));
	EXPECT(!strcmp(answer(), "end 1"));

	/* refusals: one error line, the descriptor closed, nothing written */
	fds[0] = image_fd(img2, false);
	snprintf(spec, sizeof(spec), "tap:aio:%s,xvdb,w", img2);
	EXPECT(!request(l_ctl_block_attach, spec, fds, 1, sv[0]));
	EXPECT(starts(answer(), "error vdev xvdb is in use by "));
	EXPECT(fd_closed(fds[0]));
	EXPECT(unlocked(img2));
	fds[0] = image_fd(img2, false);
	EXPECT(!request(l_ctl_block_attach, "/x,xvdc,q", fds, 1, sv[0]));
	EXPECT(starts(answer(), "error disk '/x,xvdc,q': access 'q' is not r, ro, w or rw"));
	EXPECT(fd_closed(fds[0]));
	snprintf(spec, sizeof(spec), "tap:aio:%s,xvdc,w", img2);
	EXPECT(!request(l_ctl_block_attach, spec, NULL, 0, sv[0]));
	EXPECT(starts(answer(), "error block-attach: no image descriptor came with the request"));
	L.state = L_SHUTDOWN;
	fds[0] = image_fd(img2, false);
	EXPECT(!request(l_ctl_block_attach, spec, fds, 1, sv[0]));
	EXPECT(!strcmp(answer(), "error g1 is not running"));
	EXPECT(fd_closed(fds[0]));
	L.state = L_RUNNING;
	EXPECT(L.ndisks == 1);
	EXPECT(!xs_get("/local/domain/0/backend/vbd/7/51744"));
	EXPECT(!xs_get("/local/domain/7/device/vbd/51744"));
	teardown();
}

static void test_block_detach(void)
{
	char *v;

	setup();
	attach_xvdb(false);
	EXPECT(!detach(l_ctl_block_detach, "xvdz"));
	EXPECT(starts(answer(), "error no disk 'xvdz' in g1"));
	EXPECT(detach(l_ctl_block_detach, "51728"));	/* kept: answered later */
	EXPECT((v = xs_get("/local/domain/0/backend/vbd/7/51728/state")) && !strcmp(v, "5"));
	EXPECT((v = xs_get("/local/domain/0/backend/vbd/7/51728/online")) && !strcmp(v, "0"));
	EXPECT(!detach(l_ctl_block_detach, "xvdb"));
	EXPECT(!strcmp(answer(), "error xvdb: a detach is already under way"));
	l_hotplug_service(&L);	/* the guest has not answered: still there */
	EXPECT(L.ndisks == 1);
	/* a front end restarting is not offered the device again */
	xs_write(L.xs, "/local/domain/7/device/vbd/51728/state", "1");
	EXPECT((v = xs_get("/local/domain/0/backend/vbd/7/51728/state")) && !strcmp(v, "5"));
	/* the guest answers Closed: the back end follows, then removal */
	xs_write(L.xs, "/local/domain/7/device/vbd/51728/state", "6");
	EXPECT((v = xs_get("/local/domain/0/backend/vbd/7/51728/state")) && !strcmp(v, "6"));
	l_hotplug_service(&L);
	EXPECT(!strcmp(answer(), "ok"));
	EXPECT(L.ndisks == 0);
	EXPECT(!xs_get("/local/domain/0/backend/vbd/7/51728"));
	EXPECT(!xs_get("/local/domain/7/device/vbd/51728"));
	EXPECT(unlocked(img));
	EXPECT(starts(unit_lastlog, "disk xvdb: detached"));

	/* again, read-only; the guest never answers: forced at the deadline */
	attach_xvdb(true);
	EXPECT(detach(l_ctl_block_detach, "xvdb"));
	L.unplug[0].deadline_ms = 0;
	l_hotplug_service(&L);
	EXPECT(!strcmp(answer(), "ok note: xvdb: the guest did not close it within 10 s (front end state 1); removed by force"));
	EXPECT(L.ndisks == 0 && unlocked(img));
	EXPECT(!xs_get("/local/domain/0/backend/vbd/7/51728"));

	/* the guest's complaint is reported */
	attach_xvdb(false);
	EXPECT(detach(l_ctl_block_detach, "xvdb"));
	xs_write(L.xs, "/local/domain/7/error/device/vbd/51728/error", "16 Device in use; refusing to close");
	xs_write(L.xs, "/local/domain/7/device/vbd/51728/state", "6");
	l_hotplug_service(&L);
	EXPECT(!strcmp(answer(), "ok note: xvdb: the guest said: 16 Device in use; refusing to close"));

	/* a teardown ends a detach under way */
	attach_xvdb(false);
	EXPECT(detach(l_ctl_block_detach, "xvdb"));
	l_hotplug_teardown(&L);
	EXPECT(starts(answer(), "ok note: xvdb: the domain was torn down; removed by force"));
	EXPECT(L.ndisks == 0 && unlocked(img));
	teardown();
}

static void test_network(void)
{
	int tap[2], tap2[2], fds[1];
	char *v, b;

	setup();
	EXPECT(!socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, tap));	/* stands in for the TAP */
	EXPECT(!socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, tap2));
	fds[0] = tap[0];
	EXPECT(!request(l_ctl_network_attach, "0 00:16:3e:00:00:01 vif7.0 bridge=br0,ip=10.0.0.1", fds, 1, sv[0]));
	EXPECT(!strcmp(answer(), "ok"));
	EXPECT(L.nvifs == 1);
	EXPECT((v = xs_get("/local/domain/0/backend/vif/7/0/mac")) && !strcmp(v, "00:16:3e:00:00:01"));
	EXPECT((v = xs_get("/local/domain/0/backend/vif/7/0/vifname")) && !strcmp(v, "vif7.0"));
	EXPECT((v = xs_get("/local/domain/7/device/vif/0/state")) && !strcmp(v, "1"));
	EXPECT(!l_ctl_network_list(&L, sv[0], ""));
	EXPECT(!strcmp(answer(), "ok"));
	EXPECT(!strcmp(answer(), "0 00:16:3e:00:00:01 2 1 -1 -1 -1 /local/domain/0/backend/vif/7/0 vif7.0"));
	EXPECT(!strcmp(answer(), "end 1"));
	/* the same MAC, the same devid: refused, descriptor closed */
	fds[0] = tap2[0];
	EXPECT(!request(l_ctl_network_attach, "1 00:16:3e:00:00:01 vif7.1 bridge=br0", fds, 1, sv[0]));
	EXPECT(!strcmp(answer(), "error mac 00:16:3e:00:00:01 is in use by vif7.0: give another mac= (or none: a random one)"));
	EXPECT(fd_closed(tap2[0]));
	EXPECT(!request(l_ctl_network_attach, "0 00:16:3e:00:00:02 vif7.0 bridge=br0", NULL, 0, sv[0]));
	EXPECT(starts(answer(), "error vif vif7.0: devid in use"));
	EXPECT(!request(l_ctl_network_attach, "1 00:16:3e:00:00:02 vif7.1 frob=1", NULL, 0, sv[0]));
	EXPECT(starts(answer(), "error vif 'frob=1': unknown key 'frob'"));
	EXPECT(!xs_get("/local/domain/0/backend/vif/7/1"));
	/* detach by MAC: the TAP's descriptor closed with it */
	EXPECT(detach(l_ctl_network_detach, "00:16:3e:00:00:01"));
	xs_write(L.xs, "/local/domain/7/device/vif/0/state", "6");
	l_hotplug_service(&L);
	EXPECT(!strcmp(answer(), "ok"));
	EXPECT(L.nvifs == 0);
	EXPECT(!xs_get("/local/domain/0/backend/vif/7/0"));
	EXPECT(read(tap[1], &b, 1) == 0);	/* the other end sees it gone */
	EXPECT(!detach(l_ctl_network_detach, "0"));
	EXPECT(starts(answer(), "error no network interface '0' in g1"));
	close(tap[1]);
	close(tap2[1]);
	teardown();
}

int main(void)
{
	RUN(UNIT_PREFIX, test_block_attach);
	RUN(UNIT_PREFIX, test_block_detach);
	RUN(UNIT_PREFIX, test_network);
	return unit_failed;
}
