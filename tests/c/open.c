/*
 * Open a file with the default options and report the status and message,
 * for the driver to check why a file cannot be opened (locked by another
 * process, not a database, …).
 *
 * Usage: open PATH EXPECTED_STATUS   (exits 0 when the status is expected)
 */
#include "check.h"

int main(int argc, char **argv) {
    authkv_engine *engine = NULL;
    authkv_status status;
    unsigned long expected;
    CHECK(argc == 3);
    expected = strtoul(argv[2], NULL, 10);
    status = authkv_open(argv[1], strlen(argv[1]), NULL, &engine);
    printf("status=%u (%s)\nmessage=%s\n", (unsigned)status, authkv_status_str(status),
           authkv_last_error());
    if (status == AUTHKV_OK) {
        CHECK(engine != NULL);
        EXPECT(authkv_close(engine), AUTHKV_OK);
    } else {
        CHECK(engine == NULL);
        CHECK(authkv_last_error()[0] != '\0');
    }
    return status == expected ? 0 : 1;
}
