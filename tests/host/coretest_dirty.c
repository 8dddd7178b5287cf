// SPDX-License-Identifier: GPL-2.0-only
/*
 * coretest: dirty-page logging (DOMUS_SET_DIRTY_LOG, DOMUS_GET_DIRTY_LOG).
 * long64's T_FILL writes every qword of [LM_FILL, LM_FILL + LM_FILL_SIZE)
 * and nothing in [LM_DATA, LM_FILL); the log must name every fill frame,
 * none of the untouched ones, be empty when read again, and name the fill
 * frames again after the next run (the frames were write-protected anew).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include "coretest.h"
#include "../guests/xenhc.h"

#define DL_FRAMES	(LM_RAM_SIZE / 4096)
#define DL_WORDS	((DL_FRAMES + 63) / 64)

/* Raw: flags as given (libdomus' domus_dirty_log_set takes on/off). */
static int dl_set(int fd, uint32_t slot, uint32_t flags)
{
	struct domus_dirty_log a;

	memset(&a, 0, sizeof(a));
	a.slot = slot;
	a.flags = flags;
	return ioctl(fd, DOMUS_SET_DIRTY_LOG, &a) ? -errno : 0;
}

static int dl_get(int fd, uint32_t slot, uint64_t *bm)
{
	return domus_dirty_log_get(fd, slot, bm);
}

static int bit(const uint64_t *bm, uint64_t frame)
{
	return (bm[frame / 64] >> (frame % 64)) & 1;
}

/* How many frames of [first, first + n) the log names. */
static unsigned int count(const uint64_t *bm, uint64_t first, uint64_t n)
{
	unsigned int c = 0;
	uint64_t i;

	for (i = first; i < first + n; i++)
		c += bit(bm, i);
	return c;
}

static unsigned int pattern_bad(const struct vm *vm, uint64_t seed)
{
	const uint64_t *q = (const uint64_t *)(vm->ram + LM_FILL);
	unsigned int bad = 0;
	uint64_t i;

	for (i = 0; i < LM_FILL_SIZE / 8; i++)
		bad += q[i] != ((LM_FILL + 8 * i) ^ seed);
	return bad;
}

/* Run T_FILL with @seed to its end; 1 on success. */
static int fill(struct vm *vm, uint64_t seed, char *why, size_t len)
{
	struct ctx c;

	if (setup_lm(vm, &vm->vcpu[0], T_FILL, seed, 0, 0)) {
		snprintf(why, len, "setup: %s", domus_last_error());
		return 0;
	}
	ctx_init(&c, vm, &vm->vcpu[0], 1);
	return run_to_pass(&c, "long64", why, len);
}

void t_dirty_log(void)
{
	const uint64_t fill0 = LM_FILL / 4096, nfill = LM_FILL_SIZE / 4096;
	const uint64_t data0 = LM_DATA / 4096, ndata = (LM_FILL - LM_DATA) / 4096;
	uint64_t bm[DL_WORDS + 1];
	struct domus_dirty_log a;
	char why[300] = "";
	struct vm vm;
	int ok, r;

	r = vm_start(&vm, "long64", T_FILL, 0, 0, 0);
	if (!r)
		r = dl_set(vm.fd, 0, DOMUS_DIRTY_LOG_ON);
	if (r) {
		result("dirty-log-first", 0, "setup: %s", r < 0 ? strerror(-r) : domus_last_error());
		vm_destroy(&vm);
		return;
	}

	/* first run: every fill frame logged, the untouched data frames not */
	ok = fill(&vm, 0x1111, why, sizeof(why));
	memset(bm, 0xa5, sizeof(bm));
	if (ok && (r = dl_get(vm.fd, 0, bm)) != 0) {
		ok = 0;
		snprintf(why, sizeof(why), "GET: %s", strerror(-r));
	}
	if (ok && (count(bm, fill0, nfill) != nfill || count(bm, data0, ndata))) {
		ok = 0;
		snprintf(why, sizeof(why), "%u of %llu fill frames logged, %u of %llu untouched ones",
			 count(bm, fill0, nfill), (unsigned long long)nfill,
			 count(bm, data0, ndata), (unsigned long long)ndata);
	}
	if (ok && bm[DL_WORDS] != 0xa5a5a5a5a5a5a5a5ULL) {
		ok = 0;
		snprintf(why, sizeof(why), "GET wrote past the slot's %u words", DL_WORDS);
	}
	if (ok && pattern_bad(&vm, 0x1111)) {
		ok = 0;
		snprintf(why, sizeof(why), "%u qwords differ from the pattern", pattern_bad(&vm, 0x1111));
	}
	result("dirty-log-first", ok, "%s", why);

	/* read again with nothing run: empty */
	r = dl_get(vm.fd, 0, bm);
	result("dirty-log-emptied", !r && !count(bm, 0, DL_FRAMES), "GET %s, %u frames logged",
	       r ? strerror(-r) : "ok", r ? 0 : count(bm, 0, DL_FRAMES));

	/* second run: the frames were protected again, writes still land */
	ok = fill(&vm, 0x2222, why, sizeof(why));
	if (ok && (r = dl_get(vm.fd, 0, bm)) != 0) {
		ok = 0;
		snprintf(why, sizeof(why), "GET: %s", strerror(-r));
	}
	if (ok && (count(bm, fill0, nfill) != nfill || count(bm, data0, ndata) ||
		   pattern_bad(&vm, 0x2222))) {
		ok = 0;
		snprintf(why, sizeof(why), "%u of %llu fill frames logged, %u untouched, %u qwords wrong",
			 count(bm, fill0, nfill), (unsigned long long)nfill,
			 count(bm, data0, ndata), pattern_bad(&vm, 0x2222));
	}
	result("dirty-log-again", ok, "%s", why);

	/* stopped: the guest writes freely, GET refuses */
	r = dl_set(vm.fd, 0, 0);
	ok = !r && fill(&vm, 0x3333, why, sizeof(why)) && !pattern_bad(&vm, 0x3333);
	r = dl_get(vm.fd, 0, bm);
	result("dirty-log-stopped", ok && r == -EINVAL, "%s; GET after stop: %s", why,
	       r ? strerror(-r) : "accepted");

	/* bad arguments */
	{
		int e1 = dl_set(vm.fd, 7, DOMUS_DIRTY_LOG_ON);		/* no slot 7 */
		int e2 = dl_set(vm.fd, 1, DOMUS_DIRTY_LOG_ON);		/* read-only slot */
		int e3 = dl_set(vm.fd, 0, 2);				/* unknown flag */
		int e4 = dl_set(vm.fd, 1u << 20, DOMUS_DIRTY_LOG_ON);	/* slot beyond max */
		int e5, e6, e7;

		memset(&a, 0, sizeof(a));
		a.flags = DOMUS_DIRTY_LOG_ON;
		a.reserved[1] = 1;
		e5 = ioctl(vm.fd, DOMUS_SET_DIRTY_LOG, &a) ? -errno : 0;
		e6 = dl_set(vm.fd, 0, DOMUS_DIRTY_LOG_ON);
		e7 = e6 ? e6 : dl_get(vm.fd, 0, NULL);			/* bad bitmap */
		result("dirty-log-badargs",
		       e1 == -ENOENT && e2 == -EINVAL && e3 == -EINVAL && e4 == -EINVAL &&
		       e5 == -EINVAL && e7 == -EFAULT,
		       "no slot %d, read-only %d, flag %d, slot id %d, reserved %d, NULL bitmap %d",
		       e1, e2, e3, e4, e5, e7);
	}

	/* a logged slot deleted while logging, then the domain goes */
	r = domus_set_slot(vm.fd, 0, 0, 0, vm.ram, 0);
	result("dirty-log-slot-delete", r == 0, "delete: %s", r ? domus_last_error() : "ok");
	vm_destroy(&vm);
}

/*
 * A Xen domain: frames the kernel writes for the guest are logged too.
 * The guest places shared_info (XENMEM_add_to_physmap, space 0) and asks
 * for the extraversion string (XENVER_extraversion) into a buffer it
 * never writes itself.  The shared_info frame is reported by every read
 * (the kernel writes it through its own mapping), the buffer's frame once.
 */
#define DLX_SI_GFN	0x3f0ULL		/* in the unused top of the 4 MiB */
#define DLX_BUF		(XH_ARGS + 0x1000)	/* a frame of its own */

/*
 * xenhc64's table: entry 0 places shared_info at DLX_SI_GFN
 * (XENMEM_add_to_physmap {u16 domid; u16 size; u32 space @4; u64 idx @8;
 * u64 gpfn @16}, space 0), entry 1 is xen_version(@ver_op, @ver_arg).
 */
static void put_shinfo_table(uint8_t *ram, uint64_t ver_op, uint64_t ver_arg)
{
	const uint64_t si[5] = { 7 /* add_to_physmap */, XH_ARGS };
	const uint64_t ev[5] = { ver_op, ver_arg };

	put16(ram, XH_ARGS, 0x7ff0);
	put32(ram, XH_ARGS + 4, 0);
	memcpy(ram + XH_ARGS + 16, &(uint64_t){ DLX_SI_GFN }, 8);
	*(uint64_t *)(ram + XH_TABLE) = 2;
	put_entry(ram, 0, 12 /* memory_op */, si, 0);
	put_entry(ram, 1, 17 /* xen_version */, ev, 0);
}

void t_dirty_log_xen(void)
{
	const uint64_t buf_gfn = DLX_BUF / 4096;
	uint64_t bm[DL_WORDS];
	char why[300] = "";
	struct vm vm;
	struct ctx c;
	int ok, r;

	r = xen_vm(&vm);
	if (!r)
		r = dl_set(vm.fd, 0, DOMUS_DIRTY_LOG_ON);
	if (r) {
		result("dirty-log-xen", 0, "setup: %s", r < 0 ? strerror(-r) : domus_last_error());
		vm_destroy(&vm);
		return;
	}
	put_shinfo_table(vm.ram, 1 /* XENVER_extraversion */, DLX_BUF);
	ctx_init(&c, &vm, &vm.vcpu[0], 1);
	ok = run_to_pass(&c, "xenhc64", why, sizeof(why));
	if (ok && (entry_ret(vm.ram, 0) || entry_ret(vm.ram, 1) < 0)) {
		ok = 0;
		snprintf(why, sizeof(why), "add_to_physmap %lld, extraversion %lld",
			 (long long)entry_ret(vm.ram, 0), (long long)entry_ret(vm.ram, 1));
	}
	if (ok && (r = dl_get(vm.fd, 0, bm)) != 0) {
		ok = 0;
		snprintf(why, sizeof(why), "GET: %s", strerror(-r));
	}
	if (ok && (!bit(bm, DLX_SI_GFN) || !bit(bm, buf_gfn))) {
		ok = 0;
		snprintf(why, sizeof(why), "shared_info frame %s, hypercall buffer frame %s",
			 bit(bm, DLX_SI_GFN) ? "logged" : "NOT logged",
			 bit(bm, buf_gfn) ? "logged" : "NOT logged");
	}
	result("dirty-log-xen-kernel-writes", ok, "%s", why);

	/* nothing ran: shared_info again (always reported), the buffer not */
	r = ok ? dl_get(vm.fd, 0, bm) : -1;
	result("dirty-log-xen-shared-info-again", !r && bit(bm, DLX_SI_GFN) && !bit(bm, buf_gfn),
	       "GET %d, shared_info %d, buffer %d, %u frames", r, r ? 0 : bit(bm, DLX_SI_GFN),
	       r ? 0 : bit(bm, buf_gfn), r ? 0 : count(bm, 0, DL_FRAMES));
	vm_destroy(&vm);
}

/*
 * The guest moves its TSC (WRMSR IA32_TSC; here DOMUS_SET_MSRS, the same
 * backend path): the pvclock record of its vcpu_info must follow before
 * the next entry, else the guest's Xen clock jumps by the move.  Read
 * back, the record's tsc_timestamp must lie a little before the guest's
 * new TSC (not 2^50 ticks before it).
 */
#define TSC_MOVE	(1ULL << 50)
#define VI_TIME		0x20			/* vcpu_info.time in shared_info slot 0 */

static int tsc_record(const uint8_t *ram, uint64_t *ts)
{
	uint32_t ver;

	memcpy(&ver, ram + DLX_SI_GFN * 4096 + VI_TIME, 4);
	memcpy(ts, ram + DLX_SI_GFN * 4096 + VI_TIME + 8, 8);
	return ver && !(ver & 1);
}

void t_xen_tsc_write(void)
{
	const uint64_t ev[5] = { 0 /* XENVER_version */, 0 };
	struct domus_msr_entry m = { .index = 0x10 /* IA32_TSC */ };
	uint64_t ts0 = 0, ts1 = 0;
	char why[300] = "";
	struct vm vm;
	struct ctx c;
	int ok, r = xen_vm(&vm);

	if (r) {
		result("xen-tsc-write", 0, "setup: %s", domus_last_error());
		vm_destroy(&vm);
		return;
	}
	put_shinfo_table(vm.ram, 0 /* XENVER_version */, 0);
	ctx_init(&c, &vm, &vm.vcpu[0], 1);
	ok = run_to_pass(&c, "xenhc64", why, sizeof(why));
	if (ok && (entry_ret(vm.ram, 0) || !tsc_record(vm.ram, &ts0))) {
		ok = 0;
		snprintf(why, sizeof(why), "add_to_physmap %lld, no pvclock record after it",
			 (long long)entry_ret(vm.ram, 0));
	}
	/* move the guest's TSC 2^50 ticks ahead, then enter once more */
	if (ok && domus_get_msrs(&vm.vcpu[0], &m, 1) != 1) {
		ok = 0;
		snprintf(why, sizeof(why), "DOMUS_GET_MSRS IA32_TSC: %s", domus_last_error());
	}
	m.data += TSC_MOVE;
	if (ok && domus_set_msrs(&vm.vcpu[0], &m, 1) != 1) {
		ok = 0;
		snprintf(why, sizeof(why), "DOMUS_SET_MSRS IA32_TSC: %s", domus_last_error());
	}
	if (ok) {
		*(uint64_t *)(vm.ram + XH_TABLE) = 1;
		put_entry(vm.ram, 0, 17 /* xen_version */, ev, 0);
		r = setup_lm(&vm, &vm.vcpu[0], 0, 0, 0, 0);
		ctx_init(&c, &vm, &vm.vcpu[0], 1);
		ok = !r && run_to_pass(&c, "xenhc64", why, sizeof(why));
		if (r)
			snprintf(why, sizeof(why), "second setup: %s", domus_last_error());
	}
	if (ok && (domus_get_msrs(&vm.vcpu[0], &m, 1) != 1 || !tsc_record(vm.ram, &ts1))) {
		ok = 0;
		snprintf(why, sizeof(why), "no TSC or pvclock record after the move");
	}
	/* the record's TSC is the new time base: behind the guest's TSC by seconds at most */
	if (ok && !(m.data > ts1 && m.data - ts1 < TSC_MOVE / 1024)) {
		ok = 0;
		snprintf(why, sizeof(why),
			 "record tsc_timestamp %#llx (was %#llx), guest TSC %#llx: the record did not follow the move",
			 (unsigned long long)ts1, (unsigned long long)ts0, (unsigned long long)m.data);
	}
	result("xen-tsc-write-moves-pvclock", ok, "%s", why);
	vm_destroy(&vm);
}
