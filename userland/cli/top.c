// SPDX-License-Identifier: MIT
/*
 * domus top [-b] [-d SECS] [-n N]: xentop's table, refreshed: per domain
 * its state, CPU seconds and share, memory and maxmem (KiB and % of the
 * host's), vCPUs, network bytes (NETTX: sent by the guest) and disk
 * requests and sectors.  -b prints plain frames for scripts (no screen
 * clearing); -n N stops after N frames (xentop's -i N is the same);
 * --json: each frame one line of JSON instead (implies -b).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "ctl.h"
#include "libdomus.h"

struct top_row {
	struct domus_dominfo d;
	unsigned long long maxmem_kib, nettx, netrx, vbd_rd, vbd_wr, rsect, wsect;
	unsigned int nets, vbds;
	double pct;
};

static volatile sig_atomic_t top_stop;

static void on_int(int sig)
{
	(void)sig;
	top_stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* MemTotal, and what is in use (MemTotal - MemAvailable), in KiB */
static unsigned long long host_mem_kib(unsigned long long *used)
{
	unsigned long long kib = domus_meminfo_kib("MemTotal"), avail = domus_meminfo_kib("MemAvailable");

	if (used)
		*used = kib > avail ? kib - avail : 0;
	return kib;
}

/* The host (as Domain-0), then the domains with their device sums;
 * the count, *out malloc'ed. */
static int top_sample(struct top_row **out)
{
	struct domus_dominfo *v;
	int n = domus_ctl_list(&v), i;
	unsigned long long used;
	struct top_row *r;

	if (n < 0)
		n = 0;
	*out = r = calloc((size_t)n + 1, sizeof(*r));
	if (!r) {
		free(v);
		return -ENOMEM;
	}
	snprintf(r[0].d.name, sizeof(r[0].d.name), "Domain-0");
	snprintf(r[0].d.state, sizeof(r[0].d.state), "-----r");
	r[0].d.cpu_time = domus_host_cpu_time();
	r[0].maxmem_kib = host_mem_kib(&used);
	r[0].d.mem_mib = used >> 10;
	r[0].d.vcpus = (unsigned int)sysconf(_SC_NPROCESSORS_ONLN);
	for (i = 0; i < n; i++) {
		char reply[DOMUS_CTL_LINE_MAX];
		struct top_row *t = &r[i + 1];

		t->d = v[i];
		t->maxmem_kib = v[i].mem_mib << 10;
		if (domus_ctl_request(v[i].name, "top", reply, sizeof(reply), 2000) == 0)
			sscanf(reply, "ok maxmem=%llu nets=%u nettx=%llu netrx=%llu vbds=%u vbd_rd=%llu vbd_wr=%llu vbd_rsect=%llu vbd_wsect=%llu",
			       &t->maxmem_kib, &t->nets, &t->nettx, &t->netrx, &t->vbds,
			       &t->vbd_rd, &t->vbd_wr, &t->rsect, &t->wsect);
	}
	free(v);
	return n + 1;
}

static void top_line(const struct top_row *r, unsigned long long host_kib)
{
	unsigned long long mem = r->d.mem_mib << 10;
	double hk = host_kib ? (double)host_kib : 1;

	printf("%10.10s %6s %10.0f %6.1f %10llu %6.1f %10llu %9.1f %5u %4u %8llu %8llu %4u %8d %8llu %8llu %10llu %10llu %4d\n",
	       r->d.name, r->d.state, r->d.cpu_time, r->pct, mem, 100.0 * (double)mem / hk,
	       r->maxmem_kib, 100.0 * (double)r->maxmem_kib / hk, r->d.vcpus, r->nets,
	       r->nettx >> 10, r->netrx >> 10, r->vbds, 0, r->vbd_rd, r->vbd_wr, r->rsect, r->wsect, 0);
}

/* One frame as one line of JSON (JSON Lines: every frame is a document). */
static void top_json(const struct top_row *r, int n, time_t t)
{
	int i;

	printf("{ \"time\": %lld, \"domains\": [", (long long)t);
	for (i = 0; i < n; i++) {
		printf("%s { \"name\": ", i ? "," : "");
		domus_json_str(r[i].d.name);
		printf(", \"domid\": %u, \"state\": ", r[i].d.id);
		domus_json_str(r[i].d.state);
		printf(", \"cpu_seconds\": %.1f, \"cpu_percent\": %.1f, \"mem_kib\": %llu, \"maxmem_kib\": %llu, "
		       "\"vcpus\": %u, \"nets\": %u, \"nettx_kib\": %llu, \"netrx_kib\": %llu, \"vbds\": %u, "
		       "\"vbd_rd\": %llu, \"vbd_wr\": %llu, \"vbd_rsect\": %llu, \"vbd_wsect\": %llu }",
		       r[i].d.cpu_time, r[i].pct, (unsigned long long)r[i].d.mem_mib << 10, r[i].maxmem_kib,
		       r[i].d.vcpus, r[i].nets, r[i].nettx >> 10, r[i].netrx >> 10, r[i].vbds,
		       r[i].vbd_rd, r[i].vbd_wr, r[i].rsect, r[i].wsect);
	}
	printf(" ] }\n");
}

int cmd_top(const struct domus_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct top_row *prev = NULL, *cur = NULL;
	double delay = 3, t_prev, t_cur;
	long frames = 0, frame;
	bool batch = false, json = false;
	int opt, np = 0, nc, i, j;
	char *end;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+bd:n:i:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'b': batch = true; break;
		case 'j': json = batch = true; break;
		case 'd':
			delay = strtod(optarg, &end);
			if (*end || !(delay >= 0.1 && delay <= 3600))
				return domus_cmd_usage_error(cmd, "-d '%s': give the seconds between frames, 0.1 to 3600", optarg);
			break;
		case 'n':
		case 'i':
			frames = strtol(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end || frames < 1)
				return domus_cmd_usage_error(cmd, "-%c '%s': give the number of frames, 1 or more", opt, optarg);
			break;
		default: return domus_cmd_bad_option(cmd, "+bd:n:i:");
		}
	}
	if (optind != argc)
		return domus_cmd_usage_error(cmd, "takes no arguments");
	signal(SIGINT, on_int);
	signal(SIGTERM, on_int);
	/* the first frame's CPU share: over a short first interval */
	np = top_sample(&prev);
	t_prev = now_s();
	usleep(500 * 1000);
	for (frame = 0; !top_stop && (!frames || frame < frames); frame++) {
		unsigned long long host_kib = host_mem_kib(NULL);
		time_t t = time(NULL);
		struct tm tm;
		char clock[16];

		nc = top_sample(&cur);
		t_cur = now_s();
		for (i = 0; i < nc; i++)
			for (j = 0; j < np; j++)
				if (cur[i].d.id == prev[j].d.id && t_cur > t_prev) {
					double p = 100.0 * (cur[i].d.cpu_time - prev[j].d.cpu_time) / (t_cur - t_prev);

					cur[i].pct = p < 0 ? 0 : p;
				}
		if (json) {
			top_json(cur, nc, t);
			goto next;
		}
		if (!batch)
			printf("\033[H\033[2J");
		strftime(clock, sizeof(clock), "%H:%M:%S", localtime_r(&t, &tm));
		printf("domus top - %s   %d domain%s\n", clock, nc > 0 ? nc - 1 : 0, nc == 2 ? "" : "s");
		printf("      NAME  STATE   CPU(sec) CPU(%%)     MEM(k) MEM(%%)  MAXMEM(k) MAXMEM(%%) VCPUS NETS NETTX(k) NETRX(k) VBDS   VBD_OO   VBD_RD   VBD_WR  VBD_RSECT  VBD_WSECT SSID\n");
		for (i = 0; i < nc; i++)
			top_line(&cur[i], host_kib);
next:
		fflush(stdout);
		free(prev);
		prev = cur;
		np = nc;
		cur = NULL;
		t_prev = t_cur;
		if (frames && frame + 1 >= frames)
			break;
		for (i = 0; i < (int)(delay * 10) && !top_stop; i++)
			usleep(100 * 1000);
	}
	free(prev);
	return 0;
}
