#ifndef CMPI_SHIM_H
#define CMPI_SHIM_H
// Open MPI's C API (Debian libopenmpi-dev, pkg-config ompi-c). Its handles
// (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, MPI_IN_PLACE) are macros Swift cannot import:
// CMPIShim wraps the calls that need them.
#include <mpi.h>
#endif
