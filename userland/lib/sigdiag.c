// SPDX-License-Identifier: MIT
/*
 * Module signatures for 'domus info': a kernel in lockdown (UEFI Secure
 * Boot) or with module.sig_enforce loads only modules signed by a key it
 * trusts, and modprobe then says only "Key was rejected by service"
 * (sig_enforce) or "Operation not permitted" (lockdown).  The kernel log, the lockdown file and the
 * SecureBoot variable say why; domus_sig_advice() turns that into one line
 * with the fix (scripts/sign-module; docs/packaging.md "Secure Boot").
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "libdomus.h"

/* the most of the kernel log read (the ring buffer is 128 KiB-1 MiB) */
#define KLOG_MAX	(4u << 20)
#define SIGN_HINT	"/usr/libexec/domus/sign-module setup"
#define DOC_HINT	"docs/packaging.md \"Secure Boot\""

void domus_sig_scan(const char *log, struct domus_sigscan *s)
{
	const char *p, *nl;

	memset(s, 0, sizeof(*s));
	if (!log)
		return;
	for (p = log; *p; p = nl ? nl + 1 : p + strlen(p)) {
		char line[512];
		size_t n;

		nl = strchr(p, '\n');
		n = nl ? (size_t)(nl - p) : strlen(p);
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, p, n);
		line[n] = 0;
		if (strstr(line, "Loading of unsigned module is rejected"))
			s->unsigned_rejected = true;
		else if (strstr(line, "Loading of module with unavailable key is rejected"))
			s->key_rejected = true;
		else if (strstr(line, "Lockdown: ") && strstr(line, "unsigned module loading is restricted"))
			s->lockdown_refused = true;
		else if (strstr(line, "domus: module verification failed"))
			s->verify_failed = true;
	}
}

int domus_lockdown_parse(const char *text)
{
	static const char *const names[] = {
		[DOMUS_LOCKDOWN_NONE] = "[none]",
		[DOMUS_LOCKDOWN_INTEGRITY] = "[integrity]",
		[DOMUS_LOCKDOWN_CONFIDENTIALITY] = "[confidentiality]",
	};
	size_t i;

	if (!text)
		return -1;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strstr(text, names[i]))
			return (int)i;
	return -1;
}

static const char *lockdown_name(int l)
{
	return l == DOMUS_LOCKDOWN_CONFIDENTIALITY ? "confidentiality" : "integrity";
}

const char *domus_sig_advice(const struct domus_diag *d, char *buf, size_t len)
{
	const struct domus_sigscan *s = &d->sig;
	bool locked = d->lockdown > DOMUS_LOCKDOWN_NONE;

	if (d->module_loaded || !len)
		return NULL;
	if (s->key_rejected)
		snprintf(buf, len, "the kernel refused domus.ko: its signing key is not trusted (log: \"Loading of module with unavailable key is rejected\"); enrol the certificate: mokutil --import /var/lib/domus/mok/MOK.der, reboot, confirm in the MOK manager (%s)",
			 DOC_HINT);
	else if (s->unsigned_rejected || s->lockdown_refused)
		/* sig_enforce: EKEYREJECTED; lockdown alone: EPERM */
		snprintf(buf, len, "the kernel refused domus.ko: it is not signed and %s (modprobe: \"%s\"); sign it with a machine-owner key: %s, then mokutil --import and reboot (%s)",
			 locked ? "the kernel is locked down (Secure Boot)" : "module signatures are enforced",
			 s->unsigned_rejected ? "Key was rejected by service" : "Operation not permitted",
			 SIGN_HINT, DOC_HINT);
	else if (locked)
		snprintf(buf, len, "the kernel is locked down (%s%s): it loads only signed modules; if modprobe domus fails (\"Key was rejected by service\", \"Operation not permitted\"), sign domus.ko: %s, then mokutil --import and reboot (%s)",
			 lockdown_name(d->lockdown), d->secure_boot == 1 ? ", Secure Boot on" : "", SIGN_HINT, DOC_HINT);
	else
		return NULL;
	return buf;
}

/* A file's first @len - 1 bytes, NUL-terminated; -1 if unreadable. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return n;
}

/*
 * The kernel log: /dev/kmsg gives one record per read() and EAGAIN at the
 * end (non-blocking), EPIPE when records were overwritten meanwhile; a
 * regular file (a test's fake tree) is read to its end.  NULL if unreadable.
 */
static char *read_klog(const char *path)
{
	size_t used = 0, cap = 65536;
	char *buf = malloc(cap);
	int fd;

	if (!buf)
		return NULL;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	for (;;) {
		ssize_t n;

		if (cap - used < 8192 + 1) {
			char *nb;

			if (cap >= KLOG_MAX)
				break;
			nb = realloc(buf, cap * 2);
			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + used, cap - used - 1);
		if (n < 0 && errno == EPIPE)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
	}
	close(fd);
	buf[used] = 0;
	return buf;
}

void domus_sig_diagnose(const char *root, struct domus_diag *d)
{
	char path[512], text[256];
	char *log;
	ssize_t n;

	if (!root)
		root = "";
	snprintf(path, sizeof(path), "%s/sys/kernel/security/lockdown", root);
	d->lockdown = read_small(path, text, sizeof(text)) < 0 ? -1 : domus_lockdown_parse(text);
	/* efivarfs: 4 bytes of attributes, then the value */
	snprintf(path, sizeof(path), "%s/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c", root);
	n = read_small(path, text, sizeof(text));
	d->secure_boot = n >= 5 ? text[4] == 1 : -1;
	snprintf(path, sizeof(path), "%s/dev/kmsg", root);
	log = read_klog(path);
	domus_sig_scan(log, &d->sig);
	free(log);
}
