// SPDX-License-Identifier: MIT
/*
 * A structural validator of Xen's save and migration streams, written
 * from Xen's public specifications (the libxl and libxc migration stream
 * documents, revision 2 and 3, and the public HVM save-record layouts; the
 * facts are collected in ../shared/docs/xen-save-format.md).  It checks
 * what Xen 4.17's restore path would refuse for an HVM or PVH guest:
 * framing, headers, record order, sizes and the mandatory records.  It
 * looks at structure only: page contents and register values are not
 * judged.
 *
 * The layers, one after the other:
 *   xl header (48 bytes) + optional data (config length + JSON)
 *   libxl stream: header (BE) and records; LIBXC_CONTEXT carries
 *   the libxc stream: image header (BE), domain header, records, END
 *   libxl END
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "xsrcheck.h"

/* --- the facts (Xen's specifications) ---------------------------------------------- */

static const uint8_t xl_magic[32] = "Xen saved domain, xl format\n \0 \r";
#define XL_BYTEORDER		0x01020304u
#define XL_FLAG_JSON		1u
#define XL_FLAG_STREAMV2	2u

#define LIBXL_IDENT		0x4C6962786C466D74ULL	/* "LibxlFmt" */
#define LIBXL_VERSION		2u
enum { LXL_END = 0, LXL_LIBXC_CONTEXT = 1, LXL_EMU_XENSTORE = 2, LXL_EMU_CONTEXT = 3,
       LXL_CHECKPOINT_END = 4, LXL_CHECKPOINT_STATE = 5 };

#define XC_MARKER		0xFFFFFFFFFFFFFFFFULL
#define XC_ID			0x58454E46u		/* "XENF" */
#define XC_TYPE_X86_PV		1u
#define XC_TYPE_X86_HVM		2u
#define XC_REC_LENGTH_MAX	(128u << 20)
enum {
	XC_END = 0x00, XC_PAGE_DATA = 0x01, XC_PV_FIRST = 0x02, XC_PV_LAST = 0x07,
	XC_TSC_INFO = 0x08, XC_HVM_CONTEXT = 0x09, XC_HVM_PARAMS = 0x0A, XC_TOOLSTACK = 0x0B,
	XC_PV_VCPU_MSRS = 0x0C, XC_VERIFY = 0x0D, XC_CHECKPOINT = 0x0E,
	XC_CHECKPOINT_DIRTY = 0x0F, XC_STATIC_DATA_END = 0x10, XC_CPUID_POLICY = 0x11,
	XC_MSR_POLICY = 0x12,
};
#define XC_OPTIONAL		0x80000000u

/* PAGE_DATA pfn word: type nibble in bits 63-60, bits 59-52 reserved */
#define PFN_TYPE(w)		((unsigned int)((w) >> 60))
#define PFN_RESERVED(w)		(((w) >> 52) & 0xff)
enum { PT_NOTAB = 0x0, PT_BROKEN = 0xD, PT_XALLOC = 0xE, PT_XTAB = 0xF };

/* HVM context entries */
#define HVM_HEADER_MAGIC	0x54381286u
enum {
	HC_END = 0, HC_HEADER = 1, HC_CPU = 2, HC_PIC = 3, HC_IOAPIC = 4, HC_LAPIC = 5,
	HC_LAPIC_REGS = 6, HC_PCI_IRQ = 7, HC_ISA_IRQ = 8, HC_PCI_LINK = 9, HC_PIT = 10,
	HC_RTC = 11, HC_HPET = 12, HC_PMTIMER = 13, HC_MTRR = 14, HC_VIRIDIAN_DOMAIN = 15,
	HC_CPU_XSAVE = 16, HC_VIRIDIAN_VCPU = 17, HC_VMCE_VCPU = 18, HC_TSC_ADJUST = 19,
	HC_CPU_MSR = 20, HC_MAX = 20,
};
/* How an entry's length is checked: exact, at most (zero-extended), or its own rule. */
enum hc_rule { HC_EXACT, HC_AT_MOST, HC_OWN };
static const struct {
	const char *name;
	uint32_t size;
	enum hc_rule rule;
	bool per_vcpu;
} hc_types[HC_MAX + 1] = {
	[HC_END]		= { "END", 0, HC_EXACT, false },
	[HC_HEADER]		= { "HEADER", 24, HC_EXACT, false },
	[HC_CPU]		= { "CPU", 1032, HC_AT_MOST, true },
	[HC_PIC]		= { "PIC", 8, HC_EXACT, false },
	[HC_IOAPIC]		= { "IOAPIC", 400, HC_EXACT, false },
	[HC_LAPIC]		= { "LAPIC", 32, HC_AT_MOST, true },	/* 24 in 4.17, 32 from 4.21 */
	[HC_LAPIC_REGS]		= { "LAPIC_REGS", 1024, HC_EXACT, true },
	[HC_PCI_IRQ]		= { "PCI_IRQ", 16, HC_EXACT, false },
	[HC_ISA_IRQ]		= { "ISA_IRQ", 8, HC_EXACT, false },
	[HC_PCI_LINK]		= { "PCI_LINK", 8, HC_EXACT, false },
	[HC_PIT]		= { "PIT", 56, HC_EXACT, false },
	[HC_RTC]		= { "RTC", 24, HC_AT_MOST, false },
	[HC_HPET]		= { "HPET", 1048, HC_EXACT, false },
	[HC_PMTIMER]		= { "PMTIMER", 8, HC_EXACT, false },
	[HC_MTRR]		= { "MTRR", 240, HC_EXACT, true },
	[HC_VIRIDIAN_DOMAIN]	= { "VIRIDIAN_DOMAIN", 32, HC_AT_MOST, false },
	[HC_CPU_XSAVE]		= { "CPU_XSAVE", 0, HC_OWN, true },
	[HC_VIRIDIAN_VCPU]	= { "VIRIDIAN_VCPU", 216, HC_AT_MOST, true },
	[HC_VMCE_VCPU]		= { "VMCE_VCPU", 32, HC_AT_MOST, true },
	[HC_TSC_ADJUST]		= { "TSC_ADJUST", 8, HC_EXACT, true },
	[HC_CPU_MSR]		= { "CPU_MSR", 0, HC_OWN, true },
};

/* --- reading ------------------------------------------------------------------------ */

struct rd {
	const uint8_t *p;
	size_t len, off;
	char *err;
	size_t errlen;
};

static int fail(struct rd *r, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct rd *r, size_t off, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(r->err, r->errlen, "offset %zu: ", off);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < r->errlen)
		vsnprintf(r->err + n, r->errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static bool have(struct rd *r, size_t n)
{
	return r->len - r->off >= n;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* One record (libxl and libxc frame them alike): type, body, padding checked. */
static int record(struct rd *r, const char *layer, uint32_t *type, const uint8_t **body,
		  uint32_t *blen)
{
	size_t at = r->off, padded;

	if (!have(r, 8))
		return fail(r, at, "%s record header cut short (the stream ends without END)", layer);
	*type = le32(r->p + at);
	*blen = le32(r->p + at + 4);
	if (*blen > XC_REC_LENGTH_MAX)
		return fail(r, at, "%s record type %#x: length %u beyond 128 MiB", layer, *type, *blen);
	padded = ((size_t)*blen + 7) & ~(size_t)7;
	if (!have(r, 8 + padded))
		return fail(r, at, "%s record type %#x: %u bytes announced, %zu left", layer, *type,
			    *blen, r->len - at - 8);
	*body = r->p + at + 8;
	if (!all_zero(*body + *blen, padded - *blen))
		return fail(r, at, "%s record type %#x: padding not zero", layer, *type);
	r->off = at + 8 + padded;
	return 0;
}

/* --- the HVM context blob ---------------------------------------------------------------- */

static int hvm_context(struct rd *r, size_t at, const uint8_t *b, uint32_t len,
		       struct xsr_summary *s)
{
	size_t o = 0;
	bool first = true;

	for (;;) {
		uint16_t code, inst;
		uint32_t n;

		if (len - o < 8)
			return fail(r, at, "HVM_CONTEXT: entry descriptor cut short at byte %zu (no END entry)", o);
		code = b[o] | b[o + 1] << 8;
		inst = b[o + 2] | b[o + 3] << 8;
		n = le32(b + o + 4);
		o += 8;
		if (n > len - o)
			return fail(r, at, "HVM_CONTEXT: entry %u (instance %u) claims %u bytes, %zu left",
				    code, inst, n, len - o);
		if (first && code != HC_HEADER)
			return fail(r, at, "HVM_CONTEXT: the first entry is %u, not HEADER (1)", code);
		if (code > HC_MAX || !hc_types[code].name)
			return fail(r, at, "HVM_CONTEXT: unknown entry type %u (Xen refuses it)", code);
		if (!hc_types[code].per_vcpu && inst != 0 && code != HC_PIC)
			return fail(r, at, "HVM_CONTEXT: %s instance %u (a domain entry is instance 0)",
				    hc_types[code].name, inst);
		switch (hc_types[code].rule) {
		case HC_EXACT:
			if (n != hc_types[code].size)
				return fail(r, at, "HVM_CONTEXT: %s is %u bytes, must be %u",
					    hc_types[code].name, n, hc_types[code].size);
			break;
		case HC_AT_MOST:
			if (n > hc_types[code].size)
				return fail(r, at, "HVM_CONTEXT: %s is %u bytes, at most %u",
					    hc_types[code].name, n, hc_types[code].size);
			break;
		case HC_OWN:
			if (code == HC_CPU_XSAVE && n < 600)
				return fail(r, at, "HVM_CONTEXT: CPU_XSAVE is %u bytes, at least 600", n);
			if (code == HC_CPU_MSR && (n < 8 || le32(b + o) == 0 ||
						   n != 8 + 16 * (uint64_t)le32(b + o)))
				return fail(r, at, "HVM_CONTEXT: CPU_MSR is %u bytes, must be 8 + 16 * count (count >= 1)", n);
			break;
		}
		if (first && (le32(b + o) != HVM_HEADER_MAGIC || le32(b + o + 4) != 1))
			return fail(r, at, "HVM_CONTEXT: HEADER magic %#x version %u (want 0x54381286, 1)",
				    le32(b + o), le32(b + o + 4));
		if (code == HC_CPU && n >= 1032 && (le32(b + o + 1024) & ~1u))
			return fail(r, at, "HVM_CONTEXT: CPU %u flags %#x (only bit 0 is defined)",
				    inst, le32(b + o + 1024));
		if (code == HC_CPU)
			s->vcpus++;
		first = false;
		o += n;
		if (code == HC_END) {
			if (n)
				return fail(r, at, "HVM_CONTEXT: END entry with %u bytes", n);
			if (o != len)
				return fail(r, at, "HVM_CONTEXT: %zu bytes after the END entry", len - o);
			return 0;
		}
	}
}

/* --- the libxc stream ---------------------------------------------------------------- */

static int page_data(struct rd *r, size_t at, const uint8_t *b, uint32_t len,
		     struct xsr_summary *s)
{
	uint32_t count, i;
	uint64_t data = 0;

	if (len < 8 || !(count = le32(b)))
		return fail(r, at, "PAGE_DATA without pages (count 0 or record too short)");
	if ((uint64_t)count * 8 > len - 8)
		return fail(r, at, "PAGE_DATA: %u pfns do not fit in %u bytes", count, len);
	for (i = 0; i < count; i++) {
		uint64_t w = le64(b + 8 + 8 * (size_t)i);
		unsigned int t = PFN_TYPE(w);

		if (PFN_RESERVED(w))
			return fail(r, at, "PAGE_DATA: pfn %u has reserved bits 59-52 set (%#llx)", i,
				    (unsigned long long)w);
		if (t != PT_NOTAB && t != PT_BROKEN && t != PT_XALLOC && t != PT_XTAB)
			return fail(r, at, "PAGE_DATA: pfn %#llx has type %#x (an HVM guest has 0, 0xd, 0xe or 0xf)",
				    (unsigned long long)(w & ((1ULL << 52) - 1)), t);
		if (t == PT_NOTAB)
			data++;
	}
	if (len != 8 + 8 * (uint64_t)count + 4096 * data)
		return fail(r, at, "PAGE_DATA: %u bytes for %u pfns with %llu data pages (want %llu)",
			    len, count, (unsigned long long)data,
			    (unsigned long long)(8 + 8 * (uint64_t)count + 4096 * data));
	s->pfns += count;
	s->data_pages += data;
	if (data)
		s->last_page_at = (uint64_t)(b - r->p) + 8 + 8 * (uint64_t)count + 4096 * (data - 1);
	return 0;
}

static int libxc(struct rd *r, struct xsr_summary *s)
{
	size_t at = r->off;
	bool static_end = false, page_seen = false, tsc = false, ctx = false;
	uint32_t version, type, blen;
	const uint8_t *b;

	if (!have(r, 24 + 16))
		return fail(r, at, "libxc headers cut short");
	if (be64(r->p + at) != XC_MARKER)
		return fail(r, at, "libxc marker is not all ones (a legacy stream?)");
	if (be32(r->p + at + 8) != XC_ID)
		return fail(r, at + 8, "libxc id %#x, want 0x58454e46 (\"XENF\")", be32(r->p + at + 8));
	version = be32(r->p + at + 12);
	if (version != 2 && version != 3)
		return fail(r, at + 12, "libxc version %u (Xen 4.17 reads 2 and 3)", version);
	if ((r->p[at + 16] << 8 | r->p[at + 17]) != 0 || !all_zero(r->p + at + 18, 6))
		return fail(r, at + 16, "libxc options or reserved bytes not zero (big-endian stream?)");
	type = le32(r->p + at + 24);
	if (type != XC_TYPE_X86_HVM)
		return fail(r, at + 24, "libxc domain type %u (HVM and PVH guests are type 2)", type);
	if ((r->p[at + 28] | r->p[at + 29] << 8) != 12 || r->p[at + 30] || r->p[at + 31])
		return fail(r, at + 28, "libxc page shift is not 12, or reserved bytes set");
	s->xc_version = version;
	s->xen_major = le32(r->p + at + 32);
	s->xen_minor = le32(r->p + at + 36);
	r->off = at + 40;

	for (;;) {
		at = r->off;
		if (record(r, "libxc", &type, &b, &blen))
			return -1;
		s->xc_records++;
		if (type & XC_OPTIONAL) {
			s->optional_skipped++;
			continue;
		}
		switch (type) {
		case XC_END:
			if (blen)
				return fail(r, at, "libxc END with a body");
			if (version == 3 && !static_end)
				return fail(r, at, "libxc v3 stream without STATIC_DATA_END");
			if (!ctx)
				return fail(r, at, "no HVM_CONTEXT record (the vCPUs' state)");
			if (!tsc)
				return fail(r, at, "no X86_TSC_INFO record");
			return 0;
		case XC_PAGE_DATA:
			if (version == 3 && !static_end)
				return fail(r, at, "PAGE_DATA before STATIC_DATA_END (v3 needs it first)");
			if (page_data(r, at, b, blen, s))
				return -1;
			page_seen = true;
			break;
		case XC_STATIC_DATA_END:
			if (blen || static_end || page_seen)
				return fail(r, at, "STATIC_DATA_END %s", blen ? "with a body" :
					    static_end ? "twice" : "after memory");
			static_end = true;
			break;
		case XC_CPUID_POLICY:
		case XC_MSR_POLICY: {
			uint32_t unit = type == XC_CPUID_POLICY ? 24 : 16;

			if (static_end)
				return fail(r, at, "%s policy after STATIC_DATA_END",
					    type == XC_CPUID_POLICY ? "CPUID" : "MSR");
			if (!blen || blen % unit)
				return fail(r, at, "%s policy of %u bytes (a non-zero multiple of %u)",
					    type == XC_CPUID_POLICY ? "CPUID" : "MSR", blen, unit);
			break;
		}
		case XC_TSC_INFO:
			if (blen != 24)
				return fail(r, at, "X86_TSC_INFO is %u bytes, must be 24", blen);
			if (le32(b) > 2)
				return fail(r, at, "X86_TSC_INFO mode %u (0, 1 or 2)", le32(b));
			tsc = true;
			break;
		case XC_HVM_PARAMS:
			if (blen < 8 || blen != 8 + 16 * (uint64_t)le32(b))
				return fail(r, at, "HVM_PARAMS is %u bytes, must be 8 + 16 * count", blen);
			s->params += le32(b);
			break;
		case XC_HVM_CONTEXT:
			if (ctx)
				return fail(r, at, "a second HVM_CONTEXT");
			if (hvm_context(r, at, b, blen, s))
				return -1;
			ctx = true;
			break;
		case XC_VERIFY:
			break;
		default:
			if (type >= XC_PV_FIRST && type <= XC_PV_LAST)
				return fail(r, at, "PV record %#x in an HVM stream", type);
			if (type == XC_PV_VCPU_MSRS)
				return fail(r, at, "PV record %#x in an HVM stream", type);
			if (type == XC_TOOLSTACK)
				return fail(r, at, "TOOLSTACK record (deprecated; Xen 4.17 refuses it)");
			if (type == XC_CHECKPOINT || type == XC_CHECKPOINT_DIRTY)
				return fail(r, at, "checkpoint record %#x (Remus/COLO only; a restore refuses it)", type);
			return fail(r, at, "unknown mandatory libxc record %#x", type);
		}
	}
}

/* --- the libxl stream and the xl header ------------------------------------------------- */

static int libxl(struct rd *r, struct xsr_summary *s)
{
	size_t at = r->off;
	uint32_t type, blen;
	const uint8_t *b;
	bool xc = false;

	if (!have(r, 16))
		return fail(r, at, "libxl header cut short");
	if (be64(r->p + at) != LIBXL_IDENT)
		return fail(r, at, "libxl ident is not \"LibxlFmt\"");
	if (be32(r->p + at + 8) != LIBXL_VERSION)
		return fail(r, at + 8, "libxl version %u, want 2", be32(r->p + at + 8));
	if (be32(r->p + at + 12) & 1)
		return fail(r, at + 12, "libxl options say big-endian");
	r->off = at + 16;
	for (;;) {
		at = r->off;
		if (record(r, "libxl", &type, &b, &blen))
			return -1;
		s->xl_records++;
		switch (type) {
		case LXL_END:
			if (blen)
				return fail(r, at, "libxl END with a body");
			if (!xc)
				return fail(r, at, "libxl END before any LIBXC_CONTEXT");
			if (r->off != r->len)
				return fail(r, r->off, "%zu bytes after the libxl END", r->len - r->off);
			return 0;
		case LXL_LIBXC_CONTEXT:
			if (blen || xc)
				return fail(r, at, "LIBXC_CONTEXT %s", blen ? "with a body" : "twice");
			xc = true;
			if (libxc(r, s))
				return -1;
			break;
		case LXL_EMU_XENSTORE:
		case LXL_EMU_CONTEXT:
			if (!xc || blen < 8)
				return fail(r, at, "emulator record %u %s", type,
					    xc ? "without its 8-byte sub-header" : "before LIBXC_CONTEXT");
			s->emulator_records++;
			break;
		default:
			/* libxl 4.17 refuses every record it does not know, optional or not */
			return fail(r, at, "libxl record %#x (Xen 4.17 refuses it)", type);
		}
	}
}

int xsr_check(const uint8_t *buf, size_t len, enum xsr_start start, struct xsr_summary *s,
	      char *err, size_t errlen)
{
	struct rd r = { .p = buf, .len = len, .err = err, .errlen = errlen };

	memset(s, 0, sizeof(*s));
	if (errlen)
		err[0] = 0;
	if (start == XSR_XL) {
		uint32_t mflags, odl, clen;

		if (len < 48)
			return fail(&r, 0, "shorter than the 48-byte xl header");
		if (memcmp(buf, xl_magic, sizeof(xl_magic)))
			return fail(&r, 0, "not an xl save file (magic)");
		if (le32(buf + 32) != XL_BYTEORDER)
			return fail(&r, 32, "byte order %#x, want 0x01020304", le32(buf + 32));
		mflags = le32(buf + 36);
		if (mflags & ~(XL_FLAG_JSON | XL_FLAG_STREAMV2))
			return fail(&r, 36, "unknown mandatory flags %#x", mflags);
		if (!(mflags & XL_FLAG_STREAMV2))
			return fail(&r, 36, "a legacy (pre-4.6) stream: STREAMv2 flag clear");
		odl = le32(buf + 44);
		if (odl < 4 || odl > len - 48)
			return fail(&r, 44, "optional data length %u (at least 4, within the file)", odl);
		clen = le32(buf + 48);
		if (clen > odl - 4)
			return fail(&r, 48, "config length %u beyond the optional data (%u)", clen, odl);
		if ((mflags & XL_FLAG_JSON) && clen && buf[48 + 4 + clen - 1] != 0)
			return fail(&r, 52, "the config JSON is not NUL-terminated");
		s->config_len = clen;
		r.off = 48 + odl;
	}
	if (start != XSR_LIBXC)
		return libxl(&r, s);
	if (libxc(&r, s))
		return -1;
	if (r.off != len)
		return fail(&r, r.off, "%zu bytes after the libxc END", len - r.off);
	return 0;
}
