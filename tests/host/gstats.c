// SPDX-License-Identifier: MIT
/*
 * gstats: print the module's live objects (DOMUS_GET_GLOBAL_STATS) as
 * "domains vcpus pinned_pages npt_pages hw_cpus" on one line, for
 * tests/lib.sh's gstats in test hosts without python3 (the Bochs one).
 * Exit 1 (and a message) if /dev/domus does not answer.
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "libdomus.h"

int main(void)
{
	struct domus_global_stats gs;
	int fd = open("/dev/domus", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		perror("gstats: /dev/domus");
		return 1;
	}
	if (domus_global_stats(fd, &gs)) {
		fprintf(stderr, "gstats: %s\n", domus_last_error());
		close(fd);
		return 1;
	}
	close(fd);
	printf("%llu %llu %llu %llu %u\n", (unsigned long long)gs.domains, (unsigned long long)gs.vcpus,
	       (unsigned long long)gs.pinned_pages, (unsigned long long)gs.npt_pages, gs.hw_enabled_cpus);
	return 0;
}
