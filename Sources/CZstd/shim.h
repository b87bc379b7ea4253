#define ZSTD_STATIC_LINKING_ONLY 1
#include <zstd.h>
