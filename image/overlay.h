/* The overlay view of a layer stack, as unpack.c needs it: whiteout names, a path looked up
 * through the lower layers, and a lower file copied up into the layer being unpacked. */
#ifndef PITH_IMAGE_OVERLAY_H
#define PITH_IMAGE_OVERLAY_H

#include <stdbool.h>
#include <stddef.h>

#include "image.h"

#define WHITEOUT ".wh."
#define OPAQUE ".wh..wh..opq"
#define AUFS_META ".wh..wh."
#define OPAQUE_XATTR "trusted.overlay.opaque"

/* NONE: an ordinary entry; FILE: .wh.NAME deletes NAME; OPAQUE: the directory hides what is
 * below it; META: aufs's own bookkeeping (.wh..wh.* and what is under it), skipped */
enum whiteout_kind { WHITEOUT_NONE, WHITEOUT_FILE, WHITEOUT_OPAQUE, WHITEOUT_META };
/* Split a tar entry name into its directory ("." for the top) and, for .wh.NAME, the NAME it
 * deletes. Negative (err filled) for a whiteout no layer may hold: an empty, "." or ".." NAME,
 * or a directory that climbs with "..". */
int whiteout_parse(const char *entry, enum whiteout_kind *kind, char *dir, size_t dirlen, char *name,
		   size_t namelen, struct pith_error *err);

/* true when a path, as a tar entry names it, has a ".." component */
bool path_climbs(const char *path);

/* PATH opened beneath dirfd, no symlink or ".." on the way (O_NOFOLLOW on each component);
 * negative errno on failure. */
int overlay_open_beneath(int dirfd, const char *path, int flags);

/* Where PATH is in the view of layers[0] (the layer being unpacked) over layers[1..n-1]
 * (the lower ones, top first): the index of the layer whose entry shows, -ENOENT when no layer
 * has it or a whiteout or opaque directory hides it. Symlinks on the way are not followed. */
int overlay_find(const int *layers, size_t n, const char *path);

/* Copy the regular file PATH of layer fd `lower` into `upper` (owner, mode, times, xattrs),
 * creating missing parents like the lower's: what overlayfs does on a write, done at unpack
 * time so a hardlink in the upper layer has its target there. */
int overlay_copy_up(int lower, int upper, const char *path, struct pith_error *err);

/* The missing parent directories of PATH in layers[0], made with the owner, mode and xattrs
 * of the lower layer's that shows there: a directory an upper layer makes only to hold an
 * entry must not change how the merged view shows it. */
int overlay_make_parents(const int *layers, size_t n, const char *path, struct pith_error *err);

#endif
