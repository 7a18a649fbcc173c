/* The processes pith starts inside a container (its init until execve, exec's
 * joiner) are pith's own image, and a container can reach that image through
 * /proc/<pid>/exe, or by exec'ing a script whose interpreter is
 * #!/proc/self/exe, which makes the kernel run the host's pith again inside
 * the container, dumpable. Container root could then write the host binary
 * (CVE-2019-5736). Running from a sealed memfd copy makes /proc/self/exe an
 * anonymous file nobody can write or resize: no host file is ever reachable.
 * The copy is made in the kernel (sendfile), once per create/run/exec. */
#include "sealed_exe.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U /* Linux 6.3: asked for explicitly where vm.memfd_noexec is set */
#endif

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

static int sealed_copy(int self, struct pith_error *err)
{
	struct stat st;
	if (fstat(self, &st) < 0)
		return pith_fail(err, errno, "/proc/self/exe");
	int mfd = memfd_create("pith", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (mfd < 0 && errno == EINVAL)
		mfd = memfd_create("pith", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return pith_fail(err, errno, "memfd_create for a sealed copy of pith");
	off_t off = 0;
	while (off < st.st_size) {
		ssize_t n = sendfile(mfd, self, &off, (size_t)(st.st_size - off));
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
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
