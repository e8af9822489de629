#ifndef CISAL_SHIM_H
#define CISAL_SHIM_H
#include <isa-l.h>
#endif
