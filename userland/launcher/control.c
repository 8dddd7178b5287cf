// SPDX-License-Identifier: MIT
/*
 * domus-launcher: memory and vCPU requests (docs/launcher.md, docs/pv.md).
 *
 *   mem-set KIB      memory/target in the guest's xenstore; the guest's
 *                    balloon driver gives frames back or takes them again
 *                    (the module releases them: module/reserve.c)
 *   mem-max KIB      the ceiling: the module's cap on repopulation
 *                    (DOMUS_SET_MEM_LIMIT).  memory/static-max stays the
 *                    boot size: the guest takes static-max minus the RAM
 *                    it booted with as already ballooned out (pv-devices
 *                    6.1), and it can only take back frames of its boot RAM
 *   vcpu-set N       cpu/<i>/availability: online below N, offline above
 *   vcpu-pin V CPUS  the host CPUs of vCPU V's thread (it calls
 *                    sched_setaffinity itself when kicked)
 *   vcpu-list        one "ID/CPU/STATE/TIME/AFFINITY" token per vCPU
 *   rename NEW       the domain's name: NEW.lock taken (refused if held),
 *                    the socket, pid file and logs renamed, xenstore's
 *                    name node rewritten; the old lock let go
 *   pause, unpause   every vCPU thread parks outside DOMUS_RUN (kicked out
 *                    of it), or goes on; the answer to pause comes once all
 *                    have parked, so no guest code runs after it.  Back ends,
 *                    timers and event channels go on, as under Xen.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/file.h>
#include "launcher.h"

/* A decimal number that is the whole of @s, or -1. */
static long long number(const char *s)
{
	char *end;
	long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	return errno || *end ? -1 : v;
}

uint64_t l_outside_ram_bytes(const struct launcher *L)
{
	if (L->cfg.type != DOMUS_TYPE_HVM)
		return DOMUS_PVH_SPECIAL_SIZE;
	if (!L->cfg.firmware)
		return 0;
	return L->fw_size + (l_pvhvm(L) ? DOMUS_PVH_SPECIAL_SIZE : 0);
}

static uint64_t special_pages(const struct launcher *L)
{
	return l_outside_ram_bytes(L) >> 12;
}

/* Once, before the first build: from the config. */
void l_mem_init(struct launcher *L)
{
	L->maxmem_kib = L->cfg.maxmem_mib * 1024;
	L->vcpus_online = L->cfg.vcpus;
	L->affinity = L->cfg.cpus;	/* owned by the config */
}

/* The domain's module cap (at every build and on mem-max). */
int l_mem_apply_max(struct launcher *L)
{
	return domus_set_mem_limit(L->domfd, L->maxmem_kib / 4 + special_pages(L));
}

int l_mem_set(struct launcher *L, const char *arg, char *msg, size_t len)
{
	long long kib = number(arg);
	char v[32];
	int r;

	if (kib < 0)
		return snprintf(msg, len, "memory target '%.40s' is not a number of KiB", arg), -1;
	if ((uint64_t)kib > L->maxmem_kib)
		return snprintf(msg, len, "memory target %lld MiB is above maxmem (%" PRIu64 " MiB): raise it first with 'domus mem-max'",
				kib >> 10, L->maxmem_kib >> 10), -1;
	if ((uint64_t)kib < DOMUS_CFG_MIN_MEM_MIB * 1024)
		return snprintf(msg, len, "memory target %lld KiB is below the %u MiB a guest needs",
				kib, DOMUS_CFG_MIN_MEM_MIB), -1;
	if (!L->xs)
		return snprintf(msg, len, "the guest has no xenstore: no balloon to drive"), -1;
	snprintf(v, sizeof(v), "%lld", kib);
	r = xs_write(L->xs, "memory/target", v);
	if (r)
		return snprintf(msg, len, "cannot write memory/target: %s", strerror(-r)), -1;
	L->target_kib = (uint64_t)kib;
	l_log(L, "memory target %lld KiB (memory/target)", kib);
	msg[0] = 0;
	if ((uint64_t)kib > L->cfg.memory_mib * 1024)
		snprintf(msg, len, "note: the guest can take back memory up to its boot size (%llu MiB) only; growing beyond it is not supported yet",
			 (unsigned long long)L->cfg.memory_mib);
	return 0;
}

int l_mem_max(struct launcher *L, const char *arg, char *msg, size_t len)
{
	long long kib = number(arg);
	uint64_t old = L->maxmem_kib;

	if (kib < 0)
		return snprintf(msg, len, "maximum memory '%.40s' is not a number of KiB", arg), -1;
	if ((uint64_t)kib < DOMUS_CFG_MIN_MEM_MIB * 1024 || (uint64_t)kib > DOMUS_CFG_MAX_MEM_MIB * 1024ULL)
		return snprintf(msg, len, "maximum memory %lld MiB is out of range: give %u to %u MiB",
				kib >> 10, DOMUS_CFG_MIN_MEM_MIB, DOMUS_CFG_MAX_MEM_MIB), -1;
	L->maxmem_kib = (uint64_t)kib;
	if (l_mem_apply_max(L)) {
		L->maxmem_kib = old;
		return snprintf(msg, len, "cannot set the maximum: %s", domus_last_error()), -1;
	}
	l_log(L, "maximum memory %lld KiB", kib);
	return 0;
}

/* cpu/<i>/availability for every vCPU: online below @n. */
int l_vcpu_avail(struct launcher *L, unsigned int n)
{
	char p[48];
	unsigned int i;
	int r = 0;

	for (i = 0; !r && i < L->cfg.maxvcpus; i++) {
		snprintf(p, sizeof(p), "cpu/%u/availability", i);
		r = xs_write(L->xs, p, i < n ? "online" : "offline");
	}
	return r;
}

int l_vcpu_set(struct launcher *L, const char *arg, char *msg, size_t len)
{
	long long n = number(arg);
	int r;

	if (n < 1 || n > L->cfg.maxvcpus)
		return snprintf(msg, len, "'%.40s' vCPUs: give 1 to %u (maxvcpus)", arg, L->cfg.maxvcpus), -1;
	if (!L->xs)
		return snprintf(msg, len, "the guest has no xenstore: cannot change its vCPUs"), -1;
	r = l_vcpu_avail(L, (unsigned int)n);
	if (r)
		return snprintf(msg, len, "cannot write cpu/N/availability: %s", strerror(-r)), -1;
	L->vcpus_online = (unsigned int)n;
	l_log(L, "vCPUs online: %lld of %u (cpu/N/availability)", n, L->cfg.maxvcpus);
	return 0;
}

static void to_cpu_set(const struct domus_cpuset *s, cpu_set_t *cs)
{
	unsigned int c;

	CPU_ZERO(cs);
	for (c = 0; c < DOMUS_CPUSET_MAX && c < CPU_SETSIZE; c++)
		if (domus_cpuset_has(s, c))
			CPU_SET(c, cs);
}

/* The vCPU thread's own affinity at its start (cpus= or an earlier pin). */
void l_vcpu_apply_affinity(struct launcher *L, unsigned int id)
{
	cpu_set_t cs;

	if (!L->affinity || id >= L->cfg.maxvcpus)
		return;
	to_cpu_set(&L->affinity[id], &cs);
	if (sched_setaffinity(0, sizeof(cs), &cs))
		l_log(L, "vCPU %u: cannot set its CPU affinity: %s", id, strerror(errno));
}

int l_vcpu_pin(struct launcher *L, const char *arg, char *msg, size_t len)
{
	char vs[16], why[160];
	const char *sp = strchr(arg, ' ');
	struct domus_cpuset set;
	unsigned int lo, hi, i;
	long long v;
	cpu_set_t cs, cs2;
	int k;

	if (!sp || (size_t)(sp - arg) >= sizeof(vs))
		return snprintf(msg, len, "give a vCPU (or all) and a CPU list"), -1;
	memcpy(vs, arg, sp - arg);
	vs[sp - arg] = 0;
	if (!strcmp(vs, "all")) {
		lo = 0;
		hi = L->cfg.maxvcpus - 1;
	} else {
		v = number(vs);
		if (v < 0 || v >= L->cfg.maxvcpus)
			return snprintf(msg, len, "vCPU '%s' does not exist: give 0 to %u or all", vs,
					L->cfg.maxvcpus - 1), -1;
		lo = hi = (unsigned int)v;
	}
	if (domus_cpuset_parse(sp + 1, &set, why, sizeof(why)))
		return snprintf(msg, len, "%s", why), -1;
	to_cpu_set(&set, &cs);
	/* no CPU of the set is usable here: refuse before any thread takes it */
	if (sched_getaffinity(0, sizeof(cs2), &cs2) == 0) {
		CPU_AND(&cs2, &cs2, &cs);
		if (!CPU_COUNT(&cs2))
			return snprintf(msg, len, "no CPU of '%.40s' is online here", sp + 1), -1;
	}
	if (!L->affinity) {
		L->affinity = calloc(L->cfg.maxvcpus, sizeof(*L->affinity));
		if (!L->affinity)
			return snprintf(msg, len, "out of memory"), -1;
		for (i = 0; i < L->cfg.maxvcpus; i++)
			memset(L->affinity[i].bits, 0xff, sizeof(L->affinity[i].bits));
		L->cfg.cpus = L->affinity;	/* freed with the config */
	}
	/*
	 * Each vCPU thread sets its own affinity (the syscall filter allows
	 * only pid 0): kicked out of DOMUS_RUN, it applies the new set before
	 * it enters again.  Wait up to 1 s so vcpu-list shows it.
	 */
	pthread_mutex_lock(&L->lock);
	for (i = lo; i <= hi; i++) {
		struct l_vcpu *t = i < L->nvcpu ? &L->vcpu[i] : NULL;

		L->affinity[i] = set;
		if (t && t->started && !t->exited) {
			atomic_store(&t->repin, 1);
			pthread_kill(t->th, SIGUSR1);
		}
	}
	pthread_cond_broadcast(&L->pause_cv);	/* a parked thread repins too */
	pthread_mutex_unlock(&L->lock);
	for (k = 0; k < 1000; k++) {
		bool pending = false;

		for (i = lo; i <= hi && i < L->nvcpu; i++)
			pending |= atomic_load(&L->vcpu[i].repin) && !L->vcpu[i].exited;
		if (!pending)
			break;
		usleep(1000);
	}
	l_log(L, "vCPU %s pinned to CPUs %s", vs, sp + 1);
	return 0;
}

/* --- rename ----------------------------------------------------------------- */

/* @path with its file name's @old part replaced: DIR/OLD.log -> DIR/NEW.log */
static int renamed_path(const char *path, const char *old, const char *new, char *out, size_t len)
{
	const char *base = strrchr(path, '/');
	size_t dir = base ? (size_t)(base - path) + 1 : 0;

	if (strncmp(path + dir, old, strlen(old)))
		return -EINVAL;
	if ((size_t)snprintf(out, len, "%.*s%s%s", (int)dir, path, new, path + dir + strlen(old)) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int l_rename(struct launcher *L, const char *new, char *msg, size_t len)
{
	char sock[sizeof(L->sock_path)], pid[sizeof(L->pid_path)], lock[4096];
	char log[DOMUS_LOG_PATH_MAX], conlog[DOMUS_LOG_PATH_MAX], old[DOMUS_CFG_NAME_MAX + 1];
	int fd;

	if (!domus_config_name_ok(new))
		return snprintf(msg, len, "'%.80s' is not a usable name: 1-%d letters, digits, '-', '_' or '.', not all digits, not starting with '-' or '.'",
				new, DOMUS_CFG_NAME_MAX), -1;
	if (!strcmp(new, L->cfg.name))
		return 0;
	if (domus_run_path(sock, sizeof(sock), new, ".sock") || domus_run_path(pid, sizeof(pid), new, ".pid") ||
	    renamed_path(L->log.path, L->cfg.name, new, log, sizeof(log)) ||
	    renamed_path(L->conlog.path, L->cfg.name, new, conlog, sizeof(conlog)))
		return snprintf(msg, len, "the paths for '%s' are too long", new), -1;
	snprintf(lock, sizeof(lock), "%s/%s.lock", domus_run_dir(), new);
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return snprintf(msg, len, "cannot create %s: %s", lock, strerror(errno)), -1;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		close(fd);
		return snprintf(msg, len, "domain %s already exists", new), -1;
	}
	if (rename(L->sock_path, sock)) {
		snprintf(msg, len, "cannot rename %s: %s", L->sock_path, strerror(errno));
		close(fd);
		return -1;
	}
	if (rename(L->pid_path, pid))
		l_log(L, "rename: cannot rename %s: %s", L->pid_path, strerror(errno));
	snprintf(L->sock_path, sizeof(L->sock_path), "%s", sock);
	snprintf(L->pid_path, sizeof(L->pid_path), "%s", pid);
	if (L->log.fd >= 0 && domus_log_rename(&L->log, log))
		l_log(L, "rename: the log stays %s", L->log.path);
	snprintf(L->log_path, sizeof(L->log_path), "%s", L->log.path);
	if (L->conlog.fd >= 0 && domus_log_rename(&L->conlog, conlog))
		l_log(L, "rename: the console log stays %s", L->conlog.path);
	snprintf(old, sizeof(old), "%s", L->cfg.name);
	pthread_mutex_lock(&L->lock);
	snprintf(L->cfg.name, sizeof(L->cfg.name), "%s", new);
	pthread_mutex_unlock(&L->lock);
	if (L->xs && xs_write(L->xs, "name", new))
		l_log(L, "rename: cannot write xenstore's name node");
	close(L->lock_fd);	/* the old name is free from here */
	L->lock_fd = fd;
	l_log(L, "renamed from %s to %s", old, new);
	return 0;
}

/* --- pause ------------------------------------------------------------------ */

/* A vCPU thread, before each entry: wait here while the domain is paused. */
void l_vcpu_park(struct l_vcpu *t)
{
	struct launcher *L = t->L;

	pthread_mutex_lock(&L->lock);
	if (L->paused && !atomic_load(&t->stop)) {
		L->parked++;
		pthread_cond_broadcast(&L->pause_cv);
		while (L->paused && !atomic_load(&t->stop)) {
			if (atomic_exchange(&t->repin, 0))
				l_vcpu_apply_affinity(L, t->v.id);
			pthread_cond_wait(&L->pause_cv, &L->lock);
		}
		L->parked--;
	}
	pthread_mutex_unlock(&L->lock);
}

/* Threads that are running and not parked yet (under L->lock). */
static unsigned int unparked(struct launcher *L)
{
	unsigned int i, live = 0;

	for (i = 0; i < L->nvcpu; i++)
		if (L->vcpu[i].started && !L->vcpu[i].exited)
			live++;
	return live > L->parked ? live - L->parked : 0;
}

int l_pause(struct launcher *L, bool pause, char *msg, size_t len)
{
	struct timespec until;
	unsigned int i;
	int r = 0;

	pthread_mutex_lock(&L->lock);
	if (L->state != L_RUNNING) {
		pthread_mutex_unlock(&L->lock);
		return snprintf(msg, len, "%s is not running", L->cfg.name), -1;
	}
	/* unpausing a domain that is not paused is an error, as in Xen
	 * (EINVAL); pausing a paused one is not (Xen nests it; here it stays
	 * paused once) */
	if (!pause && !L->paused) {
		pthread_mutex_unlock(&L->lock);
		return snprintf(msg, len, "not paused: it runs ('domus pause %s' pauses it)", L->cfg.name), -1;
	}
	if (!pause) {
		L->paused = false;
		pthread_cond_broadcast(&L->pause_cv);
		pthread_mutex_unlock(&L->lock);
		l_log(L, "unpaused");
		return 0;
	}
	L->paused = true;
	/* kick each thread out of DOMUS_RUN (a halted or waiting vCPU too) */
	for (i = 0; i < L->nvcpu; i++)
		if (L->vcpu[i].started && !L->vcpu[i].exited)
			pthread_kill(L->vcpu[i].th, SIGUSR1);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	while (unparked(L) && L->paused && r == 0) {
		struct timespec next;

		/* a kick can land just before DOMUS_RUN: repeat it every 10 ms */
		clock_gettime(CLOCK_REALTIME, &next);
		next.tv_nsec += 10 * 1000 * 1000;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&L->pause_cv, &L->lock, &next);
		for (i = 0; i < L->nvcpu; i++)
			if (L->vcpu[i].started && !L->vcpu[i].exited)
				pthread_kill(L->vcpu[i].th, SIGUSR1);
		if (next.tv_sec > until.tv_sec ||
		    (next.tv_sec == until.tv_sec && next.tv_nsec >= until.tv_nsec))
			r = -1;
	}
	pthread_mutex_unlock(&L->lock);
	if (r) {
		l_log(L, "pause: a vCPU thread did not stop within 5 s");
		return snprintf(msg, len, "a vCPU did not stop within 5 s (the domain stays marked paused; see its log)"), -1;
	}
	l_log(L, "paused");
	return 0;
}

/* " ID/CPU/STATE/TIME/AFFINITY" per vCPU (CPU "-" and state "--p" when offline). */
int l_vcpu_list(struct launcher *L, char *out, size_t len)
{
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	size_t n = 0;
	unsigned int i;

	out[0] = 0;
	pthread_mutex_lock(&L->lock);
	for (i = 0; i < L->nvcpu && n < len; i++) {
		struct l_vcpu *t = &L->vcpu[i];
		char path[64], buf[512], aff[160] = "all", cpu[16] = "-", state[4] = "--p";
		double secs = 0;
		cpu_set_t cs;
		FILE *f;

		if (t->started && !t->exited && t->tid) {
			snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)t->tid);
			f = fopen(path, "re");
			if (f) {
				char *p, st = 0;
				unsigned long long ut = 0, stime = 0;
				int proc = -1;

				if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) &&
				    sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %*u %*u %*d %*u %*u %*u %*u %*u %*u %*u %*u %*u %*u %*u %*u %*u %*d %d",
					   &st, &ut, &stime, &proc) == 4) {
					secs = (double)(ut + stime) / (double)sysconf(_SC_CLK_TCK);
					if (!L->xs || i < L->vcpus_online) {
						snprintf(cpu, sizeof(cpu), "%d", proc);
						snprintf(state, sizeof(state), st == 'R' ? "r--" : "-b-");
					}
				}
				fclose(f);
			}
			if (sched_getaffinity(t->tid, sizeof(cs), &cs) == 0) {
				struct domus_cpuset set;
				unsigned int c;

				memset(&set, 0, sizeof(set));
				for (c = 0; c < DOMUS_CPUSET_MAX && c < CPU_SETSIZE; c++)
					if (CPU_ISSET(c, &cs))
						set.bits[c / 64] |= 1ULL << (c % 64);
				domus_cpuset_format(&set, ncpu > 0 ? (unsigned int)ncpu : 1, aff, sizeof(aff));
			}
		}
		n += (size_t)snprintf(out + n, len - n, " %u/%s/%s/%.1f/%s", i, cpu, state, secs, aff);
	}
	pthread_mutex_unlock(&L->lock);
	return n < len ? 0 : -ENOSPC;
}
