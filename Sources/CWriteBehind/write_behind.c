/* sync_file_range is a GNU extension: declared only with _GNU_SOURCE, which Swift's Glibc
 * module is built without, hence this one-function target. */
#define _GNU_SOURCE
#include "write_behind.h"

#include <errno.h>
#include <fcntl.h>

int gqnkit_start_writeback(int descriptor, int64_t offset, int64_t length) {
#if defined(__linux__)
    if (sync_file_range(descriptor, (off_t)offset, (off_t)length, SYNC_FILE_RANGE_WRITE) != 0) return errno;
    return 0;
#else
    (void)descriptor;
    (void)offset;
    (void)length;
    return 0;
#endif
}
