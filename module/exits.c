// SPDX-License-Identifier: GPL-2.0-only
/*
 * Vendor-independent exit handling, called by the backends: port I/O
 * (incl. string I/O), MMIO emulation through x86emu, hypercall routing,
 * HLT blocking and the filtered CPUID table; plus guest memory access by
 * virtual address (pgwalk) and completion of userspace answers at the
 * next DOMUS_RUN.
 */
#define pr_fmt(fmt) "domus: " fmt

#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include "core.h"
#include "cr4.h"
#include "pgwalk.h"
#include "spec_host.h"

/* --- guest memory by virtual address ------------------------------------ */

static int domus_pgwalk_read(void *opaque, u64 gpa, u64 *val, unsigned int size)
{
	struct domus_vcpu *v = opaque;

	*val = 0;
	return domus_read_gpa(v->dom, gpa, val, size) ? -1 : 0;
}

static const struct pgwalk_ops domus_pgwalk_ops = {
	.read_gpa = domus_pgwalk_read,
};

int domus_gva_to_gpa(struct domus_vcpu *v, const struct domus_sregs *s,
		     u64 gva, unsigned int access, u64 *gpa, u32 *pf_error)
{
	struct pgwalk_regs r = {
		.cr0 = s->cr0, .cr3 = s->cr3, .cr4 = s->cr4, .efer = s->efer,
		.maxphyaddr = boot_cpu_data.x86_phys_bits,
	};

	if (((s->ss.attr >> 5) & 3) == 3)
		access |= PGWALK_USER;
	return pgwalk_translate(&domus_pgwalk_ops, v, &r, gva, access, gpa, pf_error);
}

/* Copy to/from guest-linear memory, page by page; -EFAULT on any fault. */
static int domus_access_linear(struct domus_vcpu *v, const struct domus_sregs *s,
			       u64 la, void *buf, unsigned int len, bool write)
{
	while (len) {
		unsigned int n = min_t(unsigned int, len, PAGE_SIZE - offset_in_page(la));
		u64 gpa;
		u32 pf;
		int ret;

		if (domus_gva_to_gpa(v, s, la, write ? PGWALK_WRITE : 0, &gpa, &pf))
			return -EFAULT;
		ret = write ? domus_write_gpa(v->dom, gpa, buf, n) :
			      domus_read_gpa(v->dom, gpa, buf, n);
		if (ret)
			return ret;
		la += n;
		buf += n;
		len -= n;
	}
	return 0;
}

static enum x86emu_mode domus_cpu_mode(const struct domus_sregs *s, u64 rflags)
{
	if (!(s->cr0 & 1) || (rflags & X86_EFLAGS_VM))
		return X86EMU_MODE_REAL16;
	if ((s->efer & EFER_LMA) && (s->cs.attr & (1 << 9)))
		return X86EMU_MODE_LONG64;
	return (s->cs.attr & (1 << 10)) ? X86EMU_MODE_PROT32 : X86EMU_MODE_PROT16;
}

static u64 domus_linear_mask(enum x86emu_mode mode)
{
	return mode == X86EMU_MODE_LONG64 ? ~0ULL : 0xffffffffULL;
}

int domus_fetch_insn(struct domus_vcpu *v, u8 *buf)
{
	struct domus_regs r;
	u64 la;
	int n;

	domus_arch->get_regs(v, &r);
	domus_arch->get_sregs(v, &v->emu_sregs);
	la = (v->emu_sregs.cs.base + r.rip) &
	     domus_linear_mask(domus_cpu_mode(&v->emu_sregs, r.rflags));
	/* as many of the 15 bytes as are readable (the tail may be unmapped) */
	for (n = X86EMU_MAX_INSN_LEN; n > 0; n--) {
		unsigned int first = min_t(unsigned int, n, PAGE_SIZE - offset_in_page(la));

		if (domus_access_linear(v, &v->emu_sregs, la, buf, first, false))
			return -EFAULT;
		if (first == n || !domus_access_linear(v, &v->emu_sregs, la + first,
						       buf + first, n - first, false))
			return n;
		n = first + 1;	/* the next page is unreadable: use what we have */
	}
	return -EFAULT;
}

/*
 * Address size (2, 4 or 8 bytes) and segment (0 ES .. 5 GS) of the string
 * I/O instruction at RIP, for a CPU that does not report them: the mode's
 * default, changed by the instruction's prefixes.  The bytes are the
 * guest's and may have changed since the exit (another vCPU): the scan
 * stops at the first byte that is not a prefix, within the 15 fetched, and
 * whatever it finds is one of the valid answers; an unreadable RIP leaves
 * the defaults.  Only OUTS uses @seg (INS writes ES:DI).
 */
void domus_io_decode(struct domus_vcpu *v, u8 *asz, int *seg)
{
	u8 insn[X86EMU_MAX_INSN_LEN];
	enum x86emu_mode mode;
	bool a67 = false;
	int n, i;

	n = domus_fetch_insn(v, insn);	/* fills v->emu_sregs, also on failure */
	mode = domus_cpu_mode(&v->emu_sregs, domus_arch->get_rflags(v));
	*seg = 3;	/* DS */
	for (i = 0; i < n; i++) {
		switch (insn[i]) {
		case 0x26: *seg = 0; continue;
		case 0x2e: *seg = 1; continue;
		case 0x36: *seg = 2; continue;
		case 0x3e: *seg = 3; continue;
		case 0x64: *seg = 4; continue;
		case 0x65: *seg = 5; continue;
		case 0x67: a67 = true; continue;	/* twice is still once */
		case 0x66: case 0xf2: case 0xf3:
			continue;
		}
		if (mode == X86EMU_MODE_LONG64 && (insn[i] & 0xf0) == 0x40)
			continue;	/* REX */
		break;
	}
	if (mode == X86EMU_MODE_LONG64)
		*asz = a67 ? 4 : 8;
	else if (mode == X86EMU_MODE_PROT32)
		*asz = a67 ? 2 : 4;
	else
		*asz = a67 ? 4 : 2;
}

/* --- register conversions -------------------------------------------------- */

static void domus_regs_to_emu(const struct domus_regs *r, struct x86emu_regs *e)
{
	e->gpr[0] = r->rax; e->gpr[1] = r->rcx; e->gpr[2] = r->rdx; e->gpr[3] = r->rbx;
	e->gpr[4] = r->rsp; e->gpr[5] = r->rbp; e->gpr[6] = r->rsi; e->gpr[7] = r->rdi;
	e->gpr[8] = r->r8; e->gpr[9] = r->r9; e->gpr[10] = r->r10; e->gpr[11] = r->r11;
	e->gpr[12] = r->r12; e->gpr[13] = r->r13; e->gpr[14] = r->r14; e->gpr[15] = r->r15;
	e->rip = r->rip;
	e->rflags = r->rflags;
}

static void domus_emu_to_regs(const struct x86emu_regs *e, struct domus_regs *r)
{
	r->rax = e->gpr[0]; r->rcx = e->gpr[1]; r->rdx = e->gpr[2]; r->rbx = e->gpr[3];
	r->rsp = e->gpr[4]; r->rbp = e->gpr[5]; r->rsi = e->gpr[6]; r->rdi = e->gpr[7];
	r->r8 = e->gpr[8]; r->r9 = e->gpr[9]; r->r10 = e->gpr[10]; r->r11 = e->gpr[11];
	r->r12 = e->gpr[12]; r->r13 = e->gpr[13]; r->r14 = e->gpr[14]; r->r15 = e->gpr[15];
	r->rip = e->rip;
	r->rflags = e->rflags;
}

/* --- MMIO emulation ---------------------------------------------------------- */

static int domus_emu_read_mem(void *opaque, u64 la, void *buf, unsigned int len)
{
	struct domus_vcpu *v = opaque;

	return domus_access_linear(v, &v->emu_sregs, la, buf, len, false) ? -1 : 0;
}

static int domus_emu_write_mem(void *opaque, u64 la, const void *buf, unsigned int len)
{
	struct domus_vcpu *v = opaque;

	return domus_access_linear(v, &v->emu_sregs, la, (void *)buf, len, true) ? -1 : 0;
}

static u64 domus_emu_seg_base(void *opaque, int seg)
{
	struct domus_vcpu *v = opaque;
	const struct domus_sregs *s = &v->emu_sregs;

	switch (seg) {
	case X86EMU_ES: return s->es.base;
	case X86EMU_CS: return s->cs.base;
	case X86EMU_SS: return s->ss.base;
	case X86EMU_DS: return s->ds.base;
	case X86EMU_FS: return s->fs.base;
	case X86EMU_GS: return s->gs.base;
	default: return 0;
	}
}

static const struct x86emu_ops domus_emu_ops = {
	.read_mem = domus_emu_read_mem,
	.write_mem = domus_emu_write_mem,
	.seg_base = domus_emu_seg_base,
};

int domus_emulation_failed(struct domus_vcpu *v, u64 gpa, const u8 *insn,
			   unsigned int len)
{
	struct domus_run *run = v->run;
	/* the run page is userspace's too: never read back what we wrote */
	unsigned int n = min_t(unsigned int, len, sizeof(run->emulation.insn));
	struct domus_regs r;

	domus_arch->get_regs(v, &r);
	run->exit_reason = DOMUS_EXIT_EMULATION;
	memset(&run->emulation, 0, sizeof(run->emulation));
	run->emulation.gpa = gpa;
	run->emulation.rip = r.rip;
	run->emulation.insn_len = n;
	if (insn)
		memcpy(run->emulation.insn, insn, n);
	v->mmio_pending = false;
	return 0;
}

static int domus_emu_step(struct domus_vcpu *v, enum x86emu_step step)
{
	struct domus_run *run = v->run;
	struct domus_regs r;

	/* accesses to an in-kernel range (mmio.c) complete here, one at a time */
	while (step == X86EMU_MMIO_READ || step == X86EMU_MMIO_WRITE) {
		bool write = step == X86EMU_MMIO_WRITE;
		u8 data[8] = { 0 };
		int k;

		if (write)
			memcpy(data, v->emu.mmio_data, min_t(unsigned int, v->emu.mmio_len, 8));
		k = domus_mmio_dispatch(v, v->mmio_gpa, v->emu.mmio_len, write, data);
		if (!k)
			break;
		if (k < 0) {
			step = X86EMU_FAIL;
			break;
		}
		domus_stat_inc(v->dom, DOMUS_STAT_MMIO);
		step = x86emu_complete(&v->emu, write ? NULL : data);
	}
	switch (step) {
	case X86EMU_MMIO_READ:
	case X86EMU_MMIO_WRITE:
		run->exit_reason = DOMUS_EXIT_MMIO;
		memset(&run->mmio, 0, sizeof(run->mmio));
		run->mmio.gpa = v->mmio_gpa;
		run->mmio.len = v->emu.mmio_len;
		run->mmio.is_write = step == X86EMU_MMIO_WRITE;
		if (step == X86EMU_MMIO_WRITE)
			memcpy(run->mmio.data, v->emu.mmio_data, v->emu.mmio_len);
		v->mmio_pending = true;
		domus_stat_inc(v->dom, DOMUS_STAT_MMIO);
		return 0;
	case X86EMU_DONE:
		v->mmio_pending = false;
		domus_arch->get_regs(v, &r);
		domus_emu_to_regs(&v->emu_regs, &r);
		domus_arch->set_regs(v, &r);
		return 1;
	default:
		return domus_emulation_failed(v, v->mmio_gpa, NULL, 0);
	}
}

int domus_emulate_mmio(struct domus_vcpu *v, u64 gpa, bool write,
		       const u8 *insn, unsigned int insn_len)
{
	u8 bytes[X86EMU_MAX_INSN_LEN];
	struct domus_regs r;
	enum x86emu_mode mode;
	int n;

	domus_spec_host_ran(v);
	if (!insn || !insn_len) {
		n = domus_fetch_insn(v, bytes);
		if (n < 0)
			return domus_emulation_failed(v, gpa, NULL, 0);
		insn = bytes;
		insn_len = n;
	} else {
		domus_arch->get_sregs(v, &v->emu_sregs);
	}
	domus_arch->get_regs(v, &r);
	mode = domus_cpu_mode(&v->emu_sregs, r.rflags);

	memset(&v->emu, 0, sizeof(v->emu));
	v->emu.ops = &domus_emu_ops;
	v->emu.opaque = v;
	v->emu.regs = &v->emu_regs;
	v->emu.mode = mode;
	v->emu.mmio_is_dest = write;
	domus_regs_to_emu(&r, &v->emu_regs);
	if (x86emu_decode(insn, insn_len, mode, &v->emu.insn))
		return domus_emulation_failed(v, gpa, insn, insn_len);
	v->mmio_gpa = gpa;
	n = domus_emu_step(v, x86emu_start(&v->emu));
	if (!n && v->run->exit_reason == DOMUS_EXIT_EMULATION)
		return domus_emulation_failed(v, gpa, insn, insn_len);
	return n;
}

/* --- port I/O ---------------------------------------------------------------- */

static u64 domus_reg_update(u64 old, u64 val, u8 size)
{
	switch (size) {
	case 1: return (old & ~0xffULL) | (val & 0xff);
	case 2: return (old & ~0xffffULL) | (val & 0xffff);
	case 4: return val & 0xffffffffULL;
	default: return val;
	}
}

static u64 domus_addr_mask(u8 addr_size)
{
	return addr_size == 8 ? ~0ULL : (1ULL << (addr_size * 8)) - 1;
}

/* A segment's base for a string operand; in 64-bit mode only FS and GS have one. */
static u64 domus_seg_base(const struct domus_sregs *s, enum x86emu_mode mode, int seg)
{
	const struct domus_segment *segs[] = { &s->es, &s->cs, &s->ss, &s->ds, &s->fs, &s->gs };

	if (seg < 0 || seg >= 6)
		seg = 3;
	if (mode == X86EMU_MODE_LONG64 && seg < 4)
		return 0;
	return segs[seg]->base;
}

/*
 * How many elements of @size one exit moves for a string I/O whose first
 * element is at offset @off (SI or DI, address size @mask) and linear
 * address @la, descending when @down: at most @max, none beyond the
 * linear page of the first element, none past the address-size wrap of
 * the offset.  An element that crosses a page or the wrap goes alone, so
 * a fault or a missing mapping is only ever on the first element.
 */
static u32 domus_str_count(u64 la, u64 off, u64 mask, u8 size, bool down, u64 max)
{
	unsigned int o = offset_in_page(la);
	u64 n = max, room;

	off &= mask;
	if (!n || o + size > PAGE_SIZE || off > mask - (size - 1))
		return 1;
	room = down ? o / size + 1 : (PAGE_SIZE - o) / size;
	n = min(n, room);
	if (mask != ~0ULL) {
		room = down ? off / size + 1 : (mask - off + 1) / size;
		n = min(n, room);
	}
	return max_t(u64, n, 1);
}

/*
 * Move @n elements between the data area and guest-linear memory, the
 * first at @la, the next ones below it when @down (the data area keeps
 * them in I/O order).  More than one element lie in one page (above).
 */
static int domus_str_move(struct domus_vcpu *v, u64 la, u8 *data, u32 n, u8 size,
			  bool down, bool write)
{
	const struct domus_sregs *s = &v->emu_sregs;
	u8 buf[256];
	u32 i, j, m;

	if (!down || n == 1)
		return domus_access_linear(v, s, la, data, n * size, write);
	for (i = 0; i < n; i += m) {
		m = min_t(u32, n - i, sizeof(buf) / size);
		if (write)
			for (j = 0; j < m; j++)
				memcpy(buf + j * size, data + (i + m - 1 - j) * size, size);
		if (domus_access_linear(v, s, la - (u64)(i + m - 1) * size, buf, m * size, write))
			return -EFAULT;
		if (!write)
			for (j = 0; j < m; j++)
				memcpy(data + (i + m - 1 - j) * size, buf + j * size, size);
	}
	return 0;
}

/* Advance SI or DI and RCX past @n elements; RIP past the instruction when done. */
static void domus_str_advance(struct domus_regs *r, u64 *idx, u32 n, u8 size, u8 addr_size,
			      bool rep, u64 next_rip)
{
	u64 delta = (u64)n * size;

	if (r->rflags & X86_EFLAGS_DF)
		delta = -delta;
	*idx = domus_reg_update(*idx, *idx + delta, addr_size);
	if (rep)
		r->rcx = domus_reg_update(r->rcx, r->rcx - n, addr_size);
	if (!rep || !(r->rcx & domus_addr_mask(addr_size)))
		r->rip = next_rip;
}

int domus_handle_pio(struct domus_vcpu *v, u16 port, u8 size, bool in,
		     bool string, bool rep, u8 addr_size, int seg, u64 next_rip)
{
	struct domus_run *run = v->run;
	u8 *data = (u8 *)run + DOMUS_RUN_DATA_OFFSET;
	enum x86emu_mode mode;
	struct domus_regs r;
	u64 mask, la, *idx;
	bool down;
	u32 n;

	domus_stat_inc(v->dom, DOMUS_STAT_IO);
	if (!string) {
		u32 val = 0;
		int ret;

		if (!in)
			val = v->regs[0] & (size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1);
		ret = domus_pers_pio(v, port, size, in, &val);
		if (ret >= 0) {
			domus_arch->get_regs(v, &r);
			if (in)
				r.rax = domus_reg_update(r.rax, val, size);
			r.rip = next_rip;
			domus_arch->set_regs(v, &r);
			return ret;
		}
	}
	run->exit_reason = DOMUS_EXIT_IO;
	memset(&run->io, 0, sizeof(run->io));
	run->io.port = port;
	run->io.size = size;
	run->io.direction = in ? DOMUS_IO_IN : DOMUS_IO_OUT;
	run->io.count = 1;
	run->io.data_offset = DOMUS_RUN_DATA_OFFSET;
	v->pio_size = size;

	domus_arch->get_regs(v, &r);
	if (!string) {
		if (in) {
			v->pend = DOMUS_PEND_PIO_IN;
		} else {
			memcpy(data, &r.rax, size);
		}
		r.rip = next_rip;
		domus_arch->set_regs(v, &r);
		return 0;
	}

	run->io.flags = DOMUS_IO_STRING;
	mask = domus_addr_mask(addr_size);
	if (rep && !(r.rcx & mask)) {
		r.rip = next_rip;
		domus_arch->set_regs(v, &r);
		return 1;
	}
	domus_arch->get_sregs(v, &v->emu_sregs);
	mode = domus_cpu_mode(&v->emu_sregs, r.rflags);
	down = r.rflags & X86_EFLAGS_DF;
	/* INS writes ES:DI (no override), OUTS reads seg:SI */
	idx = in ? &r.rdi : &r.rsi;
	la = (domus_seg_base(&v->emu_sregs, mode, in ? 0 : seg) + (*idx & mask)) &
	     domus_linear_mask(mode);
	n = domus_str_count(la, *idx, mask, size, down,
			    min_t(u64, rep ? r.rcx & mask : 1, DOMUS_RUN_DATA_SIZE / size));
	run->io.count = n;
	if (in) {
		/* INS: the data arrives with the next DOMUS_RUN */
		v->pend = DOMUS_PEND_INS;
		v->pio_addr_size = addr_size;
		v->pio_mode = mode;
		v->pio_rep = rep;
		v->pio_count = n;
		v->pio_rip = r.rip;
		v->pio_next_rip = next_rip;
		return 0;
	}
	if (domus_str_move(v, la, data, n, size, down, false))
		return domus_emulation_failed(v, 0, NULL, 0);
	domus_str_advance(&r, idx, n, size, addr_size, rep, next_rip);
	domus_arch->set_regs(v, &r);
	return 0;
}

/*
 * The data of a pending INS, into guest memory.  Userspace may have changed
 * the registers since the exit (SET_REGS): an INS no longer at RIP or in
 * another mode is dropped (the guest runs on from where it is now; the
 * instruction, if there, reads the port again); otherwise the count is
 * bounded again by RCX and DI as they are now.
 */
static int domus_complete_ins(struct domus_vcpu *v)
{
	u8 *data = (u8 *)v->run + DOMUS_RUN_DATA_OFFSET;
	u8 size = v->pio_size, as = v->pio_addr_size;
	u64 mask = domus_addr_mask(as), la;
	enum x86emu_mode mode;
	struct domus_regs r;
	u32 n;

	domus_arch->get_regs(v, &r);
	domus_arch->get_sregs(v, &v->emu_sregs);
	mode = domus_cpu_mode(&v->emu_sregs, r.rflags);
	if (r.rip != v->pio_rip || mode != v->pio_mode || (v->pio_rep && !(r.rcx & mask)))
		return 1;
	la = (domus_seg_base(&v->emu_sregs, mode, 0) + (r.rdi & mask)) & domus_linear_mask(mode);
	n = domus_str_count(la, r.rdi, mask, size, r.rflags & X86_EFLAGS_DF,
			    min_t(u64, v->pio_count, v->pio_rep ? r.rcx & mask : 1));
	if (domus_str_move(v, la, data, n, size, r.rflags & X86_EFLAGS_DF, true))
		return domus_emulation_failed(v, 0, NULL, 0);
	domus_str_advance(&r, &r.rdi, n, size, as, v->pio_rep, v->pio_next_rip);
	domus_arch->set_regs(v, &r);
	return 1;
}

/* --- hypercalls, HLT, CPUID ------------------------------------------------------- */

int domus_handle_hypercall(struct domus_vcpu *v)
{
	const struct domus_personality *p = v->dom->pers;
	struct domus_regs r;
	int ret;
	int len = domus_exit_len(v, domus_arch->hypercall_insn,
				 sizeof(domus_arch->hypercall_insn));

	if (!len)
		return 0;
	domus_spec_host_ran(v);
	domus_stat_inc(v->dom, DOMUS_STAT_HYPERCALL);
	domus_arch->skip_insn(v, len);
	/* the default hook on the GPRs in place: no register copy */
	if (p->hypercall == domus_pers_default_hypercall)
		return domus_pers_default_hypercall_gprs(v);
	domus_arch->get_regs(v, &r);
	ret = p->hypercall(v, &r);
	domus_arch->set_regs(v, &r);
	return ret;
}

static bool domus_vcpu_wakeup(struct domus_vcpu *v)
{
	return atomic_read(&v->irq.nmi) || (v->hlt_if && domus_vcpu_has_irq(v)) ||
	       atomic_read(&v->halt_end) || signal_pending(current);
}

/* The guest executed HLT (RIP is past it). */
int domus_handle_hlt(struct domus_vcpu *v)
	__must_hold(&v->dom->srcu)
{
	domus_stat_inc(v->dom, DOMUS_STAT_HLT);
	if (!domus_pers_hlt(v))
		return 0;
	if (READ_ONCE(v->run->flags) & DOMUS_RUN_EXIT_ON_HLT) {
		v->run->exit_reason = DOMUS_EXIT_HLT;
		return 0;
	}
	/*
	 * Userspace holds an interrupt it could not inject and asked for the
	 * window; a HLT with IF set opens it (Linux's idle, "sti; hlt": the
	 * HLT in the STI shadow exits before the window would).  RIP is past
	 * the HLT, so the interrupt userspace injects now wakes it, as on
	 * hardware; sleeping here would wait for an interrupt only userspace
	 * can deliver.
	 */
	if ((READ_ONCE(v->run->flags) & DOMUS_RUN_IRQ_WINDOW) && v->hlt_if && !domus_vcpu_has_irq(v)) {
		v->run->exit_reason = DOMUS_EXIT_IRQ_WINDOW;
		v->run->if_flag = 1;		/* the shadow ended with the HLT */
		v->run->ready_for_interrupt = 1;
		return 0;
	}
	domus_pers_sync_events(v);
	domus_vcpu_wait(v, domus_vcpu_wakeup(v));
	atomic_set(&v->halt_end, 0);
	domus_spec_host_ran(v);
	return 1;
}

/* Host CPUID leaves that cap what a guest may be offered. */
static u32 host_1_ecx, host_1_edx, host_7_ebx, host_7_ecx, host_7_edx;
static u32 host_81_ecx, host_81_edx;
u64 domus_host_cr4;

static void domus_cpuid_host_init(void)
{
	u32 a, b, c, d;

	cpuid(1, &a, &b, &host_1_ecx, &host_1_edx);
	if (cpuid_eax(0) >= 7)
		cpuid_count(7, 0, &a, &host_7_ebx, &host_7_ecx, &host_7_edx);
	if (cpuid_eax(0x80000000) >= 0x80000001)
		cpuid(0x80000001, &a, &b, &host_81_ecx, &host_81_edx);
	domus_host_cr4 = domus_cr4_allowed(&(struct domus_cr4_cpuid){
		.l1_ecx = host_1_ecx, .l1_edx = host_1_edx,
		.l7_ebx = host_7_ebx, .l7_ecx = host_7_ecx }, ~0ULL);
	(void)c;
	(void)d;
}

void domus_cpuid(struct domus_vcpu *v, u32 fn, u32 idx, u32 out[4])
{
	domus_stat_inc(v->dom, DOMUS_STAT_CPUID);
	domus_cpuid_view(v, fn, idx, out);
}

void domus_cpuid_view(struct domus_vcpu *v, u32 fn, u32 idx, u32 out[4])
{
	const struct domus_cpuid_entry *e;

	if (domus_pers_cpuid(v, fn, idx, out))
		return;
	e = domus_cpuid_find(v->dom, fn, idx);
	if (e) {
		out[0] = e->eax; out[1] = e->ebx; out[2] = e->ecx; out[3] = e->edx;
	} else {
		out[0] = out[1] = out[2] = out[3] = 0;
	}
	/*
	 * Never offer what domus does not virtualize or the CPU lacks: no
	 * VMX/SMX/SVM/SKINIT, no MONITOR/MWAIT, no PKU/WAITPKG.
	 */
	switch (fn) {
	case 1:
		out[1] = (out[1] & 0x00ffffff) | (v->id << 24);
		out[2] &= host_1_ecx & ~(BIT(3) | BIT(5) | BIT(6) | BIT(27));
		if (domus_arch->get_cr4(v) & X86_CR4_OSXSAVE)
			out[2] |= BIT(27);
		out[2] |= BIT(31);	/* running on a hypervisor */
		out[3] &= host_1_edx;
		break;
	case 5:
		out[0] = out[1] = out[2] = out[3] = 0;
		break;
	case 7:
		if (idx == 0) {
			out[1] &= host_7_ebx;
			out[2] &= host_7_ecx & ~(BIT(3) | BIT(4) | BIT(5));
			/*
			 * No speculation-control MSRs (SPEC_CTRL, PRED_CMD,
			 * ARCH_CAPABILITIES) are virtualized yet: do not
			 * advertise IBRS/IBPB, STIBP, ARCH_CAPABILITIES, SSBD.
			 */
			out[3] &= host_7_edx & ~(BIT(26) | BIT(27) | BIT(29) | BIT(31));
		}
		break;
	case 0x80000008:
		/*
		 * the same for AMD's IBPB, IBRS, STIBP, SSBD, VIRT_SSBD; and
		 * no IRPERF (its counter MSR and HWCR's enable bit are not
		 * virtualized)
		 */
		out[1] &= ~(BIT(1) | BIT(12) | BIT(14) | BIT(15) | BIT(24) | BIT(25));
		break;
	case 0x80000001:
		out[2] &= host_81_ecx & ~(BIT(2) | BIT(12));
		out[3] &= host_81_edx;
		break;
	case 0x8000000a:
		out[0] = out[1] = out[2] = out[3] = 0;
		break;
	}
	domus_pers_cpuid_post(v, fn, idx, out);
}

int domus_complete_pending(struct domus_vcpu *v)
{
	struct domus_run *run = v->run;
	struct domus_regs r;
	int pend = v->pend;

	v->pend = DOMUS_PEND_NONE;
	switch (pend) {
	case DOMUS_PEND_PIO_IN: {
		u64 val = 0;

		memcpy(&val, (u8 *)run + DOMUS_RUN_DATA_OFFSET, v->pio_size);
		domus_arch->get_regs(v, &r);
		r.rax = domus_reg_update(r.rax, val, v->pio_size);
		domus_arch->set_regs(v, &r);
		break;
	}
	case DOMUS_PEND_INS:
		return domus_complete_ins(v);
	case DOMUS_PEND_HYPERCALL:
		domus_arch->get_regs(v, &r);
		r.rax = run->hypercall.ret;
		domus_arch->set_regs(v, &r);
		break;
	}
	if (v->mmio_pending) {
		u8 data[8];

		/* the emulator knows whether it waits for a read; the page's is_write is not asked */
		memcpy(data, run->mmio.data, sizeof(data));
		return domus_emu_step(v, x86emu_complete(&v->emu, data));
	}
	return 1;
}

void domus_exits_init(void)
{
	domus_cpuid_host_init();
}

int domus_virt_msr(struct domus_vcpu *v, u32 index, u64 *data, bool write)
{
	return v->dom->pers->msr(v, index, data, write);
}

/* Copy to or from guest-virtual memory with the vCPU's current paging. */
int domus_copy_guest_virt(struct domus_vcpu *v, u64 gva, void *buf,
			  unsigned int len, bool write)
{
	struct domus_sregs s;

	domus_arch->get_sregs(v, &s);
	return domus_access_linear(v, &s, gva, buf, len, write);
}

int domus_vcpu_cpl(struct domus_vcpu *v)
{
	struct domus_sregs s;
	struct domus_regs r;

	domus_arch->get_sregs(v, &s);
	if (!(s.cr0 & X86_CR0_PE))
		return 0;
	domus_arch->get_regs(v, &r);
	if (r.rflags & X86_EFLAGS_VM)
		return 3;
	return (s.ss.attr >> 5) & 3;
}

void domus_hypercall_insn(u8 *buf)
{
	memcpy(buf, domus_arch->hypercall_insn, 3);
}

/* A PAT value the guest may load: every entry a defined memory type. */
bool domus_pat_valid(u64 pat)
{
	int i;

	for (i = 0; i < 8; i++) {
		u8 t = pat >> (i * 8);

		if (t == 2 || t == 3 || t > 7)
			return false;
	}
	return true;
}
