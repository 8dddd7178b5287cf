// SPDX-License-Identifier: MIT
/*
 * domusd's dispatch: one packet in, zero or one packet out.  The REMOTE
 * program's CALLs go through the procedure table (number -> argument
 * codec, handler, flags); keepalive PINGs get a PONG; anything else a
 * client may send (stream data, other messages) is dropped, except what
 * breaks the framing, which closes the connection.  A procedure not in
 * the table gets VIR_ERR_NO_SUPPORT, so virsh falls back or says so.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "procs.h"

static const struct rpc_proc procs[] = {
	{ PROC_CONNECT_OPEN, "CONNECT_OPEN", ARGS_OPEN, h_connect_open, PROC_BEFORE_OPEN },
	{ PROC_CONNECT_CLOSE, "CONNECT_CLOSE", ARGS_VOID, h_connect_close, PROC_BEFORE_OPEN },
	{ PROC_CONNECT_GET_TYPE, "CONNECT_GET_TYPE", ARGS_VOID, h_get_type, 0 },
	{ PROC_CONNECT_GET_VERSION, "CONNECT_GET_VERSION", ARGS_VOID, h_get_version, 0 },
	{ PROC_CONNECT_GET_LIB_VERSION, "CONNECT_GET_LIB_VERSION", ARGS_VOID, h_get_version, 0 },
	{ PROC_CONNECT_GET_MAX_VCPUS, "CONNECT_GET_MAX_VCPUS", ARGS_OPT_STRING, h_get_max_vcpus, 0 },
	{ PROC_NODE_GET_INFO, "NODE_GET_INFO", ARGS_VOID, h_node_get_info, 0 },
	{ PROC_CONNECT_GET_CAPABILITIES, "CONNECT_GET_CAPABILITIES", ARGS_VOID, h_get_capabilities, 0 },
	{ PROC_CONNECT_GET_HOSTNAME, "CONNECT_GET_HOSTNAME", ARGS_VOID, h_get_hostname, 0 },
	{ PROC_CONNECT_SUPPORTS_FEATURE, "CONNECT_SUPPORTS_FEATURE", ARGS_INT, h_supports_feature, PROC_BEFORE_OPEN },
	{ PROC_AUTH_LIST, "AUTH_LIST", ARGS_VOID, h_auth_list, PROC_BEFORE_OPEN },
	{ PROC_NODE_GET_FREE_MEMORY, "NODE_GET_FREE_MEMORY", ARGS_VOID, h_node_free_memory, 0 },
	{ PROC_CONNECT_GET_URI, "CONNECT_GET_URI", ARGS_VOID, h_get_uri, 0 },
	{ PROC_NODE_GET_SECURITY_MODEL, "NODE_GET_SECURITY_MODEL", ARGS_VOID, h_security_model, 0 },
	{ PROC_CONNECT_IS_SECURE, "CONNECT_IS_SECURE", ARGS_VOID, h_is_secure, 0 },
	{ PROC_CONNECT_REGISTER_CLOSE_CALLBACK, "CONNECT_REGISTER_CLOSE_CALLBACK", ARGS_VOID, h_void, 0 },
	{ PROC_CONNECT_UNREGISTER_CLOSE_CALLBACK, "CONNECT_UNREGISTER_CLOSE_CALLBACK", ARGS_VOID, h_void, 0 },
	{ PROC_CONNECT_NUM_OF_NETWORKS, "CONNECT_NUM_OF_NETWORKS", ARGS_VOID, h_zero, 0 },
	{ PROC_CONNECT_LIST_NETWORKS, "CONNECT_LIST_NETWORKS", ARGS_INT, h_empty_list, 0 },
	{ PROC_CONNECT_LIST_ALL_NETWORKS, "CONNECT_LIST_ALL_NETWORKS", ARGS_INT_FLAGS, h_list_all_networks, 0 },
	{ PROC_CONNECT_LIST_ALL_DOMAINS, "CONNECT_LIST_ALL_DOMAINS", ARGS_INT_FLAGS, h_list_all_domains, 0 },
	{ PROC_CONNECT_NUM_OF_DOMAINS, "CONNECT_NUM_OF_DOMAINS", ARGS_VOID, h_num_of_domains, 0 },
	{ PROC_CONNECT_LIST_DOMAINS, "CONNECT_LIST_DOMAINS", ARGS_INT, h_list_domains, 0 },
	{ PROC_CONNECT_NUM_OF_DEFINED_DOMAINS, "CONNECT_NUM_OF_DEFINED_DOMAINS", ARGS_VOID, h_num_defined, 0 },
	{ PROC_CONNECT_LIST_DEFINED_DOMAINS, "CONNECT_LIST_DEFINED_DOMAINS", ARGS_INT, h_list_defined, 0 },
	{ PROC_DOMAIN_LOOKUP_BY_ID, "DOMAIN_LOOKUP_BY_ID", ARGS_INT, h_lookup_by_id, 0 },
	{ PROC_DOMAIN_LOOKUP_BY_NAME, "DOMAIN_LOOKUP_BY_NAME", ARGS_STRING, h_lookup_by_name, 0 },
	{ PROC_DOMAIN_LOOKUP_BY_UUID, "DOMAIN_LOOKUP_BY_UUID", ARGS_UUID, h_lookup_by_uuid, 0 },
	{ PROC_DOMAIN_GET_INFO, "DOMAIN_GET_INFO", ARGS_DOM, h_dom_info, 0 },
	{ PROC_DOMAIN_GET_STATE, "DOMAIN_GET_STATE", ARGS_DOM_FLAGS, h_dom_state, 0 },
	{ PROC_DOMAIN_IS_ACTIVE, "DOMAIN_IS_ACTIVE", ARGS_DOM, h_dom_is_active, 0 },
	{ PROC_DOMAIN_IS_PERSISTENT, "DOMAIN_IS_PERSISTENT", ARGS_DOM, h_dom_persistent, 0 },
	{ PROC_DOMAIN_GET_AUTOSTART, "DOMAIN_GET_AUTOSTART", ARGS_DOM, h_dom_get_autostart, 0 },
	{ PROC_DOMAIN_HAS_MANAGED_SAVE_IMAGE, "DOMAIN_HAS_MANAGED_SAVE_IMAGE", ARGS_DOM_FLAGS, h_has_managed_save, 0 },
	{ PROC_DOMAIN_GET_OS_TYPE, "DOMAIN_GET_OS_TYPE", ARGS_DOM, h_dom_os_type, 0 },
	{ PROC_DOMAIN_GET_MAX_MEMORY, "DOMAIN_GET_MAX_MEMORY", ARGS_DOM, h_dom_max_memory, 0 },
	{ PROC_DOMAIN_GET_MAX_VCPUS, "DOMAIN_GET_MAX_VCPUS", ARGS_DOM, h_dom_max_vcpus, 0 },
	{ PROC_DOMAIN_GET_VCPUS_FLAGS, "DOMAIN_GET_VCPUS_FLAGS", ARGS_DOM_FLAGS, h_dom_vcpus_flags, 0 },
	{ PROC_DOMAIN_GET_XML_DESC, "DOMAIN_GET_XML_DESC", ARGS_DOM_FLAGS, h_dom_xml, 0 },
	/* the lifecycle (procs_life.c): all change state */
	{ PROC_DOMAIN_DEFINE_XML, "DOMAIN_DEFINE_XML", ARGS_STRING, h_define_xml, PROC_WRITE },
	{ PROC_DOMAIN_DEFINE_XML_FLAGS, "DOMAIN_DEFINE_XML_FLAGS", ARGS_STRING_FLAGS, h_define_xml, PROC_WRITE },
	{ PROC_DOMAIN_UNDEFINE, "DOMAIN_UNDEFINE", ARGS_DOM, h_undefine, PROC_WRITE },
	{ PROC_DOMAIN_UNDEFINE_FLAGS, "DOMAIN_UNDEFINE_FLAGS", ARGS_DOM_FLAGS, h_undefine, PROC_WRITE },
	{ PROC_DOMAIN_CREATE, "DOMAIN_CREATE", ARGS_DOM, h_create, PROC_WRITE },
	{ PROC_DOMAIN_CREATE_WITH_FLAGS, "DOMAIN_CREATE_WITH_FLAGS", ARGS_DOM_FLAGS, h_create_flags, PROC_WRITE },
	{ PROC_DOMAIN_CREATE_XML, "DOMAIN_CREATE_XML", ARGS_STRING_FLAGS, h_create_xml, PROC_WRITE },
	{ PROC_DOMAIN_DESTROY, "DOMAIN_DESTROY", ARGS_DOM, h_destroy, PROC_WRITE },
	{ PROC_DOMAIN_DESTROY_FLAGS, "DOMAIN_DESTROY_FLAGS", ARGS_DOM_FLAGS, h_destroy, PROC_WRITE },
	{ PROC_DOMAIN_SHUTDOWN, "DOMAIN_SHUTDOWN", ARGS_DOM, h_shutdown, PROC_WRITE },
	{ PROC_DOMAIN_SHUTDOWN_FLAGS, "DOMAIN_SHUTDOWN_FLAGS", ARGS_DOM_FLAGS, h_shutdown, PROC_WRITE },
	{ PROC_DOMAIN_REBOOT, "DOMAIN_REBOOT", ARGS_DOM_FLAGS, h_reboot, PROC_WRITE },
	{ PROC_DOMAIN_SUSPEND, "DOMAIN_SUSPEND", ARGS_DOM, h_suspend, PROC_WRITE },
	{ PROC_DOMAIN_RESUME, "DOMAIN_RESUME", ARGS_DOM, h_resume, PROC_WRITE },
	{ PROC_DOMAIN_SET_MEMORY, "DOMAIN_SET_MEMORY", ARGS_DOM_U64, h_set_memory, PROC_WRITE },
	{ PROC_DOMAIN_SET_MAX_MEMORY, "DOMAIN_SET_MAX_MEMORY", ARGS_DOM_U64, h_set_max_memory, PROC_WRITE },
	{ PROC_DOMAIN_SET_MEMORY_FLAGS, "DOMAIN_SET_MEMORY_FLAGS", ARGS_DOM_U64_FLAGS, h_set_memory_flags, PROC_WRITE },
	{ PROC_DOMAIN_SET_VCPUS, "DOMAIN_SET_VCPUS", ARGS_DOM_U32, h_set_vcpus, PROC_WRITE },
	{ PROC_DOMAIN_SET_VCPUS_FLAGS, "DOMAIN_SET_VCPUS_FLAGS", ARGS_DOM_U32_FLAGS, h_set_vcpus_flags, PROC_WRITE },
	{ PROC_DOMAIN_SET_AUTOSTART, "DOMAIN_SET_AUTOSTART", ARGS_DOM_INT, h_set_autostart, PROC_WRITE },
	/* save and restore (procs_save.c) */
	{ PROC_DOMAIN_SAVE, "DOMAIN_SAVE", ARGS_DOM_STRING, h_save, PROC_WRITE },
	{ PROC_DOMAIN_SAVE_FLAGS, "DOMAIN_SAVE_FLAGS", ARGS_DOM_STRING_OPT_STRING_FLAGS, h_save, PROC_WRITE },
	{ PROC_DOMAIN_RESTORE, "DOMAIN_RESTORE", ARGS_STRING, h_restore, PROC_WRITE },
	{ PROC_DOMAIN_RESTORE_FLAGS, "DOMAIN_RESTORE_FLAGS", ARGS_STRING_OPT_STRING_FLAGS, h_restore, PROC_WRITE },
	{ PROC_DOMAIN_MANAGED_SAVE, "DOMAIN_MANAGED_SAVE", ARGS_DOM_FLAGS, h_managed_save, PROC_WRITE },
	{ PROC_DOMAIN_MANAGED_SAVE_REMOVE, "DOMAIN_MANAGED_SAVE_REMOVE", ARGS_DOM_FLAGS, h_managed_save_remove,
	  PROC_WRITE },
	/* lifecycle events (events.c) */
	{ PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, "CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY", ARGS_INT_OPT_DOM,
	  h_event_register, 0 },
	{ PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY, "CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY", ARGS_INT,
	  h_event_deregister, 0 },
	/* the console stream (stream.c); libvirt refuses it read-only too */
	{ PROC_DOMAIN_OPEN_CONSOLE, "DOMAIN_OPEN_CONSOLE", ARGS_DOM_OPT_STRING_FLAGS, h_open_console, PROC_WRITE },
};

void rpc_session_init(struct rpc_session *s, const struct domusd_backend *be, bool readonly)
{
	memset(s, 0, sizeof(*s));
	s->st.fd = -1;
	s->be = be;
	s->readonly = readonly;
}

static const struct rpc_proc *find_proc(int32_t proc)
{
	size_t i;

	for (i = 0; i < sizeof(procs) / sizeof(procs[0]); i++)
		if (procs[i].proc == proc)
			return &procs[i];
	return NULL;
}

/* Decode @x by @kind into @a; false if malformed (or trailing bytes). */
static bool decode_args(enum rpc_args_kind kind, struct xdr_in *x, struct rpc_args *a)
{
	switch (kind) {
	case ARGS_VOID:
		break;
	case ARGS_OPEN:
		xdr_get_opt_string(x, RPC_STRING_MAX, &a->str);
		a->flags = xdr_get_u32(x);
		break;
	case ARGS_INT:
		a->i = xdr_get_i32(x);
		break;
	case ARGS_STRING:
		a->str = xdr_get_string(x, RPC_STRING_MAX);
		break;
	case ARGS_OPT_STRING:
		xdr_get_opt_string(x, RPC_STRING_MAX, &a->str);
		break;
	case ARGS_UUID:
		xdr_get_fixed(x, a->uuid, 16);
		break;
	case ARGS_INT_FLAGS:
		a->i = xdr_get_i32(x);
		a->flags = xdr_get_u32(x);
		break;
	case ARGS_STRING_FLAGS:
		a->str = xdr_get_string(x, RPC_STRING_MAX);
		a->flags = xdr_get_u32(x);
		break;
	case ARGS_STRING_OPT_STRING_FLAGS:
		a->str = xdr_get_string(x, RPC_STRING_MAX);
		xdr_get_opt_string(x, RPC_STRING_MAX, &a->str2);
		a->flags = xdr_get_u32(x);
		break;
	case ARGS_INT_OPT_DOM:
		a->i = xdr_get_i32(x);
		a->has_dom = xdr_get_u32(x) != 0;
		if (a->has_dom) {
			a->dom.name = xdr_get_string(x, RPC_STRING_MAX);
			xdr_get_fixed(x, a->dom.uuid, 16);
			a->dom.id = xdr_get_i32(x);
		}
		break;
	case ARGS_DOM:
	case ARGS_DOM_FLAGS:
	case ARGS_DOM_INT:
	case ARGS_DOM_U32:
	case ARGS_DOM_U32_FLAGS:
	case ARGS_DOM_U64:
	case ARGS_DOM_U64_FLAGS:
	case ARGS_DOM_OPT_STRING_FLAGS:
	case ARGS_DOM_STRING:
	case ARGS_DOM_STRING_OPT_STRING_FLAGS:
		a->dom.name = xdr_get_string(x, RPC_STRING_MAX);
		xdr_get_fixed(x, a->dom.uuid, 16);
		a->dom.id = xdr_get_i32(x);
		if (kind == ARGS_DOM_INT)
			a->i = xdr_get_i32(x);
		if (kind == ARGS_DOM_U32 || kind == ARGS_DOM_U32_FLAGS)
			a->v = xdr_get_u32(x);
		if (kind == ARGS_DOM_U64 || kind == ARGS_DOM_U64_FLAGS)
			a->v = xdr_get_u64(x);
		if (kind == ARGS_DOM_OPT_STRING_FLAGS)
			xdr_get_opt_string(x, RPC_STRING_MAX, &a->str);
		if (kind == ARGS_DOM_STRING || kind == ARGS_DOM_STRING_OPT_STRING_FLAGS)
			a->str = xdr_get_string(x, RPC_STRING_MAX);
		if (kind == ARGS_DOM_STRING_OPT_STRING_FLAGS)
			xdr_get_opt_string(x, RPC_STRING_MAX, &a->str2);
		if (kind == ARGS_DOM_FLAGS || kind == ARGS_DOM_U32_FLAGS || kind == ARGS_DOM_U64_FLAGS ||
		    kind == ARGS_DOM_OPT_STRING_FLAGS || kind == ARGS_DOM_STRING_OPT_STRING_FLAGS)
			a->flags = xdr_get_u32(x);
		break;
	}
	return xdr_in_done(x);
}

void rpc_put_header(struct xdr_out *out, const struct rpc_header *h)
{
	xdr_put_u32(out, 0);		/* the length, patched at the end */
	xdr_put_u32(out, h->prog);
	xdr_put_u32(out, h->vers);
	xdr_put_i32(out, h->proc);
	xdr_put_u32(out, h->type);
	xdr_put_u32(out, h->serial);
	xdr_put_u32(out, h->status);
}

void rpc_finish_packet(struct xdr_out *out)
{
	xdr_patch_u32(out, 0, (uint32_t)out->len);
}

/* An error REPLY to the call @h. */
static void reply_error(struct xdr_out *out, const struct rpc_header *call, const struct rpc_error *e)
{
	struct rpc_header h = *call;

	h.type = RPC_REPLY;
	h.status = RPC_ERROR;
	xdr_out_reset(out);
	rpc_put_header(out, &h);
	rpc_put_error(out, e);
	rpc_finish_packet(out);
}

/* Run the procedure of the CALL @h on its payload; the reply into @out.
 * Returns 0, or -1 when the arguments were malformed (the reply says
 * so, then the connection is closed). */
static int call(struct rpc_session *s, const struct rpc_header *h, const uint8_t *p, size_t n,
		struct xdr_out *out)
{
	const struct rpc_proc *pr = find_proc(h->proc);
	struct rpc_args a;
	struct rpc_error e = { 0, 0, "" };
	struct domus_dominfo *v = NULL;
	struct rpc_header rh = *h;
	struct xdr_in x;
	int r = -1, nv, k;

	memset(&a, 0, sizeof(a));
	xdr_out_reset(out);
	if (h->prog != RPC_PROG_REMOTE) {
		rpc_err(&e, VIR_ERR_NO_SUPPORT, VIR_FROM_REMOTE, "this function is not supported by domusd: program 0x%x",
			(unsigned int)h->prog);
		reply_error(out, h, &e);
		return 0;
	}
	if (h->vers != RPC_VERS) {
		rpc_err(&e, VIR_ERR_RPC, VIR_FROM_RPC, "domusd: program version %u is not supported (1 is)",
			(unsigned int)h->vers);
		reply_error(out, h, &e);
		return 0;
	}
	if (!pr) {
		rpc_err(&e, VIR_ERR_NO_SUPPORT, VIR_FROM_REMOTE,
			"this function is not supported by the connection driver: procedure %d is not implemented by domusd",
			(int)h->proc);
		reply_error(out, h, &e);
		return 0;
	}
	xdr_in_init(&x, p, n);
	if (!decode_args(pr->args, &x, &a)) {
		rpc_err(&e, VIR_ERR_RPC, VIR_FROM_RPC, "domusd: malformed arguments of %s", pr->name);
		reply_error(out, h, &e);
		goto out;
	}
	s->calls++;
	if (!s->open && !(pr->flags & PROC_BEFORE_OPEN)) {
		rpc_err(&e, VIR_ERR_RPC, VIR_FROM_RPC, "domusd: %s before CONNECT_OPEN: open the connection first",
			pr->name);
		reply_error(out, h, &e);
		r = 0;
		goto out;
	}
	if (s->readonly && (pr->flags & PROC_WRITE)) {
		rpc_err(&e, VIR_ERR_OPERATION_DENIED, VIR_FROM_REMOTE,
			"operation forbidden: %s needs a read-write connection", pr->name);
		reply_error(out, h, &e);
		r = 0;
		goto out;
	}
	{
		struct rpc_call c = { s, &a, NULL, out, &e, h };

		if (pr->args >= ARGS_DOM && pr->args != ARGS_STRING_FLAGS && pr->args != ARGS_INT_OPT_DOM &&
		    pr->args != ARGS_STRING_OPT_STRING_FLAGS) {
			nv = domusd_domains(s->be, &v);
			k = nv < 0 ? -1 : domusd_dom_match(v, nv, a.dom.name, a.dom.uuid);
			if (k < 0) {
				rpc_err(&e, VIR_ERR_NO_DOMAIN, VIR_FROM_DOM,
					"Domain not found: no domain with matching uuid or name '%.64s'", a.dom.name);
				reply_error(out, h, &e);
				r = 0;
				goto out;
			}
			c.dom = &v[k];
		}
		rh.type = RPC_REPLY;
		rh.status = RPC_OK;
		rpc_put_header(out, &rh);
		if (pr->fn(&c) || out->err) {
			if (!e.code)
				rpc_err(&e, VIR_ERR_INTERNAL_ERROR, VIR_FROM_NONE, "domusd: %s: reply too large or out of memory",
					pr->name);
			reply_error(out, h, &e);
		} else {
			rpc_finish_packet(out);
		}
	}
	r = 0;
out:
	free(v);
	free(a.str);
	free(a.str2);
	free(a.dom.name);
	return r;
}

int rpc_handle_packet(struct rpc_session *s, const uint8_t *pkt, size_t n, struct xdr_out *out)
{
	struct rpc_header h;
	const uint8_t *p;
	size_t plen;

	xdr_out_reset(out);
	if (rpc_frame_parse(pkt, n, &h, &p, &plen))
		return -1;
	switch (h.type) {
	case RPC_CALL:
		if (h.status != RPC_OK)
			return -1;
		if (call(s, &h, p, plen, out))
			return -1;
		return s->closed ? -1 : 0;
	case RPC_MESSAGE:
		if (h.prog == RPC_PROG_KEEPALIVE && h.proc == RPC_KEEPALIVE_PING) {
			if (plen)
				return -1;
			h.proc = RPC_KEEPALIVE_PONG;
			h.serial = 0;
			h.status = RPC_OK;
			rpc_put_header(out, &h);
			rpc_finish_packet(out);
		}
		return 0;	/* PONG and other messages: nothing to do */
	case RPC_STREAM:
		return rpc_stream_packet(s, &h, p, plen, out);
	case RPC_STREAM_HOLE:
		return 0;	/* holes are for files, not consoles: dropped */
	default:
		return -1;	/* replies, fd passing: not from a client */
	}
}
