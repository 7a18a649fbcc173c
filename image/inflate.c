/* gzip, the layers' usual compression, through ISA-L's inflate (igzip) instead of zlib's, which
 * libarchive uses: on the .NET image's 51 MB layer zlib was 31% of a pull's CPU samples, on the
 * thread that bounds the pull's wall time; igzip decodes the same stream about three times as
 * fast (x86-64 and arm64 assembly). Built in when the build finds libisal (PITH_ISAL); without
 * it, and for every other compression, libarchive's filters do the work.
 *
 * The gzip wrapper is ISA-L's to parse and check (ISAL_GZIP: header, CRC-32, length); a blob
 * of several members is read on as gzip(1) and libarchive read it; what follows the last member
 * is left to the caller, whose digest covers every byte of the blob. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inflate.h"

#ifdef PITH_ISAL
#include <isa-l/igzip_lib.h>

struct inflate {
	struct inflate_state s;
	inflate_input in;
	void *ctx;
	bool end;
};

static bool gzip_magic(const uint8_t *p, size_t len)
{
	return len >= 3 && p[0] == 0x1f && p[1] == 0x8b && p[2] == 8;
}

bool inflate_takes(const void *buf, size_t len)
{
	return gzip_magic(buf, len);
}

int inflate_new(struct inflate **out, inflate_input in, void *ctx, const void *first, size_t len,
		struct pith_error *err)
{
	struct inflate *z = malloc(sizeof(*z));
	if (!z)
		return pith_fail(err, ENOMEM, "gzip");
	isal_inflate_init(&z->s);
	z->s.crc_flag = ISAL_GZIP;
	z->s.next_in = (uint8_t *)first;
	z->s.avail_in = (uint32_t)len;
	z->in = in;
	z->ctx = ctx;
	z->end = false;
	*out = z;
	return 0;
}

static const char *why(int r)
{
	switch (r) {
	case ISAL_INVALID_BLOCK: return "an invalid deflate block";
	case ISAL_INVALID_SYMBOL: return "an invalid deflate symbol";
	case ISAL_INVALID_LOOKBACK: return "an invalid lookback distance";
	case ISAL_INVALID_WRAPPER: return "an invalid gzip header";
	case ISAL_UNSUPPORTED_METHOD: return "an unsupported compression method";
	case ISAL_INCORRECT_CHECKSUM: return "a CRC or length that does not match the data";
	default: return "an error";
	}
}

/* after a member: another one (its header may go on in the next block: ISA-L keeps the part
 * it has), or the end of the gzip data, where what follows is not a gzip header */
static int next_member(struct inflate *z)
{
	if (z->s.avail_in == 0) {
		const void *buf;
		ssize_t n = z->in(z->ctx, &buf);
		if (n < 0)
			return (int)n;
		z->s.next_in = (uint8_t *)buf;
		z->s.avail_in = (uint32_t)n;
	}
	const uint8_t *p = z->s.next_in;
	if (z->s.avail_in == 0 || p[0] != 0x1f || (z->s.avail_in > 1 && p[1] != 0x8b)) {
		z->end = true;
		return 0;
	}
	uint8_t *next = z->s.next_in;
	uint32_t avail = z->s.avail_in;
	isal_inflate_reset(&z->s);
	z->s.crc_flag = ISAL_GZIP;
	z->s.next_in = next;
	z->s.avail_in = avail;
	return 0;
}

ssize_t inflate_read(struct inflate *z, void *buf, size_t cap, struct pith_error *err)
{
	uint32_t want = (uint32_t)(cap > UINT32_MAX ? UINT32_MAX : cap);
	z->s.next_out = buf;
	z->s.avail_out = want;
	while (!z->end && z->s.avail_out == want) {
		if (z->s.block_state == ISAL_BLOCK_FINISH) {
			int r = next_member(z);
			if (r < 0)
				return r;
			continue;
		}
		if (z->s.avail_in == 0) {
			const void *in;
			ssize_t n = z->in(z->ctx, &in);
			if (n < 0)
				return n;
			if (n == 0)
				return pith_fail(err, EBADMSG, "gzip: the blob ends inside its compressed data");
			z->s.next_in = (uint8_t *)in;
			z->s.avail_in = (uint32_t)n;
		}
		int r = isal_inflate(&z->s);
		if (r < 0)
			return pith_fail(err, EBADMSG, "gzip: %s", why(r));
	}
	return (ssize_t)(want - z->s.avail_out);
}

/* what the caller has not consumed of its last block stays unread: the gzip data ended */
void inflate_free(struct inflate *z)
{
	free(z);
}

#else

bool inflate_takes(const void *buf, size_t len)
{
	return false;
}

int inflate_new(struct inflate **out, inflate_input in, void *ctx, const void *first, size_t len,
		struct pith_error *err)
{
	return pith_fail(err, ENOTSUP, "gzip: built without ISA-L");
}

ssize_t inflate_read(struct inflate *z, void *buf, size_t cap, struct pith_error *err)
{
	return pith_fail(err, ENOTSUP, "gzip: built without ISA-L");
}

void inflate_free(struct inflate *z)
{
}

#endif
