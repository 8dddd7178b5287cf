// SPDX-License-Identifier: MIT
/*
 * domus-launcher: the event loop (signals, the guest's shutdown event, the
 * console and xenstore rings, the console client, the control socket) and
 * the control requests (userland/ctl/ctl.h), each a table entry.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include "ctl.h"
#include "launcher.h"
#include "devices.h"

#define MAX_CONNS 16

/* ---- control socket ----------------------------------------------------- */

struct conn {
	int fd;
	char buf[DOMUS_CTL_REQ_MAX + 2];
	size_t len;
	int fds[DOMUS_CTL_MAX_FDS];	/* passed with the request (hot-plug) */
	unsigned int nfds;
};

/* recv, keeping descriptors passed with the bytes (SCM_RIGHTS); more
 * than DOMUS_CTL_MAX_FDS in all are closed (MSG_CMSG_CLOEXEC: none
 * leaks into anything). */
static ssize_t recv_with_fds(struct conn *c, void *buf, size_t len)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * DOMUS_CTL_MAX_FDS)];
	} cm;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf,
			      .msg_controllen = sizeof(cm.buf) };
	struct cmsghdr *h;
	ssize_t r = recvmsg(c->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

	if (r < 0)
		return r;
	for (h = CMSG_FIRSTHDR(&msg); h; h = CMSG_NXTHDR(&msg, h)) {
		size_t i, n;

		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
			continue;
		n = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof(int));
			if (c->nfds < DOMUS_CTL_MAX_FDS)
				c->fds[c->nfds++] = fd;
			else
				close(fd);
		}
	}
	return r;
}

static void conn_close_fds(struct conn *c)
{
	unsigned int i;

	for (i = 0; i < c->nfds; i++)
		if (c->fds[i] >= 0)
			close(c->fds[i]);
	c->nfds = 0;
}

/*
 * Control requests (ctl.h): one table, one handler each.  A handler
 * returns true if it kept the connection (the console).
 */
struct ctl_cmd {
	const char *req;	/* the whole request line, or its first word
				 * and a space when the request takes arguments */
	bool (*fn)(struct launcher *L, int fd, const char *arg);
	const char *arg;	/* NULL for a request with arguments: the
				 * handler gets the rest of the line */
};

static bool ctl_info(struct launcher *L, int fd, const char *arg)
{
	static const char *const started[] = {
		[DOMUS_STARTED_BOOTED] = "booted",
		[DOMUS_STARTED_RESTORED] = "restored",
		[DOMUS_STARTED_MIGRATED] = "migrated",
	};
	char state[8];

	(void)arg;
	dom_state_str(L, state);
	l_reply(fd, "ok id=%u name=%s mem=%llu vcpus=%u state=%s time=%.1f pid=%d uuid=%s start=%lld started=%s",
	      L->domid, L->cfg.name, (unsigned long long)(L->target_kib >> 10), L->vcpus_online,
	      state, dom_cpu_time(L), (int)getpid(), L->cfg.uuid, (long long)L->start_time,
	      started[L->started]);
	return false;
}

/*
 * The domain's definition as xl.cfg text (domusd's dumpxml): "ok", the
 * text in escaped chunks of at most 200 bytes (domus_ctl_escape: a line
 * of at most 800 characters), one a line, then "end N".
 */
static bool ctl_config(struct launcher *L, int fd, const char *arg)
{
	char *text = NULL, chunk[4 * 200 + 1];
	size_t len = 0, off, n = 0;
	FILE *f = open_memstream(&text, &len);

	(void)arg;
	if (!f) {
		l_reply(fd, "error out of memory");
		return false;
	}
	domus_config_write_xl(&L->cfg, f);
	if (fclose(f)) {
		free(text);
		l_reply(fd, "error out of memory");
		return false;
	}
	l_reply(fd, "ok");
	for (off = 0; off < len; off += 200, n++) {
		domus_ctl_escape(text + off, len - off < 200 ? len - off : 200, chunk, sizeof(chunk));
		l_reply(fd, "%s", chunk);
	}
	l_reply(fd, "end %zu", n);
	free(text);
	return false;
}

/* " exits=N cpuid=N ... pinned_pages=N npt_pages=N vcpus=N slots=N": the module's
 * counters for the domain, every exit reason it names; 0 or -errno */
int l_stats_line(struct launcher *L, char *buf, size_t size)
{
	struct domus_domain_stats st;
	size_t len = 0;
	const char *name;
	unsigned int i;

	if (domus_domain_stats(L->domfd, &st))
		return -EIO;
	buf[0] = '\0';
	for (i = 0; (name = domus_stat_name(i)) != NULL && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, " %s=%llu", name,
					(unsigned long long)st.stat[i]);
	if (len < size)
		len += (size_t)snprintf(buf + len, size - len, " pinned_pages=%llu npt_pages=%llu vcpus=%u slots=%u",
					(unsigned long long)st.pinned_pages, (unsigned long long)st.npt_pages,
					st.vcpus, st.slots);
	return len < size ? 0 : -ENOSPC;
}

static bool ctl_stats(struct launcher *L, int fd, const char *arg)
{
	char buf[DOMUS_CTL_LINE_MAX - 8];

	(void)arg;
	if (l_stats_line(L, buf, sizeof(buf)))
		l_reply(fd, "error cannot read the domain's counters: %s", domus_last_error());
	else
		l_reply(fd, "ok%s", buf);
	return false;
}

static bool ctl_shutdown(struct launcher *L, int fd, const char *what)
{
	int r;

	if (L->state != L_RUNNING) {
		l_reply(fd, "error %s is not running", L->cfg.name);
		return false;
	}
	if (L->cfg.type == DOMUS_TYPE_HVM && L->cfg.firmware && !strcmp(what, "poweroff")) {
		/* no xenstore: the ACPI power button, as xl trigger NAME power */
		dm_acpi_press_power_button(L);
		l_log(L, "pressed the ACPI power button (domus shutdown)");
		l_reply(fd, "ok");
		return false;
	}
	r = dom_request_shutdown(L, what);
	if (r == -ENOTSUP)
		l_reply(fd, "error guest has no PV shutdown support yet (no xenstore); use 'poweroff' inside the guest or 'domus destroy'");
	else if (r)
		l_reply(fd, "error cannot write control/shutdown: %s", strerror(-r));
	else {
		l_log(L, "asked the guest to %s (control/shutdown)", what);
		l_reply(fd, "ok");
	}
	return false;
}

static bool ctl_destroy(struct launcher *L, int fd, const char *arg)
{
	(void)arg;
	l_destroy(L, "domus destroy");
	l_reply(fd, "ok");
	return false;
}

/* "console": one client at a time; "console force" detaches the one
 * attached (its connection is closed: it sees the end of the console). */
static bool ctl_console(struct launcher *L, int fd, const char *arg)
{
	bool force = !strcmp(arg, "force"), held;

	pthread_mutex_lock(&L->con_lock);
	held = L->con_client >= 0;
	pthread_mutex_unlock(&L->con_lock);
	if (held && !force) {
		l_reply(fd, "error the console of %s is already attached elsewhere", L->cfg.name);
		return false;
	}
	if (held) {
		con_detach(L);
		l_log(L, "console detached: another client forced it");
	}
	l_reply(fd, "ok");
	con_attach(L, fd);
	l_log(L, "console attached");
	return true;
}

/* Requests with an argument ("mem-set 131072"): @arg is the rest of the line. */
static bool ctl_with_arg(struct launcher *L, int fd, const char *arg,
			 int (*fn)(struct launcher *, const char *, char *, size_t))
{
	char msg[300];

	msg[0] = 0;
	if (fn(L, arg, msg, sizeof(msg)))
		l_reply(fd, "error %s", msg);
	else
		l_reply(fd, "ok%s%s", msg[0] ? " " : "", msg);	/* a note for the user */
	return false;
}

static bool ctl_mem_set(struct launcher *L, int fd, const char *arg)
{
	return ctl_with_arg(L, fd, arg, l_mem_set);
}

static bool ctl_mem_max(struct launcher *L, int fd, const char *arg)
{
	return ctl_with_arg(L, fd, arg, l_mem_max);
}

static bool ctl_vcpu_set(struct launcher *L, int fd, const char *arg)
{
	return ctl_with_arg(L, fd, arg, l_vcpu_set);
}

/* domus top's figures beyond info: maxmem and the device sums (xentop's columns) */
static bool ctl_top(struct launcher *L, int fd, const char *arg)
{
	unsigned long long tx = 0, rx = 0, rd = 0, wr = 0, rb = 0, wb = 0;
	size_t i;

	(void)arg;
	for (i = 0; i < L->nvifs; i++) {
		const struct net_stats *s = L->vifs[i] ? net_vif_counters(L->vifs[i]) : NULL;

		if (s) {
			tx += atomic_load(&s->tx_bytes);
			rx += atomic_load(&s->rx_bytes);
		}
	}
	for (i = 0; i < L->ndisks; i++) {
		const struct blk_stats *s = L->disks[i] ? blk_disk_counters(L->disks[i]) : NULL;

		if (s) {
			rd += atomic_load(&s->reads);
			wr += atomic_load(&s->writes);
			rb += atomic_load(&s->bytes_read);
			wb += atomic_load(&s->bytes_written);
		}
	}
	l_reply(fd, "ok maxmem=%llu nets=%zu nettx=%llu netrx=%llu vbds=%zu vbd_rd=%llu vbd_wr=%llu vbd_rsect=%llu vbd_wsect=%llu",
	      (unsigned long long)L->maxmem_kib, L->nvifs, tx, rx, L->ndisks, rd, wr, rb / 512, wb / 512);
	return false;
}

static bool ctl_pause(struct launcher *L, int fd, const char *arg)
{
	bool pause = !strcmp(arg, "pause");
	char msg[300];

	if (l_pause(L, pause, msg, sizeof(msg))) {
		l_reply(fd, "error %s", msg);
		return false;
	}
	/* a run changes state: no longer "restored"/"migrated" (a start
	 * paused and unpaused, migrate-receive's, still is) */
	if (pause)
		L->started = DOMUS_STARTED_BOOTED;
	l_reply(fd, "ok");
	return false;
}

static bool ctl_rename(struct launcher *L, int fd, const char *arg)
{
	return ctl_with_arg(L, fd, arg, l_rename);
}

static bool ctl_vcpu_pin(struct launcher *L, int fd, const char *arg)
{
	return ctl_with_arg(L, fd, arg, l_vcpu_pin);
}

static bool ctl_vcpu_list(struct launcher *L, int fd, const char *arg)
{
	char buf[DOMUS_CTL_LINE_MAX - 8];

	(void)arg;
	if (l_vcpu_list(L, buf, sizeof(buf)))
		l_reply(fd, "error too many vCPUs for one line");
	else
		l_reply(fd, "ok%s", buf);
	return false;
}

/* A request ending in ' ' takes the rest of the line as its argument. */
static const struct ctl_cmd ctl_cmds[] = {
	{ "mem-set ", ctl_mem_set, NULL },
	{ "mem-max ", ctl_mem_max, NULL },
	{ "vcpu-set ", ctl_vcpu_set, NULL },
	{ "vcpu-pin ", ctl_vcpu_pin, NULL },
	{ "vcpu-list", ctl_vcpu_list, NULL },
	{ "rename ", ctl_rename, NULL },
	{ "info", ctl_info, NULL },
	{ "config", ctl_config, NULL },
	{ "stats", ctl_stats, NULL },
	{ "top", ctl_top, NULL },
	{ "shutdown", ctl_shutdown, "poweroff" },
	{ "shutdown poweroff", ctl_shutdown, "poweroff" },
	{ "shutdown reboot", ctl_shutdown, "reboot" },
	{ "destroy", ctl_destroy, NULL },
	{ "pause", ctl_pause, "pause" },
	{ "unpause", ctl_pause, "unpause" },
	{ "console", ctl_console, NULL },
	{ "console force", ctl_console, "force" },
	{ "debug-execve", l_sandbox_debug_request, "execve" },	/* DOMUS_SANDBOX_DEBUG=1 */
	{ "xs-read ", l_ctl_xs_read, NULL },	/* xsctl.c */
	{ "xs-write ", l_ctl_xs_write, NULL },
	{ "xs-rm ", l_ctl_xs_rm, NULL },
	{ "xs-list ", l_ctl_xs_list, NULL },
	{ "xs-ls ", l_ctl_xs_ls, NULL },
	{ "xs-wire ", l_ctl_xs_wire, NULL },	/* xsfwd.c */
	{ "xs-watch", l_ctl_xs_watch, NULL },
	{ "block-attach ", l_ctl_block_attach, NULL },	/* hotplug.c */
	{ "block-detach ", l_ctl_block_detach, NULL },
	{ "block-list", l_ctl_block_list, NULL },
	{ "network-attach ", l_ctl_network_attach, NULL },
	{ "network-detach ", l_ctl_network_detach, NULL },
	{ "network-list", l_ctl_network_list, NULL },
	{ "save", l_ctl_save, "" },	/* save.c; + the file */
	{ "save keep", l_ctl_save, "keep" },
	{ "migrate", l_ctl_migrate, "" },	/* migrate.c; + the stream */
	{ "migrate check", l_ctl_migrate, "check" },	/* can it move? (before a receiver starts) */
};

/* Handle one request; returns true if the connection was kept (console). */
static bool handle_request(struct launcher *L, int fd, const char *req)
{
	size_t i;

	for (i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++) {
		const struct ctl_cmd *c = &ctl_cmds[i];
		size_t l = strlen(c->req);

		if (c->req[l - 1] == ' ' ? !strncmp(req, c->req, l) : !strcmp(req, c->req))
			return c->fn(L, fd, c->arg ? c->arg : req + l);
	}
	l_reply(fd, "error unknown request '%.60s'", req);
	return false;
}

/*
 * The event loop: every round lists what it waits for as (fd, events,
 * handler, argument) entries, polls them, and calls the handler of each
 * entry that has events, in list order, until the launcher quits.
 *
 * It is event-driven: the guest's console and xenstore notifications, the
 * console client, control requests and signals each have a descriptor;
 * other threads write event_fd (l_wake: a shutdown, console output the
 * client has not taken).  What no descriptor announces is polled
 * (poll_all): every L_POLL_BUSY_MS while something waits on the guest or
 * a deadline (a detach, xenstore requests beyond one round's budget,
 * console input the guest has no room for yet), else every
 * L_POLL_IDLE_MS as a safety net (a notification the guest never sent,
 * output written before it bound the port, a closed watch stream).  An
 * idle domain's launcher wakes once a second, not 50 times.
 */
#define L_POLL_BUSY_MS 20
#define L_POLL_IDLE_MS 1000

struct loop {
	int sfd;
	struct conn conns[MAX_CONNS];
	int nconn;
};

typedef void loop_fn(struct launcher *L, struct loop *lp, int arg, short revents);

struct watch {
	int fd;
	short events;
	loop_fn *fn;
	int arg;
};

#define MAX_WATCHES (7 + MAX_CONNS)

static void watch(struct watch *w, int *n, int fd, short events, loop_fn *fn, int arg)
{
	if (*n < MAX_WATCHES)
		w[(*n)++] = (struct watch){ .fd = fd, .events = events, .fn = fn, .arg = arg };
}

static void on_signal(struct launcher *L, struct loop *lp, int arg, short revents)
{
	struct signalfd_siginfo si;

	(void)arg;
	if ((revents & POLLIN) && read(lp->sfd, &si, sizeof(si)) == sizeof(si)) {
		char why[64];

		snprintf(why, sizeof(why), "signal %u", si.ssi_signo);
		l_destroy(L, why);
	}
}

/* Drain an eventfd (a spurious wake-up reads nothing). */
static void drain_fd(int fd)
{
	uint64_t cnt;

	if (read(fd, &cnt, sizeof(cnt)) < 0) {
		/* spurious */
	}
}

static void on_guest_event(struct launcher *L, struct loop *lp, int arg, short revents)
{
	(void)lp;
	(void)arg;
	if (!(revents & POLLIN))
		return;
	drain_fd(L->event_fd);
	l_act_on_shutdown(L);
}

void l_wake(struct launcher *L)
{
	uint64_t one = 1;

	if (write(L->event_fd, &one, sizeof(one)) < 0) {
		/* the counter is full: a wake-up is pending anyway */
	}
}

static long long loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void poll_all(struct launcher *L)
{
	con_service(L);
	dom_xenstore_service(L);
	l_xs_watch_service(L);
	l_hotplug_service(L);
}

static bool loop_busy(struct launcher *L)
{
	return L->xs_more || l_hotplug_pending(L) || con_input_pending(L);
}

static void on_console_ring(struct launcher *L, struct loop *lp, int arg, short revents)
{
	(void)lp;
	(void)arg;
	if (revents & POLLIN)
		con_service(L);
}

static void on_xenstore_ring(struct launcher *L, struct loop *lp, int arg, short revents)
{
	(void)lp;
	(void)arg;
	if (revents & POLLIN) {
		dom_xenstore_service(L);
		l_hotplug_service(L);	/* a front end that let go of a device */
	}
}

static void on_console_client(struct launcher *L, struct loop *lp, int arg, short revents)
{
	(void)lp;
	(void)arg;
	if (revents & POLLOUT)
		con_client_writable(L);
	if (revents & (POLLIN | POLLHUP | POLLERR))
		con_client_readable(L);
	if (revents & (POLLHUP | POLLERR) && !(revents & POLLIN))
		con_detach(L);
}

/* A control connection: one request line.  Connections are listed last
 * index first, so removing one by moving the last into its place never
 * moves one that is still to be handled in this round. */
static void on_ctl_conn(struct launcher *L, struct loop *lp, int i, short revents)
{
	struct conn *c = &lp->conns[i];
	bool close_it = false, kept = false;
	ssize_t r;
	char *nl;

	(void)revents;
	r = recv_with_fds(c, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
	if (r <= 0) {
		close_it = !(r < 0 && (errno == EAGAIN || errno == EINTR));
	} else {
		c->len += r;
		c->buf[c->len] = 0;
		nl = strchr(c->buf, '\n');
		if (nl) {
			*nl = 0;
			L->req_fds = c->fds;	/* a handler takes one by setting it to -1 */
			L->req_nfds = c->nfds;
			kept = handle_request(L, c->fd, c->buf);
			L->req_fds = NULL;
			L->req_nfds = 0;
			close_it = true;
		} else if (c->len == sizeof(c->buf) - 1) {
			l_reply(c->fd, "error request too long");
			close_it = true;
		}
	}
	if (close_it) {
		conn_close_fds(c);
		if (!kept)
			close(c->fd);
		lp->conns[i] = lp->conns[--lp->nconn];
	}
}

static void on_ctl_accept(struct launcher *L, struct loop *lp, int arg, short revents)
{
	int fd;

	(void)arg;
	if (!(revents & POLLIN))
		return;
	fd = accept4(L->ctl_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (lp->nconn < MAX_CONNS) {
		lp->conns[lp->nconn].fd = fd;
		lp->conns[lp->nconn].len = 0;
		lp->conns[lp->nconn].nfds = 0;
		lp->nconn++;
	} else {
		l_reply(fd, "error too many connections");
		close(fd);
	}
}

void l_event_loop(struct launcher *L, int sfd)
{
	struct loop lp = { .sfd = sfd };
	long long next = loop_now_ms() + L_POLL_BUSY_MS, now;
	int i;

	while (!L->quit) {
		struct watch w[MAX_WATCHES];
		struct pollfd p[MAX_WATCHES];
		int n = 0, cfd;

		watch(w, &n, sfd, POLLIN, on_signal, 0);
		watch(w, &n, L->event_fd, POLLIN, on_guest_event, 0);
		if (L->con_ring && L->con_notify_fd >= 0)
			watch(w, &n, L->con_notify_fd, POLLIN, on_console_ring, 0);
		if (L->xs && L->xs_notify_fd >= 0)
			watch(w, &n, L->xs_notify_fd, POLLIN, on_xenstore_ring, 0);
		pthread_mutex_lock(&L->con_lock);
		cfd = L->con_client;
		if (cfd >= 0) {
			short ev = 0;

			if (L->in_len < sizeof(L->input))
				ev |= POLLIN;
			if (L->bl_len)
				ev |= POLLOUT;
			watch(w, &n, cfd, ev, on_console_client, 0);
		}
		pthread_mutex_unlock(&L->con_lock);
		for (i = lp.nconn - 1; i >= 0; i--)
			watch(w, &n, lp.conns[i].fd, POLLIN, on_ctl_conn, i);
		/* at MAX_CONNS, further clients wait in the backlog (their
		 * connect() gives up after DOMUS_CTL_INFO_MS) for their turn */
		if (lp.nconn < MAX_CONNS)
			watch(w, &n, L->ctl_fd, POLLIN, on_ctl_accept, 0);

		for (i = 0; i < n; i++)
			p[i] = (struct pollfd){ .fd = w[i].fd, .events = w[i].events };
		now = loop_now_ms();
		if (poll(p, n, next > now ? (int)(next - now) : 0) < 0) {
			if (errno == EINTR)
				continue;
			l_log(L, "poll: %s", strerror(errno));
			l_destroy(L, "internal error");
			break;
		}
		for (i = 0; i < n && !L->quit; i++)
			if (p[i].revents)
				w[i].fn(L, &lp, w[i].arg, p[i].revents);
		if (L->quit)
			break;
		now = loop_now_ms();
		if (now >= next) {
			poll_all(L);
			next = now + (loop_busy(L) ? L_POLL_BUSY_MS : L_POLL_IDLE_MS);
		} else if (next - now > L_POLL_BUSY_MS && loop_busy(L)) {
			next = now + L_POLL_BUSY_MS;	/* e.g. a detach just asked for */
		}
	}
	for (i = 0; i < lp.nconn; i++) {
		conn_close_fds(&lp.conns[i]);
		close(lp.conns[i].fd);
	}
}

