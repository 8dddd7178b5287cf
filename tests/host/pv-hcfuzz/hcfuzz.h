/* SPDX-License-Identifier: MIT */
/*
 * pv-hcfuzz (tests/host/pv-hcfuzz.c): what its parts share.
 *   pv-hcfuzz.c   main, output, PRNG, the report
 *   space.c       the guest's address space: pointer kinds, the kernel's
 *                 ranges, non-RAM pages, the grant frames (oracle input)
 *   rules.c       hypercall numbers, sub-ops, argument shapes, exclusions
 *   calls.c       the fuzz loop and its oracle, the grant-frame walk,
 *                 user-mode calls
 *   init.c        running as the guest's init (no shell in the guest)
 *   rings.c       -r: corruption of the console and xenstore rings
 *   balloon.c     -b: hostile balloon calls (decrease/populate)
 */
#ifndef HCFUZZ_H
#define HCFUZZ_H

#include <stdint.h>
#include <sys/ioctl.h>

/* The privcmd hypercall ioctl (Linux include/uapi/xen/privcmd.h ABI). */
struct hcfuzz_call {
	uint64_t op;
	uint64_t arg[5];
};
#define HCFUZZ_IOCTL_HYPERCALL	_IOC(_IOC_NONE, 'P', 0, sizeof(struct hcfuzz_call))

#define PG		4096UL
#define BUF_PAGES	16
#define DOMID_SELF	0x7ff0
#define MY_DOMID	1		/* what domus tells the guest */
#define NR_PORTS	1024

/* hypercall numbers and sub-ops used by the rules */
enum {
	HC_memory_op = 12, HC_set_timer_op = 15, HC_xen_version = 17, HC_console_io = 18,
	HC_grant_table_op = 20, HC_vm_assist = 21, HC_vcpu_op = 24, HC_sched_op = 29,
	HC_event_channel_op = 32, HC_hvm_op = 34,
};
#define XENMEM_add_to_physmap	7

/* --- pv-hcfuzz.c: output and PRNG ---------------------------------------- */
extern int kmsg;
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern uint64_t rng;
uint64_t rnd(void);
uint64_t below(uint64_t n);
int chance(unsigned int pct);

/* --- space.c: the guest's address space ---------------------------------- */
extern uint8_t *buf;		/* BUF_PAGES pages RW, then a PROT_NONE guard page */
extern uint8_t *ropage;		/* read-only, no byte 0x00 0x01 0x7f 0xf0 */
extern uint8_t *zeropage;	/* read-only mapping of the zero page */
extern uint8_t *ctl;		/* the fuzzer's own page: repair calls, port status */

enum pclass {
	P_NULL, P_BUF, P_BUFEDGE, P_BUFEND, P_GUARD, P_RO, P_ZERO, P_UNMAPPED, P_NONCANON,
	P_KTEXT, P_KRODATA, P_KDMAP, P_KUNMAPPED, P_DEVMEM, P_STRADDLE, P_NCLASSES
};
extern const char *const pclass_name[P_NCLASSES];

struct ptr {
	uint64_t addr;
	enum pclass cls;
	uint8_t *user;		/* the fuzzer's view of the bytes (controlled contents) */
	long wr;		/* bytes writable from addr (-1: unknown) */
	long rd;		/* bytes readable from addr (-1: unknown) */
	uint64_t gfn;		/* P_DEVMEM, P_STRADDLE: the non-RAM guest frame touched */
};

struct ptr pick_ptr(int depth);
uint64_t rnd_word(int depth);
void fill(uint8_t *p, long n);
void find_kernel_ranges(void);
void find_kdmap(void);
void map_devmem(void);
void find_grant_frames(void);
/* Grant frames: where the guest kernel put them, and every placement since. */
void grant_frame_add(uint64_t gfn);
int grant_frame_at(uint64_t gfn);
extern int grant_frames_unknown;	/* a placement the fuzzer cannot tell */

/* --- rules.c --------------------------------------------------------------- */
extern unsigned long n_block, n_nmi, n_excluded, n_repair;
uint64_t pick_op(void);
uint64_t pick_subop(uint64_t op);
uint64_t rnd_gfn(void);
void put16(uint8_t *p, long room, long off, uint16_t v);
void put32(uint8_t *p, long room, long off, uint32_t v);
void put64(uint8_t *p, long room, long off, uint64_t v);
void shape(uint64_t op, uint64_t cmd, uint8_t *u, long room);
void shape_vcpu(uint64_t cmd, uint8_t *u, long room);
int sanitize(struct hcfuzz_call *c, struct ptr p[5]);
long write_only_len(const struct hcfuzz_call *c);

/* --- init.c: as the guest's init ------------------------------------------ */
char **init_setup(int *argc);
void init_finish(int rc) __attribute__((noreturn));

/* --- calls.c --------------------------------------------------------------- */
#define NERR 160
extern unsigned long results[NERR + 1];	/* [0] ok (>= 0), [e] -e, [NERR] other */
extern unsigned long by_op[128], unexpected, class_used[P_NCLASSES];
extern unsigned long judged[P_NCLASSES], excluded_grant;
extern uint8_t ro_copy[4096];
extern int privcmd;
extern int callback_irq_known;
extern uint64_t callback_irq;
extern uint8_t port_was_open[NR_PORTS];
long hcall(uint64_t op, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4);
void snapshot(void);
void repair_timer(void);
void cleanup(void);
void fuzz(unsigned long n);
void grant_walk(unsigned long n);
void user_calls(unsigned long n);

/* --- rings.c --------------------------------------------------------------- */
int ring_fuzz(unsigned long bursts, uint64_t seed);
/* balloon.c: -b, hostile decrease/populate calls; returns the failures. */
int balloon_hostile(void);

#endif
