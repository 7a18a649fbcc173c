/* The processes pith starts inside a container (its init until execve, exec's
 * joiner) are pith's own image, and a container can reach that image through
 * /proc/<pid>/exe, or by exec'ing a script whose interpreter is
 * #!/proc/self/exe, which makes the kernel run the host's pith again inside
 * the container, dumpable. Container root could then write the host binary
 * (CVE-2019-5736). Running from a sealed memfd copy makes /proc/self/exe an
 * anonymous file nobody can write or resize: no host file is ever reachable.
 * The copy is made in the kernel (sendfile), once per create/run/exec, of
 * only what is executed. */
#include "sealed_exe.h"

#include <elf.h>
#include <errno.h>
#include <link.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../cleanup.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U /* Linux 6.3: asked for explicitly where vm.memfd_noexec is set */
#endif

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

/* The bytes the kernel and ld.so read: the ELF header, the program headers
 * and every segment's file range. An unstripped pith is mostly debug
 * sections (five times the code here), and each copied byte is a page
 * allocated per container; the section table is cut and cleared in the copy.
 * Anything that does not look like our own ELF class is copied whole. */
static off_t exec_extent(int self, off_t size, ElfW(Ehdr) *eh)
{
	if (pread(self, eh, sizeof(*eh), 0) != (ssize_t)sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_phentsize != sizeof(ElfW(Phdr)) || eh->e_phnum == 0 || eh->e_phnum > 64)
		return size;
	ElfW(Phdr) ph[64];
	size_t len = (size_t)eh->e_phnum * sizeof(ph[0]);
	if (pread(self, ph, len, (off_t)eh->e_phoff) != (ssize_t)len)
		return size;
	uint64_t end = eh->e_phoff + len;
	for (size_t i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_offset + ph[i].p_filesz > end)
			end = ph[i].p_offset + ph[i].p_filesz;
	return end <= (uint64_t)size ? (off_t)end : size;
}

static int sealed_copy(int self, struct pith_error *err)
{
	struct stat st;
	if (fstat(self, &st) < 0)
		return pith_fail(err, errno, "/proc/self/exe");
	ElfW(Ehdr) eh;
	off_t extent = exec_extent(self, st.st_size, &eh);
	int mfd = memfd_create("pith", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (mfd < 0 && errno == EINVAL)
		mfd = memfd_create("pith", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return pith_fail(err, errno, "memfd_create for a sealed copy of pith");
	off_t off = 0;
	while (off < extent) {
		ssize_t n = sendfile(mfd, self, &off, (size_t)(extent - off));
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			close(mfd);
			return pith_fail(err, e, "copy pith into a memfd");
		}
	}
	if (extent < st.st_size) {
		eh.e_shoff = 0;
		eh.e_shnum = 0;
		eh.e_shstrndx = SHN_UNDEF;
		if (pwrite(mfd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh)) {
			int e = errno;
			close(mfd);
			return pith_fail(err, e, "copy pith into a memfd");
		}
	}
	if (fcntl(mfd, F_ADD_SEALS, SEALS) < 0) {
		int e = errno;
		close(mfd);
		return pith_fail(err, e, "seal the memfd copy of pith");
	}
	return mfd;
}

int sealed_exe_ensure(char **argv, struct pith_error *err)
{
	auto_fd self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return pith_fail(err, errno, "/proc/self/exe");
	int seals = fcntl(self, F_GET_SEALS);
	if (seals >= 0 && (seals & SEALS) == SEALS)
		return 0;
	auto_fd mfd = sealed_copy(self, err);
	if (mfd < 0)
		return -1;
	/* O_CLOEXEC is fine for an ELF image (only a script needs its fd after exec) */
	syscall(SYS_execveat, mfd, "", argv, environ, AT_EMPTY_PATH);
	return pith_fail(err, errno, "exec the sealed copy of pith");
}
