// SPDX-License-Identifier: MIT
/*
 * The save-file writer (xsr.h, docs/save-format.md).  What it writes, in
 * Xen 4.17's own order for an HVM guest:
 *   xl header + the config (JSON, with its NUL)
 *   libxl header, LIBXC_CONTEXT
 *     libxc image header (v3), domain header (HVM), STATIC_DATA_END
 *     PAGE_DATA: every page of RAM, 1024 a record
 *     X86_TSC_INFO
 *     HVM_CONTEXT: HEADER, CPU per vCPU, MTRR per vCPU, CPU_XSAVE per vCPU, END
 *     HVM_PARAMS (none yet: count 0)
 *     DOMUS_STATE (optional): what Xen has no record for
 *     DOMUS_CHECKSUM (optional): CRC-32 of every byte before it
 *     END
 *   libxl END
 */
#include <cpuid.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "xsr.h"

#define WBUF_SIZE	(1u << 20)

struct wr {
	int fd;
	uint8_t *buf;
	size_t n;
	uint64_t total;		/* bytes written to the file so far (+ n) */
	uLong crc;
	int err;		/* errno of the first failure */
};

static void flush(struct wr *w)
{
	size_t off = 0;

	if (w->err)
		return;
	w->crc = crc32(w->crc, w->buf, (uInt)w->n);
	while (off < w->n) {
		ssize_t r = write(w->fd, w->buf + off, w->n - off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			w->err = r < 0 ? errno : EIO;
			return;
		}
		off += (size_t)r;
	}
	w->n = 0;
}

static void put(struct wr *w, const void *p, size_t len)
{
	const uint8_t *s = p;

	while (len && !w->err) {
		size_t k = WBUF_SIZE - w->n < len ? WBUF_SIZE - w->n : len;

		memcpy(w->buf + w->n, s, k);
		w->n += k;
		w->total += k;
		s += k;
		len -= k;
		if (w->n == WBUF_SIZE)
			flush(w);
	}
}

static void pad8(struct wr *w, size_t len)
{
	static const uint8_t zero[8];

	put(w, zero, (8 - (len & 7)) & 7);
}

static void rec(struct wr *w, uint32_t type, uint32_t len)
{
	struct xsr_rec r = { .type = type, .length = len };

	put(w, &r, sizeof(r));
}

static void rec_body(struct wr *w, uint32_t type, const void *body, uint32_t len)
{
	rec(w, type, len);
	put(w, body, len);
	pad8(w, len);
}

static void be32_put(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

uint32_t xsr_xsave_size(uint64_t xcr0)
{
	uint32_t size = XSR_XSAVE_MIN;
	unsigned int i, a, b, c, d;

	/* this host's layout: the one the module saved the state in */

	for (i = 2; i < 63; i++) {
		if (!(xcr0 & (1ULL << i)))
			continue;
		if (!__get_cpuid_count(0xd, i, &a, &b, &c, &d) || !a)
			continue;
		if (b + a > size)
			size = b + a;
	}
	return size > sizeof(((struct domus_fpu *)0)->xsave) ?
		(uint32_t)sizeof(((struct domus_fpu *)0)->xsave) : size;
}

static void seg(const struct domus_segment *s, uint32_t *sel, uint32_t *limit, uint64_t *base, uint32_t *ar)
{
	*sel = s->selector;
	*limit = s->limit;
	*base = s->base;
	*ar = s->attr;
}

static void cpu_record(const struct xsr_vcpu *v, struct xsr_hvm_cpu *c)
{
	const struct domus_regs *r = &v->regs;
	const struct domus_sregs *s = &v->sregs;

	memset(c, 0, sizeof(*c));
	memcpy(c->fpu_regs, v->fpu.xsave, sizeof(c->fpu_regs));
	c->rax = r->rax; c->rbx = r->rbx; c->rcx = r->rcx; c->rdx = r->rdx;
	c->rbp = r->rbp; c->rsi = r->rsi; c->rdi = r->rdi; c->rsp = r->rsp;
	c->r8 = r->r8; c->r9 = r->r9; c->r10 = r->r10; c->r11 = r->r11;
	c->r12 = r->r12; c->r13 = r->r13; c->r14 = r->r14; c->r15 = r->r15;
	c->rip = r->rip;
	c->rflags = r->rflags;
	c->cr0 = s->cr0; c->cr2 = s->cr2; c->cr3 = s->cr3; c->cr4 = s->cr4;
	c->dr6 = 0xffff0ff0;
	c->dr7 = 0x400;
	seg(&s->cs, &c->cs_sel, &c->cs_limit, &c->cs_base, &c->cs_arbytes);
	seg(&s->ds, &c->ds_sel, &c->ds_limit, &c->ds_base, &c->ds_arbytes);
	seg(&s->es, &c->es_sel, &c->es_limit, &c->es_base, &c->es_arbytes);
	seg(&s->fs, &c->fs_sel, &c->fs_limit, &c->fs_base, &c->fs_arbytes);
	seg(&s->gs, &c->gs_sel, &c->gs_limit, &c->gs_base, &c->gs_arbytes);
	seg(&s->ss, &c->ss_sel, &c->ss_limit, &c->ss_base, &c->ss_arbytes);
	seg(&s->tr, &c->tr_sel, &c->tr_limit, &c->tr_base, &c->tr_arbytes);
	seg(&s->ldt, &c->ldtr_sel, &c->ldtr_limit, &c->ldtr_base, &c->ldtr_arbytes);
	c->idtr_limit = s->idt.limit;
	c->idtr_base = s->idt.base;
	c->gdtr_limit = s->gdt.limit;
	c->gdtr_base = s->gdt.base;
	c->sysenter_cs = v->sysenter_cs;
	c->sysenter_esp = v->sysenter_esp;
	c->sysenter_eip = v->sysenter_eip;
	c->shadow_gs = v->kernel_gs_base;
	c->msr_lstar = v->lstar;
	c->msr_star = v->star;
	c->msr_cstar = v->cstar;
	c->msr_syscall_mask = v->sfmask;
	c->msr_efer = s->efer;
	c->msr_tsc_aux = v->tsc_aux & 0xffffffffu;
	c->tsc = v->tsc;
	if (v->events.exception.pending) {
		/* Xen's pending_event: vector, type 3 (hardware exception), valid */
		c->pending_event = v->events.exception.nr | 3u << 8 | 1u << 31 |
				   (v->events.exception.has_error_code ? 1u << 11 : 0);
		c->error_code = v->events.exception.error_code;
	} else if (v->events.interrupt.pending) {
		c->pending_event = v->events.interrupt.nr | 1u << 31;	/* type 0: external */
	}
	c->flags = XSR_CPU_FPU_INIT;
}

static void hc_entry(struct wr *w, uint16_t code, uint16_t inst, const void *p, uint32_t len)
{
	struct xsr_hvm_desc d = { .typecode = code, .instance = inst, .length = len };

	put(w, &d, sizeof(d));
	put(w, p, len);
}

static uint32_t host_cpuid1(void)
{
	unsigned int a = 0, b, c, d;

	__get_cpuid(1, &a, &b, &c, &d);
	return a;
}

static int werr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int werr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* --- the stream in pieces (a live migration writes memory in rounds) -------- */

struct xsr_writer *xsr_writer_open(int fd, const struct xsr_state *st, char *err, size_t errlen)
{
	struct wr *w;

	if (!st->nvcpu || st->nvcpu > XSR_MAX_VCPUS || (st->ram_size & 0xfff) || !(st->ram_size >> 12) ||
	    !st->config || !st->config_len || st->config[st->config_len - 1]) {
		werr(err, errlen, "save: nothing consistent to write (vCPUs, RAM or config missing)");
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (w)
		w->buf = malloc(WBUF_SIZE);
	if (!w || !w->buf) {
		free(w);
		werr(err, errlen, "save: out of memory");
		return NULL;
	}
	w->fd = fd;
	w->crc = crc32(0, NULL, 0);

	/* xl header and the config */
	{
		struct xsr_xl_header h;
		uint32_t clen = (uint32_t)st->config_len;

		memset(&h, 0, sizeof(h));
		memcpy(h.magic, XSR_XL_MAGIC, sizeof(h.magic));
		h.byteorder = XSR_XL_BYTEORDER;
		h.mandatory_flags = XSR_XL_JSON | XSR_XL_STREAMV2;
		h.optional_data_len = 4 + clen;
		put(w, &h, sizeof(h));
		put(w, &clen, 4);
		put(w, st->config, clen);
	}
	/* libxl header, LIBXC_CONTEXT */
	{
		uint8_t h[16] = { 0 };

		be32_put(h, (uint32_t)(XSR_LIBXL_IDENT >> 32));
		be32_put(h + 4, (uint32_t)XSR_LIBXL_IDENT);
		be32_put(h + 8, XSR_LIBXL_VERSION);
		put(w, h, sizeof(h));
		rec(w, XSR_LXL_LIBXC_CONTEXT, 0);
	}
	/* libxc image and domain headers, STATIC_DATA_END */
	{
		uint8_t h[24] = { 0 };
		struct xsr_xc_domain_header dh = {
			.type = XSR_XC_TYPE_HVM, .page_shift = 12,
			.xen_major = XSR_XEN_MAJOR, .xen_minor = XSR_XEN_MINOR,
		};

		memset(h, 0xff, 8);
		be32_put(h + 8, XSR_XC_ID);
		be32_put(h + 12, XSR_XC_VERSION);
		put(w, h, sizeof(h));
		put(w, &dh, sizeof(dh));
		rec(w, XSR_XC_STATIC_DATA_END, 0);
	}
	return (struct xsr_writer *)w;
}

/* One PAGE_DATA record: the @n pages @pfn[0..n-1] (n <= XSR_BATCH) of @ram. */
static void page_batch(struct wr *w, const void *ram, const uint64_t *pfn, uint64_t first, uint32_t n)
{
	struct xsr_page_data pd = { .count = n };
	uint64_t len = sizeof(pd) + 8ULL * n + 4096ULL * n;
	uint32_t i;

	rec(w, XSR_XC_PAGE_DATA, (uint32_t)len);
	put(w, &pd, sizeof(pd));
	for (i = 0; i < n; i++) {
		uint64_t word = (pfn ? pfn[i] : first + i) | XSR_PT_NOTAB << 60;

		put(w, &word, 8);
	}
	if (!pfn) {
		put(w, (const uint8_t *)ram + (first << 12), 4096ULL * n);
		return;
	}
	for (i = 0; i < n; i++)
		put(w, (const uint8_t *)ram + (pfn[i] << 12), 4096);
}

void xsr_writer_pages(struct xsr_writer *xw, const void *ram, const uint64_t *pfn, uint64_t n)
{
	struct wr *w = (struct wr *)xw;
	uint64_t i;

	for (i = 0; i < n && !w->err; i += XSR_BATCH)
		page_batch(w, ram, pfn + i, 0, n - i < XSR_BATCH ? (uint32_t)(n - i) : XSR_BATCH);
	flush(w);
}

void xsr_writer_all_pages(struct xsr_writer *xw, const void *ram, uint64_t ram_size,
			  void (*progress)(void *opaque, uint64_t done, uint64_t total), void *opaque)
{
	struct wr *w = (struct wr *)xw;
	uint64_t npages = ram_size >> 12, pfn;

	for (pfn = 0; pfn < npages && !w->err; ) {
		uint32_t n = npages - pfn < XSR_BATCH ? (uint32_t)(npages - pfn) : XSR_BATCH;

		page_batch(w, ram, NULL, pfn, n);
		pfn += n;
		if (progress)
			progress(opaque, pfn << 12, ram_size);
	}
	flush(w);
}

uint64_t xsr_writer_bytes(const struct xsr_writer *xw)
{
	return ((const struct wr *)xw)->total;
}

int xsr_writer_error(const struct xsr_writer *xw)
{
	return ((const struct wr *)xw)->err;
}

int xsr_writer_close(struct xsr_writer *xw, const struct xsr_state *st, char *err, size_t errlen)
{
	struct wr *w = (struct wr *)xw;
	uint32_t ctx_len;
	unsigned int v;
	int werrno;

	if (!st) {
		/* abandoned: nothing more is written */
		free(w->buf);
		free(w);
		return 0;
	}
	/* X86_TSC_INFO */
	{
		struct xsr_tsc_info t = { .mode = 0, .khz = st->tsc_khz, .nsec = st->elapsed_ns };

		rec_body(w, XSR_XC_TSC_INFO, &t, sizeof(t));
	}
	/* HVM_CONTEXT */
	ctx_len = sizeof(struct xsr_hvm_desc) * 2 + sizeof(struct xsr_hvm_header);
	for (v = 0; v < st->nvcpu; v++)
		ctx_len += 3 * sizeof(struct xsr_hvm_desc) + sizeof(struct xsr_hvm_cpu) +
			   sizeof(struct xsr_hvm_mtrr) + sizeof(struct xsr_hvm_xsave) + st->vcpu[v].xsave_size;
	rec(w, XSR_XC_HVM_CONTEXT, ctx_len);
	{
		struct xsr_hvm_header h = {
			.magic = XSR_HVM_MAGIC, .version = 1, .changeset = ~0ULL,
			.cpuid = host_cpuid1(), .gtsc_khz = st->tsc_khz,
		};

		hc_entry(w, XSR_HC_HEADER, 0, &h, sizeof(h));
	}
	for (v = 0; v < st->nvcpu; v++) {
		struct xsr_hvm_cpu c;

		cpu_record(&st->vcpu[v], &c);
		hc_entry(w, XSR_HC_CPU, (uint16_t)v, &c, sizeof(c));
	}
	for (v = 0; v < st->nvcpu; v++) {
		struct xsr_hvm_mtrr m;

		memset(&m, 0, sizeof(m));
		m.pat = st->vcpu[v].pat;
		m.cap = 0x508;		/* WC, fixed ranges, 8 variable ranges */
		m.def_type = 0xc06;	/* enabled, fixed enabled, write-back */
		hc_entry(w, XSR_HC_MTRR, (uint16_t)v, &m, sizeof(m));
	}
	for (v = 0; v < st->nvcpu; v++) {
		const struct xsr_vcpu *vc = &st->vcpu[v];
		struct xsr_hvm_xsave x = { .xfeature_mask = vc->fpu.xcr0, .xcr0 = vc->fpu.xcr0,
					   .xcr0_accum = vc->fpu.xcr0 };
		struct xsr_hvm_desc d = { .typecode = XSR_HC_CPU_XSAVE, .instance = (uint16_t)v,
					  .length = (uint32_t)sizeof(x) + vc->xsave_size };

		put(w, &d, sizeof(d));
		put(w, &x, sizeof(x));
		put(w, vc->fpu.xsave, vc->xsave_size);
	}
	hc_entry(w, XSR_HC_END, 0, NULL, 0);
	pad8(w, ctx_len);
	/* HVM_PARAMS: none an HVM domain of ours has yet */
	{
		struct xsr_hvm_params p = { 0 };

		rec_body(w, XSR_XC_HVM_PARAMS, &p, sizeof(p));
	}
	/* DOMUS_STATE */
	{
		struct xsr_ds_version ver = { .format = XSR_DS_FORMAT };
		uint32_t len = (uint32_t)(sizeof(struct xsr_hvm_desc) * (2 + st->nvcpu + (st->has_dm ? 1 : 0) +
								      (st->has_apic ? st->nvcpu : 0) +
								      (st->has_lifecycle ? st->nvcpu : 0)) +
					  sizeof(ver) + st->nvcpu * sizeof(struct xsr_ds_vcpu) +
					  (st->has_dm ? sizeof(struct xsr_ds_dm) : 0) +
					  (st->has_apic ? st->nvcpu * sizeof(struct xsr_ds_apic) : 0) +
					  (st->has_lifecycle ? st->nvcpu * sizeof(struct xsr_ds_lifecycle) : 0));

		rec(w, XSR_XC_DOMUS_STATE, len);
		hc_entry(w, XSR_DS_VERSION, 0, &ver, sizeof(ver));
		for (v = 0; v < st->nvcpu; v++) {
			struct xsr_ds_vcpu e;

			memset(&e, 0, sizeof(e));
			e.events = st->vcpu[v].events;
			e.cr8 = st->vcpu[v].sregs.cr8;
			e.apic_base = st->vcpu[v].sregs.apic_base;
			hc_entry(w, XSR_DS_VCPU, (uint16_t)v, &e, sizeof(e));
		}
		if (st->has_dm)
			hc_entry(w, XSR_DS_DM, 0, &st->dm, sizeof(st->dm));
		for (v = 0; st->has_apic && v < st->nvcpu; v++)
			hc_entry(w, XSR_DS_APIC, (uint16_t)v, &st->vcpu[v].apic, sizeof(st->vcpu[v].apic));
		for (v = 0; st->has_lifecycle && v < st->nvcpu; v++) {
			struct xsr_ds_lifecycle lc = { .flags = st->vcpu[v].lifecycle };

			hc_entry(w, XSR_DS_LIFECYCLE, (uint16_t)v, &lc, sizeof(lc));
		}
		hc_entry(w, XSR_HC_END, 0, NULL, 0);
		pad8(w, len);
	}
	/* DOMUS_CHECKSUM of everything before it, then the two ENDs */
	flush(w);
	{
		struct xsr_checksum c = { .algorithm = XSR_CSUM_CRC32, .crc = (uint32_t)w->crc };

		rec_body(w, XSR_XC_DOMUS_CHECKSUM, &c, sizeof(c));
	}
	rec(w, XSR_XC_END, 0);
	rec(w, XSR_LXL_END, 0);
	flush(w);
	werrno = w->err;
	free(w->buf);
	free(w);
	if (werrno)
		return werr(err, errlen, "cannot write the save file: %s", strerror(werrno));
	return 0;
}

int xsr_write(int fd, const struct xsr_state *st, const void *ram,
	      void (*progress)(void *opaque, uint64_t done, uint64_t total), void *opaque,
	      char *err, size_t errlen)
{
	struct xsr_writer *w = xsr_writer_open(fd, st, err, errlen);

	if (!w)
		return -1;
	xsr_writer_all_pages(w, ram, st->ram_size, progress, opaque);
	return xsr_writer_close(w, st, err, errlen);
}
