# SPDX-License-Identifier: GPL-2.0-only
# domus top-level build.
#   make            build domus.ko (against the target kernel) and userland
#   make C=1        also run sparse over the module
#   make check      install dependencies, build, run every test
#   make check-intel  the same for the Intel VT-x (Bochs) suites only
#   make demo       install dependencies, build, show domus in a test host
#
# The target kernel is the newest installed Debian *-amd64 image with
# matching headers (never the build machine's running kernel); KDIR=
# or KVER= override it.

KVER ?= $(shell scripts/kver)
KDIR ?= /lib/modules/$(KVER)/build
BUILD := build

CC ?= cc
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS_USER := -std=c11 -D_GNU_SOURCE -O2 -g $(WARN) -Iuapi -Iuserland/lib -Iuserland/cli -Iuserland/xenstore
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# Kernel-image decompressors used by the loader (userland/lib/loader_image.c).
LDLIBS_USER := -llzma -lz -lzstd

LIB_SRCS := $(wildcard userland/lib/*.c) $(wildcard userland/xenstore/*.c)
CLI_SRCS := $(wildcard userland/cli/*.c)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
# Pure-C module parts (instruction emulator, page walker) linked into the unit tests.
EMU_SRCS := module/x86emu.c module/pgwalk.c
EMU_HDRS := module/x86emu.h module/pgwalk.h module/puretypes.h
# coretest is several files (tests/host/coretest.c and coretest_*.c).
CORETEST_SRCS := $(wildcard tests/host/coretest*.c)
HOST_SRCS := $(filter-out tests/host/coretest_%.c,$(wildcard tests/host/*.c))
HDRS := $(wildcard uapi/*.h userland/lib/*.h userland/xenstore/*.h userland/cli/*.h tests/unit/*.h tests/host/*.h)
# xl.cfg parser and the per-domain launcher (docs/launcher.md).  The CLI
# links the parser and the launcher's control-socket client (ctl.c).
CONFIG_SRCS := $(wildcard userland/config/*.c)
LAUNCHER_SRCS := $(filter-out userland/launcher/ctl.c,$(wildcard userland/launcher/*.c))
LAUNCHER_HDRS := $(wildcard userland/config/*.h userland/launcher/*.h)
CLI_EXTRA_SRCS := $(CONFIG_SRCS) userland/launcher/ctl.c
CFLAGS_LAUNCH := -Iuserland/config -Iuserland/launcher

UNITS := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRCS))
UNITS_SAN := $(patsubst tests/unit/%.c,$(BUILD)/unit-san/%,$(UNIT_SRCS))
HOSTBINS := $(patsubst tests/host/%.c,$(BUILD)/host/%,$(HOST_SRCS))
# Test guests: flat binaries linked at 0x8000 (tests/guests/README.md);
# *64.S are 64-bit objects, the others 32-bit (with .code16 parts).
GUEST_SRCS := $(wildcard tests/guests/*.S)
GUESTS := $(patsubst tests/guests/%.S,$(BUILD)/guests/%.bin,$(GUEST_SRCS))
LD ?= ld
OBJCOPY ?= objcopy

.PHONY: all module userland unit check check-intel demo deps clean
all: module userland

module:
	@test -d "$(KDIR)" || { echo "error: kernel headers not found at $(KDIR): run scripts/deps.sh (or set KDIR=)"; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

userland: $(BUILD)/domus $(BUILD)/domus-launcher $(BUILD)/domus-hello $(BUILD)/domus.static $(BUILD)/libdomus.a $(UNITS) $(UNITS_SAN) $(HOSTBINS) $(GUESTS)

$(BUILD)/libdomus.a: $(LIB_SRCS) $(HDRS)
	@mkdir -p $(BUILD)/obj
	rm -f $@
	for s in $(LIB_SRCS); do $(CC) $(CFLAGS_USER) -c $$s -o $(BUILD)/obj/$$(basename $$s .c).o || exit 1; done
	ar rcs $@ $(addprefix $(BUILD)/obj/,$(notdir $(LIB_SRCS:.c=.o)))

$(BUILD)/domus: $(CLI_SRCS) $(CLI_EXTRA_SRCS) $(BUILD)/libdomus.a $(HDRS) $(LAUNCHER_HDRS)
	$(CC) $(CFLAGS_USER) $(CFLAGS_LAUNCH) -o $@ $(CLI_SRCS) $(CLI_EXTRA_SRCS) $(BUILD)/libdomus.a $(LDLIBS_USER)

# One process per domain, started by 'domus create' (found next to domus).
$(BUILD)/domus-launcher: $(LAUNCHER_SRCS) $(CLI_EXTRA_SRCS) $(BUILD)/libdomus.a $(HDRS) $(LAUNCHER_HDRS)
	$(CC) $(CFLAGS_USER) $(CFLAGS_LAUNCH) -pthread -o $@ $(LAUNCHER_SRCS) $(CLI_EXTRA_SRCS) $(BUILD)/libdomus.a $(LDLIBS_USER)

# The config parser's unit test links the parser (not only libdomus).
$(BUILD)/unit/test_config: tests/unit/test_config.c $(CONFIG_SRCS) $(LAUNCHER_HDRS) tests/unit/unit.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_USER) $(CFLAGS_LAUNCH) -Itests/unit -DUNIT_PREFIX='"test_config"' -o $@ $< $(CONFIG_SRCS)

$(BUILD)/unit-san/test_config: tests/unit/test_config.c $(CONFIG_SRCS) $(LAUNCHER_HDRS) tests/unit/unit.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_USER) $(CFLAGS_LAUNCH) $(SANFLAGS) -Itests/unit -DUNIT_PREFIX='"test_config-san"' -o $@ $< $(CONFIG_SRCS)

# Static build for test hosts without a shared libc (the Bochs initramfs).
$(BUILD)/domus.static: $(CLI_SRCS) $(CLI_EXTRA_SRCS) $(LIB_SRCS) $(HDRS) $(LAUNCHER_HDRS)
	$(CC) $(CFLAGS_USER) $(CFLAGS_LAUNCH) -static -o $@ $(CLI_SRCS) $(CLI_EXTRA_SRCS) $(LIB_SRCS) $(LDLIBS_USER)

# The demo guest and its runner (static: runs in any test host).
$(BUILD)/domus-hello: userland/tools/domus-hello.c userland/tools/hello-guest.S $(LIB_SRCS) $(HDRS)
	$(CC) $(CFLAGS_USER) -static -o $@ userland/tools/domus-hello.c userland/tools/hello-guest.S $(LIB_SRCS) $(LDLIBS_USER)

$(BUILD)/unit/%: tests/unit/%.c $(LIB_SRCS) $(EMU_SRCS) $(HDRS) $(EMU_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_USER) -Itests/unit -Imodule -DUNIT_PREFIX='"$*"' -o $@ $< $(LIB_SRCS) $(EMU_SRCS) $(LDLIBS_USER)

$(BUILD)/unit-san/%: tests/unit/%.c $(LIB_SRCS) $(EMU_SRCS) $(HDRS) $(EMU_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_USER) $(SANFLAGS) -Itests/unit -Imodule -DUNIT_PREFIX='"$*-san"' -o $@ $< $(LIB_SRCS) $(EMU_SRCS) $(LDLIBS_USER)

# Programs that run inside test hosts: static, so both test hosts can run them.
$(BUILD)/host/%: tests/host/%.c $(LIB_SRCS) $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_USER) -pthread -static -Itests/host -o $@ $< $(LIB_SRCS) $(LDLIBS_USER)

$(BUILD)/host/coretest: $(CORETEST_SRCS) $(LIB_SRCS) $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_USER) -pthread -static -Itests/host -o $@ $(CORETEST_SRCS) $(LIB_SRCS) $(LDLIBS_USER)

$(BUILD)/guests/%.bin: tests/guests/%.S tests/guests/guest.h
	@mkdir -p $(dir $@)
	$(CC) $(if $(filter %64,$*),,-m32) -Itests/guests -c -o $(BUILD)/guests/$*.o $<
	$(LD) $(if $(filter %64,$*),,-m elf_i386) -Ttext=0x8000 -e _start -o $(BUILD)/guests/$*.elf $(BUILD)/guests/$*.o
	$(OBJCOPY) -O binary -j .text $(BUILD)/guests/$*.elf $@

deps:
	scripts/deps.sh

check: deps
	$(MAKE) all
	$(MAKE) C=1 module
	tests/run

# Only the Intel VT-x suites (Bochs test host; docs/testing.md): module
# load, the core tests, the PV boot.  'make check' runs them too.
INTEL_SUITES := 50-module-intel 55-core-intel 62-pv-intel
check-intel: deps
	$(MAKE) all
	tests/run $(INTEL_SUITES)

demo: deps
	$(MAKE) all
	scripts/demo

clean:
	-test -d "$(KDIR)" && $(MAKE) -C $(KDIR) M=$(CURDIR) clean
	-$(MAKE) -C $(KDIR) M=$(CURDIR)/tests/warnmod clean 2>/dev/null
	rm -rf $(BUILD)
