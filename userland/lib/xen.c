// SPDX-License-Identifier: MIT
/*
 * libdomus: the Xen personality's ioctls on a domain fd (uapi/domus.h:
 * DOMUS_XEN_SET_PARAM, DOMUS_XEN_GET_PARAM, DOMUS_XEN_EVTCHN_BIND,
 * DOMUS_XEN_EVTCHN_NOTIFY, DOMUS_XEN_GET/SET_VCPU_STATE) and the grant-table
 * mapping.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include "libdomus.h"

int domus_xen_set_param(int domfd, uint32_t index, uint64_t value)
{
	struct domus_xen_param p;

	memset(&p, 0, sizeof(p));
	p.index = index;
	p.value = value;
	if (ioctl(domfd, DOMUS_XEN_SET_PARAM, &p) < 0)
		return domus_set_error(errno, "DOMUS_XEN_SET_PARAM %u failed: %s", index, strerror(errno));
	return 0;
}

int domus_xen_get_param(int domfd, uint32_t index, uint64_t *value)
{
	struct domus_xen_param p;

	memset(&p, 0, sizeof(p));
	p.index = index;
	if (ioctl(domfd, DOMUS_XEN_GET_PARAM, &p) < 0)
		return domus_set_error(errno, "DOMUS_XEN_GET_PARAM %u failed: %s", index, strerror(errno));
	*value = p.value;
	return 0;
}

int domus_xen_evtchn_bind(int domfd, struct domus_xen_evtchn_bind *b)
{
	if (ioctl(domfd, DOMUS_XEN_EVTCHN_BIND, b) < 0)
		return domus_set_error(errno, "DOMUS_XEN_EVTCHN_BIND failed: %s", strerror(errno));
	return 0;
}

int domus_xen_evtchn_connect(int domfd, int notify_fd, int kick_fd, uint32_t *port)
{
	struct domus_xen_evtchn_bind b;
	int r;

	memset(&b, 0, sizeof(b));
	b.notify_fd = notify_fd;
	b.kick_fd = kick_fd;
	r = domus_xen_evtchn_bind(domfd, &b);
	if (!r)
		*port = b.port;
	return r;
}

int domus_xen_evtchn_notify(int domfd, uint32_t port)
{
	struct domus_xen_evtchn_notify n;

	memset(&n, 0, sizeof(n));
	n.port = port;
	if (ioctl(domfd, DOMUS_XEN_EVTCHN_NOTIFY, &n) < 0)
		return domus_set_error(errno, "DOMUS_XEN_EVTCHN_NOTIFY (port %u) failed: %s", port, strerror(errno));
	return 0;
}

int domus_xen_gnttab_limit(int domfd, uint32_t max_version)
{
	struct domus_xen_gnttab_limit l;

	memset(&l, 0, sizeof(l));
	l.max_version = max_version;
	if (ioctl(domfd, DOMUS_XEN_GNTTAB_LIMIT, &l) < 0)
		return domus_set_error(errno, "DOMUS_XEN_GNTTAB_LIMIT (%u) failed: %s", max_version, strerror(errno));
	return 0;
}

int domus_xen_vcpu_state(int domfd, uint32_t vcpu, uint32_t *flags, bool set)
{
	struct domus_xen_vcpu_state st;
	unsigned long cmd = set ? DOMUS_XEN_SET_VCPU_STATE : DOMUS_XEN_GET_VCPU_STATE;

	memset(&st, 0, sizeof(st));
	st.vcpu = vcpu;
	st.flags = set ? *flags : 0;
	if (ioctl(domfd, cmd, &st) < 0)
		return domus_set_error(errno, "DOMUS_XEN_%s_VCPU_STATE (vCPU %u) failed: %s", set ? "SET" : "GET",
				       vcpu, strerror(errno));
	*flags = st.flags;
	return 0;
}

void *domus_xen_map_grant_table(int domfd, unsigned int frames)
{
	void *p = mmap(NULL, (size_t)frames * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, domfd,
		       DOMUS_XEN_GNTTAB_MMAP_OFFSET);

	if (p == MAP_FAILED) {
		domus_set_error(errno, "mmap of %u grant-table frames failed: %s", frames, strerror(errno));
		return NULL;
	}
	return p;
}
