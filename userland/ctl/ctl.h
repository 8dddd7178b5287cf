/* SPDX-License-Identifier: MIT */
/*
 * The launcher's control socket: paths, the line protocol, and the client
 * side used by the CLI (domus list/console/shutdown/destroy).  Shared by
 * the domus command and domus-launcher.  See docs/launcher.md.
 *
 * Files of a domain NAME, in the run directory ($DOMUS_RUN_DIR, default
 * /run/domus):
 *   NAME.sock   control socket (mode 0600), one request line per message
 *   NAME.lock   held (flock) by the launcher while the domain exists
 *   NAME.pid    the launcher's pid
 *   next-domid  the next domain id (flock-protected counter; ids start at 1)
 * and in the log directory ($DOMUS_LOG_DIR, default /var/log/domus, or
 * RUN_DIR/log when that cannot be written):
 *   NAME.log          the launcher's log
 *   NAME-console.log  everything the guest wrote to its console
 *
 * Protocol: the client sends one line; the launcher answers one line,
 * "ok ..." or "error MESSAGE".  Requests:
 *   info              -> ok id=N name=NAME mem=MiB vcpus=N state=r----- time=SEC pid=PID
 *   config            -> ok, then the definition as xl.cfg text in escaped
 *                        chunks (domus_ctl_escape, <= 200 bytes each), one a
 *                        line, then "end N" (domusd's dumpxml)
 *   stats             -> ok exits=N cpuid=N ... pinned_pages=N vcpus=N slots=N
 *                        (the module's counters, one key per exit reason)
 *   shutdown [poweroff|reboot]
 *   destroy           -> ok once the domain is gone; then the launcher exits
 *   console           -> ok, then the connection carries raw console bytes
 *                        both ways until either side closes it
 * The guest's xenstore, as the toolstack (domain 0; docs/xenstore.md
 * "Admin commands").  PATH is absolute or relative to /local/domain/<id>;
 * VALUE is escaped with domus_ctl_escape (no raw newline on the wire):
 *   xs-read PATH        -> ok VALUE
 *   xs-write PATH VALUE -> ok (VALUE may be empty: "xs-write PATH ")
 *   xs-rm PATH          -> ok
 *   xs-list PATH        -> ok, then one line per child name, then "end N"
 *   xs-ls PATH          -> ok, then "ABSPATH PERMS VALUE" for PATH and every
 *                          node below it (depth first), then "end N"
 * For domus xenstored (docs/xenstore.md "The xenstored socket"; xswire.h):
 *   xs-wire HEX         -> ok HEX (one wire message and its reply, in hex)
 *   xs-watch            -> ok, then one line per changed path, until closed
 * Hot-plug (docs/devices.md "Hot-plug"; the fds travel as SCM_RIGHTS):
 *   block-attach SPEC            + the image fd  -> ok
 *   block-detach VDEV|DEVID      -> ok [note ...] once the device is gone
 *   block-list                   -> ok, "DEVID VDEV BE-STATE FE-STATE EVTCH RREF BE-PATH" lines, end N
 *   network-attach DEVID MAC NAME SPEC + the TAP fds -> ok
 *   network-detach DEVID|MAC     -> ok [note ...] once the device is gone
 *   network-list                 -> ok, "DEVID MAC BE-STATE FE-STATE EVTCH TXREF RXREF BE-PATH NAME" lines, end N
 * Save (docs/launcher.md "Save and restore"; the empty file as SCM_RIGHTS):
 *   save [keep]                  + the file fd -> ok once written (the guest
 *                                paused), then the client's "commit" -> ok
 *                                (destroyed, or with keep running on)
 */
#ifndef DOMUS_CTL_H
#define DOMUS_CTL_H

#include <stdbool.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/types.h>

#define DOMUS_RUN_DIR_DEFAULT	"/run/domus"
#define DOMUS_LOG_DIR_DEFAULT	"/var/log/domus"
#define DOMUS_CTL_LINE_MAX	1024
/* The longest request line, and the longest xs-read answer: a 3072-byte
 * xenstore path and a 4096-byte value escaped (at most 4 bytes a byte). */
#define DOMUS_CTL_REQ_MAX	20480

/* After NAME's launcher went away (its console or control connection
 * ended): 1 with "the launcher of NAME died (signal N): LINE" in @msg when
 * its log ends with the fatal line the launcher writes (sandbox.c), or
 * when it left its pid file and no "destroying domain" line; else 0. */
int domus_launcher_death(const char *name, char *msg, size_t len);
const char *domus_run_dir(void);
const char *domus_log_dir(void);
/*
 * The directories a domain's logs are in, in the order the launcher tries
 * them: 0 the log directory (domus_log_dir), 1 RUN_DIR/log (where the log
 * directory cannot be written).  @dir into @buf: 0, -ENOENT past the last,
 * -ENAMETOOLONG.  domus_log_path: "DIR/NAME.SUFFIX" (".log",
 * "-console.log") in directory @dir, the same answers.
 */
#define DOMUS_LOG_DIRS	2
int domus_log_dir_at(unsigned int dir, char *buf, size_t len);
int domus_log_path(char *buf, size_t len, unsigned int dir, const char *name, const char *suffix);
/* "RUN_DIR/NAME.SUFFIX" into @buf; -ENAMETOOLONG if it does not fit
 * (a socket path must also fit sockaddr_un). */
int domus_run_path(char *buf, size_t len, const char *name, const char *suffix);

/*
 * A log file capped at @max bytes (0: no cap) and rotated by rename:
 * PATH.1 is the newest old file, PATH.@keep the oldest kept (logfile.c).
 * The settings come from the environment: DOMUS_LOG_SIZE (bytes, or with
 * K, M or G; 0 for no cap; default 1M) and DOMUS_LOG_KEEP (1-99, default
 * 4); domus_log_settings() returns -1 with a message in @err (and the
 * defaults in place) for a bad value.  Writes are thread-safe.
 */
#define DOMUS_LOG_SIZE_DEFAULT	(1u << 20)
#define DOMUS_LOG_KEEP_DEFAULT	4u
#define DOMUS_LOG_PATH_MAX	4096
struct domus_log {
	pthread_mutex_t lock;
	int fd;				/* -1: not open */
	char path[DOMUS_LOG_PATH_MAX];
	unsigned long long size, max;	/* bytes in the current file, cap */
	unsigned int keep;
	unsigned long rotations;
};
int domus_log_settings(unsigned long long *max, unsigned int *keep, char *err, size_t errlen);
/* Before anything else: not open, writes go nowhere. */
void domus_log_init(struct domus_log *l);
/* Opens PATH (an existing non-empty one is rotated first); 0 or -errno. */
int domus_log_open(struct domus_log *l, const char *path, unsigned long long max, unsigned int keep);
/* The open log (and its rotated files) renamed to @path; 0 or -errno. */
int domus_log_rename(struct domus_log *l, const char *path);
void domus_log_write(struct domus_log *l, const void *buf, size_t n);
void domus_log_close(struct domus_log *l);

struct domus_dominfo {
	char name[64];
	unsigned int id;
	unsigned long long mem_mib;
	unsigned int vcpus;
	char state[8];
	double cpu_time;
	pid_t pid;
	char uuid[37];		/* "" if the launcher did not say */
	long long start;	/* the domain's start (epoch seconds), 0 unknown */
	int waited_ms;		/* a launcher that did not answer: how long it was given */
	int started;		/* how this run began (DOMUS_STARTED_*), until a pause or restart */
};
/* info's started=: booted (also a launcher that does not say), restored
 * from a save file, migrated in */
enum { DOMUS_STARTED_BOOTED, DOMUS_STARTED_RESTORED, DOMUS_STARTED_MIGRATED };

/* Connect to NAME's control socket: fd, or -ENOENT (no such domain),
 * -ECONNREFUSED (stale socket), -ETIMEDOUT (its backlog stayed full for
 * DOMUS_CTL_INFO_MS: the launcher does not accept), other -errno. */
int domus_ctl_connect(const char *name);
/* Send @req (no newline) and read the one-line answer (without newline)
 * into @reply; waits at most @timeout_ms.  0 on "ok...", 1 on "error...",
 * -errno on failure to talk. */
int domus_ctl_request(const char *name, const char *req, char *reply, size_t len, int timeout_ms);
/* The same on an open connection. */
int domus_ctl_request_fd(int fd, const char *req, char *reply, size_t len, int timeout_ms);
/* The same, passing @nfds (at most DOMUS_CTL_MAX_FDS) open descriptors
 * with the request line (SCM_RIGHTS): block-attach's image, network-
 * attach's TAP queues.  The launcher takes its own copies. */
#define DOMUS_CTL_MAX_FDS	4
int domus_ctl_request_fds(int fd, const char *req, const int *fds, unsigned int nfds, char *reply, size_t len,
			  int timeout_ms);
/*
 * Attach to NAME's PV console (the "console" request; @force: "console
 * force", which detaches whoever holds it): 0 and *@fd, the connection
 * that then carries the console's bytes both ways (closed by the
 * launcher when the domain ends or another client forces it); 1 with
 * the launcher's refusal in @reply (one holder at a time); -errno when
 * the launcher cannot be reached.  `domus console` and domusd's console
 * streams both attach here.
 */
int domus_ctl_console(const char *name, bool force, int *fd, char *reply, size_t len);
/*
 * Escaping of xenstore values (and any bytes) for the line protocol and
 * for display: printable ASCII stays, except '\\' and '"' which get a
 * backslash; every other byte is \xNN.  domus_ctl_escape writes the
 * NUL-terminated text into @out when it fits and returns its length
 * (without the NUL) either way.  domus_ctl_unescape decodes @in into
 * @out (not NUL-terminated): the length, -EINVAL for a bad escape or a
 * byte that should have been escaped, -E2BIG if @outlen is too small.
 */
size_t domus_ctl_escape(const void *in, size_t n, char *out, size_t outlen);
int domus_ctl_unescape(const char *in, void *out, size_t outlen);
/* The value of hex digit @c, or -1. */
int domus_ctl_hexval(char c);
/*
 * After an "ok" answer of a listing request: read the lines that follow
 * up to "end N", calling @line(opaque, text) for each (text NUL-terminated,
 * without the newline; a nonzero return stops with that value).  0 when
 * "end N" came and N matched the lines seen; -EPROTO for a bad or missing
 * end, a line over DOMUS_CTL_REQ_MAX, -ETIMEDOUT after @timeout_ms in all,
 * other -errno.
 */
int domus_ctl_read_lines(int fd, int (*line)(void *opaque, char *text), void *opaque,
			 int timeout_ms);
/* Parse an "ok id=..." info answer. */
int domus_ctl_parse_info(const char *reply, struct domus_dominfo *d);
/* All domains with a live launcher, sorted by id.  Returns the count
 * (*out malloc'ed) or -errno. */
int domus_ctl_list(struct domus_dominfo **out);
/* The same, and in *@wedged (malloc'ed, *@nwedged of them) the domains
 * whose launcher holds its socket but does not answer (name and pid). */
int domus_ctl_list_all(struct domus_dominfo **out, struct domus_dominfo **wedged, int *nwedged);
/* NAME's definition as xl.cfg text (the "config" request): 0 and
 * *@text (malloc'ed, NUL-terminated, *@len bytes), or -errno (-EPROTO
 * for a malformed answer, -EIO for an "error" answer). */
int domus_ctl_config(const char *name, char **text, size_t *len);
/* How long a launcher gets to answer "info" (list, find): a stopped one
 * DOMUS_CTL_INFO_MS, one that runs (busy, or hung) DOMUS_CTL_BUSY_MS. */
#define DOMUS_CTL_INFO_MS	2000
#define DOMUS_CTL_BUSY_MS	30000
/* Find a domain by name or numeric id: 0; -ENOENT; -ETIMEDOUT when its
 * launcher does not answer (stopped or hung; @d has the name and, if the
 * pid file names a running launcher, the pid). */
int domus_ctl_find(const char *name_or_id, struct domus_dominfo *d);

#endif
