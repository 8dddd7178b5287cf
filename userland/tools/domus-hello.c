// SPDX-License-Identifier: MIT
/*
 * domus-hello: run the demo guest (hello-guest.S) in a new domain and
 * emulate the one device it uses: the transmit side of a 16550 serial port
 * (COM1 at 0x3f8: THR and the line status register).  Used by `make demo`
 * and as a smoke test of the core.
 *
 * The guest prints its greeting on COM1, then makes one exit of each other
 * kind the core has (CPUID and a hypercall handled in the kernel, an MMIO
 * write to userspace) and halts.  Exit status 0 when the greeting arrived,
 * the MMIO write was seen with the right address and value, the in-kernel
 * exits were counted, and the guest halted; 1 otherwise.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "libdomus.h"

extern const unsigned char hello_guest_start[], hello_guest_end[];

#define GUEST_RAM	0x8000		/* RAM: guest-physical [0, 32 KiB) */
#define LOAD		0x1000		/* where the guest is loaded (and entered) */
#define MMIO_GPA	0xf000		/* hello-guest.S writes here: no RAM, so MMIO */
#define MMIO_VALUE	0x600d
#define COM1		0x3f8
#define UART_LSR	5		/* line status register */
#define LSR_THRE_TEMT	0x60		/* transmitter empty */
#define MAX_EXITS	10000

static const char greeting[] = "Hello from a domus guest!";

static int fail(const char *what, int err)
{
	fprintf(stderr, "domus-hello: %s: %s\n", what,
		*domus_last_error() ? domus_last_error() : strerror(-err));
	return 1;
}

int main(void)
{
	struct domus_vcpu_handle vcpu;
	struct domus_domain_stats st;
	char out[256];
	size_t out_len = 0;
	unsigned int exits = 0, io = 0, mmio = 0;
	int mmio_ok = 0, halted = 0;
	void *mem;
	int dev, dom, ret;

	setvbuf(stdout, NULL, _IONBF, 0);
	dev = domus_open();
	if (dev < 0)
		return fail("open", dev);
	dom = domus_create_domain(dev);
	if (dom < 0)
		return fail("create domain", dom);
	mem = domus_guest_alloc(GUEST_RAM);
	if (!mem)
		return fail("guest memory", -ENOMEM);
	if ((size_t)(hello_guest_end - hello_guest_start) > GUEST_RAM - LOAD) {
		fprintf(stderr, "domus-hello: guest image too large\n");
		return 1;
	}
	memcpy((char *)mem + LOAD, hello_guest_start, hello_guest_end - hello_guest_start);
	ret = domus_set_slot(dom, 0, 0, GUEST_RAM, mem, 0);
	if (ret < 0)
		return fail("memory slot", ret);
	ret = domus_create_vcpu(dom, 0, &vcpu);
	if (ret < 0)
		return fail("create vcpu", ret);
	ret = domus_setup_real_mode(&vcpu, LOAD);
	if (ret < 0)
		return fail("registers", ret);
	vcpu.run->flags = DOMUS_RUN_EXIT_ON_HLT;
	printf("domus-hello: domain with %u KiB of RAM, 1 vCPU in real mode at %#x; guest output on COM1:\n",
	       GUEST_RAM / 1024, LOAD);

	while (!halted && exits < MAX_EXITS) {
		struct domus_run *run = vcpu.run;

		ret = domus_run(&vcpu);
		if (ret == -EINTR)
			continue;
		if (ret < 0)
			return fail("run", ret);
		exits++;
		switch (run->exit_reason) {
		case DOMUS_EXIT_HLT:
			halted = 1;
			break;
		case DOMUS_EXIT_IO: {
			unsigned char *data = (unsigned char *)run + run->io.data_offset;
			unsigned int n = run->io.size * (run->io.count ? run->io.count : 1), i;

			io++;
			if (run->io.data_offset < DOMUS_RUN_DATA_OFFSET ||
			    n > 4096 - run->io.data_offset) {
				fprintf(stderr, "domus-hello: bad I/O exit (offset %u, %u bytes)\n",
					run->io.data_offset, n);
				return 1;
			}
			if (run->io.direction == DOMUS_IO_OUT && run->io.port == COM1) {
				/* the transmit holding register: one byte per element */
				for (i = 0; i < n; i += run->io.size) {
					putchar(data[i]);
					if (out_len < sizeof(out) - 1)
						out[out_len++] = (char)data[i];
				}
			} else if (run->io.direction == DOMUS_IO_IN) {
				/* LSR: always ready; any other port reads as no device */
				memset(data, run->io.port == COM1 + UART_LSR ? LSR_THRE_TEMT : 0xff, n);
			}
			break;
		}
		case DOMUS_EXIT_MMIO:
			mmio++;
			if (run->mmio.is_write && run->mmio.gpa == MMIO_GPA && run->mmio.len == 4) {
				unsigned int v = run->mmio.data[0] | run->mmio.data[1] << 8 |
						 run->mmio.data[2] << 16 | (unsigned int)run->mmio.data[3] << 24;

				mmio_ok = v == MMIO_VALUE;
				printf("domus-hello: MMIO write of %#x to guest-physical %#llx (outside RAM) reached userspace\n",
				       v, (unsigned long long)run->mmio.gpa);
			} else if (!run->mmio.is_write) {
				memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
			}
			break;
		default:
			fprintf(stderr, "domus-hello: unexpected exit %s (%u)\n",
				domus_exit_name(run->exit_reason), run->exit_reason);
			return 1;
		}
	}
	out[out_len] = 0;
	ret = domus_domain_stats(dom, &st);
	if (ret < 0)
		return fail("stats", ret);
	printf("domus-hello: guest halted after %u exits to userspace (%u port I/O, %u MMIO); in the kernel: %llu CPUID, %llu hypercall; %llu exits in all\n",
	       exits, io, mmio, (unsigned long long)st.stat[DOMUS_STAT_CPUID],
	       (unsigned long long)st.stat[DOMUS_STAT_HYPERCALL],
	       (unsigned long long)st.stat[DOMUS_STAT_EXITS]);
	domus_vcpu_close(&vcpu);
	close(dom);
	close(dev);
	domus_guest_free(mem, GUEST_RAM);
	if (!halted || !strstr(out, greeting) || !mmio_ok || mmio != 1 ||
	    st.stat[DOMUS_STAT_CPUID] < 1 || st.stat[DOMUS_STAT_HYPERCALL] < 1) {
		fprintf(stderr, "domus-hello: FAILED (%s%s%s%s)\n", halted ? "" : "no HLT; ",
			strstr(out, greeting) ? "" : "no greeting; ", mmio_ok && mmio == 1 ? "" : "MMIO write not seen; ",
			st.stat[DOMUS_STAT_CPUID] && st.stat[DOMUS_STAT_HYPERCALL] ? "" : "in-kernel exits not counted");
		return 1;
	}
	printf("domus-hello: OK\n");
	return 0;
}
