// SPDX-License-Identifier: MIT
/*
 * The release of the tools: the VERSION file at the top of the tree, given
 * by the Makefile as DOMUS_VERSION_STR (the module gets the same through
 * Kbuild, the packages through debian/changelog, checked against it).
 */
#include "libdomus.h"

#ifndef DOMUS_VERSION_STR
#error "DOMUS_VERSION_STR not defined: build with the top-level Makefile (it reads VERSION)"
#endif

const char *domus_version(void)
{
	return DOMUS_VERSION_STR;
}
