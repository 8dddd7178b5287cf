/* SPDX-License-Identifier: MIT */
/*
 * Two fake running domains for domusd's tests (tests/unit/test_domusd.c,
 * tests/fuzz/domusd.c): "web" (id 3) and "db" (id 5), and an xl.cfg
 * definition for any name.  Include after ctl.h and rpc.h.
 */
#ifndef DOMUS_TEST_DOMUSD_FAKE_H
#define DOMUS_TEST_DOMUSD_FAKE_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fake_list(struct domus_dominfo **out)
{
	struct domus_dominfo *v = calloc(2, sizeof(*v));

	if (!v)
		return -ENOMEM;
	snprintf(v[0].name, sizeof(v[0].name), "web");
	v[0].id = 3;
	v[0].mem_mib = 256;
	v[0].vcpus = 2;
	snprintf(v[0].state, sizeof(v[0].state), "r-----");
	v[0].cpu_time = 12.5;
	snprintf(v[0].uuid, sizeof(v[0].uuid), "6bc1814c-5705-5b6e-af99-104b91962282");
	snprintf(v[1].name, sizeof(v[1].name), "db");
	v[1].id = 5;
	v[1].mem_mib = 128;
	v[1].vcpus = 1;
	snprintf(v[1].state, sizeof(v[1].state), "--p---");
	snprintf(v[1].uuid, sizeof(v[1].uuid), "00000000-0000-4000-8000-000000000005");
	*out = v;
	return 2;
}

static int fake_config(const char *name, char **text, size_t *len)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf),
			 "name = \"%s\"\nmemory = 256\nmaxmem = 512\nvcpus = 2\nmaxvcpus = 4\n"
			 "kernel = \"/boot/vmlinuz\"\nramdisk = \"/boot/initrd.img\"\n"
			 "cmdline = \"console=hvc0 root=/dev/xvda1\"\n"
			 "disk = [ \"/var/lib/domus/x.img,raw,xvda,rw\", \"/srv/iso,raw,xvdb,r\" ]\n"
			 "vif = [ \"mac=00:16:3e:12:34:56,bridge=br1,ip=10.0.0.2\" ]\n"
			 "on_reboot = \"destroy\"\n", name);

	if (strcmp(name, "web"))
		return -ENOENT;
	*text = strdup(buf);
	*len = (size_t)n;
	return *text ? 0 : -ENOMEM;
}

static const struct domusd_backend fake = { .list = fake_list, .config = fake_config };

#endif
