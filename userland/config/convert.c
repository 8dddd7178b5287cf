// SPDX-License-Identifier: MIT
/*
 * The writers of a finished domain definition (domus config-convert,
 * docs/cli.md): xl.cfg text and the JSON view (read by jsoncfg.c).  Both
 * write the typed values, so what they write reads back to the same
 * definition: writing it again gives the same text (the round trip is
 * tested by test_convert and fuzzed by tests/fuzz/xlcfg.c).
 *
 * What is written: every key domus uses with its effective value (the
 * defaults too, so a definition says what runs); "uuid" and a vif's "mac"
 * only when given (else each start makes its own); the keys domus ignores
 * as written, under "ignored" (JSON) or after a comment (xl).  Notes on
 * vif keys that are not acted on (script=, model=) are not kept.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xlcfg.h"
#include "xlcfg_int.h"

struct writer {
	FILE *out;
	bool json;
	bool first;		/* no member written yet in this object */
};

static void put_json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

static void put_xl_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(out, "\\x%02x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

static void put_str(const struct writer *w, const char *s)
{
	if (w->json)
		put_json_str(w->out, s);
	else
		put_xl_str(w->out, s);
}

/* Start a member: "key": (JSON, indented) or key = (xl). */
static void key(struct writer *w, const char *k, int indent)
{
	if (w->json) {
		fprintf(w->out, "%s\n%*s", w->first ? "" : ",", indent, "");
		put_json_str(w->out, k);
		fputs(": ", w->out);
	} else {
		fprintf(w->out, "%s = ", k);
	}
	w->first = false;
}

static void end_member(const struct writer *w)
{
	if (!w->json)
		fputc('\n', w->out);
}

static void str_member(struct writer *w, const char *k, const char *v)
{
	key(w, k, 2);
	put_str(w, v);
	end_member(w);
}

static void num_member(struct writer *w, const char *k, unsigned long long v)
{
	key(w, k, 2);
	fprintf(w->out, "%llu", v);
	end_member(w);
}

/*
 * A number of the store in decimal (xl reads 0x hex and 0 octal too), or
 * false for an unquoted word that is no whole number ("1.5"): both forms
 * then write it as a string, so they agree.
 */
static bool decimal(const char *s, char out[24])
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (*end || errno || !(*s >= '0' && *s <= '9'))
		return false;
	snprintf(out, 24, "%llu", v);
	return true;
}

static void put_value(const struct writer *w, const struct domus_cfg_value *v)
{
	char num[24];
	size_t i;

	switch (v->type) {
	case DOMUS_CFG_STRING:
		put_str(w, v->str);
		break;
	case DOMUS_CFG_NUMBER:
		if (decimal(v->str, num))
			fputs(num, w->out);
		else
			put_str(w, v->str);
		break;
	case DOMUS_CFG_LIST:
		fputc('[', w->out);
		for (i = 0; i < v->nitems; i++) {
			if (i)
				fputs(", ", w->out);
			put_value(w, v->items[i]);
		}
		fputc(']', w->out);
		break;
	}
}

/* One CPU set as cpuset.c reads it back ("^0-1023": none). */
static void put_cpuset(const struct writer *w, const struct domus_cpuset *set)
{
	char buf[4096];

	domus_cpuset_format(set, DOMUS_CPUSET_MAX, buf, sizeof(buf));
	put_str(w, strcmp(buf, "none") ? buf : "^0-1023");
}

static void put_cpus(struct writer *w, const struct domus_config *c)
{
	bool same = true;
	uint32_t i;

	for (i = 1; i < c->maxvcpus; i++)
		if (memcmp(&c->cpus[i], &c->cpus[0], sizeof(c->cpus[0])))
			same = false;
	key(w, "cpus", 2);
	if (same) {
		put_cpuset(w, &c->cpus[0]);
	} else {
		fputc('[', w->out);
		for (i = 0; i < c->maxvcpus; i++) {
			if (i)
				fputs(", ", w->out);
			put_cpuset(w, &c->cpus[i]);
		}
		fputc(']', w->out);
	}
	end_member(w);
}

/* The xl specification of a disk (target last: it may hold commas). */
static void disk_spec(const struct domus_disk *d, char *buf, size_t len)
{
	snprintf(buf, len, "vdev=%s,access=%s%s%s%s%s", d->vdev, d->readonly ? "ro" : "rw",
		 d->cdrom ? ",devtype=cdrom" : "", d->no_discard ? ",no-discard" : "",
		 d->target ? ",target=" : "", d->target ? d->target : "");
}

static void ip_text(uint32_t a, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

static void vif_spec(const struct domus_vif *f, char *buf, size_t len)
{
	size_t n = 0;
	char a[18];
	unsigned int k;

#define ADD(...) do { if (n < len) n += (size_t)snprintf(buf + n, len - n, __VA_ARGS__); } while (0)
	buf[0] = 0;
	if (f->mac_given) {
		domus_mac_format(f->mac, a);
		ADD("mac=%s,", a);
	}
	ADD("bridge=%s", f->bridge);
	if (f->bridge_create)
		ADD(",bridge-create=yes");
	if (f->vifname[0])
		ADD(",vifname=%s", f->vifname);
	for (k = 0; k < f->nips; k++) {
		ip_text(f->ips[k], a);
		ADD("%s%s", k ? " " : ",ip=", a);
	}
	if (f->rate_bytes_per_s)
		ADD(",rate=%lluB/s@%uus", (unsigned long long)f->rate_bytes_per_s, f->rate_interval_us);
	if (f->mtu)
		ADD(",mtu=%u", f->mtu);
#undef ADD
}

static void json_disk(struct writer *w, const struct domus_disk *d)
{
	w->first = true;
	fputc('{', w->out);
	key(w, "vdev", 6);
	put_json_str(w->out, d->vdev);
	if (d->target) {
		key(w, "target", 6);
		put_json_str(w->out, d->target);
	}
	key(w, "access", 6);
	put_json_str(w->out, d->readonly ? "ro" : "rw");
	if (d->cdrom) {
		key(w, "devtype", 6);
		put_json_str(w->out, "cdrom");
	}
	if (d->no_discard) {
		key(w, "discard", 6);
		fputs("false", w->out);
	}
	fprintf(w->out, "\n    }");
}

static void json_vif(struct writer *w, const struct domus_vif *f)
{
	char a[18];
	unsigned int k;

	w->first = true;
	fputc('{', w->out);
	if (f->mac_given) {
		domus_mac_format(f->mac, a);
		key(w, "mac", 6);
		put_json_str(w->out, a);
	}
	key(w, "bridge", 6);
	put_json_str(w->out, f->bridge);
	if (f->bridge_create) {
		key(w, "bridge_create", 6);
		fputs("true", w->out);
	}
	if (f->vifname[0]) {
		key(w, "vifname", 6);
		put_json_str(w->out, f->vifname);
	}
	if (f->nips) {
		key(w, "ip", 6);
		fputc('[', w->out);
		for (k = 0; k < f->nips; k++) {
			ip_text(f->ips[k], a);
			fprintf(w->out, "%s\"%s\"", k ? ", " : "", a);
		}
		fputc(']', w->out);
	}
	if (f->rate_bytes_per_s) {
		key(w, "rate", 6);
		fprintf(w->out, "\"%lluB/s@%uus\"", (unsigned long long)f->rate_bytes_per_s, f->rate_interval_us);
	}
	if (f->mtu) {
		key(w, "mtu", 6);
		fprintf(w->out, "%u", f->mtu);
	}
	fprintf(w->out, "\n    }");
}

static void put_devices(struct writer *w, const struct domus_config *c, bool disks)
{
	size_t i, n = disks ? c->ndisks : c->nvifs;
	char spec[1024];

	if (!n)
		return;
	key(w, disks ? "disk" : "vif", 2);
	fputc('[', w->out);
	for (i = 0; i < n; i++) {
		fprintf(w->out, "%s\n    ", i ? "," : "");
		if (w->json) {
			if (disks)
				json_disk(w, &c->disks[i]);
			else
				json_vif(w, &c->vifs[i]);
			continue;
		}
		if (disks)
			disk_spec(&c->disks[i], spec, sizeof(spec));
		else
			vif_spec(&c->vifs[i], spec, sizeof(spec));
		put_xl_str(w->out, spec);
	}
	fprintf(w->out, "\n%s]", w->json ? "  " : "");
	w->first = false;
	end_member(w);
}

static void put_ignored(struct writer *w, const struct domus_config *c)
{
	bool any = false;
	size_t i;

	for (i = 0; i < c->nentries; i++) {
		const struct domus_cfg_entry *e = &c->entries[i];

		if (xlcfg_key_used(e->key))
			continue;
		if (!any) {
			if (w->json) {
				key(w, "ignored", 2);
				fputc('{', w->out);
				w->first = true;
			} else {
				fputs("# keys domus does not use, as written\n", w->out);
			}
			any = true;
		}
		key(w, e->key, 4);
		put_value(w, e->value);
		end_member(w);
	}
	if (any && w->json)
		fputs("\n  }", w->out);
}

static void write_def(const struct domus_config *c, FILE *out, bool json)
{
	struct writer w = { .out = out, .json = json, .first = true };
	static const char *const actions[] = { "on_poweroff", "on_reboot", "on_crash", "on_watchdog",
					       "on_soft_reset" };
	const enum domus_cfg_action act[] = { c->on_poweroff, c->on_reboot, c->on_crash, c->on_watchdog,
					      c->on_soft_reset };
	size_t i;

	if (json)
		fputc('{', out);
	str_member(&w, "name", c->name);
	if (c->uuid && domus_config_get(c, "uuid"))
		str_member(&w, "uuid", c->uuid);
	str_member(&w, "type", c->type == DOMUS_TYPE_HVM ? "hvm" : "pvh");
	num_member(&w, "memory", c->memory_mib);
	num_member(&w, "maxmem", c->maxmem_mib);
	num_member(&w, "vcpus", c->vcpus);
	num_member(&w, "maxvcpus", c->maxvcpus);
	if (c->cpus)
		put_cpus(&w, c);
	if (c->bootloader) {
		str_member(&w, "bootloader", c->bootloader);
		if (c->bootloader_args)
			str_member(&w, "bootloader_args", c->bootloader_args);
	}
	if (!c->bootloader || c->kernel)
		str_member(&w, "kernel", c->kernel ? c->kernel : "");
	if (c->ramdisk)
		str_member(&w, "ramdisk", c->ramdisk);
	if (c->cmdline && *c->cmdline)
		str_member(&w, "cmdline", c->cmdline);
	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		str_member(&w, actions[i], domus_config_action_name(act[i]));
	if (domus_config_get(c, "max_grant_version"))
		num_member(&w, "max_grant_version", c->max_grant_version);
	put_devices(&w, c, true);
	put_devices(&w, c, false);
	put_ignored(&w, c);
	if (json)
		fputs("\n}\n", out);
}

void domus_config_write_json(const struct domus_config *c, FILE *out)
{
	write_def(c, out, true);
}

void domus_config_write_xl(const struct domus_config *c, FILE *out)
{
	write_def(c, out, false);
}

/* @c written as one form, in a new buffer (NULL: out of memory). */
static char *render(const struct domus_config *c, bool json, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	write_def(c, f, json);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

int domus_config_check_written(const struct domus_config *c, char *err, size_t errlen)
{
	int f, r = -1;

	for (f = 0; f < 2; f++) {
		bool json = f == 0;
		struct domus_config back;
		char *a = NULL, *b = NULL, *x = NULL, *y = NULL, msg[512];
		size_t alen = 0, blen = 0, xlen = 0, ylen = 0;

		domus_config_init(&back);
		a = render(c, json, &alen);
		x = render(c, !json, &xlen);
		if (!a || !x) {
			xlcfg_errf(err, errlen, "out of memory");
		} else if (domus_config_parse(&back, a, alen, "written", msg, sizeof(msg)) ||
			   domus_config_finish(&back, msg, sizeof(msg))) {
			xlcfg_errf(err, errlen, "the %s form does not read back: %s", json ? "JSON" : "xl", msg);
		} else if (!(b = render(&back, json, &blen)) || !(y = render(&back, !json, &ylen))) {
			xlcfg_errf(err, errlen, "out of memory");
		} else if (alen != blen || memcmp(a, b, alen) || xlen != ylen || memcmp(x, y, xlen)) {
			xlcfg_errf(err, errlen, "the %s form reads back to another definition", json ? "JSON" : "xl");
		} else {
			r = 0;
		}
		free(a);
		free(b);
		free(x);
		free(y);
		domus_config_free(&back);
		if (r)
			return r;
		if (f == 0)
			r = -1;
	}
	return 0;
}
