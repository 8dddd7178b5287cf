# SPDX-License-Identifier: GPL-2.0-only
# Build rules for the exit-cost benchmark; run from the repo top:
#   make -f bench/build.mk
# (bench/exits does this).  Outputs go to build/bench/.

CC ?= cc
LD ?= ld
OBJCOPY ?= objcopy
BB := build/bench
BENCH_CFLAGS := -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Wshadow \
	-Wstrict-prototypes -Wmissing-prototypes -static -Iuapi

.PHONY: bench-all
bench-all: $(BB)/kvm_exits $(BB)/domus_exits

# The guest: a flat real-mode image loaded at 0x1000.
$(BB)/guest_exits.o: bench/guest_exits.S
	@mkdir -p $(BB)
	$(CC) -m32 -c -o $@ $<

$(BB)/guest_exits.bin: $(BB)/guest_exits.o
	$(LD) -m elf_i386 -Ttext 0x1000 -e _start -o $(BB)/guest_exits.elf $<
	$(OBJCOPY) -O binary -j .text $(BB)/guest_exits.elf $@

# Host programs embed the guest image with .incbin (GUEST_BIN).
$(BB)/kvm_exits: bench/kvm_exits.c bench/bench_util.c bench/bench_util.h $(BB)/guest_exits.bin
	$(CC) $(BENCH_CFLAGS) -DGUEST_BIN='"$(BB)/guest_exits.bin"' -o $@ $< bench/bench_util.c

$(BB)/domus_exits: bench/domus_exits.c bench/bench_util.c bench/bench_util.h $(BB)/guest_exits.bin uapi/domus.h
	$(CC) $(BENCH_CFLAGS) -DGUEST_BIN='"$(BB)/guest_exits.bin"' -o $@ $< bench/bench_util.c

# bench/io's workload program (random reads, TCP), static: it runs in the
# test guests' busybox initramfs
$(BB)/io_load: bench/io_load.c
	@mkdir -p $(BB)
	$(CC) $(BENCH_CFLAGS) -o $@ $<
