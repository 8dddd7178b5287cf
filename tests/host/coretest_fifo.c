// SPDX-License-Identifier: MIT
/*
 * coretest: FIFO event channels against the Xen ABI (module/pv/evtchn_fifo.c).
 * The xenhc64 guest makes a sequence of event_channel_op calls; between
 * some of them (XH_SYNC) the host reads the control block and the event
 * words in guest RAM, and plays the guest's part: consuming events,
 * masking, unmasking, and corrupting its own queue.  Covered: expand_array
 * before init_control (-EOPNOTSUPP) and set_priority under the 2-level ABI
 * (-ENOSYS); init_control with an unaligned offset, an offset past the
 * page, a frame in no RAM slot or beyond the address space, a vCPU that
 * does not exist, a bad argument address, twice for one vCPU; LINK bits
 * written back; an event raised before its array page exists is delivered
 * when the page arrives; unmask of a port beyond the array (-EINVAL);
 * expand_array beyond the port limit (-ENOSPC); set_priority's port and
 * priority checks; two events linked on one queue (LINK, HEAD, READY); a
 * masked event stays unlinked until EVTCHNOP_unmask clears MASKED and
 * re-raises it onto its new priority's queue; a queue the guest corrupted (a LINKED tail with a
 * garbage LINK, HEAD overwritten) only loses the guest's own event, and
 * the queue works again once the guest cleans it up; close clears PENDING
 * (a stale event would reach the port's next binding).
 */
#include "coretest.h"
#include "../guests/xenhc.h"

#define HC_event_channel_op	32
#define X_ENOENT	2
#define X_EFAULT	14
#define X_EINVAL	22
#define X_ENOSPC	28
#define X_ENOSYS	38
#define X_EOPNOTSUPP	95
#define BAD_VA		0x7f0000000000ULL
#define ARG(slot)	(XH_ARGS + 256ULL * (slot))
#define CB_GFN		0x300		/* LM_FILL: free RAM in xenhc64 */
#define CB_OFF		0x100
#define ARRAY_GFN	0x301
#define ARRAY2_GFN	0x302
#define HOLE_GFN	0x80000		/* LM_HOLE: no RAM slot */
#define P		(1u << 31)	/* event word: PENDING */
#define M		(1u << 30)	/* MASKED */
#define L		(1u << 29)	/* LINKED */
#define B		(1u << 28)	/* BUSY */
#define LINK_MASK	0x1ffffu

enum {
	OP_close = 3, OP_send = 4, OP_unmask = 9, OP_bind_ipi = 7,
	OP_init_control = 11, OP_expand_array = 12, OP_set_priority = 13,
};

struct fstep {
	const char *name;
	uint64_t op;
	unsigned int slot;	/* 0: BAD_VA */
	int64_t want;
	int sync;
};

/* argument slots */
enum {
	A_ARRAY = 70, A_PRIO_2L, A_IPI1, A_INIT_UNALIGNED, A_INIT_END, A_INIT_HOLE, A_INIT_HUGE,
	A_INIT_VCPU1, A_INIT_VCPU99, A_INIT, A_PORT1, A_ARRAY_HOLE, A_ARRAY2, A_PRIO_16, A_PRIO_BADPORT,
	A_PRIO_CLOSED, A_IPI2, A_PORT2, A_PRIO_P1_0,
};

static const struct fstep steps[] = {
	{ "expand-before-init", OP_expand_array, A_ARRAY, -X_EOPNOTSUPP, 0 },
	{ "set-priority-2level", OP_set_priority, A_PRIO_2L, -X_ENOSYS, 0 },
	{ "bind-ipi-1", OP_bind_ipi, A_IPI1, 0, 0 },
	{ "init-unaligned-offset", OP_init_control, A_INIT_UNALIGNED, -X_EINVAL, 0 },
	{ "init-offset-past-page", OP_init_control, A_INIT_END, -X_EINVAL, 0 },
	{ "init-gfn-hole", OP_init_control, A_INIT_HOLE, -X_EINVAL, 0 },
	{ "init-gfn-huge", OP_init_control, A_INIT_HUGE, -X_EINVAL, 0 },
	{ "init-vcpu-1-absent", OP_init_control, A_INIT_VCPU1, -X_ENOENT, 0 },
	{ "init-vcpu-99", OP_init_control, A_INIT_VCPU99, -X_ENOENT, 0 },
	{ "init-bad-va", OP_init_control, 0, -X_EFAULT, 0 },
	{ "init", OP_init_control, A_INIT, 0, 0 },
	{ "init-twice", OP_init_control, A_INIT, -X_EINVAL, 0 },
	{ "send-before-array", OP_send, A_PORT1, 0, 0 },
	{ "unmask-beyond-array", OP_unmask, A_PORT1, -X_EINVAL, 0 },
	{ "expand-gfn-hole", OP_expand_array, A_ARRAY_HOLE, -X_EINVAL, 0 },
	{ "expand", OP_expand_array, A_ARRAY, 0, 1 },
	{ "expand-beyond-limit", OP_expand_array, A_ARRAY2, -X_ENOSPC, 0 },
	{ "set-priority-16", OP_set_priority, A_PRIO_16, -X_EINVAL, 0 },
	{ "set-priority-bad-port", OP_set_priority, A_PRIO_BADPORT, -X_EINVAL, 0 },
	{ "set-priority-closed-port", OP_set_priority, A_PRIO_CLOSED, -X_EINVAL, 0 },
	{ "bind-ipi-2", OP_bind_ipi, A_IPI2, 0, 0 },
	{ "send-2-linked", OP_send, A_PORT2, 0, 1 },
	{ "set-priority-1-to-0", OP_set_priority, A_PRIO_P1_0, 0, 0 },
	{ "send-1-masked", OP_send, A_PORT1, 0, 1 },
	{ "unmask-1", OP_unmask, A_PORT1, 0, 1 },
	{ "send-2-corrupt-queue", OP_send, A_PORT2, 0, 1 },
	{ "send-2-cleaned-queue", OP_send, A_PORT2, 0, 1 },
	{ "close-2", OP_close, A_PORT2, 0, 1 },
};
#define NSTEPS	(sizeof(steps) / sizeof(steps[0]))

struct fstate {
	int ok[NSTEPS];
	char why[NSTEPS][200];
};

static void put64(uint8_t *ram, uint64_t gpa, uint64_t v) { memcpy(ram + gpa, &v, 8); }

static uint32_t *word(uint8_t *ram, unsigned int port)
{
	return (uint32_t *)(ram + ARRAY_GFN * 4096UL) + port;
}

static uint32_t *ready(uint8_t *ram)
{
	return (uint32_t *)(ram + CB_GFN * 4096UL + CB_OFF);
}

static uint32_t *head(uint8_t *ram, unsigned int prio)
{
	return ready(ram) + 2 + prio;
}

static int fifo_sync(struct ctx *c, uint32_t idx)
{
	struct fstate *s = c->arg;
	uint8_t *ram = c->vm->ram;
	uint32_t w1, w2, rdy, h0, h7;

	if (idx >= NSTEPS || !steps[idx].sync)
		return ctx_err(c, "unexpected sync from entry %u", idx);
	w1 = *word(ram, 1);
	w2 = *word(ram, 2);
	rdy = *ready(ram);
	h0 = *head(ram, 0);
	h7 = *head(ram, 7);
	if (!strcmp(steps[idx].name, "expand")) {
		/* the send before the array existed: pending and queued now */
		s->ok[idx] = w1 == (P | L) && h7 == 1 && rdy == 1u << 7;
	} else if (!strcmp(steps[idx].name, "send-2-linked")) {
		/* port 2 behind port 1 on queue 7 */
		s->ok[idx] = w1 == (P | L | 2) && w2 == (P | L) && h7 == 1 && rdy == 1u << 7;
		/* the guest consumes both, masks port 1 and corrupts port 2's word and HEAD 7 */
		*word(ram, 1) = M;
		*word(ram, 2) = L | B | LINK_MASK;
		*head(ram, 7) = 0xdeadbeef;
		*ready(ram) = 0;
	} else if (!strcmp(steps[idx].name, "send-1-masked")) {
		/* masked: pending, not linked, no queue touched */
		s->ok[idx] = w1 == (M | P) && rdy == 0 && h0 == 0;
		/* Linux then leaves MASKED to EVTCHNOP_unmask (clear_masked_cond) */
	} else if (!strcmp(steps[idx].name, "unmask-1")) {
		/* MASKED cleared, re-raised onto its new priority 0 */
		s->ok[idx] = w1 == (P | L) && h0 == 1 && rdy == 1u;
	} else if (!strcmp(steps[idx].name, "send-2-corrupt-queue")) {
		/* still LINKED (garbage): only PENDING added, HEAD 7 untouched */
		s->ok[idx] = w2 == (P | L | B | LINK_MASK) && h7 == 0xdeadbeef && rdy == 1u;
		*word(ram, 2) = 0;	/* the guest cleans up */
	} else if (!strcmp(steps[idx].name, "send-2-cleaned-queue")) {
		/* queue 7 empty: port 2 is its HEAD */
		s->ok[idx] = w2 == (P | L) && h7 == 2 && rdy == (1u | 1u << 7);
	} else {		/* close-2: not pending any more (the next binding starts clean) */
		s->ok[idx] = w2 == L;
	}
	snprintf(s->why[idx], 200, "word1 %#x word2 %#x ready %#x head0 %#x head7 %#x", w1, w2, rdy, h0, h7);
	return 0;
}

static void put_init(uint8_t *ram, unsigned int slot, uint64_t gfn, uint32_t off, uint32_t vcpu)
{
	put64(ram, ARG(slot), gfn);
	put32(ram, ARG(slot) + 8, off);
	put32(ram, ARG(slot) + 12, vcpu);
	ram[ARG(slot) + 16] = 0xaa;
}

static void setup_args(uint8_t *ram)
{
	put64(ram, ARG(A_ARRAY), ARRAY_GFN);
	put32(ram, ARG(A_PRIO_2L), 1);
	put32(ram, ARG(A_PRIO_2L) + 4, 3);
	put32(ram, ARG(A_IPI1), 0);
	put_init(ram, A_INIT_UNALIGNED, CB_GFN, 4, 0);
	put_init(ram, A_INIT_END, CB_GFN, 4096 - 64, 0);
	put_init(ram, A_INIT_HOLE, HOLE_GFN, CB_OFF, 0);
	put_init(ram, A_INIT_HUGE, 1ULL << 40, CB_OFF, 0);
	put_init(ram, A_INIT_VCPU1, CB_GFN, CB_OFF, 1);
	put_init(ram, A_INIT_VCPU99, CB_GFN, CB_OFF, 99);
	put_init(ram, A_INIT, CB_GFN, CB_OFF, 0);
	put32(ram, ARG(A_PORT1), 1);
	put64(ram, ARG(A_ARRAY_HOLE), HOLE_GFN);
	put64(ram, ARG(A_ARRAY2), ARRAY2_GFN);
	put32(ram, ARG(A_PRIO_16), 1);
	put32(ram, ARG(A_PRIO_16) + 4, 16);
	put32(ram, ARG(A_PRIO_BADPORT), 5000);
	put32(ram, ARG(A_PRIO_CLOSED), 900);
	put32(ram, ARG(A_IPI2), 0);
	put32(ram, ARG(A_PORT2), 2);
	put32(ram, ARG(A_PRIO_P1_0), 1);
	put32(ram, ARG(A_PRIO_P1_0) + 4, 0);
}

void t_xen_fifo(void)
{
	struct fstate s;
	struct vm vm;
	struct ctx c;
	char why[300] = "", name[96];
	unsigned int i;
	uint32_t v;
	int ok, r = xen_vm(&vm);

	memset(&s, 0, sizeof(s));
	if (r) {
		result("fifo/run", 0, "setup: %s", domus_last_error());
		goto out;
	}
	setup_args(vm.ram);
	*(uint64_t *)(vm.ram + XH_TABLE) = NSTEPS;
	for (i = 0; i < NSTEPS; i++) {
		uint64_t a[5] = { steps[i].op, steps[i].slot ? ARG(steps[i].slot) : BAD_VA, 0, 0, 0 };

		put_entry(vm.ram, i, HC_event_channel_op, a, steps[i].sync ? XH_SYNC : 0);
	}
	ctx_init(&c, &vm, &vm.vcpu[0], 1);
	c.on_sync = fifo_sync;
	c.arg = &s;
	ok = run_to_pass(&c, "xenhc64", why, sizeof(why));
	result("fifo/run", ok, "%s", why);
	if (!ok)
		goto out;
	for (i = 0; i < NSTEPS; i++) {
		int64_t got = entry_ret(vm.ram, i);

		snprintf(name, sizeof(name), "fifo/%s", steps[i].name);
		result(name, got == steps[i].want, "event_channel_op %llu returned %lld, want %lld",
		       (unsigned long long)steps[i].op, (long long)got, (long long)steps[i].want);
		if (steps[i].sync) {
			snprintf(name, sizeof(name), "fifo/%s-memory", steps[i].name);
			result(name, s.ok[i], "%s", s.why[i]);
		}
	}
	result("fifo/init-link-bits", vm.ram[ARG(A_INIT) + 16] == 17, "link_bits %u, want 17",
	       vm.ram[ARG(A_INIT) + 16]);
	memcpy(&v, vm.ram + ARG(A_IPI1) + 4, 4);
	result("fifo/bind-ipi-ports", v == 1 && !memcmp(vm.ram + ARG(A_IPI2) + 4, "\2\0\0\0", 4),
	       "bind_ipi gave port %u then %u, want 1 and 2", v, vm.ram[ARG(A_IPI2) + 4]);
out:
	vm_destroy(&vm);
}
