// SPDX-License-Identifier: MIT
/*
 * pv-hcfuzz: the guest's address space: the pointer kinds, the guest kernel's
 * ranges, pages outside RAM and where the grant frames are
 * (tests/host/pv-hcfuzz.c describes the whole program).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cpuid.h>
#include <sys/mman.h>
#include "hcfuzz.h"

/* --- the guest's address space ------------------------------------------- */

uint8_t *buf, *ropage, *zeropage, *ctl;
static uint64_t kdmap[BUF_PAGES];	/* direct-map alias of each buf page, 0: unknown */
static uint64_t ktext[2], krodata[2];
static uint8_t *devmem[5];	/* user pages mapping non-RAM guest-physical pages */
static uint64_t devmem_gfn[5];	/* ... and their guest frames */
static int ndevmem;
static uint8_t *straddle;	/* 2 pages: RAM, then non-RAM (or NULL) */
static uint64_t straddle_gfn;	/* the non-RAM frame of the second page */

const char *const pclass_name[P_NCLASSES] = {
	"null", "buf", "buf-edge", "buf-end", "guard", "ro", "zero", "unmapped", "noncanon",
	"ktext", "krodata", "kdmap", "kunmapped", "devmem", "straddle",
};


struct ptr pick_ptr(int depth)
{
	struct ptr p = { 0, P_NULL, NULL, 0, 0, 0 };
	unsigned int c = below(P_NCLASSES);
	uint64_t off;

	switch (c) {
	case P_NULL:
		p.addr = chance(50) ? 0 : below(PG);
		break;
	case P_BUF:
		off = below(BUF_PAGES * PG - 1024);
		if (chance(70))
			off &= ~7UL;
		p.addr = (uintptr_t)buf + off;
		p.user = buf + off;
		p.wr = p.rd = BUF_PAGES * PG - off;
		break;
	case P_BUFEDGE:		/* just before a page boundary inside the buffer */
		off = (1 + below(BUF_PAGES - 1)) * PG - 1 - below(64);
		p.addr = (uintptr_t)buf + off;
		p.user = buf + off;
		p.wr = p.rd = BUF_PAGES * PG - off;
		break;
	case P_BUFEND:		/* the last bytes before the guard page */
		off = BUF_PAGES * PG - 1 - below(1100);
		p.addr = (uintptr_t)buf + off;
		p.user = buf + off;
		p.wr = p.rd = BUF_PAGES * PG - off;
		break;
	case P_GUARD:
		p.addr = (uintptr_t)buf + BUF_PAGES * PG + below(PG);
		break;
	case P_RO:
		off = below(PG);
		p.addr = (uintptr_t)ropage + off;
		p.rd = PG - off;
		break;
	case P_ZERO:
		off = below(PG);
		p.addr = (uintptr_t)zeropage + off;
		p.rd = PG - off;
		break;
	case P_UNMAPPED:
		switch (below(3)) {
		case 0: p.addr = 0x100000000000ULL + (below(1ULL << 40) & ~7ULL); break;
		case 1: p.addr = 0x7ffffffff000ULL + below(PG); break;	/* straddles 2^47 */
		default: p.addr = 0x10000 + below(0x100000); break;
		}
		break;
	case P_NONCANON:
		switch (below(3)) {
		case 0: p.addr = 0x800000000000ULL + below(PG); break;
		case 1: p.addr = 0xdead000000000000ULL + below(1ULL << 32); break;
		default: p.addr = (rnd() | (1ULL << 50)) & ~(1ULL << 63); break;
		}
		break;
	case P_KTEXT:
		p.addr = ktext[0] + below(ktext[1] - ktext[0]);
		p.rd = -1;
		break;
	case P_KRODATA:
		p.addr = krodata[0] + below(krodata[1] - krodata[0]);
		p.rd = -1;
		break;
	case P_KDMAP: {
		unsigned int i = below(BUF_PAGES);

		if (!kdmap[i])
			return pick_ptr(depth);
		/* at most 3072 + 1024: every write stays inside this page */
		off = below(PG - 1024);
		p.addr = kdmap[i] + off;
		p.user = buf + i * PG + off;
		p.wr = p.rd = PG - off;
		break;
	}
	case P_KUNMAPPED:
		switch (below(3)) {
		case 0: p.addr = 0xffff800000000000ULL + below(1ULL << 40); break;
		case 1: p.addr = 0xffffff8000000000ULL + below(1ULL << 36); break;
		default: p.addr = 0xffffffff80000000ULL + below(ktext[0] > 0xffffffff80100000ULL ?
							       ktext[0] - 0xffffffff80100000ULL : PG); break;
		}
		break;
	case P_DEVMEM: {
		unsigned int i;

		if (!ndevmem)
			return pick_ptr(depth);
		/* not writable unless a grant frame is there (calls.c's oracle) */
		i = below(ndevmem);
		p.addr = (uintptr_t)devmem[i] + below(PG);
		p.gfn = devmem_gfn[i];
		break;
	}
	case P_STRADDLE:
		if (!straddle)
			return pick_ptr(depth);
		off = PG - 1 - below(256);
		p.addr = (uintptr_t)straddle + off;
		p.user = straddle + off;
		p.wr = p.rd = PG - off;		/* the RAM part; the rest: as P_DEVMEM */
		p.gfn = straddle_gfn;
		break;
	}
	p.cls = c;
	return p;
}

/* A random word for buffer contents and arguments. */
uint64_t rnd_word(int depth)
{
	unsigned int r = below(100);

	if (r < 35)
		return below(chance(70) ? 16 : 1024);
	if (r < 45)
		return chance(50) ? DOMID_SELF | (below(4) << 16) : MY_DOMID;
	if (r < 55)
		return below(1ULL << 36);	/* a guest frame number somewhere */
	if (r < 70)
		return rnd();
	if (depth > 1)
		return below(64);
	return pick_ptr(depth + 1).addr;
}

/* Fill @n bytes at @p (the fuzzer's view) with random words. */
void fill(uint8_t *p, long n)
{
	while (n > 0) {
		uint64_t w = rnd_word(1);
		long k = n < 8 ? n : 8;

		memcpy(p, &w, k);
		p += k;
		n -= k;
	}
}
/* --- setup ------------------------------------------------------------------ */

void find_kernel_ranges(void)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[256];

	ktext[0] = 0xffffffff81000000ULL;
	ktext[1] = ktext[0] + (8UL << 20);
	krodata[0] = krodata[1] = 0;
	if (f) {
		uint64_t a;
		char t, name[200];

		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, "%" SCNx64 " %c %199s", &a, &t, name) != 3 || !a)
				continue;
			if (!strcmp(name, "_stext"))
				ktext[0] = a;
			else if (!strcmp(name, "_etext"))
				ktext[1] = a;
			else if (!strcmp(name, "__start_rodata"))
				krodata[0] = a;
			else if (!strcmp(name, "__end_rodata"))
				krodata[1] = a;
		}
		fclose(f);
	}
	if (ktext[1] <= ktext[0])
		ktext[1] = ktext[0] + PG;
	if (krodata[1] <= krodata[0]) {
		krodata[0] = ktext[0];
		krodata[1] = ktext[1];
	}
	say("DOMUS-HCFUZZ: kernel text %#" PRIx64 "-%#" PRIx64 ", rodata %#" PRIx64 "-%#" PRIx64,
	    ktext[0], ktext[1], krodata[0], krodata[1]);
}

/* --- /proc/kcore: reading the guest kernel's own memory ---------------------- */

static struct { uint64_t vaddr, paddr, size, off; } kseg[64];
static int nkseg;

static void kcore_open(void)
{
	int fd = open("/proc/kcore", O_RDONLY);
	Elf64_Ehdr eh;
	int i;

	if (fd < 0)
		return;
	if (pread(fd, &eh, sizeof(eh), 0) == sizeof(eh) && !memcmp(eh.e_ident, ELFMAG, SELFMAG)) {
		for (i = 0; i < eh.e_phnum && i < 256 && nkseg < 64; i++) {
			Elf64_Phdr ph;

			if (pread(fd, &ph, sizeof(ph), eh.e_phoff + (uint64_t)i * sizeof(ph)) != sizeof(ph))
				break;
			if (ph.p_type != PT_LOAD)
				continue;
			kseg[nkseg].vaddr = ph.p_vaddr;
			kseg[nkseg].paddr = ph.p_paddr;
			kseg[nkseg].size = ph.p_memsz;
			kseg[nkseg].off = ph.p_offset;
			nkseg++;
		}
	}
	close(fd);
}

/* Read @n bytes of kernel virtual memory at @va; 0 on success. */
static int kcore_read(uint64_t va, void *dst, size_t n)
{
	int fd, i, ret = -1;

	for (i = 0; i < nkseg; i++)
		if (va >= kseg[i].vaddr && va - kseg[i].vaddr + n <= kseg[i].size)
			break;
	if (i == nkseg)
		return -1;
	fd = open("/proc/kcore", O_RDONLY);
	if (fd < 0)
		return -1;
	if (pread(fd, dst, n, kseg[i].off + (va - kseg[i].vaddr)) == (ssize_t)n)
		ret = 0;
	close(fd);
	return ret;
}

/* The direct map's base: a RAM segment of /proc/kcore has p_vaddr = base + p_paddr. */
static uint64_t find_page_offset(void)
{
	int i;

	for (i = 0; i < nkseg; i++)
		if (kseg[i].paddr != (uint64_t)-1 &&
		    kseg[i].vaddr >= 0xffff880000000000ULL && kseg[i].vaddr < 0xffffc80000000000ULL)
			return kseg[i].vaddr - kseg[i].paddr;
	return 0;
}

void find_kdmap(void)
{
	uint64_t base;
	int fd = open("/proc/self/pagemap", O_RDONLY);
	int i, n = 0;

	if (!nkseg)
		kcore_open();
	base = find_page_offset();
	for (i = 0; fd >= 0 && base && i < BUF_PAGES; i++) {
		uint64_t e;

		if (pread(fd, &e, 8, ((uintptr_t)buf / PG + i) * 8) != 8)
			break;
		if ((e >> 63) && (e & ((1ULL << 55) - 1))) {
			kdmap[i] = base + (e & ((1ULL << 55) - 1)) * PG;
			n++;
		}
	}
	if (fd >= 0)
		close(fd);
	say("DOMUS-HCFUZZ: direct map at %#" PRIx64 ", %d buffer pages aliased", base, n);
}

/* --- grant frames: the only non-RAM frames a write may legitimately reach ------ */

#define MAX_GNT_GFNS	512
static uint64_t gnt_gfn[MAX_GNT_GFNS];
static unsigned int ngnt;
int grant_frames_unknown;

void grant_frame_add(uint64_t gfn)
{
	if (grant_frame_at(gfn))
		return;
	if (ngnt < MAX_GNT_GFNS)
		gnt_gfn[ngnt++] = gfn;
	else
		grant_frames_unknown = 1;	/* cannot happen: the host allows 128 */
}

int grant_frame_at(uint64_t gfn)
{
	unsigned int i;

	for (i = 0; i < ngnt; i++)
		if (gnt_gfn[i] == gfn)
			return 1;
	return 0;
}

static uint64_t ksym(const char *want)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[256], name[200], t;
	uint64_t a, found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%" SCNx64 " %c %199s", &a, &t, name) == 3 && !strcmp(name, want))
			found = a;
	fclose(f);
	return found;
}

/*
 * Where the guest kernel placed its grant table.  A Linux PVH guest keeps
 * the frames in xen_auto_xlat_grant_frames (include/xen/grant_table.h:
 * { xen_pfn_t *pfn; unsigned int count; void *vaddr; }), pages of its
 * "Xen scratch" range above RAM that it hands to add_to_physmap; read
 * here through /proc/kallsyms and /proc/kcore, so no guest or host code
 * changes.  The fuzz's own placements are added as they succeed
 * (calls.c); none may be missed, or the non-RAM oracle stops (and says so).
 */
void find_grant_frames(void)
{
	struct { uint64_t pfn; uint32_t count; uint32_t pad; uint64_t vaddr; } gf;
	uint64_t sym = ksym("xen_auto_xlat_grant_frames"), pfn[64], lo, hi;
	unsigned int i;

	if (!nkseg)
		kcore_open();
	if (!sym || kcore_read(sym, &gf, sizeof(gf)) || !gf.pfn || !gf.count || gf.count > 64 ||
	    kcore_read(gf.pfn, pfn, gf.count * sizeof(pfn[0]))) {
		grant_frames_unknown = 1;
		say("DOMUS-HCFUZZ: grant frames of the guest kernel not found (symbol %#" PRIx64
		    "): no oracle for non-RAM frames", sym);
		return;
	}
	lo = hi = pfn[0];
	for (i = 0; i < gf.count; i++) {
		grant_frame_add(pfn[i]);
		lo = pfn[i] < lo ? pfn[i] : lo;
		hi = pfn[i] > hi ? pfn[i] : hi;
	}
	say("DOMUS-HCFUZZ: the guest kernel's %u grant frames at gfn %#" PRIx64 "-%#" PRIx64
	    " (%s), excluded from the oracle", gf.count, lo, hi,
	    hi - lo == gf.count - 1 ? "contiguous" : "scattered");
}

/* --- non-RAM pages through /dev/mem ------------------------------------------- */

/* Highest end of "System RAM" in /proc/iomem, and the physical address width. */
void map_devmem(void)
{
	FILE *f = fopen("/proc/iomem", "r");
	uint64_t top = 0, lo, hi, cand[5], free_gfn;
	unsigned int eax, ebx, ecx, edx, bits = 36;
	char line[256];
	int fd, i;

	if (f) {
		while (fgets(line, sizeof(line), f)) {
			if (line[0] != ' ' && strstr(line, "System RAM") &&
			    sscanf(line, "%" SCNx64 "-%" SCNx64, &lo, &hi) == 2 && hi + 1 > top)
				top = hi + 1;
		}
		fclose(f);
	}
	if (__get_cpuid(0x80000008, &eax, &ebx, &ecx, &edx))
		bits = eax & 0xff;
	fd = open("/dev/mem", O_RDWR | O_SYNC);
	if (fd < 0 || !top) {
		say("DOMUS-HCFUZZ: no /dev/mem pages (%s, RAM top %#" PRIx64 ")", strerror(errno), top);
		if (fd >= 0)
			close(fd);
		return;
	}
	top = (top + PG - 1) & ~(PG - 1);
	free_gfn = top / PG;			/* the first frame above RAM that is no grant frame */
	while (grant_frame_at(free_gfn))
		free_gfn++;
	cand[0] = top;				/* the first frame above RAM (Linux: grant frame 0) */
	cand[1] = free_gfn * PG;
	cand[2] = top + (64ULL << 20);
	cand[3] = 0x100000000ULL + (1ULL << 30);	/* above 4 GiB */
	cand[4] = (1ULL << bits) - PG;			/* the last physical frame */
	for (i = 0; i < 5; i++) {
		void *m = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, cand[i]);

		if (m != MAP_FAILED) {
			devmem_gfn[ndevmem] = cand[i] / PG;
			devmem[ndevmem++] = m;
		}
	}
	/* a RAM page followed by the first non-RAM frame that is no grant frame */
	straddle = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (straddle == MAP_FAILED ||
	    mmap(straddle + PG, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, cand[1]) == MAP_FAILED)
		straddle = NULL;
	straddle_gfn = free_gfn;
	close(fd);
	say("DOMUS-HCFUZZ: RAM top %#" PRIx64 ", %u physical address bits, %d non-RAM pages mapped%s",
	    top, bits, ndevmem, straddle ? ", RAM/non-RAM straddle" : "");
}
