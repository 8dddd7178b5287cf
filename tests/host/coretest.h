/* SPDX-License-Identifier: MIT */
/*
 * coretest: shared declarations.  coretest.c holds the runner (the test
 * table, main) and the helpers below; coretest_<area>.c hold the tests,
 * each an entry "name, t_function" in the table of coretest.c.
 */
#ifndef CORETEST_H
#define CORETEST_H

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include "libdomus.h"
#include "../guests/guest.h"

#define GUEST_DIR	"build/guests/"
#define HOLE_VALUE	0x5555aaaa5555aaaaULL
#define RO_PATTERN	0x0123456789abcdefULL

extern int failed;			/* a check failed */
extern int devfd;			/* /dev/domus */
extern struct domus_caps caps;
extern int host_avx;			/* the host has AVX enabled in XCR0 */

/* --- a domain with RAM, an optional read-only slot, and vCPUs -------------- */

struct vm {
	int fd;
	uint8_t *ram;
	size_t ram_size;
	uint8_t *ro;
	struct domus_vcpu_handle vcpu[2];
	int nvcpus;
};

/* Per-vCPU model of the guest's devices and what it reported. */
struct ctx {
	struct vm *vm;
	struct domus_vcpu_handle *v;
	uint64_t mmio_base;		/* the memory-like device (4 KiB) */
	uint8_t dev[4096];
	uint32_t vals[512];
	uint8_t val_size[512];
	int nvals;
	uint8_t strout[256];
	int nstrout;
	uint8_t strin_next;
	char con[1024];
	int ncon;
	int quiet;			/* do not echo the console */
	uint32_t done_code;
	unsigned long nexits, nio, nmmio, nstring_exits, max_count;
	unsigned long ro_writes;
	uint64_t ro_gpa[8];
	uint64_t ro_data[8];
	uint32_t ro_len[8];
	unsigned long hole_reads;
	/* called at each OUT to PORT_SYNC; returns 0 or -1 with err set */
	int (*on_sync)(struct ctx *c, uint32_t val);
	void *arg;
	int nsync;
	/* replaces domus_run() (the FPU test checks host registers around it) */
	int (*run_hook)(struct ctx *c);
	char err[256];
};

/* run_guest() results besides DOMUS_EXIT_* */
enum { R_DONE = 100, R_ERR = -1 };

/* One "PASS: core/<name>" or "FAIL: core/<name>: <why>" line. */
void __attribute__((format(printf, 3, 4))) result(const char *name, int ok, const char *fmt, ...);
double now_ms(void);
void sleep_ms(unsigned int ms);

int vm_create(struct vm *vm, size_t ram_size, int with_ro);
/* the same with DOMUS_CREATE_DOMAIN flags (DOMUS_DOMAIN_XEN) */
int vm_create_flags(struct vm *vm, size_t ram_size, int with_ro, uint32_t flags);
void vm_destroy(struct vm *vm);
int load_guest(struct vm *vm, const char *name);
int vm_add_vcpu(struct vm *vm, uint32_t id);
int set_args(struct domus_vcpu_handle *v, uint64_t test, uint64_t rsi, uint64_t rdx, uint64_t rcx);
/* Long-mode entry for @v with test id and arguments. */
int setup_lm(struct vm *vm, struct domus_vcpu_handle *v, uint64_t test, uint64_t rsi, uint64_t rdx, uint64_t rcx);
/* Real-mode entry (real16 and prot32). */
int setup_lo(struct domus_vcpu_handle *v, uint64_t test);
/* A domain with one vCPU running @guest test @test; returns 0 or -errno. */
int vm_start(struct vm *vm, const char *guest, uint64_t test, uint64_t rsi, uint64_t rdx, uint64_t rcx);
void ctx_init(struct ctx *c, struct vm *vm, struct domus_vcpu_handle *v, int lm);
int __attribute__((format(printf, 2, 3))) ctx_err(struct ctx *c, const char *fmt, ...);
/*
 * Run until the guest reports PORT_DONE (R_DONE), or an exit the I/O model
 * does not handle: returns its DOMUS_EXIT_* (HLT, SHUTDOWN, INTR, ...), or
 * R_ERR with c->err set.
 */
int run_guest(struct ctx *c);
/* Run to PORT_DONE and describe anything else; 1 if the guest passed. */
int run_to_pass(struct ctx *c, const char *guest, char *why, size_t len);
/*
 * A second vCPU run on a thread of its own while the test drives vCPU 0:
 * ap_start() runs @v until ap_finish(); DOMUS_RUN interrupted by a signal
 * is resumed, and so are I/O exits when @io_ok (code that only writes
 * a port).  Any other exit or error stops the thread: ap_finish() then
 * returns -1 with the reason in a->why.
 */
struct ap_runner {
	struct domus_vcpu_handle *v;
	int io_ok, bad;
	char why[200];
	pthread_t th;
	struct sigaction old;
};
void ap_start(struct ap_runner *a, struct domus_vcpu_handle *v, int io_ok);
int ap_finish(struct ap_runner *a);
/* domus's global counters all zero (waits up to 2 s for teardown) */
int stats_zero(char *why, size_t len);

/* bad-argument checks (coretest_badargs.c): an errno list ends with 0 */
#define E(...) ((const int[]){ __VA_ARGS__, 0 })
int errno_in(int got, const int *want);
const char *errnames(const int *want, char *buf, size_t len);
/* "badarg/<name>": ioctl(fd, cmd, arg) must fail with one of @want */
void expect_fail(const char *name, int fd, unsigned long cmd, void *arg, const int *want);

/* the tests (the table in coretest.c) */
void t_hello(void);		/* coretest_io.c */
void t_pio(void);
void t_mmio(void);
void t_roslot(void);
void t_strio(void);		/* coretest_strio.c */
void t_cpuid(void);		/* coretest_cpu.c */
void t_xen_hvm(void);
void t_msr_gp(void);
void t_msr_platform(void);
void t_harden(void);
void t_triple(void);
void t_msrs(void);
void t_irq(void);		/* coretest_irq.c */
void t_irq_low(void);
void t_nmi(void);
void t_hlt(void);
void t_signal(void);
void t_events(void);
void t_irq_window(void);
void t_regs(void);		/* coretest_regs.c */
void t_fpu_state(void);
void t_fpu_separation(void);
void t_smp(void);		/* coretest_life.c */
void t_isolation(void);
void t_stats(void);
void t_dirty_log(void);
void t_dirty_log_xen(void);
void t_xen_tsc_write(void);
void t_cycles(void);
void t_kill9(void);
void t_badargs(void);		/* coretest_badargs.c */
void t_xenargs(void);		/* coretest_xenargs.c */
void t_xen_hypercalls(void);	/* coretest_xenhc.c */
void t_xen_backend(void);
/* coretest_xenhc.c's helpers for tests/guests/xenhc64.S */
int xen_vm(struct vm *vm);
void put_entry(uint8_t *ram, unsigned int i, uint64_t nr, const uint64_t a[5], uint64_t flags);
int64_t entry_ret(const uint8_t *ram, unsigned int i);
void put16(uint8_t *ram, uint64_t gpa, uint16_t v);
void put32(uint8_t *ram, uint64_t gpa, uint32_t v);
void t_xen_gnttab_v2(void);	/* coretest_gnttab.c */
void t_xen_fifo(void);		/* coretest_fifo.c */
void t_xen_upcall(void);		/* coretest_upcall.c */
void t_xen_vcpu_updown(void);
void t_xen_evtchn_reset(void);
void t_apic_timer(void);		/* coretest_apic.c */
void t_nmi_halt(void);
void t_apic_xapic(void);
void t_init_running(void);
void t_exc_delivery(void);	/* coretest_exc.c */
void t_dr_rules(void);
void t_limits(void);		/* coretest_limits.c */

#endif
