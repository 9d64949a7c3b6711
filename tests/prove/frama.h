/* SPDX-License-Identifier: MIT */
/* frama.h - included ahead of every file Frama-C proves (make prove): what its C front end does not take. */
#ifndef KNOT_PROVE_FRAMA_H
#define KNOT_PROVE_FRAMA_H
/* Frama-C 25 aborts on C11's _Static_assert; the compiler checks each one in every build. */
#define _Static_assert(cond, msg)
#endif
