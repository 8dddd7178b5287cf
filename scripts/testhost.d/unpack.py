#!/usr/bin/env python3
"""Unpack a bzImage for the test host's fast (PVH) boot.

  unpack.py vmlinux BZIMAGE OUT      decompress the bzImage payload into the
                                     kernel's ELF image (XZ, gzip; zstd with
                                     the zstd tool)
  unpack.py mb VMLINUX SHIM OUT      build a multiboot (v1, a.out kludge)
                                     image: SHIM (pvhshim.s, linked one page
                                     below the kernel) followed by every
                                     PT_LOAD segment of VMLINUX at its
                                     physical address

Outputs are written to OUT.tmp.<pid> and renamed, so readers never see a
partial file.
"""

import lzma
import os
import shutil
import struct
import subprocess
import sys
import zlib

XEN_ELFNOTE_PHYS32_ENTRY = 18
MB_MAGIC = 0x1BADB002


def die(msg):
    sys.stderr.write("unpack.py: %s\n" % msg)
    sys.exit(1)


def write_atomic(path, data):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, path)


def bzimage_payload(path):
    with open(path, "rb") as f:
        img = f.read()
    if len(img) < 0x250 or img[0x202:0x206] != b"HdrS":
        die("%s: not a bzImage (no HdrS header)" % path)
    version = struct.unpack_from("<H", img, 0x206)[0]
    if version < 0x208:
        die("%s: boot protocol %#x has no payload fields" % (path, version))
    setup_sects = img[0x1F1] or 4
    offset, length = struct.unpack_from("<II", img, 0x248)
    start = (setup_sects + 1) * 512 + offset
    return img[start:start + length]


def decompress(payload):
    if payload.startswith(b"\xfd7zXZ\x00"):
        # the kernel appends the uncompressed size after the stream;
        # the decompressor stops at the end of the first stream
        return lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(payload)
    if payload.startswith(b"\x1f\x8b"):
        # a single gzip member followed by the size trailer
        return zlib.decompressobj(wbits=31).decompress(payload)
    if payload.startswith(b"\x28\xb5\x2f\xfd"):
        if not shutil.which("zstd"):
            die("zstd-compressed kernel and no zstd tool installed")
        # drop the 4-byte size trailer the kernel build appends
        r = subprocess.run(["zstd", "-dcq"], input=payload[:-4],
                           stdout=subprocess.PIPE, check=False)
        if r.returncode != 0:
            die("zstd failed")
        return r.stdout
    die("unsupported payload compression (magic %s)" % payload[:6].hex())
    return b""


def cmd_vmlinux(bzimage, out):
    elf = decompress(bzimage_payload(bzimage))
    if elf[:4] != b"\x7fELF":
        die("decompressed payload is not an ELF image")
    write_atomic(out, elf)


def parse_elf(data):
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        die("not a little-endian ELF64 file")
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    loads, entry = [], None
    for i in range(phnum):
        (p_type, _flags, p_offset, _vaddr, p_paddr, p_filesz,
         p_memsz, _align) = struct.unpack_from("<IIQQQQQQ", data,
                                               phoff + i * phentsize)
        if p_type == 1 and p_memsz:
            loads.append((p_paddr, p_offset, p_filesz, p_memsz))
        elif p_type == 4:
            entry = find_pvh_note(data[p_offset:p_offset + p_filesz]) or entry
    return loads, entry


def find_pvh_note(notes):
    pos = 0
    while pos + 12 <= len(notes):
        namesz, descsz, ntype = struct.unpack_from("<III", notes, pos)
        name_at = pos + 12
        desc_at = name_at + ((namesz + 3) & ~3)
        name = notes[name_at:name_at + namesz].rstrip(b"\0")
        if name == b"Xen" and ntype == XEN_ELFNOTE_PHYS32_ENTRY:
            desc = notes[desc_at:desc_at + descsz]
            return int.from_bytes(desc, "little")
        pos = desc_at + ((descsz + 3) & ~3)
    return None


def cmd_mb(vmlinux, shim_path, out):
    with open(vmlinux, "rb") as f:
        data = f.read()
    with open(shim_path, "rb") as f:
        shim = bytearray(f.read())
    loads, entry = parse_elf(data)
    if not loads:
        die("%s: no loadable segments" % vmlinux)
    if not entry:
        die("%s: no XEN_ELFNOTE_PHYS32_ENTRY note (CONFIG_PVH off?)" % vmlinux)
    if entry >> 32:
        die("PVH entry %#x above 4 GiB" % entry)
    magic, flags = struct.unpack_from("<II", shim, 0)
    if magic != MB_MAGIC:
        die("%s: no multiboot header at offset 0" % shim_path)
    load_addr, = struct.unpack_from("<I", shim, 16)
    low = min(p for p, _, _, _ in loads)
    if load_addr + len(shim) > low:
        die("shim (%#x, %d bytes) overlaps the kernel at %#x"
            % (load_addr, len(shim), low))
    file_end = max(p + fs for p, _, fs, _ in loads)
    bss_end = max(p + ms for p, _, _, ms in loads)
    image = bytearray(file_end - load_addr)
    image[0:len(shim)] = shim
    for paddr, offset, filesz, _memsz in loads:
        at = paddr - load_addr
        image[at:at + filesz] = data[offset:offset + filesz]
    # The last segment ends in .bss/.brk, stored as zeros in vmlinux: leave
    # trailing zeros to the boot loader's zero fill up to bss_end_addr (GRUB
    # reads the emulated CD at only about 7.5 MB/s under Bochs).
    end = len(image.rstrip(b"\0"))
    del image[(end + 4095) & ~4095:]
    checksum = (-(magic + flags)) & 0xFFFFFFFF
    struct.pack_into("<I", image, 8, checksum)
    struct.pack_into("<II", image, 20, load_addr + len(image), bss_end)
    struct.pack_into("<I", image, 32, entry)
    write_atomic(out, bytes(image))
    sys.stderr.write("unpack.py: %s: load %#x-%#x, bss end %#x, PVH entry "
                     "%#x\n" % (out, load_addr, load_addr + len(image),
                                bss_end, entry))


def main(argv):
    if len(argv) == 4 and argv[1] == "vmlinux":
        cmd_vmlinux(argv[2], argv[3])
    elif len(argv) == 5 and argv[1] == "mb":
        cmd_mb(argv[2], argv[3], argv[4])
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv)
