// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest page-table walker (see pgwalk.h).  Entry layouts and checks follow
 * Intel SDM vol. 3A chapter 4 (paging) and AMD APM vol. 2 chapter 5.
 */
#include "pgwalk.h"

#define E_P	(1ULL << 0)
#define E_RW	(1ULL << 1)
#define E_US	(1ULL << 2)
#define E_PS	(1ULL << 7)
#define E_XD	(1ULL << 63)

/* Bits lo..hi inclusive (0 <= lo <= hi <= 63). */
static u64 bits(unsigned int hi, unsigned int lo)
{
	u64 upto = hi >= 63 ? ~0ULL : (1ULL << (hi + 1)) - 1;

	return upto & ~((1ULL << lo) - 1);
}

enum pgmode { PG_32, PG_PAE, PG_4L };

int pgwalk_translate(const struct pgwalk_ops *ops, void *opaque,
		     const struct pgwalk_regs *r, u64 gva, unsigned int access,
		     u64 *gpa, u32 *pf_error_code)
{
	bool write = access & PGWALK_WRITE;
	bool user = access & PGWALK_USER;
	bool fetch = access & PGWALK_FETCH;
	bool nxe, smep, rw = true, us = true, nx = false;
	unsigned int m, lvl, levels, shift = 12, ibits, esize;
	enum pgmode pm;
	u64 table, e = 0, rsvd, amask, idx, off;
	u32 ec;

	if (!ops || !ops->read_gpa || !r || !gpa || !pf_error_code)
		return -1;
	*pf_error_code = 0;
	if (!(r->cr0 & PGWALK_CR0_PG)) {
		*gpa = gva & 0xffffffffULL;
		return 0;
	}
	if (r->cr4 & PGWALK_CR4_LA57)
		return -1;

	m = r->maxphyaddr;
	if (m == 0 || m > 52)
		m = 52;
	if (m < 32)
		m = 32;
	amask = bits(m - 1, 12);	/* address bits of an entry */
	smep = r->cr4 & PGWALK_CR4_SMEP;
	nxe = false;

	if (r->efer & PGWALK_EFER_LMA) {
		if (!(r->cr4 & PGWALK_CR4_PAE))
			return -1;
		/* canonical: bits 63:47 all equal */
		if (((gva >> 47) != 0) && ((gva >> 47) != 0x1ffff))
			return -1;
		pm = PG_4L;
		levels = 4;
		esize = 8;
		ibits = 9;
		table = r->cr3 & amask;
		nxe = r->efer & PGWALK_EFER_NXE;
	} else if (r->cr4 & PGWALK_CR4_PAE) {
		gva &= 0xffffffffULL;
		pm = PG_PAE;
		levels = 3;
		esize = 8;
		ibits = 9;
		table = r->cr3 & 0xffffffe0ULL;
		nxe = r->efer & PGWALK_EFER_NXE;
	} else {
		gva &= 0xffffffffULL;
		pm = PG_32;
		levels = 2;
		esize = 4;
		ibits = 10;
		table = r->cr3 & 0xfffff000ULL;
	}

	ec = (write ? PGWALK_PF_W : 0) | (user ? PGWALK_PF_U : 0);
	if (fetch && (smep || nxe))
		ec |= PGWALK_PF_I;

	for (lvl = levels; lvl >= 1 && lvl <= 4; lvl--) {
		bool leaf;

		shift = 12 + ibits * (lvl - 1);
		if (pm == PG_PAE && lvl == 3)
			idx = (gva >> 30) & 3;
		else
			idx = (gva >> shift) & ((1ULL << ibits) - 1);
		if (ops->read_gpa(opaque, table + idx * esize, &e, esize))
			return -1;
		if (esize == 4)
			e &= 0xffffffffULL;
		if (!(e & E_P)) {
			*pf_error_code = ec;
			return 1;
		}

		/* reserved bits */
		rsvd = 0;
		leaf = lvl == 1;
		switch (pm) {
		case PG_4L:
			rsvd = bits(51, m);	/* empty when m == 52 */
			if (!nxe)
				rsvd |= E_XD;
			if (lvl == 4)
				rsvd |= E_PS;
			else if (lvl == 3 && (e & E_PS))
				rsvd |= bits(29, 13);
			else if (lvl == 2 && (e & E_PS))
				rsvd |= bits(20, 13);
			leaf = leaf || ((lvl == 3 || lvl == 2) && (e & E_PS));
			break;
		case PG_PAE:
			if (lvl == 3) {
				rsvd = bits(63, m) | bits(2, 1) | bits(8, 5);
			} else {
				rsvd = bits(62, m);
				if (!nxe)
					rsvd |= E_XD;
				if (lvl == 2 && (e & E_PS))
					rsvd |= bits(20, 13);
				leaf = leaf || (lvl == 2 && (e & E_PS));
			}
			break;
		case PG_32:
			if (lvl == 2 && (e & E_PS) && (r->cr4 & PGWALK_CR4_PSE)) {
				/* PSE-36: PDE bits 20:13 are address bits 39:32 */
				unsigned int m36 = m > 40 ? 40 : m;

				rsvd = bits(21, 13 + (m36 - 32));
				leaf = true;
			}
			break;
		}
		if (e & rsvd) {
			*pf_error_code = ec | PGWALK_PF_P | PGWALK_PF_RSVD;
			return 1;
		}

		if (!(pm == PG_PAE && lvl == 3)) {
			rw = rw && (e & E_RW);
			us = us && (e & E_US);
			if (nxe && (e & E_XD))
				nx = true;
		}
		if (leaf)
			break;
		table = esize == 4 ? (e & 0xfffff000ULL) : (e & amask);
	}
	if (lvl < 1 || lvl > 4)
		return -1;	/* not reached: level 1 is always a leaf */

	/* permissions */
	if (user) {
		if (!us || (write && !rw) || (fetch && nx))
			goto prot;
	} else {
		if (write && !rw && (r->cr0 & PGWALK_CR0_WP))
			goto prot;
		if (fetch && (nx || (smep && us)))
			goto prot;
	}

	off = gva & ((1ULL << shift) - 1);
	if (pm == PG_32 && shift == 22)
		*gpa = (e & 0xffc00000ULL) | (((e >> 13) & 0xff) << 32) | off;
	else if (pm == PG_32)
		*gpa = (e & 0xfffff000ULL) | off;
	else
		*gpa = (e & amask & ~((1ULL << shift) - 1)) | off;
	return 0;

prot:
	*pf_error_code = ec | PGWALK_PF_P;
	return 1;
}
