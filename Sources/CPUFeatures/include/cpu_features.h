#ifndef GQNKIT_CPU_FEATURES_H
#define GQNKIT_CPU_FEATURES_H

/// Whether the processor and the operating system run x86-64-v3 code (AVX, AVX2, FMA, BMI1,
/// BMI2, F16C, LZCNT, MOVBE, with the AVX state saved by the kernel): 1 or 0, and always 0
/// on other architectures. Asked through the compiler's cpuid-based `__builtin_cpu_supports`.
int gqnkit_cpu_runs_x86_64_v3(void);

/// Whether the processor and the operating system run x86-64-v4 code: x86-64-v3 plus
/// AVX-512 F, CD, BW, DQ and VL, with the AVX-512 state saved by the kernel. 1 or 0.
int gqnkit_cpu_runs_x86_64_v4(void);

#endif
