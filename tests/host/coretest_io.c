// SPDX-License-Identifier: MIT
/*
 * coretest: simple guests, port I/O, MMIO, the read-only slot
 * (tests/host/coretest.c has the runner and the helpers; coretest.h).
 */
#include "coretest.h"

/* --- simple guest tests ------------------------------------------------------ */

static const char *const all_guests[] = { "real16", "prot32", "long64" };

void t_hello(void)
{
	unsigned int g;

	for (g = 0; g < 3; g++) {
		struct vm vm;
		struct ctx c;
		char name[64], why[300] = "";
		int ok = 0, r;

		snprintf(name, sizeof(name), "hello-%s", all_guests[g]);
		r = vm_start(&vm, all_guests[g], T_HELLO, 0, 0, 0);
		if (r) {
			result(name, 0, "setup: %s", domus_last_error());
			vm_destroy(&vm);
			continue;
		}
		ctx_init(&c, &vm, &vm.vcpu[0], g == 2);
		c.quiet = 0;
		ok = run_to_pass(&c, all_guests[g], why, sizeof(why));
		if (ok && !strstr(c.con, "hello")) {
			ok = 0;
			snprintf(why, sizeof(why), "console output '%.200s'", c.con);
		}
		if (ok && g == 1 && (c.nvals != 2 || !(c.vals[0] & 1) || c.vals[1] != 0x08)) {
			ok = 0;
			snprintf(why, sizeof(why), "prot32 reported CR0 0x%x CS 0x%x (want PE, 0x08)",
				 c.vals[0], c.vals[1]);
		}
		if (ok && g == 2) {
			struct domus_sregs s;

			if (domus_get_sregs(&vm.vcpu[0], &s) || !(s.efer & (1 << 10)) ||
			    !(s.cs.attr & (1 << 9))) {
				ok = 0;
				snprintf(why, sizeof(why), "after the run: EFER 0x%llx CS attr 0x%x (want LMA, L)",
					 (unsigned long long)s.efer, s.cs.attr);
			}
		}
		result(name, ok, "%s", why);
		vm_destroy(&vm);
	}
}

void t_pio(void)
{
	static const char want_str[] = "domus string I/O12345678!";
	unsigned int g;

	for (g = 0; g < 3; g++) {
		struct vm vm;
		struct ctx c;
		char name[64], why[300] = "";
		int ok, r;

		snprintf(name, sizeof(name), "pio-%s", all_guests[g]);
		r = vm_start(&vm, all_guests[g], T_PIO, 0, 0, 0);
		if (r) {
			result(name, 0, "setup: %s", domus_last_error());
			vm_destroy(&vm);
			continue;
		}
		ctx_init(&c, &vm, &vm.vcpu[0], g == 2);
		ok = run_to_pass(&c, all_guests[g], why, sizeof(why));
		if (ok && (c.nvals != 4 || c.vals[0] != 0x5a || c.val_size[0] != 1 ||
			   c.vals[1] != 0x1234 || c.val_size[1] != 2 ||
			   c.vals[2] != 0xdeadbeef || c.val_size[2] != 4 ||
			   c.vals[3] != 0xcafe || c.val_size[3] != 2)) {
			ok = 0;
			snprintf(why, sizeof(why), "OUT values: %d values, first 0x%x/%u", c.nvals,
				 c.vals[0], c.val_size[0]);
		}
		if (ok && (c.nstrout != (int)strlen(want_str) ||
			   memcmp(c.strout, want_str, strlen(want_str)))) {
			ok = 0;
			snprintf(why, sizeof(why), "string OUT gave %d bytes '%.*s', want '%s'",
				 c.nstrout, c.nstrout, (char *)c.strout, want_str);
		}
		if (ok && c.strin_next != STR_IN_FIRST + 24) {
			ok = 0;
			snprintf(why, sizeof(why), "string IN consumed %d bytes, want 24",
				 c.strin_next - STR_IN_FIRST);
		}
		result(name, ok, "%s", why);
		if (ok)
			printf("info: pio-%s: %lu I/O exits, %lu with count > 1 (max %lu)\n",
			       all_guests[g], c.nio, c.nstring_exits, c.max_count);
		vm_destroy(&vm);
	}
}

static int dev_u64(struct ctx *c, unsigned int off, uint64_t want, char *why, size_t len)
{
	uint64_t got;

	memcpy(&got, c->dev + off, 8);
	if (got == want)
		return 1;
	snprintf(why, len, "device offset 0x%x holds 0x%llx, want 0x%llx", off,
		 (unsigned long long)got, (unsigned long long)want);
	return 0;
}

void t_mmio(void)
{
	unsigned int g, i;

	for (g = 0; g < 3; g++) {
		struct vm vm;
		struct ctx c;
		char name[64], why[300] = "";
		int ok, r;

		snprintf(name, sizeof(name), "mmio-%s", all_guests[g]);
		r = vm_start(&vm, all_guests[g], T_MMIO, 0, 0, 0);
		if (r) {
			result(name, 0, "setup: %s", domus_last_error());
			vm_destroy(&vm);
			continue;
		}
		ctx_init(&c, &vm, &vm.vcpu[0], g == 2);
		ok = run_to_pass(&c, all_guests[g], why, sizeof(why));
		if (ok && g == 2) {
			uint8_t src[32];

			for (i = 0; i < 32; i++)
				src[i] = (uint8_t)(i * 7 + 3);
			ok = dev_u64(&c, 0, 0x4455667722330011ULL, why, sizeof(why)) &&
			     dev_u64(&c, 8, 0xfffffffffffffffeULL, why, sizeof(why)) &&
			     dev_u64(&c, 16, 0x8899aabbccddeeffULL, why, sizeof(why)) &&
			     dev_u64(&c, 0x40, 0xf0f1, why, sizeof(why)) &&
			     dev_u64(&c, 0x100, 0xa5a5a5a5a5a5a5a5ULL, why, sizeof(why)) &&
			     dev_u64(&c, 0x11c, 0x1122334455667788ULL, why, sizeof(why)) &&
			     dev_u64(&c, 0x158, 0x5a5a5a5a00000000ULL, why, sizeof(why));
			if (ok && memcmp(c.dev + 0x200, src, 32)) {
				ok = 0;
				snprintf(why, sizeof(why), "REP MOVSB to MMIO: device bytes differ from the source");
			}
		}
		if (ok && g < 2 && memcmp(c.dev + 0x10, "\xa5\xa5\xa5\xa5\xa5\xa5\xa5\xa5", 8)) {
			ok = 0;
			snprintf(why, sizeof(why), "REP STOS to MMIO: device bytes wrong");
		}
		result(name, ok, "%s", why);
		if (ok)
			printf("info: mmio-%s: %lu MMIO exits\n", all_guests[g], c.nmmio);
		vm_destroy(&vm);
	}
}

void t_roslot(void)
{
	struct vm vm;
	struct ctx c;
	char why[300] = "";
	int ok, r;

	r = vm_start(&vm, "long64", T_ROSLOT, 0, 0, 0);
	if (r) {
		result("roslot-write-exits", 0, "setup: %s", domus_last_error());
		vm_destroy(&vm);
		return;
	}
	ctx_init(&c, &vm, &vm.vcpu[0], 1);
	ok = run_to_pass(&c, "long64", why, sizeof(why));
	result("roslot-read", ok, "%s", why);
	if (!ok) {
		vm_destroy(&vm);
		return;
	}
	ok = c.ro_writes == 2 && c.ro_gpa[0] == LM_RO && c.ro_len[0] == 8 && c.ro_data[0] == 0x77 &&
	     c.ro_gpa[1] == LM_RO + 0x10 && c.ro_len[1] == 1 && c.ro_data[1] == 0x55;
	result("roslot-write-exits", ok, "%lu MMIO writes; first gpa 0x%llx len %u data 0x%llx",
	       c.ro_writes, (unsigned long long)c.ro_gpa[0], c.ro_len[0],
	       (unsigned long long)c.ro_data[0]);
	ok = ((uint64_t *)vm.ro)[0] == RO_PATTERN && ((uint64_t *)vm.ro)[2] == (RO_PATTERN ^ 2);
	result("roslot-unchanged", ok, "read-only memory changed: 0x%llx",
	       (unsigned long long)((uint64_t *)vm.ro)[0]);
	vm_destroy(&vm);
}
