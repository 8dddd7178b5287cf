// SPDX-License-Identifier: MIT
/*
 * msrtool: read an MSR, or OR bits into it, on CPU 0 through the msr
 * driver (/dev/cpu/0/msr; modprobe msr or insmod msr.ko first).  Plays the
 * firmware in tests/host/fw-disabled.sh.
 *   msrtool read MSR          prints the value (hex)
 *   msrtool or MSR BITS       value |= BITS, then prints what reads back
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	uint64_t v, bits;
	off_t msr;
	int fd;

	if (argc < 3 || (strcmp(argv[1], "read") && strcmp(argv[1], "or")) ||
	    (!strcmp(argv[1], "or") && argc < 4)) {
		fprintf(stderr, "usage: msrtool read MSR | msrtool or MSR BITS\n");
		return 2;
	}
	msr = (off_t)strtoull(argv[2], NULL, 0);
	fd = open("/dev/cpu/0/msr", O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "msrtool: /dev/cpu/0/msr: %s\n", strerror(errno));
		return 1;
	}
	if (pread(fd, &v, 8, msr) != 8) {
		fprintf(stderr, "msrtool: rdmsr 0x%llx: %s\n", (unsigned long long)msr, strerror(errno));
		return 1;
	}
	if (!strcmp(argv[1], "or")) {
		bits = strtoull(argv[3], NULL, 0);
		v |= bits;
		if (pwrite(fd, &v, 8, msr) != 8) {
			fprintf(stderr, "msrtool: wrmsr 0x%llx: %s\n", (unsigned long long)msr, strerror(errno));
			return 1;
		}
		if (pread(fd, &v, 8, msr) != 8)
			return 1;
	}
	printf("0x%llx\n", (unsigned long long)v);
	close(fd);
	return 0;
}
