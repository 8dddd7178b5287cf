// SPDX-License-Identifier: MIT
/*
 * The save-file reader (xsr.h, docs/save-format.md): the whole file is
 * validated before anything is taken from it -- its structure by
 * xsr_check (check.c), then, walking it again, the checksum domus writes,
 * the pages against the domain's RAM, the vCPU records and domus' own
 * state.  Records of Xen's that an HVM domain of domus has no use for
 * (LAPIC, PCI_IRQ, HVM_PARAMS, ...) are accepted and ignored; optional
 * records it does not know are skipped, as the format says.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "xsr.h"
#include "xsrcheck.h"

static int rerr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int rerr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static uint32_t le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Xen's arbytes in the AMD layout (it also accepts Intel's: bits 12-15 for 8-11) */
static uint16_t attr(uint32_t ar)
{
	if (ar & 0xf000)
		ar = (ar & 0xff) | ((ar >> 4) & 0xf00);
	return (uint16_t)(ar & 0xfff);
}

static void seg(struct domus_segment *s, uint32_t sel, uint32_t limit, uint64_t base, uint32_t ar)
{
	s->selector = (uint16_t)sel;
	s->limit = limit;
	s->base = base;
	s->attr = attr(ar);
}

static void fpu_reset(struct xsr_vcpu *v)
{
	memset(v->fpu.xsave, 0, sizeof(v->fpu.xsave));
	v->fpu.xsave[0] = 0x7f;		/* FCW 0x037f */
	v->fpu.xsave[1] = 0x03;
	v->fpu.xsave[24] = 0x80;	/* MXCSR 0x1f80 */
	v->fpu.xsave[25] = 0x1f;
}

static void cpu_decode(const uint8_t *p, uint32_t n, struct xsr_vcpu *v)
{
	struct xsr_hvm_cpu c;
	struct domus_regs *r = &v->regs;
	struct domus_sregs *s = &v->sregs;
	uint64_t bv;

	memset(&c, 0, sizeof(c));
	memcpy(&c, p, n < sizeof(c) ? n : sizeof(c));	/* a shorter record is zero-extended */
	r->rax = c.rax; r->rbx = c.rbx; r->rcx = c.rcx; r->rdx = c.rdx;
	r->rbp = c.rbp; r->rsi = c.rsi; r->rdi = c.rdi; r->rsp = c.rsp;
	r->r8 = c.r8; r->r9 = c.r9; r->r10 = c.r10; r->r11 = c.r11;
	r->r12 = c.r12; r->r13 = c.r13; r->r14 = c.r14; r->r15 = c.r15;
	r->rip = c.rip;
	r->rflags = c.rflags | 2;
	s->cr0 = c.cr0; s->cr2 = c.cr2; s->cr3 = c.cr3; s->cr4 = c.cr4;
	s->efer = c.msr_efer;
	seg(&s->cs, c.cs_sel, c.cs_limit, c.cs_base, c.cs_arbytes);
	seg(&s->ds, c.ds_sel, c.ds_limit, c.ds_base, c.ds_arbytes);
	seg(&s->es, c.es_sel, c.es_limit, c.es_base, c.es_arbytes);
	seg(&s->fs, c.fs_sel, c.fs_limit, c.fs_base, c.fs_arbytes);
	seg(&s->gs, c.gs_sel, c.gs_limit, c.gs_base, c.gs_arbytes);
	seg(&s->ss, c.ss_sel, c.ss_limit, c.ss_base, c.ss_arbytes);
	seg(&s->tr, c.tr_sel, c.tr_limit, c.tr_base, c.tr_arbytes);
	seg(&s->ldt, c.ldtr_sel, c.ldtr_limit, c.ldtr_base, c.ldtr_arbytes);
	s->idt.limit = (uint16_t)c.idtr_limit;
	s->idt.base = c.idtr_base;
	s->gdt.limit = (uint16_t)c.gdtr_limit;
	s->gdt.base = c.gdtr_base;
	v->sysenter_cs = c.sysenter_cs;
	v->sysenter_esp = c.sysenter_esp;
	v->sysenter_eip = c.sysenter_eip;
	v->kernel_gs_base = c.shadow_gs;
	v->lstar = c.msr_lstar;
	v->star = c.msr_star;
	v->cstar = c.msr_cstar;
	v->sfmask = c.msr_syscall_mask;
	v->tsc_aux = c.msr_tsc_aux;
	v->tsc = c.tsc;
	v->pat = 0x0007040600070406ULL;	/* the reset value, until an MTRR record says */
	memset(&v->events, 0, sizeof(v->events));
	if (c.pending_event & 1u << 31) {
		unsigned int type = (c.pending_event >> 8) & 7;

		if (type == 3) {
			v->events.exception.pending = 1;
			v->events.exception.nr = (uint8_t)c.pending_event;
			v->events.exception.has_error_code = !!(c.pending_event & 1u << 11);
			v->events.exception.error_code = c.error_code;
		} else if (type == 0) {
			v->events.interrupt.pending = 1;
			v->events.interrupt.nr = (uint8_t)c.pending_event;
		}
	}
	/* the FPU: the FXSAVE image, until a CPU_XSAVE record says more */
	fpu_reset(v);
	v->fpu.xcr0 = 3;
	v->xsave_size = XSR_XSAVE_MIN;
	if (c.flags & XSR_CPU_FPU_INIT) {
		memcpy(v->fpu.xsave, c.fpu_regs, sizeof(c.fpu_regs));
		bv = 3;
		memcpy(v->fpu.xsave + 512, &bv, 8);
	}
}

struct walk {
	const uint8_t *buf;
	size_t len;
	uint64_t ram_size;
	void *ram;
	struct xsr_state *st;
	bool cpu_seen[XSR_MAX_VCPUS];
	bool ds_seen;
	char *err;
	size_t errlen;
};

static int page_data(struct walk *w, const uint8_t *b)
{
	uint32_t count = le32(b), i;
	const uint8_t *data = b + 8 + 8 * (size_t)count;

	for (i = 0; i < count; i++) {
		uint64_t word = le64(b + 8 + 8 * (size_t)i);
		uint64_t pfn = word & XSR_PFN_MASK;
		unsigned int type = (unsigned int)(word >> 60);

		if (type != XSR_PT_NOTAB && type != 0xE)
			continue;	/* XTAB, BROKEN: not populated */
		if (w->ram_size && pfn >= w->ram_size >> 12)
			return rerr(w->err, w->errlen, "page 0x%llx lies beyond the domain's %llu MiB of RAM (memory= of its config)",
				    (unsigned long long)pfn, (unsigned long long)(w->ram_size >> 20));
		if (!w->ram_size && pfn >= (1ULL << 40) >> 12)
			return rerr(w->err, w->errlen, "page 0x%llx lies beyond 1 TiB", (unsigned long long)pfn);
		if ((pfn + 1) << 12 > w->st->ram_size)
			w->st->ram_size = (pfn + 1) << 12;
		if (type == XSR_PT_NOTAB) {
			if (w->ram)
				memcpy((uint8_t *)w->ram + (pfn << 12), data, 4096);
			data += 4096;
		}
	}
	return 0;
}

static int hvm_context(struct walk *w, const uint8_t *b, uint32_t len)
{
	size_t o = 0;

	while (o + 8 <= len) {
		uint16_t code = (uint16_t)(b[o] | b[o + 1] << 8), inst = (uint16_t)(b[o + 2] | b[o + 3] << 8);
		uint32_t n = le32(b + o + 4);
		const uint8_t *p = b + o + 8;
		struct xsr_vcpu *v = inst < XSR_MAX_VCPUS ? &w->st->vcpu[inst] : NULL;

		o += 8 + (size_t)n;
		switch (code) {
		case XSR_HC_END:
			return 0;
		case XSR_HC_HEADER:
			if (le32(p + 20))
				w->st->tsc_khz = le32(p + 20);
			break;
		case XSR_HC_CPU:
			if (!v)
				return rerr(w->err, w->errlen, "a CPU record for vCPU %u: domus restores at most %u", inst,
					    XSR_MAX_VCPUS);
			if (w->cpu_seen[inst])
				return rerr(w->err, w->errlen, "two CPU records for vCPU %u", inst);
			w->cpu_seen[inst] = true;
			cpu_decode(p, n, v);
			break;
		case XSR_HC_MTRR:
			if (v)
				v->pat = le64(p);
			break;
		case XSR_HC_CPU_XSAVE: {
			uint32_t area = n - 24;

			if (!v)
				break;
			if (area > sizeof(v->fpu.xsave)) {
				size_t k;

				for (k = sizeof(v->fpu.xsave); k < area; k++)
					if (p[24 + k])
						return rerr(w->err, w->errlen, "vCPU %u: an XSAVE area of %u bytes: domus keeps %zu",
							    inst, area, sizeof(v->fpu.xsave));
				area = sizeof(v->fpu.xsave);
			}
			memset(v->fpu.xsave, 0, sizeof(v->fpu.xsave));
			memcpy(v->fpu.xsave, p + 24, area);
			v->fpu.xcr0 = le64(p + 8);
			v->xsave_size = area;
			break;
		}
		default:
			break;	/* Xen's records an HVM domain of domus has no use for */
		}
	}
	return 0;
}

static int domus_state(struct walk *w, const uint8_t *b, uint32_t len)
{
	size_t o = 0;
	bool first = true;

	while (o + 8 <= len) {
		uint16_t code = (uint16_t)(b[o] | b[o + 1] << 8), inst = (uint16_t)(b[o + 2] | b[o + 3] << 8);
		uint32_t n = le32(b + o + 4);
		const uint8_t *p = b + o + 8;

		if (n > len - o - 8)
			return rerr(w->err, w->errlen, "domus state: entry %u claims %u bytes, %zu left", code, n,
				    len - o - 8);
		o += 8 + (size_t)n;
		if (first && (code != XSR_DS_VERSION || n != sizeof(struct xsr_ds_version)))
			return rerr(w->err, w->errlen, "domus state: no version entry first");
		first = false;
		/* per-vCPU entries: only for the vCPUs the CPU records name */
		if ((code == XSR_DS_VCPU || code == XSR_DS_APIC || code == XSR_DS_LIFECYCLE) &&
		    (inst >= XSR_MAX_VCPUS || !w->cpu_seen[inst]))
			return rerr(w->err, w->errlen, "domus state: entry %u for vCPU %u, which has no CPU record",
				    code, inst);
		switch (code) {
		case XSR_HC_END:
			w->ds_seen = true;
			return 0;
		case XSR_DS_VERSION:
			if (le32(p) != XSR_DS_FORMAT)
				return rerr(w->err, w->errlen, "domus state format %u: this domus reads format %u (a newer domus wrote the file)",
					    le32(p), XSR_DS_FORMAT);
			break;
		case XSR_DS_VCPU: {
			struct xsr_ds_vcpu e;

			if (n != sizeof(e) || inst >= XSR_MAX_VCPUS)
				return rerr(w->err, w->errlen, "domus state: vCPU entry %u of %u bytes (want %zu)", inst, n,
					    sizeof(e));
			memcpy(&e, p, sizeof(e));
			w->st->vcpu[inst].events = e.events;
			w->st->vcpu[inst].sregs.cr8 = e.cr8;
			w->st->vcpu[inst].sregs.apic_base = e.apic_base;
			break;
		}
		case XSR_DS_DM:
			if (n != sizeof(struct xsr_ds_dm))
				return rerr(w->err, w->errlen, "domus state: device-model entry of %u bytes (want %zu)", n,
					    sizeof(struct xsr_ds_dm));
			memcpy(&w->st->dm, p, sizeof(w->st->dm));
			w->st->has_dm = true;
			break;
		case XSR_DS_APIC: {
			struct xsr_ds_apic a;
			uint32_t i;

			if (n != sizeof(a) || inst >= XSR_MAX_VCPUS)
				return rerr(w->err, w->errlen, "domus state: APIC entry %u of %u bytes (want %zu)", inst, n,
					    sizeof(a));
			memcpy(&a, p, sizeof(a));
			if (a.count > XSR_APIC_MSRS)
				return rerr(w->err, w->errlen, "domus state: APIC entry %u lists %u registers (at most %u)",
					    inst, a.count, XSR_APIC_MSRS);
			for (i = 0; i < a.count; i++)
				if (a.msr[i].index != 0x6e0 && (a.msr[i].index < 0x800 || a.msr[i].index > 0x8ff))
					return rerr(w->err, w->errlen, "domus state: APIC entry %u: MSR 0x%x is not an APIC register",
						    inst, a.msr[i].index);
			w->st->vcpu[inst].apic = a;
			w->st->has_apic = true;
			break;
		}
		case XSR_DS_LIFECYCLE: {
			struct xsr_ds_lifecycle lc;

			if (n != sizeof(lc))
				return rerr(w->err, w->errlen, "domus state: lifecycle entry %u of %u bytes (want %zu)", inst,
					    n, sizeof(lc));
			memcpy(&lc, p, sizeof(lc));
			if ((lc.flags & ~(XSR_LC_WAIT_SIPI | XSR_LC_DOWN)) || lc.reserved)
				return rerr(w->err, w->errlen, "domus state: lifecycle entry %u: flags 0x%x (domus knows 0x%x)",
					    inst, lc.flags, XSR_LC_WAIT_SIPI | XSR_LC_DOWN);
			w->st->vcpu[inst].lifecycle = lc.flags;
			w->st->has_lifecycle = true;
			break;
		}
		default:
			return rerr(w->err, w->errlen, "domus state: unknown entry %u (a newer domus wrote the file)", code);
		}
	}
	return rerr(w->err, w->errlen, "domus state: no END entry");
}

/* The checksum domus writes (if there): first, before anything is taken. */
static int checksum(struct walk *w, size_t off)
{
	off += 24 + 16;
	for (;;) {
		uint32_t type = le32(w->buf + off), blen = le32(w->buf + off + 4), crc;
		const uint8_t *b = w->buf + off + 8;
		size_t at = off;

		if (type == XSR_XC_END)
			return 0;
		off += 8 + (((size_t)blen + 7) & ~(size_t)7);
		if (type != XSR_XC_DOMUS_CHECKSUM)
			continue;
		if (blen != sizeof(struct xsr_checksum) || le32(b) != XSR_CSUM_CRC32)
			return rerr(w->err, w->errlen, "offset %zu: a checksum record domus does not know", at);
		/* zlib takes 32-bit lengths: in pieces of 1 GiB */
		crc = (uint32_t)crc32(0, NULL, 0);
		for (size_t k = 0; k < at; k += 1u << 30)
			crc = (uint32_t)crc32(crc, w->buf + k, (uInt)(at - k < (1u << 30) ? at - k : 1u << 30));
		if (crc != le32(b + 4))
			return rerr(w->err, w->errlen, "checksum mismatch (CRC-32 %08x, the file says %08x): the file is corrupted",
				    crc, le32(b + 4));
	}
}

/* The libxc stream at @off (its image header); after check.c passed. */
static int libxc(struct walk *w, size_t off, size_t *end)
{
	if (checksum(w, off))
		return -1;
	off += 24 + 16;
	for (;;) {
		uint32_t type = le32(w->buf + off), blen = le32(w->buf + off + 4);
		const uint8_t *b = w->buf + off + 8;
		int r = 0;

		off += 8 + (((size_t)blen + 7) & ~(size_t)7);
		switch (type) {
		case XSR_XC_END:
			*end = off;
			return 0;
		case XSR_XC_PAGE_DATA:
			r = page_data(w, b);
			break;
		case XSR_XC_TSC_INFO:
			w->st->tsc_khz = le32(b + 4);
			w->st->elapsed_ns = le64(b + 8);
			break;
		case XSR_XC_HVM_CONTEXT:
			r = hvm_context(w, b, blen);
			break;
		case XSR_XC_DOMUS_STATE:
			r = domus_state(w, b, blen);
			break;
		default:
			break;	/* STATIC_DATA_END, policies, HVM_PARAMS, other optional records */
		}
		if (r)
			return r;
	}
}

int xsr_read(const uint8_t *buf, size_t len, uint64_t ram_size, void *ram, struct xsr_state *st,
	     char *err, size_t errlen)
{
	struct xsr_summary sum;
	struct walk w = { .buf = buf, .len = len, .ram_size = ram_size, .ram = ram, .st = st,
			  .err = err, .errlen = errlen };
	uint32_t odl, clen, i;
	size_t off, end = 0;

	memset(st, 0, sizeof(*st));
	if (xsr_check(buf, len, XSR_XL, &sum, err, errlen))
		return -1;
	if (!(le32(buf + 36) & XSR_XL_JSON) || sum.config_len < 2)
		return rerr(err, errlen, "the file carries no domain config (JSON)");
	if (buf[52] != '{')
		return rerr(err, errlen, "the file's config is not domus' JSON view (a libxl config from Xen? not supported yet)");
	odl = le32(buf + 44);
	clen = le32(buf + 48);
	st->config = (const char *)buf + 52;
	st->config_len = clen;
	if (memchr(st->config, 0, clen) != st->config + clen - 1)
		return rerr(err, errlen, "the file's config has a NUL inside");
	st->vcpu = calloc(XSR_MAX_VCPUS, sizeof(*st->vcpu));
	if (!st->vcpu)
		return rerr(err, errlen, "out of memory");
	off = 48 + (size_t)odl + 16;	/* the libxl records */
	for (;;) {
		uint32_t type = le32(buf + off);

		if (type == XSR_LXL_END)
			break;
		if (type == XSR_LXL_LIBXC_CONTEXT) {
			if (be32(buf + off + 8 + 12) != 3 && be32(buf + off + 8 + 12) != 2)
				goto bad;
			if (libxc(&w, off + 8, &end))
				goto bad;
			off = end;
			continue;
		}
		rerr(err, errlen, "libxl record %u: device-model state, which domus cannot restore yet", type);
		goto bad;
	}
	for (i = 0; i < XSR_MAX_VCPUS && w.cpu_seen[i]; i++)
		;
	st->nvcpu = i;
	for (; i < XSR_MAX_VCPUS; i++)
		if (w.cpu_seen[i]) {
			rerr(err, errlen, "CPU records for vCPUs %u and %u but not for those between", st->nvcpu, i);
			goto bad;
		}
	if (!st->nvcpu) {
		rerr(err, errlen, "no CPU record: nothing to run");
		goto bad;
	}
	if (ram_size)
		st->ram_size = ram_size;
	return 0;
bad:
	xsr_state_free(st);
	return -1;
}

void xsr_state_free(struct xsr_state *st)
{
	free(st->vcpu);
	st->vcpu = NULL;
}
