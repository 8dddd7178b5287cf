// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the xl.cfg parser and settings (userland/config/).
 *
 * Input: the config file's text; after the first NUL byte, NUL-separated
 * KEY=VALUE settings as `domus create CFG KEY=VALUE...` passes them
 * (domus_config_apply).  Then domus_config_finish and the printout of
 * `create -n`, as the CLI and the launcher do.
 *
 * Oracle (besides ASan/UBSan): every failure leaves a non-empty message;
 * a configuration that finishes holds values inside the documented
 * bounds (xlcfg.h) and a usable domain name; a PVH domain has a kernel,
 * an HVM one a Multiboot kernel or the firmware (not both), one vCPU and
 * IDE drives (hvmcfg.c); every disk has an absolute
 * target (or is an empty CD drive), the virtual-device number of its
 * name, a unique number, and read-only if a CD; every vif has a unicast
 * MAC (unique when given), usable bridge and TAP names, its index as
 * devid, at most DOMUS_VIF_MAX_IPS addresses.  Both written forms (the
 * JSON view and xl.cfg, config-convert) read back to the same definition
 * (domus_config_check_written).  The text may itself be the JSON view.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xlcfg.h"

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz-xlcfg: %s:%d: %s does not hold\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

static FILE *devnull;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const uint8_t *nul = memchr(data, 0, size);
	size_t tlen = nul ? (size_t)(nul - data) : size;
	struct domus_config c;
	char err[512];
	int r;

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	domus_config_init(&c);
	err[0] = 0;
	r = domus_config_parse(&c, text, tlen, "fuzz.cfg", err, sizeof(err));
	if (r) {
		CHECK(err[0]);
		goto out;
	}
	if (nul) {
		/* the settings: a NUL-terminated copy (apply takes a string) */
		size_t rest = size - tlen - 1;
		char *s = malloc(rest + 1), *p;

		CHECK(s);
		memcpy(s, nul + 1, rest);
		s[rest] = 0;
		for (p = s; p < s + rest; p += strlen(p) + 1) {
			err[0] = 0;
			if (domus_config_apply(&c, p, err, sizeof(err))) {
				CHECK(err[0]);
				free(s);
				goto out;
			}
		}
		free(s);
	}
	err[0] = 0;
	if (domus_config_finish(&c, err, sizeof(err))) {
		CHECK(err[0]);
		goto out;
	}
	CHECK(domus_config_name_ok(c.name));
	CHECK(c.memory_mib >= DOMUS_CFG_MIN_MEM_MIB && c.memory_mib <= DOMUS_CFG_MAX_MEM_MIB);
	CHECK(c.vcpus >= 1 && c.vcpus <= c.maxvcpus && c.maxvcpus <= DOMUS_CFG_MAX_VCPUS);
	CHECK(c.cmdline);
	if (c.type == DOMUS_TYPE_HVM) {
		/* a Multiboot kernel or the firmware, never both; one vCPU;
		 * the firmware's IDE drives only; PV NICs only through the
		 * platform device of a firmware guest (hvmcfg.c) */
		CHECK(!c.firmware != !(c.kernel && *c.kernel));
		CHECK(!c.bootloader);
		CHECK(c.vcpus == 1 && c.maxvcpus == 1);
		CHECK(c.firmware || c.ndisks == 0);
		for (size_t i = 0; i < c.ndisks; i++)
			CHECK(strlen(c.disks[i].vdev) == 3 && !strncmp(c.disks[i].vdev, "hd", 2) &&
			      c.disks[i].vdev[2] >= 'a' && c.disks[i].vdev[2] <= 'd');
		CHECK(!c.nvifs || (c.firmware && c.xen_platform_pci));
	} else {
		CHECK(c.type == DOMUS_TYPE_PVH);
		CHECK(!c.firmware && (c.bootloader || (c.kernel && *c.kernel)));
	}
	CHECK(!c.warnings || strlen(c.warnings) == c.warnings_len);
	CHECK(c.ndisks <= DOMUS_CFG_MAX_DISKS);
	for (size_t i = 0; i < c.ndisks; i++) {
		uint32_t nr;

		CHECK(!c.disks[i].target || c.disks[i].target[0] == '/');
		CHECK(c.disks[i].target || c.disks[i].cdrom);
		CHECK(!c.disks[i].cdrom || c.disks[i].readonly);
		CHECK(domus_vdev_number(c.disks[i].vdev, &nr) == 0 && nr == c.disks[i].devid);
		for (size_t k = 0; k < i; k++)
			CHECK(c.disks[k].devid != c.disks[i].devid);
	}
	CHECK(c.nvifs <= DOMUS_CFG_MAX_VIFS);
	for (size_t i = 0; i < c.nvifs; i++) {
		const struct domus_vif *v = &c.vifs[i];

		CHECK(!(v->mac[0] & 1));
		CHECK(v->mac_given || (v->mac[0] == 0 && v->mac[1] == 0x16 && v->mac[2] == 0x3e && v->mac[3] < 0x80));
		CHECK(domus_ifname_ok(v->bridge));
		CHECK(!v->vifname[0] || domus_ifname_ok(v->vifname));
		CHECK(v->devid == i && v->nips <= DOMUS_VIF_MAX_IPS);
		CHECK(!v->rate_bytes_per_s || (v->rate_interval_us >= 1000 && v->rate_interval_us <= 10000000));
		for (size_t k = 0; k < i; k++)
			CHECK(!v->mac_given || memcmp(c.vifs[k].mac, v->mac, 6));
	}
	if (devnull)
		domus_config_print(&c, devnull);
	for (size_t i = 0; i < c.nentries; i++)
		CHECK(domus_config_get(&c, c.entries[i].key) != NULL);
	err[0] = 0;
	if (domus_config_check_written(&c, err, sizeof(err))) {
		fprintf(stderr, "fuzz-xlcfg: round trip: %s\n", err);
		abort();
	}
out:
	domus_config_free(&c);
	return 0;
}
