// SPDX-License-Identifier: MIT
/*
 * coretest: grant table version 2 against the Xen ABI (module/pv/gnttab_ver.c).
 * The xenhc64 guest makes a sequence of grant_table_op / add_to_physmap
 * calls; between some of them (XH_SYNC) the host, holding the table's
 * mmap as a backend does, marks grants in use, plants reserved entries
 * and checks the layout domus converted.  Covered: get_status_frames and
 * status-frame placement refused under v1; set_version(2) refused while
 * a v1 grant is in use (-EBUSY, the version written back); the switch
 * carrying reserved entry 1 into the v2 layout and dropping the rest;
 * get_version; get_status_frames' count, fault, frame-count, domain and
 * list checks; status frame 4 refused, frame 0 placed and reported;
 * set_version(1) refused while a v2 status word says in use (-EBUSY) and
 * while a reserved entry holds a frame beyond 32 bits (-ERANGE); the
 * switch back (reserved entries in v1 form, status words cleared); the
 * control page's version at every step; with DOMUS_XEN_GNTTAB_LIMIT 1
 * (max_grant_version = 1) set_version(2) is -ENOSYS, as on Xen.
 */
#include "coretest.h"
#include "../guests/xenhc.h"

#define HC_memory_op		12
#define HC_grant_table_op	20
#define X_EFAULT	14
#define X_EBUSY		16
#define X_EINVAL	22
#define X_ERANGE	34
#define X_ENOSYS	38
#define DOMID_SELF	0x7ff0
#define NO_DOM		7
#define BAD_VA		0x7f0000000000ULL
#define ARG(slot)	(XH_ARGS + 256ULL * (slot))
#define STATUS_GFN	0x800		/* 8 MiB: outside the 4 MiB of RAM */
#define GTF_permit	1u
#define GTF_reading	(1u << 3)
#define GTF_writing	(1u << 4)

enum { OP_set_version = 8, OP_get_status_frames = 9, OP_get_version = 10 };

struct gstep {
	const char *name;
	uint64_t nr, op;
	unsigned int slot;
	uint64_t count;		/* grant_table_op count (memory_op: unused) */
	int64_t want;
	int sync;
};

static const struct gstep steps[] = {
	{ "status-frames-v1", HC_grant_table_op, OP_get_status_frames, 40, 1, 0, 0 },
	{ "place-status-v1", HC_memory_op, 7, 42, 0, -X_EINVAL, 0 },
	{ "set-v2-busy", HC_grant_table_op, OP_set_version, 43, 1, -X_EBUSY, 1 },
	{ "set-v2", HC_grant_table_op, OP_set_version, 44, 1, 0, 1 },
	{ "get-version-2", HC_grant_table_op, OP_get_version, 45, 1, 0, 0 },
	{ "set-v2-again", HC_grant_table_op, OP_set_version, 46, 1, 0, 0 },
	{ "status-frames-count-2", HC_grant_table_op, OP_get_status_frames, 47, 2, -X_EINVAL, 0 },
	{ "status-frames-bad-va", HC_grant_table_op, OP_get_status_frames, 0, 1, -X_EFAULT, 0 },
	{ "status-frames-too-many", HC_grant_table_op, OP_get_status_frames, 47, 1, 0, 0 },
	{ "status-frames-other-dom", HC_grant_table_op, OP_get_status_frames, 48, 1, 0, 0 },
	{ "place-status-4", HC_memory_op, 7, 49, 0, -X_EINVAL, 0 },
	{ "place-status-0", HC_memory_op, 7, 50, 0, 0, 0 },
	{ "status-frames-bad-list", HC_grant_table_op, OP_get_status_frames, 51, 1, 0, 0 },
	{ "status-frames", HC_grant_table_op, OP_get_status_frames, 52, 1, 0, 1 },
	{ "set-v1-busy", HC_grant_table_op, OP_set_version, 54, 1, -X_EBUSY, 1 },
	{ "set-v1-range", HC_grant_table_op, OP_set_version, 55, 1, -X_ERANGE, 1 },
	{ "set-v1", HC_grant_table_op, OP_set_version, 56, 1, 0, 1 },
	{ "place-status-v1-again", HC_memory_op, 7, 57, 0, -X_EINVAL, 0 },
	{ "set-v0", HC_grant_table_op, OP_set_version, 58, 1, -X_EINVAL, 0 },
	{ "get-version-1", HC_grant_table_op, OP_get_version, 59, 1, 0, 1 },
	{ "set-v2-limit-1", HC_grant_table_op, OP_set_version, 60, 1, -X_ENOSYS, 0 },
};
#define NSTEPS	(sizeof(steps) / sizeof(steps[0]))

struct gstate {
	uint8_t *tab;		/* the backends' mmap: DOMUS_XEN_GNTTAB_MMAP_PAGES pages */
	int ok[NSTEPS];
	char why[NSTEPS][200];
};

static void put64(uint8_t *ram, uint64_t gpa, uint64_t v) { memcpy(ram + gpa, &v, 8); }

static uint32_t ctl_version(const struct gstate *s)
{
	return __atomic_load_n((const uint32_t *)(s->tab + DOMUS_XEN_GNTTAB_CTL_PAGE * 4096), __ATOMIC_ACQUIRE);
}

static uint16_t *status_word(struct gstate *s, unsigned int ref)
{
	return (uint16_t *)(s->tab + DOMUS_XEN_GNTTAB_STATUS_PAGE * 4096) + ref;
}

/* entry @ref's header and frame in layout @ver */
static void entry_set(struct gstate *s, unsigned int ver, unsigned int ref, uint16_t flags, uint64_t frame)
{
	uint8_t *e = s->tab + ref * (ver == 1 ? 8 : 16);
	uint16_t dom = 0;
	uint32_t f32 = (uint32_t)frame;

	memcpy(e + 2, &dom, 2);
	if (ver == 1)
		memcpy(e + 4, &f32, 4);
	else
		memcpy(e + 8, &frame, 8);
	memcpy(e, &flags, 2);
}

static int entry_is(struct gstate *s, unsigned int ver, unsigned int ref, uint16_t flags, uint64_t frame)
{
	uint8_t *e = s->tab + ref * (ver == 1 ? 8 : 16);
	uint16_t f, dom;
	uint64_t fr = 0;

	memcpy(&f, e, 2);
	memcpy(&dom, e + 2, 2);
	if (ver == 1)
		memcpy(&fr, e + 4, 4);
	else
		memcpy(&fr, e + 8, 8);
	return f == flags && dom == 0 && fr == frame;
}

/* no byte set in [from, to) of the shared frame 0 */
static int zero_from(struct gstate *s, unsigned int from, unsigned int to)
{
	unsigned int i;

	for (i = from; i < to; i++)
		if (s->tab[i])
			return 0;
	return 1;
}

static int gnt_sync(struct ctx *c, uint32_t idx)
{
	struct gstate *s = c->arg;
	uint8_t *ram = c->vm->ram;
	uint32_t v;

	if (idx >= NSTEPS)
		return ctx_err(c, "sync from entry %u", idx);
	switch (idx) {
	case 2:		/* refused: still v1, written back; free the grant, plant entries */
		memcpy(&v, ram + ARG(43), 4);
		s->ok[idx] = ctl_version(s) == 1 && v == 1;
		snprintf(s->why[idx], 200, "after a refused switch: control page version %u, written back %u (want 1, 1)",
			 ctl_version(s), v);
		entry_set(s, 1, 9, GTF_permit, 0x99);
		entry_set(s, 1, 1, GTF_permit, 0x1234);	/* reserved: carried over */
		entry_set(s, 1, 20, GTF_permit, 0x55);	/* not reserved: dropped */
		break;
	case 3:		/* v2: reserved entry 1 converted, the rest cleared */
		memcpy(&v, ram + ARG(44), 4);
		s->ok[idx] = ctl_version(s) == 2 && v == 2 && entry_is(s, 2, 1, GTF_permit, 0x1234) &&
			     zero_from(s, 0, 16) && zero_from(s, 32, 4096);
		snprintf(s->why[idx], 200, "control page version %u, written back %u (want 2, 2), v2 entry 1 %s, rest %s",
			 ctl_version(s), v, entry_is(s, 2, 1, GTF_permit, 0x1234) ? "converted" : "wrong",
			 zero_from(s, 0, 16) && zero_from(s, 32, 4096) ? "zero" : "not cleared");
		break;
	case 13:	/* mark a v2 grant in use in its status word */
		*status_word(s, 30) = GTF_writing;
		s->ok[idx] = 1;
		break;
	case 14:	/* refused; free it, plant a reserved entry v1 cannot hold */
		s->ok[idx] = ctl_version(s) == 2;
		snprintf(s->why[idx], 200, "control page version %u after a refused switch (want 2)", ctl_version(s));
		*status_word(s, 30) = 0;
		entry_set(s, 2, 2, GTF_permit, 1ULL << 33);
		break;
	case 15:
		s->ok[idx] = ctl_version(s) == 2;
		snprintf(s->why[idx], 200, "control page version %u after -ERANGE (want 2)", ctl_version(s));
		entry_set(s, 2, 2, GTF_permit, 0x77);
		break;
	case 16:	/* back to v1: reserved entries in v1 form, status words cleared */
		s->ok[idx] = ctl_version(s) == 1 && entry_is(s, 1, 1, GTF_permit, 0x1234) &&
			     entry_is(s, 1, 2, GTF_permit, 0x77) && zero_from(s, 24, 4096) &&
			     *status_word(s, 0) == 0 && *status_word(s, 1) == 0;
		snprintf(s->why[idx], 200, "control page version %u (want 1), v1 entries 1, 2 %s/%s, rest %s",
			 ctl_version(s), entry_is(s, 1, 1, GTF_permit, 0x1234) ? "ok" : "wrong",
			 entry_is(s, 1, 2, GTF_permit, 0x77) ? "ok" : "wrong", zero_from(s, 24, 4096) ? "zero" : "not cleared");
		break;
	case 19:	/* max_grant_version = 1 (DOMUS_XEN_GNTTAB_LIMIT): v2 is -ENOSYS, as Xen */
		{
			struct domus_xen_gnttab_limit l = { .max_version = 1 };
			int r = ioctl(c->vm->fd, DOMUS_XEN_GNTTAB_LIMIT, &l);

			s->ok[idx] = r == 0;
			snprintf(s->why[idx], 200, "DOMUS_XEN_GNTTAB_LIMIT 1: %d (%s)", r, r ? strerror(errno) : "ok");
		}
		break;
	default:
		return ctx_err(c, "unexpected sync from entry %u", idx);
	}
	return 0;
}

static void setup_args(uint8_t *ram)
{
	/* get_status_frames {u32 nr_frames; u16 dom @4; i16 status @6; u64 frame_list @8} */
	put32(ram, ARG(40), 1);
	put16(ram, ARG(40) + 4, DOMID_SELF);
	put64(ram, ARG(40) + 8, ARG(41));
	/* add_to_physmap {u16 domid; u16 size; u32 space @4; u64 idx @8; u64 gpfn @16} */
	put16(ram, ARG(42), DOMID_SELF);
	put32(ram, ARG(42) + 4, 1);
	put64(ram, ARG(42) + 8, 0x80000000ULL);
	put64(ram, ARG(42) + 16, STATUS_GFN);
	put32(ram, ARG(43), 2);
	put32(ram, ARG(44), 2);
	put16(ram, ARG(45), DOMID_SELF);
	put32(ram, ARG(46), 2);
	put32(ram, ARG(47), 2);					/* 2 status frames: one exists */
	put16(ram, ARG(47) + 4, DOMID_SELF);
	put64(ram, ARG(47) + 8, ARG(41));
	put32(ram, ARG(48), 1);
	put16(ram, ARG(48) + 4, NO_DOM);
	put64(ram, ARG(48) + 8, ARG(41));
	memcpy(ram + ARG(49), ram + ARG(42), 24);
	put64(ram, ARG(49) + 8, 0x80000004ULL);
	memcpy(ram + ARG(50), ram + ARG(42), 24);
	put32(ram, ARG(51), 1);
	put16(ram, ARG(51) + 4, DOMID_SELF);
	put64(ram, ARG(51) + 8, BAD_VA);
	put32(ram, ARG(52), 1);
	put16(ram, ARG(52) + 4, DOMID_SELF);
	put64(ram, ARG(52) + 8, ARG(53));
	put64(ram, ARG(53), 0x5a5a5a5a);
	put32(ram, ARG(54), 1);
	put32(ram, ARG(55), 1);
	put32(ram, ARG(56), 1);
	memcpy(ram + ARG(57), ram + ARG(42), 24);
	put32(ram, ARG(58), 0);
	put16(ram, ARG(59), DOMID_SELF);
	put32(ram, ARG(60), 2);
}

static int16_t status_of(const uint8_t *ram, unsigned int slot)
{
	int16_t st;

	memcpy(&st, ram + ARG(slot) + 6, 2);
	return st;
}

void t_xen_gnttab_v2(void)
{
	const size_t len = DOMUS_XEN_GNTTAB_MMAP_PAGES * 4096UL;
	struct gstate s;
	struct vm vm;
	struct ctx c;
	char why[300] = "", name[96];
	unsigned int i;
	uint32_t v;
	uint64_t gfn;
	int ok, r = xen_vm(&vm);

	memset(&s, 0, sizeof(s));
	s.tab = MAP_FAILED;
	if (!r) {
		s.tab = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, vm.fd, DOMUS_XEN_GNTTAB_MMAP_OFFSET);
		if (s.tab == MAP_FAILED)
			r = -1;
	}
	if (r) {
		result("gntv2/run", 0, "setup: %s", domus_last_error());
		goto out;
	}
	result("gntv2/ctl-version-1", ctl_version(&s) == 1, "control page version %u at start, want 1", ctl_version(&s));
	entry_set(&s, 1, 9, GTF_permit | GTF_reading, 0x99);	/* a v1 grant in use */
	setup_args(vm.ram);
	*(uint64_t *)(vm.ram + XH_TABLE) = NSTEPS;
	for (i = 0; i < NSTEPS; i++) {
		uint64_t a[5] = { steps[i].op, steps[i].slot ? ARG(steps[i].slot) : BAD_VA, steps[i].count, 0, 0 };

		put_entry(vm.ram, i, steps[i].nr, a, steps[i].sync ? XH_SYNC : 0);
	}
	ctx_init(&c, &vm, &vm.vcpu[0], 1);
	c.on_sync = gnt_sync;
	c.arg = &s;
	ok = run_to_pass(&c, "xenhc64", why, sizeof(why));
	result("gntv2/run", ok, "%s", why);
	if (!ok)
		goto out;
	for (i = 0; i < NSTEPS; i++) {
		int64_t got = entry_ret(vm.ram, i);

		snprintf(name, sizeof(name), "gntv2/%s", steps[i].name);
		result(name, got == steps[i].want, "hypercall %llu op %llu returned %lld, want %lld",
		       (unsigned long long)steps[i].nr, (unsigned long long)steps[i].op, (long long)got,
		       (long long)steps[i].want);
		if (steps[i].sync) {
			snprintf(name, sizeof(name), "gntv2/%s-host", steps[i].name);
			result(name, s.ok[i], "%s", s.why[i]);
		}
	}
	result("gntv2/status-frames-v1-status", status_of(vm.ram, 40) == -1, "status %d, want GNTST_general_error",
	       status_of(vm.ram, 40));
	memcpy(&v, vm.ram + ARG(45) + 4, 4);
	result("gntv2/get-version-2-value", v == 2, "get_version says %u, want 2", v);
	result("gntv2/status-frames-too-many-status", status_of(vm.ram, 47) == -1,
	       "status %d for 2 frames of 1, want GNTST_general_error", status_of(vm.ram, 47));
	result("gntv2/status-frames-other-dom-status", status_of(vm.ram, 48) == -2, "status %d, want GNTST_bad_domain",
	       status_of(vm.ram, 48));
	result("gntv2/status-frames-bad-list-status", status_of(vm.ram, 51) == -5,
	       "status %d, want GNTST_bad_virt_addr", status_of(vm.ram, 51));
	memcpy(&gfn, vm.ram + ARG(53), 8);
	result("gntv2/status-frames-gfn", status_of(vm.ram, 52) == 0 && gfn == STATUS_GFN,
	       "status %d, frame %#llx, want 0, %#x", status_of(vm.ram, 52), (unsigned long long)gfn, STATUS_GFN);
	memcpy(&v, vm.ram + ARG(59) + 4, 4);
	result("gntv2/get-version-1-value", v == 1, "get_version says %u, want 1", v);
	memcpy(&v, vm.ram + ARG(60), 4);
	result("gntv2/set-v2-limit-1-written-back", v == 1 && ctl_version(&s) == 1,
	       "version written back %u, control page %u, want 1, 1", v, ctl_version(&s));
out:
	if (s.tab != MAP_FAILED)
		munmap(s.tab, len);
	vm_destroy(&vm);
}
