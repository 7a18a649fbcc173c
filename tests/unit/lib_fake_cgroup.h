/* A fake cgroup leaf for unit tests: a temp dir whose control files exist,
 * empty, as cgroupfs's do, so the cgroup writers can run without a kernel. */
#ifndef PITH_TEST_FAKE_CGROUP_H
#define PITH_TEST_FAKE_CGROUP_H

/* Make the leaf with these files (NULL-terminated); returns its O_PATH fd. */
int fake_leaf_make(const char *const *files);
/* What the writers put in FILE ("" = nothing written). */
char *fake_leaf_content(const char *file);
/* The leaf's directory. */
const char *fake_leaf_path(void);
/* Remove the leaf and close its fd. */
void fake_leaf_remove(void);

#endif
