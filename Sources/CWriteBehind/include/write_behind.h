#ifndef GQNKIT_WRITE_BEHIND_H
#define GQNKIT_WRITE_BEHIND_H

#include <stdint.h>

/// Asks the kernel to start writing `length` bytes of `descriptor` from `offset` to disk
/// now, without waiting for them (Linux `sync_file_range` with `SYNC_FILE_RANGE_WRITE`), so
/// that a later `fsync` has little left to wait for. Advisory: it makes nothing durable.
/// Returns 0, or the `errno` of the failure (`EBADF`, `EINVAL`, ...); on systems without
/// the call it does nothing and returns 0.
int gqnkit_start_writeback(int descriptor, int64_t offset, int64_t length);

#endif
