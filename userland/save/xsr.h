/* SPDX-License-Identifier: MIT */
/*
 * The save file: Xen's `xl save` format (docs/save-format.md).  One place
 * for the format: the layouts as our own structs (checked by
 * _Static_assert), the writer (write.c) and the reader (read.c); the
 * structural validator is check.c (xsrcheck.h), which the reader runs
 * over the whole file before it extracts anything.
 *
 * Facts (record types, layouts, order) come from Xen's public stream
 * specifications (libxl revision 2, libxc revision 3) and its public HVM
 * save-record layouts, collected in ../shared/docs/xen-save-format.md.
 */
#ifndef DOMUS_XSR_H
#define DOMUS_XSR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "domus.h"

/* --- layouts (little-endian unless marked BE) ---------------------------- */

struct xsr_xl_header {			/* tools/xl: the file's first 48 bytes */
	uint8_t magic[32];
	uint32_t byteorder;		/* 0x01020304 */
	uint32_t mandatory_flags;	/* XSR_XL_JSON | XSR_XL_STREAMV2 */
	uint32_t optional_flags;
	uint32_t optional_data_len;	/* 4 + config length */
};
#define XSR_XL_MAGIC		"Xen saved domain, xl format\n \0 \r"
#define XSR_XL_BYTEORDER	0x01020304u
#define XSR_XL_JSON		1u
#define XSR_XL_STREAMV2		2u

struct xsr_libxl_header {		/* all BE */
	uint64_t ident;			/* "LibxlFmt" */
	uint32_t version;		/* 2 */
	uint32_t options;
};
#define XSR_LIBXL_IDENT		0x4C6962786C466D74ULL
#define XSR_LIBXL_VERSION	2u

struct xsr_rec {			/* libxl and libxc records alike */
	uint32_t type;
	uint32_t length;		/* body, without the padding to 8 */
};
enum { XSR_LXL_END = 0, XSR_LXL_LIBXC_CONTEXT = 1 };

struct xsr_xc_image_header {		/* all BE */
	uint64_t marker;		/* all ones */
	uint32_t id;			/* "XENF" */
	uint32_t version;		/* 3 */
	uint16_t options;
	uint16_t reserved[3];
};
#define XSR_XC_ID		0x58454E46u
#define XSR_XC_VERSION		3u

struct xsr_xc_domain_header {
	uint32_t type;			/* 2: x86 HVM */
	uint16_t page_shift;		/* 12 */
	uint16_t reserved;
	uint32_t xen_major, xen_minor;
};
#define XSR_XC_TYPE_HVM		2u
#define XSR_XEN_MAJOR		4u	/* what we claim to be: 4.17 */
#define XSR_XEN_MINOR		17u

enum {
	XSR_XC_END = 0x00, XSR_XC_PAGE_DATA = 0x01, XSR_XC_TSC_INFO = 0x08,
	XSR_XC_HVM_CONTEXT = 0x09, XSR_XC_HVM_PARAMS = 0x0A, XSR_XC_STATIC_DATA_END = 0x10,
};
#define XSR_XC_OPTIONAL		0x80000000u
/* domus' own records: optional (bit 31), so Xen skips them */
#define XSR_XC_DOMUS_STATE	0x8D0A0001u	/* entries: struct xsr_hvm_desc + payload */
#define XSR_XC_DOMUS_CHECKSUM	0x8D0A0002u	/* struct xsr_checksum */

struct xsr_page_data {
	uint32_t count;
	uint32_t reserved;
	/* uint64_t pfn[count], then 4096 bytes for each data page */
};
#define XSR_PFN_MASK		((1ULL << 52) - 1)
#define XSR_PT_NOTAB		0x0ULL
#define XSR_PT_XTAB		0xFULL
#define XSR_BATCH		1024u	/* pfns per PAGE_DATA, as Xen */

struct xsr_tsc_info {
	uint32_t mode;			/* 0 default */
	uint32_t khz;
	uint64_t nsec;
	uint32_t incarnation;
	uint32_t reserved;
};

struct xsr_hvm_params {
	uint32_t count;
	uint32_t reserved;
	/* struct { uint64_t index, value; } [count] */
};

/* The HVM_CONTEXT blob: entries of a descriptor and a payload, no padding. */
struct xsr_hvm_desc {
	uint16_t typecode;
	uint16_t instance;
	uint32_t length;
};
enum { XSR_HC_END = 0, XSR_HC_HEADER = 1, XSR_HC_CPU = 2, XSR_HC_MTRR = 14, XSR_HC_CPU_XSAVE = 16 };

struct xsr_hvm_header {
	uint32_t magic;			/* 0x54381286 */
	uint32_t version;		/* 1 */
	uint64_t changeset;		/* ~0: unknown */
	uint32_t cpuid;			/* CPUID.1:EAX of the saving host */
	uint32_t gtsc_khz;
};
#define XSR_HVM_MAGIC		0x54381286u

struct xsr_hvm_cpu {
	uint8_t fpu_regs[512];		/* FXSAVE image (flags bit 0) */
	uint64_t rax, rbx, rcx, rdx, rbp, rsi, rdi, rsp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rip, rflags;
	uint64_t cr0, cr2, cr3, cr4;
	uint64_t dr0, dr1, dr2, dr3, dr6, dr7;
	uint32_t cs_sel, ds_sel, es_sel, fs_sel, gs_sel, ss_sel, tr_sel, ldtr_sel;
	uint32_t cs_limit, ds_limit, es_limit, fs_limit, gs_limit, ss_limit, tr_limit, ldtr_limit;
	uint32_t idtr_limit, gdtr_limit;
	uint64_t cs_base, ds_base, es_base, fs_base, gs_base, ss_base, tr_base, ldtr_base;
	uint64_t idtr_base, gdtr_base;
	uint32_t cs_arbytes, ds_arbytes, es_arbytes, fs_arbytes, gs_arbytes, ss_arbytes;
	uint32_t tr_arbytes, ldtr_arbytes;
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
	uint64_t shadow_gs;
	uint64_t msr_flags;		/* obsolete */
	uint64_t msr_lstar, msr_star, msr_cstar, msr_syscall_mask, msr_efer;
	uint64_t msr_tsc_aux;
	uint64_t tsc;
	uint32_t pending_event;
	uint32_t error_code;
	uint32_t flags;			/* bit 0: FPU initialised */
	uint32_t pad0;
};
#define XSR_CPU_FPU_INIT	1u

struct xsr_hvm_mtrr {
	uint64_t pat;
	uint64_t var[16];		/* 8 (PHYSBASE, PHYSMASK) pairs */
	uint64_t fixed[11];
	uint64_t cap;
	uint64_t def_type;
};

struct xsr_hvm_xsave {
	uint64_t xfeature_mask;
	uint64_t xcr0;
	uint64_t xcr0_accum;
	/* the XSAVE area, standard format */
};
#define XSR_XSAVE_MIN		576u	/* legacy region + header */

/* The entries of XSR_XC_DOMUS_STATE (framed as HVM_CONTEXT's). */
enum { XSR_DS_VERSION = 1, XSR_DS_VCPU = 2, XSR_DS_DM = 3, XSR_DS_APIC = 4, XSR_DS_LIFECYCLE = 5 };
#define XSR_DS_FORMAT		1u	/* the only version we write and read */
struct xsr_ds_version {
	uint32_t format;		/* XSR_DS_FORMAT */
	uint32_t reserved;
};
struct xsr_ds_vcpu {			/* what Xen's CPU record has no room for */
	struct domus_events events;
	uint64_t cr8;
	uint64_t apic_base;
};
struct xsr_ds_dm {			/* the launcher's device model (HVM) */
	uint8_t uart[7];		/* ier, lcr, mcr, scr, dll, dlm, fcr */
	uint8_t reserved0;
	int32_t test_exit_code;		/* -1: not written yet */
	uint32_t reserved1;
};

#define XSR_APIC_MSRS		12
struct xsr_ds_apic {			/* PVH: the in-kernel x2APIC, as its MSRs */
	uint32_t count;			/* msr[] used, in the order they are written back */
	uint32_t reserved;
	struct {
		uint32_t index;		/* 0x800-0x8ff, or 0x6e0 (TSC deadline) */
		uint32_t reserved;
		uint64_t value;
	} msr[XSR_APIC_MSRS];
};

/* PVH: whether the vCPU runs, was never started, or was stopped */
#define XSR_LC_WAIT_SIPI	(1u << 0)	/* not started: waits for INIT/STARTUP (uapi's DOMUS_XEN_VCPU_WAIT_SIPI) */
#define XSR_LC_DOWN		(1u << 1)	/* stopped (HLT with IF=0, VCPUOP_down) until VCPUOP_up/INIT */
struct xsr_ds_lifecycle {
	uint32_t flags;			/* XSR_LC_* */
	uint32_t reserved;
};

struct xsr_checksum {
	uint32_t algorithm;		/* 1: CRC-32 (zlib) */
	uint32_t crc;			/* of every byte before this record */
};
#define XSR_CSUM_CRC32		1u

_Static_assert(sizeof(struct xsr_xl_header) == 48, "xl header");
_Static_assert(sizeof(struct xsr_libxl_header) == 16, "libxl header");
_Static_assert(sizeof(struct xsr_rec) == 8, "record header");
_Static_assert(sizeof(struct xsr_xc_image_header) == 24, "libxc image header");
_Static_assert(sizeof(struct xsr_xc_domain_header) == 16, "libxc domain header");
_Static_assert(sizeof(struct xsr_page_data) == 8, "PAGE_DATA header");
_Static_assert(sizeof(struct xsr_tsc_info) == 24, "X86_TSC_INFO");
_Static_assert(sizeof(struct xsr_hvm_params) == 8, "HVM_PARAMS header");
_Static_assert(sizeof(struct xsr_hvm_desc) == 8, "HVM context descriptor");
_Static_assert(sizeof(struct xsr_hvm_header) == 24, "HVM HEADER");
_Static_assert(sizeof(struct xsr_hvm_cpu) == 1032, "HVM CPU");
_Static_assert(offsetof(struct xsr_hvm_cpu, rip) == 640, "CPU rip");
_Static_assert(offsetof(struct xsr_hvm_cpu, dr6) == 720, "CPU dr6");
_Static_assert(offsetof(struct xsr_hvm_cpu, cs_sel) == 736, "CPU selectors");
_Static_assert(offsetof(struct xsr_hvm_cpu, cs_limit) == 768, "CPU limits");
_Static_assert(offsetof(struct xsr_hvm_cpu, cs_base) == 808, "CPU bases");
_Static_assert(offsetof(struct xsr_hvm_cpu, cs_arbytes) == 888, "CPU arbytes");
_Static_assert(offsetof(struct xsr_hvm_cpu, sysenter_cs) == 920, "CPU sysenter");
_Static_assert(offsetof(struct xsr_hvm_cpu, shadow_gs) == 944, "CPU shadow_gs");
_Static_assert(offsetof(struct xsr_hvm_cpu, msr_efer) == 992, "CPU efer");
_Static_assert(offsetof(struct xsr_hvm_cpu, tsc) == 1008, "CPU tsc");
_Static_assert(offsetof(struct xsr_hvm_cpu, flags) == 1024, "CPU flags");
_Static_assert(sizeof(struct xsr_hvm_mtrr) == 240, "HVM MTRR");
_Static_assert(sizeof(struct xsr_hvm_xsave) == 24, "HVM CPU_XSAVE header");
_Static_assert(sizeof(struct xsr_ds_version) == 8, "domus version entry");
_Static_assert(sizeof(struct xsr_ds_vcpu) == 80, "domus vCPU entry");
_Static_assert(sizeof(struct xsr_ds_dm) == 16, "domus device-model entry");
_Static_assert(sizeof(struct xsr_ds_apic) == 200, "domus APIC entry");
_Static_assert(sizeof(struct xsr_ds_lifecycle) == 8, "domus lifecycle entry");
_Static_assert(sizeof(struct xsr_checksum) == 8, "checksum record");

/* --- the state a save carries ------------------------------------------------ */

#define XSR_MAX_VCPUS		128

struct xsr_vcpu {
	struct domus_regs regs;
	struct domus_sregs sregs;
	struct domus_fpu fpu;		/* XSAVE standard format + xcr0 */
	struct domus_events events;
	uint64_t tsc, pat, tsc_aux;
	uint64_t kernel_gs_base, star, lstar, cstar, sfmask;
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
	uint32_t xsave_size;		/* bytes of fpu.xsave that xcr0 uses (>= 576) */
	struct xsr_ds_apic apic;	/* with xsr_state.has_apic */
	uint32_t lifecycle;		/* XSR_LC_*, with xsr_state.has_lifecycle */
};

struct xsr_state {
	const char *config;		/* the domain's definition (JSON), NUL-terminated */
	size_t config_len;		/* with the NUL */
	uint64_t ram_size;		/* guest RAM at GPA 0 (bytes, page multiple) */
	unsigned int nvcpu;
	struct xsr_vcpu *vcpu;		/* nvcpu of them */
	uint32_t tsc_khz;
	uint64_t elapsed_ns;
	bool has_dm;
	struct xsr_ds_dm dm;
	bool has_apic;			/* PVH: an APIC entry per vCPU */
	bool has_lifecycle;		/* PVH: a LIFECYCLE entry per vCPU */
};

/*
 * Write @st, with the guest RAM @ram (st->ram_size bytes), to @fd as an
 * xl save file.  @progress (may be NULL) is called now and then with the
 * bytes of RAM written so far.  0, or -1 with one line in @err.
 */
int xsr_write(int fd, const struct xsr_state *st, const void *ram,
	      void (*progress)(void *opaque, uint64_t done, uint64_t total), void *opaque,
	      char *err, size_t errlen);

/*
 * The same stream in pieces, for a live migration (docs/save-format.md
 * "Live migration"): open writes the headers up to STATIC_DATA_END; then
 * any number of PAGE_DATA passes (all_pages: every page in ascending
 * order, Xen's first pass; pages: the @n pages @pfn names, a later copy of
 * a page replacing an earlier one); close writes the state of @st (its
 * vCPUs and devices, taken after the guest was paused) and the ENDs, and
 * frees the writer (with @st NULL: abandoned, nothing more written).
 * A write error is kept (xsr_writer_error: its errno) and reported by
 * close.  The config and RAM size of @st are needed by open already.
 */
struct xsr_writer;
struct xsr_writer *xsr_writer_open(int fd, const struct xsr_state *st, char *err, size_t errlen);
void xsr_writer_all_pages(struct xsr_writer *w, const void *ram, uint64_t ram_size,
			  void (*progress)(void *opaque, uint64_t done, uint64_t total), void *opaque);
void xsr_writer_pages(struct xsr_writer *w, const void *ram, const uint64_t *pfn, uint64_t n);
uint64_t xsr_writer_bytes(const struct xsr_writer *w);
int xsr_writer_error(const struct xsr_writer *w);
int xsr_writer_close(struct xsr_writer *w, const struct xsr_state *st, char *err, size_t errlen);

/*
 * Copy one whole stream from @in to @out (stream.c), reading no byte past
 * its last END: the framing (xl header, libxl and libxc records) is
 * followed, every length bounded, nothing else checked (xsr_read on the
 * copy does).  At most @max bytes.  0 with *len, or -1 with one line.
 * A live stream carries at most XSR_STREAM_PASSES copies of the RAM
 * (Xen's first pass, 5 iterations, the last pass).
 */
#define XSR_STREAM_PASSES	7u
int xsr_stream_copy(int in, int out, uint64_t max, uint64_t *len, char *err, size_t errlen);

/*
 * Read the save file @buf (@len bytes): the whole of it is validated
 * first (structure: xsr_check; the checksum; what domus can restore),
 * then @st is filled (st->vcpu malloc'ed, st->config pointing into @buf;
 * xsr_state_free releases).  With @ram (st->ram_size bytes, zeroed) the
 * pages are copied into it; without, only checked.  @ram_size: the
 * domain's RAM (from its config), 0 to take the highest page in the
 * file.  0, or -1 with one line in @err naming what is wrong.
 */
int xsr_read(const uint8_t *buf, size_t len, uint64_t ram_size, void *ram, struct xsr_state *st,
	     char *err, size_t errlen);
void xsr_state_free(struct xsr_state *st);

/* The bytes of the XSAVE standard-format area @xcr0's components use (>= 576). */
uint32_t xsr_xsave_size(uint64_t xcr0);

#endif
