// SPDX-License-Identifier: MIT
/*
 * libdomus: domains, memory slots, vCPUs and their registers, and helpers
 * that put a vCPU into a flat real, protected or long mode.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include "libdomus.h"

/* ioctl(); on failure set the message "<what> failed: <strerror>". */
static int domus_ioctl(int fd, unsigned long cmd, void *arg, const char *what)
{
	int r = ioctl(fd, cmd, arg);

	if (r < 0)
		return domus_set_error(errno, "%s failed: %s", what, strerror(errno));
	return r;
}

static int domus_ioctl0(int fd, unsigned long cmd, void *arg, const char *what)
{
	int r = domus_ioctl(fd, cmd, arg, what);

	return r < 0 ? r : 0;
}

/* --- domain ------------------------------------------------------------- */

int domus_create_domain(int devfd)
{
	return domus_create_domain_flags(devfd, 0);
}

int domus_create_domain_flags(int devfd, uint32_t flags)
{
	struct domus_create_domain a;
	int r;

	memset(&a, 0, sizeof(a));
	a.flags = flags;
	r = ioctl(devfd, DOMUS_CREATE_DOMAIN, &a);
	if (r >= 0)
		return r;
	r = errno;
	if (r == EBUSY && domus_kvm_virt_at_load("") == 1)
		return domus_set_error(r, "DOMUS_CREATE_DOMAIN failed: kvm holds AMD-V/VT-x even without guests (kvm.enable_virt_at_load=1, Linux 6.12's default); 'rmmod kvm_amd kvm' (kvm_intel) or reload it with 'modprobe kvm enable_virt_at_load=0'");
	if (r == EBUSY)
		return domus_set_error(r, "DOMUS_CREATE_DOMAIN failed: hardware virtualization is in use by another hypervisor (kvm?)");
	return domus_set_error(r, "DOMUS_CREATE_DOMAIN failed: %s", strerror(r));
}

/* The first number in @path (a sysfs or /proc file), or @def. */
unsigned long long domus_read_number(const char *path, const char *key, unsigned long long def)
{
	char line[256];
	size_t kl = key ? strlen(key) : 0;
	unsigned long long v = def;
	FILE *f = fopen(path, "re");

	if (!f)
		return def;
	while (fgets(line, sizeof(line), f)) {
		if (key && (strncmp(line, key, kl) || line[kl] != ':'))
			continue;
		v = strtoull(line + (key ? kl + 1 : 0), NULL, 10);
		break;
	}
	fclose(f);
	return v;
}

/* A /proc/meminfo field ("MemTotal", "MemAvailable"...) in KiB, 0 if absent. */
uint64_t domus_meminfo_kib(const char *key)
{
	return domus_read_number("/proc/meminfo", key, 0);
}

uint64_t domus_guest_limit_pages(void)
{
	unsigned long long cap = domus_read_number(DOMUS_PARAM_MAX_GUEST_PAGES, NULL, 0);

	return cap ? cap : domus_meminfo_kib("MemTotal") / 4 / 4 * 3;
}

int domus_set_slot(int domfd, uint32_t slot, uint64_t gpa, uint64_t size,
		   void *uaddr, uint32_t flags)
{
	struct domus_mem_slot a;
	struct rlimit rl;
	int err;

	memset(&a, 0, sizeof(a));
	a.slot = slot;
	a.flags = flags;
	a.gpa = gpa;
	a.size = size;
	a.uaddr = (uint64_t)(uintptr_t)uaddr;
	if (ioctl(domfd, DOMUS_SET_MEM_SLOT, &a) == 0)
		return 0;
	err = errno;
	if (err == EPERM && size && getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		return domus_set_error(err, "guest memory (%llu KiB more) is over this process's locked-memory "
				       "limit of %llu KiB (RLIMIT_MEMLOCK): raise it with 'ulimit -l' "
				       "(LimitMEMLOCK= for a service), or run with CAP_IPC_LOCK",
				       (unsigned long long)size >> 10,
				       (unsigned long long)rl.rlim_cur >> 10);
	if (err == ENOMEM && size)
		return domus_set_error(err, "guest memory (%llu MiB more) does not fit in what domus lets all "
				       "domains pin (%llu MiB): lower memory=, or raise the module parameter "
				       "max_guest_pages (%s)", (unsigned long long)size >> 20,
				       (unsigned long long)(domus_guest_limit_pages() >> 8),
				       DOMUS_PARAM_MAX_GUEST_PAGES);
	return domus_set_error(err, "DOMUS_SET_MEM_SLOT (slot %u, gpa 0x%llx, size 0x%llx) failed: %s",
			       slot, (unsigned long long)gpa, (unsigned long long)size, strerror(err));
}

int domus_set_cpuid(int domfd, const struct domus_cpuid_entry *e, uint32_t nent)
{
	struct domus_cpuid a;

	memset(&a, 0, sizeof(a));
	a.nent = nent;
	a.entries = (uint64_t)(uintptr_t)e;
	return domus_ioctl0(domfd, DOMUS_SET_CPUID, &a, "DOMUS_SET_CPUID");
}

int domus_domain_stats(int domfd, struct domus_domain_stats *st)
{
	memset(st, 0, sizeof(*st));
	return domus_ioctl0(domfd, DOMUS_GET_STATS, st, "DOMUS_GET_STATS");
}

int domus_set_mem_limit(int domfd, uint64_t max_pages)
{
	struct domus_mem_limit a = { .max_pages = max_pages };

	return domus_ioctl0(domfd, DOMUS_SET_MEM_LIMIT, &a, "DOMUS_SET_MEM_LIMIT");
}

int domus_dirty_log_set(int domfd, uint32_t slot, int on)
{
	struct domus_dirty_log a = { .slot = slot, .flags = on ? DOMUS_DIRTY_LOG_ON : 0 };

	return domus_ioctl0(domfd, DOMUS_SET_DIRTY_LOG, &a, "DOMUS_SET_DIRTY_LOG");
}

int domus_dirty_log_get(int domfd, uint32_t slot, uint64_t *bitmap)
{
	struct domus_dirty_log a = { .slot = slot, .bitmap = (uintptr_t)bitmap };

	return domus_ioctl0(domfd, DOMUS_GET_DIRTY_LOG, &a, "DOMUS_GET_DIRTY_LOG");
}

static const char *const stat_names[] = {
	[DOMUS_STAT_EXITS] = "exits",
	[DOMUS_STAT_CPUID] = "cpuid",
	[DOMUS_STAT_MSR] = "msr",
	[DOMUS_STAT_IO] = "io",
	[DOMUS_STAT_MMIO] = "mmio",
	[DOMUS_STAT_NPF] = "npf",
	[DOMUS_STAT_HLT] = "hlt",
	[DOMUS_STAT_HYPERCALL] = "hypercall",
	[DOMUS_STAT_INTR] = "intr",
	[DOMUS_STAT_IRQ_WINDOW] = "irq_window",
	[DOMUS_STAT_EXCEPTION] = "exception",
	[DOMUS_STAT_USER_EXITS] = "user_exits",
	[DOMUS_STAT_INJECTIONS] = "injections",
	[DOMUS_STAT_CR4] = "cr4",
	[DOMUS_STAT_CACHE_FLUSH] = "cache_flush",
	[DOMUS_STAT_MACHINE_CHECK] = "machine_check",
};

const char *domus_stat_name(unsigned int i)
{
	return i < sizeof(stat_names) / sizeof(stat_names[0]) ? stat_names[i] : NULL;
}

int domus_global_stats(int devfd, struct domus_global_stats *st)
{
	memset(st, 0, sizeof(*st));
	return domus_ioctl0(devfd, DOMUS_GET_GLOBAL_STATS, st, "DOMUS_GET_GLOBAL_STATS");
}

/* --- vCPU ----------------------------------------------------------------- */

int domus_create_vcpu(int domfd, uint32_t id, struct domus_vcpu_handle *out)
{
	struct domus_create_vcpu a;
	void *run;
	int fd, err;

	out->fd = -1;
	out->run = NULL;
	out->id = id;
	memset(&a, 0, sizeof(a));
	a.id = id;
	fd = ioctl(domfd, DOMUS_CREATE_VCPU, &a);
	if (fd < 0)
		return domus_set_error(errno, "DOMUS_CREATE_VCPU (id %u) failed: %s", id, strerror(errno));
	run = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (run == MAP_FAILED) {
		err = errno;
		close(fd);
		return domus_set_error(err, "mmap of the run page of vCPU %u failed: %s", id, strerror(err));
	}
	out->fd = fd;
	out->run = run;
	return 0;
}

void domus_vcpu_close(struct domus_vcpu_handle *v)
{
	if (v->run)
		munmap(v->run, 4096);
	if (v->fd >= 0)
		close(v->fd);
	v->run = NULL;
	v->fd = -1;
}

int domus_run(struct domus_vcpu_handle *v)
{
	if (ioctl(v->fd, DOMUS_RUN, 0) < 0) {
		int err = errno;

		if (err == EINTR)	/* expected: a signal; no message */
			return -EINTR;
		return domus_set_error(err, "DOMUS_RUN (vCPU %u) failed: %s", v->id, strerror(err));
	}
	return 0;
}

int domus_get_regs(struct domus_vcpu_handle *v, struct domus_regs *r)
{
	return domus_ioctl0(v->fd, DOMUS_GET_REGS, r, "DOMUS_GET_REGS");
}

int domus_set_regs(struct domus_vcpu_handle *v, const struct domus_regs *r)
{
	return domus_ioctl0(v->fd, DOMUS_SET_REGS, (void *)r, "DOMUS_SET_REGS");
}

int domus_get_sregs(struct domus_vcpu_handle *v, struct domus_sregs *s)
{
	return domus_ioctl0(v->fd, DOMUS_GET_SREGS, s, "DOMUS_GET_SREGS");
}

int domus_set_sregs(struct domus_vcpu_handle *v, const struct domus_sregs *s)
{
	return domus_ioctl0(v->fd, DOMUS_SET_SREGS, (void *)s, "DOMUS_SET_SREGS");
}

static int domus_msrs_ioctl(struct domus_vcpu_handle *v, unsigned long cmd,
			    const struct domus_msr_entry *e, uint32_t n, const char *what)
{
	struct domus_msrs a;

	memset(&a, 0, sizeof(a));
	a.nmsrs = n;
	a.entries = (uint64_t)(uintptr_t)e;
	return domus_ioctl(v->fd, cmd, &a, what);
}

int domus_get_msrs(struct domus_vcpu_handle *v, struct domus_msr_entry *e, uint32_t n)
{
	return domus_msrs_ioctl(v, DOMUS_GET_MSRS, e, n, "DOMUS_GET_MSRS");
}

int domus_set_msrs(struct domus_vcpu_handle *v, const struct domus_msr_entry *e, uint32_t n)
{
	return domus_msrs_ioctl(v, DOMUS_SET_MSRS, e, n, "DOMUS_SET_MSRS");
}

int domus_get_msr(struct domus_vcpu_handle *v, uint32_t index, uint64_t *data)
{
	struct domus_msr_entry e = { .index = index };
	int r = domus_get_msrs(v, &e, 1);

	if (r < 0)
		return r;
	if (r != 1)
		return domus_set_error(EINVAL, "DOMUS_GET_MSRS: MSR 0x%x not readable", index);
	*data = e.data;
	return 0;
}

int domus_set_msr(struct domus_vcpu_handle *v, uint32_t index, uint64_t data)
{
	struct domus_msr_entry e = { .index = index, .data = data };
	int r = domus_set_msrs(v, &e, 1);

	if (r < 0)
		return r;
	if (r != 1)
		return domus_set_error(EINVAL, "DOMUS_SET_MSRS: MSR 0x%x refused value 0x%llx",
				       index, (unsigned long long)data);
	return 0;
}

int domus_get_fpu(struct domus_vcpu_handle *v, struct domus_fpu *f)
{
	return domus_ioctl0(v->fd, DOMUS_GET_FPU, f, "DOMUS_GET_FPU");
}

int domus_set_fpu(struct domus_vcpu_handle *v, const struct domus_fpu *f)
{
	return domus_ioctl0(v->fd, DOMUS_SET_FPU, (void *)f, "DOMUS_SET_FPU");
}

int domus_get_events(struct domus_vcpu_handle *v, struct domus_events *e)
{
	return domus_ioctl0(v->fd, DOMUS_GET_EVENTS, e, "DOMUS_GET_EVENTS");
}

int domus_set_events(struct domus_vcpu_handle *v, const struct domus_events *e)
{
	return domus_ioctl0(v->fd, DOMUS_SET_EVENTS, (void *)e, "DOMUS_SET_EVENTS");
}

int domus_inject_irq(struct domus_vcpu_handle *v, uint32_t vector)
{
	struct domus_interrupt a = { .vector = vector };

	if (ioctl(v->fd, DOMUS_INTERRUPT, &a) < 0)
		return domus_set_error(errno, "DOMUS_INTERRUPT (vector %u) failed: %s", vector, strerror(errno));
	return 0;
}

int domus_inject_nmi(struct domus_vcpu_handle *v)
{
	return domus_ioctl0(v->fd, DOMUS_NMI, NULL, "DOMUS_NMI");
}

/* --- guest memory ------------------------------------------------------------ */

void *domus_guest_alloc(size_t size)
{
	void *p;

	size = (size + 4095) & ~(size_t)4095;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		domus_set_error(errno, "cannot allocate %zu bytes of guest memory: %s", size, strerror(errno));
		return NULL;
	}
	return p;
}

void domus_guest_free(void *p, size_t size)
{
	if (p)
		munmap(p, (size + 4095) & ~(size_t)4095);
}

/* --- flat modes ---------------------------------------------------------------- */

static void domus_seg(struct domus_segment *s, uint16_t sel, uint64_t base,
		      uint32_t limit, uint16_t attr)
{
	s->selector = sel;
	s->base = base;
	s->limit = limit;
	s->attr = attr;
}

static int domus_set_entry(struct domus_vcpu_handle *v, uint64_t rip, uint64_t rsp, bool set_rsp)
{
	struct domus_regs r;
	int ret = domus_get_regs(v, &r);

	if (ret)
		return ret;
	r.rip = rip;
	if (set_rsp)
		r.rsp = rsp;
	r.rflags = 2;
	return domus_set_regs(v, &r);
}

#define CR0_PE	(1ULL << 0)
#define CR0_MP	(1ULL << 1)
#define CR0_ET	(1ULL << 4)
#define CR0_NE	(1ULL << 5)
#define CR0_PG	(1ULL << 31)
#define CR4_PAE	(1ULL << 5)
#define CR4_OSFXSR	(1ULL << 9)
#define CR4_OSXMMEXCPT	(1ULL << 10)
#define EFER_SCE	(1ULL << 0)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)

int domus_setup_real_mode(struct domus_vcpu_handle *v, uint64_t rip)
{
	struct domus_sregs s;
	int ret = domus_get_sregs(v, &s);

	if (ret)
		return ret;
	domus_seg(&s.cs, 0, 0, 0xffff, DOMUS_SEG_CODE16);
	domus_seg(&s.ds, 0, 0, 0xffff, DOMUS_SEG_DATA16);
	s.es = s.fs = s.gs = s.ss = s.ds;
	s.cr0 = CR0_ET;
	s.cr3 = 0;
	s.cr4 = 0;
	s.efer = 0;
	ret = domus_set_sregs(v, &s);
	return ret ? ret : domus_set_entry(v, rip, 0, false);
}

int domus_setup_prot_mode(struct domus_vcpu_handle *v, uint64_t rip, uint64_t rsp)
{
	struct domus_sregs s;
	int ret = domus_get_sregs(v, &s);

	if (ret)
		return ret;
	domus_seg(&s.cs, 0x08, 0, 0xffffffff, DOMUS_SEG_CODE32);
	domus_seg(&s.ds, 0x10, 0, 0xffffffff, DOMUS_SEG_DATA32);
	s.es = s.fs = s.gs = s.ss = s.ds;
	s.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE;
	s.cr3 = 0;
	s.cr4 = CR4_OSFXSR | CR4_OSXMMEXCPT;
	s.efer = 0;
	ret = domus_set_sregs(v, &s);
	return ret ? ret : domus_set_entry(v, rip, rsp, true);
}

static uint64_t domus_gib(uint64_t bytes)
{
	uint64_t g = (bytes + (1ULL << 30) - 1) >> 30;

	return g ? g : 1;
}

uint64_t domus_long_mode_tables_size(uint64_t map_bytes)
{
	return 0x3000 + 0x1000 * domus_gib(map_bytes);
}

int domus_setup_long_mode(struct domus_vcpu_handle *v, void *guest_mem, uint64_t pt_gpa,
			  uint64_t map_bytes, uint64_t rip, uint64_t rsp)
{
	uint64_t gib = domus_gib(map_bytes), i, j;
	uint8_t *base = (uint8_t *)guest_mem + pt_gpa;
	uint64_t *gdt = (uint64_t *)base;
	uint64_t *pml4 = (uint64_t *)(base + 0x1000);
	uint64_t *pdpt = (uint64_t *)(base + 0x2000);
	struct domus_sregs s;
	int ret;

	if (pt_gpa & 0xfff)
		return domus_set_error(EINVAL, "page tables at 0x%llx: not 4 KiB aligned",
				       (unsigned long long)pt_gpa);
	if (gib > 512)
		return domus_set_error(EINVAL, "cannot identity-map more than 512 GiB");
	memset(base, 0, domus_long_mode_tables_size(map_bytes));
	/* descriptors: base 0, limit 0xfffff, G; attributes as in DOMUS_SEG_* */
	gdt[1] = 0x00af9b000000ffffULL;	/* 0x08: 64-bit code */
	gdt[2] = 0x00cf93000000ffffULL;	/* 0x10: data */
	gdt[3] = 0x00cf9b000000ffffULL;	/* 0x18: 32-bit code */
	pml4[0] = (pt_gpa + 0x2000) | 0x3;	/* present, writable */
	for (i = 0; i < gib; i++) {
		uint64_t *pd = (uint64_t *)(base + 0x3000 + 0x1000 * i);

		pdpt[i] = (pt_gpa + 0x3000 + 0x1000 * i) | 0x3;
		for (j = 0; j < 512; j++)
			pd[j] = ((i << 30) + (j << 21)) | 0x83;	/* 2 MiB page */
	}

	ret = domus_get_sregs(v, &s);
	if (ret)
		return ret;
	domus_seg(&s.cs, 0x08, 0, 0xffffffff, DOMUS_SEG_CODE64);
	domus_seg(&s.ds, 0x10, 0, 0xffffffff, DOMUS_SEG_DATA32);
	s.es = s.fs = s.gs = s.ss = s.ds;
	domus_seg(&s.tr, 0, 0, 0xffff, DOMUS_SEG_TSS64);
	s.gdt.base = pt_gpa;
	s.gdt.limit = 4 * 8 - 1;
	s.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_PG;
	s.cr3 = pt_gpa + 0x1000;
	s.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
	s.efer = EFER_LME | EFER_LMA | EFER_SCE;
	ret = domus_set_sregs(v, &s);
	return ret ? ret : domus_set_entry(v, rip, rsp, true);
}

const char *domus_exit_name(uint32_t reason)
{
	static const char *const names[] = {
		[DOMUS_EXIT_NONE] = "none",
		[DOMUS_EXIT_IO] = "io",
		[DOMUS_EXIT_MMIO] = "mmio",
		[DOMUS_EXIT_HLT] = "hlt",
		[DOMUS_EXIT_HYPERCALL] = "hypercall",
		[DOMUS_EXIT_SHUTDOWN] = "shutdown",
		[DOMUS_EXIT_FAIL_ENTRY] = "fail_entry",
		[DOMUS_EXIT_EMULATION] = "emulation",
		[DOMUS_EXIT_INTR] = "intr",
		[DOMUS_EXIT_IRQ_WINDOW] = "irq_window",
	};

	if (reason < sizeof(names) / sizeof(names[0]) && names[reason])
		return names[reason];
	return "unknown";
}
