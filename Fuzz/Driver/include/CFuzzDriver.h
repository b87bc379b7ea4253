#ifndef CFUZZDRIVER_H
#define CFUZZDRIVER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver, for binaries that keep their own `main` (SwiftPM links every
/// executable's entry point as `main`, so libFuzzer's own `main` never gets linked in).
/// Only referenced by builds with `-sanitize=fuzzer`, which link libFuzzer.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
