#ifndef CHIREDIS_SHIM_H
#define CHIREDIS_SHIM_H

// The system hiredis (Debian libhiredis-dev 0.14.1). Swift calls it directly except where
// noted: the variadic redisCommand/redisAppendCommand are not callable, so Swift uses the
// *Argv functions instead and needs no wrapper for them.
#include <hiredis/hiredis.h>

// `redisContext.errstr` is a `char[128]`, which Swift imports as a 128-element tuple; this
// hands it over as a C string instead. hiredis always NUL-terminates it.
static inline const char *chiredis_errstr(const redisContext *c) {
    return c->errstr;
}

#endif
