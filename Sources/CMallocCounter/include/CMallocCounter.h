#ifndef CMALLOCCOUNTER_H
#define CMALLOCCOUNTER_H

#include <stdint.h>

/// Number of malloc/calloc/realloc/aligned allocations made by this process so far
/// (only when linked into an executable on glibc; 0 forever elsewhere).
uint64_t deeper_malloc_count(void);

/// Whether the counting interposer is active (glibc only).
int deeper_malloc_counting(void);

#endif
