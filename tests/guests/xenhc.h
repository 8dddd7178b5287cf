/* SPDX-License-Identifier: MIT */
/*
 * xenhc64.S and tests/host/coretest_xenhc.c: a 64-bit guest in a Xen
 * domain that makes the hypercalls the host lists and stores the results.
 * Layout (guest-physical = guest-virtual, long64's identity map):
 *   XH_TABLE:       u64 count (at most XH_MAX)
 *   XH_TABLE + 64:  count entries of 64 bytes: u64 nr, a1..a5 (RDI, RSI,
 *                   RDX, R10, R8), u64 ret (written by the guest), u64 flags
 *   XH_PAGE:        the hypercall page (MSR 0x40000000)
 *   XH_ARGS:        argument structures the host prepares (64 KiB)
 * flags XH_SYNC: OUT of the entry index to PORT_SYNC after the call.
 */
#ifndef DOMUS_TEST_XENHC_H
#define DOMUS_TEST_XENHC_H

#define XH_TABLE		0x200000
#define XH_ENTRY_SIZE		64
#define XH_MAX			200
#define XH_PAGE			0x210000
#define XH_ARGS			0x220000
#define XH_SYNC			1
#define XEN_HCALL_MSR		0x40000000

#endif
