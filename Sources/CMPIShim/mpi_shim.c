#include "mpi_shim.h"

#include <limits.h>
#include <string.h>

#include <mpi.h>

int gqn_mpi_init(int *rank, int *size) {
    int provided = 0;
    int status = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    if (status != MPI_SUCCESS) return status;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    status = MPI_Comm_rank(MPI_COMM_WORLD, rank);
    if (status != MPI_SUCCESS) return status;
    return MPI_Comm_size(MPI_COMM_WORLD, size);
}

int gqn_mpi_is_running(void) {
    int initialized = 0, finalized = 0;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    return initialized && !finalized;
}

int gqn_mpi_finalize(void) { return MPI_Finalize(); }

/// MPI counts are ints: larger buffers go in pieces of at most INT_MAX elements.
static int allreduce_pieces(void *values, size_t count, size_t element_size, MPI_Datatype type) {
    char *bytes = (char *)values;
    while (count > 0) {
        int piece = count > (size_t)INT_MAX ? INT_MAX : (int)count;
        int status = MPI_Allreduce(MPI_IN_PLACE, bytes, piece, type, MPI_SUM, MPI_COMM_WORLD);
        if (status != MPI_SUCCESS) return status;
        bytes += (size_t)piece * element_size;
        count -= (size_t)piece;
    }
    return MPI_SUCCESS;
}

int gqn_mpi_allreduce_sum_float(float *values, size_t count) {
    return allreduce_pieces(values, count, sizeof(float), MPI_FLOAT);
}

int gqn_mpi_allreduce_sum_double(double *values, size_t count) {
    return allreduce_pieces(values, count, sizeof(double), MPI_DOUBLE);
}

int gqn_mpi_allreduce_min_max_u64(uint64_t value, uint64_t *minimum, uint64_t *maximum) {
    int status = MPI_Allreduce(&value, minimum, 1, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD);
    if (status != MPI_SUCCESS) return status;
    return MPI_Allreduce(&value, maximum, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
}

int gqn_mpi_broadcast(void *bytes, size_t count, int root) {
    char *cursor = (char *)bytes;
    while (count > 0) {
        int piece = count > (size_t)INT_MAX ? INT_MAX : (int)count;
        int status = MPI_Bcast(cursor, piece, MPI_BYTE, root, MPI_COMM_WORLD);
        if (status != MPI_SUCCESS) return status;
        cursor += piece;
        count -= (size_t)piece;
    }
    return MPI_SUCCESS;
}

int gqn_mpi_barrier(void) { return MPI_Barrier(MPI_COMM_WORLD); }

void gqn_mpi_abort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }

void gqn_mpi_error_string(int code, char *buffer, size_t size) {
    if (size == 0) return;
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) length = 0;
    text[length < MPI_MAX_ERROR_STRING ? length : MPI_MAX_ERROR_STRING - 1] = '\0';
    strncpy(buffer, text, size - 1);
    buffer[size - 1] = '\0';
}
