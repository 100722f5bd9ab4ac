/* The core is integer-only; these only satisfy the declarations wasm2c's output makes. */
#ifndef PVBOOT_MATH_H
#define PVBOOT_MATH_H
#define INFINITY __builtin_inff()
#define NAN __builtin_nanf("")
#define isnan(x) __builtin_isnan(x)
#define signbit(x) __builtin_signbit(x)
#define fabsf __builtin_fabsf
#define fabs __builtin_fabs
#define ceilf __builtin_ceilf
#define ceil __builtin_ceil
#define floorf __builtin_floorf
#define floor __builtin_floor
#define truncf __builtin_truncf
#define trunc __builtin_trunc
#define nearbyintf __builtin_nearbyintf
#define nearbyint __builtin_nearbyint
#define sqrtf __builtin_sqrtf
#define sqrt __builtin_sqrt
#define copysignf __builtin_copysignf
#define copysign __builtin_copysign
#define fminf __builtin_fminf
#define fmin __builtin_fmin
#define fmaxf __builtin_fmaxf
#define fmax __builtin_fmax
#endif
