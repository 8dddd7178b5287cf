// SPDX-License-Identifier: MIT
/*
 * The launcher's capped, rotated log files (userland/ctl/logfile.c): a
 * guest that prints without end fills at most (1 + keep) files of the cap;
 * the newest bytes are always in NAME.log, nothing is lost before the
 * oldest kept file, and the settings come from the environment; where
 * the logs are (domus_log_path) and the launcher's last words in them.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "ctl.h"
#include "unit.h"

static char dir[64];

static long long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : (long long)st.st_size;
}

/* The file's bytes (NUL-terminated, malloc'd), or NULL. */
static char *slurp(const char *path)
{
	long long n = file_size(path);
	FILE *f = fopen(path, "r");
	char *b = n >= 0 ? malloc((size_t)n + 1) : NULL;

	if (!f || !b || fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	} else {
		b[n] = 0;
	}
	if (f)
		fclose(f);
	return b;
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/domus-logtest.XXXXXX");
	if (!mkdtemp(dir))
		dir[0] = 0;
}

static void cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (dir[0] && system(cmd)) {
		/* leftovers in /tmp */
	}
}

/* 100 numbered lines of 100 bytes per round; a 4 KiB cap, 3 kept. */
static void rotation(void)
{
	struct domus_log l;
	char path[128], old[160], line[101];
	unsigned int i, k;
	unsigned long total = 0;

	setup();
	snprintf(path, sizeof(path), "%s/g-console.log", dir);
	domus_log_init(&l);
	EXPECT(domus_log_open(&l, path, 4096, 3) == 0);
	for (i = 0; i < 1000; i++) {
		snprintf(line, sizeof(line), "%08u %090u\n", i, 0);
		domus_log_write(&l, line, 100);
		total += 100;
	}
	/* 100,000 bytes: 24 full files of 4096 before the current one */
	EXPECT(l.rotations == 24);
	EXPECT(file_size(path) == (long long)(total - 24 * 4096));
	for (k = 1; k <= 3; k++) {
		snprintf(old, sizeof(old), "%s.%u", path, k);
		EXPECT(file_size(old) == 4096);
	}
	snprintf(old, sizeof(old), "%s.4", path);
	EXPECT(file_size(old) == -1);		/* only 3 kept */
	/* .3 .2 .1 and the current file are exactly the newest bytes written */
	{
		char *all = malloc(total + 1), *kept = malloc(total + 1), *f;
		size_t kl = 0, fl;

		for (i = 0; all && i < 1000; i++)
			snprintf(all + i * 100, 101, "%08u %090u\n", i, 0);
		for (k = 3; kept && k <= 3; k--) {	/* .3 .2 .1, then k = 0: current */
			if (k)
				snprintf(old, sizeof(old), "%s.%u", path, k);
			f = slurp(k ? old : path);
			EXPECT(f != NULL);
			fl = f ? strlen(f) : 0;
			if (f && kl + fl <= total) {
				memcpy(kept + kl, f, fl);
				kl += fl;
			}
			free(f);
		}
		EXPECT(kl == 3 * 4096 + total - 24 * 4096);
		EXPECT(all && kept && kl <= total && !memcmp(kept, all + total - kl, kl));
		free(all);
		free(kept);
	}
	domus_log_close(&l);

	/* a new run: the old current log becomes .1, the new one starts empty */
	domus_log_init(&l);
	EXPECT(domus_log_open(&l, path, 4096, 3) == 0);
	EXPECT(file_size(path) == 0);
	snprintf(old, sizeof(old), "%s.1", path);
	EXPECT(file_size(old) == (long long)(total - 24 * 4096));
	domus_log_close(&l);
	cleanup();
}

/*
 * Rotation cannot rename the running log (a directory sits at NAME.log.1):
 * writing goes on in it past the cap; nothing is truncated or lost.
 * Then the new file cannot be created: writing goes on in the renamed one.
 */
static void never_lost(void)
{
	struct domus_log l;
	char path[128], old[160];
	unsigned int i;

	setup();
	snprintf(path, sizeof(path), "%s/g.log", dir);
	snprintf(old, sizeof(old), "%s.1", path);
	domus_log_init(&l);
	EXPECT(domus_log_open(&l, path, 4096, 1) == 0);
	EXPECT(mkdir(old, 0700) == 0);
	for (i = 0; i < 3 * 4096 + 1; i++)
		domus_log_write(&l, "b", 1);
	EXPECT(l.fd >= 0 && l.rotations == 0);
	EXPECT(file_size(path) == 3 * 4096 + 1);
	domus_log_close(&l);
	/* reopened: appended to, not truncated, since it cannot move */
	domus_log_init(&l);
	EXPECT(domus_log_open(&l, path, 4096, 1) == 0);
	domus_log_write(&l, "c", 1);
	EXPECT(file_size(path) == 3 * 4096 + 2);
	domus_log_close(&l);
	EXPECT(rmdir(old) == 0);
	cleanup();
}

static void no_cap(void)
{
	struct domus_log l;
	char path[128], buf[1000];
	unsigned int i;

	setup();
	snprintf(path, sizeof(path), "%s/g.log", dir);
	memset(buf, 'x', sizeof(buf));
	domus_log_init(&l);
	EXPECT(domus_log_open(&l, path, 0, 4) == 0);
	for (i = 0; i < 100; i++)
		domus_log_write(&l, buf, sizeof(buf));
	EXPECT(file_size(path) == 100000 && l.rotations == 0);
	domus_log_close(&l);
	/* writes to a log never opened go nowhere */
	domus_log_init(&l);
	domus_log_write(&l, buf, 10);
	EXPECT(l.size == 0);
	cleanup();
}

static void settings(void)
{
	unsigned long long max;
	unsigned int keep;
	char err[200];

	unsetenv("DOMUS_LOG_SIZE");
	unsetenv("DOMUS_LOG_KEEP");
	EXPECT(domus_log_settings(&max, &keep, err, sizeof(err)) == 0);
	EXPECT(max == 1u << 20 && keep == 4);
	setenv("DOMUS_LOG_SIZE", "64K", 1);
	setenv("DOMUS_LOG_KEEP", "9", 1);
	EXPECT(domus_log_settings(&max, &keep, err, sizeof(err)) == 0);
	EXPECT(max == 65536 && keep == 9);
	setenv("DOMUS_LOG_SIZE", "0", 1);
	EXPECT(domus_log_settings(&max, &keep, err, sizeof(err)) == 0 && max == 0);
	setenv("DOMUS_LOG_SIZE", "12x", 1);
	EXPECT(domus_log_settings(&max, &keep, err, sizeof(err)) == -1);
	EXPECT(max == 1u << 20 && strstr(err, "DOMUS_LOG_SIZE") && strstr(err, "K, M or G"));
	setenv("DOMUS_LOG_SIZE", "100", 1);	/* below 4K */
	EXPECT(domus_log_settings(&max, &keep, err, sizeof(err)) == -1 && max == 1u << 20);
	setenv("DOMUS_LOG_SIZE", "99999999G", 1);
	EXPECT(domus_log_settings(&max, &keep, err, sizeof(err)) == -1);
	setenv("DOMUS_LOG_SIZE", "2M", 1);
	setenv("DOMUS_LOG_KEEP", "0", 1);
	EXPECT(domus_log_settings(&max, &keep, err, sizeof(err)) == -1);
	EXPECT(max == 2u << 20 && keep == 4 && strstr(err, "DOMUS_LOG_KEEP"));
	unsetenv("DOMUS_LOG_SIZE");
	unsetenv("DOMUS_LOG_KEEP");
}

/* domus rename: the open log and its rotated files move; writes follow */
static void renamed(void)
{
	struct domus_log l;
	char path[128], to[128], f[160];
	char *b;

	setup();
	snprintf(path, sizeof(path), "%s/a.log", dir);
	snprintf(to, sizeof(to), "%s/b.log", dir);
	domus_log_init(&l);
	EXPECT(domus_log_open(&l, path, 64, 2) == 0);
	domus_log_write(&l, "0123456789012345678901234567890123456789012345678901234567890123", 64);
	domus_log_write(&l, "second\n", 7);		/* a.log.1 is the first 64 bytes */
	EXPECT(domus_log_rename(&l, to) == 0);
	domus_log_write(&l, "third\n", 6);
	EXPECT(file_size(path) == -1);
	snprintf(f, sizeof(f), "%s.1", path);
	EXPECT(file_size(f) == -1);
	snprintf(f, sizeof(f), "%s.1", to);
	EXPECT(file_size(f) == 64);
	b = slurp(to);
	EXPECT(b && !strcmp(b, "second\nthird\n"));
	free(b);
	EXPECT(!strcmp(l.path, to));
	domus_log_close(&l);
	cleanup();
}

/* domus_launcher_death (ctl.c): what a console client says once the
 * launcher it was attached to is gone, read from the launcher's log */
static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void launcher_death(void)
{
	char d[64] = "/tmp/unit-death.XXXXXX", path[128], msg[600];
	pid_t gone;
	int st;

	EXPECT(mkdtemp(d) != NULL);
	setenv("DOMUS_RUN_DIR", d, 1);
	setenv("DOMUS_LOG_DIR", d, 1);
	gone = fork();	/* a pid that no longer runs */
	if (gone == 0)
		_exit(0);
	EXPECT(waitpid(gone, &st, 0) == gone);
	snprintf(path, sizeof(path), "%s/g.pid", d);
	snprintf(msg, sizeof(msg), "%d\n", (int)gone);
	write_file(path, msg);
	snprintf(path, sizeof(path), "%s/g.log", d);
	write_file(path, "2026-12-06 09:00:00 blk xvda2: connected (1 ring page)\n"
		   "2026-12-06 09:00:01 launcher: killed by the sandbox: system call 219 (restart_syscall) is not in the seccomp allow-list (thread 7); the launcher ends (signal 31); a legitimate path needs a row in sb_rules (sandbox.c)\n");
	EXPECT(domus_launcher_death("g", msg, sizeof(msg)) == 1);
	EXPECT(!strncmp(msg, "the launcher of g died (signal 31): launcher: killed by the sandbox: system call 219 (restart_syscall)", 100));
	write_file(path, "2026-12-06 09:00:01 launcher: fatal signal 11 (SIGSEGV) in thread 7 at address 0x8 (code 1); the launcher ends (signal 11)\n");
	EXPECT(domus_launcher_death("g", msg, sizeof(msg)) == 1);
	EXPECT(strstr(msg, "died (signal 11): launcher: fatal signal 11 (SIGSEGV)") != NULL);
	/* no last words, the pid file left: SIGKILL */
	write_file(path, "2026-12-06 09:00:00 domain 3 (g) running\n");
	EXPECT(domus_launcher_death("g", msg, sizeof(msg)) == 1);
	EXPECT(strstr(msg, "died without a word") != NULL);
	/* a clean end: said so, or no pid file left */
	write_file(path, "2026-12-06 09:00:00 destroying domain 3 (on_* = destroy)\n");
	EXPECT(domus_launcher_death("g", msg, sizeof(msg)) == 0);
	snprintf(path, sizeof(path), "%s/g.pid", d);
	unlink(path);
	snprintf(path, sizeof(path), "%s/g.log", d);
	write_file(path, "2026-12-06 09:00:00 domain 3 (g) running\n");
	EXPECT(domus_launcher_death("g", msg, sizeof(msg)) == 0);
	unlink(path);
	rmdir(d);
}

/* where a domain's logs are: the log directory, else RUN_DIR/log (the
 * launcher's fallback), and the death line read from there too */
static void log_paths(void)
{
	char d[64] = "/tmp/unit-logs.XXXXXX", path[128], msg[600], small[16];

	setenv("DOMUS_LOG_DIR", "/var/log/dx", 1);
	setenv("DOMUS_RUN_DIR", "/run/dx", 1);
	EXPECT(domus_log_dir_at(0, path, sizeof(path)) == 0 && !strcmp(path, "/var/log/dx"));
	EXPECT(domus_log_dir_at(1, path, sizeof(path)) == 0 && !strcmp(path, "/run/dx/log"));
	EXPECT(domus_log_dir_at(DOMUS_LOG_DIRS, path, sizeof(path)) == -ENOENT);
	EXPECT(domus_log_path(path, sizeof(path), 0, "web", ".log") == 0 && !strcmp(path, "/var/log/dx/web.log"));
	EXPECT(domus_log_path(path, sizeof(path), 1, "web", "-console.log") == 0 &&
	       !strcmp(path, "/run/dx/log/web-console.log"));
	EXPECT(domus_log_path(path, sizeof(path), 2, "web", ".log") == -ENOENT);
	EXPECT(domus_log_path(small, sizeof(small), 0, "web", ".log") == -ENAMETOOLONG);	/* 19 bytes and its NUL */
	EXPECT(domus_log_path(small, sizeof(small), 1, "a-long-name", ".log") == -ENAMETOOLONG);

	/* the fallback directory holds the last words */
	EXPECT(mkdtemp(d) != NULL);
	setenv("DOMUS_RUN_DIR", d, 1);
	setenv("DOMUS_LOG_DIR", "/nonexistent/domus-log", 1);
	snprintf(path, sizeof(path), "%s/log", d);
	EXPECT(mkdir(path, 0700) == 0);
	snprintf(path, sizeof(path), "%s/log/h.log", d);
	write_file(path, "2026-12-06 09:00:01 launcher: fatal signal 7 (SIGBUS) in thread 9 at address 0x10 (code 2); the launcher ends (signal 7)\n");
	EXPECT(domus_launcher_death("h", msg, sizeof(msg)) == 1 && strstr(msg, "died (signal 7): launcher: fatal signal 7"));
	unlink(path);
	snprintf(path, sizeof(path), "%s/log", d);
	rmdir(path);
	rmdir(d);
	unsetenv("DOMUS_LOG_DIR");
	unsetenv("DOMUS_RUN_DIR");
}

int main(void)
{
	RUN(UNIT_PREFIX, rotation);
	RUN(UNIT_PREFIX, renamed);
	RUN(UNIT_PREFIX, never_lost);
	RUN(UNIT_PREFIX, no_cap);
	RUN(UNIT_PREFIX, settings);
	RUN(UNIT_PREFIX, launcher_death);
	RUN(UNIT_PREFIX, log_paths);
	return unit_failed;
}
