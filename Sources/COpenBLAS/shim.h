// OpenBLAS's CBLAS interface (Debian: libopenblas-dev), for the optional `BLAS` trait.
#include <cblas.h>
