// SPDX-License-Identifier: MIT
/*
 * coretest: upcall delivery and vCPU up/down as Xen offers them
 * (module/pv/hvm.c, evtchn.c, lifecycle.c, time.c).
 *   xen-upcall-vector  tests/guests/upcall64.S test 0: HVMOP_set_evtchn_
 *       upcall_vector (vector < 0x10 -EINVAL, no such vCPU -ENOENT; set
 *       while an upcall is pending: it arrives as that vector; EOIed, the
 *       next event arrives again) and HVM_PARAM_CALLBACK_IRQ's forms (GSI,
 *       PCI INTx, unknown type accepted and read back; vector < 0x10
 *       -EINVAL; a domain-wide vector does not replace a vCPU's own).
 *   xen-vcpu-updown    test 1 with 2 vCPUs: VCPUOP_is_up / up / down
 *       against INIT and STARTUP (an AP never started is down and cannot
 *       be brought up; a downed vCPU stops running until VCPUOP_up; INIT
 *       makes it uninitialised again), bounds; the last vCPU going down
 *       powers the domain off (the shutdown exit, source HALTED).
 *   xen-evtchn-reset   tests/guests/xenhc64.S: EVTCHNOP_reset closes every
 *       port and returns from FIFO to the 2-level ABI (init_control works
 *       again), reset_cont has nothing to continue (-EBUSY), other domains
 *       -ESRCH / -EPERM.
 * (tests/host/coretest.c has the runner and the helpers; coretest.h).
 */
#include "coretest.h"
#include "../guests/xenhc.h"

#define X_EPERM		1
#define X_ESRCH		3
#define X_EFAULT	14
#define X_EBUSY		16
#define X_ENOSYS	38
#define X_EOPNOTSUPP	95
#define DOMID_SELF	0x7ff0
#define BAD_VA		0x7f0000000000ULL
#define ARG(slot)	(XH_ARGS + 256ULL * (slot))

static int upcall_vm(struct vm *vm, int nvcpus, uint64_t test)
{
	int i, r = vm_create_flags(vm, LM_RAM_SIZE, 0, DOMUS_DOMAIN_XEN);

	if (!r)
		r = load_guest(vm, "upcall64");
	for (i = 0; i < nvcpus && !r; i++) {
		r = vm_add_vcpu(vm, (uint32_t)i);
		if (!r)
			r = setup_lm(vm, &vm->vcpu[i], test, 0, 0, 0);
	}
	return r;
}

/* --- per-vCPU upcall vector, CALLBACK_IRQ forms ------------------------------- */

void t_xen_upcall(void)
{
	struct vm vm;
	struct ctx c;
	char why[300] = "";
	int ok, r = upcall_vm(&vm, 1, 0);

	if (r) {
		result("xen-upcall-vector", 0, "setup: %s", domus_last_error());
		vm_destroy(&vm);
		return;
	}
	ctx_init(&c, &vm, &vm.vcpu[0], 1);
	ok = run_to_pass(&c, "upcall64", why, sizeof(why));
	if (ok && (c.nvals != 2 || c.vals[0] != 0 || c.vals[1] != 3)) {
		ok = 0;
		snprintf(why, sizeof(why), "%u domain-wide and %u per-vCPU upcalls, want 0 and 3",
			 c.nvals > 0 ? c.vals[0] : 0, c.nvals > 1 ? c.vals[1] : 0);
	}
	result("xen-upcall-vector", ok, "%s", why);
	vm_destroy(&vm);
}

/* --- VCPUOP_up / down / is_up -------------------------------------------------- */

void t_xen_vcpu_updown(void)
{
	struct ap_runner ap;
	struct vm vm;
	struct ctx c;
	char why[300] = "";
	int ok = 0, r = upcall_vm(&vm, 2, 1);

	if (r) {
		result("xen-vcpu-updown", 0, "setup: %s", domus_last_error());
		vm_destroy(&vm);
		return;
	}
	ap_start(&ap, &vm.vcpu[1], 0);
	ctx_init(&c, &vm, &vm.vcpu[0], 1);
	r = run_guest(&c);
	if (r == R_DONE) {
		snprintf(why, sizeof(why), "guest check failed at tests/guests/upcall64.S line %u",
			 c.done_code);
	} else if (r != DOMUS_EXIT_HYPERCALL) {
		snprintf(why, sizeof(why), "exit %s (%d) %s, want the power-off exit",
			 r == R_ERR ? "error" : domus_exit_name((uint32_t)r), r, r == R_ERR ? c.err : "");
	} else {
		const struct domus_run *run = vm.vcpu[0].run;

		ok = run->hypercall.nr == 29 && run->hypercall.args[0] == 2 &&
		     run->hypercall.args[1] == 0 && run->hypercall.args[2] == DOMUS_XEN_SHUTDOWN_HALTED &&
		     c.nvals >= 1 && c.vals[c.nvals - 1] == 1;
		snprintf(why, sizeof(why), "exit hypercall %llu args %llu %llu %llu, last value %u; want "
			 "29 (sched_op) 2 (shutdown) 0 (poweroff) %u (HALTED) after the marker 1",
			 (unsigned long long)run->hypercall.nr, (unsigned long long)run->hypercall.args[0],
			 (unsigned long long)run->hypercall.args[1],
			 (unsigned long long)run->hypercall.args[2], c.nvals ? c.vals[c.nvals - 1] : 0,
			 DOMUS_XEN_SHUTDOWN_HALTED);
	}
	if (ap_finish(&ap) && ok) {
		ok = 0;
		snprintf(why, sizeof(why), "%s", ap.why);
	}
	result("xen-vcpu-updown", ok, "%s", why);
	if (ok)
		printf("info: xen-vcpu-updown: vCPU 1 stopped at %u\n", c.nvals > 1 ? c.vals[0] : 0);
	vm_destroy(&vm);
}

/* --- EVTCHNOP_reset ------------------------------------------------------------- */

enum {
	OP_status = 5, OP_bind_ipi = 7, OP_reset = 10, OP_init_control = 11,
	OP_expand_array = 12, OP_set_priority = 13, OP_reset_cont = 14,
};
#define CB_GFN		0x300		/* LM_FILL: free RAM in xenhc64 */
#define ARRAY_GFN	0x301

/* argument slots */
enum { S_IPI = 1, S_IPI2, S_INIT, S_ARRAY, S_PRIO, S_SELF, S_XENID, S_DOM0, S_NODOM, S_STATUS1,
	S_STATUS2, S_INIT2 };

struct rstep {
	const char *name;
	uint64_t op;
	unsigned int slot;	/* 0: BAD_VA */
	int64_t want;
};

static const struct rstep rsteps[] = {
	{ "bind-ipi", OP_bind_ipi, S_IPI, 0 },
	{ "init-control", OP_init_control, S_INIT, 0 },
	{ "expand-array", OP_expand_array, S_ARRAY, 0 },
	{ "set-priority-fifo", OP_set_priority, S_PRIO, 0 },
	{ "reset-no-such-domain", OP_reset, S_NODOM, -X_ESRCH },
	{ "reset-domain-0", OP_reset, S_DOM0, -X_EPERM },
	{ "reset-cont-nothing", OP_reset_cont, S_SELF, -X_EBUSY },
	{ "reset-bad-va", OP_reset, 0, -X_EFAULT },
	{ "status-before", OP_status, S_STATUS1, 0 },
	{ "reset", OP_reset, S_SELF, 0 },
	{ "status-after", OP_status, S_STATUS2, 0 },
	{ "set-priority-2level", OP_set_priority, S_PRIO, -X_ENOSYS },
	{ "expand-array-2level", OP_expand_array, S_ARRAY, -X_EOPNOTSUPP },
	{ "bind-ipi-2level", OP_bind_ipi, S_IPI2, 0 },
	{ "init-control-again", OP_init_control, S_INIT2, 0 },
	{ "reset-own-id", OP_reset, S_XENID, 0 },
};
#define NRSTEPS	(sizeof(rsteps) / sizeof(rsteps[0]))

static void put_init(uint8_t *ram, unsigned int slot)
{
	uint64_t gfn = CB_GFN;

	memcpy(ram + ARG(slot), &gfn, 8);
	put32(ram, ARG(slot) + 8, 0x100);
	put32(ram, ARG(slot) + 12, 0);
}

void t_xen_evtchn_reset(void)
{
	struct vm vm;
	struct ctx c;
	char why[300] = "", name[96];
	uint64_t gfn = ARRAY_GFN;
	uint32_t st1, st2, port2;
	unsigned int i;
	int ok, r = xen_vm(&vm);

	if (r) {
		result("evtchn-reset/run", 0, "setup: %s", domus_last_error());
		vm_destroy(&vm);
		return;
	}
	put32(vm.ram, ARG(S_IPI), 0);
	put32(vm.ram, ARG(S_IPI2), 0);
	put_init(vm.ram, S_INIT);
	put_init(vm.ram, S_INIT2);
	memcpy(vm.ram + ARG(S_ARRAY), &gfn, 8);
	put32(vm.ram, ARG(S_PRIO), 1);
	put32(vm.ram, ARG(S_PRIO) + 4, 3);
	put16(vm.ram, ARG(S_SELF), DOMID_SELF);
	put16(vm.ram, ARG(S_XENID), 1);		/* the domain's own id (XEN_DOMID) */
	put16(vm.ram, ARG(S_DOM0), 0);
	put16(vm.ram, ARG(S_NODOM), 7);
	put16(vm.ram, ARG(S_STATUS1), DOMID_SELF);
	put32(vm.ram, ARG(S_STATUS1) + 4, 1);
	put32(vm.ram, ARG(S_STATUS1) + 8, 0xaaaa);
	put16(vm.ram, ARG(S_STATUS2), DOMID_SELF);
	put32(vm.ram, ARG(S_STATUS2) + 4, 1);
	put32(vm.ram, ARG(S_STATUS2) + 8, 0xaaaa);
	*(uint64_t *)(vm.ram + XH_TABLE) = NRSTEPS;
	for (i = 0; i < NRSTEPS; i++) {
		uint64_t a[5] = { rsteps[i].op, rsteps[i].slot ? ARG(rsteps[i].slot) : BAD_VA, 0, 0, 0 };

		put_entry(vm.ram, i, 32, a, 0);
	}
	ctx_init(&c, &vm, &vm.vcpu[0], 1);
	ok = run_to_pass(&c, "xenhc64", why, sizeof(why));
	result("evtchn-reset/run", ok, "%s", why);
	if (!ok)
		goto out;
	for (i = 0; i < NRSTEPS; i++) {
		int64_t got = entry_ret(vm.ram, i);

		snprintf(name, sizeof(name), "evtchn-reset/%s", rsteps[i].name);
		result(name, got == rsteps[i].want, "event_channel_op %llu returned %lld, want %lld",
		       (unsigned long long)rsteps[i].op, (long long)got, (long long)rsteps[i].want);
	}
	memcpy(&st1, vm.ram + ARG(S_STATUS1) + 8, 4);
	memcpy(&st2, vm.ram + ARG(S_STATUS2) + 8, 4);
	memcpy(&port2, vm.ram + ARG(S_IPI2) + 4, 4);
	/* EVTCHNSTAT_ipi 5 before, closed 0 after; the port is free again */
	result("evtchn-reset/port-closed", st1 == 5 && st2 == 0 && port2 == 1,
	       "port 1 status %u before the reset, %u after; bind_ipi then gave port %u; want 5, 0, 1",
	       st1, st2, port2);
out:
	vm_destroy(&vm);
}
