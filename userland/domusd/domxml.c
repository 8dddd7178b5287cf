// SPDX-License-Identifier: MIT
/*
 * domusd: the domain XML of a definition and the capabilities XML, built
 * with libxml2 (never by hand).  One place for the conversion between an
 * xl.cfg definition (struct domus_config) and libvirt's domain XML; the
 * XML -> definition direction (define) will join it (issue 16).
 *
 * The form follows libvirt's xen conventions (the reference, section
 * 10): <domain type='xen'>, <os><type> xenpvh (PVH) or hvm, xvd* disks on
 * bus 'xen', bridge interfaces with their MAC, a xen console.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <libxml/tree.h>
#include <libxml/xmlsave.h>
#include "rpc.h"
#include "xlcfg.h"

#define X(s) ((const xmlChar *)(s))

static xmlNodePtr child(xmlNodePtr parent, const char *name, const char *text)
{
	return xmlNewTextChild(parent, NULL, X(name), text ? X(text) : NULL);
}

static xmlNodePtr childf(xmlNodePtr parent, const char *name, const char *fmt, unsigned long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), fmt, v);
	return child(parent, name, buf);
}

static void prop(xmlNodePtr n, const char *name, const char *value)
{
	if (n)
		xmlNewProp(n, X(name), X(value));
}

/* The document as text without the XML declaration, as libvirt prints it. */
static char *dump(xmlDocPtr doc)
{
	xmlBufferPtr buf = xmlBufferCreate();
	xmlSaveCtxtPtr save;
	char *out = NULL;

	if (!buf)
		return NULL;
	save = xmlSaveToBuffer(buf, "UTF-8", XML_SAVE_FORMAT | XML_SAVE_NO_DECL);
	if (save) {
		if (xmlSaveDoc(save, doc) >= 0 && xmlSaveClose(save) >= 0)
			out = strdup((const char *)xmlBufferContent(buf));
		else
			save = NULL;
	}
	xmlBufferFree(buf);
	return out;
}

static const char *action(enum domus_cfg_action a)
{
	switch (a) {
	case DOMUS_ACTION_RESTART: return "restart";
	case DOMUS_ACTION_PRESERVE: return "preserve";
	case DOMUS_ACTION_DESTROY: break;
	}
	return "destroy";
}

static void add_disk(xmlNodePtr devs, const struct domus_disk *d)
{
	xmlNodePtr disk = child(devs, "disk", NULL), n;
	struct stat st;
	bool block = d->target && !stat(d->target, &st) && S_ISBLK(st.st_mode);

	prop(disk, "type", block ? "block" : "file");
	prop(disk, "device", d->cdrom ? "cdrom" : "disk");
	n = child(disk, "driver", NULL);
	prop(n, "name", "domus");
	prop(n, "type", "raw");
	if (d->target) {
		n = child(disk, "source", NULL);
		prop(n, block ? "dev" : "file", d->target);
	}
	n = child(disk, "target", NULL);
	prop(n, "dev", d->vdev);
	prop(n, "bus", "xen");
	if (d->readonly)
		child(disk, "readonly", NULL);
}

static void add_vif(xmlNodePtr devs, const struct domus_vif *v)
{
	xmlNodePtr nic = child(devs, "interface", NULL), n;
	char mac[18];
	unsigned int i;

	prop(nic, "type", "bridge");
	domus_mac_format(v->mac, mac);
	n = child(nic, "mac", NULL);
	prop(n, "address", mac);
	n = child(nic, "source", NULL);
	prop(n, "bridge", v->bridge);
	for (i = 0; i < v->nips && i < DOMUS_VIF_MAX_IPS; i++) {
		char ip[16];
		uint32_t a = v->ips[i];

		snprintf(ip, sizeof(ip), "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
		n = child(nic, "ip", NULL);
		prop(n, "address", ip);
	}
	if (v->vifname[0]) {
		n = child(nic, "target", NULL);
		prop(n, "dev", v->vifname);
	}
	n = child(nic, "model", NULL);
	prop(n, "type", "netfront");
}

char *domusd_domain_xml(const struct domus_config *c, int id, unsigned long long cur_kib)
{
	xmlDocPtr doc = xmlNewDoc(X("1.0"));
	xmlNodePtr dom, os, n, devs;
	bool hvm = c->type == DOMUS_TYPE_HVM;
	char buf[32];
	char *out;
	size_t i;

	if (!doc)
		return NULL;
	dom = xmlNewNode(NULL, X("domain"));
	if (!dom) {
		xmlFreeDoc(doc);
		return NULL;
	}
	xmlDocSetRootElement(doc, dom);
	prop(dom, "type", "xen");
	if (id >= 0) {
		snprintf(buf, sizeof(buf), "%d", id);
		prop(dom, "id", buf);
	}
	child(dom, "name", c->name);
	if (c->uuid)
		child(dom, "uuid", c->uuid);
	n = childf(dom, "memory", "%llu", (unsigned long long)c->maxmem_mib * 1024);
	prop(n, "unit", "KiB");
	n = childf(dom, "currentMemory", "%llu", cur_kib ? cur_kib : (unsigned long long)c->memory_mib * 1024);
	prop(n, "unit", "KiB");
	n = childf(dom, "vcpu", "%llu", c->maxvcpus);
	prop(n, "placement", "static");
	if (c->vcpus != c->maxvcpus) {
		snprintf(buf, sizeof(buf), "%u", c->vcpus);
		prop(n, "current", buf);
	}
	if (c->cpus && c->maxvcpus) {
		/* cpus=: one set for all vCPUs is cpuset=; per-vCPU sets
		 * (libvirt's <cputune>) are not written */
		bool same = true;
		char set[512];
		uint32_t v;

		for (v = 1; v < c->maxvcpus; v++)
			same &= !memcmp(&c->cpus[v], &c->cpus[0], sizeof(c->cpus[0]));
		domus_cpuset_format(&c->cpus[0], DOMUS_CPUSET_MAX, set, sizeof(set));
		if (same && strcmp(set, "none"))
			prop(n, "cpuset", set);
	}
	os = child(dom, "os", NULL);
	n = child(os, "type", hvm ? "hvm" : "xenpvh");
	prop(n, "arch", "x86_64");
	prop(n, "machine", hvm ? "xenfv" : "xenpvh");
	if (c->kernel)
		child(os, "kernel", c->kernel);
	if (c->ramdisk)
		child(os, "initrd", c->ramdisk);
	if (c->cmdline && *c->cmdline)
		child(os, "cmdline", c->cmdline);
	child(dom, "on_poweroff", action(c->on_poweroff));
	child(dom, "on_reboot", action(c->on_reboot));
	child(dom, "on_crash", action(c->on_crash));
	devs = child(dom, "devices", NULL);
	for (i = 0; i < c->ndisks && i < DOMUS_CFG_MAX_DISKS; i++)
		add_disk(devs, &c->disks[i]);
	for (i = 0; i < c->nvifs && i < DOMUS_CFG_MAX_VIFS; i++)
		add_vif(devs, &c->vifs[i]);
	n = child(devs, "console", NULL);
	prop(n, "type", "pty");
	n = child(n, "target", NULL);
	prop(n, "type", hvm ? "serial" : "xen");
	prop(n, "port", "0");
	out = dump(doc);
	xmlFreeDoc(doc);
	return out;
}

/* One <guest> of the capabilities: an OS type and its machine. */
static void cap_guest(xmlNodePtr caps, const char *os_type, const char *machine)
{
	xmlNodePtr g = child(caps, "guest", NULL), a, n;

	child(g, "os_type", os_type);
	a = child(g, "arch", NULL);
	prop(a, "name", "x86_64");
	child(a, "wordsize", "64");
	child(a, "machine", machine);
	n = child(a, "domain", NULL);
	prop(n, "type", "xen");
}

char *domusd_capabilities_xml(void)
{
	xmlDocPtr doc = xmlNewDoc(X("1.0"));
	xmlNodePtr caps, host, cpu;
	struct utsname u;
	char *out;

	if (!doc)
		return NULL;
	caps = xmlNewNode(NULL, X("capabilities"));
	if (!caps) {
		xmlFreeDoc(doc);
		return NULL;
	}
	xmlDocSetRootElement(doc, caps);
	host = child(caps, "host", NULL);
	cpu = child(host, "cpu", NULL);
	child(cpu, "arch", !uname(&u) ? u.machine : "x86_64");
	cap_guest(caps, "xenpvh", "xenpvh");
	cap_guest(caps, "hvm", "xenfv");
	out = dump(doc);
	xmlFreeDoc(doc);
	return out;
}
