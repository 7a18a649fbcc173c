/* libFuzzer target: any bytes through the config loader must give either a
 * struct or an error, never a crash, a leak or undefined behaviour. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../config/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct spec *s = NULL;
	struct pith_error err = { 0 };
	if (spec_load_string(text, "config.json", &s, &err) == 0)
		spec_free(s);
	free(text);
	return 0;
}
