// SPDX-License-Identifier: MIT
/*
 * coretest: string port I/O (INS/OUTS) moving many elements per exit.
 * Each case places one string instruction and a HLT in guest RAM, sets
 * the registers from here and runs to the HLT; the exits' io.count, the
 * memory and the final RSI/RDI/RCX/RIP are compared with a model that
 * moves one element at a time, as the CPU does.  The segment and address
 * size come from the prefixes (QEMU's SVM does not report them, nor do
 * CPUs without decode assists / INS-OUTS information): the segments the
 * instruction must not use get another base.
 */
#include "coretest.h"

#define SIO_PORT	0x1f0
#define SIO_CODE	GUEST_LOAD
#define SIO_LO_RAM	0x100000

enum { SR_NONE, SR_RCX2, SR_RIP };	/* SET_REGS after the first exit */

struct sio {
	const char *name;
	int lm;			/* long mode; else real mode (16-bit addresses) */
	int in;			/* INS; else OUTS */
	uint8_t size;
	int rep, df;
	uint64_t rcx, idx;	/* RCX; RDI (INS) or RSI (OUTS) */
	uint64_t base;		/* base of the segment used: ES (INS), DS or the override (OUTS);
				   in 64-bit mode only an FS or GS base is used */
	unsigned int want[6];	/* io.count of each exit, 0 ends */
	int sr;
	int fault;		/* the last exit is DOMUS_EXIT_EMULATION */
	uint8_t pfx[4];		/* prefixes before [F3] [66] (segment, 67), 0 ends */
};

static const struct sio sio_cases[] = {
	/* RCX bounds the batch; the 16-bit count ignores RCX's upper bits */
	{ "insb-rcx-real16", 0, 1, 1, 1, 0, 0xffffffff00000010ULL, 0x100, 0x10000, { 16 }, SR_NONE, 0, { 0 } },
	{ "insw-rcx-long64", 1, 1, 2, 1, 0, 37, 0x200100, 0, { 37 }, SR_NONE, 0, { 0 } },
	{ "insd-rcx-long64", 1, 1, 4, 1, 0, 5, 0x200100, 0, { 5 }, SR_NONE, 0, { 0 } },
	/* the data area (3072 bytes), then the page edge */
	{ "insb-data-area", 1, 1, 1, 1, 0, 5000, 0x200000, 0, { 3072, 1024, 904 }, SR_NONE, 0, { 0 } },
	{ "insd-data-area", 1, 1, 4, 1, 0, 1000, 0x201000, 0, { 768, 232 }, SR_NONE, 0, { 0 } },
	/* the page edge, ascending and descending; a page-crossing element alone */
	{ "insw-page-up", 1, 1, 2, 1, 0, 100, 0x200ffa, 0, { 3, 97 }, SR_NONE, 0, { 0 } },
	{ "insw-page-cross", 1, 1, 2, 1, 0, 4, 0x200fff, 0, { 1, 3 }, SR_NONE, 0, { 0 } },
	{ "insd-page-down", 1, 1, 4, 1, 1, 10, 0x201004, 0, { 2, 8 }, SR_NONE, 0, { 0 } },
	{ "insb-page-down-real16", 0, 1, 1, 1, 1, 40, 0x0ff0, 0x10013, { 4, 36 }, SR_NONE, 0, { 0 } },
	/* the 16-bit DI wrap (ES base odd: not at a page edge), both ways */
	{ "insb-di-wrap-real16", 0, 1, 1, 1, 0, 16, 0xabcd0000fff8ULL, 0x10013, { 8, 8 }, SR_NONE, 0, { 0 } },
	{ "insw-di-wrap-down-real16", 0, 1, 2, 1, 1, 6, 4, 0x10013, { 3, 3 }, SR_NONE, 0, { 0 } },
	{ "insd-real16", 0, 1, 4, 1, 0, 9, 0x0ffc, 0x20000, { 1, 8 }, SR_NONE, 0, { 0 } },
	/* 64-bit mode: ES's base is not used */
	{ "insw-long64-es-base", 1, 1, 2, 1, 0, 8, 0x200100, 0x1000, { 8 }, SR_NONE, 0, { 0 } },
	/* not REP: one element, RCX untouched */
	{ "insw-norep", 1, 1, 2, 0, 0, 77, 0x200100, 0, { 1 }, SR_NONE, 0, { 0 } },
	/* OUTS: the same bounds, read from memory */
	{ "outsb-data-area", 1, 0, 1, 1, 0, 4000, 0x200400, 0, { 3072, 928 }, SR_NONE, 0, { 0 } },
	{ "outsw-page-down", 1, 0, 2, 1, 1, 12, 0x201002, 0, { 2, 10 }, SR_NONE, 0, { 0 } },
	{ "outsd-page-cross", 1, 0, 4, 1, 0, 3, 0x200ffe, 0, { 1, 2 }, SR_NONE, 0, { 0 } },
	{ "outsb-si-wrap-real16", 0, 0, 1, 1, 0, 12, 0xfffa, 0x10013, { 6, 6 }, SR_NONE, 0, { 0 } },
	{ "outsd-norep-down", 1, 0, 4, 0, 1, 0, 0x200100, 0, { 1 }, SR_NONE, 0, { 0 } },
	/* a missing mapping (no slot past the read-only one) on a later exit's first element */
	{ "outsb-no-slot", 1, 0, 1, 1, 0, 16, LM_RO + LM_RO_SIZE - 8, 0, { 8 }, SR_NONE, 1, { 0 } },
	/* SET_REGS between an INS exit and its completion */
	{ "ins-setregs-rcx", 1, 1, 2, 1, 0, 500, 0x200000, 0, { 500 }, SR_RCX2, 0, { 0 } },
	{ "ins-setregs-rip", 1, 1, 1, 1, 0, ~0ULL, 0x200000, 0, { 3072 }, SR_RIP, 0, { 0 } },
	/* the segment: OUTS reads DS or the override, INS writes ES whatever the prefix */
	{ "outsb-ds-not-es-real16", 0, 0, 1, 1, 0, 40, 0x100, 0x20013, { 40 }, SR_NONE, 0, { 0 } },
	{ "outsw-fs-real16", 0, 0, 2, 1, 0, 20, 0x100, 0x20013, { 20 }, SR_NONE, 0, { 0x64 } },
	{ "outsb-es-override-real16", 0, 0, 1, 1, 0, 9, 0x100, 0x20013, { 9 }, SR_NONE, 0, { 0x26 } },
	{ "outsb-fs-long64", 1, 0, 1, 1, 0, 30, 0x200100, 0x1013, { 30 }, SR_NONE, 0, { 0x64 } },
	{ "insb-ds-override-real16", 0, 1, 1, 1, 0, 24, 0x100, 0x20013, { 24 }, SR_NONE, 0, { 0x3e } },
	/* 0x67: 32-bit ESI/EDI and ECX in real mode (no 16-bit wrap); twice is once */
	{ "outsb-a32-real16", 0, 0, 1, 1, 0, 8, 0xfffc, 0x20013, { 8 }, SR_NONE, 0, { 0x67 } },
	{ "insw-a32-real16", 0, 1, 2, 1, 0, 6, 0xfffa, 0x20013, { 6 }, SR_NONE, 0, { 0x67 } },
	{ "outsb-a32-twice-fs-real16", 0, 0, 1, 1, 0, 8, 0xfffc, 0x20013, { 8 }, SR_NONE, 0, { 0x67, 0x64, 0x67 } },
	/* 0x67 in 64-bit mode: 32-bit RSI (the upper half ignored, then cleared) */
	{ "outsb-a32-long64", 1, 0, 1, 1, 0, 16, 0xffffffff00200100ULL, 0, { 16 }, SR_NONE, 0, { 0x67 } },
};

static uint8_t stream_byte(unsigned int k)
{
	return (uint8_t)(k * 7 + 1);
}

static uint8_t mem_byte(uint64_t a)
{
	return (uint8_t)(a * 13 + 5);
}

/* the address size in bytes: 8 or 2, or 4 with an 0x67 prefix */
static unsigned int sio_asz(const struct sio *t)
{
	unsigned int i, a67 = 0;

	for (i = 0; i < sizeof(t->pfx) && t->pfx[i]; i++)
		a67 |= t->pfx[i] == 0x67;
	return a67 ? 4 : t->lm ? 8 : 2;
}

/* the segment OUTS reads (0 ES .. 5 GS): DS or the last override */
static int sio_seg(const struct sio *t)
{
	static const uint8_t ov[6] = { 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65 };
	unsigned int i, j;
	int seg = 3;

	for (i = 0; i < sizeof(t->pfx) && t->pfx[i]; i++)
		for (j = 0; j < 6; j++)
			if (t->pfx[i] == ov[j])
				seg = (int)j;
	return seg;
}

/* a register written with address size @asz (32 bits: the upper half cleared) */
static uint64_t upd(uint64_t old, uint64_t val, unsigned int asz)
{
	if (asz == 8)
		return val;
	if (asz == 4)
		return (uint32_t)val;
	return (old & ~0xffffULL) | (val & 0xffff);
}

/* the instruction: [prefixes] [F3] [66] 6C-6F, then HLT; returns its length without the HLT */
static unsigned int sio_code(const struct sio *t, uint8_t *p)
{
	unsigned int n = 0, i;

	for (i = 0; i < sizeof(t->pfx) && t->pfx[i]; i++)
		p[n++] = t->pfx[i];
	if (t->rep)
		p[n++] = 0xf3;
	if (t->size == (t->lm ? 2 : 4))
		p[n++] = 0x66;
	p[n++] = (uint8_t)((t->in ? 0x6c : 0x6e) + (t->size > 1));
	p[n] = 0xf4;
	return n;
}

/* guest RAM or the read-only slot at @a, or NULL */
static uint8_t *sio_mem(struct vm *vm, uint64_t a)
{
	if (a < vm->ram_size)
		return vm->ram + a;
	if (vm->ro && a >= LM_RO && a < LM_RO + LM_RO_SIZE)
		return vm->ro + (a - LM_RO);
	return NULL;
}

static int sio_run(const struct sio *t, char *why, size_t len)
{
	static uint8_t before[LM_RAM_SIZE], out[8192];
	unsigned int ilen, nexit = 0, nstream = 0, nout = 0, i, b, n;
	unsigned int asz = sio_asz(t);
	int seg = t->in ? 0 : sio_seg(t);
	uint64_t mask = asz == 8 ? ~0ULL : asz == 4 ? 0xffffffffULL : 0xffff;
	uint64_t base = t->lm && seg < 4 ? 0 : t->base, idx, k;
	struct domus_regs r0, r;
	struct domus_sregs s;
	struct domus_run *run;
	struct vm vm;
	int ok = 0, e, last = 0;

	e = vm_create(&vm, t->lm ? LM_RAM_SIZE : SIO_LO_RAM, t->lm);
	if (!e)
		e = vm_add_vcpu(&vm, 0);
	if (!e)
		e = t->lm ? setup_lm(&vm, &vm.vcpu[0], 0, 0, 0, 0) : setup_lo(&vm.vcpu[0], 0);
	if (e) {
		snprintf(why, len, "setup: %s", domus_last_error());
		goto out;
	}
	run = vm.vcpu[0].run;
	for (k = 0x10000; k < vm.ram_size; k++)
		vm.ram[k] = mem_byte(k);
	ilen = sio_code(t, vm.ram + SIO_CODE);
	memcpy(before, vm.ram, vm.ram_size);
	if (domus_get_regs(&vm.vcpu[0], &r0) || domus_get_sregs(&vm.vcpu[0], &s))
		goto err;
	r0.rip = SIO_CODE;
	r0.rcx = t->rcx;
	r0.rdx = SIO_PORT;
	r0.rdi = t->in ? t->idx : 0x5a5a;
	r0.rsi = t->in ? 0xa5a5 : t->idx;
	r0.rflags = 0x2 | (t->df ? 0x400 : 0);
	if (domus_set_regs(&vm.vcpu[0], &r0))
		goto err;
	if (t->base) {
		/*
		 * The segment used gets the base; ES, DS, FS and GS otherwise
		 * another, 0x4010 above (the bytes there differ: mem_byte).
		 * A 32-bit offset in real mode needs no larger limit: the
		 * first element (the one the CPU checks) is below 64 KiB.
		 */
		struct domus_segment *sg[6] = { &s.es, &s.cs, &s.ss, &s.ds, &s.fs, &s.gs };

		for (i = 0; i < 6; i++) {
			uint64_t sb = t->base + ((int)i == seg ? 0 : 0x4010);

			if (i == 1 || i == 2)
				continue;
			if (t->lm && i < 4)
				continue;	/* no base in 64-bit mode; keep the flat ones */
			sg[i]->base = sb;
			if (!t->lm)
				sg[i]->selector = (uint16_t)(sb >> 4);
		}
		if (domus_set_sregs(&vm.vcpu[0], &s))
			goto err;
	}
	run->flags = DOMUS_RUN_EXIT_ON_HLT;
	for (;;) {
		if (domus_run(&vm.vcpu[0]))
			goto err;
		if (run->exit_reason == DOMUS_EXIT_HLT)
			break;
		if (run->exit_reason == DOMUS_EXIT_EMULATION && t->fault) {
			last = 1;
			break;
		}
		if (run->exit_reason != DOMUS_EXIT_IO) {
			snprintf(why, len, "exit %u: reason %u", nexit, run->exit_reason);
			goto out;
		}
		if (run->io.port != SIO_PORT || run->io.size != t->size ||
		    run->io.direction != (t->in ? DOMUS_IO_IN : DOMUS_IO_OUT) ||
		    !(run->io.flags & DOMUS_IO_STRING) || nexit >= 5 ||
		    run->io.count != t->want[nexit] || run->io.data_offset != DOMUS_RUN_DATA_OFFSET) {
			snprintf(why, len, "exit %u: port 0x%x size %u dir %u flags 0x%x count %u (want %u)",
				 nexit, run->io.port, run->io.size, run->io.direction, run->io.flags,
				 run->io.count, nexit < 5 ? t->want[nexit] : 0);
			goto out;
		}
		n = run->io.count * t->size;
		for (i = 0; i < n; i++) {
			uint8_t *d = (uint8_t *)run + run->io.data_offset + i;

			if (t->in)
				*d = stream_byte(nstream++);
			else if (nout < sizeof(out))
				out[nout++] = *d;
		}
		nexit++;
		if (t->sr != SR_NONE && nexit == 1) {
			if (domus_get_regs(&vm.vcpu[0], &r))
				goto err;
			if (t->sr == SR_RCX2)
				r.rcx = 2;
			else
				r.rip = SIO_CODE + ilen;	/* the HLT */
			if (domus_set_regs(&vm.vcpu[0], &r))
				goto err;
		}
	}
	if (t->want[nexit]) {
		snprintf(why, len, "%u exits, want %u or more", nexit, nexit + 1);
		goto out;
	}
	/* the model: one element at a time */
	n = t->rep ? (unsigned int)(t->rcx & mask) : 1;
	if (t->sr == SR_RCX2)
		n = 2;
	else if (t->sr == SR_RIP)
		n = 0;
	else if (t->fault)
		n = 8;
	idx = t->idx;
	for (i = 0; i < n; i++) {
		uint64_t a = base + (idx & mask);

		for (b = 0; b < t->size; b++) {
			uint8_t *m = sio_mem(&vm, a + b);

			if (!m) {
				snprintf(why, len, "model: element %u at 0x%llx outside memory", i,
					 (unsigned long long)a);
				goto out;
			}
			if (t->in && *m != stream_byte(i * t->size + b)) {
				snprintf(why, len, "element %u byte %u at 0x%llx: 0x%02x, want 0x%02x", i, b,
					 (unsigned long long)(a + b), *m, stream_byte(i * t->size + b));
				goto out;
			}
			if (!t->in && out[i * t->size + b] != *m) {
				snprintf(why, len, "element %u byte %u from 0x%llx: host got 0x%02x, want 0x%02x",
					 i, b, (unsigned long long)(a + b), out[i * t->size + b], *m);
				goto out;
			}
			if (t->in)
				*m = before[0];	/* checked; mark for the untouched check below */
		}
		idx = upd(idx, t->df ? idx - t->size : idx + t->size, asz);
	}
	if (!t->in && nout != n * t->size) {
		snprintf(why, len, "host got %u bytes, want %u", nout, n * t->size);
		goto out;
	}
	if (t->in) {
		/* nothing else written: redo the writes on the copy and compare */
		idx = t->idx;
		for (i = 0; i < n; i++, idx = upd(idx, t->df ? idx - t->size : idx + t->size, asz))
			for (b = 0; b < t->size; b++)
				before[base + (idx & mask) + b] = before[0];
		for (k = 0x10000; k < vm.ram_size; k++)	/* above the page tables (A/D bits) */
			if (vm.ram[k] != before[k]) {
				snprintf(why, len, "byte at 0x%llx changed outside the elements",
					 (unsigned long long)k);
				goto out;
			}
	}
	if (domus_get_regs(&vm.vcpu[0], &r))
		goto err;
	{
		uint64_t want_rcx = t->rep ? upd(t->rcx, t->rcx - n, asz) : t->rcx;
		uint64_t want_rip = last ? SIO_CODE : SIO_CODE + ilen + 1;
		uint64_t got_idx = t->in ? r.rdi : r.rsi, other = t->in ? r.rsi : r.rdi;

		if (t->sr == SR_RCX2)
			want_rcx = 0;
		if (got_idx != idx || r.rcx != want_rcx || r.rip != want_rip ||
		    other != (t->in ? 0xa5a5 : 0x5a5a)) {
			snprintf(why, len, "%s 0x%llx RCX 0x%llx RIP 0x%llx, want 0x%llx 0x%llx 0x%llx",
				 t->in ? "RDI" : "RSI", (unsigned long long)got_idx,
				 (unsigned long long)r.rcx, (unsigned long long)r.rip,
				 (unsigned long long)idx, (unsigned long long)want_rcx,
				 (unsigned long long)want_rip);
			goto out;
		}
	}
	ok = 1;
	goto out;
err:
	snprintf(why, len, "%s", domus_last_error());
out:
	vm_destroy(&vm);
	return ok;
}

void t_strio(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(sio_cases) / sizeof(sio_cases[0]); i++) {
		char name[80], why[300] = "";
		int ok = sio_run(&sio_cases[i], why, sizeof(why));

		snprintf(name, sizeof(name), "strio-%s", sio_cases[i].name);
		result(name, ok, "%s", why);
	}
}
