// SPDX-License-Identifier: MIT
/*
 * coretest: register, sregs and FPU state; FPU separation
 * (tests/host/coretest.c has the runner and the helpers; coretest.h).
 */
#include "coretest.h"
#include <sched.h>
#include <stdatomic.h>
#include <sys/syscall.h>

/* --- register round trips ----------------------------------------------------------- */

static const struct domus_regs regs_set = {
	.rax = 0x1111111111111111ULL, .rbx = 0x2222222222222222ULL, .rcx = 0x3333333333333333ULL,
	.rdx = 0x4444444444444444ULL, .rsi = 0x5555555555555555ULL, .rdi = T_REGS,
	.rsp = LM_STACK_TOP - 0x100, .rbp = 0x7777777777777777ULL,
	.r8 = 0x8888888888888888ULL, .r9 = 0x9999999999999999ULL, .r10 = 0xaaaaaaaaaaaaaaaaULL,
	.r11 = 0xbbbbbbbbbbbbbbbbULL, .r12 = 0xccccccccccccccccULL, .r13 = 0xddddddddddddddddULL,
	.r14 = 0xeeeeeeeeeeeeeeeeULL, .r15 = 0x0f0f0f0f0f0f0f0fULL,
	.rip = GUEST_LOAD, .rflags = 0x2 | (1 << 0) | (1 << 11),	/* CF, OF */
};

static int regs_equal(const struct domus_regs *a, const struct domus_regs *b, int with_rip,
		      char *why, size_t len)
{
	static const char *const names[] = {
		"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp", "rbp", "r8", "r9", "r10",
		"r11", "r12", "r13", "r14", "r15", "rip", "rflags",
	};
	const uint64_t *x = (const uint64_t *)a, *y = (const uint64_t *)b;
	unsigned int i;

	for (i = 0; i < 18; i++) {
		if (i == 16 && !with_rip)
			continue;
		if (x[i] != y[i]) {
			snprintf(why, len, "%s: got 0x%llx, want 0x%llx", names[i],
				 (unsigned long long)x[i], (unsigned long long)y[i]);
			return 0;
		}
	}
	return 1;
}

static int sync_regs(struct ctx *c, uint32_t val)
{
	struct domus_regs r;
	char why[200];

	(void)val;
	if (domus_get_regs(c->v, &r))
		return ctx_err(c, "%s", domus_last_error());
	if (c->nsync == 1) {
		struct domus_regs want = regs_set;

		/* the guest's dispatcher uses RAX, R15 and the flags */
		want.rax = r.rax;
		want.r15 = r.r15;
		want.rflags = r.rflags;
		if (!regs_equal(&r, &want, 0, why, sizeof(why)))
			return ctx_err(c, "guest registers at the first exit: %s", why);
		r.rax = 40;
		r.rbx = 2;
		if (domus_set_regs(c->v, &r))
			return ctx_err(c, "%s", domus_last_error());
	} else if (r.rax != 42) {
		return ctx_err(c, "RAX set at an exit did not reach the guest: 40 + 2 = 0x%llx",
			       (unsigned long long)r.rax);
	}
	return 0;
}

void t_regs(void)
{
	struct domus_regs r;
	struct domus_sregs s, s2;
	struct vm vm;
	struct ctx c;
	char why[300] = "";
	int ok, ret = vm_start(&vm, "long64", T_REGS, 0, 0, 0);

	if (ret) {
		result("regs-roundtrip", 0, "setup: %s", domus_last_error());
		vm_destroy(&vm);
		return;
	}
	ok = domus_set_regs(&vm.vcpu[0], &regs_set) == 0 && domus_get_regs(&vm.vcpu[0], &r) == 0;
	if (!ok)
		snprintf(why, sizeof(why), "%s", domus_last_error());
	else
		ok = regs_equal(&r, &regs_set, 1, why, sizeof(why));
	result("regs-roundtrip", ok, "%s", why);

	/* sregs: what SET_SREGS stored comes back (64-bit state from setup_lm) */
	ok = domus_get_sregs(&vm.vcpu[0], &s) == 0;
	s.fs.base = 0x123456789000ULL;
	s.gs.base = 0xffff888000001000ULL;
	s.cr2 = 0xdead000;
	s.cr8 = 5;
	s.idt.base = 0x9000;
	s.idt.limit = 0xfff;
	ok = ok && domus_set_sregs(&vm.vcpu[0], &s) == 0 && domus_get_sregs(&vm.vcpu[0], &s2) == 0;
	if (!ok)
		snprintf(why, sizeof(why), "%s", domus_last_error());
	else if (memcmp(&s, &s2, sizeof(s))) {
		ok = 0;
		snprintf(why, sizeof(why),
			 "differs: fs.base 0x%llx gs.base 0x%llx cr2 0x%llx cr8 %llu efer 0x%llx cs.attr 0x%x/0x%x",
			 (unsigned long long)s2.fs.base, (unsigned long long)s2.gs.base,
			 (unsigned long long)s2.cr2, (unsigned long long)s2.cr8,
			 (unsigned long long)s2.efer, s2.cs.attr, s.cs.attr);
	}
	result("sregs-roundtrip", ok, "%s", why);

	/* the guest sees the registers; a change at an exit reaches the guest */
	ret = domus_set_regs(&vm.vcpu[0], &regs_set);
	ctx_init(&c, &vm, &vm.vcpu[0], 1);
	c.on_sync = sync_regs;
	ok = !ret && run_to_pass(&c, "long64", why, sizeof(why));
	if (ok && c.nsync != 2) {
		ok = 0;
		snprintf(why, sizeof(why), "%d sync exits, want 2", c.nsync);
	}
	result("regs-guest", ok, "%s", why);
	vm_destroy(&vm);
}

/* XSAVE standard format offsets (Intel SDM vol. 1, 13.4) */
#define XS_MXCSR	24
#define XS_XMM		160
#define XS_XSTATE_BV	512
#define XS_YMM_HI	576

static int sync_fpu_state(struct ctx *c, uint32_t val)
{
	const uint8_t *want = c->arg;
	int avx = host_avx;
	unsigned int k;

	(void)val;
	for (k = 0; k < 16; k++) {
		const uint8_t *g = c->vm->ram + LM_DATA + 32 * k;

		if (memcmp(g, want + XS_XMM + 16 * k, 16) ||
		    (avx && memcmp(g + 16, want + XS_YMM_HI + 16 * k, 16)))
			return ctx_err(c, "guest %s%u differs from DOMUS_SET_FPU", avx ? "YMM" : "XMM", k);
	}
	if (memcmp(c->vm->ram + LM_DATA + 0x200, want + XS_MXCSR, 4))
		return ctx_err(c, "guest MXCSR 0x%x, set 0x%x", *(uint32_t *)(c->vm->ram + LM_DATA + 0x200),
			       *(const uint32_t *)(want + XS_MXCSR));
	return 0;
}

void t_fpu_state(void)
{
	static struct domus_fpu f, g;
	struct domus_sregs s;
	struct vm vm;
	struct ctx c;
	char why[300] = "";
	unsigned int i, k;
	uint64_t bv;
	int ok, r = vm_start(&vm, "long64", T_FPU_STATE, 0, host_avx, 0);

	if (r) {
		result("fpu-roundtrip", 0, "setup: %s", domus_last_error());
		vm_destroy(&vm);
		return;
	}
	memset(&f, 0, sizeof(f));
	ok = domus_get_fpu(&vm.vcpu[0], &f) == 0;
	f.xcr0 = host_avx ? 7 : 3;
	for (i = 0; i < 256; i++)
		f.xsave[XS_XMM + i] = (uint8_t)(0x40 + i);
	for (i = 0; i < 256 && host_avx; i++)
		f.xsave[XS_YMM_HI + i] = (uint8_t)(0x90 + i);
	*(uint32_t *)(f.xsave + XS_MXCSR) = 0x1f80 | (2 << 13);
	bv = host_avx ? 7 : 3;
	memcpy(f.xsave + XS_XSTATE_BV, &bv, 8);
	memset(f.reserved, 0, sizeof(f.reserved));
	ok = ok && domus_set_fpu(&vm.vcpu[0], &f) == 0 && domus_get_fpu(&vm.vcpu[0], &g) == 0;
	if (!ok)
		snprintf(why, sizeof(why), "%s", domus_last_error());
	if (ok && g.xcr0 != f.xcr0) {
		ok = 0;
		snprintf(why, sizeof(why), "xcr0 0x%llx, set 0x%llx", (unsigned long long)g.xcr0,
			 (unsigned long long)f.xcr0);
	}
	if (ok && (memcmp(g.xsave + XS_XMM, f.xsave + XS_XMM, 256) ||
		   memcmp(g.xsave + XS_MXCSR, f.xsave + XS_MXCSR, 4) ||
		   (host_avx && memcmp(g.xsave + XS_YMM_HI, f.xsave + XS_YMM_HI, 256)))) {
		ok = 0;
		snprintf(why, sizeof(why), "XMM/YMM/MXCSR differ after DOMUS_SET_FPU + DOMUS_GET_FPU");
	}
	result("fpu-roundtrip", ok, "%s%s", why, host_avx ? "" : " (no AVX on this host: XMM only)");

	/* the guest sees them (needs CR4.OSXSAVE for AVX), then inverts them */
	ok = ok && domus_get_sregs(&vm.vcpu[0], &s) == 0;
	if (ok && host_avx) {
		s.cr4 |= 1ULL << 18;
		ok = domus_set_sregs(&vm.vcpu[0], &s) == 0;
	}
	ctx_init(&c, &vm, &vm.vcpu[0], 1);
	c.on_sync = sync_fpu_state;
	c.arg = f.xsave;
	ok = ok && run_to_pass(&c, "long64", why, sizeof(why));
	ok = ok && domus_get_fpu(&vm.vcpu[0], &g) == 0;
	for (k = 0; ok && k < 256; k++) {
		if ((g.xsave[XS_XMM + k] ^ f.xsave[XS_XMM + k]) != 0xff ||
		    (host_avx && (g.xsave[XS_YMM_HI + k] ^ f.xsave[XS_YMM_HI + k]) != 0xff)) {
			ok = 0;
			snprintf(why, sizeof(why), "after the guest inverted its registers, byte %u of %s is 0x%x",
				 k, (g.xsave[XS_XMM + k] ^ f.xsave[XS_XMM + k]) != 0xff ? "XMM" : "YMM_Hi128",
				 g.xsave[XS_XMM + k]);
		}
	}
	result("fpu-guest", ok, "%s", why);
	vm_destroy(&vm);
}

/* --- FPU/SSE/AVX separation -------------------------------------------------------- */

/*
 * DOMUS_RUN issued from inline assembly with XMM8-15 (YMM8-15 with AVX)
 * loaded from @in and stored to @out right after the syscall: the host
 * thread's vector registers must survive a run of any guest.
 */
static long run_keep_vregs(int fd, const void *in, void *out, int avx)
{
	long ret;

	if (avx)
		__asm__ __volatile__(
			"vmovdqu 0(%[in]), %%ymm8\n\tvmovdqu 32(%[in]), %%ymm9\n\t"
			"vmovdqu 64(%[in]), %%ymm10\n\tvmovdqu 96(%[in]), %%ymm11\n\t"
			"vmovdqu 128(%[in]), %%ymm12\n\tvmovdqu 160(%[in]), %%ymm13\n\t"
			"vmovdqu 192(%[in]), %%ymm14\n\tvmovdqu 224(%[in]), %%ymm15\n\t"
			"syscall\n\t"
			"vmovdqu %%ymm8, 0(%[out])\n\tvmovdqu %%ymm9, 32(%[out])\n\t"
			"vmovdqu %%ymm10, 64(%[out])\n\tvmovdqu %%ymm11, 96(%[out])\n\t"
			"vmovdqu %%ymm12, 128(%[out])\n\tvmovdqu %%ymm13, 160(%[out])\n\t"
			"vmovdqu %%ymm14, 192(%[out])\n\tvmovdqu %%ymm15, 224(%[out])\n\t"
			"vzeroupper"
			: "=a"(ret)
			: "0"((long)SYS_ioctl), "D"((long)fd), "S"((long)DOMUS_RUN), "d"(0L),
			  [in] "r"(in), [out] "r"(out)
			: "rcx", "r11", "memory", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
			  "xmm13", "xmm14", "xmm15");
	else
		__asm__ __volatile__(
			"movdqu 0(%[in]), %%xmm8\n\tmovdqu 32(%[in]), %%xmm9\n\t"
			"movdqu 64(%[in]), %%xmm10\n\tmovdqu 96(%[in]), %%xmm11\n\t"
			"movdqu 128(%[in]), %%xmm12\n\tmovdqu 160(%[in]), %%xmm13\n\t"
			"movdqu 192(%[in]), %%xmm14\n\tmovdqu 224(%[in]), %%xmm15\n\t"
			"syscall\n\t"
			"movdqu %%xmm8, 0(%[out])\n\tmovdqu %%xmm9, 32(%[out])\n\t"
			"movdqu %%xmm10, 64(%[out])\n\tmovdqu %%xmm11, 96(%[out])\n\t"
			"movdqu %%xmm12, 128(%[out])\n\tmovdqu %%xmm13, 160(%[out])\n\t"
			"movdqu %%xmm14, 192(%[out])\n\tmovdqu %%xmm15, 224(%[out])"
			: "=a"(ret)
			: "0"((long)SYS_ioctl), "D"((long)fd), "S"((long)DOMUS_RUN), "d"(0L),
			  [in] "r"(in), [out] "r"(out)
			: "rcx", "r11", "memory", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
			  "xmm13", "xmm14", "xmm15");
	return ret;
}

/* sched_yield with XMM8-15 / YMM8-15 held across it */
static long yield_keep_vregs(const void *in, void *out, int avx)
{
	long ret;

	if (avx)
		__asm__ __volatile__(
			"vmovdqu 0(%[in]), %%ymm8\n\tvmovdqu 32(%[in]), %%ymm9\n\t"
			"vmovdqu 64(%[in]), %%ymm10\n\tvmovdqu 96(%[in]), %%ymm11\n\t"
			"vmovdqu 128(%[in]), %%ymm12\n\tvmovdqu 160(%[in]), %%ymm13\n\t"
			"vmovdqu 192(%[in]), %%ymm14\n\tvmovdqu 224(%[in]), %%ymm15\n\t"
			"syscall\n\t"
			"vmovdqu %%ymm8, 0(%[out])\n\tvmovdqu %%ymm9, 32(%[out])\n\t"
			"vmovdqu %%ymm10, 64(%[out])\n\tvmovdqu %%ymm11, 96(%[out])\n\t"
			"vmovdqu %%ymm12, 128(%[out])\n\tvmovdqu %%ymm13, 160(%[out])\n\t"
			"vmovdqu %%ymm14, 192(%[out])\n\tvmovdqu %%ymm15, 224(%[out])\n\t"
			"vzeroupper"
			: "=a"(ret)
			: "0"((long)SYS_sched_yield), [in] "r"(in), [out] "r"(out)
			: "rcx", "r11", "memory", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
			  "xmm13", "xmm14", "xmm15");
	else
		__asm__ __volatile__(
			"movdqu 0(%[in]), %%xmm8\n\tmovdqu 32(%[in]), %%xmm9\n\t"
			"movdqu 64(%[in]), %%xmm10\n\tmovdqu 96(%[in]), %%xmm11\n\t"
			"movdqu 128(%[in]), %%xmm12\n\tmovdqu 160(%[in]), %%xmm13\n\t"
			"movdqu 192(%[in]), %%xmm14\n\tmovdqu 224(%[in]), %%xmm15\n\t"
			"syscall\n\t"
			"movdqu %%xmm8, 0(%[out])\n\tmovdqu %%xmm9, 32(%[out])\n\t"
			"movdqu %%xmm10, 64(%[out])\n\tmovdqu %%xmm11, 96(%[out])\n\t"
			"movdqu %%xmm12, 128(%[out])\n\tmovdqu %%xmm13, 160(%[out])\n\t"
			"movdqu %%xmm14, 192(%[out])\n\tmovdqu %%xmm15, 224(%[out])"
			: "=a"(ret)
			: "0"((long)SYS_sched_yield), [in] "r"(in), [out] "r"(out)
			: "rcx", "r11", "memory", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
			  "xmm13", "xmm14", "xmm15");
	return ret;
}

/* Compare what came back: all 32 bytes per register with AVX, 16 without. */
static int vregs_same(const uint8_t *a, const uint8_t *b, int avx)
{
	int k;

	for (k = 0; k < 8; k++)
		if (memcmp(a + 32 * k, b + 32 * k, avx ? 32 : 16))
			return 0;
	return 1;
}

struct fpu_job {
	struct vm vm;
	struct ctx c;
	uint32_t seed;
	uint8_t host_pat[256] __attribute__((aligned(32)));
	uint8_t host_out[256] __attribute__((aligned(32)));
	unsigned long host_bad;
	int ok;
	char why[300];
};

static void pin_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);	/* this thread */
}

static int fpu_run_hook(struct ctx *c)
{
	struct fpu_job *j = c->arg;
	long r = run_keep_vregs(c->v->fd, j->host_pat, j->host_out, host_avx);

	if (!vregs_same(j->host_pat, j->host_out, host_avx))
		j->host_bad++;
	return r < 0 ? (int)r : 0;
}

static int fpu_sync(struct ctx *c, uint32_t val)
{
	(void)val;
	if ((c->nsync & 7) == 0)
		sched_yield();
	return 0;
}

static void *fpu_thread(void *arg)
{
	struct fpu_job *j = arg;

	pin_cpu0();
	j->c.run_hook = fpu_run_hook;
	j->c.on_sync = fpu_sync;
	j->c.arg = j;
	j->ok = run_to_pass(&j->c, "long64", j->why, sizeof(j->why));
	return NULL;
}

static atomic_int spin_stop;
static unsigned long spin_rounds, spin_bad;

static void *spin_thread(void *arg)
{
	uint8_t pat[256] __attribute__((aligned(32))), out[256] __attribute__((aligned(32)));
	unsigned int i;

	(void)arg;
	pin_cpu0();
	for (i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(0xc3 ^ (i * 13));
	while (!atomic_load(&spin_stop)) {
		yield_keep_vregs(pat, out, host_avx);
		spin_rounds++;
		if (!vregs_same(pat, out, host_avx))
			spin_bad++;
	}
	return NULL;
}

void t_fpu_separation(void)
{
	static struct fpu_job job[2];
	pthread_t th[2], spin;
	unsigned int i, k;
	int ok = 1, r;
	char why[400] = "";
	const unsigned long iters = 1500;

	for (i = 0; i < 2; i++) {
		struct fpu_job *j = &job[i];

		memset(j, 0, sizeof(*j));
		j->seed = i ? 0x22222222 : 0x11111111;
		for (k = 0; k < 256; k++)
			j->host_pat[k] = (uint8_t)((i + 1) * 0x31 + k * 3);
		r = vm_start(&j->vm, "long64", T_FPU, j->seed, host_avx, iters);
		if (r) {
			result("fpu-separation", 0, "setup: %s", domus_last_error());
			vm_destroy(&job[0].vm);
			vm_destroy(&job[1].vm);
			return;
		}
		ctx_init(&j->c, &j->vm, &j->vm.vcpu[0], 1);
	}
	atomic_store(&spin_stop, 0);
	spin_rounds = spin_bad = 0;
	pthread_create(&spin, NULL, spin_thread, NULL);
	for (i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, fpu_thread, &job[i]);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	atomic_store(&spin_stop, 1);
	pthread_join(spin, NULL);
	for (i = 0; i < 2; i++) {
		if (!job[i].ok) {
			ok = 0;
			snprintf(why, sizeof(why), "domain %u (seed 0x%x): %s", i, job[i].seed, job[i].why);
		} else if (job[i].c.nsync != (int)iters) {
			ok = 0;
			snprintf(why, sizeof(why), "domain %u: %d sync exits, want %lu", i, job[i].c.nsync, iters);
		} else if (job[i].host_bad) {
			ok = 0;
			snprintf(why, sizeof(why), "vCPU thread %u: host %s changed across DOMUS_RUN %lu times",
				 i, host_avx ? "YMM8-15" : "XMM8-15", job[i].host_bad);
		}
	}
	if (ok && spin_bad) {
		ok = 0;
		snprintf(why, sizeof(why), "a host thread on the same CPU saw its vector registers change %lu times in %lu rounds",
			 spin_bad, spin_rounds);
	}
	result("fpu-separation", ok, "%s", why);
	printf("info: fpu-separation: %s, 2 domains x %lu checks on CPU 0, host spinner %lu rounds\n",
	       host_avx ? "XMM+YMM+MXCSR" : "XMM+MXCSR (no AVX on this host)", iters, spin_rounds);
	vm_destroy(&job[0].vm);
	vm_destroy(&job[1].vm);
}
