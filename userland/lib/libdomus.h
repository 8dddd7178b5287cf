/* SPDX-License-Identifier: MIT */
/*
 * libdomus: a small C library over the domus ioctl ABI (uapi/domus.h).
 * Every call returns 0 (or a non-negative value) on success and a negative
 * errno on failure; domus_last_error() then holds a one-line explanation.
 */
#ifndef LIBDOMUS_H
#define LIBDOMUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "domus.h"

/* The release (the VERSION file at the top of the tree; version.c). */
const char *domus_version(void);
/*
 * A program of the tools: $ENV if set, else NAME beside the running
 * executable if it is there, else NAME (looked up in PATH when run).
 */
void domus_sibling_exe(const char *env, const char *name, char *buf, size_t len);
#define DOMUS_VERSION domus_version()

/*
 * Threads (thread.c): pthread_create (its return value: 0 or an errno)
 * of a thread that first gets a signal stack of its own, freed when it
 * ends, so a fatal-signal handler with SA_ONSTACK still runs after a
 * stack overflow.  domus_thread_sigstack gives the calling thread one
 * (kept if it has one already): 0 or -errno.
 */
int domus_thread_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *), void *arg);
int domus_thread_sigstack(void);

/* Last error message of the calling thread ("" if none). */
const char *domus_last_error(void);
/* Set the calling thread's error message; returns -err for tail calls. */
int domus_set_error(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Open /dev/domus (or $DOMUS_DEVICE).  Returns an fd or -errno. */
int domus_open(void);
int domus_get_api_version(int fd, unsigned int *version);
int domus_get_caps(int fd, struct domus_caps *caps);

const char *domus_vendor_name(unsigned int vendor);
const char *domus_vendor_long_name(unsigned int vendor);
const char *domus_paging_name(unsigned int paging);
/* Space-separated names of DOMUS_FEAT_* bits; "none" if zero. */
void domus_features_str(unsigned long long features, char *buf, size_t len);

/*
 * Why domus can or cannot run here, read from /proc and /sys below @root
 * ("" for the live system; tests pass a fake tree).
 */
struct domus_diag {
	bool cpu_svm;		/* "svm" in /proc/cpuinfo flags */
	bool cpu_vmx;		/* "vmx" in /proc/cpuinfo flags */
	bool cpu_npt;		/* "npt" flag */
	bool cpu_ept;		/* "ept" in flags or vmx flags */
	int fw_disabled;	/* 1 disabled, 0 enabled, -1 unknown */
	bool module_loaded;	/* /sys/module/domus */
	bool kvm_amd;		/* /sys/module/kvm_amd */
	bool kvm_intel;		/* /sys/module/kvm_intel */
	int kvm_virt_at_load;	/* kvm's enable_virt_at_load (Linux 6.12): 1 Y, 0 N, -1 no such parameter */
	bool device_present;	/* /dev/domus exists */
	/* module signatures (sigdiag.c) */
	int lockdown;		/* /sys/kernel/security/lockdown: DOMUS_LOCKDOWN_*, -1 unknown */
	int secure_boot;	/* the SecureBoot EFI variable: 1 on, 0 off, -1 unknown */
	struct domus_sigscan {	/* what the kernel log says about module signatures */
		bool unsigned_rejected;	/* "Loading of unsigned module is rejected" */
		bool key_rejected;	/* "Loading of module with unavailable key is rejected" */
		bool lockdown_refused;	/* "Lockdown: ...: unsigned module loading is restricted" */
		bool verify_failed;	/* "domus: module verification failed" (loaded, tainted) */
	} sig;
};
#define DOMUS_LOCKDOWN_NONE		0
#define DOMUS_LOCKDOWN_INTEGRITY	1
#define DOMUS_LOCKDOWN_CONFIDENTIALITY	2

void domus_diagnose(const char *root, struct domus_diag *d);
/*
 * kvm's enable_virt_at_load parameter below @root: 1 when a loaded kvm
 * holds AMD-V/VT-x from load time on (Y, the default since Linux 6.12),
 * 0 when only while its guests run, -1 when kvm is not loaded or has no
 * such parameter (before 6.12).
 */
int domus_kvm_virt_at_load(const char *root);
/* Reads the lockdown file, SecureBoot and the kernel log (/dev/kmsg) below @root into @d. */
void domus_sig_diagnose(const char *root, struct domus_diag *d);
/* The kernel log text @log (dmesg or /dev/kmsg records) into @s. */
void domus_sig_scan(const char *log, struct domus_sigscan *s);
/* The lockdown file's text ("none [integrity] confidentiality"): DOMUS_LOCKDOWN_*, -1 if unreadable. */
int domus_lockdown_parse(const char *text);
/*
 * Why the kernel refuses domus.ko's signature, as one line with the fix
 * (into @buf), or NULL when the module is loaded or nothing points at a
 * signature refusal.
 */
const char *domus_sig_advice(const struct domus_diag *d, char *buf, size_t len);
/* Does the space-separated @flags line contain the word @flag? */
bool domus_flag_in(const char *flags, const char *flag);


/* ====================================================================== */
/*
 * Domains and vCPUs (userland/lib/vm.c): thin wrappers over the domain-fd
 * and vCPU-fd ioctls of uapi/domus.h.  Same conventions as above: 0 or a
 * non-negative value on success, -errno on failure with domus_last_error()
 * set.
 */
#include <stdint.h>

struct domus_vcpu_handle {
	int fd;			/* vCPU fd, -1 when closed */
	struct domus_run *run;	/* the mmapped run page */
	uint32_t id;
};

/* DOMUS_CREATE_DOMAIN on /dev/domus (@devfd).  Returns the domain fd. */
int domus_create_domain(int devfd);
/* The same with DOMUS_DOMAIN_* @flags (DOMUS_DOMAIN_XEN: a Xen domain). */
int domus_create_domain_flags(int devfd, uint32_t flags);
/*
 * DOMUS_SET_MEM_SLOT; size 0 deletes the slot.  -EPERM (RLIMIT_MEMLOCK)
 * and -ENOMEM (max_guest_pages) get a message naming the fix.
 */
int domus_set_slot(int domfd, uint32_t slot, uint64_t gpa, uint64_t size,
		   void *uaddr, uint32_t flags);
/* The 4 KiB pages the module lets all domains pin: its max_guest_pages
 * parameter, or 3/4 of RAM when that is 0 (the module's default). */
#define DOMUS_PARAM_MAX_GUEST_PAGES "/sys/module/domus/parameters/max_guest_pages"
uint64_t domus_guest_limit_pages(void);
/* the first number of a sysfs or /proc file, or of its "KEY:" line; @def when absent */
unsigned long long domus_read_number(const char *path, const char *key, unsigned long long def);
/* a /proc/meminfo field in KiB ("MemTotal", "MemAvailable"...), 0 when absent */
uint64_t domus_meminfo_kib(const char *key);
/* DOMUS_SET_CPUID: replaces the whole table (before the first vCPU). */
int domus_set_cpuid(int domfd, const struct domus_cpuid_entry *e, uint32_t nent);
/* mkdir -p with @mode for the directories created; 0 or -errno. */
int domus_mkdir_p(const char *dir, mode_t mode);
int domus_domain_stats(int domfd, struct domus_domain_stats *st);
/* The most pages the domain may hold when the guest repopulates (ballooning; 0: no cap). */
int domus_set_mem_limit(int domfd, uint64_t max_pages);
/* Dirty-page logging of slot @slot on or off (docs/abi.md). */
int domus_dirty_log_set(int domfd, uint32_t slot, int on);
/* The slot's log into @bitmap (ceil(frames / 64) words), emptied. */
int domus_dirty_log_get(int domfd, uint32_t slot, uint64_t *bitmap);
/* The short name of exit statistic @i (enum domus_stat), e.g. "io";
 * NULL for an index the uapi does not define. */
const char *domus_stat_name(unsigned int i);
/* DOMUS_GET_GLOBAL_STATS on /dev/domus. */
int domus_global_stats(int devfd, struct domus_global_stats *st);

/* DOMUS_CREATE_VCPU plus the run-page mmap; fills @out. */
int domus_create_vcpu(int domfd, uint32_t id, struct domus_vcpu_handle *out);
/* Unmaps the run page and closes the fd (safe on a closed vCPU). */
void domus_vcpu_close(struct domus_vcpu_handle *v);
/* DOMUS_RUN: 0 after an exit to userspace (see v->run->exit_reason), or
 * -errno; -EINTR (exit_reason DOMUS_EXIT_INTR) when a signal is pending. */
int domus_run(struct domus_vcpu_handle *v);

int domus_get_regs(struct domus_vcpu_handle *v, struct domus_regs *r);
int domus_set_regs(struct domus_vcpu_handle *v, const struct domus_regs *r);
int domus_get_sregs(struct domus_vcpu_handle *v, struct domus_sregs *s);
int domus_set_sregs(struct domus_vcpu_handle *v, const struct domus_sregs *s);
/* Returns the number of entries processed (the call stops at the first
 * MSR it cannot access). */
int domus_get_msrs(struct domus_vcpu_handle *v, struct domus_msr_entry *e, uint32_t n);
int domus_set_msrs(struct domus_vcpu_handle *v, const struct domus_msr_entry *e, uint32_t n);
/* One MSR; -EINVAL with a message if the module refused it. */
int domus_get_msr(struct domus_vcpu_handle *v, uint32_t index, uint64_t *data);
int domus_set_msr(struct domus_vcpu_handle *v, uint32_t index, uint64_t data);
int domus_get_fpu(struct domus_vcpu_handle *v, struct domus_fpu *f);
int domus_set_fpu(struct domus_vcpu_handle *v, const struct domus_fpu *f);
int domus_get_events(struct domus_vcpu_handle *v, struct domus_events *e);
int domus_set_events(struct domus_vcpu_handle *v, const struct domus_events *e);
int domus_inject_irq(struct domus_vcpu_handle *v, uint32_t vector);
int domus_inject_nmi(struct domus_vcpu_handle *v);

/* Page-aligned, zeroed anonymous memory for guest RAM (size rounded up to
 * 4 KiB); NULL with domus_last_error() set on failure. */
void *domus_guest_alloc(size_t size);
void domus_guest_free(void *p, size_t size);

/* Segment attribute values (struct domus_segment.attr). */
#define DOMUS_SEG_CODE16	0x009b	/* present, S, code, read, accessed */
#define DOMUS_SEG_DATA16	0x0093	/* present, S, data, write, accessed */
#define DOMUS_SEG_CODE32	0x0c9b	/* + D, G */
#define DOMUS_SEG_DATA32	0x0c93
#define DOMUS_SEG_CODE64	0x0a9b	/* + L, G */
#define DOMUS_SEG_TSS64		0x008b	/* busy 64-bit TSS */

/*
 * Flat vCPU states.  Each reads the current sregs, replaces segments and
 * control registers, and sets RIP (and RSP), RFLAGS = 2; other GPRs are
 * left as they are.
 *   real mode: CS = DS = ES = FS = GS = SS = 0 (base 0, limit 64 KiB).
 *   protected: flat 4 GiB 32-bit segments (selectors 0x08 code, 0x10
 *              data), CR0.PE, no paging; the GDT is the host's business
 *              (the guest must not reload segments unless it has its own).
 *   long mode: writes a GDT (null, 0x08 64-bit code, 0x10 data, 0x18
 *              32-bit code) at @pt_gpa, then a PML4, a PDPT and page
 *              directories identity-mapping [0, @map_bytes) (rounded up to
 *              1 GiB, at most 512 GiB) with 2 MiB pages, all inside
 *              @guest_mem (the host address of guest-physical 0, which
 *              must cover pt_gpa .. pt_gpa + 0x3000 + 0x1000 * GiBs); sets
 *              CR0.PE|PG|MP|NE, CR4.PAE|OSFXSR|OSXMMEXCPT, EFER.LME|LMA|SCE.
 */
int domus_setup_real_mode(struct domus_vcpu_handle *v, uint64_t rip);
int domus_setup_prot_mode(struct domus_vcpu_handle *v, uint64_t rip, uint64_t rsp);
int domus_setup_long_mode(struct domus_vcpu_handle *v, void *guest_mem, uint64_t pt_gpa,
			  uint64_t map_bytes, uint64_t rip, uint64_t rsp);
/* Bytes domus_setup_long_mode() writes at pt_gpa for @map_bytes. */
uint64_t domus_long_mode_tables_size(uint64_t map_bytes);

/*
 * The host's CPUID leaves (0 .. 0x40 and 0x80000000 .. 0x80000040, eight
 * sub-leaves of the indexed ones) as a guest's table in @e (at most @cap
 * entries); returns the count.  The module masks what it does not
 * virtualize (docs/abi.md, DOMUS_SET_CPUID); the vendor passes through
 * (it picks VMMCALL or VMCALL in a Xen guest).  userland/lib/cpuid.c.
 */
unsigned int domus_host_cpuid(struct domus_cpuid_entry *e, unsigned int cap);

/* ====================================================================== */
/*
 * Xen domains (userland/lib/xen.c): the DOMUS_XEN_* ioctls on a domain fd
 * created with DOMUS_DOMAIN_XEN.  Same conventions as above.
 */
/* DOMUS_XEN_SET_PARAM / DOMUS_XEN_GET_PARAM: HVM_PARAM_* (xen_abi.h). */
int domus_xen_set_param(int domfd, uint32_t index, uint64_t value);
int domus_xen_get_param(int domfd, uint32_t index, uint64_t *value);
/* DOMUS_XEN_EVTCHN_BIND with every field of @b (flags ATTACH, LISTEN,
 * CLOSE); @b's out fields are filled in. */
int domus_xen_evtchn_bind(int domfd, struct domus_xen_evtchn_bind *b);
/* DOMUS_XEN_EVTCHN_BIND, flags 0: a new guest port connected to a new
 * backend port with the eventfds @notify_fd and @kick_fd (-1: none); the
 * guest's port in *@port. */
int domus_xen_evtchn_connect(int domfd, int notify_fd, int kick_fd, uint32_t *port);
/* DOMUS_XEN_EVTCHN_NOTIFY: raise the guest @port (connected to a backend). */
int domus_xen_evtchn_notify(int domfd, uint32_t port);
/* The first @frames pages of the grant-table mmap (uapi/domus.h: shared
 * frames, status frames, control page), mapped shared read/write; NULL
 * with domus_last_error() set on failure.  munmap(p, frames * 4096). */
void *domus_xen_map_grant_table(int domfd, unsigned int frames);
/* DOMUS_XEN_GNTTAB_LIMIT: the highest grant-table version (1 or 2). */
int domus_xen_gnttab_limit(int domfd, uint32_t max_version);
/* DOMUS_XEN_GET_VCPU_STATE (@set false: *@flags out) or _SET_ (*@flags in):
 * DOMUS_XEN_VCPU_WAIT_SIPI, DOMUS_XEN_VCPU_DOWN. */
int domus_xen_vcpu_state(int domfd, uint32_t vcpu, uint32_t *flags, bool set);

/* Human-readable name of a DOMUS_EXIT_* value. */
const char *domus_exit_name(uint32_t reason);

#endif /* LIBDOMUS_H */
