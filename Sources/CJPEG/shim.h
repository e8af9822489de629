#ifndef CJPEG_SHIM_H
#define CJPEG_SHIM_H
// libjpeg-turbo's TurboJPEG API: errors come back as return codes and messages, not
// through libjpeg's setjmp/longjmp, so Swift can call it directly.
#include <stddef.h>
#include <turbojpeg.h>
#endif
