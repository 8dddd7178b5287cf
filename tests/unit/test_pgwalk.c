// SPDX-License-Identifier: MIT
/*
 * Unit tests for module/pgwalk.c: page tables built in a fake guest-physical
 * memory, translations and every fault kind in each paging mode.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "pgwalk.h"
#include "unit.h"


#define MEM_SIZE (1u << 20)

static u8 mem[MEM_SIZE];
static unsigned int nreads;

static int rd(void *opaque, u64 gpa, u64 *val, unsigned int size)
{
	u64 v = 0;

	(void)opaque;
	nreads++;
	if ((size != 4 && size != 8) || gpa >= MEM_SIZE || MEM_SIZE - gpa < size || (gpa & (size - 1)))
		return -1;
	memcpy(&v, mem + gpa, size);
	*val = v;
	return 0;
}

static const struct pgwalk_ops ops = { .read_gpa = rd };

static void set32(u64 gpa, u32 v)
{
	memcpy(mem + gpa, &v, 4);
}

static void set64(u64 gpa, u64 v)
{
	memcpy(mem + gpa, &v, 8);
}

#define P	(1ULL << 0)
#define RW	(1ULL << 1)
#define US	(1ULL << 2)
#define PS	(1ULL << 7)
#define XD	(1ULL << 63)

#define W	PGWALK_WRITE
#define U	PGWALK_USER
#define F	PGWALK_FETCH

#define EC_P	PGWALK_PF_P
#define EC_W	PGWALK_PF_W
#define EC_U	PGWALK_PF_U
#define EC_R	PGWALK_PF_RSVD
#define EC_I	PGWALK_PF_I

static u64 out_gpa;
static u32 out_ec;

/* 0 and gpa, or 1 and error code, or -1 */
static int tr(const struct pgwalk_regs *r, u64 gva, unsigned int access)
{
	out_gpa = 0xbad;
	out_ec = 0xbad;
	return pgwalk_translate(&ops, NULL, r, gva, access, &out_gpa, &out_ec);
}

#define OK(r, gva, acc, want) (tr(r, gva, acc) == 0 && out_gpa == (want))
#define PF(r, gva, acc, ec) (tr(r, gva, acc) == 1 && out_ec == (ec))

static void paging_off(void)
{
	struct pgwalk_regs r = { .cr0 = 0x11, .cr4 = PGWALK_CR4_PAE };

	nreads = 0;
	EXPECT(OK(&r, 0x12345678, 0, 0x12345678));
	EXPECT(OK(&r, 0x12345678, W | U | F, 0x12345678));
	EXPECT(OK(&r, 0x100001234ULL, 0, 0x1234));
	EXPECT(nreads == 0);
	EXPECT(pgwalk_translate(NULL, NULL, &r, 0, 0, &out_gpa, &out_ec) == -1);
	EXPECT(pgwalk_translate(&ops, NULL, NULL, 0, 0, &out_gpa, &out_ec) == -1);
}

static void legacy32(void)
{
	struct pgwalk_regs r = { .cr0 = PGWALK_CR0_PG | 1, .cr3 = 0x1000 };

	memset(mem, 0, sizeof(mem));
	set32(0x1000 + 1 * 4, 0x2000 | P | RW | US);	/* 4M region 1 -> PT 0x2000 */
	set32(0x2000 + 3 * 4, 0x5000 | P | RW | US);
	set32(0x2000 + 5 * 4, 0x6000 | P | US);		/* read-only */
	set32(0x2000 + 6 * 4, 0x7000 | P | RW);		/* supervisor */
	set32(0x1000 + 3 * 4, 0x3000 | P | US);		/* read-only at the PDE */
	set32(0x3000 + 0 * 4, 0x8000 | P | RW | US);

	EXPECT(OK(&r, 0x00403123, 0, 0x5123));
	EXPECT(OK(&r, 0x00403123, W | U, 0x5123));
	EXPECT(OK(&r, 0x00403123, F | U, 0x5123));
	EXPECT(OK(&r, 0xffffffff00403123ULL, 0, 0x5123));	/* 32-bit linear */
	/* PCD/PWT and low CR3 bits are ignored */
	r.cr3 = 0x1018;
	EXPECT(OK(&r, 0x00403fff, 0, 0x5fff));
	r.cr3 = 0x1000;

	/* not present: PDE, PTE; error code carries W/U, never I */
	EXPECT(PF(&r, 0x00800000, 0, 0));
	EXPECT(PF(&r, 0x00800000, W | U, EC_W | EC_U));
	EXPECT(PF(&r, 0x00404000, U, EC_U));
	EXPECT(PF(&r, 0x00404000, F, 0));

	/* R/W */
	EXPECT(OK(&r, 0x00405010, U, 0x6010));
	EXPECT(PF(&r, 0x00405010, W | U, EC_P | EC_W | EC_U));
	EXPECT(OK(&r, 0x00405010, W, 0x6010));			/* WP=0 */
	r.cr0 |= PGWALK_CR0_WP;
	EXPECT(PF(&r, 0x00405010, W, EC_P | EC_W));
	EXPECT(PF(&r, 0x00c00000, W, EC_P | EC_W));		/* R/W clear in the PDE */
	EXPECT(PF(&r, 0x00c00000, W | U, EC_P | EC_W | EC_U));
	EXPECT(OK(&r, 0x00c00000, U, 0x8000));
	r.cr0 &= ~PGWALK_CR0_WP;

	/* U/S */
	EXPECT(PF(&r, 0x00406000, U, EC_P | EC_U));
	EXPECT(OK(&r, 0x00406000, W, 0x7000));
	EXPECT(OK(&r, 0x00406000, F, 0x7000));			/* no NX without PAE */

	/* SMEP: supervisor fetch from a user page; I reported */
	r.cr4 = PGWALK_CR4_SMEP;
	EXPECT(PF(&r, 0x00403000, F, EC_P | EC_I));
	EXPECT(OK(&r, 0x00406000, F, 0x7000));
	EXPECT(OK(&r, 0x00403000, F | U, 0x5000));
	EXPECT(PF(&r, 0x00800000, F, EC_I));
	r.cr4 = 0;

	/* 4M pages need CR4.PSE; without it PS is ignored */
	set32(0x1000 + 4 * 4, 0x00c00000 | PS | P | RW | US);
	set32(0x1000 + 6 * 4, 0x00008000 | PS | P | RW | US);
	set32(0x8000 + 0 * 4, 0x9000 | P | RW | US);
	EXPECT(OK(&r, 0x01800000, 0, 0x9000));			/* PDE 6 as a table */
	EXPECT(tr(&r, 0x01012345, 0) == -1);			/* table at 12M: unreadable */
	r.cr4 = PGWALK_CR4_PSE;
	EXPECT(OK(&r, 0x01012345, 0, 0x00c12345));
	EXPECT(OK(&r, 0x013fffff, W | U, 0x00ffffff));
	EXPECT(OK(&r, 0x01800000, 0, 0x400000000ULL));		/* PSE-36: bit 15 = PA 34 */
	/* PSE-36 bits beyond MAXPHYADDR and bit 21 are reserved */
	set32(0x1000 + 5 * 4, 0x01400000 | (0x12u << 13) | PS | P);
	EXPECT(OK(&r, 0x01405678, 0, 0x1201405678ULL));
	r.maxphyaddr = 36;
	EXPECT(PF(&r, 0x01405678, 0, EC_P | EC_R));
	EXPECT(PF(&r, 0x01405678, W | U, EC_P | EC_R | EC_W | EC_U));
	set32(0x1000 + 5 * 4, 0x01400000 | (0x2u << 13) | PS | P);
	EXPECT(OK(&r, 0x01405678, 0, 0x201405678ULL));
	r.maxphyaddr = 0;
	set32(0x1000 + 5 * 4, 0x01400000 | (1u << 21) | PS | P);
	EXPECT(PF(&r, 0x01405678, 0, EC_P | EC_R));
	/* permissions on a large page */
	set32(0x1000 + 7 * 4, 0x00400000 | PS | P);
	EXPECT(PF(&r, 0x01c00000, U, EC_P | EC_U));
	r.cr0 |= PGWALK_CR0_WP;
	EXPECT(PF(&r, 0x01c00000, W, EC_P | EC_W));

	/* page-table memory unreadable */
	r.cr3 = 0x7ffff000;
	EXPECT(tr(&r, 0, 0) == -1);
}

#define PAE_CR0 (PGWALK_CR0_PG | PGWALK_CR0_WP | 1)

static void pae(void)
{
	struct pgwalk_regs r = { .cr0 = PAE_CR0, .cr3 = 0x1020, .cr4 = PGWALK_CR4_PAE };

	memset(mem, 0, sizeof(mem));
	set64(0x1020 + 0 * 8, 0x2000 | P);			/* PDPT at 0x1020 */
	set64(0x2000 + 1 * 8, 0x3000 | P | RW | US);
	set64(0x3000 + 2 * 8, 0x4000 | P | RW | US);
	set64(0x2000 + 2 * 8, 0x00600000 | PS | P | RW | US);	/* 2M */

	EXPECT(OK(&r, 0x00202abc, 0, 0x4abc));
	EXPECT(OK(&r, 0x00202abc, W | U | F, 0x4abc));
	EXPECT(OK(&r, 0xffffffff00202abcULL, 0, 0x4abc));	/* 32-bit linear */
	EXPECT(OK(&r, 0x00412345, U, 0x612345));
	EXPECT(OK(&r, 0x005fffff, W, 0x7fffff));

	/* not present at each level */
	EXPECT(PF(&r, 0x40000000, 0, 0));			/* PDPTE */
	EXPECT(PF(&r, 0x00600000, W, EC_W));			/* PDE */
	EXPECT(PF(&r, 0x00203000, U, EC_U));			/* PTE */
	EXPECT(PF(&r, 0x00203000, F, 0));			/* I only with NXE/SMEP */

	/* reserved bits */
	set64(0x1020 + 2 * 8, 0x5000 | P | RW);			/* PDPTE bit 1 */
	EXPECT(PF(&r, 0x80000000, 0, EC_P | EC_R));
	set64(0x1020 + 2 * 8, 0x5000 | P | (1ULL << 5));
	EXPECT(PF(&r, 0x80000000, U, EC_P | EC_R | EC_U));
	set64(0x1020 + 2 * 8, 0x5000 | P | XD);			/* PDPTE bit 63 even with NXE */
	r.efer = PGWALK_EFER_NXE;
	EXPECT(PF(&r, 0x80000000, 0, EC_P | EC_R));
	r.efer = 0;
	set64(0x2000 + 3 * 8, 0x00600000 | (1ULL << 13) | PS | P);	/* 2M page bit 13 */
	EXPECT(PF(&r, 0x00600000, 0, EC_P | EC_R));
	set64(0x3000 + 4 * 8, 0x4000 | P | (1ULL << 52));	/* 62:52 reserved in PAE */
	EXPECT(PF(&r, 0x00204000, 0, EC_P | EC_R));
	set64(0x3000 + 5 * 8, 0x1000000000ULL | P);		/* PA bit 36 */
	EXPECT(OK(&r, 0x00205010, 0, 0x1000000010ULL));
	r.maxphyaddr = 36;
	EXPECT(PF(&r, 0x00205010, W, EC_P | EC_R | EC_W));
	r.maxphyaddr = 0;

	/* NX: reserved without EFER.NXE, a fetch fault with it */
	set64(0x3000 + 3 * 8, 0x4000 | P | RW | US | XD);
	EXPECT(PF(&r, 0x00203000, 0, EC_P | EC_R));
	r.efer = PGWALK_EFER_NXE;
	EXPECT(OK(&r, 0x00203000, W | U, 0x4000));
	EXPECT(PF(&r, 0x00203000, F, EC_P | EC_I));
	EXPECT(PF(&r, 0x00203000, F | U, EC_P | EC_I | EC_U));
	EXPECT(PF(&r, 0x00207000, F, EC_I));			/* not present, I set */
	EXPECT(OK(&r, 0x00202000, F, 0x4000));
	set64(0x2000 + 4 * 8, 0x00800000 | PS | P | RW | US | XD);	/* NX on the PDE */
	EXPECT(PF(&r, 0x00800000, F | U, EC_P | EC_I | EC_U));
	EXPECT(OK(&r, 0x00800000, U, 0x00800000));
	r.efer = 0;

	/* R/W and U/S */
	set64(0x2000 + 5 * 8, 0x00a00000 | PS | P);
	EXPECT(PF(&r, 0x00a00000, U, EC_P | EC_U));
	EXPECT(PF(&r, 0x00a00000, W, EC_P | EC_W));
	r.cr0 &= ~PGWALK_CR0_WP;
	EXPECT(OK(&r, 0x00a00000, W, 0x00a00000));
	EXPECT(PF(&r, 0x00a00000, W | U, EC_P | EC_W | EC_U));

	/* unreadable PDPT */
	r.cr3 = 0xfff00000;
	EXPECT(tr(&r, 0, 0) == -1);
}

#define LM_EFER (PGWALK_EFER_LMA | (1ULL << 8))

static void long4(void)
{
	struct pgwalk_regs r = {
		.cr0 = PAE_CR0, .cr3 = 0x1000, .cr4 = PGWALK_CR4_PAE, .efer = LM_EFER,
	};

	memset(mem, 0, sizeof(mem));
	set64(0x1000 + 0 * 8, 0x2000 | P | RW | US);		/* PML4[0] */
	set64(0x2000 + 0 * 8, 0x3000 | P | RW | US);		/* PDPT[0] */
	set64(0x3000 + 0 * 8, 0x4000 | P | RW | US);		/* PD[0] */
	set64(0x4000 + 1 * 8, 0x5000 | P | RW | US);		/* PT[1] */
	set64(0x3000 + 1 * 8, 0x00200000 | PS | P | RW | US);	/* 2M */
	set64(0x1000 + 256 * 8, 0x6000 | P | RW);		/* kernel half */
	set64(0x6000 + 0 * 8, 0x40000000 | PS | P | RW);	/* 1G */

	EXPECT(OK(&r, 0x1abc, 0, 0x5abc));
	EXPECT(OK(&r, 0x1abc, W | U | F, 0x5abc));
	EXPECT(OK(&r, 0x212345, U, 0x212345));
	EXPECT(OK(&r, 0xffff800000123456ULL, W, 0x40123456));
	EXPECT(OK(&r, 0xffff80003fffffffULL, 0, 0x7fffffff));
	EXPECT(PF(&r, 0xffff800000123456ULL, U, EC_P | EC_U));
	/* CR3 low bits (PCID, PWT/PCD) are not address bits */
	r.cr3 = 0x1000 | 0x18 | 0x5;
	EXPECT(OK(&r, 0x1abc, 0, 0x5abc));
	r.cr3 = 0x1000;

	/* not present at every level */
	EXPECT(PF(&r, 0x0000008000000000ULL, 0, 0));		/* PML4E */
	EXPECT(PF(&r, 0x0000000040000000ULL, W, EC_W));		/* PDPTE */
	EXPECT(PF(&r, 0x0000000000400000ULL, U, EC_U));		/* PDE */
	EXPECT(PF(&r, 0x0000000000002000ULL, W | U, EC_W | EC_U));	/* PTE */

	/* not supported / not canonical */
	EXPECT(tr(&r, 0x0000800000000000ULL, 0) == -1);
	EXPECT(tr(&r, 0xffff7fffffffffffULL, 0) == -1);
	r.cr4 |= PGWALK_CR4_LA57;
	EXPECT(tr(&r, 0x1abc, 0) == -1);
	r.cr4 = 0;
	EXPECT(tr(&r, 0x1abc, 0) == -1);			/* LMA without PAE */
	r.cr4 = PGWALK_CR4_PAE;

	/* reserved bits */
	set64(0x1000 + 1 * 8, 0x7000 | PS | P | RW | US);	/* PML4E.PS */
	EXPECT(PF(&r, 0x0000008000000000ULL, 0, EC_P | EC_R));
	set64(0x2000 + 1 * 8, 0x40000000 | (1ULL << 13) | PS | P);	/* 1G bit 13 */
	EXPECT(PF(&r, 0x40000000, U, EC_P | EC_R | EC_U));
	set64(0x2000 + 1 * 8, 0x40000000 | (1ULL << 29) | PS | P);	/* 1G bit 29 */
	EXPECT(PF(&r, 0x40000000, 0, EC_P | EC_R));
	set64(0x3000 + 2 * 8, 0x00400000 | (1ULL << 20) | PS | P);	/* 2M bit 20 */
	EXPECT(PF(&r, 0x00400000, 0, EC_P | EC_R));
	set64(0x4000 + 2 * 8, 0x5000 | P | (1ULL << 45));
	EXPECT(OK(&r, 0x2000, 0, 0x200000005000ULL));
	r.maxphyaddr = 40;
	EXPECT(PF(&r, 0x2000, W, EC_P | EC_R | EC_W));
	r.maxphyaddr = 0;
	set64(0x4000 + 3 * 8, 0x5000 | P | (1ULL << 55));	/* 62:52 ignored here */
	EXPECT(OK(&r, 0x3010, 0, 0x5010));
	set64(0x4000 + 4 * 8, 0x5000 | P | XD);			/* XD without NXE */
	EXPECT(PF(&r, 0x4000, 0, EC_P | EC_R));
	set64(0x1000 + 1 * 8, 0x7000 | P | RW | US);		/* PML4E bit 51 */
	set64(0x7000, 0x8000 | P | (1ULL << 51));
	EXPECT(tr(&r, 0x0000008000000000ULL, 0) == -1);	/* M=52: an address bit (beyond memory) */
	r.maxphyaddr = 48;
	EXPECT(PF(&r, 0x0000008000000000ULL, 0, EC_P | EC_R));
	r.maxphyaddr = 0;

	/* NX at an upper level */
	r.efer = LM_EFER | PGWALK_EFER_NXE;
	EXPECT(OK(&r, 0x4000, 0, 0x5000));
	EXPECT(PF(&r, 0x4000, F, EC_P | EC_I));
	set64(0x1000 + 2 * 8, 0x9000 | P | RW | US | XD);
	set64(0x9000, 0xa000 | P | RW | US);
	set64(0xa000, 0xb000 | P | RW | US);
	set64(0xb000, 0xc000 | P | RW | US);
	EXPECT(OK(&r, 0x0000010000000123ULL, W | U, 0xc123));
	EXPECT(PF(&r, 0x0000010000000123ULL, F | U, EC_P | EC_I | EC_U));
	EXPECT(PF(&r, 0x0000000000006000ULL, F, EC_I));		/* not present */
	/* SMEP */
	r.cr4 |= PGWALK_CR4_SMEP;
	EXPECT(PF(&r, 0x1abc, F, EC_P | EC_I));
	EXPECT(OK(&r, 0x1abc, F | U, 0x5abc));
	EXPECT(OK(&r, 0xffff800000000000ULL, F, 0x40000000));
	r.cr4 = PGWALK_CR4_PAE;
	r.efer = LM_EFER;

	/* R/W and U/S from upper levels */
	set64(0x1000 + 3 * 8, 0xd000 | P | US);			/* read-only PML4E */
	set64(0xd000, 0xe000 | P | RW | US);
	set64(0xe000, 0x00800000 | PS | P | RW | US);
	EXPECT(OK(&r, 0x0000018000000000ULL, U, 0x00800000));
	EXPECT(PF(&r, 0x0000018000000000ULL, W | U, EC_P | EC_W | EC_U));
	EXPECT(PF(&r, 0x0000018000000000ULL, W, EC_P | EC_W));
	r.cr0 &= ~PGWALK_CR0_WP;
	EXPECT(OK(&r, 0x0000018000000000ULL, W, 0x00800000));
	r.cr0 |= PGWALK_CR0_WP;
	set64(0xd000 + 8, 0xf000 | P | RW);			/* supervisor PDPTE */
	set64(0xf000, 0x00a00000 | PS | P | RW | US);
	EXPECT(PF(&r, 0x0000018040000000ULL, U, EC_P | EC_U));
	EXPECT(OK(&r, 0x0000018040000000ULL, 0, 0x00a00000));
	EXPECT(PF(&r, 0x0000018040000000ULL, W, EC_P | EC_W));	/* the PML4E is read-only */

	/* a table the guest points outside its memory */
	set64(0x3000 + 5 * 8, 0x7ff00000 | P | RW | US);
	EXPECT(tr(&r, 0x00a00000, 0) == -1);
}

int main(void)
{
	RUN(UNIT_PREFIX, paging_off);
	RUN(UNIT_PREFIX, legacy32);
	RUN(UNIT_PREFIX, pae);
	RUN(UNIT_PREFIX, long4);
	return unit_failed;
}
