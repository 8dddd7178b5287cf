/* SPDX-License-Identifier: MIT */
/*
 * The hostile front ends' common part (pv-blkfuzz.c, pv-netfuzz.c): run in
 * a domus guest, they take a device away from the guest kernel's front end
 * (sysfs unbind) and talk to domus's back end themselves through the
 * guest kernel's user interfaces: /dev/xen/xenbus for xenstore,
 * /dev/xen/gntalloc for grants, /dev/xen/evtchn for the event channel.
 * Header-only: each program is one file.
 */
#ifndef PVFRONT_H
#define PVFRONT_H

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
typedef uint16_t domid_t;	/* the uapi headers expect Xen's type */
#include <xen/evtchn.h>
#include <xen/gntalloc.h>
#include "xen_abi.h"

#define XS_READ		2
#define XS_WRITE	11
#define XS_ERROR	16

struct pvfront {
	const char *tag;		/* output prefix: "BLKFUZZ" */
	int xs_fd, ev_fd, gnt_fd;
	char fe[100], be[200];
	uint32_t port;			/* our event channel */
	uint8_t *mem;			/* the granted pages */
	uint32_t *grefs;
};

static inline int pv_xs(struct pvfront *p, uint32_t type, const char *a, const char *b, char *out, size_t outlen)
{
	char buf[4096 + 16];
	struct xs_msg_hdr h;
	size_t la = strlen(a) + 1, lb = b ? strlen(b) : 0;
	ssize_t n;

	memset(&h, 0, sizeof(h));
	h.type = type;
	h.len = (uint32_t)(la + lb);
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), a, la);
	if (b)
		memcpy(buf + sizeof(h) + la, b, lb);
	if (write(p->xs_fd, buf, sizeof(h) + la + lb) < 0)
		return -1;
	n = read(p->xs_fd, buf, sizeof(buf) - 1);
	if (n < (ssize_t)sizeof(h))
		return -1;
	memcpy(&h, buf, sizeof(h));
	buf[n] = 0;
	if (h.type == XS_ERROR)
		return -1;
	if (out)
		snprintf(out, outlen, "%s", buf + sizeof(h));
	return 0;
}

/* Write @key (under the front end's directory) = @fmt... */
__attribute__((format(printf, 3, 4)))
static inline int pv_fe_write(struct pvfront *p, const char *key, const char *fmt, ...)
{
	char path[200], v[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/%s", p->fe, key);
	return pv_xs(p, XS_WRITE, path, v, NULL, 0);
}

static inline int pv_fe_read(struct pvfront *p, const char *key, char *out, size_t outlen)
{
	char path[200];

	snprintf(path, sizeof(path), "%s/%s", p->fe, key);
	return pv_xs(p, XS_READ, path, NULL, out, outlen);
}

/* One more page granted to @domid (@writable or read-only); its address,
 * or NULL. */
static inline uint8_t *pv_grant(struct pvfront *p, uint16_t domid, int writable, uint32_t *gref)
{
	struct ioctl_gntalloc_alloc_gref ga;
	uint8_t *m;

	memset(&ga, 0, sizeof(ga));
	ga.domid = domid;
	ga.flags = writable ? GNTALLOC_FLAG_WRITABLE : 0;
	ga.count = 1;
	if (ioctl(p->gnt_fd, IOCTL_GNTALLOC_ALLOC_GREF, &ga))
		return NULL;
	*gref = ga.gref_ids[0];
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, p->gnt_fd, (off_t)ga.index);
	return m == MAP_FAILED ? NULL : m;
}

static inline int pv_be_state(struct pvfront *p)
{
	char path[220], v[32];

	snprintf(path, sizeof(path), "%s/state", p->be);
	return pv_xs(p, XS_READ, path, NULL, v, sizeof(v)) ? -1 : atoi(v);
}

static inline int pv_wait_be(struct pvfront *p, int want, int secs)
{
	int i;

	for (i = 0; i < secs * 20; i++) {
		if (pv_be_state(p) == want)
			return 0;
		usleep(50000);
	}
	return -1;
}

static inline void pv_kick(struct pvfront *p)
{
	struct ioctl_evtchn_notify n = { .port = p->port };

	ioctl(p->ev_fd, IOCTL_EVTCHN_NOTIFY, &n);
}

static inline volatile uint32_t *pv_field(uint8_t *ring, unsigned int off) { return (volatile uint32_t *)(ring + off); }

/*
 * Take device @type/@devid from the guest's @driver (sysfs name, e.g.
 * "vbd"), bring the back end to InitWait, grant @npages pages to dom0 and
 * bind an unbound event channel.  0, or -1 with a "TAG-FAIL" line.
 */
static inline int pv_take(struct pvfront *p, const char *type, unsigned int devid, const char *driver, unsigned int npages)
{
	struct ioctl_gntalloc_alloc_gref *ga;
	struct ioctl_evtchn_bind_unbound_port ub = { .remote_domain = 0 };
	char path[220], v[64];
	int fd, r;

	p->xs_fd = open("/dev/xen/xenbus", O_RDWR);
	p->ev_fd = open("/dev/xen/evtchn", O_RDWR);
	p->gnt_fd = open("/dev/xen/gntalloc", O_RDWR);
	if (p->xs_fd < 0 || p->ev_fd < 0 || p->gnt_fd < 0) {
		printf("%s-FAIL open: %s\n", p->tag, strerror(errno));
		return -1;
	}
	snprintf(p->fe, sizeof(p->fe), "device/%s/%u", type, devid);
	snprintf(path, sizeof(path), "%s/backend", p->fe);
	if (pv_xs(p, XS_READ, path, NULL, p->be, sizeof(p->be))) {
		printf("%s-FAIL no %s\n", p->tag, path);
		return -1;
	}
	snprintf(path, sizeof(path), "/sys/bus/xen/drivers/%s/unbind", driver);
	fd = open(path, O_WRONLY);
	snprintf(v, sizeof(v), "%s-%u", type, devid);
	if (fd < 0 || write(fd, v, strlen(v)) < 0) {
		printf("%s-FAIL unbind: %s\n", p->tag, strerror(errno));
		return -1;
	}
	close(fd);
	pv_wait_be(p, XEN_BUS_CLOSED, 10);
	pv_fe_write(p, "state", "%d", XEN_BUS_INITIALISING);
	if (pv_wait_be(p, XEN_BUS_INITWAIT, 10)) {
		printf("%s-FAIL back end not in InitWait (%d)\n", p->tag, pv_be_state(p));
		return -1;
	}
	ga = calloc(1, sizeof(*ga) + npages * sizeof(uint32_t));
	p->grefs = calloc(npages, sizeof(uint32_t));
	if (!ga || !p->grefs)
		return -1;
	ga->domid = 0;
	ga->flags = GNTALLOC_FLAG_WRITABLE;
	ga->count = npages;
	if (ioctl(p->gnt_fd, IOCTL_GNTALLOC_ALLOC_GREF, ga)) {
		printf("%s-FAIL gntalloc: %s\n", p->tag, strerror(errno));
		return -1;
	}
	memcpy(p->grefs, ga->gref_ids, npages * sizeof(uint32_t));
	p->mem = mmap(NULL, npages * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, p->gnt_fd, (off_t)ga->index);
	free(ga);
	r = ioctl(p->ev_fd, IOCTL_EVTCHN_BIND_UNBOUND_PORT, &ub);
	if (p->mem == MAP_FAILED || r < 0) {
		printf("%s-FAIL mmap/evtchn: %s\n", p->tag, strerror(errno));
		return -1;
	}
	p->port = (uint32_t)r;
	return 0;
}

#endif
