// SPDX-License-Identifier: MIT
/*
 * domus-launcher: the PV console backend (struct xencons_interface in the
 * special page at L_CONSOLE_PFN, pvh-abi.md section 12), the attached
 * console client, the console log and the early console.
 *
 * Output: the guest writes out[out_prod & 2047], advances out_prod and
 * notifies the port; we copy out[out_cons .. out_prod) and advance
 * out_cons (on every notification and on the event loop's poll, as output
 * written before the guest binds the port is never notified), then raise the port
 * so a guest waiting for room continues.  Input: client bytes go to
 * in[in_prod & 1023] as room allows; in_prod advances; the port is raised.
 * An HVM domain has no ring: client bytes go to the UART's RX FIFO as
 * room allows (con_uart_feed; again whenever the guest reads RBR and on
 * the loop's poll), the rest waits in L->input.
 *
 * Output with no client attached is kept (the last 64 KiB) and sent when
 * one attaches, so `domus create -c` shows the boot from the start.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include "ctl.h"
#include "launcher.h"

/*
 * NAME.log and NAME-console.log in the log directory (or RUN/log), each
 * capped and rotated (DOMUS_LOG_SIZE, DOMUS_LOG_KEEP; ctl.h): a guest that
 * prints without end fills at most (1 + keep) x the cap per log.
 */
int con_open_logs(struct launcher *L)
{
	char dir[4096], path[4096], bad[200];
	unsigned long long max;
	unsigned int keep, i;
	int bad_settings;

	bad_settings = domus_log_settings(&max, &keep, bad, sizeof(bad));
	for (i = 0; i < DOMUS_LOG_DIRS; i++) {
		if (domus_log_dir_at(i, dir, sizeof(dir)) || domus_mkdir_p(dir, 0750) ||
		    domus_log_path(path, sizeof(path), i, L->cfg.name, ".log"))
			continue;
		if (domus_log_open(&L->log, path, max, keep))
			continue;
		snprintf(L->log_path, sizeof(L->log_path), "%s", path);
		if (domus_log_path(path, sizeof(path), i, L->cfg.name, "-console.log") ||
		    domus_log_open(&L->conlog, path, max, keep))
			l_log(L, "cannot open %s: %s; the guest console is not logged", path, strerror(errno));
		if (i > 0)
			l_log(L, "log directory %s cannot be written; logging to %s", domus_log_dir(), dir);
		if (bad_settings)
			l_log(L, "%s", bad);
		return 0;
	}
	return -1;
}

/* Append to the backlog, dropping the oldest bytes beyond the limit. */
static void backlog_add(struct launcher *L, const char *buf, size_t n)
{
	if (!L->backlog) {
		L->backlog = malloc(L_BACKLOG_MAX);
		if (!L->backlog)
			return;
	}
	if (n >= L_BACKLOG_MAX) {
		memcpy(L->backlog, buf + n - L_BACKLOG_MAX, L_BACKLOG_MAX);
		L->bl_len = L_BACKLOG_MAX;
		return;
	}
	if (L->bl_len + n > L_BACKLOG_MAX) {
		size_t drop = L->bl_len + n - L_BACKLOG_MAX;

		memmove(L->backlog, L->backlog + drop, L->bl_len - drop);
		L->bl_len -= drop;
	}
	memcpy(L->backlog + L->bl_len, buf, n);
	L->bl_len += n;
}

/* Send what the client takes without blocking; keep the rest.  con_lock
 * held.  True if a client now has a backlog it had not: the event loop
 * must add the client's POLLOUT (it may be asleep without it). */
static bool send_client(struct launcher *L, const char *buf, size_t n)
{
	bool was_empty = L->bl_len == 0;

	if (L->con_client >= 0 && was_empty) {
		ssize_t w = send(L->con_client, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w > 0) {
			buf += w;
			n -= w;
		}
	}
	if (n)
		backlog_add(L, buf, n);
	return n && was_empty && L->con_client >= 0;
}

void con_emit(struct launcher *L, const char *buf, size_t n)
{
	bool wake;

	if (!n)
		return;
	pthread_mutex_lock(&L->con_lock);
	domus_log_write(&L->conlog, buf, n);
	wake = send_client(L, buf, n);
	pthread_mutex_unlock(&L->con_lock);
	if (wake)
		l_wake(L);	/* a vCPU thread's output (the UART, the early console) */
}

/* Client input still waiting for room in the ring or the UART's FIFO. */
bool con_input_pending(struct launcher *L)
{
	bool r;

	pthread_mutex_lock(&L->con_lock);
	r = L->in_len > 0;
	pthread_mutex_unlock(&L->con_lock);
	return r;
}

void con_early(struct launcher *L, const char *buf, size_t n)
{
	size_t i;

	if (!L->con_ring)
		con_emit(L, buf, n);
	/* the launcher log gets it line by line */
	pthread_mutex_lock(&L->con_lock);
	for (i = 0; i < n; i++) {
		char ch = buf[i];

		if (ch == '\n' || L->early_len == sizeof(L->early) - 1) {
			L->early[L->early_len] = 0;
			l_log(L, "guest: %s", L->early);
			L->early_len = 0;
		} else if (ch != '\r') {
			L->early[L->early_len++] = ch;
		}
	}
	pthread_mutex_unlock(&L->con_lock);
}

static void kick(struct launcher *L)
{
	uint64_t one = 1;

	if (L->con_kick_fd >= 0 && write(L->con_kick_fd, &one, sizeof(one)) < 0) {
		/* counter full: the guest has a notification pending anyway */
	}
}

/* HVM: the console's input is the UART's (ttyS0); what does not fit in
 * its FIFO stays in L->input (bounded: the client is not read beyond it). */
static bool uart_input(const struct launcher *L)
{
	return L->cfg.type == DOMUS_TYPE_HVM;
}

void con_uart_feed(struct launcher *L)
{
	size_t n;

	if (!uart_input(L))
		return;
	pthread_mutex_lock(&L->con_lock);
	n = L->in_len ? dm_uart_receive(L, L->input, L->in_len) : 0;
	if (n) {
		memmove(L->input, L->input + n, L->in_len - n);
		L->in_len -= n;
	}
	pthread_mutex_unlock(&L->con_lock);
}

void con_service(struct launcher *L)
{
	volatile struct xencons_interface *intf;
	uint32_t cons, prod;
	bool notify = false;
	uint64_t cnt;

	con_uart_feed(L);
	if (!L->con_ring || !L->special)
		return;
	if (L->con_notify_fd >= 0 && read(L->con_notify_fd, &cnt, sizeof(cnt)) < 0) {
		/* EAGAIN: a timer tick, not a notification */
	}
	intf = (volatile struct xencons_interface *)L->special;

	/* output */
	cons = intf->out_cons;
	prod = __atomic_load_n(&intf->out_prod, __ATOMIC_ACQUIRE);
	if (prod - cons > sizeof(intf->out)) {
		if (!L->ring_bad_logged)
			l_log(L, "PV console: bad output indices (cons %u, prod %u): skipped", cons, prod);
		L->ring_bad_logged = true;
		cons = prod;
		notify = true;
	}
	while (cons != prod) {
		char buf[sizeof(intf->out)];
		size_t n = 0;

		while (cons != prod && n < sizeof(buf))
			buf[n++] = intf->out[cons++ & (sizeof(intf->out) - 1)];
		con_emit(L, buf, n);
		notify = true;
	}
	__atomic_store_n(&intf->out_cons, cons, __ATOMIC_RELEASE);

	/* input */
	pthread_mutex_lock(&L->con_lock);
	if (L->in_len) {
		uint32_t ic = __atomic_load_n(&intf->in_cons, __ATOMIC_ACQUIRE);
		uint32_t ip = intf->in_prod;
		size_t room = ip - ic > sizeof(intf->in) ? 0 : sizeof(intf->in) - (ip - ic), i;

		if (room > L->in_len)
			room = L->in_len;
		for (i = 0; i < room; i++)
			intf->in[ip++ & (sizeof(intf->in) - 1)] = L->input[i];
		__atomic_store_n(&intf->in_prod, ip, __ATOMIC_RELEASE);
		memmove(L->input, L->input + room, L->in_len - room);
		L->in_len -= room;
		if (room)
			notify = true;
	}
	pthread_mutex_unlock(&L->con_lock);
	if (notify)
		kick(L);
}

void con_attach(struct launcher *L, int fd)
{
	pthread_mutex_lock(&L->con_lock);
	L->con_client = fd;
	pthread_mutex_unlock(&L->con_lock);
	con_client_writable(L);
}

void con_detach(struct launcher *L)
{
	pthread_mutex_lock(&L->con_lock);
	if (L->con_client >= 0)
		close(L->con_client);
	L->con_client = -1;
	pthread_mutex_unlock(&L->con_lock);
}

void con_client_readable(struct launcher *L)
{
	ssize_t r;

	pthread_mutex_lock(&L->con_lock);
	if (L->con_client < 0 || L->in_len == sizeof(L->input)) {
		pthread_mutex_unlock(&L->con_lock);
		return;
	}
	r = recv(L->con_client, L->input + L->in_len, sizeof(L->input) - L->in_len, MSG_DONTWAIT);
	if (r > 0 && (L->con_ring || uart_input(L)))
		L->in_len += r;
	pthread_mutex_unlock(&L->con_lock);
	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
		con_detach(L);
	else
		con_service(L);
}

void con_client_writable(struct launcher *L)
{
	bool gone = false;

	pthread_mutex_lock(&L->con_lock);
	if (L->con_client >= 0 && L->bl_len) {
		ssize_t w = send(L->con_client, L->backlog, L->bl_len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w > 0) {
			memmove(L->backlog, L->backlog + w, L->bl_len - w);
			L->bl_len -= w;
		} else if (w < 0 && errno != EAGAIN && errno != EINTR) {
			gone = true;
		}
	}
	pthread_mutex_unlock(&L->con_lock);
	if (gone)
		con_detach(L);
}

bool con_wants_output(struct launcher *L)
{
	bool r;

	pthread_mutex_lock(&L->con_lock);
	r = L->con_client >= 0 && L->bl_len > 0;
	pthread_mutex_unlock(&L->con_lock);
	return r;
}
