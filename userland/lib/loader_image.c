// SPDX-License-Identifier: MIT
/*
 * libdomus kernel loader, part 1: reading a kernel file, unpacking a
 * bzImage payload (xz, lzma, gzip, zstd) and validating the ELF vmlinux
 * inside it.  The file is untrusted input: all offsets and sizes are
 * checked against the bytes actually present, and the decompressed size is
 * capped at DOMUS_LOADER_MAX_ELF.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>
#include "libdomus.h"
#include "loader.h"
#include "loader_int.h"

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p) { return (uint32_t)get16(p) | (uint32_t)get16(p + 2) << 16; }
static uint64_t get64(const uint8_t *p) { return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32; }

const char *domus_kernel_compression_name(uint32_t comp)
{
	switch (comp) {
	case DOMUS_KCOMP_NONE: return "none";
	case DOMUS_KCOMP_GZIP: return "gzip";
	case DOMUS_KCOMP_XZ: return "xz";
	case DOMUS_KCOMP_ZSTD: return "zstd";
	case DOMUS_KCOMP_LZMA: return "lzma";
	default: return "unknown";
	}
}

/* --- reading files ------------------------------------------------------ */

/* Open @path for reading as a regular file of 1..@cap bytes: the fd, or
 * -errno with the error message set. */
static int open_input(const char *path, const char *what, const char *key, uint64_t cap,
		      struct stat *st)
{
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		return domus_set_error(err, "cannot open %s %s: %s; check %s= in the config",
				       what, path, strerror(err), key);
	}
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return domus_set_error(EINVAL, "%s %s is not a regular file; check %s= in the config",
				       what, path, key);
	}
	if (st->st_size == 0 || (uint64_t)st->st_size > cap) {
		close(fd);
		return domus_set_error(st->st_size ? EFBIG : ENOEXEC,
				       "%s %s is %s (%lld bytes; the limit is %llu MiB); check %s= in the config",
				       what, path, st->st_size ? "too large" : "empty",
				       (long long)st->st_size, (unsigned long long)(cap >> 20), key);
	}
	return fd;
}

/* Read the @st->st_size bytes of @fd (closed here) into a new buffer. */
static int read_input(int fd, const struct stat *st, const char *what, const char *path,
		      uint8_t **data, size_t *len)
{
	uint8_t *buf;
	size_t got = 0;
	int err;

	buf = malloc((size_t)st->st_size);
	if (!buf) {
		close(fd);
		return domus_set_error(ENOMEM, "out of memory reading %s %s (%lld bytes)",
				       what, path, (long long)st->st_size);
	}
	while (got < (size_t)st->st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st->st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? errno : EIO;
			close(fd);
			free(buf);
			return domus_set_error(err, "cannot read %s %s: %s", what, path,
					       n < 0 ? strerror(err) : "file shrank while reading");
		}
		got += (size_t)n;
	}
	close(fd);
	*data = buf;
	*len = got;
	return 0;
}

int domus_loader_read_file(const char *path, const char *what, const char *key,
			   uint64_t cap, uint8_t **data, size_t *len)
{
	struct stat st;
	int fd;

	*data = NULL;
	*len = 0;
	fd = open_input(path, what, key, cap, &st);
	if (fd < 0)
		return fd;
	return read_input(fd, &st, what, path, data, len);
}

/* --- decompression ------------------------------------------------------ */

struct outbuf {
	uint8_t *p;
	size_t len;	/* bytes produced */
	size_t cap;	/* bytes allocated */
};

/* Make room for more output: double, up to DOMUS_LOADER_MAX_ELF. */
static int out_grow(struct outbuf *o, const char *name, const char *fmt)
{
	size_t ncap;
	uint8_t *np;

	if (o->cap >= DOMUS_LOADER_MAX_ELF)
		return domus_set_error(EFBIG, "kernel %s: the %s payload unpacks to more than %llu MiB; not a kernel domus can load",
				       name, fmt, (unsigned long long)(DOMUS_LOADER_MAX_ELF >> 20));
	ncap = o->cap ? o->cap * 2 : (1u << 20);
	if (ncap > DOMUS_LOADER_MAX_ELF)
		ncap = DOMUS_LOADER_MAX_ELF;
	np = realloc(o->p, ncap);
	if (!np)
		return domus_set_error(ENOMEM, "kernel %s: out of memory unpacking the %s payload (%zu MiB)",
				       name, fmt, ncap >> 20);
	o->p = np;
	o->cap = ncap;
	return 0;
}

static int corrupt(const char *name, const char *fmt, const char *why)
{
	return domus_set_error(ENOEXEC, "kernel %s: the %s payload is corrupt or truncated (%s); re-copy the kernel image",
			       name, fmt, why);
}

static const char *lzma_why(lzma_ret r)
{
	switch (r) {
	case LZMA_MEM_ERROR: return "out of memory";
	case LZMA_MEMLIMIT_ERROR: return "needs more than 128 MiB of decoder memory";
	case LZMA_FORMAT_ERROR: return "bad header";
	case LZMA_OPTIONS_ERROR: return "unsupported options";
	case LZMA_DATA_ERROR: return "data error";
	case LZMA_BUF_ERROR: return "unexpected end of data";
	default: return "decoder error";
	}
}

/* xz (stream decoder, single stream: the 4-byte size trailer that follows
 * it is not read) and lzma-alone. */
static int unpack_lzma(const uint8_t *src, size_t len, bool alone, struct outbuf *o,
		       const char *name)
{
	const char *fmt = alone ? "lzma" : "xz";
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret r;
	int ret = 0;

	r = alone ? lzma_alone_decoder(&s, 128ULL << 20)
		  : lzma_stream_decoder(&s, 128ULL << 20, 0);
	if (r != LZMA_OK)
		return corrupt(name, fmt, lzma_why(r));
	s.next_in = src;
	s.avail_in = len;
	for (;;) {
		if (o->len == o->cap && (ret = out_grow(o, name, fmt)))
			break;
		s.next_out = o->p + o->len;
		s.avail_out = o->cap - o->len;
		r = lzma_code(&s, LZMA_FINISH);
		o->len = o->cap - s.avail_out;
		if (r == LZMA_STREAM_END)
			break;
		if (r == LZMA_OK)	/* output full, or progress made: go on */
			continue;
		ret = corrupt(name, fmt, lzma_why(r));
		break;
	}
	lzma_end(&s);
	return ret;
}

static int unpack_gzip(const uint8_t *src, size_t len, struct outbuf *o, const char *name)
{
	z_stream z;
	int r, ret = 0;

	memset(&z, 0, sizeof(z));
	if (len > UINT_MAX)
		return corrupt(name, "gzip", "too large");
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return domus_set_error(ENOMEM, "kernel %s: cannot set up zlib", name);
	z.next_in = (Bytef *)(uintptr_t)src;
	z.avail_in = (uInt)len;
	for (;;) {
		if (o->len == o->cap && (ret = out_grow(o, name, "gzip")))
			break;
		z.next_out = o->p + o->len;
		z.avail_out = (uInt)(o->cap - o->len);
		r = inflate(&z, Z_NO_FLUSH);
		o->len = o->cap - z.avail_out;
		if (r == Z_STREAM_END)
			break;
		if ((r == Z_OK || r == Z_BUF_ERROR) && z.avail_out == 0)
			continue;
		if (r == Z_OK && z.avail_in > 0)
			continue;
		ret = corrupt(name, "gzip", r == Z_OK || r == Z_BUF_ERROR ? "unexpected end of data"
					    : (z.msg ? z.msg : "data error"));
		break;
	}
	inflateEnd(&z);
	return ret;
}

static int unpack_zstd(const uint8_t *src, size_t len, struct outbuf *o, const char *name)
{
	ZSTD_DStream *ds = ZSTD_createDStream();
	ZSTD_inBuffer in = { src, len, 0 };
	int ret = 0;

	if (!ds)
		return domus_set_error(ENOMEM, "kernel %s: cannot set up zstd", name);
	/* at most a 128 MiB window (what `zstd -22 --ultra` uses) */
	if (ZSTD_isError(ZSTD_DCtx_setParameter(ds, ZSTD_d_windowLogMax, 27))) {
		ZSTD_freeDStream(ds);
		return domus_set_error(EINVAL, "kernel %s: cannot set up zstd", name);
	}
	for (;;) {
		ZSTD_outBuffer out;
		size_t r;

		if (o->len == o->cap && (ret = out_grow(o, name, "zstd")))
			break;
		out.dst = o->p + o->len;
		out.size = o->cap - o->len;
		out.pos = 0;
		r = ZSTD_decompressStream(ds, &out, &in);
		o->len += out.pos;
		if (ZSTD_isError(r)) {
			ret = corrupt(name, "zstd", ZSTD_getErrorName(r));
			break;
		}
		if (r == 0)		/* frame complete */
			break;
		if (out.pos == out.size)
			continue;
		if (in.pos == in.size) {
			ret = corrupt(name, "zstd", "unexpected end of data");
			break;
		}
	}
	ZSTD_freeDStream(ds);
	return ret;
}

/* --- bzImage ------------------------------------------------------------ */

#define BZ_SETUP_SECTS	0x1f1
#define BZ_HDRS		0x202
#define BZ_VERSION	0x206
#define BZ_PAYLOAD_OFF	0x248
#define BZ_PAYLOAD_LEN	0x24c
#define BZ_HDR_END	0x250

static bool is_bzimage(const uint8_t *d, size_t len)
{
	return len >= BZ_HDRS + 4 && !memcmp(d + BZ_HDRS, "HdrS", 4);
}

/* Unpack a bzImage's payload into *elf. */
static int bzimage_unpack(const uint8_t *d, size_t len, const char *name,
			  struct domus_kernel_info *info, uint8_t **elf, size_t *elf_len)
{
	uint64_t setup_sects, pm_off, poff, plen, end;
	const uint8_t *pl;
	struct outbuf o = { NULL, 0, 0 };
	uint32_t hint;
	int ret;

	if (len < BZ_HDR_END)
		return domus_set_error(ENOEXEC, "kernel %s: truncated bzImage (%zu bytes, the header alone needs %u); re-copy the kernel image",
				       name, len, BZ_HDR_END);
	info->format = DOMUS_KFMT_BZIMAGE;
	info->boot_protocol = get16(d + BZ_VERSION);
	if (info->boot_protocol < 0x0208)
		return domus_set_error(ENOEXEC, "kernel %s: bzImage boot protocol %u.%02u is too old (2.08 or later has the payload fields); use a newer kernel or its vmlinux",
				       name, info->boot_protocol >> 8, info->boot_protocol & 0xff);
	setup_sects = d[BZ_SETUP_SECTS] ? d[BZ_SETUP_SECTS] : 4;
	pm_off = (setup_sects + 1) * 512;
	poff = get32(d + BZ_PAYLOAD_OFF);
	plen = get32(d + BZ_PAYLOAD_LEN);
	end = pm_off + poff + plen;
	if (plen < 4)
		return domus_set_error(ENOEXEC, "kernel %s: bzImage has no payload (payload_length %llu); not a kernel domus can load",
				       name, (unsigned long long)plen);
	if (end > len)
		return domus_set_error(ENOEXEC, "kernel %s: truncated bzImage: the payload ends at byte %llu but the file has %zu bytes; re-copy the kernel image",
				       name, (unsigned long long)end, len);
	pl = d + pm_off + poff;
	/* Linux appends the unpacked size: a first guess for the buffer. */
	hint = get32(pl + plen - 4);
	if (hint && hint <= DOMUS_LOADER_MAX_ELF && hint / 32 <= plen) {
		o.cap = (size_t)hint + 4096;	/* room to see the stream end */
		o.p = malloc(o.cap);
		if (!o.p)
			o.cap = 0;
	}

	if (plen >= 6 && !memcmp(pl, "\xfd" "7zXZ\0", 6)) {
		info->compression = DOMUS_KCOMP_XZ;
		ret = unpack_lzma(pl, plen, false, &o, name);
	} else if (plen >= 3 && pl[0] == 0x1f && (pl[1] == 0x8b || pl[1] == 0x9e)) {
		info->compression = DOMUS_KCOMP_GZIP;
		ret = unpack_gzip(pl, plen, &o, name);
	} else if (!memcmp(pl, "\x28\xb5\x2f\xfd", 4)) {
		info->compression = DOMUS_KCOMP_ZSTD;
		ret = unpack_zstd(pl, plen, &o, name);
	} else if (plen >= 13 && pl[0] == 0x5d && pl[1] == 0 && pl[2] == 0) {
		info->compression = DOMUS_KCOMP_LZMA;
		ret = unpack_lzma(pl, plen, true, &o, name);
	} else if (!memcmp(pl, "\x7f" "ELF", 4)) {
		uint8_t *np = realloc(o.p, plen);	/* shrink or allocate */

		info->compression = DOMUS_KCOMP_NONE;
		if (!np) {
			free(o.p);
			return domus_set_error(ENOMEM, "kernel %s: out of memory", name);
		}
		o.p = np;
		memcpy(o.p, pl, plen);
		o.len = plen;
		ret = 0;
	} else {
		const char *fmt = NULL;

		free(o.p);
		if (!memcmp(pl, "BZh", 3))
			fmt = "bzip2";
		else if (!memcmp(pl, "\x89LZO", 4))
			fmt = "lzo";
		else if (!memcmp(pl, "\x02\x21\x4c\x18", 4) || !memcmp(pl, "\x04\x22\x4d\x18", 4))
			fmt = "lz4";
		if (fmt)
			return domus_set_error(ENOTSUP, "kernel %s: the payload is %s-compressed, which domus cannot unpack; use a kernel built with CONFIG_KERNEL_XZ, _GZIP, _ZSTD or _LZMA, or its vmlinux",
					       name, fmt);
		return domus_set_error(ENOEXEC, "kernel %s: unknown bzImage payload format (magic %02x %02x %02x %02x); use a kernel compressed with xz, gzip, zstd or lzma, or its vmlinux",
				       name, pl[0], pl[1], pl[2], pl[3]);
	}
	if (ret) {
		free(o.p);
		return ret;
	}
	*elf = o.p;
	*elf_len = o.len;
	return 0;
}

/* --- ELF ---------------------------------------------------------------- */

#define PT_LOAD_	1
#define PT_NOTE_	4
#define MAX_PHNUM	128

/*
 * Where the fields the loader reads sit in each ELF class (the ELF
 * specification's Elf32_Ehdr/Elf32_Phdr and Elf64_Ehdr/Elf64_Phdr).  Like
 * Xen's loader, domus takes a PVH kernel of either class: unikernels and
 * test kernels are often ELF32 with 64-bit code inside.
 */
struct elf_layout {
	uint8_t class;			/* EI_CLASS */
	uint16_t machine;		/* EM_386, EM_X86_64 */
	unsigned int ehdr_size, phdr_size, word;
	unsigned int e_phoff, e_phentsize, e_phnum;
	unsigned int p_offset, p_paddr, p_filesz, p_memsz;
};

static const struct elf_layout elf_layouts[] = {
	{ .class = 1, .machine = 3, .ehdr_size = 52, .phdr_size = 32, .word = 4,
	  .e_phoff = 28, .e_phentsize = 42, .e_phnum = 44,
	  .p_offset = 4, .p_paddr = 12, .p_filesz = 16, .p_memsz = 20 },
	{ .class = 2, .machine = 62, .ehdr_size = 64, .phdr_size = 56, .word = 8,
	  .e_phoff = 32, .e_phentsize = 54, .e_phnum = 56,
	  .p_offset = 8, .p_paddr = 24, .p_filesz = 32, .p_memsz = 40 },
};

static uint64_t get_word(const struct elf_layout *l, const uint8_t *p)
{
	return l->word == 4 ? get32(p) : get64(p);
}

/* Walk one PT_NOTE segment for the Xen PHYS32_ENTRY note.
 * Returns 1 with *entry set, 0 if absent, <0 on a malformed note area. */
static int find_pvh_note(const uint8_t *n, uint64_t len, uint64_t *entry, const char *name)
{
	uint64_t off = 0;

	while (off + 12 <= len) {
		uint64_t namesz = get32(n + off), descsz = get32(n + off + 4);
		uint32_t type = get32(n + off + 8);
		uint64_t name_off = off + 12;
		uint64_t desc_off = name_off + ((namesz + 3) & ~3ULL);
		uint64_t next = desc_off + ((descsz + 3) & ~3ULL);

		if (next > len)
			return domus_set_error(ENOEXEC, "kernel %s: malformed ELF note (extends past its PT_NOTE segment); re-copy the kernel image",
					       name);
		if (namesz == 4 && !memcmp(n + name_off, "Xen", 4) &&
		    type == DOMUS_XEN_ELFNOTE_PHYS32_ENTRY) {
			if (descsz == 4)
				*entry = get32(n + desc_off);
			else if (descsz == 8)
				*entry = get64(n + desc_off);
			else
				return domus_set_error(ENOEXEC, "kernel %s: malformed XEN_ELFNOTE_PHYS32_ENTRY note (%llu bytes); re-copy the kernel image",
						       name, (unsigned long long)descsz);
			return 1;
		}
		off = next;
	}
	return 0;
}

static int elf_bad(const char *name, const char *what)
{
	return domus_set_error(ENOEXEC, "kernel %s: bad ELF vmlinux: %s; pass the distribution's bzImage or an unmodified vmlinux",
			       name, what);
}

int domus_loader_elf_segments(struct domus_kernel *k, uint64_t *pvh_entry, uint64_t *e_entry)
{
	const uint8_t *e = k->elf;
	uint64_t len = k->elf_size, phoff, entry = 0;
	const struct elf_layout *l;
	unsigned int phnum, i, j;
	const char *name = k->name;
	bool have_entry = false;
	char msg[160];

	if (len < 16 || memcmp(e, "\x7f" "ELF", 4))
		return elf_bad(name, "no ELF header");
	if ((e[4] != 1 && e[4] != 2) || e[5] != 1)
		return elf_bad(name, "not a 32- or 64-bit little-endian ELF file");
	l = &elf_layouts[e[4] - 1];
	if (len < l->ehdr_size)
		return elf_bad(name, "no ELF header");
	if (e[6] != 1)
		return elf_bad(name, "unknown ELF version");
	if (get16(e + 18) != l->machine)
		return elf_bad(name, l->class == 2 ? "not an x86-64 kernel (ELF64 for another machine)" :
				     "not an x86 kernel (ELF32 for another machine)");
	if (get16(e + 16) != 2)
		return elf_bad(name, "not an executable (ET_EXEC) image");
	phoff = get_word(l, e + l->e_phoff);
	phnum = get16(e + l->e_phnum);
	if (get16(e + l->e_phentsize) != l->phdr_size)
		return elf_bad(name, "unexpected program header size");
	if (phnum == 0 || phnum > MAX_PHNUM)
		return elf_bad(name, "no or too many program headers");
	if (phoff > len || (uint64_t)phnum * l->phdr_size > len - phoff)
		return elf_bad(name, "program headers lie outside the file");

	k->nseg = 0;
	k->info.image_start = UINT64_MAX;
	k->info.image_end = 0;
	for (i = 0; i < phnum; i++) {
		const uint8_t *ph = e + phoff + (uint64_t)i * l->phdr_size;
		uint32_t type = get32(ph);
		uint64_t off = get_word(l, ph + l->p_offset), paddr = get_word(l, ph + l->p_paddr);
		uint64_t filesz = get_word(l, ph + l->p_filesz), memsz = get_word(l, ph + l->p_memsz);
		int r;

		if (type != PT_LOAD_ && type != PT_NOTE_)
			continue;
		if (off > len || filesz > len - off) {
			snprintf(msg, sizeof(msg), "program header %u (offset 0x%llx, size 0x%llx) lies outside the %llu-byte file",
				 i, (unsigned long long)off, (unsigned long long)filesz, (unsigned long long)len);
			return elf_bad(name, msg);
		}
		if (type == PT_NOTE_) {
			if (have_entry)
				continue;
			r = find_pvh_note(e + off, filesz, &entry, name);
			if (r < 0)
				return r;
			have_entry = r > 0;
			continue;
		}
		if (memsz == 0)
			continue;
		if (filesz > memsz || paddr >= (1ULL << 32) || memsz > (1ULL << 32) - paddr) {
			snprintf(msg, sizeof(msg), "load segment %u (paddr 0x%llx, size 0x%llx) is not below 4 GiB",
				 i, (unsigned long long)paddr, (unsigned long long)memsz);
			return elf_bad(name, msg);
		}
		if (k->nseg == DOMUS_LOADER_MAX_SEGS)
			return elf_bad(name, "too many load segments");
		for (j = 0; j < k->nseg; j++)
			if (paddr < k->seg[j].paddr + k->seg[j].memsz &&
			    k->seg[j].paddr < paddr + memsz)
				return elf_bad(name, "load segments overlap");
		k->seg[k->nseg].offset = off;
		k->seg[k->nseg].paddr = paddr;
		k->seg[k->nseg].filesz = filesz;
		k->seg[k->nseg].memsz = memsz;
		k->nseg++;
		if (paddr < k->info.image_start)
			k->info.image_start = paddr;
		if (paddr + memsz > k->info.image_end)
			k->info.image_end = paddr + memsz;
	}
	if (k->nseg == 0)
		return elf_bad(name, "no loadable segments");
	k->info.nr_segments = k->nseg;
	*pvh_entry = have_entry ? entry : UINT64_MAX;
	*e_entry = get_word(l, e + 24);
	return 0;
}

/* The segment of @k whose file bytes hold @addr, or -1. */
int domus_loader_seg_of(const struct domus_kernel *k, uint64_t addr)
{
	unsigned int i;

	for (i = 0; i < k->nseg; i++)
		if (addr >= k->seg[i].paddr && addr < k->seg[i].paddr + k->seg[i].filesz)
			return (int)i;
	return -1;
}

int domus_loader_parse_elf(struct domus_kernel *k)
{
	uint64_t entry, e_entry;
	char msg[160];
	int r;

	r = domus_loader_elf_segments(k, &entry, &e_entry);
	if (r)
		return r;
	if (entry == UINT64_MAX)
		return domus_set_error(ENOEXEC, "kernel %s has no PVH entry point (XEN_ELFNOTE_PHYS32_ENTRY): domus needs a kernel built with CONFIG_PVH",
				       k->name);
	if (domus_loader_seg_of(k, entry) < 0) {
		snprintf(msg, sizeof(msg), "the PVH entry point 0x%llx is outside its loaded segments",
			 (unsigned long long)entry);
		return elf_bad(k->name, msg);
	}
	k->info.entry = entry;
	return 0;
}

/* --- open / close ------------------------------------------------------- */

struct domus_kernel *domus_loader_kernel_new(uint8_t *data, size_t len, const char *name)
{
	struct domus_kernel *k = calloc(1, sizeof(*k));

	if (!k) {
		free(data);
		domus_set_error(ENOMEM, "out of memory");
		return NULL;
	}
	snprintf(k->name, sizeof(k->name), "%s", name);
	k->info.file_size = len;
	return k;
}

/* Takes ownership of @data (malloc'ed).  @st: the file's identity, to
 * keep an unpacked bzImage in the cache (NULL: from memory, no cache). */
static int kernel_open_owned(uint8_t *data, size_t len, const char *name,
			     const struct stat *st, struct domus_kernel **out)
{
	struct domus_kernel *k;
	bool cache = false;
	int ret;

	*out = NULL;
	k = domus_loader_kernel_new(data, len, name);
	if (!k)
		return -ENOMEM;
	if (is_bzimage(data, len)) {
		ret = bzimage_unpack(data, len, k->name, &k->info, &k->elf, &k->elf_size);
		free(data);
		if (ret) {
			free(k);
			return ret;
		}
		cache = st != NULL;
	} else if (len >= 4 && !memcmp(data, "\x7f" "ELF", 4)) {
		k->info.format = DOMUS_KFMT_ELF;
		k->elf = data;
		k->elf_size = len;
	} else {
		free(data);
		free(k);
		return domus_set_error(ENOEXEC, "kernel %s is neither a bzImage nor an ELF vmlinux (no 'HdrS' header, no ELF magic); check kernel= in the config",
				       name);
	}
	k->info.elf_size = k->elf_size;
	ret = domus_loader_parse_elf(k);
	if (ret) {
		domus_kernel_close(k);
		return ret;
	}
	/* only a vmlinux that passed every check is kept */
	if (cache)
		domus_kcache_put(st, &k->info, k->elf, k->elf_size);
	*out = k;
	return 0;
}

/* A bzImage whose vmlinux is in the cache: opened without reading or
 * unpacking it; NULL on a miss or when the cached copy fails a check. */
static struct domus_kernel *kernel_open_cached(const char *path, const struct stat *st)
{
	struct domus_kernel *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	snprintf(k->name, sizeof(k->name), "%s", path);
	if (domus_kcache_get(st, &k->info, &k->elf, &k->elf_size)) {
		free(k);
		return NULL;
	}
	k->info.file_size = (uint64_t)st->st_size;
	k->info.elf_size = k->elf_size;
	if (domus_loader_parse_elf(k)) {
		domus_kernel_close(k);
		return NULL;
	}
	return k;
}

int domus_kernel_open(const char *path, struct domus_kernel **out)
{
	struct stat st;
	uint8_t *data;
	size_t len;
	int fd, ret;

	*out = NULL;
	fd = open_input(path, "kernel", "kernel", DOMUS_LOADER_MAX_FILE, &st);
	if (fd < 0)
		return fd;
	*out = kernel_open_cached(path, &st);
	if (*out) {
		close(fd);
		return 0;
	}
	ret = read_input(fd, &st, "kernel", path, &data, &len);
	if (ret)
		return ret;
	return kernel_open_owned(data, len, path, &st, out);
}

int domus_kernel_open_mem(const void *data, size_t len, const char *name,
			  struct domus_kernel **out)
{
	uint8_t *copy;

	*out = NULL;
	if (len == 0 || len > DOMUS_LOADER_MAX_FILE)
		return domus_set_error(len ? EFBIG : ENOEXEC, "kernel %s is %s; check kernel= in the config",
				       name, len ? "too large" : "empty");
	copy = malloc(len);
	if (!copy)
		return domus_set_error(ENOMEM, "out of memory");
	memcpy(copy, data, len);
	return kernel_open_owned(copy, len, name, NULL, out);
}

void domus_kernel_close(struct domus_kernel *k)
{
	if (!k)
		return;
	free(k->elf);
	free(k);
}

const struct domus_kernel_info *domus_kernel_get_info(const struct domus_kernel *k)
{
	return &k->info;
}

const void *domus_kernel_elf(const struct domus_kernel *k, size_t *size)
{
	*size = k->elf_size;
	return k->elf;
}

int domus_kernel_probe(const char *path, struct domus_kernel_info *info)
{
	struct domus_kernel *k;
	int ret = domus_kernel_open(path, &k);

	if (ret)
		return ret;
	*info = k->info;
	domus_kernel_close(k);
	return 0;
}
