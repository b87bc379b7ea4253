// Everything lives in the header (a static inline function); a C target needs a source.
#include "kprefetch.h"
