/* SPDX-License-Identifier: MIT */
/*
 * domusd: libvirt's remote protocol, as the stock client (virsh,
 * python3-libvirt) speaks it over a UNIX socket.  The facts (framing,
 * program and procedure numbers, wire layouts, error codes) are from
 * the reference /work/shared/docs/libvirt-rpc.md; docs/libvirt.md says
 * what domusd implements.
 *
 *   xdr.c     XDR (RFC 4506) encoding and bounded decoding
 *   frame.c   the packet: length word, 24-byte header, payload
 *   procs.c   the procedure table: number -> argument decoder, handler,
 *             reply encoder; connect, node and domain procedures
 *   domxml.c  the domain XML of a definition (libxml2) and capabilities
 *   main.c    the socket, one thread per client
 */
#ifndef DOMUSD_RPC_H
#define DOMUSD_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- framing (frame.c) -------------------------------------------------- */

#define RPC_LEN_WORD		4
#define RPC_HEADER_LEN		24
/* The largest packet domusd takes (length word included): the protocol
 * allows 32 MiB, but no procedure domusd implements needs more than a
 * domain XML, so a longer packet closes the connection. */
#define RPC_IN_MAX		(1u << 20)
/* The largest reply domusd builds (the protocol's 32 MiB + 4). */
#define RPC_OUT_MAX		(4u << 20)
#define RPC_STRING_MAX		4194304u	/* remote_nonnull_string */
#define RPC_DOMAIN_LIST_MAX	16384u		/* domains<>, names<>, ids<> */

#define RPC_PROG_REMOTE		0x20008086u
#define RPC_PROG_KEEPALIVE	0x6b656570u
#define RPC_VERS		1u

enum rpc_type {
	RPC_CALL = 0,
	RPC_REPLY = 1,
	RPC_MESSAGE = 2,
	RPC_STREAM = 3,
	RPC_CALL_WITH_FDS = 4,
	RPC_REPLY_WITH_FDS = 5,
	RPC_STREAM_HOLE = 6,
};

enum rpc_status {
	RPC_OK = 0,
	RPC_ERROR = 1,
	RPC_CONTINUE = 2,
};

#define RPC_KEEPALIVE_PING	1
#define RPC_KEEPALIVE_PONG	2

struct rpc_header {
	uint32_t prog;
	uint32_t vers;
	int32_t proc;
	uint32_t type;
	uint32_t serial;
	uint32_t status;
};

/*
 * The packet length announced by the first 4 bytes of @word: the total
 * (length word included), or 0 if it is outside [4 + 24, @max].
 */
uint32_t rpc_frame_length(const uint8_t word[RPC_LEN_WORD], uint32_t max);
/*
 * A whole packet (@n bytes, length word included, n == its length word):
 * the header into @h and the payload's place; 0, or -1 if malformed.
 */
int rpc_frame_parse(const uint8_t *pkt, size_t n, struct rpc_header *h,
		    const uint8_t **payload, size_t *plen);

/* ---- XDR (xdr.c) -------------------------------------------------------- */

/* Decoding: a cursor over a buffer; any error sticks in @err. */
struct xdr_in {
	const uint8_t *p;
	size_t len, off;
	bool err;
};

void xdr_in_init(struct xdr_in *x, const uint8_t *p, size_t len);
uint32_t xdr_get_u32(struct xdr_in *x);
int32_t xdr_get_i32(struct xdr_in *x);
uint64_t xdr_get_u64(struct xdr_in *x);
/* opaque[n]: @n bytes and their padding. */
void xdr_get_fixed(struct xdr_in *x, void *out, size_t n);
/* string<max>: a new NUL-terminated copy (NULL on error: too long, an
 * embedded NUL, nonzero padding, truncated, out of memory). */
char *xdr_get_string(struct xdr_in *x, uint32_t max);
/* optional string: *@out NULL when absent; false on error. */
bool xdr_get_opt_string(struct xdr_in *x, uint32_t max, char **out);
/* All bytes read, no error? */
bool xdr_in_done(const struct xdr_in *x);

/* Encoding: a growing buffer capped at @max; any error sticks. */
struct xdr_out {
	uint8_t *buf;
	size_t len, cap, max;
	bool err;
};

void xdr_out_init(struct xdr_out *x, size_t max);
void xdr_out_free(struct xdr_out *x);
void xdr_out_reset(struct xdr_out *x);
void xdr_put_u32(struct xdr_out *x, uint32_t v);
void xdr_put_i32(struct xdr_out *x, int32_t v);
void xdr_put_u64(struct xdr_out *x, uint64_t v);
void xdr_put_fixed(struct xdr_out *x, const void *p, size_t n);
/* @n bytes as they are, no padding (stream data is not XDR) */
void xdr_put_raw(struct xdr_out *x, const void *p, size_t n);
void xdr_put_string(struct xdr_out *x, const char *s);
/* optional string: NULL is absent */
void xdr_put_opt_string(struct xdr_out *x, const char *s);
/* char c[n] / char c<>: each character widened to 4 bytes */
void xdr_put_chars(struct xdr_out *x, const char *s, size_t n);
/* Overwrite 4 bytes at @off (a length word written earlier). */
void xdr_patch_u32(struct xdr_out *x, size_t off, uint32_t v);

/* ---- errors (remote_error) ---------------------------------------------- */

/* virErrorNumber values domusd sends */
enum {
	VIR_ERR_INTERNAL_ERROR = 1,
	VIR_ERR_NO_SUPPORT = 3,
	VIR_ERR_NO_CONNECT = 5,
	VIR_ERR_INVALID_ARG = 8,
	VIR_ERR_OPERATION_FAILED = 9,
	VIR_ERR_XML_ERROR = 27,
	VIR_ERR_RPC = 39,
	VIR_ERR_NO_DOMAIN = 42,
	VIR_ERR_OPERATION_INVALID = 55,
	VIR_ERR_CONFIG_UNSUPPORTED = 67,
	VIR_ERR_ARGUMENT_UNSUPPORTED = 74,
	VIR_ERR_OPERATION_DENIED = 6,
};

/* virErrorDomain values */
enum {
	VIR_FROM_NONE = 0,
	VIR_FROM_DOM = 6,
	VIR_FROM_RPC = 7,
	VIR_FROM_REMOTE = 13,
	VIR_FROM_DOMAIN = 20,
};

struct rpc_error {
	int code, domain;
	char message[512];
};

/* Fill @e; returns -1 (for "return rpc_err(...)"). */
int rpc_err(struct rpc_error *e, int code, int domain, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The remote_error payload of @e. */
void rpc_put_error(struct xdr_out *x, const struct rpc_error *e);

/* ---- the session and the procedures (procs.c) --------------------------- */

struct domus_dominfo;

/*
 * Where the domains come from: the launchers (domusd_backend_ctl) or a
 * test's fakes.  list: every running domain (malloc'ed array, count or
 * -errno); config: a domain's definition as xl.cfg text (0 or -errno).
 */
struct domusd_backend {
	int (*list)(struct domus_dominfo **out);
	int (*config)(const char *name, char **text, size_t *len);
	/* one control request to NAME's launcher: 0 (@reply "ok..."), 1
	 * (@reply: its refusal), or -errno (no answer) */
	int (*request)(const char *name, const char *req, char *reply, size_t len, int timeout_ms);
	/* `domus create [-p] FILE [uuid=UUID]`: 0, or -1 with its last
	 * line of stderr in @err */
	int (*start)(const char *file, const char *uuid, bool paused, char *err, size_t errlen);
	/* attach to NAME's console (@force: take it from its holder): 0
	 * and *@fd, 1 (@reply: the launcher's refusal), or -errno */
	int (*console)(const char *name, bool force, int *fd, char *reply, size_t len);
	/* `domus ARGS...` (NULL-terminated; save, restore): 0, or -1 with
	 * its last line of stderr in @err (runcli.c) */
	int (*cli)(const char *const *args, char *err, size_t errlen);
};
extern const struct domusd_backend domusd_backend_ctl;
/* runcli.c: the backend's cli and start (`domus create -e [-p] FILE uuid=`) */
int domusd_run_cli(const char *const *args, char *err, size_t errlen);
int domusd_start_domain(const char *file, const char *uuid, bool paused, char *err, size_t errlen);

/*
 * The console stream of a session (DOMAIN_OPEN_CONSOLE): the launcher's
 * console connection relayed as STREAM packets of the open call's proc
 * and serial.  One per session.
 */
struct rpc_stream {
	bool open;		/* opened, not yet finished or aborted */
	int fd;			/* the console connection; -1 after its end */
	int32_t proc;
	uint32_t serial;
	unsigned long long dropped;	/* client bytes the console did not take */
};

/* Stream data packets carry at most this many bytes (virsh's own chunk
 * size is below it; libvirt's legacy payload limit far above). */
#define RPC_STREAM_CHUNK	16384
/* How long the relay waits for the console to take client bytes before
 * it drops them (the guest does not read its console). */
#define RPC_STREAM_INPUT_MS	2000

/* The lifecycle event callbacks of a session (events.c). */
#define RPC_EVENT_CB_MAX	64
#define RPC_EVENT_PERIOD_MS	1000	/* how often the domains are compared */
struct rpc_event_cb {
	int32_t id;
	bool has_dom;		/* only this domain's events */
	uint8_t uuid[16];
};
struct rpc_ev_dom;
struct rpc_events {
	int n;
	struct rpc_event_cb cb[RPC_EVENT_CB_MAX];
	int32_t last_id;
	struct rpc_ev_dom *snap;	/* the domains as last seen */
	int nsnap;
	long long next_ms;		/* the next comparison (CLOCK_MONOTONIC) */
};

struct rpc_session {
	const struct domusd_backend *be;
	struct rpc_stream st;
	struct rpc_events ev;
	bool open;		/* CONNECT_OPEN done */
	bool readonly;		/* the read-only socket, or opened read-only */
	bool closed;		/* CONNECT_CLOSE done: close after the reply */
	unsigned long calls;
};

void rpc_session_init(struct rpc_session *s, const struct domusd_backend *be, bool readonly);

/*
 * One whole packet from the client.  The answer (zero or one packet,
 * length word included) is put in @out, to be sent even when the return
 * is -1: close the connection after it (a malformed packet, or after
 * CONNECT_CLOSE); 0: go on.
 */
int rpc_handle_packet(struct rpc_session *s, const uint8_t *pkt, size_t n, struct xdr_out *out);
/* The descriptor to poll for console output, or -1 (stream.c). */
int rpc_stream_fd(const struct rpc_session *s);
/*
 * Console output is readable: one STREAM packet into @out (at most
 * RPC_STREAM_CHUNK bytes of data; at the console's end an empty CONTINUE,
 * virsh's end of file).  1: a packet to send; 0: nothing (EAGAIN).
 */
int rpc_stream_output(struct rpc_session *s, struct xdr_out *out);
/* The session ends: its stream's console connection is closed, its
 * event callbacks dropped. */
void rpc_session_end(struct rpc_session *s);
/* Milliseconds until the session's next event check (-1: it has no
 * event callbacks) (events.c). */
int rpc_events_timeout(const struct rpc_session *s);
/* When due: the lifecycle events since the last check, as MESSAGE
 * packets one after another in @out.  1: packets to send; 0: none. */
int rpc_events_poll(struct rpc_session *s, struct xdr_out *out);
void rpc_events_end(struct rpc_session *s);
/* domusd stopped this run of @d itself: its stop event has @detail
 * (virDomainEventStoppedDetailType: 1 destroyed, 4 saved, ...) in every
 * session; @detail < 0 forgets the note (the stop failed). */
void rpc_events_note_stop(const struct domus_dominfo *d, int detail);
/* domusd restores domain @name (a restore, a start from a managed save):
 * its start event is "restored" (virDomainEventStartedDetailType 2) in
 * every session.  @how 0 before the restore runs (a run of @name started
 * since then matches), 1 once it is done (pinned to @run: its id and
 * start), -1 forgets the note (the restore failed). */
void rpc_events_note_restore(const char *name, const struct domus_dominfo *run, int how);
/* the details domusd notes (virDomainEventStoppedDetailType) */
enum { EV_STOPPED_DESTROYED = 1, EV_STOPPED_SAVED = 4 };

/* Procedure numbers (the REMOTE program) */
enum {
	PROC_CONNECT_OPEN = 1,
	PROC_CONNECT_CLOSE = 2,
	PROC_CONNECT_GET_TYPE = 3,
	PROC_CONNECT_GET_VERSION = 4,
	PROC_CONNECT_GET_MAX_VCPUS = 5,
	PROC_NODE_GET_INFO = 6,
	PROC_CONNECT_GET_CAPABILITIES = 7,
	PROC_DOMAIN_CREATE = 9,
	PROC_DOMAIN_CREATE_XML = 10,
	PROC_DOMAIN_DEFINE_XML = 11,
	PROC_DOMAIN_DESTROY = 12,
	PROC_DOMAIN_GET_XML_DESC = 14,
	PROC_DOMAIN_GET_AUTOSTART = 15,
	PROC_DOMAIN_GET_INFO = 16,
	PROC_DOMAIN_GET_MAX_MEMORY = 17,
	PROC_DOMAIN_GET_MAX_VCPUS = 18,
	PROC_DOMAIN_GET_OS_TYPE = 19,
	PROC_CONNECT_LIST_DEFINED_DOMAINS = 21,
	PROC_DOMAIN_LOOKUP_BY_ID = 22,
	PROC_DOMAIN_LOOKUP_BY_NAME = 23,
	PROC_DOMAIN_LOOKUP_BY_UUID = 24,
	PROC_CONNECT_NUM_OF_DEFINED_DOMAINS = 25,
	PROC_DOMAIN_REBOOT = 27,
	PROC_DOMAIN_RESUME = 28,
	PROC_DOMAIN_SET_AUTOSTART = 29,
	PROC_DOMAIN_SET_MAX_MEMORY = 30,
	PROC_DOMAIN_SET_MEMORY = 31,
	PROC_DOMAIN_SET_VCPUS = 32,
	PROC_DOMAIN_SHUTDOWN = 33,
	PROC_DOMAIN_SUSPEND = 34,
	PROC_DOMAIN_UNDEFINE = 35,
	PROC_CONNECT_LIST_DOMAINS = 37,
	PROC_CONNECT_LIST_NETWORKS = 38,
	PROC_CONNECT_NUM_OF_DOMAINS = 51,
	PROC_CONNECT_NUM_OF_NETWORKS = 52,
	PROC_CONNECT_GET_HOSTNAME = 59,
	PROC_CONNECT_SUPPORTS_FEATURE = 60,
	PROC_AUTH_LIST = 66,
	PROC_NODE_GET_FREE_MEMORY = 102,
	PROC_CONNECT_GET_URI = 110,
	PROC_NODE_GET_SECURITY_MODEL = 122,
	PROC_CONNECT_IS_SECURE = 149,
	PROC_DOMAIN_IS_ACTIVE = 150,
	PROC_DOMAIN_IS_PERSISTENT = 151,
	PROC_CONNECT_GET_LIB_VERSION = 157,
	PROC_DOMAIN_RESTORE = 54,
	PROC_DOMAIN_SAVE = 55,
	PROC_DOMAIN_MANAGED_SAVE = 182,
	PROC_DOMAIN_HAS_MANAGED_SAVE_IMAGE = 183,
	PROC_DOMAIN_MANAGED_SAVE_REMOVE = 184,
	PROC_DOMAIN_SAVE_FLAGS = 232,
	PROC_DOMAIN_RESTORE_FLAGS = 233,
	PROC_DOMAIN_CREATE_WITH_FLAGS = 196,
	PROC_DOMAIN_SET_VCPUS_FLAGS = 199,
	PROC_DOMAIN_OPEN_CONSOLE = 201,
	PROC_DOMAIN_GET_VCPUS_FLAGS = 200,
	PROC_DOMAIN_SET_MEMORY_FLAGS = 204,
	PROC_DOMAIN_GET_STATE = 212,
	PROC_DOMAIN_UNDEFINE_FLAGS = 231,
	PROC_DOMAIN_DESTROY_FLAGS = 234,
	PROC_DOMAIN_SHUTDOWN_FLAGS = 258,
	PROC_CONNECT_LIST_ALL_DOMAINS = 273,
	PROC_DOMAIN_DEFINE_XML_FLAGS = 350,
	PROC_CONNECT_LIST_ALL_NETWORKS = 283,
	PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY = 316,
	PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY = 317,
	PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE = 318,
	PROC_CONNECT_REGISTER_CLOSE_CALLBACK = 360,
	PROC_CONNECT_UNREGISTER_CLOSE_CALLBACK = 361,
};

/* ---- domain XML (domxml.c) ---------------------------------------------- */

struct domus_config;
/*
 * The domain XML of a finished definition (<domain type='xen'>), with the
 * live id (-1: inactive) and the current memory in KiB (0: the
 * definition's).  A malloc'ed NUL-terminated string, or NULL.
 */
char *domusd_domain_xml(const struct domus_config *c, int id, unsigned long long cur_kib);
/* The capabilities XML of this host (malloc'ed, or NULL). */
char *domusd_capabilities_xml(void);
/*
 * Domain XML (@len bytes) -> a finished definition in @cfg (domxml_in.c),
 * with @uuid (if not NULL) when the XML has no <uuid>:
 * 0, or -1 with @code VIR_ERR_XML_ERROR (not well-formed, a required part
 * missing), VIR_ERR_CONFIG_UNSUPPORTED (naming the element or value) or
 * VIR_ERR_INTERNAL_ERROR, and one line in @err.
 */
int domusd_xml_to_config(const char *xml, size_t len, const char *uuid, struct domus_config *cfg, int *code,
			 char *err, size_t errlen);
/* The xl.cfg text of a finished definition (malloc'ed, or NULL). */
char *domusd_config_xl_text(const struct domus_config *cfg);

/* ---- the definition store (store.c) -------------------------------------- */

/* The id of a defined domain that does not run (-1 on the wire). */
#define DOMUSD_INACTIVE 0xffffffffu

const char *domusd_conf_dir(void);
/* DIR/NAME.SUFFIX, the one form of domusd's files of a domain: 0, -EINVAL
 * (a name domus does not take) or -ENAMETOOLONG (store.c); and whether it
 * is a regular file */
int domusd_name_path(char *buf, size_t len, const char *dir, const char *name, const char *suffix);
bool domusd_name_file(const char *dir, const char *name, const char *suffix);
/* CONF_DIR/NAME.cfg; 0 or -errno (a name domus does not take) */
int domusd_def_path(char *buf, size_t len, const char *name);
bool domusd_def_exists(const char *name);
/* The same, and the file's device and inode (0 when there is none). */
bool domusd_def_stat(const char *name, dev_t *dev, ino_t *ino);
/* NAME's definition, finished: 0, or -1 with @err (cfg left empty) */
int domusd_def_load(const char *name, struct domus_config *cfg, char *err, size_t errlen);
void domusd_def_uuid(const struct domus_config *cfg, const char *name, char out[37]);
void domusd_name_uuid(const char *name, char out[37]);
/* @text as CONF_DIR/NAME.cfg (temp + rename): 0, or -1 with @err */
int domusd_def_write(const char *name, const char *text, char *err, size_t errlen);
/* CONF_DIR/NAME.cfg and its autostart link removed: 0 or -errno */
int domusd_def_remove(const char *name);
bool domusd_autostart_get(const char *name);
int domusd_autostart_set(const char *name, bool on);
/* Managed save (procs_save.c): SAVE_DIR/NAME.save ($DOMUS_SAVE_DIR, else
 * /var/lib/domus/save) */
const char *domusd_save_dir(void);
int domusd_managed_path(char *buf, size_t len, const char *name);
bool domusd_managed_exists(const char *name);
/* 0 (removed, or there was none) or -errno */
int domusd_managed_remove(const char *name);
/* The running domains (be->list), then the defined ones that do not run
 * (id DOMUSD_INACTIVE, state "", uuid their own or made from the name). */
int domusd_domains(const struct domusd_backend *be, struct domus_dominfo **out);

#endif
