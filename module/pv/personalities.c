// SPDX-License-Identifier: GPL-2.0-only
/*
 * The personalities built into domus.ko, keyed by their DOMUS_DOMAIN_*
 * creation flag (struct domus_personality.create_flag).  The core reads
 * only this table (pers.h) and never names a personality itself; a new
 * personality adds its line here.
 */
#include "xen.h"

const struct domus_personality *const domus_personalities[] = {
	&domus_xen_personality,		/* DOMUS_DOMAIN_XEN */
	&domus_xen_hvm_personality,	/* DOMUS_DOMAIN_XEN_HVM */
};

const unsigned int domus_npersonalities = ARRAY_SIZE(domus_personalities);
