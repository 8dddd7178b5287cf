// SPDX-License-Identifier: MIT
/*
 * Control-socket paths and the client side of the launcher's line
 * protocol (see ctl.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "ctl.h"

static const char *env_dir(const char *var, const char *def)
{
	const char *s = getenv(var);

	return s && *s ? s : def;
}

const char *domus_run_dir(void)
{
	return env_dir("DOMUS_RUN_DIR", DOMUS_RUN_DIR_DEFAULT);
}

const char *domus_log_dir(void)
{
	return env_dir("DOMUS_LOG_DIR", DOMUS_LOG_DIR_DEFAULT);
}

int domus_log_dir_at(unsigned int dir, char *buf, size_t len)
{
	int n;

	if (dir >= DOMUS_LOG_DIRS)
		return -ENOENT;
	n = dir == 0 ? snprintf(buf, len, "%s", domus_log_dir()) : snprintf(buf, len, "%s/log", domus_run_dir());
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int domus_log_path(char *buf, size_t len, unsigned int dir, const char *name, const char *suffix)
{
	int r = domus_log_dir_at(dir, buf, len), n;
	size_t at = strlen(buf);

	if (r)
		return r;
	n = snprintf(buf + at, len - at, "/%s%s", name, suffix);
	return n < 0 || (size_t)n >= len - at ? -ENAMETOOLONG : 0;
}

int domus_run_path(char *buf, size_t len, const char *name, const char *suffix)
{
	struct sockaddr_un sa;
	int n = snprintf(buf, len, "%s/%s%s", domus_run_dir(), name, suffix);

	if (n < 0 || (size_t)n >= len || (size_t)n >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int domus_ctl_connect(const char *name)
{
	struct sockaddr_un sa;
	int fd, r;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	r = domus_run_path(sa.sun_path, sizeof(sa.sun_path), name, ".sock");
	if (r)
		return r;
	/* non-blocking: a launcher that is stopped with its backlog full must
	 * not block connect() for ever; then blocking again for the requests */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	for (long long end = now_ms() + DOMUS_CTL_INFO_MS; connect(fd, (struct sockaddr *)&sa, sizeof(sa)); ) {
		struct timespec ts = { 0, 10 * 1000000L };

		r = -errno;
		if (r == -EINTR)
			continue;
		if (r != -EAGAIN || now_ms() >= end) {
			close(fd);
			return r == -EAGAIN ? -ETIMEDOUT : r;
		}
		nanosleep(&ts, NULL);	/* the backlog is full: the launcher does not accept */
	}
	if (fcntl(fd, F_SETFL, 0)) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

/* The request line, with @nfds descriptors (SCM_RIGHTS) when there are any. */
static int send_line(int fd, const char *line, size_t n, const int *fds, unsigned int nfds)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * DOMUS_CTL_MAX_FDS)];
	} cm;
	struct iovec iov = { .iov_base = (void *)line, .iov_len = n };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (!nfds)
		return send(fd, line, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -EPIPE;
	if (nfds > DOMUS_CTL_MAX_FDS)
		return -EINVAL;
	memset(&cm, 0, sizeof(cm));
	msg.msg_control = cm.buf;
	msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
	cm.h.cmsg_level = SOL_SOCKET;
	cm.h.cmsg_type = SCM_RIGHTS;
	cm.h.cmsg_len = CMSG_LEN(sizeof(int) * nfds);
	memcpy(CMSG_DATA(&cm.h), fds, sizeof(int) * nfds);
	return sendmsg(fd, &msg, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -EPIPE;
}

int domus_ctl_request_fd(int fd, const char *req, char *reply, size_t len, int timeout_ms)
{
	return domus_ctl_request_fds(fd, req, NULL, 0, reply, len, timeout_ms);
}

int domus_ctl_request_fds(int fd, const char *req, const int *fds, unsigned int nfds, char *reply, size_t len,
			  int timeout_ms)
{
	char line[DOMUS_CTL_REQ_MAX + 2];
	size_t n = strlen(req), got = 0;
	long long end = now_ms() + timeout_ms;
	int sr;

	if (n > DOMUS_CTL_REQ_MAX || !len)
		return -EINVAL;
	memcpy(line, req, n);
	line[n++] = '\n';
	sr = send_line(fd, line, n, fds, nfds);
	if (sr)
		return sr;
	/* read byte-wise: nothing after the newline may be consumed (console) */
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left = end - now_ms();
		ssize_t r;
		char ch;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -ETIMEDOUT;
		r = read(fd, &ch, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -ECONNRESET;
		if (ch == '\n')
			break;
		if (got + 1 < len)
			reply[got++] = ch;
	}
	reply[got] = 0;
	if (!strncmp(reply, "ok", 2))
		return 0;
	if (!strncmp(reply, "error ", 6)) {
		memmove(reply, reply + 6, strlen(reply + 6) + 1);
		return 1;
	}
	return -EPROTO;
}

int domus_ctl_request(const char *name, const char *req, char *reply, size_t len, int timeout_ms)
{
	int fd = domus_ctl_connect(name), r;

	if (fd < 0)
		return fd;
	r = domus_ctl_request_fd(fd, req, reply, len, timeout_ms);
	close(fd);
	return r;
}

int domus_ctl_console(const char *name, bool force, int *fd, char *reply, size_t len)
{
	int c = domus_ctl_connect(name), r;

	*fd = -1;
	if (c < 0)
		return c;
	r = domus_ctl_request_fd(c, force ? "console force" : "console", reply, len, 5000);
	if (r) {
		close(c);
		return r;
	}
	*fd = c;
	return 0;
}

int domus_ctl_parse_info(const char *reply, struct domus_dominfo *d)
{
	char name[64], state[8];
	const char *p;
	unsigned int id, vcpus;
	unsigned long long mem;
	double t;
	int pid;

	if (sscanf(reply, "ok id=%u name=%63s mem=%llu vcpus=%u state=%7s time=%lf pid=%d",
		   &id, name, &mem, &vcpus, state, &t, &pid) != 7)
		return -EPROTO;
	memset(d, 0, sizeof(*d));
	d->id = id;
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->mem_mib = mem;
	d->vcpus = vcpus;
	snprintf(d->state, sizeof(d->state), "%s", state);
	d->cpu_time = t;
	d->pid = pid;
	p = strstr(reply, " uuid=");
	if (p && strspn(p + 6, "0123456789abcdef-") == 36)
		memcpy(d->uuid, p + 6, 36);
	p = strstr(reply, " start=");
	if (p)
		d->start = strtoll(p + 7, NULL, 10);
	p = strstr(reply, " started=");
	if (p && !strncmp(p + 9, "restored", 8))
		d->started = DOMUS_STARTED_RESTORED;
	else if (p && !strncmp(p + 9, "migrated", 8))
		d->started = DOMUS_STARTED_MIGRATED;
	return 0;
}

static int by_id(const void *a, const void *b)
{
	const struct domus_dominfo *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* The pid in RUN/NAME.pid if that process is a domus-launcher, else 0. */
static pid_t launcher_pid(const char *name)
{
	char path[PATH_MAX], buf[32], comm[32] = "";
	long pid;
	FILE *f;

	if (domus_run_path(path, sizeof(path), name, ".pid"))
		return 0;
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	pid = strtol(buf, NULL, 10);
	if (pid <= 1 || pid > INT_MAX)
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = 0;
	fclose(f);
	/* comm is cut at 15 bytes: "domus-launcher\n" */
	return strncmp(comm, "domus-launcher", 14) ? 0 : (pid_t)pid;
}

/* Whether process @pid is stopped (SIGSTOP, ptrace stop) or gone. */
static bool pid_stopped(pid_t pid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = 0;
	p = strrchr(buf, ')');	/* "pid (comm) S ...": comm may hold anything */
	return !p || p[1] != ' ' || p[2] == 'T' || p[2] == 't' || p[2] == 'Z' || p[2] == 'X';
}

/* The last line of NAME's log (either directory) holding @what, or "". */
static void log_last_with(const char *name, const char *what, char *out, size_t len)
{
	char path[PATH_MAX], buf[8192], *p, *e;
	ssize_t n;
	off_t size;
	unsigned int i;
	int fd = -1;

	out[0] = 0;
	for (i = 0; fd < 0 && i < DOMUS_LOG_DIRS; i++)
		if (!domus_log_path(path, sizeof(path), i, name, ".log"))
			fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	size = lseek(fd, 0, SEEK_END);
	n = size < 0 ? -1 : pread(fd, buf, sizeof(buf) - 1, size > (off_t)sizeof(buf) - 1 ? size - (off_t)sizeof(buf) + 1 : 0);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	for (p = buf; (p = strstr(p, what)); p++) {
		e = strchr(p, '\n');
		snprintf(out, len, "%.*s", (int)(e ? e - p : (ptrdiff_t)strlen(p)), p);
	}
}

int domus_launcher_death(const char *name, char *msg, size_t len)
{
	static const char *const words[] = { "launcher: killed by the sandbox", "launcher: fatal signal" };
	char line[512], path[PATH_MAX];
	const char *sig;
	size_t i;
	int tries;

	/* the process ends just after its console connection does */
	for (tries = 0; tries < 20 && launcher_pid(name) > 0; tries++)
		usleep(50 * 1000);
	if (launcher_pid(name) > 0)
		return 0;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		log_last_with(name, words[i], line, sizeof(line));
		if (!line[0])
			continue;
		sig = strstr(line, "(signal ");
		snprintf(msg, len, "the launcher of %s died (signal %d): %s", name,
			 sig ? atoi(sig + 8) : 0, line);
		return 1;
	}
	/* no last words: the pid file of a launcher that never reached its
	 * clean-up (SIGKILL, the OOM killer) */
	if (domus_run_path(path, sizeof(path), name, ".pid") == 0 && access(path, F_OK) == 0) {
		log_last_with(name, "destroying domain", line, sizeof(line));
		if (!line[0]) {
			snprintf(msg, len, "the launcher of %s died without a word (SIGKILL or the OOM killer?); see its log in %s",
				 name, domus_log_dir());
			return 1;
		}
	}
	return 0;
}

/*
 * NAME's info: 0; -ETIMEDOUT when a launcher holds the socket but does not
 * answer (@d gets the name, the pid if the pid file names a launcher, and
 * how long it was given); -ENOENT when nobody listens (no such domain, or
 * the files a killed launcher left: ignored, and the next launcher of that
 * name replaces them).  A stopped launcher is reported after
 * DOMUS_CTL_INFO_MS; one that runs but is busy (a loaded host, many
 * clients at once) is asked again until DOMUS_CTL_BUSY_MS have passed.
 */
static int info_of(const char *name, struct domus_dominfo *d)
{
	char reply[DOMUS_CTL_LINE_MAX];
	long long start = now_ms();
	pid_t pid;
	int r;

	for (;;) {
		r = domus_ctl_request(name, "info", reply, sizeof(reply), DOMUS_CTL_INFO_MS);
		if (r == 0 && domus_ctl_parse_info(reply, d) == 0)
			return 0;
		if (r != -ETIMEDOUT)
			return -ENOENT;
		pid = launcher_pid(name);
		if (pid <= 0 || pid_stopped(pid) || now_ms() - start >= DOMUS_CTL_BUSY_MS)
			break;
	}
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->pid = pid;
	d->waited_ms = (int)(now_ms() - start);
	snprintf(d->state, sizeof(d->state), "?");
	return -ETIMEDOUT;
}

int domus_ctl_list(struct domus_dominfo **out)
{
	return domus_ctl_list_all(out, NULL, NULL);
}

static int add_info(struct domus_dominfo **v, int *n, int *cap, const struct domus_dominfo *d)
{
	if (*n == *cap) {
		struct domus_dominfo *t;

		*cap = *cap ? *cap * 2 : 8;
		t = realloc(*v, *cap * sizeof(*t));
		if (!t)
			return -ENOMEM;
		*v = t;
	}
	(*v)[(*n)++] = *d;
	return 0;
}

int domus_ctl_list_all(struct domus_dominfo **out, struct domus_dominfo **wedged, int *nwedged)
{
	DIR *dir = opendir(domus_run_dir());
	struct domus_dominfo *v = NULL, *w = NULL;
	struct dirent *de;
	int n = 0, cap = 0, nw = 0, wcap = 0;

	*out = NULL;
	if (wedged) {
		*wedged = NULL;
		*nwedged = 0;
	}
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(dir))) {
		size_t l = strlen(de->d_name);
		char name[64];
		struct domus_dominfo d;
		int r;

		if (l <= 5 || l - 5 >= sizeof(name) || strcmp(de->d_name + l - 5, ".sock"))
			continue;
		memcpy(name, de->d_name, l - 5);
		name[l - 5] = 0;
		r = info_of(name, &d);
		if (r == -ETIMEDOUT && wedged)
			r = add_info(&w, &nw, &wcap, &d);
		else if (r == 0)
			r = add_info(&v, &n, &cap, &d);
		else
			continue;	/* stale socket or a launcher shutting down */
		if (r) {
			free(v);
			free(w);
			closedir(dir);
			return r;
		}
	}
	closedir(dir);
	if (n)
		qsort(v, n, sizeof(*v), by_id);
	*out = v;
	if (wedged) {
		*wedged = w;
		*nwedged = nw;
	}
	return n;
}

int domus_ctl_find(const char *name_or_id, struct domus_dominfo *d)
{
	size_t l = strlen(name_or_id);

	if (l && strspn(name_or_id, "0123456789") == l) {
		struct domus_dominfo *v;
		unsigned long id = strtoul(name_or_id, NULL, 10);
		int n = domus_ctl_list(&v), i;

		for (i = 0; i < n; i++) {
			if (v[i].id == id) {
				*d = v[i];
				free(v);
				return 0;
			}
		}
		free(v);
		return -ENOENT;
	}
	if (l == 0 || l >= sizeof(d->name) || strchr(name_or_id, '/'))
		return -ENOENT;
	return info_of(name_or_id, d);
}

size_t domus_ctl_escape(const void *in, size_t n, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = in;
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		char e[4];
		size_t k;

		if (p[i] == '\\' || p[i] == '"') {
			e[0] = '\\';
			e[1] = (char)p[i];
			k = 2;
		} else if (p[i] >= 0x20 && p[i] < 0x7f) {
			e[0] = (char)p[i];
			k = 1;
		} else {
			e[0] = '\\';
			e[1] = 'x';
			e[2] = hex[p[i] >> 4];
			e[3] = hex[p[i] & 15];
			k = 4;
		}
		if (o + k < outlen)
			memcpy(out + o, e, k);
		o += k;
	}
	if (outlen)
		out[o < outlen ? o : outlen - 1] = 0;
	return o;
}

int domus_ctl_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int domus_ctl_unescape(const char *in, void *out, size_t outlen)
{
	unsigned char *o = out;
	size_t n = 0;

	while (*in) {
		unsigned char c = (unsigned char)*in;

		if (c < 0x20 || c >= 0x7f || c == '"')
			return -EINVAL;
		if (c == '\\') {
			if (in[1] == '\\' || in[1] == '"') {
				c = (unsigned char)in[1];
				in += 2;
			} else if (in[1] == 'x' && domus_ctl_hexval(in[2]) >= 0 && domus_ctl_hexval(in[3]) >= 0) {
				c = (unsigned char)(domus_ctl_hexval(in[2]) << 4 | domus_ctl_hexval(in[3]));
				in += 4;
			} else {
				return -EINVAL;
			}
		} else {
			in++;
		}
		if (n >= outlen)
			return -E2BIG;
		o[n++] = c;
	}
	return n > INT_MAX ? -E2BIG : (int)n;
}

int domus_ctl_read_lines(int fd, int (*line)(void *opaque, char *text), void *opaque,
			 int timeout_ms)
{
	size_t cap = DOMUS_CTL_REQ_MAX + 2, have = 0, lines = 0;
	long long end = now_ms() + timeout_ms;
	char *buf = malloc(cap);
	int r = -EPROTO;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		char *nl = memchr(buf, '\n', have);
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left;
		ssize_t got;

		if (nl) {
			size_t l = (size_t)(nl - buf);
			unsigned long long n;
			char tail;

			*nl = 0;
			if (!strncmp(buf, "end ", 4)) {
				r = sscanf(buf + 4, "%llu%c", &n, &tail) == 1 && n == lines ? 0 : -EPROTO;
				break;
			}
			r = line(opaque, buf);
			if (r)
				break;
			lines++;
			memmove(buf, nl + 1, have - l - 1);
			have -= l + 1;
			continue;
		}
		if (have == cap) {
			r = -EPROTO;	/* a line over the limit */
			break;
		}
		left = end - now_ms();
		if (left <= 0) {
			r = -ETIMEDOUT;
			break;
		}
		got = poll(&pfd, 1, (int)left);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			r = got < 0 ? -errno : -ETIMEDOUT;
			break;
		}
		got = read(fd, buf + have, cap - have);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			r = got < 0 ? -errno : -EPROTO;	/* closed before "end" */
			break;
		}
		have += (size_t)got;
	}
	free(buf);
	return r;
}

/* The chunks of a "config" answer, concatenated (at most 1 MiB). */
struct config_text {
	char *buf;
	size_t len;
};

static int config_chunk(void *opaque, char *text)
{
	struct config_text *t = opaque;
	size_t max = strlen(text) + 1;
	char *nb;
	int n;

	if (t->len + max > (1u << 20))
		return -EFBIG;
	nb = realloc(t->buf, t->len + max + 1);
	if (!nb)
		return -ENOMEM;
	t->buf = nb;
	n = domus_ctl_unescape(text, t->buf + t->len, max);
	if (n < 0)
		return -EPROTO;
	t->len += (size_t)n;
	t->buf[t->len] = 0;
	return 0;
}

int domus_ctl_config(const char *name, char **text, size_t *len)
{
	struct config_text t = { NULL, 0 };
	char reply[DOMUS_CTL_LINE_MAX];
	int fd = domus_ctl_connect(name), r;

	if (fd < 0)
		return fd;
	r = domus_ctl_request_fd(fd, "config", reply, sizeof(reply), DOMUS_CTL_INFO_MS);
	if (r == 0)
		r = domus_ctl_read_lines(fd, config_chunk, &t, DOMUS_CTL_INFO_MS);
	else if (r > 0)
		r = -EIO;
	close(fd);
	if (r == 0 && !t.buf)
		t.buf = calloc(1, 1);
	if (r == 0 && !t.buf)
		r = -ENOMEM;
	if (r) {
		free(t.buf);
		return r;
	}
	*text = t.buf;
	*len = t.len;
	return 0;
}
