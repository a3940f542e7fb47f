/*
 * The header on its own: compiled as C11 and as C++ (where the extern "C"
 * guards must make the functions link), with the ABI facts it promises.
 */
#include "authkv.h"

#ifdef __cplusplus
#define STATIC_ASSERT(cond, why) static_assert(cond, why)
#else
#define STATIC_ASSERT(cond, why) _Static_assert(cond, why)
#endif

STATIC_ASSERT(sizeof(authkv_status) == 4, "authkv_status is 32 bits wide");
STATIC_ASSERT(AUTHKV_OK == 0, "success is zero");
STATIC_ASSERT(AUTHKV_SESSION_ID_SIZE == AUTHKV_SESSION_ID_LEN + 1, "room for the NUL");
STATIC_ASSERT(AUTHKV_CSRF_TOKEN_SIZE == AUTHKV_CSRF_TOKEN_LEN + 1, "room for the NUL");
STATIC_ASSERT(AUTHKV_SESSION_HANDLE_SIZE == AUTHKV_SESSION_HANDLE_LEN + 1, "room for the NUL");
STATIC_ASSERT(AUTHKV_TOKEN_MAX_SIZE == AUTHKV_TOKEN_MAX_LEN + 1, "room for the NUL");
STATIC_ASSERT(AUTHKV_TOKEN_MAX_LEN == 20 + 1 + AUTHKV_TOKEN_PREFIX_MAX_LEN + 48,
              "{id}|{prefix}{40 characters}{crc32}");
STATIC_ASSERT(AUTHKV_REMEMBER_TOKEN_SIZE == AUTHKV_REMEMBER_TOKEN_LEN + 1, "room for the NUL");
STATIC_ASSERT(AUTHKV_INVALID_CREDENTIALS == 107, "published status numbers never change");
STATIC_ASSERT(AUTHKV_THEFT_DETECTED == 108, "published status numbers never change");
STATIC_ASSERT(AUTHKV_RATE_LIMITED == 110 && AUTHKV_QUOTA_EXHAUSTED == 111, "published status numbers never change");

int main(void) {
    authkv_options options;
    authkv_status status = authkv_options_default(&options);
    if (status != AUTHKV_OK || authkv_version() != AUTHKV_VERSION_NUMBER) {
        return 1;
    }
    authkv_string_free(NULL);
    return authkv_close(NULL) == AUTHKV_OK ? 0 : 1;
}
