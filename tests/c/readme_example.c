/* Log a visitor in, then authenticate two requests: the browser's (session
 * cookie) and an API client's (bearer token). Usage: readme_example [FILE] */
#include <stdio.h>
#include <string.h>

#include "authkv.h"

#define TRY(call)                                                                 \
    do {                                                                          \
        authkv_status status_ = (call);                                           \
        if (status_ != AUTHKV_OK) {                                               \
            fprintf(stderr, "%s: %s\n", authkv_status_str(status_),               \
                    authkv_last_error());                                         \
            return 1;                                                             \
        }                                                                         \
    } while (0)

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "app.redb";
    char id[AUTHKV_SESSION_ID_SIZE], csrf[AUTHKV_CSRF_TOKEN_SIZE];
    char token[AUTHKV_TOKEN_MAX_SIZE], cookie[64], bearer[AUTHKV_TOKEN_MAX_SIZE + 7];
    uint64_t token_id;
    authkv_engine *engine;
    authkv_string *set_cookie;
    authkv_principal *who;
    authkv_request request = {0};

    TRY(authkv_open(path, strlen(path), NULL, &engine)); /* NULL: default options */

    /* A visitor arrives, then logs in as user 42: id and CSRF token rotate. */
    TRY(authkv_session_create(engine, "203.0.113.9", 11, "curl", 4, id, sizeof id, csrf,
                              sizeof csrf, NULL));
    TRY(authkv_session_login(engine, id, strlen(id), 42, id, sizeof id, csrf, sizeof csrf, NULL));
    TRY(authkv_cookie_session(engine, id, strlen(id), &set_cookie));
    printf("Set-Cookie: %s\n", set_cookie->text.ptr);
    authkv_string_free(set_cookie);

    /* The browser comes back from a first-party page with the cookie. */
    snprintf(cookie, sizeof cookie, "authkv_session=%s", id);
    request.method = "GET";
    request.method_len = 3;
    request.cookie = cookie;
    request.cookie_len = strlen(cookie);
    request.origin = "http://localhost:3000";
    request.origin_len = strlen(request.origin);
    TRY(authkv_guard_authenticate(engine, &request, &who));
    printf("browser: user %llu\n", (unsigned long long)who->user_id);
    authkv_principal_free(who);

    /* An API client with a personal access token that may read orders. */
    TRY(authkv_token_create(engine, 42, "cli", 3, "orders:read", 11, false, 0, &token_id, token,
                            sizeof token, NULL));
    snprintf(bearer, sizeof bearer, "Bearer %s", token);
    memset(&request, 0, sizeof request);
    request.method = "POST";
    request.method_len = 4;
    request.authorization = bearer;
    request.authorization_len = strlen(bearer);
    TRY(authkv_guard_authenticate(engine, &request, &who));
    TRY(authkv_principal_require(who, "orders:read", 11, NULL, 0));
    printf("api: user %llu via token %llu\n", (unsigned long long)who->user_id,
           (unsigned long long)who->token_id);
    authkv_principal_free(who);

    return authkv_close(engine) == AUTHKV_OK ? 0 : 1;
}
