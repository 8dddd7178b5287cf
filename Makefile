# SPDX-License-Identifier: GPL-2.0-only
# domus top-level build ('make help' lists the targets).
#
# The target kernel is the newest installed Debian *-amd64 image with
# matching headers (never the build machine's running kernel); KDIR=
# or KVER= override it.
#
# Userland: every source file is compiled once into build/obj/<path>.o
# (build/san/<path>.o with ASan+UBSan for the sanitized unit tests), with
# a dependency file (-MMD), then archived and linked:
#   libdomus.a    userland/lib      ioctls, loader, diagnosis, host CPUID
#   libxenstore.a userland/xenstore the xenstore server
#   libdomusctl.a userland/ctl      control-socket paths and client
#   libxlcfg.a    userland/config   the xl.cfg parser
#   libdomussave.a userland/save    the save-file format: writer, reader, validator
#   libdomusd.a   userland/domusd   domusd's protocol: XDR, framing, procedures,
#                                   domain XML (libxml2); main.c is the daemon
#   libtestemu.a  module/x86emu.c, module/pgwalk.c (pure C, unit tests only)

KVER ?= $(shell scripts/kver)
# an installed kernel's headers, or those scripts/kernel-fetch unpacked
KDIR ?= $(or $(shell scripts/kver --kdir $(KVER) 2>/dev/null),/lib/modules/$(KVER)/build)
BUILD := build

CC ?= cc
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
INCS := -Iuapi -Iuserland/include -Iuserland/lib -Iuserland/xenstore -Iuserland/ctl \
	-Iuserland/config -Iuserland/launcher -Iuserland/cli -Iuserland/backend -Iuserland/save -Iuserland/domusd
# The release: the VERSION file, the one place it is written (the module
# reads it through Kbuild, the packages check debian/changelog against it;
# docs/packaging.md "Versions").
DOMUS_VERSION := $(strip $(shell cat VERSION 2>/dev/null))
ifeq ($(DOMUS_VERSION),)
$(error VERSION is missing or empty: it holds the release, e.g. 0.1.0)
endif
VERSION_DEF := -DDOMUS_VERSION_STR='"$(DOMUS_VERSION)"'
CFLAGS_USER := -std=c11 -D_GNU_SOURCE -O2 -g $(WARN) $(INCS) $(VERSION_DEF)
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# Kernel-image decompressors used by the loader (userland/lib/loader_image.c);
# liburing for the block back end's io_uring (userland/backend/blkaio.c).
LDLIBS_USER := -llzma -lz -lzstd -luring
# The launcher's syscall filter (userland/launcher/sandbox.c).
LDLIBS_SECCOMP := -lseccomp
# domusd's domain XML (userland/domusd/domxml.c)
XML_CFLAGS := $(shell pkg-config --cflags libxml-2.0 2>/dev/null || echo -I/usr/include/libxml2)
LDLIBS_XML := -lxml2
# The Debian package build's flags (dpkg-buildflags: hardening), given by
# debian/rules with BUILD=build/pkg; empty for a developer build.
CFLAGS_PKG ?=
LDFLAGS_PKG ?=

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(patsubst %.S,$(BUILD)/obj/%.o,$(1)))
san = $(patsubst %.c,$(BUILD)/san/%.o,$(1))

LIB_SRCS := $(wildcard userland/lib/*.c)
XS_SRCS := $(wildcard userland/xenstore/*.c)
CTL_SRCS := $(wildcard userland/ctl/*.c)
CFG_SRCS := $(wildcard userland/config/*.c)
BLK_SRCS := $(wildcard userland/backend/*.c)
SAVE_SRCS := $(wildcard userland/save/*.c)
DOMUSD_SRCS := $(filter-out userland/domusd/main.c,$(wildcard userland/domusd/*.c))
EMU_SRCS := module/x86emu.c module/pgwalk.c module/xcr0.c module/apicbase.c module/cr4.c module/insnlen.c module/spec.c module/event.c module/msr_policy.c
CLI_SRCS := $(wildcard userland/cli/*.c)
LAUNCHER_SRCS := $(wildcard userland/launcher/*.c)
# coretest is several files (tests/host/coretest.c and coretest_*.c).
HOST_SRCS := $(filter-out tests/host/coretest_%.c,$(wildcard tests/host/*.c))

LIBNAMES := domusd domussave blkback domus xenstore domusctl xlcfg testemu
LIBSRCS_domusd := $(DOMUSD_SRCS)
LIBSRCS_blkback := $(BLK_SRCS)
LIBSRCS_domussave := $(SAVE_SRCS)
LIBSRCS_domus := $(LIB_SRCS)
LIBSRCS_xenstore := $(XS_SRCS)
LIBSRCS_domusctl := $(CTL_SRCS)
LIBSRCS_xlcfg := $(CFG_SRCS)
LIBSRCS_testemu := $(EMU_SRCS)
LIBS := $(foreach l,$(LIBNAMES),$(BUILD)/lib$(l).a)
LIBS_SAN := $(foreach l,$(LIBNAMES),$(BUILD)/san/lib$(l).a)

# Unit tests: tests/unit/test_NAME.c, or a directory tests/unit/test_NAME/
# of files, each with tests/unit/unit.c; one binary per test, plain and
# sanitized.
UNIT_NAMES := $(sort $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c)) \
	$(patsubst tests/unit/%/,%,$(dir $(wildcard tests/unit/test_*/*.c))))
unit_srcs = $(wildcard tests/unit/$(1).c tests/unit/$(1)/*.c) tests/unit/unit.c
UNITS := $(addprefix $(BUILD)/unit/,$(UNIT_NAMES))
UNITS_SAN := $(addprefix $(BUILD)/unit-san/,$(UNIT_NAMES))

HOSTBINS := $(patsubst tests/host/%.c,$(BUILD)/host/%,$(HOST_SRCS))
# Test guests: flat binaries linked at 0x8000 (tests/guests/README.md);
# *64.S are 64-bit objects, the others 32-bit (with .code16 parts).
GUEST_SRCS := $(wildcard tests/guests/*.S)
GUESTS := $(patsubst tests/guests/%.S,$(BUILD)/guests/%.bin,$(GUEST_SRCS))
# The Multiboot test kernel of HVM domains (tests/guests/mb/README.md):
# an ELF32 image and an a.out-kludge flat image, both at 1 MiB.
GUESTS += $(BUILD)/guests/mb/mbtest.elf $(BUILD)/guests/mb/mbtest-aout.bin
LD ?= ld
OBJCOPY ?= objcopy

.SECONDARY:
.PHONY: all help module userland libs unit core-test core-test-usage check check-intel check-extra demo deps clean \
	fuzz fuzz-long soak man check-kernels deb
all: module userland

help:
	@echo 'domus make targets:'
	@echo '  all (default)  the module (domus.ko) and the userland'
	@echo '  module         domus.ko only (Kbuild; C=1 also runs sparse)'
	@echo '  userland       libraries, domus, domus-launcher, domus-hello, domus.static,'
	@echo '                 unit tests, test-host programs, test guests and xldiff'
	@echo '  libs           build/lib*.a only'
	@echo '  unit           build and run the unit tests, plain and under ASan+UBSan;'
	@echo '                 T=test_xenstore runs one test program,'
	@echo '                 T=test_xenstore/rm_missing one test of it (docs/testing.md)'
	@echo '  core-test      one core test in a test host: T=NAME [ARCH=amd|intel]'
	@echo '                 (T=list lists the names; needs domus.ko)'
	@echo '  check          install dependencies, build, sparse, run every suite'
	@echo '                 (one suite: tests/run NAME, e.g. tests/run 30-cli)'
	@echo '  check-intel    the same for the Intel VT-x (Bochs) suites only'
	@echo '  check-kernels  compile domus.ko warning-free against every kernel series apt offers'
	@echo '                 (6.1 installed, 6.12 fetched into a cache, never installed);'
	@echo '                 RUN=1 also runs the kvm, core and PV suites in a test host of each'
	@echo '                 other kernel (docs/testing.md "Other kernels")'
	@echo '  demo           install dependencies, build, show domus in a test host'
	@echo '  deps           install the build and test dependencies (scripts/deps.sh)'
	@echo '  man            the manual pages build/man/domus.1, domus-launcher.8 (scdoc; the commands from their help)'
	@echo '  deb            the Debian packages domus and domus-dkms in build/deb/, checked by lintian'
	@echo '                 (scripts/mkdeb; docs/packaging.md)'
	@echo '  fuzz           build the libFuzzer targets (build/fuzz/, clang) and their seeds'
	@echo '  fuzz-long      the long fuzz runs: every target >= 10^6 executions (nice;'
	@echo '                 FUZZ_RUNS=, FUZZ_TARGETS=; docs/testing.md)'
	@echo '  soak           PV guests with create/destroy storms for SOAK_MINUTES (default 60)'
	@echo '                 in an AMD-V test host; not part of check (docs/testing.md)'
	@echo '  clean          remove build/ and the module build files'
	@echo 'Variables: KVER=, KDIR= (target kernel), C=1 (sparse), T=, ARCH='

module:
	@test -d "$(KDIR)" || { echo "error: kernel headers not found at $(KDIR): run scripts/deps.sh (or set KDIR=)"; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

userland: $(BUILD)/domus $(BUILD)/domusd $(BUILD)/domus-launcher $(BUILD)/domus-hello $(BUILD)/domus.static \
	$(BUILD)/domus-launcher.static \
	$(LIBS) $(UNITS) $(UNITS_SAN) $(HOSTBINS) $(GUESTS) $(BUILD)/xldiff
libs: $(LIBS)

# ---- objects (one rule each for plain and sanitized; -MMD dependency files)
$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_USER) $(CFLAGS_EXTRA) $(CFLAGS_PKG) -MMD -MP -c -o $@ $<

$(BUILD)/obj/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_USER) -MMD -MP -c -o $@ $<

$(BUILD)/san/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_USER) $(CFLAGS_EXTRA) $(SANFLAGS) -DUNIT_SAN -MMD -MP -c -o $@ $<

# Per-directory extras: the unit tests see module/ (x86emu.h, pgwalk.h),
# the test-host programs tests/host/.
$(BUILD)/obj/tests/unit/%.o $(BUILD)/san/tests/unit/%.o: CFLAGS_EXTRA = -Itests/unit -Imodule
$(BUILD)/obj/module/%.o $(BUILD)/san/module/%.o: CFLAGS_EXTRA = -Imodule
$(BUILD)/obj/tests/host/%.o: CFLAGS_EXTRA = -Itests/host -pthread
$(BUILD)/obj/userland/domusd/%.o $(BUILD)/san/userland/domusd/%.o $(BUILD)/fuzz/obj/userland/domusd/%.o: \
	CFLAGS_EXTRA = $(XML_CFLAGS)

# version.c is the one object that holds the release
$(BUILD)/obj/userland/lib/version.o $(BUILD)/san/userland/lib/version.o $(BUILD)/fuzz/obj/userland/lib/version.o: VERSION

# ---- libraries
define lib_rules
$(BUILD)/lib$(1).a: $(call obj,$(LIBSRCS_$(1)))
	@rm -f $$@
	ar rcs $$@ $$^
$(BUILD)/san/lib$(1).a: $(call san,$(LIBSRCS_$(1)))
	@rm -f $$@
	ar rcs $$@ $$^
endef
$(foreach l,$(LIBNAMES),$(eval $(call lib_rules,$(l))))

# ---- programs
# (libblkback: block-attach opens images and network-attach creates TAP
# devices with the back ends' own code, hotplug.c)
# domus takes the definition store and the domain XML (config-convert)
# from libdomusd; the XML functions are weak references in the CLI
# (cli/convert.c), so -u pulls them in here and domus.static goes without
# them (and without libxml2).
DOMUS_XML_SYMS := -Wl,-u,domusd_xml_to_config -Wl,-u,domusd_domain_xml -Wl,-u,domusd_config_xl_text
$(BUILD)/domus: $(call obj,$(CLI_SRCS)) $(BUILD)/libdomusd.a $(BUILD)/libdomussave.a $(BUILD)/libblkback.a $(BUILD)/libxlcfg.a \
		$(BUILD)/libdomusctl.a $(BUILD)/libxenstore.a $(BUILD)/libdomus.a
	$(CC) -pthread $(LDFLAGS_PKG) $(DOMUS_XML_SYMS) -o $@ $^ $(LDLIBS_USER) $(LDLIBS_XML)

# One process per domain, started by 'domus create' (found next to domus).
$(BUILD)/domus-launcher: $(call obj,$(LAUNCHER_SRCS)) $(BUILD)/libdomussave.a $(BUILD)/libblkback.a $(BUILD)/libxlcfg.a \
		$(BUILD)/libdomusctl.a $(BUILD)/libxenstore.a $(BUILD)/libdomus.a
	$(CC) -pthread $(LDFLAGS_PKG) -o $@ $^ $(LDLIBS_USER) $(LDLIBS_SECCOMP)

# The libvirt remote-protocol daemon (docs/libvirt.md).
$(BUILD)/domusd: $(BUILD)/obj/userland/domusd/main.o $(BUILD)/libdomusd.a $(BUILD)/libxlcfg.a $(BUILD)/libdomusctl.a \
		$(BUILD)/libdomus.a
	$(CC) -pthread $(LDFLAGS_PKG) -o $@ $^ $(LDLIBS_USER) $(LDLIBS_XML)

# Static build for test hosts without a shared libc (the Bochs initramfs).
$(BUILD)/domus.static: $(call obj,$(CLI_SRCS)) $(BUILD)/libdomusd.a $(BUILD)/libdomussave.a $(BUILD)/libblkback.a $(BUILD)/libxlcfg.a $(BUILD)/libdomusctl.a \
		$(BUILD)/libxenstore.a $(BUILD)/libdomus.a
	$(CC) -static -pthread -o $@ $^ $(LDLIBS_USER)

# The launcher linked the same way, for HVM domains in the Bochs test host
# (tests/suites/57-hvm-intel stages it next to domus.static).
$(BUILD)/domus-launcher.static: $(call obj,$(LAUNCHER_SRCS)) $(BUILD)/libdomussave.a $(BUILD)/libblkback.a $(BUILD)/libxlcfg.a \
		$(BUILD)/libdomusctl.a $(BUILD)/libxenstore.a $(BUILD)/libdomus.a
	$(CC) -static -pthread -o $@ $^ $(LDLIBS_USER) $(LDLIBS_SECCOMP)

# The demo guest and its runner (static: runs in any test host).
$(BUILD)/domus-hello: $(call obj,userland/tools/domus-hello.c userland/tools/hello-guest.S) $(BUILD)/libdomus.a
	$(CC) -static -o $@ $^ $(LDLIBS_USER)

# Programs that run inside test hosts: static, so both test hosts can run them.
$(BUILD)/host/%: $(BUILD)/obj/tests/host/%.o $(BUILD)/libdomus.a
	@mkdir -p $(dir $@)
	$(CC) -pthread -static -o $@ $^ $(LDLIBS_USER)

# A program in several files: tests/host/NAME.c plus tests/host/NAME/*.c.
$(BUILD)/host/pv-hcfuzz: $(call obj,$(wildcard tests/host/pv-hcfuzz/*.c))
$(BUILD)/host/devfuzz: $(call obj,$(wildcard tests/host/devfuzz/*.c))
# xsr-check is built from the save library's validator (userland/save/check.c).
$(BUILD)/host/xsr-check: $(BUILD)/libdomussave.a

# xldiff: domus's xl.cfg parser against Xen's own libxlutil (libxen-dev,
# a test-only dependency of scripts/deps.sh; suite 21-xldiff).  Runs on
# the build machine: linked with the shared libraries.
$(BUILD)/xldiff: $(call obj,$(wildcard tests/host/xldiff/*.c)) $(BUILD)/libxlcfg.a
	$(CC) -o $@ $^ -lxlutil -lxenlight

define unit_rules
$(BUILD)/unit/$(1): $(call obj,$(call unit_srcs,$(1))) $(LIBS)
	@mkdir -p $$(dir $$@)
	$(CC) -pthread -o $$@ $$^ $(LDLIBS_USER) $$(LDLIBS_UNIT)
$(BUILD)/unit-san/$(1): $(call san,$(call unit_srcs,$(1))) $(LIBS_SAN)
	@mkdir -p $$(dir $$@)
	$(CC) -pthread $(SANFLAGS) -o $$@ $$^ $(LDLIBS_USER) $$(LDLIBS_UNIT)
endef
$(foreach u,$(UNIT_NAMES),$(eval $(call unit_rules,$(u))))
# test_sandbox tests the launcher's sandbox.c itself.
$(BUILD)/unit/test_sandbox: $(call obj,userland/launcher/sandbox.c)
$(BUILD)/unit-san/test_sandbox: $(call san,userland/launcher/sandbox.c)
$(BUILD)/unit/test_sandbox $(BUILD)/unit-san/test_sandbox: LDLIBS_UNIT = $(LDLIBS_SECCOMP)

# test_xsctl tests the launcher's xenstore admin requests (xsctl.c) and
# domus xenstored's (xsfwd.c).
$(BUILD)/unit/test_xsctl: $(call obj,userland/launcher/xsctl.c userland/launcher/xsfwd.c userland/launcher/reply.c)
$(BUILD)/unit-san/test_xsctl: $(call san,userland/launcher/xsctl.c userland/launcher/xsfwd.c userland/launcher/reply.c)

# test_ide tests the launcher's IDE drives (dev_ide.c, dev_atapi.c).
$(BUILD)/unit/test_ide: $(call obj,userland/launcher/dev_ide.c userland/launcher/dev_atapi.c userland/launcher/dev_pic.c)
$(BUILD)/unit-san/test_ide: $(call san,userland/launcher/dev_ide.c userland/launcher/dev_atapi.c userland/launcher/dev_pic.c)

# test_pci tests PCI config space and BARs (dev_pci.c) and the Xen platform device (dev_xenplat.c).
PCI_UNIT_SRCS := userland/launcher/dev_pci.c userland/launcher/dev_xenplat.c userland/launcher/dev_ide.c \
	userland/launcher/dev_atapi.c userland/launcher/dev_pic.c
$(BUILD)/unit/test_pci: $(call obj,$(PCI_UNIT_SRCS))
$(BUILD)/unit-san/test_pci: $(call san,$(PCI_UNIT_SRCS))
# dev_ide.c gives PVHVM's disks to the block back end (blk_disk_adopt)
IDE_UNIT_LIBS = $(BUILD)/libblkback.a $(BUILD)/libxenstore.a $(BUILD)/libdomus.a -luring
$(BUILD)/unit/test_ide $(BUILD)/unit/test_pci: LDLIBS_UNIT = $(IDE_UNIT_LIBS)
$(BUILD)/unit-san/test_ide $(BUILD)/unit-san/test_pci: LDLIBS_UNIT = $(subst $(BUILD)/,$(BUILD)/san/,$(IDE_UNIT_LIBS))

# test_pic and test_pit test the launcher's 8259A pair and 8254 (dev_pic.c, dev_pit.c).
$(BUILD)/unit/test_pic: $(call obj,userland/launcher/dev_pic.c)
$(BUILD)/unit-san/test_pic: $(call san,userland/launcher/dev_pic.c)
$(BUILD)/unit/test_pit: $(call obj,userland/launcher/dev_pit.c userland/launcher/dev_pic.c)
$(BUILD)/unit-san/test_pit: $(call san,userland/launcher/dev_pit.c userland/launcher/dev_pic.c)
# test_hvmirq tests their wiring to vCPU 0 (hvm_irq.c).
# test_hvmcpuid tests an HVM domain's CPUID view (hvm_cpuid.c).
$(BUILD)/unit/test_hvmcpuid: $(call obj,userland/launcher/hvm_cpuid.c)
$(BUILD)/unit-san/test_hvmcpuid: $(call san,userland/launcher/hvm_cpuid.c)
# test_uart tests the launcher's 16550 (dev_uart.c) with the PIC.
$(BUILD)/unit/test_uart: $(call obj,userland/launcher/dev_uart.c userland/launcher/dev_pic.c)
$(BUILD)/unit-san/test_uart: $(call san,userland/launcher/dev_uart.c userland/launcher/dev_pic.c)
# test_acpi tests the ACPI tables (acpi.c), their fw_cfg files and the PM block.
ACPI_UNIT_SRCS := userland/launcher/acpi.c userland/launcher/acpi_dsdt.c userland/launcher/dev_acpi.c userland/launcher/dev_pic.c \
	userland/launcher/dev_fwcfg.c userland/launcher/dev_pci.c userland/launcher/dev_xenplat.c
$(BUILD)/unit/test_acpi: $(call obj,$(ACPI_UNIT_SRCS))
$(BUILD)/unit-san/test_acpi: $(call san,$(ACPI_UNIT_SRCS))
$(BUILD)/unit/test_hvmirq: $(call obj,userland/launcher/hvm_irq.c userland/launcher/dev_pit.c userland/launcher/dev_pic.c)
$(BUILD)/unit-san/test_hvmirq: $(call san,userland/launcher/hvm_irq.c userland/launcher/dev_pit.c userland/launcher/dev_pic.c)
$(BUILD)/unit/test_hvmirq: LDLIBS_UNIT = $(BUILD)/libdomus.a
$(BUILD)/unit-san/test_hvmirq: LDLIBS_UNIT = $(BUILD)/san/libdomus.a

# test_hotplug tests the launcher's hot-plug requests (hotplug.c, pvhost.c).
$(BUILD)/unit/test_hotplug: $(call obj,userland/launcher/hotplug.c userland/launcher/pvhost.c)
$(BUILD)/unit-san/test_hotplug: $(call san,userland/launcher/hotplug.c userland/launcher/pvhost.c)
$(BUILD)/unit/test_hotplug: LDLIBS_UNIT = $(BUILD)/libblkback.a $(BUILD)/libxlcfg.a $(BUILD)/libdomusctl.a \
	$(BUILD)/libxenstore.a $(BUILD)/libdomus.a
$(BUILD)/unit-san/test_hotplug: LDLIBS_UNIT = $(BUILD)/san/libblkback.a $(BUILD)/san/libxlcfg.a \
	$(BUILD)/san/libdomusctl.a $(BUILD)/san/libxenstore.a $(BUILD)/san/libdomus.a

# test_domusd: domusd's protocol and domain XML (libxml2).
$(BUILD)/unit/test_domusd $(BUILD)/unit-san/test_domusd: LDLIBS_UNIT = $(LDLIBS_XML)
$(BUILD)/obj/tests/unit/test_domusd.o $(BUILD)/san/tests/unit/test_domusd.o: CFLAGS_EXTRA = -Itests/unit -Imodule $(XML_CFLAGS)
# test_domusd_save: domusd's save, restore and managed save (libxml2: libdomusd).
$(BUILD)/unit/test_domusd_save $(BUILD)/unit-san/test_domusd_save: LDLIBS_UNIT = $(LDLIBS_XML)
# test_domxml: domain XML -> xl.cfg and the definition store (libxml2).
$(BUILD)/unit/test_domxml $(BUILD)/unit-san/test_domxml: LDLIBS_UNIT = $(LDLIBS_XML)

$(BUILD)/host/coretest: $(call obj,$(wildcard tests/host/coretest_*.c))

$(BUILD)/guests/%.bin: tests/guests/%.S tests/guests/guest.h
	@mkdir -p $(dir $@)
	$(CC) $(if $(filter %64,$*),,-m32) -Itests/guests -c -o $(BUILD)/guests/$*.o $<
	$(LD) $(if $(filter %64,$*),,-m elf_i386) -Ttext=0x8000 -e _start -o $(BUILD)/guests/$*.elf $(BUILD)/guests/$*.o
	$(OBJCOPY) -O binary -j .text $(BUILD)/guests/$*.elf $@

$(BUILD)/guests/mb/mbtest.elf: tests/guests/mb/mbtest.S
	@mkdir -p $(dir $@)
	$(CC) -m32 -c -o $(BUILD)/guests/mb/mbtest.o $<
	$(LD) -m elf_i386 -N --no-warn-rwx-segments --build-id=none -Ttext=0x100000 -e _start -o $@ $(BUILD)/guests/mb/mbtest.o

$(BUILD)/guests/mb/mbtest-aout.bin: tests/guests/mb/mbtest.S
	@mkdir -p $(dir $@)
	$(CC) -m32 -DAOUT -c -o $(BUILD)/guests/mb/mbtest-aout.o $<
	$(LD) -m elf_i386 -N --no-warn-rwx-segments --build-id=none -Ttext=0x100000 -e _start -o $(BUILD)/guests/mb/mbtest-aout.elf $(BUILD)/guests/mb/mbtest-aout.o
	$(OBJCOPY) -O binary -j .text $(BUILD)/guests/mb/mbtest-aout.elf $@

# ---- libFuzzer targets (tests/fuzz/NAME.c; docs/testing.md "Fuzzing")
# clang with -fsanitize=fuzzer,address,undefined; the libraries they test
# are compiled again with coverage instrumentation into build/fuzz/obj.
# The loader's seed images come from tests/fuzz/seeds.c (built with CC,
# reusing the loader unit test's synthetic kernels), written to
# build/fuzz/seeds/NAME/.
FUZZ_CC ?= clang
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -O1 -g $(WARN) $(INCS) $(VERSION_DEF) $(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_NAMES := $(filter-out seeds,$(basename $(notdir $(wildcard tests/fuzz/*.c))))
FUZZ_BINS := $(addprefix $(BUILD)/fuzz/,$(FUZZ_NAMES))
fuzzobj = $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(1))
FUZZ_LIBS_xlcfg := $(call fuzzobj,$(CFG_SRCS))
FUZZ_LIBS_grubcfg := $(call fuzzobj,$(CFG_SRCS))
FUZZ_LIBS_xenstore := $(call fuzzobj,$(XS_SRCS))
FUZZ_LIBS_loader := $(call fuzzobj,$(LIB_SRCS))
FUZZ_LIBS_ctl := $(call fuzzobj,$(CTL_SRCS) $(CFG_SRCS) $(XS_SRCS))
FUZZ_LIBS_blkring := $(call fuzzobj,userland/backend/blkring.c userland/backend/blkaio.c userland/backend/grant.c)
FUZZ_LIBS_savefile := $(call fuzzobj,$(SAVE_SRCS))
FUZZ_LIBS_domusd := $(call fuzzobj,$(DOMUSD_SRCS) $(CFG_SRCS) $(CTL_SRCS) $(LIB_SRCS))
$(BUILD)/fuzz/domusd: FUZZ_LDLIBS = $(LDLIBS_XML)

$(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(CFLAGS_EXTRA) -MMD -MP -c -o $@ $<

$(BUILD)/fuzz/%: $(BUILD)/fuzz/obj/tests/fuzz/%.o
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -pthread -o $@ $^ $(LDLIBS_USER) $(FUZZ_LDLIBS)
$(foreach f,$(FUZZ_NAMES),$(eval $(BUILD)/fuzz/$(f): $(FUZZ_LIBS_$(f))))

$(BUILD)/fuzz/seeds/stamp: $(BUILD)/fuzz/gen-seeds
	rm -rf $(BUILD)/fuzz/seeds
	$(BUILD)/fuzz/gen-seeds $(BUILD)/fuzz/seeds
	@touch $@
$(BUILD)/fuzz/gen-seeds: $(call obj,tests/fuzz/seeds.c tests/unit/test_loader/helpers.c tests/unit/unit.c) $(BUILD)/libdomussave.a $(BUILD)/libdomus.a
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDLIBS_USER)
$(BUILD)/obj/tests/fuzz/%.o: CFLAGS_EXTRA = -Itests/unit -Itests/unit/test_loader

# The manual page: docs/man/domus.1.scd with the commands' own help
# (scripts/mkman); build/man/domus.1.
man: userland
	scripts/mkman

# The Debian packages (scripts/mkdeb: dpkg-buildpackage in a staged copy of
# the tree, lintian; build/deb/).
deb:
	scripts/mkdeb

fuzz: $(FUZZ_BINS) $(BUILD)/fuzz/seeds/stamp

# The long runs (docs/security.md "Fuzzing" has the figures).
fuzz-long: fuzz
	nice -n 10 tests/fuzz/run --long $(FUZZ_TARGETS)

# The soak (not in check): tests/soak/run in an AMD-V test host.
soak: all
	tests/soak/run

-include $(shell find $(BUILD)/obj $(BUILD)/san $(BUILD)/fuzz/obj -name '*.d' 2>/dev/null)

# ---- running tests
# make unit [T=test_NAME[/function]]: builds, then runs the unit tests
# (tests/suites/20-unit does the same for tests/run).
unit: $(UNITS) $(UNITS_SAN)
	@tests/unit/run $(T)

# make core-test T=NAME [ARCH=amd|intel]: one coretest test in a test host.
core-test: $(if $(T),all,core-test-usage)
	scripts/core-test $(if $(ARCH),--arch $(ARCH)) $(T)
core-test-usage:
	@echo 'usage: make core-test T=NAME [ARCH=amd|intel] (T=list lists them)'; exit 2

deps:
	scripts/deps.sh

check: deps
	$(MAKE) all
	$(MAKE) fuzz
	$(MAKE) C=1 module
	tests/run

# The opt-in suites ("# opt-in:" in the suite; docs/testing.md): not in
# 'make check' until they have run clean there.
EXTRA_SUITES = $(notdir $(shell grep -l '^\# opt-in:' tests/suites/*))
check-extra: deps
	$(MAKE) all
	@if [ -n "$(EXTRA_SUITES)" ]; then tests/run $(EXTRA_SUITES); \
	else echo "no opt-in suites (tests/suites/* with a '# opt-in:' line)"; fi

# Only the Intel VT-x suites (Bochs test host; docs/testing.md): module
# load, the core tests, HVM domains, the PV boot.  'make check' runs them too.
INTEL_SUITES := 50-module-intel 55-core-intel 57-hvm-intel 62-pv-intel
check-intel: deps
	$(MAKE) all
	tests/run $(INTEL_SUITES)

# Every kernel series the distribution offers (scripts/check-kernels): the
# installed target and apt's others (scripts/kernel-fetch: unpacked into a
# cache, never installed).  RUN=1: their test hosts too.  Not in check.
check-kernels: deps
	$(if $(RUN),$(MAKE) all)
	scripts/check-kernels $(if $(RUN),--run)

demo: deps
	$(MAKE) all
	scripts/demo

clean:
	-test -d "$(KDIR)" && $(MAKE) -C $(KDIR) M=$(CURDIR) clean
	-$(MAKE) -C $(KDIR) M=$(CURDIR)/tests/warnmod clean 2>/dev/null
	rm -rf $(BUILD)
