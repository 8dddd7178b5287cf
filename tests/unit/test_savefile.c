// SPDX-License-Identifier: MIT
/*
 * Unit tests of the save-file writer and reader (userland/save): a state
 * written by xsr_write reads back the same through xsr_read (RAM, vCPU
 * registers, segments, MSRs, FPU, events, the device model), the file
 * passes the structural validator, and a truncated, corrupted or
 * wrong-version file is refused with the one line that names it; a live
 * stream (the writer in pieces: every page, then rounds of dirty pages)
 * passes the validator and reads back as the last copy of each page; the
 * receiver's framing reader (xsr_stream_copy) stops at the stream's end.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <zlib.h>
#include "xsr.h"
#include "xsrcheck.h"
#include "unit.h"

#define RAM	(2u << 20)
static const char config[] = "{\"name\": \"t\", \"type\": \"hvm\", \"memory\": 2}";

struct img {
	uint8_t *p;
	size_t n;
};

static void fill(struct xsr_state *st, struct xsr_vcpu *v, uint8_t *ram)
{
	unsigned int i;

	memset(st, 0, sizeof(*st));
	memset(v, 0, 2 * sizeof(*v));
	for (i = 0; i < RAM; i++)
		ram[i] = (uint8_t)(i * 7 + (i >> 12));
	for (i = 0; i < 2; i++) {
		v[i].regs.rax = 0x1111 + i;
		v[i].regs.r15 = 0xf0f0f0f0f0f0f0f0ULL;
		v[i].regs.rip = 0x100123 + i;
		v[i].regs.rflags = 0x202;
		v[i].sregs.cs = (struct domus_segment){ .base = 0, .limit = 0xffffffff, .selector = 0x10, .attr = 0xc9b };
		v[i].sregs.ss = (struct domus_segment){ .base = 0x1000, .limit = 0xfffff, .selector = 0x18, .attr = 0xc93 };
		v[i].sregs.tr = (struct domus_segment){ .base = 0x2000, .limit = 0x67, .selector = 0x28, .attr = 0x8b };
		v[i].sregs.gdt.base = 0x5000;
		v[i].sregs.gdt.limit = 0x37;
		v[i].sregs.idt.base = 0x6000;
		v[i].sregs.idt.limit = 0xfff;
		v[i].sregs.cr0 = 0x11;
		v[i].sregs.cr3 = 0x9000;
		v[i].sregs.cr4 = 0x20;
		v[i].sregs.cr8 = 3;
		v[i].sregs.efer = 0x500;
		v[i].sregs.apic_base = 0xfee00900;
		v[i].tsc = 123456789 + i;
		v[i].pat = 0x0007040600070406ULL;
		v[i].lstar = 0xffffffff81000000ULL;
		v[i].sysenter_eip = 0x4321;
		v[i].fpu.xcr0 = 3;
		v[i].fpu.xsave[0] = 0x7f;
		v[i].fpu.xsave[1] = 0x03;
		v[i].fpu.xsave[200] = (uint8_t)(0x55 + i);	/* an XMM register byte */
		v[i].fpu.xsave[512] = 3;			/* xstate_bv */
		v[i].xsave_size = 576;
		v[i].events.interrupt_shadow = 1;
	}
	v[1].events.exception.pending = 1;
	v[1].events.exception.nr = 14;
	v[1].events.exception.has_error_code = 1;
	v[1].events.exception.error_code = 2;
	st->config = config;
	st->config_len = sizeof(config);
	st->ram_size = RAM;
	st->nvcpu = 2;
	st->vcpu = v;
	st->tsc_khz = 2000000;
	st->has_dm = true;
	memcpy(st->dm.uart, "\x01\x03\x08\x5a\x01\x00\xc1", 7);
	st->dm.test_exit_code = -1;
}

/* xsr_write into a memory file; the image in @im (malloc'ed). */
static int write_img(const struct xsr_state *st, const uint8_t *ram, struct img *im)
{
	char err[256];
	int fd = memfd_create("save", 0);
	off_t n;

	if (fd < 0 || xsr_write(fd, st, ram, NULL, NULL, err, sizeof(err))) {
		fprintf(stderr, "write: %s\n", err);
		return -1;
	}
	n = lseek(fd, 0, SEEK_END);
	im->p = malloc((size_t)n);
	im->n = (size_t)n;
	if (!im->p || pread(fd, im->p, im->n, 0) != n)
		return -1;
	close(fd);
	return 0;
}

static struct xsr_vcpu vin[2];
static uint8_t ram_in[RAM], ram_out[RAM];

static void round_trip(void)
{
	struct xsr_state st, out;
	struct xsr_summary sum;
	struct img im;
	char err[256];
	unsigned int i;

	fill(&st, vin, ram_in);
	EXPECT(write_img(&st, ram_in, &im) == 0);
	EXPECT(xsr_check(im.p, im.n, XSR_XL, &sum, err, sizeof(err)) == 0);
	EXPECT(sum.vcpus == 2 && sum.data_pages == RAM / 4096 && sum.optional_skipped == 2);
	memset(ram_out, 0, sizeof(ram_out));
	EXPECT(xsr_read(im.p, im.n, RAM, ram_out, &out, err, sizeof(err)) == 0);
	EXPECT(!memcmp(ram_in, ram_out, RAM));
	EXPECT(out.nvcpu == 2 && out.ram_size == RAM && out.tsc_khz == 2000000);
	EXPECT(out.config_len == sizeof(config) && !strcmp(out.config, config));
	EXPECT(out.has_dm && !memcmp(out.dm.uart, st.dm.uart, 7) && out.dm.test_exit_code == -1);
	for (i = 0; i < 2 && out.vcpu; i++) {
		struct xsr_vcpu *a = &vin[i], *b = &out.vcpu[i];

		EXPECT(!memcmp(&a->regs, &b->regs, sizeof(a->regs)));
		EXPECT(!memcmp(&a->sregs, &b->sregs, sizeof(a->sregs)));
		EXPECT(!memcmp(&a->events, &b->events, sizeof(a->events)));
		EXPECT(!memcmp(a->fpu.xsave, b->fpu.xsave, 576) && b->fpu.xcr0 == 3);
		EXPECT(a->tsc == b->tsc && a->pat == b->pat && a->lstar == b->lstar &&
		       a->sysenter_eip == b->sysenter_eip);
	}
	/* without RAM: checked only; the size the file needs is found */
	xsr_state_free(&out);
	EXPECT(xsr_read(im.p, im.n, 0, NULL, &out, err, sizeof(err)) == 0 && out.ram_size == RAM);
	xsr_state_free(&out);
	/* a domain with less RAM than the file */
	EXPECT(xsr_read(im.p, im.n, RAM / 2, NULL, &out, err, sizeof(err)) == -1);
	EXPECT(strstr(err, "lies beyond the domain's 1 MiB of RAM") != NULL);
	free(im.p);
}

/* Every way of breaking the file is refused with its own line. */
static void refused(void)
{
	struct xsr_state st, out;
	struct img im;
	char err[256];
	uint8_t *m;
	size_t n;

	fill(&st, vin, ram_in);
	EXPECT(write_img(&st, ram_in, &im) == 0);
	m = malloc(im.n);
	/* truncated: at every 4 KiB and near the end */
	for (n = 0; n < im.n; n += n < im.n - 64 ? 4093 : 1) {
		if (xsr_read(im.p, n, 0, NULL, &out, err, sizeof(err)) != -1) {
			EXPECT(0);
			break;
		}
	}
	EXPECT(xsr_read(im.p, im.n - 8, 0, NULL, &out, err, sizeof(err)) == -1 &&
	       strstr(err, "the stream ends without END") != NULL);
	/* a flipped byte in a page: only the checksum sees it */
	memcpy(m, im.p, im.n);
	m[im.n / 2] ^= 0x40;
	EXPECT(xsr_read(m, im.n, 0, NULL, &out, err, sizeof(err)) == -1 &&
	       strstr(err, "checksum mismatch") != NULL && strstr(err, "the file is corrupted") != NULL);
	/* wrong versions: libxc's (BE at 48 + odl + 16 + 8 + 12), libxl's */
	{
		uint32_t odl;
		size_t xc;

		memcpy(&odl, im.p + 44, 4);
		xc = 48 + odl + 16 + 8;
		memcpy(m, im.p, im.n);
		m[xc + 15] = 9;
		EXPECT(xsr_read(m, im.n, 0, NULL, &out, err, sizeof(err)) == -1 &&
		       strstr(err, "libxc version 9 (Xen 4.17 reads 2 and 3)") != NULL);
		memcpy(m, im.p, im.n);
		m[48 + odl + 11] = 3;
		EXPECT(xsr_read(m, im.n, 0, NULL, &out, err, sizeof(err)) == -1 &&
		       strstr(err, "libxl version 3, want 2") != NULL);
	}
	/* not a save file */
	memcpy(m, im.p, im.n);
	m[3] = 'x';
	EXPECT(xsr_read(m, im.n, 0, NULL, &out, err, sizeof(err)) == -1 &&
	       strstr(err, "not an xl save file") != NULL);
	free(m);
	free(im.p);
}

/* A newer domus' own state format is named as such (checksum made to match). */
static void newer_format(void)
{
	struct xsr_state st, out;
	struct img im;
	char err[256];
	size_t o, ds = 0, cs = 0;
	uint32_t t, crc;

	fill(&st, vin, ram_in);
	EXPECT(write_img(&st, ram_in, &im) == 0);
	/* the last records: DOMUS_STATE (its version entry first), DOMUS_CHECKSUM */
	for (o = im.n - 24; o > 0 && (!ds || !cs); o--) {
		memcpy(&t, im.p + o, 4);
		if (!cs && t == XSR_XC_DOMUS_CHECKSUM)
			cs = o;
		if (!ds && t == XSR_XC_DOMUS_STATE && im.p[o + 8] == XSR_DS_VERSION)
			ds = o;
	}
	EXPECT(ds && cs && ds < cs);
	if (!ds || !cs)
		return;
	im.p[ds + 16] = 2;	/* format 2 */
	EXPECT(xsr_read(im.p, im.n, 0, NULL, &out, err, sizeof(err)) == -1 && strstr(err, "checksum mismatch"));
	crc = (uint32_t)crc32(crc32(0, NULL, 0), im.p, (uInt)cs);
	memcpy(im.p + cs + 12, &crc, 4);
	EXPECT(xsr_read(im.p, im.n, 0, NULL, &out, err, sizeof(err)) == -1);
	EXPECT(strstr(err, "domus state format 2: this domus reads format 1 (a newer domus wrote the file)") != NULL);
	free(im.p);
}

/* The writer in pieces, as a live migration: the last copy of a page wins. */
static void live_stream(void)
{
	static const uint64_t round1[] = { 1, 5, 300, 511 }, round2[] = { 5, 0 };
	struct xsr_state st, out;
	struct xsr_summary sum;
	struct xsr_writer *w;
	char err[256];
	int fd = memfd_create("live", 0);
	uint8_t *im;
	off_t n;

	fill(&st, vin, ram_in);
	w = xsr_writer_open(fd, &st, err, sizeof(err));
	EXPECT(w != NULL);
	if (!w)
		return;
	xsr_writer_all_pages(w, ram_in, RAM, NULL, NULL);
	memset(ram_in + 5 * 4096, 0xa5, 4096);		/* "the guest" writes on */
	memset(ram_in + 300 * 4096 + 17, 0x3c, 100);
	xsr_writer_pages(w, ram_in, round1, 4);
	memset(ram_in + 5 * 4096, 0x5a, 4096);
	ram_in[7] = 0xee;
	xsr_writer_pages(w, ram_in, round2, 2);
	EXPECT(xsr_writer_error(w) == 0 && xsr_writer_bytes(w) > RAM + 6 * 4096);
	EXPECT(xsr_writer_close(w, &st, err, sizeof(err)) == 0);
	n = lseek(fd, 0, SEEK_END);
	im = mmap(NULL, (size_t)n, PROT_READ, MAP_PRIVATE, fd, 0);
	EXPECT(im != MAP_FAILED);
	if (im == MAP_FAILED)
		return;
	EXPECT(xsr_check(im, (size_t)n, XSR_XL, &sum, err, sizeof(err)) == 0);
	EXPECT(sum.data_pages == RAM / 4096 + 6);
	memset(ram_out, 0, sizeof(ram_out));
	EXPECT(xsr_read(im, (size_t)n, RAM, ram_out, &out, err, sizeof(err)) == 0);
	EXPECT(!memcmp(ram_in, ram_out, RAM));
	EXPECT(out.nvcpu == 2);
	xsr_state_free(&out);

	/* the receiver's framing reader: exactly the stream, not what follows */
	{
		int in = memfd_create("in", 0), cp = memfd_create("copy", 0);
		uint64_t len = 0;

		EXPECT(write(in, im, (size_t)n) == n && write(in, "domain is yours", 15) == 15);
		lseek(in, 0, SEEK_SET);
		EXPECT(xsr_stream_copy(in, cp, (uint64_t)n, &len, err, sizeof(err)) == 0 && len == (uint64_t)n);
		EXPECT(lseek(in, 0, SEEK_CUR) == n && lseek(cp, 0, SEEK_END) == n);
		/* too long for the bound */
		lseek(in, 0, SEEK_SET);
		EXPECT(xsr_stream_copy(in, cp, (uint64_t)n - 1, &len, err, sizeof(err)) == -1 &&
		       strstr(err, "the stream is longer than") != NULL);
		/* cut short: the sender stopped midway */
		EXPECT(ftruncate(in, n / 2) == 0);
		lseek(in, 0, SEEK_SET);
		EXPECT(xsr_stream_copy(in, cp, (uint64_t)n, &len, err, sizeof(err)) == -1 &&
		       strstr(err, "before its END (the sender stopped midway)") != NULL);
		/* not a stream */
		EXPECT(ftruncate(in, 0) == 0 && ftruncate(in, 4096) == 0);
		lseek(in, 0, SEEK_SET);
		EXPECT(xsr_stream_copy(in, cp, (uint64_t)n, &len, err, sizeof(err)) == -1 &&
		       !strcmp(err, "not an xl migration stream (no xl header)"));
		close(in);
		close(cp);
	}
	munmap(im, (size_t)n);
	close(fd);
}

/* PVH: the x2APIC's MSRs per vCPU (DOMUS_STATE entry APIC), no device model */
static void apic_entry(void)
{
	struct xsr_state st, out;
	struct img im;
	char err[256];
	unsigned int i, k;

	fill(&st, vin, ram_in);
	st.has_dm = false;
	st.has_apic = true;
	for (i = 0; i < 2; i++) {
		vin[i].apic.count = 3;
		vin[i].apic.msr[0].index = 0x80f;
		vin[i].apic.msr[0].value = 0x1ff;
		vin[i].apic.msr[1].index = 0x832;
		vin[i].apic.msr[1].value = 0x400ec + i;
		vin[i].apic.msr[2].index = 0x6e0;
		vin[i].apic.msr[2].value = 0x123456789ULL;
	}
	EXPECT(write_img(&st, ram_in, &im) == 0);
	EXPECT(xsr_read(im.p, im.n, RAM, ram_out, &out, err, sizeof(err)) == 0);
	EXPECT(out.has_apic && !out.has_dm);
	for (i = 0; i < 2 && out.vcpu; i++) {
		EXPECT(out.vcpu[i].apic.count == 3);
		for (k = 0; k < 3; k++)
			EXPECT(out.vcpu[i].apic.msr[k].index == vin[i].apic.msr[k].index &&
			       out.vcpu[i].apic.msr[k].value == vin[i].apic.msr[k].value);
	}
	xsr_state_free(&out);
	free(im.p);
	/* an entry naming a register that is not the APIC's is refused */
	vin[1].apic.msr[1].index = 0x10;
	EXPECT(write_img(&st, ram_in, &im) == 0);
	EXPECT(xsr_read(im.p, im.n, RAM, ram_out, &out, err, sizeof(err)) == -1 &&
	       strstr(err, "domus state: APIC entry 1: MSR 0x10 is not an APIC register") != NULL);
	free(im.p);
	/* more registers than the entry holds */
	vin[1].apic.msr[1].index = 0x832;
	vin[0].apic.count = XSR_APIC_MSRS + 1;
	EXPECT(write_img(&st, ram_in, &im) == 0);
	EXPECT(xsr_read(im.p, im.n, RAM, ram_out, &out, err, sizeof(err)) == -1 &&
	       strstr(err, "domus state: APIC entry 0 lists 13 registers (at most 12)") != NULL);
	free(im.p);
	memset(vin, 0, sizeof(vin));
}


/* The offset of the CRC field of DOMUS_CHECKSUM in @im, after a change before it: recomputed. */
static void fix_crc(struct img *im)
{
	size_t o;
	uint32_t t, crc;

	for (o = im->n - 24; o > 0; o--) {
		memcpy(&t, im->p + o, 4);
		if (t == XSR_XC_DOMUS_CHECKSUM)
			break;
	}
	crc = (uint32_t)crc32(crc32(0, NULL, 0), im->p, (uInt)o);
	memcpy(im->p + o + 12, &crc, 4);
}

/* The DOMUS_STATE entry @code for vCPU @inst: its payload's offset, or 0. */
static size_t ds_entry(const struct img *im, uint16_t code, uint16_t inst)
{
	size_t o;

	for (o = im->n - 16; o > 0; o--) {
		uint16_t c, i;

		memcpy(&c, im->p + o, 2);
		memcpy(&i, im->p + o + 2, 2);
		if (c == code && i == inst && im->p[o + 4] == 8 && !im->p[o + 5] && !im->p[o + 6] && !im->p[o + 7])
			return o + 8;
	}
	return 0;
}

/* PVH with several vCPUs: each one's lifecycle (running, waiting, down), bounded */
static void lifecycle_entry(void)
{
	struct xsr_state st, out;
	struct img im;
	char err[256];
	size_t at;

	fill(&st, vin, ram_in);
	st.has_dm = false;
	st.has_lifecycle = true;
	vin[0].lifecycle = 0;
	vin[1].lifecycle = XSR_LC_DOWN;
	EXPECT(write_img(&st, ram_in, &im) == 0);
	EXPECT(xsr_read(im.p, im.n, RAM, ram_out, &out, err, sizeof(err)) == 0);
	EXPECT(out.has_lifecycle && out.nvcpu == 2 && out.vcpu && out.vcpu[0].lifecycle == 0 &&
	       out.vcpu[1].lifecycle == XSR_LC_DOWN);
	xsr_state_free(&out);
	/* a flag domus does not know */
	at = ds_entry(&im, XSR_DS_LIFECYCLE, 1);
	EXPECT(at != 0);
	if (at) {
		im.p[at] = 0x4;
		fix_crc(&im);
		EXPECT(xsr_read(im.p, im.n, RAM, ram_out, &out, err, sizeof(err)) == -1 &&
		       strstr(err, "domus state: lifecycle entry 1: flags 0x4 (domus knows 0x3)") != NULL);
		/* an entry for a vCPU the CPU records do not name */
		im.p[at] = XSR_LC_WAIT_SIPI;
		im.p[at - 6] = 7;
		fix_crc(&im);
		EXPECT(xsr_read(im.p, im.n, RAM, ram_out, &out, err, sizeof(err)) == -1 &&
		       strstr(err, "domus state: entry 5 for vCPU 7, which has no CPU record") != NULL);
	}
	free(im.p);
	memset(vin, 0, sizeof(vin));
}

int main(void)
{
	RUN(UNIT_PREFIX, round_trip);
	RUN(UNIT_PREFIX, refused);
	RUN(UNIT_PREFIX, newer_format);
	RUN(UNIT_PREFIX, live_stream);
	RUN(UNIT_PREFIX, apic_entry);
	RUN(UNIT_PREFIX, lifecycle_entry);
	return unit_failed;
}
