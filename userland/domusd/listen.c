// SPDX-License-Identifier: MIT
/*
 * domusd's listening sockets (main.c): bound by domusd itself, or
 * inherited from systemd (socket activation: packaging/domusd.socket and
 * domusd-ro.socket), and the /run/libvirt links to them.
 *
 * Socket activation is systemd's sd_listen_fds protocol, done by hand
 * (a few lines; no libsystemd): LISTEN_PID is this process, LISTEN_FDS
 * the number of descriptors from 3 on, LISTEN_FDNAMES their names
 * (colon-separated; a socket unit's FileDescriptorName=, else the unit's
 * name).  The variables are removed from the environment either way, so
 * `domus create` and the launchers never see them.  Each descriptor must
 * be a listening UNIX stream socket; which one is read-only is told by
 * its path (the -s and -r paths), else by its name ("ro", or a unit
 * named *-ro.socket).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "listen.h"

#define LISTEN_FDS_START 3

int domusd_listen_on(const char *path, gid_t gid, bool grp, bool ro)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, probe;
	mode_t old;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "domusd: socket path '%s' is too long: give a shorter one with -s\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	/* a socket left by a domusd that died is removed; a live one is not */
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0 && !connect(probe, (struct sockaddr *)&sa, sizeof(sa))) {
		close(probe);
		fprintf(stderr, "domusd: %s: another domusd is serving it: stop that one first\n", path);
		return -1;
	}
	if (probe >= 0)
		close(probe);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	old = umask(ro ? 0111 : grp ? 0117 : 0177);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 64)) {
		umask(old);
		fprintf(stderr, "domusd: cannot listen on %s: %s (does its directory exist?)\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	umask(old);
	if (grp && !ro && (chown(path, (uid_t)-1, gid) || chmod(path, 0660))) {
		fprintf(stderr, "domusd: %s: cannot give it to the group: %s\n", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

/* LINK -> SOCKET, replacing an old link (never another file) */
int domusd_make_link(const char *link, const char *target)
{
	char dir[PATH_MAX], tmp[PATH_MAX + 16];
	struct stat st;
	char *slash;

	if (strlen(link) >= sizeof(dir)) {
		fprintf(stderr, "domusd: link path '%.80s...' is too long: give a shorter one with -l\n", link);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s", link);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		if (mkdir(dir, 0755) && errno != EEXIST)
			goto fail;
	}
	if (!lstat(link, &st) && !S_ISLNK(st.st_mode)) {
		fprintf(stderr, "domusd: %s exists and is not a symlink (a libvirt daemon's socket?): "
			"give another path with -l, or none with -L\n", link);
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s.domusd-new", link);
	unlink(tmp);
	if (symlink(target, tmp) || rename(tmp, link)) {
		unlink(tmp);
		goto fail;
	}
	return 0;
fail:
	fprintf(stderr, "domusd: cannot make the link %s -> %s: %s\n", link, target, strerror(errno));
	return -1;
}

/* LINK -> SOCKET where another daemon may own LINK (libvirtd's
 * libvirt-sock): a file there that is not a symlink is left alone (one
 * line, 1); a failure is one line too (-1); neither stops domusd. */
int domusd_make_link_shared(const char *link, const char *target)
{
	struct stat st;

	if (!lstat(link, &st) && !S_ISLNK(st.st_mode)) {
		fprintf(stderr, "domusd: %s is another daemon's socket (libvirtd's?): left alone; domus+ssh:// "
			"clients then add ?socket=%s to the URI\n", link, target);
		return 1;
	}
	return domusd_make_link(link, target);
}

/* LINK, only if it still points at TARGET (ours) */
void domusd_unlink_own(const char *link, const char *target)
{
	char t[4200];
	ssize_t n;

	if (!link)
		return;
	n = readlink(link, t, sizeof(t) - 1);
	if (n > 0 && (t[n] = 0, !strcmp(t, target)))
		unlink(link);
}

/* The @i-th name of LISTEN_FDNAMES ("" when there is none) into @buf. */
static void fd_name(const char *names, int i, char *buf, size_t len)
{
	const char *p = names ? names : "", *e;

	while (i-- > 0 && (p = strchr(p, ':')))
		p++;
	if (!p) {
		*buf = 0;
		return;
	}
	e = strchr(p, ':');
	snprintf(buf, len, "%.*s", (int)(e ? (size_t)(e - p) : strlen(p)), p);
}

int domusd_inherited(const char *sock, const char *rosock, struct domusd_inherit *out)
{
	char pidbuf[32], fdsbuf[32], namesbuf[512], name[256];
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS"), *names = getenv("LISTEN_FDNAMES");
	char *end;
	long p, n, i;

	out->rw = out->ro = -1;
	out->rw_path[0] = out->ro_path[0] = 0;
	if (!pid && !fds)
		return 0;
	snprintf(pidbuf, sizeof(pidbuf), "%s", pid ? pid : "");
	snprintf(fdsbuf, sizeof(fdsbuf), "%s", fds ? fds : "");
	snprintf(namesbuf, sizeof(namesbuf), "%s", names ? names : "");
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	p = strtol(pidbuf, &end, 10);
	if (!*pidbuf || *end || p != (long)getpid()) {
		fprintf(stderr, "domusd: LISTEN_PID=%s is not this process (%ld): the sockets passed are not for domusd, ignored\n",
			pidbuf, (long)getpid());
		return 0;
	}
	n = strtol(fdsbuf, &end, 10);
	if (!*fdsbuf || *end || n < 1 || n > 2) {
		fprintf(stderr, "domusd: LISTEN_FDS=%s: socket activation passes 1 or 2 sockets (read-write, read-only): "
			"fix the socket units' ListenStream=\n", fdsbuf);
		return -1;
	}
	for (i = 0; i < n; i++) {
		int fd = LISTEN_FDS_START + (int)i, type = 0, acc = 0;
		struct sockaddr_un sa;
		socklen_t sl = sizeof(sa), ol = sizeof(int);
		struct stat st;
		const char *path;
		bool ro;

		fd_name(namesbuf, (int)i, name, sizeof(name));
		memset(&sa, 0, sizeof(sa));
		if (fstat(fd, &st) || !S_ISSOCK(st.st_mode)) {
			fprintf(stderr, "domusd: inherited descriptor %d ('%s') is not a socket: socket activation passes "
				"the sockets of ListenStream= only\n", fd, name);
			return -1;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &ol) || type != SOCK_STREAM ||
		    (ol = sizeof(int), getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &ol)) || !acc ||
		    getsockname(fd, (struct sockaddr *)&sa, &sl) || sa.sun_family != AF_UNIX) {
			fprintf(stderr, "domusd: inherited descriptor %d ('%s') is not a listening UNIX stream socket: "
				"give ListenStream= a path\n", fd, name);
			return -1;
		}
		fcntl(fd, F_SETFD, FD_CLOEXEC);	/* not into domus create and the launchers */
		path = sl > offsetof(struct sockaddr_un, sun_path) ? sa.sun_path : "";
		if (!strcmp(path, sock))
			ro = false;
		else if (rosock && !strcmp(path, rosock))
			ro = true;
		else
			ro = !strcmp(name, "ro") || (strlen(name) > 10 && !strcmp(name + strlen(name) - 10, "-ro.socket"));
		if ((ro ? out->ro : out->rw) >= 0) {
			fprintf(stderr, "domusd: socket activation passed two %s sockets (%s and %s): give one with -%c, "
				"or FileDescriptorName=ro to the read-only one\n", ro ? "read-only" : "read-write",
				ro ? out->ro_path : out->rw_path, path, ro ? 'r' : 's');
			return -1;
		}
		*(ro ? &out->ro : &out->rw) = fd;
		snprintf(ro ? out->ro_path : out->rw_path, sizeof(out->rw_path), "%s", path);
	}
	if (out->rw < 0) {
		fprintf(stderr, "domusd: socket activation passed only the read-only socket %s: the read-write one "
			"(domusd.socket) is missing\n", out->ro_path);
		return -1;
	}
	return 1;
}
