// SPDX-License-Identifier: MIT
/*
 * The other direction of domxml.c: libvirt's domain XML (the subset of
 * docs/libvirt.md "The domain XML") read with libxml2 into an xl.cfg
 * definition.  Each element becomes xl.cfg settings, written as text and
 * read by the one xl.cfg parser (so every value gets the checks `domus
 * create` gives it); the caller writes the finished definition with
 * domus_config_write_xl().  Used by domusd (define, create) and by `domus
 * config-convert` (xml -> xl).
 *
 * The document is untrusted: no network, no entity expansion, no DTD
 * loading; its size is bounded by the caller.  An element domus does not
 * know is refused by name (VIR_ERR_CONFIG_UNSUPPORTED), except the purely
 * descriptive <title>, <description> and <metadata>.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include "rpc.h"
#include "xlcfg.h"

#define X(s) ((const xmlChar *)(s))

struct xin {
	FILE *out;		/* the xl.cfg text being built */
	int code;		/* the error's VIR_ERR_* */
	char *err;
	size_t errlen;
	char **disks, **vifs;	/* list items, each a spec string */
	size_t ndisks, nvifs;
	const char *uuid;	/* the uuid when the XML has none, or NULL */
	bool has_uuid;
	long long max_mib;	/* <memory>, or -1 */
	bool has_current;	/* <currentMemory> seen */
};

static int fail(struct xin *x, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct xin *x, int code, const char *fmt, ...)
{
	va_list ap;

	x->code = code;
	va_start(ap, fmt);
	vsnprintf(x->err, x->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int unsupported(struct xin *x, xmlNodePtr n, const char *what)
{
	return fail(x, VIR_ERR_CONFIG_UNSUPPORTED,
		    "unsupported configuration: %s <%.40s> in <%.40s> is not supported by domus",
		    what, (const char *)n->name, n->parent && n->parent->name ? (const char *)n->parent->name : "?");
}

/* xl.cfg's double-quoted string (the parser reads \" \\ \xNN) */
static void put_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(f, "\\x%02x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void set_str(struct xin *x, const char *key, const char *v)
{
	fprintf(x->out, "%s = ", key);
	put_str(x->out, v);
	fputc('\n', x->out);
}

/* The element's text, trimmed (malloc'ed; "" if none), or NULL. */
static char *text_of(xmlNodePtr n)
{
	xmlChar *t = xmlNodeGetContent(n);
	char *s, *b, *e;

	if (!t)
		return strdup("");
	b = (char *)t;
	while (*b == ' ' || *b == '\t' || *b == '\n' || *b == '\r')
		b++;
	e = b + strlen(b);
	while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		e--;
	s = strndup(b, (size_t)(e - b));
	xmlFree(t);
	return s;
}

/* An attribute (malloc'ed by libxml2: free with xmlFree), or NULL. */
static char *attr(xmlNodePtr n, const char *name)
{
	return (char *)xmlGetProp(n, X(name));
}

static bool is(xmlNodePtr n, const char *name)
{
	return !xmlStrcmp(n->name, X(name));
}

/* A size in libvirt's units (default KiB) -> MiB, rounded up; -1 if bad. */
static long long size_mib(const char *v, const char *unit)
{
	static const struct { const char *u; unsigned long long mul; } units[] = {
		{ "b", 1 }, { "bytes", 1 }, { "KB", 1000ULL }, { "k", 1024ULL }, { "KiB", 1024ULL },
		{ "MB", 1000000ULL }, { "M", 1ULL << 20 }, { "MiB", 1ULL << 20 },
		{ "GB", 1000000000ULL }, { "G", 1ULL << 30 }, { "GiB", 1ULL << 30 },
		{ "TB", 1000000000000ULL }, { "T", 1ULL << 40 }, { "TiB", 1ULL << 40 },
	};
	unsigned long long n, mul = 0, bytes;
	char *end;
	size_t i;

	if (!v || !*v || strspn(v, "0123456789") != strlen(v) || strlen(v) > 15)
		return -1;
	n = strtoull(v, &end, 10);
	if (!unit)
		mul = 1024;
	for (i = 0; unit && i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(unit, units[i].u))
			mul = units[i].mul;
	if (!mul || n > (1ULL << 50) / mul)
		return -1;
	bytes = n * mul;
	return (long long)((bytes + (1ULL << 20) - 1) >> 20);
}

/* A value that goes into a comma-separated spec: no ',' and no '=' */
static bool spec_ok(const char *s)
{
	return s && *s && !strpbrk(s, ",=\"\\") && strlen(s) < 256;
}

static int memory(struct xin *x, xmlNodePtr n, const char *key)
{
	char *v = text_of(n), *unit = attr(n, "unit");
	long long mib = size_mib(v, unit);
	int r = 0;

	if (mib < 0)
		r = fail(x, VIR_ERR_XML_ERROR, "XML error: <%s> '%.40s'%s%.20s is not a size: a number of KiB, or give unit='MiB' etc.",
			 (const char *)n->name, v ? v : "", unit ? " unit " : "", unit ? unit : "");
	else
		fprintf(x->out, "%s = %lld\n", key, mib);
	if (mib >= 0 && !strcmp(key, "maxmem"))
		x->max_mib = mib;
	free(v);
	xmlFree(unit);
	return r;
}

static int vcpu(struct xin *x, xmlNodePtr n)
{
	char *v = text_of(n), *cur = attr(n, "current"), *set = attr(n, "cpuset");
	int r = 0;

	if (!v || !*v || strspn(v, "0123456789") != strlen(v) || strlen(v) > 4 ||
	    (cur && (!*cur || strspn(cur, "0123456789") != strlen(cur) || strlen(cur) > 4))) {
		r = fail(x, VIR_ERR_XML_ERROR, "XML error: <vcpu> needs a number of vCPUs (and current='N' at most that)");
		goto out;
	}
	fprintf(x->out, "maxvcpus = %s\nvcpus = %s\n", v, cur ? cur : v);
	if (set)
		set_str(x, "cpus", set);
out:
	free(v);
	xmlFree(cur);
	xmlFree(set);
	return r;
}

static int os(struct xin *x, xmlNodePtr os)
{
	xmlNodePtr n;

	for (n = os->children; n; n = n->next) {
		char *t;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (is(n, "type")) {
			char *arch = attr(n, "arch");
			bool bad_arch = arch && strcmp(arch, "x86_64");

			xmlFree(arch);
			if (bad_arch)
				return unsupported(x, n, "an arch other than x86_64 of");
			t = text_of(n);
			if (t && (!strcmp(t, "xen") || !strcmp(t, "linux") || !strcmp(t, "xenpvh")))
				set_str(x, "type", "pvh");
			else if (t && !strcmp(t, "hvm"))
				set_str(x, "type", "hvm");
			else {
				fail(x, VIR_ERR_CONFIG_UNSUPPORTED,
				     "unsupported configuration: <os><type>%.40s</type>: domus runs xenpvh (xen, linux) and hvm",
				     t ? t : "");
				free(t);
				return -1;
			}
			free(t);
		} else if (is(n, "kernel") || is(n, "initrd") || is(n, "cmdline")) {
			t = text_of(n);
			if (!t)
				return fail(x, VIR_ERR_INTERNAL_ERROR, "out of memory");
			if (*t)
				set_str(x, is(n, "kernel") ? "kernel" : is(n, "initrd") ? "ramdisk" : "cmdline", t);
			free(t);
		} else if (!is(n, "boot")) {
			return unsupported(x, n, "the element");
		}
	}
	return 0;
}

static int action(struct xin *x, xmlNodePtr n, const char *key)
{
	char *t = text_of(n);
	const char *v = NULL;

	if (t && !strcmp(t, "destroy"))
		v = "destroy";
	else if (t && (!strcmp(t, "restart") || !strcmp(t, "rename-restart")))
		v = "restart";
	else if (t && !strcmp(t, "preserve"))
		v = "preserve";
	if (!v) {
		fail(x, VIR_ERR_CONFIG_UNSUPPORTED, "unsupported configuration: <%s>%.40s</%s>: use destroy, restart or preserve",
		     key, t ? t : "", key);
		free(t);
		return -1;
	}
	free(t);
	set_str(x, key, v);
	return 0;
}

static int add_item(char ***v, size_t *n, char *s)
{
	char **nv;

	if (!s)
		return -1;
	nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv) {
		free(s);
		return -1;
	}
	nv[(*n)++] = s;
	*v = nv;
	return 0;
}

static int disk(struct xin *x, xmlNodePtr d)
{
	char *type = attr(d, "type"), *dev = attr(d, "device");
	char *src = NULL, *vdev = NULL, *fmt = NULL, *spec = NULL;
	bool ro = false, cdrom = dev && !strcmp(dev, "cdrom");
	xmlNodePtr n;
	int r = -1;

	if (type && strcmp(type, "file") && strcmp(type, "block")) {
		fail(x, VIR_ERR_CONFIG_UNSUPPORTED, "unsupported configuration: <disk type='%.20s'>: use file or block", type);
		goto out;
	}
	if (dev && strcmp(dev, "disk") && !cdrom) {
		fail(x, VIR_ERR_CONFIG_UNSUPPORTED, "unsupported configuration: <disk device='%.20s'>: use disk or cdrom", dev);
		goto out;
	}
	for (n = d->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (is(n, "source")) {
			xmlFree(src);
			src = attr(n, "file");
			if (!src)
				src = attr(n, "dev");
		} else if (is(n, "target")) {
			xmlFree(vdev);
			vdev = attr(n, "dev");
		} else if (is(n, "driver")) {
			xmlFree(fmt);
			fmt = attr(n, "type");
			if (fmt && strcmp(fmt, "raw")) {
				fail(x, VIR_ERR_CONFIG_UNSUPPORTED,
				     "unsupported configuration: <driver type='%.20s'> of a disk: domus serves raw images", fmt);
				goto out;
			}
		} else if (is(n, "readonly")) {
			ro = true;
		} else if (!is(n, "alias") && !is(n, "address")) {
			unsupported(x, n, "the element");
			goto out;
		}
	}
	if (!spec_ok(vdev)) {
		fail(x, VIR_ERR_XML_ERROR, "XML error: a <disk> needs <target dev='xvdX'/>");
		goto out;
	}
	if (!src && !cdrom) {
		fail(x, VIR_ERR_XML_ERROR, "XML error: the <disk> %.20s needs <source file='PATH'/> (or dev=)", vdev);
		goto out;
	}
	if (asprintf(&spec, "format=raw, vdev=%s, access=%s%s%s%s", vdev, ro || cdrom ? "r" : "rw",
		     cdrom ? ", devtype=cdrom" : "", src ? ", target=" : "", src ? src : "") < 0)
		spec = NULL;
	if (add_item(&x->disks, &x->ndisks, spec)) {
		fail(x, VIR_ERR_INTERNAL_ERROR, "out of memory");
		goto out;
	}
	r = 0;
out:
	xmlFree(type);
	xmlFree(dev);
	xmlFree(src);
	xmlFree(vdev);
	xmlFree(fmt);
	return r;
}

static int iface(struct xin *x, xmlNodePtr i)
{
	char *type = attr(i, "type"), *mac = NULL, *br = NULL, *ifname = NULL, *spec = NULL;
	char ips[DOMUS_VIF_MAX_IPS * 16 + 8] = "";
	unsigned int nips = 0;
	xmlNodePtr n;
	FILE *f = NULL;
	size_t len;
	int r = -1;

	if (!type || strcmp(type, "bridge")) {
		fail(x, VIR_ERR_CONFIG_UNSUPPORTED,
		     "unsupported configuration: <interface type='%.20s'>: domus connects interfaces to a bridge (type='bridge')",
		     type ? type : "");
		goto out;
	}
	for (n = i->children; n; n = n->next) {
		char *v = NULL;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (is(n, "mac") || is(n, "source") || is(n, "target") || is(n, "ip")) {
			v = attr(n, is(n, "mac") || is(n, "ip") ? "address" : is(n, "source") ? "bridge" : "dev");
			if (!spec_ok(v) || strchr(v, ' ')) {
				fail(x, VIR_ERR_XML_ERROR, "XML error: <interface><%s> needs a plain %s='...'",
				     (const char *)n->name, is(n, "source") ? "bridge" : is(n, "target") ? "dev" : "address");
				xmlFree(v);
				goto out;
			}
			if (is(n, "mac")) {
				xmlFree(mac);
				mac = v;
			} else if (is(n, "source")) {
				xmlFree(br);
				br = v;
			} else if (is(n, "target")) {
				xmlFree(ifname);
				ifname = v;
			} else {
				if (nips < DOMUS_VIF_MAX_IPS && strlen(v) < 16) {
					if (nips)
						strcat(ips, " ");
					strcat(ips, v);
				}
				nips++;
				xmlFree(v);
			}
		} else if (is(n, "model")) {
			v = attr(n, "type");
			if (v && strcmp(v, "netfront")) {
				fail(x, VIR_ERR_CONFIG_UNSUPPORTED,
				     "unsupported configuration: <model type='%.20s'> of an interface: domus has netfront", v);
				xmlFree(v);
				goto out;
			}
			xmlFree(v);
		} else if (!is(n, "script") && !is(n, "alias") && !is(n, "address")) {
			unsupported(x, n, "the element");
			goto out;
		}
	}
	if (nips > DOMUS_VIF_MAX_IPS) {
		fail(x, VIR_ERR_CONFIG_UNSUPPORTED, "unsupported configuration: an interface with over %d <ip>",
		     DOMUS_VIF_MAX_IPS);
		goto out;
	}
	f = open_memstream(&spec, &len);
	if (!f) {
		fail(x, VIR_ERR_INTERNAL_ERROR, "out of memory");
		goto out;
	}
	fprintf(f, "bridge=%s", br ? br : DOMUS_VIF_DEFAULT_BRIDGE);
	if (mac)
		fprintf(f, ",mac=%s", mac);
	if (ifname)
		fprintf(f, ",vifname=%s", ifname);
	if (nips)
		fprintf(f, ",ip=%s", ips);
	if (fclose(f) || add_item(&x->vifs, &x->nvifs, spec)) {
		fail(x, VIR_ERR_INTERNAL_ERROR, "out of memory");
		goto out;
	}
	r = 0;
out:
	xmlFree(type);
	xmlFree(mac);
	xmlFree(br);
	xmlFree(ifname);
	return r;
}

static int devices(struct xin *x, xmlNodePtr devs)
{
	xmlNodePtr n;

	for (n = devs->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (is(n, "disk")) {
			if (disk(x, n))
				return -1;
		} else if (is(n, "interface")) {
			if (iface(x, n))
				return -1;
		} else if (is(n, "console") || is(n, "serial")) {
			char *t = attr(n, "type");
			bool ok = !t || !strcmp(t, "pty");

			xmlFree(t);
			if (!ok)
				return unsupported(x, n, "a type other than 'pty' of");
			/* every domain has its console (PV: hvc0, HVM: the serial port) */
		} else {
			return unsupported(x, n, "the device");
		}
	}
	return 0;
}

static void put_list(FILE *f, const char *key, char **v, size_t n)
{
	size_t i;

	if (!n)
		return;
	fprintf(f, "%s = [ ", key);
	for (i = 0; i < n; i++) {
		if (i)
			fputs(", ", f);
		put_str(f, v[i]);
	}
	fputs(" ]\n", f);
}

static int walk(struct xin *x, xmlNodePtr root)
{
	char *type;
	xmlNodePtr n;
	bool named = false;

	if (!is(root, "domain"))
		return fail(x, VIR_ERR_XML_ERROR, "XML error: the root element is <%.40s>, not <domain>",
			    (const char *)root->name);
	type = attr(root, "type");
	if (!type || (strcmp(type, "xen") && strcmp(type, "domus"))) {
		fail(x, VIR_ERR_CONFIG_UNSUPPORTED,
		     "unsupported configuration: <domain type='%.20s'>: domus takes type='xen' (or 'domus')", type ? type : "");
		xmlFree(type);
		return -1;
	}
	xmlFree(type);
	for (n = root->children; n; n = n->next) {
		int r = 0;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (is(n, "name") || is(n, "uuid")) {
			char *t = text_of(n);

			if (!t)
				return fail(x, VIR_ERR_INTERNAL_ERROR, "out of memory");
			if (is(n, "name"))
				named = *t != 0;
			else
				x->has_uuid = true;
			set_str(x, (const char *)n->name, t);
			free(t);
		} else if (is(n, "memory")) {
			r = memory(x, n, "maxmem");
		} else if (is(n, "currentMemory")) {
			x->has_current = true;
			r = memory(x, n, "memory");
		} else if (is(n, "vcpu")) {
			r = vcpu(x, n);
		} else if (is(n, "os")) {
			r = os(x, n);
		} else if (is(n, "on_poweroff") || is(n, "on_reboot") || is(n, "on_crash")) {
			r = action(x, n, (const char *)n->name);
		} else if (is(n, "devices")) {
			r = devices(x, n);
		} else if (!is(n, "title") && !is(n, "description") && !is(n, "metadata")) {
			r = unsupported(x, n, "the element");
		}
		if (r)
			return -1;
	}
	if (!named)
		return fail(x, VIR_ERR_XML_ERROR, "XML error: the domain has no <name>: give it one");
	/* as libvirt: no <currentMemory> means all of <memory> */
	if (!x->has_current && x->max_mib >= 0)
		fprintf(x->out, "memory = %lld\n", x->max_mib);
	if (!x->has_uuid && x->uuid)
		set_str(x, "uuid", x->uuid);
	put_list(x->out, "disk", x->disks, x->ndisks);
	put_list(x->out, "vif", x->vifs, x->nvifs);
	return 0;
}

/* libxml2's own error, as one line */
static void xml_error(struct xin *x)
{
	const xmlError *e = xmlGetLastError();
	char msg[256];
	size_t n;

	snprintf(msg, sizeof(msg), "%s", e && e->message ? e->message : "not well-formed");
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = 0;
	fail(x, VIR_ERR_XML_ERROR, "XML error: line %d: %s", e ? e->line : 0, msg);
}

static void silent(void *ctx, const char *fmt, ...)
{
	(void)ctx;
	(void)fmt;
}

int domusd_xml_to_config(const char *xml, size_t len, const char *uuid, struct domus_config *cfg, int *code,
			 char *err, size_t errlen)
{
	struct xin x = { .code = 0, .err = err, .errlen = errlen, .uuid = uuid, .max_mib = -1 };
	char *text = NULL, msg[512];
	size_t tlen = 0, i;
	xmlDocPtr doc;
	int r = -1;

	domus_config_init(cfg);
	*code = 0;
	if (len > DOMUS_CFG_MAX_FILE || len > INT32_MAX) {
		*code = VIR_ERR_XML_ERROR;
		snprintf(err, errlen, "XML error: the document is over %u bytes", DOMUS_CFG_MAX_FILE);
		return -1;
	}
	xmlSetGenericErrorFunc(NULL, silent);
	xmlResetLastError();
	doc = xmlReadMemory(xml, (int)len, "domain.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc || !xmlDocGetRootElement(doc)) {
		xml_error(&x);
		goto out;
	}
	x.out = open_memstream(&text, &tlen);
	if (!x.out) {
		fail(&x, VIR_ERR_INTERNAL_ERROR, "out of memory");
		goto out;
	}
	r = walk(&x, xmlDocGetRootElement(doc));
	if (fclose(x.out) && !r)
		r = fail(&x, VIR_ERR_INTERNAL_ERROR, "out of memory");
	if (r)
		goto out;
	r = -1;
	if (domus_config_parse(cfg, text, tlen, "<domain>", msg, sizeof(msg)) ||
	    domus_config_finish(cfg, msg, sizeof(msg))) {
		/* "<domain>:LINE: key: what" -- the line is ours, the key names it */
		const char *m = !strncmp(msg, "<domain>:", 9) ? strchr(msg + 9, ' ') : NULL;

		fail(&x, VIR_ERR_CONFIG_UNSUPPORTED, "unsupported configuration: %s", m ? m + 1 : msg);
		domus_config_free(cfg);
		domus_config_init(cfg);
		goto out;
	}
	r = 0;
out:
	*code = x.code;
	for (i = 0; i < x.ndisks; i++)
		free(x.disks[i]);
	for (i = 0; i < x.nvifs; i++)
		free(x.vifs[i]);
	free(x.disks);
	free(x.vifs);
	free(text);
	if (doc)
		xmlFreeDoc(doc);
	return r;
}

char *domusd_config_xl_text(const struct domus_config *cfg)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	domus_config_write_xl(cfg, f);
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}
