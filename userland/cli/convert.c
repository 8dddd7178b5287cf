// SPDX-License-Identifier: MIT
/*
 * domus config-convert: a domain definition from xl.cfg to the JSON view
 * or back (userland/config/convert.c writes, the one parser reads both;
 * docs/cli.md).  Nothing is written unless the whole definition checks.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "cli.h"
#include "xlcfg.h"

/* Is the file at @path the JSON view?  -1 if it cannot be read. */
static int file_is_json(const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return -1;
	return domus_config_is_json(buf, (size_t)n);
}

static int write_out(const struct domus_config *cfg, bool json, const char *out)
{
	char tmp[4096];
	FILE *f;
	int fd;

	if (!out) {
		if (json)
			domus_config_write_json(cfg, stdout);
		else
			domus_config_write_xl(cfg, stdout);
		return fflush(stdout) ? -1 : 0;
	}
	/* a new file beside OUT, renamed over it once complete */
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", out) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = mkstemp(tmp);
	if (fd < 0)
		return -1;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (json)
		domus_config_write_json(cfg, f);
	else
		domus_config_write_xl(cfg, f);
	if (fchmod(fd, 0644) || fflush(f) || fsync(fd) || fclose(f)) {
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, out)) {
		int e = errno;

		unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
}

int cmd_config_convert(const struct domus_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct domus_config cfg;
	const char *to = NULL, *out = NULL;
	char err[1024];
	int opt, i, in_json;
	bool json;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+t:o:", longopts, NULL)) != -1) {
		switch (opt) {
		case 't': to = optarg; break;
		case 'o': out = optarg; break;
		default: return domus_cmd_bad_option(cmd, "+t:o:");
		}
	}
	if (optind >= argc)
		return domus_cmd_usage_error(cmd, "no config file given");
	if (to && strcmp(to, "json") && strcmp(to, "xl"))
		return domus_cmd_usage_error(cmd, "unknown format '%s': give -t json or -t xl", to);
	in_json = file_is_json(argv[optind]);

	domus_config_init(&cfg);
	if (domus_config_load(&cfg, argv[optind], err, sizeof(err)))
		goto fail;
	for (i = optind + 1; i < argc; i++)
		if (domus_config_apply(&cfg, argv[i], err, sizeof(err)))
			goto fail;
	if (domus_config_finish(&cfg, err, sizeof(err)))
		goto fail;
	if (cfg.warnings)
		fputs(cfg.warnings, stderr);
	json = to ? !strcmp(to, "json") : in_json != 1;
	/* a definition that would not read back as written is refused, not written */
	if (domus_config_check_written(&cfg, err, sizeof(err)))
		goto fail;
	if (write_out(&cfg, json, out)) {
		fprintf(stderr, "domus %s: %s: %s\n", cmd->name, out ? out : "standard output", strerror(errno));
		domus_config_free(&cfg);
		return 1;
	}
	domus_config_free(&cfg);
	return 0;
fail:
	fprintf(stderr, "domus %s: %s\n", cmd->name, err);
	domus_config_free(&cfg);
	return 1;
}
