/* SPDX-License-Identifier: MIT */
/*
 * domus-launcher: least privilege once the domain is built (sandbox.c,
 * docs/launcher.md "Least privilege").
 */
#ifndef DOMUS_LAUNCHER_SANDBOX_H
#define DOMUS_LAUNCHER_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SB_MAX_GROUPS 64

struct sb_config {
	bool off;		/* DOMUS_NO_SANDBOX=1: nothing is dropped (logged) */
	bool debug;		/* DOMUS_SANDBOX_DEBUG=1: the debug-* control requests */
	bool on;		/* entered */
	char user[128];		/* DOMUS_USER with %n expanded; "" = stay uid 0 */
	uid_t uid;
	gid_t gid;
	int ngroups;
	gid_t groups[SB_MAX_GROUPS];
};

/* Read the settings from the environment and resolve the user (before
 * the domain exists); 0, or -1 with a one-line error in @err. */
int sb_prepare(struct sb_config *c, const char *domname, char *err, size_t errlen);
/* Drop every capability (bounding set, ambient, then effective/permitted/
 * inheritable), switch to the user if one is set, set no_new_privs. */
int sb_drop_privileges(const struct sb_config *c, char *err, size_t errlen);
/* Load the seccomp allow-list (every thread of the process). */
int sb_load_filter(char *err, size_t errlen);
/* Fatal signals (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT) and a system
 * call the filter traps (SIGSYS) write one line to *@log_fd (and @echo_fd
 * unless -1), then end the process with that signal; 0 or -1 (errno).
 * The handler runs on the thread's signal stack: this thread gets one
 * here, threads started with domus_thread_create theirs. */
int sb_fatal_init(const int *log_fd, int echo_fd);
/* The allow-list table, for the unit test. */
size_t sb_rule_count(void);
const char *sb_rule_name(size_t i);

#endif
