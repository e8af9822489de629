#ifndef CBLAS_SHIM_H
#define CBLAS_SHIM_H
#include <cblas.h>

/* OpenBLAS's cblas.h declares these; older or other CBLAS headers may not.
   Redeclaring an identical prototype is harmless in C. */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_config(void);
char *openblas_get_corename(void);
#endif
