/* A throwaway directory tree for unit tests that read files under a root (an image's
 * /etc/passwd, a container's): made under /tmp, filled by relative path, removed after. */
#ifndef PITH_TEST_TEMP_ROOT_H
#define PITH_TEST_TEMP_ROOT_H

/* Make the root (with an etc/ directory); returns its O_PATH fd. */
int temp_root_make(void);
/* Write TEXT to the file REL under the root. */
void temp_root_put(const char *rel, const char *text);
/* The root's directory. */
const char *temp_root_path(void);
/* Close the fd and remove the tree. */
void temp_root_remove(void);

#endif
