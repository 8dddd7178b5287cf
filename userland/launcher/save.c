// SPDX-License-Identifier: MIT
/*
 * domus-launcher: save and restore (docs/save-format.md, docs/launcher.md
 * "Save and restore").  The file format is userland/save's (xsr.h).
 *
 * save [keep]  + the open file (SCM_RIGHTS): `domus save` opened a
 *              temporary file next to the target; the launcher pauses the
 *              vCPUs, writes the stream into it and answers "ok"; the
 *              guest stays paused until the client's next line on the
 *              same connection: "commit" (the file is fsync'd and renamed:
 *              the domain is destroyed, or with keep runs on) or anything
 *              else, or the connection closing, or 60 s of silence: the
 *              save is abandoned and the guest runs on as before.
 *
 * A PVH guest first suspends itself, as under Xen's xl: control/shutdown =
 * "suspend" in its xenstore, and its kernel ends in SCHEDOP_shutdown
 * (suspend) (l_pv_suspend below; a migration's last pass likewise).  That vCPU parks with the hypercall's
 * result preset to 1 ("cancelled": a failed save or save -c resumes the
 * guest in its own domain); the file holds 0 there instead ("resumed in a
 * new domain"), so a restored guest redoes its PV set-up itself.
 *
 * Restore: `domus-launcher --restore FILE` takes the domain's definition
 * from the file (after the whole file was validated), builds the domain
 * as usual but fills its RAM, its vCPUs and its devices from the file
 * instead of loading the kernel, and runs it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include "launcher.h"
#include "xsr.h"

#define SAVE_COMMIT_MS	60000
#define SUSPEND_MS	60000	/* as libxl: 60 s for the guest to suspend */

/* The host TSC's rate, measured over 20 ms (what the guest's TSC runs at). */
uint32_t l_tsc_khz(void)
{
	struct timespec a, b, d = { 0, 20 * 1000 * 1000 };
	uint64_t t0, t1;
	double ns;

	clock_gettime(CLOCK_MONOTONIC, &a);
	t0 = __rdtsc();
	nanosleep(&d, NULL);
	t1 = __rdtsc();
	clock_gettime(CLOCK_MONOTONIC, &b);
	ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
	return ns > 0 ? (uint32_t)((double)(t1 - t0) * 1e6 / ns / 1000.0 + 0.5) : 0;
}

static const uint32_t vcpu_msrs[] = {
	0x10,		/* TSC */
	0x277,		/* PAT */
	0xc0000102,	/* KERNEL_GS_BASE */
	0xc0000081,	/* STAR */
	0xc0000082,	/* LSTAR */
	0xc0000083,	/* CSTAR */
	0xc0000084,	/* SFMASK */
	0x174, 0x175, 0x176,	/* SYSENTER_CS, _ESP, _EIP */
};
#define NMSRS (sizeof(vcpu_msrs) / sizeof(vcpu_msrs[0]))

/*
 * PVH: the module's x2APIC, in the order a restore writes it back: SVR
 * first (an LVT write is ignored while the APIC is software-disabled),
 * the divider before the initial count (which starts the timer), the TSC
 * deadline after the timer's LVT.
 */
static const uint32_t apic_msrs[] = {
	0x80f,		/* SVR */
	0x808,		/* TPR */
	0x832, 0x833, 0x834, 0x835, 0x836, 0x837,	/* LVT timer, thermal, PMC, LINT0, LINT1, error */
	0x83e,		/* timer divide configuration */
	0x838,		/* timer initial count */
	0x6e0,		/* TSC deadline */
};
#define NAPIC (sizeof(apic_msrs) / sizeof(apic_msrs[0]))
_Static_assert(NAPIC <= XSR_APIC_MSRS, "the file's APIC entry holds them");
#define APIC_BASE_X2APIC	(1ULL << 10)
_Static_assert(XSR_LC_WAIT_SIPI == DOMUS_XEN_VCPU_WAIT_SIPI && XSR_LC_DOWN == DOMUS_XEN_VCPU_DOWN,
	       "the file's lifecycle flags are the module's");

static int get_apic(struct l_vcpu *t, struct xsr_vcpu *v, char *err, size_t errlen)
{
	struct domus_msr_entry e[NAPIC];
	unsigned int i;
	int r;

	if (!(v->sregs.apic_base & APIC_BASE_X2APIC)) {
		snprintf(err, errlen, "vCPU %u's APIC is in xAPIC mode: a PVH save covers guests that use the x2APIC (Linux does) only so far",
			 t->v.id);
		return -EIO;
	}
	memset(e, 0, sizeof(e));
	for (i = 0; i < NAPIC; i++)
		e[i].index = apic_msrs[i];
	r = domus_get_msrs(&t->v, e, NAPIC);
	if (r != (int)NAPIC) {
		snprintf(err, errlen, "vCPU %u: APIC MSR 0x%x: %s", t->v.id, r >= 0 ? e[r].index : 0,
			 r < 0 ? domus_last_error() : "not readable");
		return -EIO;
	}
	v->apic.count = NAPIC;
	for (i = 0; i < NAPIC; i++) {
		v->apic.msr[i].index = e[i].index;
		v->apic.msr[i].value = e[i].data;
	}
	return 0;
}

static uint64_t *msr_slot(struct xsr_vcpu *v, unsigned int i)
{
	uint64_t *slots[NMSRS] = {
		&v->tsc, &v->pat, &v->kernel_gs_base, &v->star, &v->lstar, &v->cstar, &v->sfmask,
		&v->sysenter_cs, &v->sysenter_esp, &v->sysenter_eip,
	};

	return slots[i];
}

/*
 * One vCPU's state.  A vCPU parked right after a port read has the value
 * in its run page, and the module puts it into RAX at the next entry: the
 * saved RAX gets it here instead.  -EAGAIN: the vCPU is in the middle of
 * an emulated access that cannot be finished here (an MMIO read, a string
 * read); the caller lets it run a little and tries again.
 */
static int get_vcpu(struct launcher *L, struct l_vcpu *t, struct xsr_vcpu *v, char *err, size_t errlen)
{
	struct domus_msr_entry e[NMSRS];
	struct domus_run *run = t->v.run;
	unsigned int i;
	int r;

	memset(v, 0, sizeof(*v));
	if (domus_get_regs(&t->v, &v->regs) || domus_get_sregs(&t->v, &v->sregs) ||
	    domus_get_fpu(&t->v, &v->fpu) || domus_get_events(&t->v, &v->events)) {
		snprintf(err, errlen, "vCPU %u: %s", t->v.id, domus_last_error());
		return -EIO;
	}
	memset(e, 0, sizeof(e));
	for (i = 0; i < NMSRS; i++)
		e[i].index = vcpu_msrs[i];
	r = domus_get_msrs(&t->v, e, NMSRS);
	if (r != (int)NMSRS) {
		snprintf(err, errlen, "vCPU %u: MSR 0x%x: %s", t->v.id, r >= 0 ? e[r].index : 0,
			 r < 0 ? domus_last_error() : "not readable");
		return -EIO;
	}
	for (i = 0; i < NMSRS; i++)
		*msr_slot(v, i) = e[i].data;
	if (domus_get_msr(&t->v, 0xc0000103, &v->tsc_aux))
		v->tsc_aux = 0;
	v->xsave_size = xsr_xsave_size(v->fpu.xcr0);
	if (run->exit_reason == DOMUS_EXIT_IO && run->io.direction == DOMUS_IO_IN) {
		uint64_t val = 0, mask;

		/* an INS (one element or many) writes memory at the next entry, not RAX */
		if (run->io.count != 1 || (run->io.flags & DOMUS_IO_STRING))
			return -EAGAIN;
		memcpy(&val, (const uint8_t *)run + run->io.data_offset, run->io.size);
		mask = run->io.size == 4 ? 0xffffffffULL : (1ULL << (8 * run->io.size)) - 1;
		/* a 32-bit result clears the upper half, as the CPU does */
		v->regs.rax = run->io.size == 4 ? val & mask : (v->regs.rax & ~mask) | (val & mask);
	}
	if (run->exit_reason == DOMUS_EXIT_MMIO && !run->mmio.is_write)
		return -EAGAIN;
	if (L->cfg.type != DOMUS_TYPE_HVM) {
		bool suspended;

		pthread_mutex_lock(&L->lock);
		suspended = L->suspend == L_SUSP_DONE && L->suspend_vcpu == t->v.id;
		pthread_mutex_unlock(&L->lock);
		/* RIP is past the hypercall; in the file it returns 0: "resumed in a new domain" */
		if (suspended && run->exit_reason == DOMUS_EXIT_HYPERCALL)
			v->regs.rax = 0;
		/* running, never started (an AP before its STARTUP) or stopped (offline) */
		if (domus_xen_vcpu_state(L->domfd, t->v.id, &v->lifecycle, false)) {
			snprintf(err, errlen, "vCPU %u: %s", t->v.id, domus_last_error());
			return -EIO;
		}
		/* an AP that never started has no x2APIC mode to save yet */
		if (v->lifecycle & XSR_LC_WAIT_SIPI && !(v->sregs.apic_base & APIC_BASE_X2APIC))
			return 0;
		return get_apic(t, v, err, errlen);
	}
	return 0;
}

struct progress {
	struct launcher *L;
	unsigned int last;
};

static void save_progress(void *opaque, uint64_t done, uint64_t total)
{
	struct progress *p = opaque;
	unsigned int pct = total ? (unsigned int)(done * 100 / total) : 100;

	if (pct / 25 != p->last / 25)
		l_log(p->L, "save: %u%% of RAM written", pct);
	p->last = pct;
}

/*
 * The definition of the domain, as JSON (domus' JSON view), malloc'ed.
 * The kernel as an absolute path (a restore runs elsewhere), and each
 * vif's MAC address as given even when it was drawn at random: the
 * restored guest's netfront reads device/vif/N/mac again when it
 * reconnects, and its interface must keep its address (as xl's saved
 * config carries the MACs libxl chose).
 */
char *l_save_config(struct launcher *L, size_t *len)
{
	struct domus_config *c = malloc(sizeof(*c));	/* a shallow copy: only read */
	char *buf = NULL;
	size_t n = 0, i;
	FILE *f;

	if (!c)
		return NULL;
	*c = L->cfg;
	c->kernel = L->kernel_path;
	for (i = 0; i < c->nvifs; i++)
		c->vifs[i].mac_given = true;
	/* the vCPUs online now (vcpu-set), as libxl saves its avail_vcpus */
	if (L->vcpus_online >= 1 && L->vcpus_online <= c->maxvcpus)
		c->vcpus = L->vcpus_online;
	f = open_memstream(&buf, &n);
	if (!f) {
		free(c);
		return NULL;
	}
	domus_config_write_json(c, f);
	free(c);
	if (fclose(f) || !buf) {
		free(buf);
		return NULL;
	}
	*len = n + 1;
	return buf;
}

/* Pause (all vCPUs out of the module, state complete) and collect. */
int l_save_collect(struct launcher *L, struct xsr_state *st, char *err, size_t errlen)
{
	char msg[300];
	unsigned int i, tries;
	int r = 0;

	for (tries = 0; tries < 100; tries++) {
		if (l_pause(L, true, msg, sizeof(msg))) {
			snprintf(err, errlen, "%s", msg);
			return -1;
		}
		for (i = 0, r = 0; i < L->nvcpu && !r; i++)
			r = get_vcpu(L, &L->vcpu[i], &st->vcpu[i], err, errlen);
		if (r != -EAGAIN)
			break;
		/* let it finish the access, then stop it again */
		l_pause(L, false, msg, sizeof(msg));
		usleep(1000);
	}
	if (r == -EAGAIN)
		snprintf(err, errlen, "a vCPU stayed in the middle of an emulated access; try again");
	return r ? -1 : 0;
}

/* The rest of the state, after collect (the guest paused). */
void l_save_fill(struct launcher *L, struct xsr_state *st, uint32_t khz)
{
	st->nvcpu = L->nvcpu;
	st->ram_size = L->mem_size;
	st->tsc_khz = khz;
	st->elapsed_ns = (uint64_t)(time(NULL) - L->start_time) * 1000000000ULL;
	st->has_dm = L->cfg.type == DOMUS_TYPE_HVM;
	st->has_apic = !st->has_dm;
	st->has_lifecycle = !st->has_dm;
	st->dm.uart[0] = L->dm.uart.ier;
	st->dm.uart[1] = L->dm.uart.lcr;
	st->dm.uart[2] = L->dm.uart.mcr;
	st->dm.uart[3] = L->dm.uart.scr;
	st->dm.uart[4] = L->dm.uart.dll;
	st->dm.uart[5] = L->dm.uart.dlm;
	st->dm.uart[6] = L->dm.uart.fcr;
	pthread_mutex_lock(&L->lock);
	st->dm.test_exit_code = L->test_exit_code;
	pthread_mutex_unlock(&L->lock);
}

void l_save_resume(struct launcher *L, bool was_paused)
{
	char msg[300];
	bool cancelled;

	pthread_mutex_lock(&L->lock);
	/* a suspended PVH guest: its vCPU runs on with "cancelled" (1) */
	cancelled = L->suspend == L_SUSP_DONE;
	L->suspend = L_SUSP_NONE;
	pthread_mutex_unlock(&L->lock);
	if (cancelled)
		l_log(L, "save: the guest resumes in this domain (its suspend returns 1, cancelled)");
	if (!was_paused)
		l_pause(L, false, msg, sizeof(msg));
}

/*
 * PVH: ask the guest to suspend itself (control/shutdown = "suspend") and
 * wait, serving its xenstore and console meanwhile (this is the event
 * loop's thread), until a vCPU made the suspend hypercall (handle_exit,
 * domain.c): 0.  Otherwise -1 with @err, the request withdrawn and the
 * guest left running; a suspend that comes later is cancelled.
 */
int l_pv_suspend(struct launcher *L, char *err, size_t errlen)
{
	struct timespec now, until;
	int r;

	pthread_mutex_lock(&L->lock);
	L->suspend = L_SUSP_WAIT;
	pthread_mutex_unlock(&L->lock);
	r = dom_request_shutdown(L, "suspend");
	if (r) {
		snprintf(err, errlen, "cannot write control/shutdown: %s", strerror(-r));
		goto fail;
	}
	l_log(L, "save: asked the guest to suspend (control/shutdown = suspend)");
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += SUSPEND_MS / 1000;
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = L->xs_notify_fd, .events = POLLIN },
			{ .fd = L->con_notify_fd, .events = POLLIN },
		};
		bool done, died;

		pthread_mutex_lock(&L->lock);
		done = L->suspend == L_SUSP_DONE;
		died = L->pending_reason >= 0 || L->state != L_RUNNING;
		pthread_mutex_unlock(&L->lock);
		if (done) {
			/* what it wrote before it suspended: its console ring is not in the file */
			con_service(L);
			return 0;
		}
		if (died) {
			snprintf(err, errlen, "the guest stopped instead of suspending");
			goto fail;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > until.tv_sec || (now.tv_sec == until.tv_sec && now.tv_nsec >= until.tv_nsec)) {
			snprintf(err, errlen,
				 "the guest did not suspend within %d s (does its kernel handle control/shutdown = suspend?); it runs on",
				 SUSPEND_MS / 1000);
			goto fail;
		}
		if (poll(p, 2, 50) < 0 && errno != EINTR) {
			snprintf(err, errlen, "poll: %s", strerror(errno));
			goto fail;
		}
		dom_xenstore_service(L);
		con_service(L);
	}
fail:
	pthread_mutex_lock(&L->lock);
	r = L->suspend == L_SUSP_DONE;
	if (!r)
		L->suspend = L_SUSP_NONE;
	pthread_mutex_unlock(&L->lock);
	if (r)		/* it suspended just now: resume it (cancelled) */
		l_save_resume(L, false);
	else if (L->xs)	/* withdraw the request, as libxl does */
		xs_write(L->xs, "control/shutdown", "");
	return -1;
}

/* Wait for the client's verdict: true for "commit". */
bool l_save_wait_commit(int fd)
{
	char line[64];
	size_t n = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (n < sizeof(line) - 1) {
		ssize_t r;

		if (poll(&p, 1, SAVE_COMMIT_MS) <= 0)
			return false;
		r = read(fd, line + n, 1);
		if (r <= 0)
			return false;
		if (line[n] == '\n')
			break;
		n++;
	}
	line[n] = 0;
	return !strcmp(line, "commit");
}


/*
 * What save and migrate can take today: a running HVM guest with kernel=
 * (no firmware device model state), or a PVH guest with a xenstore (it
 * suspends itself; a migration suspends it before its last pass).
 * Replies the error for @what ("save", "migration") on @fd and returns
 * false otherwise.
 */
bool l_save_possible(struct launcher *L, int fd, const char *what)
{
	bool save = !strcmp(what, "save");

	if (L->cfg.type != DOMUS_TYPE_HVM && !L->xs) {
		l_reply(fd, "error %s has no xenstore: a PVH guest is saved through its own suspend (control/shutdown), which needs it",
			L->cfg.name);
		return false;
	}
	if (L->cfg.firmware) {
		l_reply(fd, "error %s boots firmware: %s covers HVM guests with kernel= only so far (the device model's state is not saved yet)",
			L->cfg.name, what);
		return false;
	}
	if (L->state != L_RUNNING) {
		l_reply(fd, "error %s is not running", L->cfg.name);
		return false;
	}
	if (L->cfg.type != DOMUS_TYPE_HVM && !save) {
		bool paused;

		pthread_mutex_lock(&L->lock);
		paused = L->paused;
		pthread_mutex_unlock(&L->lock);
		if (paused) {	/* (save says so itself, after its own checks) */
			l_reply(fd, "error %s is paused: a PVH guest migrates through its own suspend; 'domus unpause %s' first",
				L->cfg.name, L->cfg.name);
			return false;
		}
	}
	return true;
}
bool l_ctl_save(struct launcher *L, int fd, const char *arg)
{
	struct xsr_state st;
	struct progress pr = { .L = L };
	char err[512];
	bool keep = !strcmp(arg, "keep"), was_paused;
	int out = -1;
	struct stat sb;

	memset(&st, 0, sizeof(st));
	if (strcmp(arg, "keep") && *arg) {
		l_reply(fd, "error save takes 'keep' or nothing, not '%.40s'", arg);
		return false;
	}
	if (!L->req_fds || L->req_nfds < 1 || L->req_fds[0] < 0) {
		l_reply(fd, "error save needs the open file passed with the request");
		return false;
	}
	out = L->req_fds[0];
	L->req_fds[0] = -1;
	if (fstat(out, &sb) || !S_ISREG(sb.st_mode) || sb.st_size) {
		l_reply(fd, "error save: the passed file is not an empty regular file");
		close(out);
		return false;
	}
	if (!l_save_possible(L, fd, "save")) {
		close(out);
		return false;
	}
	st.vcpu = calloc(L->nvcpu, sizeof(*st.vcpu));
	st.config = l_save_config(L, &st.config_len);
	if (!st.vcpu || !st.config) {
		l_reply(fd, "error save: out of memory");
		goto out;
	}
	pthread_mutex_lock(&L->lock);
	was_paused = L->paused;
	pthread_mutex_unlock(&L->lock);
	if (L->cfg.type != DOMUS_TYPE_HVM) {
		if (was_paused) {
			l_reply(fd, "error %s is paused: a PVH guest saves through its own suspend; 'domus unpause %s' first",
				L->cfg.name, L->cfg.name);
			goto out;
		}
		if (l_pv_suspend(L, err, sizeof(err))) {
			l_log(L, "save failed: %s", err);
			l_reply(fd, "error save: %s", err);
			goto out;
		}
	}
	if (l_save_collect(L, &st, err, sizeof(err))) {
		l_save_resume(L, was_paused);
		l_reply(fd, "error save: %s", err);
		goto out;
	}
	l_save_fill(L, &st, l_tsc_khz());
	l_log(L, "save: paused; writing %llu MiB of RAM and %u vCPU(s)", (unsigned long long)(L->mem_size >> 20),
	      st.nvcpu);
	if (xsr_write(out, &st, L->ram, save_progress, &pr, err, sizeof(err))) {
		l_log(L, "save failed: %s; the guest runs on", err);
		l_save_resume(L, was_paused);
		l_reply(fd, "error %s", err);
		goto out;
	}
	l_reply(fd, "ok");
	if (!l_save_wait_commit(fd)) {
		l_log(L, "save: the client did not commit the file; the guest runs on");
		/*
		 * (`domus save` killed, say.)  Its file has no name (O_TMPFILE)
		 * and goes with our descriptor; it is left as it is: killed
		 * between linking it in and "commit", the client leaves a
		 * complete file at its name, as a save -c would.
		 */
		l_save_resume(L, was_paused);
		goto out;
	}
	if (keep) {
		l_log(L, "saved (the guest runs on: save -c)");
		l_save_resume(L, was_paused);
		l_reply(fd, "ok");
	} else {
		l_log(L, "saved");
		l_reply(fd, "ok");
		l_destroy(L, "saved");
	}
out:
	if (out >= 0)
		close(out);
	free((char *)st.config);
	free(st.vcpu);
	return false;
}

/* --- restore ------------------------------------------------------------------ */

/* Before anything exists: the file, validated; the definition from it. */
int l_restore_open(struct launcher *L, const char *path, char *err, size_t errlen)
{
	struct xsr_state st;
	struct stat sb;
	char e[512];
	void *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno)), -1;
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || !sb.st_size) {
		close(fd);
		return snprintf(err, errlen, "%s: not a save file (empty, or not a regular file)", path), -1;
	}
	p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return snprintf(err, errlen, "cannot map %s: %s", path, strerror(errno)), -1;
	L->restore_buf = p;
	L->restore_len = (size_t)sb.st_size;
	if (xsr_read(p, L->restore_len, 0, NULL, &st, e, sizeof(e)))
		return snprintf(err, errlen, "%s: %s", path, e), -1;
	if (domus_config_parse(&L->cfg, st.config, st.config_len - 1, path, err, errlen)) {
		xsr_state_free(&st);
		return -1;
	}
	xsr_state_free(&st);
	return 0;
}

/* After the config is finished: the file fits the domain it describes. */
int l_restore_check(struct launcher *L, char *err, size_t errlen)
{
	struct xsr_state st;
	char e[512];

	if (xsr_read(L->restore_buf, L->restore_len, L->mem_size, NULL, &st, e, sizeof(e)))
		return snprintf(err, errlen, "%s", e), -1;
	if (st.nvcpu != L->cfg.maxvcpus) {
		snprintf(err, errlen, "the file has %u vCPU(s), its config %u", st.nvcpu, L->cfg.maxvcpus);
		xsr_state_free(&st);
		return -1;
	}
	if (L->cfg.type != DOMUS_TYPE_HVM && st.nvcpu > 1 && !st.has_lifecycle) {
		xsr_state_free(&st);
		return snprintf(err, errlen, "the file holds a PVH guest of %u vCPUs without their lifecycle entries (which run, which wait): not a file of this domus",
				st.nvcpu), -1;
	}
	xsr_state_free(&st);
	return 0;
}

/* In dom_build, in place of the kernel: RAM now, vCPUs and devices later. */
int l_restore_ram(struct launcher *L, struct xsr_state *st, char *err, size_t errlen)
{
	char e[512];

	if (xsr_read(L->restore_buf, L->restore_len, L->mem_size, L->ram, st, e, sizeof(e)))
		return snprintf(err, errlen, "restore: %s", e), -1;
	return 0;
}

int l_restore_vcpus(struct launcher *L, struct xsr_state *st, char *err, size_t errlen)
{
	unsigned int i, k;
	int r;

	for (i = 0; i < st->nvcpu && i < L->nvcpu; i++) {
		struct xsr_vcpu *v = &st->vcpu[i];
		struct domus_vcpu_handle *h = &L->vcpu[i].v;
		struct domus_msr_entry e[NMSRS];
		struct domus_sregs cur;

		if (!v->sregs.apic_base && domus_get_sregs(h, &cur) == 0)
			v->sregs.apic_base = cur.apic_base;
		memset(e, 0, sizeof(e));
		for (k = 0; k < NMSRS; k++) {
			e[k].index = vcpu_msrs[k];
			e[k].data = *msr_slot(v, k);
		}
		if (domus_set_sregs(h, &v->sregs) || domus_set_regs(h, &v->regs) ||
		    domus_set_fpu(h, &v->fpu) || domus_set_events(h, &v->events))
			return snprintf(err, errlen, "restore: vCPU %u: %s", i, domus_last_error()), -1;
		r = domus_set_msrs(h, e, NMSRS);
		if (r != (int)NMSRS)
			return snprintf(err, errlen, "restore: vCPU %u: MSR 0x%x: %s", i, r >= 0 ? e[r].index : 0,
					r < 0 ? domus_last_error() : "value refused"), -1;
		if (v->tsc_aux && domus_set_msr(h, 0xc0000103, v->tsc_aux))
			return snprintf(err, errlen, "restore: vCPU %u: TSC_AUX: %s", i, domus_last_error()), -1;
		/* PVH: the x2APIC, after the APIC base (x2APIC mode) above */
		for (k = 0; st->has_apic && k < v->apic.count; k++)
			if (domus_set_msr(h, v->apic.msr[k].index, v->apic.msr[k].value))
				return snprintf(err, errlen, "restore: vCPU %u: APIC MSR 0x%x = 0x%llx: %s", i,
						v->apic.msr[k].index, (unsigned long long)v->apic.msr[k].value,
						domus_last_error()), -1;
		/* PVH: running, waiting for its STARTUP, or stopped, as it was */
		if (st->has_lifecycle && domus_xen_vcpu_state(L->domfd, i, &v->lifecycle, true))
			return snprintf(err, errlen, "restore: vCPU %u: %s", i, domus_last_error()), -1;
	}
	if (st->has_dm) {
		L->dm.uart.ier = st->dm.uart[0];
		L->dm.uart.lcr = st->dm.uart[1];
		L->dm.uart.mcr = st->dm.uart[2];
		L->dm.uart.scr = st->dm.uart[3];
		L->dm.uart.dll = st->dm.uart[4];
		L->dm.uart.dlm = st->dm.uart[5];
		L->dm.uart.fcr = st->dm.uart[6];
		L->test_exit_code = st->dm.test_exit_code;
	}
	return 0;
}

/* After the first build: the file is not needed again (a reboot boots the kernel). */
void l_restore_done(struct launcher *L)
{
	if (L->restore_buf)
		munmap(L->restore_buf, L->restore_len);
	L->restore_buf = NULL;
	L->restore_len = 0;
}
