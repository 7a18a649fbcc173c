/* The LSM label goes only to a file on procfs (CVE-2019-16884: a container
 * mount over /proc took the label and left the process unconfined). */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../runtime/process/lsm.h"

Test(lsm, attr_file_off_procfs_is_refused)
{
	char path[] = "/tmp/pith-lsm-attr-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	close(fd);
	int r = lsm_open_proc_attr(path);
	if (r >= 0)
		close(r);
	unlink(path);
	cr_expect_eq(r, -EXDEV, "a file on /tmp was accepted as an LSM attribute (%d)", r);
}

Test(lsm, attr_file_on_procfs_is_accepted)
{
	/* /proc/self/attr/exec may be absent without an LSM, and writing it
	 * may be refused: what matters is that procfs is not called foreign */
	int r = lsm_open_proc_attr("/proc/self/attr/exec");
	if (r >= 0)
		close(r);
	cr_expect_neq(r, -EXDEV);
}
