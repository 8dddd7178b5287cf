// SPDX-License-Identifier: MIT
/* ldr: runs every test (make unit T=test_ldr/NAME runs one). */
#include "ldr.h"

int main(void)
{
	char cmd[128];

	if (!mkdtemp(tmpdir)) {
		printf("FAIL: %s/setup: mkdtemp failed\n", UNIT_PREFIX);
		return 1;
	}
	/* the cache only where a test asks for it (kernel_cache) */
	setenv("DOMUS_KERNEL_CACHE", "off", 1);
	RUN(UNIT_PREFIX, synthetic_formats);
	RUN(UNIT_PREFIX, layout_and_acpi);
	RUN(UNIT_PREFIX, bad_kernels);
	RUN(UNIT_PREFIX, bad_layouts);
	RUN(UNIT_PREFIX, decompression_cap);
	RUN(UNIT_PREFIX, real_kernel);
	RUN(UNIT_PREFIX, fuzz);
	RUN(UNIT_PREFIX, kernel_cache);
	RUN(UNIT_PREFIX, multiboot);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		printf("  could not remove %s\n", tmpdir);
	return unit_failed;
}

