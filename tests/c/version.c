/*
 * The header's version macros agree with the library it is linked with,
 * the composite number included.
 */
#include "check.h"

int main(void) {
    char text[64];
    CHECK(AUTHKV_VERSION_NUMBER ==
          AUTHKV_VERSION_MAJOR * 1000000 + AUTHKV_VERSION_MINOR * 1000 + AUTHKV_VERSION_PATCH);
    CHECK(authkv_version() == AUTHKV_VERSION_NUMBER);
    CHECK(authkv_version() / 1000000 == AUTHKV_VERSION_MAJOR);
    CHECK(authkv_version() / 1000 % 1000 == AUTHKV_VERSION_MINOR);
    CHECK(authkv_version() % 1000 == AUTHKV_VERSION_PATCH);
    CHECK(snprintf(text, sizeof text, "%d.%d.%d", AUTHKV_VERSION_MAJOR, AUTHKV_VERSION_MINOR,
                   AUTHKV_VERSION_PATCH) > 0);
    CHECK(strcmp(authkv_version_str(), text) == 0);
    printf("version: %s (%u)\n", authkv_version_str(), (unsigned)authkv_version());
    return 0;
}
