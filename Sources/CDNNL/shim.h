#ifndef CDNNL_SHIM_H
#define CDNNL_SHIM_H
/* oneDNN's C API (Debian libdnnl-dev, OpenMP runtime) and the few pieces of GNU OpenMP's
   runtime that the engine uses to run its own parallel loops on oneDNN's thread team.
   libdnnl-dev ships no pkg-config file, so the module links `dnnl` and `gomp` directly. */
#include <oneapi/dnnl/dnnl.h>

/* GNU OpenMP (libgomp, the runtime libdnnl links): declared here because the engine calls
   the runtime directly instead of compiling with -fopenmp. GOMP_parallel is the entry point
   a `#pragma omp parallel` compiles to: it runs fn(data) on a team of num_threads threads
   (the caller included) and returns when all have finished. */
void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags);
int omp_get_thread_num(void);
int omp_get_num_threads(void);
int omp_get_max_threads(void);
void omp_set_num_threads(int num_threads);

/* Argument indices of dnnl_primitive_execute (macros in dnnl_types.h, some defined through
   other macros, which Swift does not import). */
static const int cdnnl_arg_src = DNNL_ARG_SRC;
static const int cdnnl_arg_dst = DNNL_ARG_DST;
static const int cdnnl_arg_weights = DNNL_ARG_WEIGHTS;
static const int cdnnl_arg_bias = DNNL_ARG_BIAS;
static const int cdnnl_arg_diff_src = DNNL_ARG_DIFF_SRC;
static const int cdnnl_arg_diff_dst = DNNL_ARG_DIFF_DST;
static const int cdnnl_arg_diff_weights = DNNL_ARG_DIFF_WEIGHTS;
static const int cdnnl_arg_diff_bias = DNNL_ARG_DIFF_BIAS;
static const int cdnnl_arg_from = DNNL_ARG_FROM;
static const int cdnnl_arg_to = DNNL_ARG_TO;
#endif
