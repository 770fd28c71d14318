/*
 * fuzz.h - one way to write a fuzz target, two ways to run it.
 *
 * Each tests/fuzz/fuzz_NAME.c defines its target with FUZZ_TARGET(NAME). Built by "make fuzz"
 * (AMANA_FUZZ_LIBFUZZER defined) it becomes libFuzzer's entry point; built into the replayer
 * that "make check" runs, it becomes fuzz_NAME(), which replay.c calls on every kept
 * regression input and every seed, so a crash once found stays fixed.
 *
 * A target must not leak, must not print and must return 0.
 */
#ifndef AMANA_FUZZ_H
#define AMANA_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#ifdef AMANA_FUZZ_LIBFUZZER
#define FUZZ_TARGET(name)                                                    \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);        \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
#else
#define FUZZ_TARGET(name)                                      \
	int fuzz_##name(const uint8_t *data, size_t size);     \
	int fuzz_##name(const uint8_t *data, size_t size)
#endif

#endif
