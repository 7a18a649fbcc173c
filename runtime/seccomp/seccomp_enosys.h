/* The ENOSYS stub runc prepends to seccomp programs: a syscall numbered above
 * every syscall the profile names (for that arch) is newer than the profile,
 * so it answers ENOSYS whatever the default action says. glibc falls back to
 * older calls only on ENOSYS; an EPERM there breaks it on the next kernel. */
#ifndef PITH_SECCOMP_ENOSYS_H
#define PITH_SECCOMP_ENOSYS_H

#include <stddef.h>
#include <stdint.h>

#include "seccomp.h"

/* Whether a default action needs the stub (blocking, and not ENOSYS already). */
bool seccomp_enosys_wanted(uint32_t scmp_default_action);

/* Prepend the stub to p for the given libseccomp arch tokens (the arches in
 * the filter; SCMP_ARCH_X32 is covered through x86_64 and left alone). */
int seccomp_enosys_prepend(const struct spec_seccomp *s, const uint32_t *arches, size_t n,
			   struct seccomp_program *p, struct pith_error *err);

#endif
