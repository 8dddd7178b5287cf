// SPDX-License-Identifier: MIT
/*
 * domus-hello: run the demo guest (hello-guest.S) in a new domain and
 * serve its serial port.  Used by `make demo` and as a smoke test.
 * Exit status 0 when the guest printed its greeting and halted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "libdomus.h"

extern const unsigned char hello_guest_start[], hello_guest_end[];

#define GUEST_MEM	(64 * 1024)
#define LOAD		0x1000
#define COM1		0x3f8

static int fail(const char *what, int err)
{
	fprintf(stderr, "domus-hello: %s: %s\n", what,
		*domus_last_error() ? domus_last_error() : strerror(-err));
	return 1;
}

int main(void)
{
	struct domus_vcpu vcpu;
	struct domus_domain_stats st;
	unsigned int exits = 0, mmio = 0;
	void *mem;
	int dev, dom, ret;

	dev = domus_open();
	if (dev < 0)
		return fail("open", dev);
	dom = domus_create_domain(dev);
	if (dom < 0)
		return fail("create domain", dom);
	mem = domus_guest_alloc(GUEST_MEM);
	if (!mem)
		return fail("guest memory", -ENOMEM);
	memcpy((char *)mem + LOAD, hello_guest_start, hello_guest_end - hello_guest_start);
	ret = domus_set_slot(dom, 0, 0, GUEST_MEM, mem, 0);
	if (ret < 0)
		return fail("memory slot", ret);
	ret = domus_create_vcpu(dom, 0, &vcpu);
	if (ret < 0)
		return fail("create vcpu", ret);
	ret = domus_setup_real_mode(&vcpu, LOAD);
	if (ret < 0)
		return fail("registers", ret);
	vcpu.run->flags = DOMUS_RUN_EXIT_ON_HLT;

	for (;;) {
		struct domus_run *run = vcpu.run;

		ret = domus_run(&vcpu);
		if (ret < 0)
			return fail("run", ret);
		exits++;
		if (run->exit_reason == DOMUS_EXIT_HLT)
			break;
		if (run->exit_reason == DOMUS_EXIT_IO) {
			unsigned char *data = (unsigned char *)run + run->io.data_offset;

			if (run->io.direction == DOMUS_IO_OUT && run->io.port == COM1)
				fwrite(data, 1, run->io.size * run->io.count, stdout);
			else if (run->io.direction == DOMUS_IO_IN)
				data[0] = run->io.port == COM1 + 5 ? 0x60 : 0xff; /* THR empty */
			continue;
		}
		if (run->exit_reason == DOMUS_EXIT_MMIO) {
			mmio++;
			continue;
		}
		fprintf(stderr, "domus-hello: unexpected exit %u\n", run->exit_reason);
		return 1;
	}
	fflush(stdout);
	ret = domus_domain_stats(dom, &st);
	if (ret < 0)
		return fail("stats", ret);
	printf("guest halted after %u exits to userspace (%u MMIO); in-kernel: %llu cpuid, %llu hypercall; %llu exits in all\n",
	       exits, mmio, (unsigned long long)st.stat[DOMUS_STAT_CPUID],
	       (unsigned long long)st.stat[DOMUS_STAT_HYPERCALL],
	       (unsigned long long)st.stat[DOMUS_STAT_EXITS]);
	return mmio == 1 && st.stat[DOMUS_STAT_CPUID] >= 1 ? 0 : 1;
}
