// SPDX-License-Identifier: MIT
/*
 * Module-signature diagnosis (userland/lib/sigdiag.c): kernel-log lines,
 * the lockdown file, the SecureBoot variable and the one-line advice of
 * 'domus info', from sample inputs (real kernel wording, 6.1 and 6.12) and
 * from a fake /sys + /dev/kmsg tree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "libdomus.h"
#include "unit.h"

/* /dev/kmsg records and dmesg lines as the kernel writes them */
static const char klog_unsigned[] =
	"6,1201,5123456,-;domus: loading out-of-tree module taints kernel.\n"
	"5,1202,5123460,-;Loading of unsigned module is rejected\n";
static const char klog_lockdown[] =
	"[  12.345678] Lockdown: modprobe: unsigned module loading is restricted; see man kernel_lockdown.7\n";
static const char klog_key[] =
	"5,1300,9123456,-;Loading of module with unavailable key is rejected\n";
static const char klog_tainted[] =
	"4,900,4123456,-;domus: module verification failed: signature and/or required key missing - tainting kernel\n";
static const char klog_other[] =
	"6,1,0,-;Linux version 6.1.0-57-amd64\n"
	"4,2,1,-;other: module verification failed: signature and/or required key missing - tainting kernel\n"
	"6,3,2,-;Lockdown: fake: hibernation is restricted; see man kernel_lockdown.7\n";

static void scan_lines(void)
{
	struct domus_sigscan s;

	domus_sig_scan(klog_unsigned, &s);
	EXPECT(s.unsigned_rejected && !s.key_rejected && !s.lockdown_refused && !s.verify_failed);
	domus_sig_scan(klog_lockdown, &s);
	EXPECT(s.lockdown_refused && !s.unsigned_rejected);
	domus_sig_scan(klog_key, &s);
	EXPECT(s.key_rejected && !s.unsigned_rejected);
	domus_sig_scan(klog_tainted, &s);
	EXPECT(s.verify_failed && !s.unsigned_rejected && !s.key_rejected);
	/* another module's verification, another lockdown reason: nothing */
	domus_sig_scan(klog_other, &s);
	EXPECT(!s.verify_failed && !s.lockdown_refused && !s.unsigned_rejected && !s.key_rejected);
	domus_sig_scan(NULL, &s);
	EXPECT(!s.unsigned_rejected);
	domus_sig_scan("", &s);
	EXPECT(!s.unsigned_rejected);
	/* no trailing newline; an over-long line */
	domus_sig_scan("Loading of unsigned module is rejected", &s);
	EXPECT(s.unsigned_rejected);
	{
		static char longline[4096];

		memset(longline, 'x', sizeof(longline) - 1);
		domus_sig_scan(longline, &s);
		EXPECT(!s.unsigned_rejected);
	}
}

static void lockdown_text(void)
{
	EXPECT(domus_lockdown_parse("[none] integrity confidentiality\n") == DOMUS_LOCKDOWN_NONE);
	EXPECT(domus_lockdown_parse("none [integrity] confidentiality\n") == DOMUS_LOCKDOWN_INTEGRITY);
	EXPECT(domus_lockdown_parse("none integrity [confidentiality]\n") == DOMUS_LOCKDOWN_CONFIDENTIALITY);
	EXPECT(domus_lockdown_parse("none integrity confidentiality\n") == -1);
	EXPECT(domus_lockdown_parse("") == -1);
	EXPECT(domus_lockdown_parse(NULL) == -1);
}

static void advice(void)
{
	struct domus_diag d;
	char buf[512];
	const char *a;

	memset(&d, 0, sizeof(d));
	d.lockdown = -1;
	d.secure_boot = -1;
	/* nothing known: no advice (the generic "not loaded" line stays) */
	EXPECT(domus_sig_advice(&d, buf, sizeof(buf)) == NULL);

	/* lockdown refusal: sign with a MOK */
	domus_sig_scan(klog_lockdown, &d.sig);
	d.lockdown = DOMUS_LOCKDOWN_INTEGRITY;
	a = domus_sig_advice(&d, buf, sizeof(buf));
	EXPECT(a == buf);
	EXPECT(a && strstr(a, "not signed") && strstr(a, "locked down") && strstr(a, "Operation not permitted"));
	EXPECT(a && strstr(a, "sign-module setup") && strstr(a, "mokutil --import"));
	EXPECT(a && !strchr(a, '\n'));

	/* loaded: never a problem, whatever the log says */
	d.module_loaded = true;
	EXPECT(domus_sig_advice(&d, buf, sizeof(buf)) == NULL);
	d.module_loaded = false;

	/* sig_enforce without lockdown */
	domus_sig_scan(klog_unsigned, &d.sig);
	d.lockdown = DOMUS_LOCKDOWN_NONE;
	a = domus_sig_advice(&d, buf, sizeof(buf));
	EXPECT(a && strstr(a, "signatures are enforced") && strstr(a, "Key was rejected by service"));

	/* signed, key not enrolled: enrol, do not re-sign */
	domus_sig_scan(klog_key, &d.sig);
	a = domus_sig_advice(&d, buf, sizeof(buf));
	EXPECT(a && strstr(a, "not trusted") && strstr(a, "mokutil --import /var/lib/domus/mok/MOK.der"));
	EXPECT(a && !strstr(a, "sign-module setup"));

	/* locked down, no refusal in the log (rotated away): a hint naming the mode */
	domus_sig_scan("", &d.sig);
	d.lockdown = DOMUS_LOCKDOWN_CONFIDENTIALITY;
	d.secure_boot = 1;
	a = domus_sig_advice(&d, buf, sizeof(buf));
	EXPECT(a && strstr(a, "(confidentiality, Secure Boot on)") && strstr(a, "sign-module setup"));

	/* an unsigned module that loaded (tainted) on an open kernel: nothing to fix */
	domus_sig_scan(klog_tainted, &d.sig);
	d.lockdown = DOMUS_LOCKDOWN_NONE;
	d.secure_boot = 0;
	EXPECT(domus_sig_advice(&d, buf, sizeof(buf)) == NULL);

	/* a short buffer truncates, never overflows */
	domus_sig_scan(klog_unsigned, &d.sig);
	a = domus_sig_advice(&d, buf, 16);
	EXPECT(a && strlen(a) == 15);
	EXPECT(domus_sig_advice(&d, buf, 0) == NULL);
}

static int put(const char *root, const char *rel, const void *data, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fwrite(data, 1, len, f);
	return fclose(f);
}

static void fake_tree(void)
{
	static const unsigned char sb_on[5] = { 0x06, 0, 0, 0, 1 };
	char root[] = "/tmp/domus-sigdiag-XXXXXX";
	char cmd[600], buf[512];
	struct domus_diag d;

	EXPECT(mkdtemp(root) != NULL);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/proc %s/sys/kernel/security %s/sys/firmware/efi/efivars %s/dev",
		 root, root, root, root);
	EXPECT(system(cmd) == 0);
	/* nothing there: unknown, no advice */
	domus_diagnose(root, &d);
	EXPECT(d.lockdown == -1 && d.secure_boot == -1 && !d.sig.unsigned_rejected);
	EXPECT(domus_sig_advice(&d, buf, sizeof(buf)) == NULL);

	EXPECT(put(root, "sys/kernel/security/lockdown", "none [integrity] confidentiality\n", 33) == 0);
	EXPECT(put(root, "sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c",
		   sb_on, sizeof(sb_on)) == 0);
	EXPECT(put(root, "dev/kmsg", klog_unsigned, strlen(klog_unsigned)) == 0);
	domus_diagnose(root, &d);
	EXPECT(d.lockdown == DOMUS_LOCKDOWN_INTEGRITY && d.secure_boot == 1);
	EXPECT(d.sig.unsigned_rejected && !d.module_loaded);
	EXPECT(domus_sig_advice(&d, buf, sizeof(buf)) && strstr(buf, "locked down (Secure Boot)"));

	/* a log larger than the first read buffer: the line at its end is found */
	{
		size_t n = 300000, i;
		char *big = malloc(n + sizeof(klog_key));

		EXPECT(big != NULL);
		if (big) {
			for (i = 0; i < n; i++)
				big[i] = (i % 80 == 79) ? '\n' : 'a';
			memcpy(big + n, klog_key, sizeof(klog_key));
			EXPECT(put(root, "dev/kmsg", big, strlen(big)) == 0);
			free(big);
			domus_diagnose(root, &d);
			EXPECT(d.sig.key_rejected && !d.sig.unsigned_rejected);
		}
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	EXPECT(system(cmd) == 0);
}

int main(void)
{
	RUN(UNIT_PREFIX, scan_lines);
	RUN(UNIT_PREFIX, lockdown_text);
	RUN(UNIT_PREFIX, advice);
	RUN(UNIT_PREFIX, fake_tree);
	return unit_failed;
}
