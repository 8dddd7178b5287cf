// SPDX-License-Identifier: MIT
/*
 * pv-hcfuzz: the rules: hypercall numbers, sub-ops, argument shapes and the
 * exclusions (calls that would end or break the guest itself)
 * (tests/host/pv-hcfuzz.c describes the whole program).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cpuid.h>
#include <sys/mman.h>
#include "hcfuzz.h"

/* A plausible domain id: this domain (both spellings), dom0, or anything. */
static uint16_t rnd_dom(void)
{
	return (uint16_t[]){ DOMID_SELF, MY_DOMID, 0, (uint16_t)rnd() }[below(4)];
}

/* A port: the guest kernel's low ports, the fuzzer's, the edges, anything. */
static uint32_t rnd_port(void)
{
	return (uint32_t[]){ below(16), below(64), NR_PORTS - 2 + below(4), (uint32_t)rnd() }[below(4)];
}

/* A guest frame: RAM, just above it, the special pages, low 36 bits, anything. */
uint64_t rnd_gfn(void)
{
	switch (below(5)) {
	case 0: return below(0x10000);
	case 1: return 0x10000 + below(0x100);
	case 2: return 0xfeff0 + below(0x20);
	case 3: return below(1ULL << 36);
	default: return rnd();
	}
}

void put16(uint8_t *p, long room, long off, uint16_t v) { if (off + 2 <= room) memcpy(p + off, &v, 2); }
void put32(uint8_t *p, long room, long off, uint32_t v) { if (off + 4 <= room) memcpy(p + off, &v, 4); }
void put64(uint8_t *p, long room, long off, uint64_t v) { if (off + 8 <= room) memcpy(p + off, &v, 8); }

/*
 * Half the time, give the struct that a known sub-op reads from its
 * argument (at @u, @room bytes the fuzzer controls) plausible fields, so
 * the calls get past the first checks into the handlers.
 */
void shape(uint64_t op, uint64_t cmd, uint8_t *u, long room)
{
	if (!u || chance(50))
		return;
	switch (op) {
	case HC_memory_op:
		if (cmd == 7) {		/* add_to_physmap */
			put16(u, room, 0, rnd_dom());
			put16(u, room, 2, below(4));
			put32(u, room, 4, chance(80) ? below(2) : below(8));
			put64(u, room, 8, chance(80) ? below(40) : (chance(50) ? (1ULL << 31) | below(4) : rnd()));
			put64(u, room, 16, rnd_gfn());
		} else {
			put16(u, room, 0, rnd_dom());
		}
		break;
	case HC_hvm_op:
		put16(u, room, 0, rnd_dom());
		put32(u, room, 4, below(40));
		put64(u, room, 8, chance(50) ? below(256) | (chance(50) ? 2ULL << 56 : 0) : rnd());
		break;
	case HC_event_channel_op:
		switch (cmd) {
		case 0: put16(u, room, 0, chance(50) ? 0 : rnd_dom()); put32(u, room, 4, below(8)); break;
		case 1: put32(u, room, 0, below(26)); put32(u, room, 4, below(3)); break;
		case 3: case 4: case 9: put32(u, room, 0, rnd_port()); break;
		case 5: put16(u, room, 0, rnd_dom()); put32(u, room, 4, rnd_port()); break;
		case 6: put16(u, room, 0, rnd_dom()); put16(u, room, 2, rnd_dom()); break;
		case 7: put32(u, room, 0, below(3)); break;
		case 8: put32(u, room, 0, rnd_port()); put32(u, room, 4, below(3)); break;
		}
		break;
	case HC_sched_op:
		if (cmd == 3) {		/* poll: ports in the buffer itself */
			put64(u, room, 0, (uintptr_t)buf + below(PG));
			put32(u, room, 8, below(130));
			put64(u, room, 16, 1);
		} else {
			put32(u, room, 0, below(8));
		}
		break;
	case HC_grant_table_op:
		put16(u, room, 0, rnd_dom());
		put32(u, room, 4, below(3));	/* set_version's version is the first word */
		if (cmd == 8)
			put32(u, room, 0, below(3));
		break;
	case HC_xen_version:
		put32(u, room, 0, below(3));	/* get_features: submap_idx */
		break;
	}
}

/* vcpu_op's struct is its third argument. */
void shape_vcpu(uint64_t cmd, uint8_t *u, long room)
{
	if (!u || chance(50))
		return;
	switch (cmd) {
	case 5: put64(u, room, 0, pick_ptr(1).addr); break;	/* runstate area */
	case 6: put64(u, room, 0, chance(50) ? 1000000 * (1 + below(20)) : rnd()); break;
	case 8: put64(u, room, 0, chance(50) ? below(1ULL << 40) : rnd()); put32(u, room, 8, below(2)); break;
	case 10: put64(u, room, 0, rnd_gfn()); put32(u, room, 8, chance(50) ? below(64) * 64 : below(PG + 8)); put32(u, room, 12, chance(80) ? 0 : rnd()); break;
	}
}
/* --- the rules ------------------------------------------------------------ */

unsigned long n_block, n_nmi, n_excluded, n_repair;

static int kernel_contents(const struct ptr *p)
{
	return p->cls == P_KTEXT || p->cls == P_KRODATA;
}

/* A pointer whose contents are not read at all (fault on the first byte). */
static struct ptr fault_ptr(void)
{
	struct ptr p = { 0xdead000000000000ULL + below(PG), P_NONCANON, NULL, 0, 0, 0 };

	return p;
}

/*
 * Apply the exclusions (see the head of the file) to one call; @p are the
 * pointer descriptions of args 1-4 (cls P_NCLASSES: not a pointer).
 * Returns nonzero if the guest's timer needs the repair call afterwards.
 */
int sanitize(struct hcfuzz_call *c, struct ptr p[5])
{
	uint32_t op = (uint32_t)c->op;
	uint64_t cmd = c->arg[0];
	struct ptr *a1 = &p[1];
	uint8_t *u = a1->user;
	long room = a1->wr;

	if (c->op >= 128 && op >= 128)
		return 0;	/* privcmd refuses it: never reaches the hypervisor */
	switch (op) {
	case HC_sched_op:
		if (cmd == 2 || cmd == 4 || (cmd == 1 && n_block >= 20)) {
			c->arg[0] = 0;		/* yield */
			n_excluded++;
		} else if (cmd == 1) {
			n_block++;
		} else if (cmd == 3) {
			if (kernel_contents(a1)) {
				*a1 = fault_ptr();
				c->arg[1] = a1->addr;
			} else if (u && room >= 24) {
				uint64_t past = 1;

				memcpy(u + 16, &past, 8);	/* timeout: already passed */
			} else if (u) {
				*a1 = fault_ptr();	/* a partial struct: no control of the tail */
				c->arg[1] = a1->addr;
			}
		}
		return 0;
	case HC_vcpu_op:
		if ((c->arg[1] == 0 && cmd == 0) || cmd == 2) {
			c->arg[0] = 3;			/* is_up */
			n_excluded++;
		} else if (cmd == 11 && n_nmi++ >= 5) {
			c->arg[0] = 3;
			n_excluded++;
		} else if (cmd == 5 && kernel_contents(&p[2])) {
			p[2] = fault_ptr();
			c->arg[2] = p[2].addr;
		}
		return c->arg[1] == 0 && (cmd == 8 || cmd == 9);
	case HC_set_timer_op:
		return 1;
	case HC_memory_op:
		if (cmd == 1) {
			c->arg[0] = 3;			/* current_reservation */
			n_excluded++;
		} else if (cmd == 7) {
			if (kernel_contents(a1)) {
				*a1 = fault_ptr();
				c->arg[1] = a1->addr;
			} else if (u && room >= 8) {
				uint16_t dom;
				uint32_t space;

				memcpy(&dom, u, 2);
				memcpy(&space, u + 4, 4);
				if ((dom == DOMID_SELF || dom == MY_DOMID) && space == 0) {
					space = 1;	/* grant_table */
					memcpy(u + 4, &space, 4);
				}
			} else if (u) {
				*a1 = fault_ptr();
				c->arg[1] = a1->addr;
			}
		}
		return 0;
	case HC_hvm_op:
		if (cmd == 23) {
			c->arg[0] = 99;			/* an unknown sub-op */
			n_excluded++;
		} else if (cmd == 0) {
			if (kernel_contents(a1)) {
				*a1 = fault_ptr();
				c->arg[1] = a1->addr;
			} else if (u && room >= 16) {
				uint16_t dom;
				uint32_t idx;

				memcpy(&dom, u, 2);
				memcpy(&idx, u + 4, 4);
				if ((dom == DOMID_SELF || dom == MY_DOMID) && idx == 0) {
					if (callback_irq_known) {
						memcpy(u + 8, &callback_irq, 8);
					} else {
						dom = 0;
						memcpy(u, &dom, 2);
					}
				}
			} else if (u) {
				*a1 = fault_ptr();
				c->arg[1] = a1->addr;
			}
		}
		return 0;
	case HC_event_channel_op:
		if (cmd == 10 || cmd == 14) {
			c->arg[0] = 5;			/* status */
			n_excluded++;
		} else if (cmd == 3) {
			if (kernel_contents(a1)) {
				*a1 = fault_ptr();
				c->arg[1] = a1->addr;
			} else if (u && room >= 4) {
				uint32_t port;

				memcpy(&port, u, 4);
				if (port < NR_PORTS && port_was_open[port]) {
					port = 0;
					memcpy(u, &port, 4);
				}
			} else if (u) {
				*a1 = fault_ptr();
				c->arg[1] = a1->addr;
			}
		}
		return 0;
	case HC_console_io:
		/* keep the guest's log readable: mostly short writes */
		if (chance(97))
			c->arg[1] = below(chance(80) ? 64 : 512);
		return 0;
	}
	return 0;
}

/* Bytes a call writes through arg 1 and nothing else, or 0 (no oracle). */
long write_only_len(const struct hcfuzz_call *c)
{
	uint64_t op = c->op;

	if (op == HC_xen_version) {
		switch (c->arg[0]) {
		case 1: return 16;
		case 2: return 144;
		case 3: return 1024;
		case 4: return 64;
		case 5: return 8;
		case 8: return 16;
		}
	}
	if (op == HC_hvm_op && c->arg[0] == 10)
		return 8;
	return 0;
}
uint64_t pick_op(void)
{
	static const uint8_t impl[] = {
		HC_memory_op, HC_set_timer_op, HC_xen_version, HC_console_io, HC_grant_table_op,
		HC_vm_assist, HC_vcpu_op, HC_sched_op, HC_event_channel_op, HC_hvm_op,
	};
	unsigned int r = below(100);

	if (r < 75)
		return impl[below(sizeof(impl))];
	if (r < 90)
		return below(64);
	if (r < 94)
		return 64 + below(64);
	if (r < 97)		/* high bits set: privcmd passes the low 32 bits */
		return (rnd() << 32) | impl[below(sizeof(impl))];
	return rnd();
}

uint64_t pick_subop(uint64_t op)
{
	static const uint8_t mem[] = { 3, 4, 7, 7, 7, 7 };
	unsigned int r = below(100);

	if (r < 50) {
		switch (op) {
		case HC_memory_op: return mem[below(sizeof(mem))];
		case HC_xen_version: return below(10);
		case HC_console_io: return below(2);
		case HC_grant_table_op: return (uint64_t[]){ 6, 8, 10, 2 }[below(4)];
		case HC_vm_assist: return below(2);
		case HC_vcpu_op: return below(14);
		case HC_sched_op: return below(8);
		case HC_event_channel_op: return below(10);
		case HC_hvm_op: return (uint64_t[]){ 0, 1, 10, 9 }[below(4)];
		}
	}

	if (r < 80)
		return below(16);
	if (r < 92)
		return below(256);
	return rnd();
}
