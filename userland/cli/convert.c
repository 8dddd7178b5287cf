// SPDX-License-Identifier: MIT
/*
 * domus config-convert: a domain definition from xl.cfg to the JSON view
 * or back (userland/config/convert.c writes, the one parser reads both;
 * docs/cli.md), and from or to libvirt's domain XML (domusd's conversion,
 * userland/domusd/domxml*.c: XML is read into xl.cfg text, which the one
 * parser reads).  Nothing is written unless the whole definition checks.
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
#include "rpc.h"
#include "xlcfg.h"

/* libdomusd's XML conversion: linked into build/domus, not into the
 * static build (no libxml2 there): NULL then. */
#pragma weak domusd_xml_to_config
#pragma weak domusd_domain_xml
#pragma weak domusd_config_xl_text

enum { FORM_XL, FORM_JSON, FORM_XML };

/* XML: the first thing that is not blank is '<' */
static bool text_is_xml(const char *buf, size_t n)
{
	size_t i = 0;

	while (i < n && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' || buf[i] == '\r'))
		i++;
	return i < n && buf[i] == '<';
}

/* The form of the file at @path (FORM_*), -1 if it cannot be read. */
static int file_form(const char *path)
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
	if (text_is_xml(buf, (size_t)n))
		return FORM_XML;
	return domus_config_is_json(buf, (size_t)n) ? FORM_JSON : FORM_XL;
}

static bool xml_built(const char *cmdname)
{
	if (domusd_xml_to_config && domusd_domain_xml && domusd_config_xl_text)
		return true;
	fprintf(stderr, "domus %s: this domus is built without libxml2 (the static build): use build/domus for domain XML\n",
		cmdname);
	return false;
}

/* @path (domain XML) into @cfg's store as xl.cfg text, unfinished. */
static int load_xml(struct domus_config *cfg, const char *path, char *err, size_t errlen)
{
	struct domus_config x;
	char *buf = malloc(DOMUS_CFG_MAX_FILE + 1), *text = NULL;
	ssize_t n = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC), code, r = -1;

	if (fd >= 0 && buf)
		n = read(fd, buf, DOMUS_CFG_MAX_FILE + 1);
	if (fd >= 0)
		close(fd);
	if (n < 0 || !buf) {
		snprintf(err, errlen, "%s: %s", path, buf ? strerror(errno) : "out of memory");
		goto out;
	}
	if (n > DOMUS_CFG_MAX_FILE) {
		snprintf(err, errlen, "%s: over %u bytes: not a domain XML", path, DOMUS_CFG_MAX_FILE);
		goto out;
	}
	if (domusd_xml_to_config(buf, (size_t)n, NULL, &x, &code, err, errlen))
		goto out;
	text = domusd_config_xl_text(&x);
	domus_config_free(&x);
	if (!text) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	r = domus_config_parse(cfg, text, strlen(text), path, err, errlen);
out:
	free(text);
	free(buf);
	return r;
}

/* The definition as domain XML on @out (stdout, or a new file renamed) */
static int write_xml(struct domus_config *cfg, const char *out)
{
	char *uuid = cfg->uuid, *xml, tmp[4096];
	size_t n;
	int fd;

	/* no uuid = in the definition: none in the XML either (not the
	 * random one finishing made) */
	if (!domus_config_get(cfg, "uuid"))
		cfg->uuid = NULL;
	xml = domusd_domain_xml(cfg, -1, 0);
	cfg->uuid = uuid;
	if (!xml) {
		errno = ENOMEM;
		return -1;
	}
	n = strlen(xml);
	if (!out) {
		fd = fwrite(xml, 1, n, stdout) != n || fflush(stdout) ? -1 : 0;
		free(xml);
		return fd;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", out) >= (int)sizeof(tmp)) {
		free(xml);
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		free(xml);
		return -1;
	}
	if (fchmod(fd, 0644) || write(fd, xml, n) != (ssize_t)n || fsync(fd) || close(fd) || rename(tmp, out)) {
		int e = errno;

		unlink(tmp);
		free(xml);
		errno = e;
		return -1;
	}
	free(xml);
	return 0;
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
	int opt, i, in;
	int form;

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
	if (to && strcmp(to, "json") && strcmp(to, "xl") && strcmp(to, "xml"))
		return domus_cmd_usage_error(cmd, "unknown format '%s': give -t json, -t xl or -t xml", to);
	in = file_form(argv[optind]);
	if ((in == FORM_XML || (to && !strcmp(to, "xml"))) && !xml_built(cmd->name))
		return 1;

	domus_config_init(&cfg);
	if (in == FORM_XML ? load_xml(&cfg, argv[optind], err, sizeof(err)) :
			     domus_config_load(&cfg, argv[optind], err, sizeof(err)))
		goto fail;
	for (i = optind + 1; i < argc; i++)
		if (domus_config_apply(&cfg, argv[i], err, sizeof(err)))
			goto fail;
	if (domus_config_finish(&cfg, err, sizeof(err)))
		goto fail;
	if (cfg.warnings)
		fputs(cfg.warnings, stderr);
	/* by default the other form: xl -> json, json -> xl, xml -> xl */
	form = to ? (!strcmp(to, "json") ? FORM_JSON : !strcmp(to, "xml") ? FORM_XML : FORM_XL) :
		    in == FORM_XL ? FORM_JSON : FORM_XL;
	/* a definition that would not read back as written is refused, not written */
	if (domus_config_check_written(&cfg, err, sizeof(err)))
		goto fail;
	if (form == FORM_XML ? write_xml(&cfg, out) : write_out(&cfg, form == FORM_JSON, out)) {
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
