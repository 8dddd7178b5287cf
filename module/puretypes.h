/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Types for the "pure" parts of the module (x86emu, pgwalk) that are also
 * compiled into userland unit tests: the kernel's types in the kernel,
 * the same names over <stdint.h> outside it.
 */
#ifndef DOMUS_PURETYPES_H
#define DOMUS_PURETYPES_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/string.h>
#else
#include <stdint.h>
#include <stdbool.h>
#include <string.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;
#endif

#endif /* DOMUS_PURETYPES_H */
