/* libFuzzer target: config_load() on arbitrary bytes written to a
   temporary file.  Built and run by tests/fuzz/run-fuzz. */
#include "autodefs.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "config.h"
#include "log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *conf_path;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *dir;

	log_init("fuzz-config", FALSE);
	log_set_level(LOG_LEVEL_ERROR);
	dir = g_dir_make_tmp("fuzz-config-XXXXXX", NULL);
	if (dir == NULL)
		abort();
	conf_path = g_build_filename(dir, "ticketd.conf", NULL);
	g_free(dir);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *config;
	char *error = NULL;

	if (!g_file_set_contents(conf_path, (const char *)data,
				 (gssize)size, NULL))
		abort();
	config = config_load(conf_path, &error);
	if (config == NULL && error == NULL)
		__builtin_trap();
	config_free(config);
	g_free(error);
	return 0;
}
