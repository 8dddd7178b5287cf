// SPDX-License-Identifier: MIT
/*
 * domusd: libvirt's remote protocol for domus, so the stock virsh and
 * python3-libvirt reach the domains `domus list` shows (docs/libvirt.md).
 *
 *   domusd [-s SOCKET] [-l LINK | -L] [-r ROSOCKET] [-R ROLINK] [-S SSHLINK] [-g GROUP] [-m MAX]
 *          [-t SECONDS]
 *
 * Listens on SOCKET (default /run/domus/domusd.sock; mode 0600, or 0660
 * with -g GROUP), and makes LINK (default /run/libvirt/virtdomusd-sock,
 * the socket plain `virsh -c domus:///system` dials) a symlink to it; -L
 * makes none.  One thread per client, at most MAX (default 64) at once:
 * each reads a whole packet (bounded by RPC_IN_MAX; a client that stops
 * for PACKET_MS inside one is closed), answers it, and a malformed or
 * oversized packet closes that client only.  ROSOCKET (default
 * /run/domus/domusd-ro.sock, mode 0666; "" none) and its link ROLINK
 * (default /run/libvirt/virtdomusd-sock-ro, what `virsh -r` dials) serve
 * read-only connections: every procedure that changes state is refused
 * there with VIR_ERR_OPERATION_DENIED.  Runs in the
 * foreground; SIGTERM/SIGINT remove the socket and the link and end it.
 * Started by systemd's socket activation (packaging/domusd.socket,
 * domusd-ro.socket), it serves the sockets it inherits instead and
 * leaves them and their links to systemd (listen.c), and exits when no
 * client has been connected for SECONDS (-t, $DOMUSD_TIMEOUT; default
 * 120, 0 never), as libvirtd --timeout: systemd starts it again on the
 * next connection.
 *
 * SSHLINK (default libvirt-sock beside LINK: /run/libvirt/libvirt-sock,
 * and SSHLINK-ro for the read-only socket; '' none) is where libvirt's
 * ssh transport lands on this host: a client's `domus+ssh://root@HOST/system`
 * runs `nc -U /var/run/libvirt/libvirt-sock` here (when the host has no
 * virt-ssh-helper, which would dial LINK itself).  A libvirtd's socket
 * there is left alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include "ctl.h"
#include "libdomus.h"
#include "listen.h"
#include "rpc.h"

#define DEFAULT_SOCKET	DOMUS_RUN_DIR_DEFAULT "/domusd.sock"
#define DEFAULT_LINK	"/run/libvirt/virtdomusd-sock"
#define DEFAULT_RO_SOCKET DOMUS_RUN_DIR_DEFAULT "/domusd-ro.sock"
#define DEFAULT_RO_LINK	"/run/libvirt/virtdomusd-sock-ro"
/* the socket libvirt's ssh transport dials (nc -U) beside LINK */
#define SSH_LINK_NAME	"libvirt-sock"
/* socket activation: exit after this long without a client (-t) */
#define DEFAULT_TIMEOUT	120
/* The longest pause inside one packet before the client is closed. */
#define PACKET_MS	30000

const struct domusd_backend domusd_backend_ctl = {
	.list = domus_ctl_list,
	.config = domus_ctl_config,
	.request = domus_ctl_request,
	.start = domusd_start_domain,
	.cli = domusd_run_cli,
	.console = domus_ctl_console,
};

static volatile sig_atomic_t quit;
static atomic_int nclients;

static void on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

/* Read exactly @n bytes, waiting at most @timeout_ms for each part
 * (-1: forever); 0, -1 on EOF or error, 1 on timeout. */
static int read_all(int fd, void *buf, size_t n, int timeout_ms)
{
	uint8_t *p = buf;

	while (n) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t r;

		r = poll(&pfd, 1, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return 1;
		if (r < 0)
			return -1;
		r = read(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int write_all(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n) {
		ssize_t r = send(fd, p, n, MSG_NOSIGNAL);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* While a call takes long (a `domus create` of a slow start), the
 * client hears a keepalive PING this often, so that its own keepalive
 * (virsh: 5 s x 5) does not declare the connection dead. */
#define BUSY_PING_MS	5000

struct client {
	int fd;
	bool readonly;
	pthread_mutex_t wlock;		/* one writer at a time on fd */
	pthread_mutex_t lock;		/* busy, done */
	pthread_cond_t cond;
	bool busy, done;
};

static int client_send(struct client *cl, const void *buf, size_t n)
{
	int r;

	pthread_mutex_lock(&cl->wlock);
	r = write_all(cl->fd, buf, n);
	pthread_mutex_unlock(&cl->wlock);
	return r;
}

/* The PING of a client whose call is still running (BUSY_PING_MS). */
static void *pinger_thread(void *arg)
{
	struct client *cl = arg;
	static const uint8_t ping[28] = {
		0, 0, 0, 28, 0x6b, 0x65, 0x65, 0x70, 0, 0, 0, 1, 0, 0, 0, RPC_KEEPALIVE_PING,
		0, 0, 0, RPC_MESSAGE, 0, 0, 0, 0, 0, 0, 0, RPC_OK,
	};

	pthread_mutex_lock(&cl->lock);
	while (!cl->done) {
		struct timespec t;

		if (!cl->busy) {
			pthread_cond_wait(&cl->cond, &cl->lock);
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		t.tv_sec += BUSY_PING_MS / 1000;
		if (pthread_cond_timedwait(&cl->cond, &cl->lock, &t) != ETIMEDOUT || !cl->busy || cl->done)
			continue;
		pthread_mutex_unlock(&cl->lock);
		/* the call's answer may be on its way: no waiting on a full socket */
		if (!pthread_mutex_trylock(&cl->wlock)) {
			ssize_t w = send(cl->fd, ping, sizeof(ping), MSG_NOSIGNAL | MSG_DONTWAIT);

			if (w > 0 && (size_t)w < sizeof(ping))
				write_all(cl->fd, ping + w, sizeof(ping) - (size_t)w);	/* keep the framing */
			pthread_mutex_unlock(&cl->wlock);
		}
		pthread_mutex_lock(&cl->lock);
	}
	pthread_mutex_unlock(&cl->lock);
	return NULL;
}

static void set_busy(struct client *cl, bool busy)
{
	pthread_mutex_lock(&cl->lock);
	cl->busy = busy;
	pthread_cond_signal(&cl->cond);
	pthread_mutex_unlock(&cl->lock);
}

static void *client_thread(void *arg)
{
	struct client *cl = arg;
	struct rpc_session s;
	struct xdr_out out;
	uint8_t *pkt = malloc(RPC_IN_MAX);
	pthread_condattr_t ca;
	pthread_t pinger;
	bool pinging;

	pthread_mutex_init(&cl->wlock, NULL);
	pthread_mutex_init(&cl->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&cl->cond, &ca);
	pthread_condattr_destroy(&ca);
	cl->busy = cl->done = false;
	pinging = !pthread_create(&pinger, NULL, pinger_thread, cl);
	rpc_session_init(&s, &domusd_backend_ctl, cl->readonly);
	xdr_out_init(&out, RPC_OUT_MAX);
	while (pkt) {
		/* between packets a client may be idle for as long as it likes;
		 * an open console stream's output is relayed meanwhile, one
		 * packet at a time (the client's pace bounds it, stream.c) */
		struct pollfd pf[2] = {
			{ .fd = cl->fd, .events = POLLIN },
			{ .fd = rpc_stream_fd(&s), .events = POLLIN },
		};
		uint32_t n;
		int r;

		if (poll(pf, 2, rpc_events_timeout(&s)) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		/* lifecycle events, when due (events.c) */
		if (rpc_events_poll(&s, &out) > 0 && client_send(cl, out.buf, out.len))
			break;
		if (pf[1].revents && rpc_stream_output(&s, &out) > 0 && !out.err &&
		    client_send(cl, out.buf, out.len))
			break;
		if (!pf[0].revents)
			continue;
		if (read_all(cl->fd, pkt, RPC_LEN_WORD, -1))
			break;
		n = rpc_frame_length(pkt, RPC_IN_MAX);
		if (!n) {
			fprintf(stderr, "domusd: a client sent a packet length outside 28-%u bytes: closed\n", RPC_IN_MAX);
			break;
		}
		r = read_all(cl->fd, pkt + RPC_LEN_WORD, n - RPC_LEN_WORD, PACKET_MS);
		if (r > 0)
			fprintf(stderr, "domusd: a client stopped in the middle of a packet for %d s: closed\n",
				PACKET_MS / 1000);
		if (r)
			break;
		set_busy(cl, true);
		r = rpc_handle_packet(&s, pkt, n, &out);
		set_busy(cl, false);
		if (out.len && !out.err && client_send(cl, out.buf, out.len))
			break;
		if (r) {
			if (!s.closed)
				fprintf(stderr, "domusd: a client sent a malformed packet: closed\n");
			break;
		}
	}
	pthread_mutex_lock(&cl->lock);
	cl->done = true;
	pthread_cond_signal(&cl->cond);
	pthread_mutex_unlock(&cl->lock);
	if (pinging)
		pthread_join(pinger, NULL);
	pthread_cond_destroy(&cl->cond);
	pthread_mutex_destroy(&cl->lock);
	pthread_mutex_destroy(&cl->wlock);
	rpc_session_end(&s);
	xdr_out_free(&out);
	free(pkt);
	close(cl->fd);
	free(cl);
	atomic_fetch_sub(&nclients, 1);
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: domusd [-s SOCKET] [-l LINK | -L] [-r ROSOCKET] [-R ROLINK] [-S SSHLINK] [-g GROUP] [-m MAX]\n"
		"              [-t SECONDS]\n"
		"  -s SOCKET  listen here (default " DEFAULT_SOCKET ")\n"
		"  -l LINK    symlink to the socket for plain 'virsh -c domus:///system'\n"
		"             (default " DEFAULT_LINK ")\n"
		"  -L         no symlinks\n"
		"  -r ROSOCKET the read-only socket, mode 0666 (default " DEFAULT_RO_SOCKET ";\n"
		"             '' none)\n"
		"  -R ROLINK  its symlink for 'virsh -r' (default " DEFAULT_RO_LINK ")\n"
		"  -S SSHLINK symlink where 'virsh -c domus+ssh://root@HOST/system' lands on this\n"
		"             host (nc -U; default " SSH_LINK_NAME " beside LINK, and SSHLINK-ro; '' none)\n"
		"  -g GROUP   the socket's group, mode 0660 (default: root only, 0600)\n"
		"  -m MAX     clients served at once (default 64)\n"
		"  -t SECONDS socket activated: exit after this long without a client\n"
		"             (default $DOMUSD_TIMEOUT, else %d; 0 never)\n", DEFAULT_TIMEOUT);
}

int main(int argc, char **argv)
{
	const char *sock = DEFAULT_SOCKET, *link = DEFAULT_LINK, *rosock = NULL, *rolink = NULL;
	char rosock_buf[PATH_MAX], rolink_buf[PATH_MAX], sshlink_buf[PATH_MAX], sshro_buf[PATH_MAX + 4];
	const char *sshlink = NULL, *sshro = NULL, *tmo = getenv("DOMUSD_TIMEOUT");
	long timeout_s = DEFAULT_TIMEOUT;
	struct timespec now;
	long long idle_since;
	struct sigaction sa = { .sa_handler = on_signal };
	bool grp = false;
	gid_t gid = 0;
	long max = 64;
	struct domusd_inherit inh;
	int opt, lfd, rofd = -1, act;

	while ((opt = getopt(argc, argv, "s:l:Lr:R:S:g:m:t:h")) != -1) {
		switch (opt) {
		case 's': sock = optarg; break;
		case 'l': link = optarg; break;
		case 'L': link = NULL; break;
		case 'r': rosock = optarg; break;
		case 'R': rolink = optarg; break;
		case 'S': sshlink = optarg; break;
		case 't': tmo = optarg; break;
		case 'g': {
			struct group *g = getgrnam(optarg);

			if (!g) {
				fprintf(stderr, "domusd: -g %s: no such group: create it (groupadd) or name another\n", optarg);
				return 1;
			}
			gid = g->gr_gid;
			grp = true;
			break;
		}
		case 'm': {
			char *end;

			max = strtol(optarg, &end, 10);
			if (*end || max < 1 || max > 4096) {
				fprintf(stderr, "domusd: -m %s: give a number of clients from 1 to 4096\n", optarg);
				return 1;
			}
			break;
		}
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 1;
	}
	if (tmo && *tmo) {
		char *end;

		timeout_s = strtol(tmo, &end, 10);
		if (*end || timeout_s < 0 || timeout_s > 86400) {
			fprintf(stderr, "domusd: timeout '%s' (-t or DOMUSD_TIMEOUT): give seconds from 0 (never) to 86400\n",
				tmo);
			return 1;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* the read-only socket beside the socket: X.sock -> X-ro.sock; its
	 * link is LINK-ro (virtdomusd-sock-ro: what `virsh -r` dials) */
	if (!rosock) {
		size_t n = strlen(sock);

		if (n > 5 && !strcmp(sock + n - 5, ".sock"))
			snprintf(rosock_buf, sizeof(rosock_buf), "%.*s-ro.sock", (int)(n - 5), sock);
		else
			snprintf(rosock_buf, sizeof(rosock_buf), "%s-ro", sock);
		rosock = rosock_buf;
	}
	if (!*rosock)
		rosock = NULL;
	if (!rolink && link && rosock) {
		snprintf(rolink_buf, sizeof(rolink_buf), "%s-ro", link);
		rolink = rolink_buf;
	}
	if (!link || !rosock)
		rolink = NULL;
	act = domusd_inherited(sock, rosock, &inh);
	if (act < 0)
		return 1;
	if (act) {
		/* systemd's sockets (domusd.socket, domusd-ro.socket): theirs to
		 * make and remove, with their links (Symlinks=); the links are
		 * made here too if missing, and left alone at the end */
		lfd = inh.rw;
		rofd = inh.ro;
		sock = inh.rw_path;
		rosock = rofd >= 0 ? inh.ro_path : NULL;
		if (!*sock)
			link = NULL;
		if (!rosock || !*rosock || !link)
			rolink = NULL;
		else if (!rolink) {
			snprintf(rolink_buf, sizeof(rolink_buf), "%s-ro", link);
			rolink = rolink_buf;
		}
		if ((link && domusd_make_link(link, sock)) || (rolink && domusd_make_link(rolink, rosock)))
			return 1;
	} else {
		lfd = domusd_listen_on(sock, gid, grp, false);
		if (lfd < 0)
			return 1;
		if (rosock) {
			rofd = domusd_listen_on(rosock, gid, grp, true);
			if (rofd < 0) {
				close(lfd);
				unlink(sock);
				return 1;
			}
		}
		if ((link && domusd_make_link(link, sock)) || (rolink && domusd_make_link(rolink, rosock))) {
			close(lfd);
			unlink(sock);
			if (rofd >= 0) {
				close(rofd);
				unlink(rosock);
			}
			return 1;
		}
	}
	/* where the ssh transport's nc lands: libvirt-sock beside LINK */
	if (!sshlink && link) {
		const char *slash = strrchr(link, '/');

		snprintf(sshlink_buf, sizeof(sshlink_buf), "%.*s" SSH_LINK_NAME, slash ? (int)(slash - link + 1) : 0, link);
		sshlink = sshlink_buf;
	}
	if (sshlink && (!*sshlink || !*sock))
		sshlink = NULL;
	if (sshlink && rosock && *rosock) {
		snprintf(sshro_buf, sizeof(sshro_buf), "%s-ro", sshlink);
		sshro = sshro_buf;
	}
	if (sshlink && !domusd_make_link_shared(sshlink, sock)) {
		bool ro_made = sshro && !domusd_make_link_shared(sshro, rosock);

		fprintf(stderr, "domusd: domus+ssh://HOST/system reaches it on this host through %s%s%s\n", sshlink,
			ro_made ? " and " : "", ro_made ? sshro : "");
	}
	fprintf(stderr, "domusd: serving domus:///system on %s%s%s%s%s%s%s%s\n", sock, link ? " and " : "", link ? link : "",
		rosock ? ", read-only on " : "", rosock ? rosock : "", rolink ? " and " : "", rolink ? rolink : "",
		act ? " (socket activation)" : "");
	if (!act)
		timeout_s = 0;	/* nobody would start it again */
	clock_gettime(CLOCK_MONOTONIC, &now);
	idle_since = now.tv_sec;
	while (!quit) {
		struct pollfd p[2] = { { .fd = lfd, .events = POLLIN }, { .fd = rofd, .events = POLLIN } };
		struct client *cl;
		pthread_t t;
		pthread_attr_t at;
		bool ro;
		int fd, r;

		r = poll(p, rofd >= 0 ? 2 : 1, 1000);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (atomic_load(&nclients) > 0 || r > 0)
			idle_since = now.tv_sec;
		else if (timeout_s && now.tv_sec - idle_since >= timeout_s) {
			/* the sockets stay with systemd: a client that comes now
			 * waits in their backlog and starts domusd again */
			fprintf(stderr, "domusd: no client for %ld s: exiting (socket activation starts it again)\n",
				timeout_s);
			break;
		}
		if (r <= 0)
			continue;
		ro = !(p[0].revents & POLLIN);
		fd = accept4(ro ? rofd : lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		if (atomic_load(&nclients) >= max) {
			fprintf(stderr, "domusd: %ld clients already: one more refused (raise -m)\n", max);
			close(fd);
			continue;
		}
		cl = malloc(sizeof(*cl));
		if (!cl) {
			close(fd);
			continue;
		}
		cl->fd = fd;
		cl->readonly = ro;
		atomic_fetch_add(&nclients, 1);
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &at, client_thread, cl)) {
			atomic_fetch_sub(&nclients, 1);
			close(fd);
			free(cl);
		}
		pthread_attr_destroy(&at);
	}
	if (!act) {
		domusd_unlink_own(link, sock);
		domusd_unlink_own(rolink, rosock);
		domusd_unlink_own(sshlink, sock);
		domusd_unlink_own(sshro, rosock);
		unlink(sock);
		if (rosock)
			unlink(rosock);
	}
	close(lfd);
	if (rofd >= 0)
		close(rofd);
	fprintf(stderr, "domusd: stopped\n");
	return 0;
}
