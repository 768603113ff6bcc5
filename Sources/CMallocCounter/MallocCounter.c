// Counts heap allocations for deeper-bench's "allocations per symbol" column.
//
// On glibc the executable's own malloc/calloc/realloc/posix_memalign win symbol resolution over
// libc's, so defining them here sees every allocation of the process (Swift runtime included);
// each forwards to glibc's internal __libc_* entry points. Elsewhere nothing is interposed.
#include "CMallocCounter.h"

#if defined(__GLIBC__)
#include <errno.h>
#include <stddef.h>
#include <string.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static uint64_t allocations;

uint64_t deeper_malloc_count(void) { return __atomic_load_n(&allocations, __ATOMIC_RELAXED); }
int deeper_malloc_counting(void) { return 1; }

static inline void count(void) { __atomic_fetch_add(&allocations, 1, __ATOMIC_RELAXED); }

void *malloc(size_t n) { count(); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { count(); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { count(); return __libc_realloc(p, n); }
void *aligned_alloc(size_t alignment, size_t n) { count(); return __libc_memalign(alignment, n); }
void *memalign(size_t alignment, size_t n) { count(); return __libc_memalign(alignment, n); }
int posix_memalign(void **out, size_t alignment, size_t n) {
    count();
    void *p = __libc_memalign(alignment, n);
    if (p == NULL) return ENOMEM;
    *out = p;
    return 0;
}
#else
uint64_t deeper_malloc_count(void) { return 0; }
int deeper_malloc_counting(void) { return 0; }
#endif
