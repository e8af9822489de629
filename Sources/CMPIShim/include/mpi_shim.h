#ifndef GQN_MPI_SHIM_H
#define GQN_MPI_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The few MPI calls the Distributed module makes, on MPI_COMM_WORLD, with the handles
/// (MPI_COMM_WORLD, MPI_FLOAT, MPI_DOUBLE, MPI_UINT64_T, MPI_SUM, MPI_MIN, MPI_MAX,
/// MPI_IN_PLACE) that are macros in Open MPI's header and so invisible to Swift.
/// Every function returns MPI's error code (MPI_SUCCESS = 0); the communicator's error
/// handler is MPI_ERRORS_RETURN, so a failure comes back here instead of aborting inside MPI.

/// MPI_Init_thread (MPI_THREAD_FUNNELED: only the main thread calls MPI), then this
/// process's rank and the world size.
int gqn_mpi_init(int *rank, int *size);

/// Whether MPI_Init has run and MPI_Finalize has not.
int gqn_mpi_is_running(void);

/// MPI_Finalize.
int gqn_mpi_finalize(void);

/// Sums `count` floats across all ranks, in place (MPI_Allreduce with MPI_IN_PLACE).
/// Counts above INT_MAX are sent in pieces.
int gqn_mpi_allreduce_sum_float(float *values, size_t count);

/// Sums `count` doubles across all ranks, in place.
int gqn_mpi_allreduce_sum_double(double *values, size_t count);

/// The smallest and largest of every rank's `value`.
int gqn_mpi_allreduce_min_max_u64(uint64_t value, uint64_t *minimum, uint64_t *maximum);

/// Sends `count` bytes from rank `root` to every rank (MPI_Bcast).
int gqn_mpi_broadcast(void *bytes, size_t count, int root);

/// Waits until every rank has called it.
int gqn_mpi_barrier(void);

/// Ends every process of the job with `code` (MPI_Abort): what a rank calls when it cannot
/// go on, so that the others never wait for it in a collective.
void gqn_mpi_abort(int code);

/// MPI's text for an error code, into `buffer` (NUL-terminated).
void gqn_mpi_error_string(int code, char *buffer, size_t size);

#ifdef __cplusplus
}
#endif

#endif
