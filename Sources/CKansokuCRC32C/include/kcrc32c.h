// CRC-32C with the processor's own instruction (SSE 4.2 on x86-64, the CRC extension on
// ARMv8): Swift has no portable way to reach these intrinsics.
#ifndef KANSOKU_CRC32C_H
#define KANSOKU_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/// 1 when `kcrc32c_update` may be called on this processor, else 0.
int kcrc32c_available(void);

/// CRC-32C of `n` bytes at `p`, continuing from `crc` (0 to start; the previous result to
/// chain). Pre- and post-inverted as in iSCSI, ext4 and Prometheus. Call only when
/// `kcrc32c_available()` returned 1.
uint32_t kcrc32c_update(uint32_t crc, const void *p, size_t n);
#endif
