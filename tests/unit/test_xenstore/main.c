// SPDX-License-Identifier: MIT
/* xst: runs every test (make unit T=test_xst/NAME runs one). */
#include "xst.h"

int main(void)
{
	RUN(UNIT_PREFIX, initial_keys);
	RUN(UNIT_PREFIX, basic_ops);
	RUN(UNIT_PREFIX, watches);
	RUN(UNIT_PREFIX, shutdown_flow);
	RUN(UNIT_PREFIX, transactions);
	RUN(UNIT_PREFIX, permissions);
	RUN(UNIT_PREFIX, limits);
	RUN(UNIT_PREFIX, quota_commit);
	RUN(UNIT_PREFIX, request_work);
	RUN(UNIT_PREFIX, malformed);
	RUN(UNIT_PREFIX, fuzz);
	RUN(UNIT_PREFIX, threaded);
	RUN(UNIT_PREFIX, dom0_wire);
	return unit_failed;
}

