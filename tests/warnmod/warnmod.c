// SPDX-License-Identifier: GPL-2.0
/*
 * warnmod: a throwaway module for the test-host self-tests
 * (tests/suites/10-testhost).  Its init function triggers a kernel warning,
 * which the harness's kernel log check must turn into a failed run.
 * Loaded with warn=0 it stays silent; the run must then pass although the
 * kernel gets tainted out-of-tree (O) and unsigned (E).
 */
#include <linux/bug.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

static bool warn = true;
module_param(warn, bool, 0444);
MODULE_PARM_DESC(warn, "trigger WARN_ON(1) when loaded (default: yes)");

static int __init warnmod_init(void)
{
	if (warn)
		WARN_ON(1);
	return 0;
}

static void __exit warnmod_exit(void)
{
}

module_init(warnmod_init);
module_exit(warnmod_exit);

MODULE_DESCRIPTION("domus test-host self-test: warn on load");
MODULE_LICENSE("GPL");
