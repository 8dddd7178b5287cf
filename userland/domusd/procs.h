/* SPDX-License-Identifier: MIT */
/*
 * domusd's procedure table (procs.c) and its handlers (procs_conn.c:
 * connection and node; procs_dom.c: domains).  The dispatcher decodes
 * the arguments by the entry's argument codec, resolves the domain of
 * the DOM codecs, calls the handler, which encodes the reply.
 */
#ifndef DOMUSD_PROCS_H
#define DOMUSD_PROCS_H

#include "ctl.h"
#include "rpc.h"

/* Argument codecs (the procedure's XDR argument struct). */
enum rpc_args_kind {
	ARGS_VOID,		/* (void) */
	ARGS_OPEN,		/* remote_string name; unsigned flags */
	ARGS_INT,		/* int */
	ARGS_STRING,		/* remote_nonnull_string */
	ARGS_OPT_STRING,	/* remote_string */
	ARGS_UUID,		/* remote_uuid */
	ARGS_INT_FLAGS,		/* int need_results; unsigned flags */
	ARGS_DOM,		/* remote_nonnull_domain */
	ARGS_DOM_FLAGS,		/* remote_nonnull_domain; unsigned flags */
	ARGS_DOM_INT,		/* remote_nonnull_domain; int */
	ARGS_DOM_U32,		/* remote_nonnull_domain; unsigned */
	ARGS_DOM_U32_FLAGS,	/* remote_nonnull_domain; unsigned; unsigned flags */
	ARGS_DOM_U64,		/* remote_nonnull_domain; unsigned hyper */
	ARGS_DOM_U64_FLAGS,	/* remote_nonnull_domain; unsigned hyper; unsigned flags */
	ARGS_STRING_FLAGS,	/* remote_nonnull_string; unsigned flags */
	ARGS_DOM_OPT_STRING_FLAGS,	/* remote_nonnull_domain; remote_string; unsigned flags */
	ARGS_INT_OPT_DOM,	/* int; remote_domain (not resolved: has_dom, dom) */
	ARGS_DOM_STRING,	/* remote_nonnull_domain; remote_nonnull_string (str) */
	ARGS_DOM_STRING_OPT_STRING_FLAGS,	/* ...; remote_nonnull_string; remote_string (str2); unsigned flags */
	ARGS_STRING_OPT_STRING_FLAGS,	/* remote_nonnull_string; remote_string (str2); unsigned flags */
};

struct rpc_args {
	char *str;			/* STRING, OPT_STRING, OPEN, DOM_OPT_STRING_FLAGS (NULL: absent) */
	char *str2;			/* the second string of *_STRING_OPT_STRING_FLAGS (NULL: absent) */
	int32_t i;			/* INT, INT_FLAGS, DOM_INT */
	uint64_t v;			/* DOM_U32*, DOM_U64* */
	uint32_t flags;			/* OPEN, INT_FLAGS, DOM_FLAGS */
	uint8_t uuid[16];		/* UUID */
	bool has_dom;			/* INT_OPT_DOM: the domain is there */
	struct {
		char *name;
		uint8_t uuid[16];
		int32_t id;
	} dom;				/* DOM, DOM_FLAGS */
};

struct rpc_call {
	struct rpc_session *s;
	const struct rpc_args *a;
	struct domus_dominfo *dom;	/* the DOM codecs: the domain named */
	struct xdr_out *ret;		/* the reply payload */
	struct rpc_error *err;
	const struct rpc_header *h;	/* the CALL's header */
};

typedef int (*rpc_handler)(struct rpc_call *c);

enum {
	PROC_BEFORE_OPEN = 1 << 0,	/* allowed before CONNECT_OPEN */
	PROC_WRITE = 1 << 1,		/* refused on a read-only connection */
};

struct rpc_proc {
	int32_t proc;
	const char *name;
	enum rpc_args_kind args;
	rpc_handler fn;
	unsigned int flags;
};

/* procs_conn.c */
int h_connect_open(struct rpc_call *c);
int h_connect_close(struct rpc_call *c);
int h_get_type(struct rpc_call *c);
int h_get_version(struct rpc_call *c);
int h_get_max_vcpus(struct rpc_call *c);
int h_node_get_info(struct rpc_call *c);
int h_get_capabilities(struct rpc_call *c);
int h_get_hostname(struct rpc_call *c);
int h_supports_feature(struct rpc_call *c);
int h_auth_list(struct rpc_call *c);
int h_node_free_memory(struct rpc_call *c);
int h_get_uri(struct rpc_call *c);
int h_security_model(struct rpc_call *c);
int h_is_secure(struct rpc_call *c);
int h_void(struct rpc_call *c);
int h_zero(struct rpc_call *c);
int h_empty_list(struct rpc_call *c);
int h_list_all_networks(struct rpc_call *c);

/* procs_dom.c */
int h_list_all_domains(struct rpc_call *c);
int h_num_of_domains(struct rpc_call *c);
int h_list_domains(struct rpc_call *c);
int h_list_defined(struct rpc_call *c);
int h_lookup_by_id(struct rpc_call *c);
int h_lookup_by_name(struct rpc_call *c);
int h_lookup_by_uuid(struct rpc_call *c);
int h_dom_info(struct rpc_call *c);
int h_dom_state(struct rpc_call *c);
int h_dom_is_active(struct rpc_call *c);
int h_dom_zero(struct rpc_call *c);
int h_dom_zero_flags(struct rpc_call *c);
int h_dom_os_type(struct rpc_call *c);
int h_dom_max_memory(struct rpc_call *c);
int h_dom_max_vcpus(struct rpc_call *c);
int h_dom_vcpus_flags(struct rpc_call *c);
int h_dom_xml(struct rpc_call *c);
int h_dom_persistent(struct rpc_call *c);
int h_dom_get_autostart(struct rpc_call *c);
int h_num_defined(struct rpc_call *c);
/* The virDomainState and reason of a listed domain (inactive: shut off;
 * running: restored or migrated as the launcher's started= says). */
void domusd_dom_state_of(const struct domus_dominfo *d, int *state, int *reason);
/* The domain's definition, finished (the launcher's, or CONF_DIR's when
 * it does not run): 0, or -1 with the error set. */
struct domus_config;
int domusd_dom_config(struct rpc_call *c, struct domus_config *cfg);
/* remote_nonnull_domain of @d */
void domusd_put_dom(struct xdr_out *x, const struct domus_dominfo *d);

/* procs_life.c: define, undefine, start, stop, pause, memory, vCPUs */
int h_define_xml(struct rpc_call *c);
int h_undefine(struct rpc_call *c);
int h_create(struct rpc_call *c);
int h_create_flags(struct rpc_call *c);
int h_create_xml(struct rpc_call *c);
int h_destroy(struct rpc_call *c);
int h_shutdown(struct rpc_call *c);
int h_reboot(struct rpc_call *c);
int h_suspend(struct rpc_call *c);
int h_resume(struct rpc_call *c);
int h_set_memory(struct rpc_call *c);
int h_set_max_memory(struct rpc_call *c);
int h_set_memory_flags(struct rpc_call *c);
int h_set_vcpus(struct rpc_call *c);
int h_set_vcpus_flags(struct rpc_call *c);
int h_set_autostart(struct rpc_call *c);
/* procs_life.c: a start of a domain with a managed save restores it
 * (procs_save.c): 0 restored, 1 no image (boot it), -1 error set */
int domusd_managed_start(struct rpc_call *c, bool paused);

/* procs_save.c: save, restore, managed save */
int h_save(struct rpc_call *c);
int h_restore(struct rpc_call *c);
int h_managed_save(struct rpc_call *c);
int h_has_managed_save(struct rpc_call *c);
int h_managed_save_remove(struct rpc_call *c);

/* stream.c: the console stream */
int h_open_console(struct rpc_call *c);
/* events.c: lifecycle event callbacks */
int h_event_register(struct rpc_call *c);
int h_event_deregister(struct rpc_call *c);
/* a STREAM packet from the client (rpc_handle_packet): 0 */
int rpc_stream_packet(struct rpc_session *s, const struct rpc_header *h, const uint8_t *p, size_t n,
		      struct xdr_out *out);

/* procs.c: the packet's header (length patched by rpc_finish_packet) */
void rpc_put_header(struct xdr_out *out, const struct rpc_header *h);
void rpc_finish_packet(struct xdr_out *out);

/* "8-4-4-4-12" hex into 16 bytes; 0 or -1. */
int domusd_uuid_parse(const char *s, uint8_t out[16]);
/* virDomainState and its reason of a domain's xl state letters. */
void domusd_dom_state(const char *xl_state, int *state, int *reason);
/* The domain of a DOM codec among @v: its index, or -1. */
int domusd_dom_match(const struct domus_dominfo *v, int n, const char *name, const uint8_t uuid[16]);

#endif
