// SPDX-License-Identifier: MIT
/*
 * devfuzz: the arguments of the ioctl fuzzer (devfuzz.c): interesting
 * values and MSR indices, where an argument goes (good, unaligned,
 * straddling, NULL, kernel, region, unmapped pointers) and a plausible
 * argument for every command of uapi/domus.h, then bit flips.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include "libdomus.h"
#include "devfuzz.h"

static const uint32_t msr_idx[] = {
	0x10, 0x1b, 0x3a, 0x48, 0x49, 0x8b, 0xc1, 0xe7, 0xe8, 0xfe, 0x174, 0x175, 0x176,
	0x179, 0x17a, 0x1a0, 0x1d9, 0x200, 0x201, 0x250, 0x277, 0x2ff, 0x3a, 0x6e0,
	0x800, 0x802, 0x808, 0x830, 0x83f, 0xc0000080, 0xc0000081, 0xc0000082,
	0xc0000083, 0xc0000084, 0xc0000100, 0xc0000101, 0xc0000102, 0xc0000103,
	0xc0010114, 0xc0010117, 0xc001011f, 0x40000000, 0x40000001, 0x4b564d00,
	0xffffffff, 0x80000000, 0xc0011029,
};

static const uint64_t interesting[] = {
	0, 1, 0x7f, 0x80, 0xff, 0x100, 0xfff, 0x1000, 0x7fff, 0xffff, 0x10000,
	0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL, 0x7fffffffffffffffULL,
	0x8000000000000000ULL, ~0ULL, ~0ULL - 0xfff, 0xffff800000000000ULL,
	0x00007ffffffff000ULL, 0x400000, 0x200000, 0xc0000000,
};

static const uint64_t bad_ptrs[] = {
	0xffff888000000000ULL,	/* the direct map */
	0xffffffff81000000ULL,	/* kernel text */
	0xfffffffffffff000ULL,
	0xffffffffffffffffULL,
	0x8000000000000000ULL,	/* non-canonical */
	0x0000800000000000ULL,	/* first non-canonical */
};

uint64_t interesting_val(uint64_t *s)
{
	uint64_t v = interesting[rnd_below(s, sizeof(interesting) / sizeof(interesting[0]))];

	switch (rnd_below(s, 4)) {
	case 0:
		return v + rnd_below(s, 3) - 1;
	case 1:
		return rnd(s);
	case 2:
		return 1ULL << rnd_below(s, 64);
	}
	return v;
}


/* --- pointers and arguments ------------------------------------------------ */

__thread unsigned int last_kind;
uint8_t *regions;
uint8_t *guard;

/*
 * Where the argument of @size bytes goes: @buf (thread-local, already
 * filled) or a bad place.  *@bad is set when the kernel must not accept
 * the pointer (kernel or non-canonical address).
 */
uint64_t place_arg(uint64_t *s, uint8_t *buf, size_t size, int *bad)
{
	unsigned int k = rnd_below(s, 16) < 11 ? P_GOOD : rnd_below(s, P_KINDS);
	uint8_t *p;

	*bad = 0;
	last_kind = k;
	switch (k) {
	case P_UNALIGNED:
		p = buf + 4096 + 1 + rnd_below(s, 7);
		memmove(p, buf, size < 4096 ? size : 4096);
		return (uint64_t)p;
	case P_STRADDLE:
		p = guard + 4096 - (size > 1 ? 1 + rnd_below(s, size - 1) : 0);
		memcpy(p, buf, guard + 4096 - p);
		return (uint64_t)p;
	case P_NULL:
		return rnd_below(s, 2) ? 0 : rnd_below(s, 0x10000);
	case P_KERNEL:
		*bad = 1;
		return bad_ptrs[rnd_below(s, sizeof(bad_ptrs) / sizeof(bad_ptrs[0]))] +
		       (rnd_below(s, 2) ? rnd_below(s, 0x1000) : 0);
	case P_REGION:
		return (uint64_t)regions + rnd_below(s, NREG * REG_SIZE - 64) ;
	case P_UNMAPPED:
		return 0x00007ffffffff000ULL - rnd_below(s, 8) * 0x1000;
	}
	return (uint64_t)buf;
}

uint64_t region_addr(uint64_t *s)
{
	return (uint64_t)regions + rnd_below(s, NREG) * REG_SIZE;
}
/* eventfds made for a DOMUS_XEN_EVTCHN_BIND argument, closed after the call */
static __thread int evfds[2] = { -1, -1 };

static int new_eventfd(int i)
{
	evfds[i] = eventfd(0, EFD_CLOEXEC);
	return evfds[i];
}

void close_eventfds(void)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (evfds[i] >= 0)
			close(evfds[i]);
		evfds[i] = -1;
	}
}

static int kernel_ptr(uint64_t p)
{
	return p >= 0x0000800000000000ULL;
}

/*
 * Fill @buf with a plausible argument for @cmd (nested tables in
 * @buf + 8192).  *@nested_bad is set when a nested pointer is one the
 * kernel must refuse and the table is not empty.
 */
void gen_arg(uint64_t *s, unsigned int cmd, uint8_t *buf, int *nested_bad)
{
	uint8_t *tab = buf + 8192;
	size_t i;

	*nested_bad = 0;
	memset(buf, 0, 8192);
	switch (cmd) {
	case DOMUS_CREATE_DOMAIN: {
		struct domus_create_domain *a = (void *)buf;

		a->flags = rnd_below(s, 4) ? rnd_below(s, 2) : (uint32_t)interesting_val(s);
		break;
	}
	case DOMUS_SET_MEM_SLOT: {
		struct domus_mem_slot *a = (void *)buf;

		a->slot = rnd_below(s, 4) ? 1 + rnd_below(s, 6) : (uint32_t)interesting_val(s);
		a->flags = rnd_below(s, 4) ? rnd_below(s, 2) : (uint32_t)rnd(s);
		a->gpa = rnd_below(s, 3) ? 0x400000 + rnd_below(s, 64) * REG_SIZE : interesting_val(s);
		a->size = rnd_below(s, 3) ? rnd_below(s, REG_SIZE / 4096 + 1) * 4096 : interesting_val(s);
		a->uaddr = rnd_below(s, 3) ? region_addr(s) : interesting_val(s);
		break;
	}
	case DOMUS_SET_DIRTY_LOG:
	case DOMUS_GET_DIRTY_LOG: {
		/* a bitmap big enough for the largest slot (64 GiB: 2 MiB) */
		static uint64_t log_bits[(64ULL << 30) / 4096 / 64];
		struct domus_dirty_log *a = (void *)buf;

		a->slot = rnd_below(s, 4) ? rnd_below(s, 8) : (uint32_t)interesting_val(s);
		a->flags = rnd_below(s, 4) ? rnd_below(s, 2) : (uint32_t)rnd(s);
		if (cmd == DOMUS_GET_DIRTY_LOG)
			a->bitmap = rnd_below(s, 8) ? (uintptr_t)log_bits : interesting_val(s);
		else if (!rnd_below(s, 8))
			a->bitmap = interesting_val(s);
		if (!rnd_below(s, 16))
			a->reserved[rnd_below(s, 2)] = rnd(s);
		break;
	}
	case DOMUS_SET_MEM_LIMIT: {
		struct domus_mem_limit *a = (void *)buf;

		a->max_pages = rnd_below(s, 3) ? rnd_below(s, 1u << 20) : interesting_val(s);
		break;
	}
	case DOMUS_CREATE_VCPU: {
		struct domus_create_vcpu *a = (void *)buf;

		a->id = rnd_below(s, 4) ? rnd_below(s, caps.max_vcpus + 2) : (uint32_t)rnd(s);
		break;
	}
	case DOMUS_SET_CPUID: {
		struct domus_cpuid *a = (void *)buf;
		struct domus_cpuid_entry *e = (void *)tab;
		int bad;

		(void)bad;
		a->nent = rnd_below(s, 4) ? rnd_below(s, 40) : (uint32_t)interesting_val(s);
		for (i = 0; i < 64; i++) {
			e[i].function = rnd_below(s, 2) ? rnd_below(s, 0x20) : 0x80000000 + rnd_below(s, 0x20);
			e[i].index = rnd_below(s, 4);
			e[i].flags = rnd_below(s, 8) ? rnd_below(s, 2) : (uint32_t)rnd(s);
			e[i].eax = rnd(s);
			e[i].ebx = rnd(s);
			e[i].ecx = rnd(s);
			e[i].edx = rnd(s);
		}
		a->entries = place_arg(s, tab, 64 * sizeof(*e), &bad);
		break;
	}
	case DOMUS_XEN_SET_PARAM:
	case DOMUS_XEN_GET_PARAM: {
		struct domus_xen_param *a = (void *)buf;

		a->index = rnd_below(s, 4) ? rnd_below(s, DOMUS_XEN_NR_PARAMS + 4) : (uint32_t)rnd(s);
		a->value = rnd_below(s, 2) ? rnd_below(s, 0x400) : interesting_val(s);
		break;
	}
	case DOMUS_XEN_EVTCHN_BIND: {
		struct domus_xen_evtchn_bind *a = (void *)buf;

		a->port = rnd_below(s, 3) ? rnd_below(s, 8) : (uint32_t)rnd(s);
		a->notify_fd = rnd_below(s, 3) ? new_eventfd(0) : (int)rnd_below(s, 40) - 1;
		a->kick_fd = rnd_below(s, 3) ? new_eventfd(1) : (int)rnd_below(s, 40) - 1;
		a->flags = rnd_below(s, 3) ? (1u << rnd_below(s, 3)) & 7 : (uint32_t)rnd(s);
		if (rnd_below(s, 3) == 0)
			a->flags = 0;
		a->backend_port = rnd_below(s, 3) ? rnd_below(s, 8) : (uint32_t)rnd(s);
		break;
	}
	case DOMUS_XEN_EVTCHN_NOTIFY: {
		struct domus_xen_evtchn_notify *a = (void *)buf;

		a->port = rnd_below(s, 3) ? rnd_below(s, 16) : (uint32_t)rnd(s);
		break;
	}
	case DOMUS_XEN_GNTTAB_LIMIT: {
		struct domus_xen_gnttab_limit *a = (void *)buf;

		a->max_version = rnd_below(s, 3) ? 1 + rnd_below(s, 2) : (uint32_t)rnd(s);
		break;
	}
	case DOMUS_XEN_GET_VCPU_STATE:
	case DOMUS_XEN_SET_VCPU_STATE: {
		struct domus_xen_vcpu_state *a = (void *)buf;

		a->vcpu = rnd_below(s, 3) ? rnd_below(s, 4) : (uint32_t)rnd(s);
		a->flags = rnd_below(s, 3) ? rnd_below(s, 4) : (uint32_t)rnd(s);
		break;
	}
	case DOMUS_SET_REGS: {
		uint64_t *q = (void *)buf;

		for (i = 0; i < sizeof(struct domus_regs) / 8; i++)
			q[i] = rnd_below(s, 2) ? rnd_below(s, 0x400000) : interesting_val(s);
		break;
	}
	case DOMUS_SET_SREGS: {
		struct domus_sregs *a = (void *)buf;
		uint64_t *q = (void *)buf;

		for (i = 0; i < sizeof(*a) / 8; i++)
			q[i] = rnd(s);
		a->cr0 = rnd_below(s, 2) ? 0x80000011 ^ (1ULL << rnd_below(s, 64)) : interesting_val(s);
		a->cr4 = rnd_below(s, 2) ? 0x20 ^ (1ULL << rnd_below(s, 64)) : interesting_val(s);
		a->efer = rnd_below(s, 2) ? 0x500 ^ (1ULL << rnd_below(s, 64)) : interesting_val(s);
		a->cr3 = rnd_below(s, 2) ? 0x1000 : interesting_val(s);
		memset(a->reserved, 0, sizeof(a->reserved));
		break;
	}
	case DOMUS_GET_MSRS:
	case DOMUS_SET_MSRS: {
		struct domus_msrs *a = (void *)buf;
		struct domus_msr_entry *e = (void *)tab;
		int bad;

		a->nmsrs = rnd_below(s, 4) ? rnd_below(s, 16) : (uint32_t)interesting_val(s);
		for (i = 0; i < 64; i++) {
			e[i].index = rnd_below(s, 4) ? msr_idx[rnd_below(s, sizeof(msr_idx) / 4)] : (uint32_t)rnd(s);
			e[i].reserved = rnd_below(s, 16) ? 0 : (uint32_t)rnd(s);
			e[i].data = interesting_val(s);
		}
		a->entries = place_arg(s, tab, 64 * sizeof(*e), &bad);
		break;
	}
	case DOMUS_SET_FPU: {
		struct domus_fpu *a = (void *)buf;

		for (i = 0; i < 64; i++)
			a->xsave[rnd_below(s, sizeof(a->xsave))] = rnd(s);
		a->xcr0 = rnd_below(s, 2) ? 1 | (rnd(s) & 0x2e7) : interesting_val(s);
		if (rnd_below(s, 2))
			*(uint64_t *)&a->xsave[512] = rnd(s) & 0x7;	/* XSTATE_BV */
		*(uint32_t *)&a->xsave[24] = rnd_below(s, 2) ? 0x1f80 : (uint32_t)rnd(s); /* MXCSR */
		break;
	}
	case DOMUS_SET_EVENTS: {
		struct domus_events *a = (void *)buf;

		a->exception.pending = rnd_below(s, 3);
		a->exception.nr = rnd_below(s, 2) ? rnd_below(s, 32) : rnd(s);
		a->exception.has_error_code = rnd_below(s, 3);
		a->exception.error_code = rnd(s);
		a->interrupt.pending = rnd_below(s, 3);
		a->interrupt.nr = rnd(s);
		a->nmi.pending = rnd_below(s, 3);
		a->nmi.masked = rnd_below(s, 3);
		a->interrupt_shadow = rnd_below(s, 3);
		break;
	}
	case DOMUS_INTERRUPT: {
		struct domus_interrupt *a = (void *)buf;

		a->vector = rnd_below(s, 2) ? 0x40 : (uint32_t)interesting_val(s);
		break;
	}
	}
	/* reserved bits and anything else: flip a few */
	if (rnd_below(s, 4) == 0) {
		size_t n = 1 + rnd_below(s, 4), size = _IOC_SIZE(cmd);

		for (i = 0; i < n && size; i++)
			buf[rnd_below(s, size)] ^= 1u << rnd_below(s, 8);
	}
	/* judged after the flips: a non-empty table behind a kernel pointer */
	if (cmd == DOMUS_SET_CPUID) {
		struct domus_cpuid *a = (void *)buf;

		*nested_bad = kernel_ptr(a->entries) && a->nent;
	} else if (cmd == DOMUS_GET_MSRS || cmd == DOMUS_SET_MSRS) {
		struct domus_msrs *a = (void *)buf;

		*nested_bad = kernel_ptr(a->entries) && a->nmsrs;
	}
}

