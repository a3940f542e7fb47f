/*
 * Bad calls to the token, credential, remember-me, guard, cookie and
 * option APIs (misuse.c covers the engine and sessions): NULL for every
 * pointer parameter, buffers that are too small, lengths past each limit,
 * invalid UTF-8, malformed tokens and ids. Each must return its status with
 * a message, write no output, and leave the stored state exactly as it was.
 *
 * Usage: misuse_auth DIR   (DIR is an empty scratch directory)
 */
#include "check.h"

#define BAD_UTF8 "\xff\xfe"
#define SESSION_ID "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define DIGEST "a235ebf9b23dd703f95348303d8617653b38a195624118fd2fdd917afb382cd3"
#define OTHER_DIGEST "0000000000000000000000000000000000000000000000000000000000000001"
#define NOT_HEX "zz00000000000000000000000000000000000000000000000000000000000001"

static authkv_engine *e;
static char token[AUTHKV_TOKEN_MAX_SIZE];        /* user 9: orders:read */
static char remember[AUTHKV_REMEMBER_TOKEN_SIZE]; /* user 42 */
static char session[AUTHKV_SESSION_ID_SIZE];      /* user 42, logged in */
static char csrf[AUTHKV_CSRF_TOKEN_SIZE];

/* `n` copies of `c` in a static buffer (not NUL-terminated). */
static const char *repeat(char c, size_t n) {
    static char buf[20000];
    CHECK(n <= sizeof buf);
    memset(buf, c, n);
    return buf;
}

/* A token for user 9 without expiry. */
static authkv_status create(const char *name, size_t name_len, const char *abilities,
                            size_t abilities_len, uint64_t *id_out, char *out, size_t out_size,
                            size_t *required_size) {
    return authkv_token_create(e, 9, name, name_len, abilities, abilities_len, false, 0, id_out,
                               out, out_size, required_size);
}

/* A Sanctum row of user 3, created at T0, never used, without expiry. */
static authkv_status import_row(uint64_t id, const char *name, size_t name_len,
                                const char *digest, size_t digest_len, const char *abilities,
                                size_t abilities_len) {
    return authkv_token_import_sanctum(e, id, 3, name, name_len, digest, digest_len, abilities,
                                       abilities_len, T0, false, 0, false, 0);
}

static void token_calls(void) {
    char out[AUTHKV_TOKEN_MAX_SIZE];
    char small[AUTHKV_TOKEN_MAX_SIZE - 1];
    char list[70 * 2];
    uint64_t id = 77, pruned = 77;
    size_t required = 0, revoked = 77, i;
    authkv_token *t = NULL;
    authkv_token_list *l = NULL;
    bool yes = false;
    memset(out, 'x', sizeof out);

    EXPECT(authkv_token_create(NULL, 9, S("n"), NULL, 0, false, 0, &id, out, sizeof out, NULL),
           AUTHKV_NULL_POINTER);
    EXPECT(create(NULL, 3, NULL, 0, &id, out, sizeof out, NULL), AUTHKV_NULL_POINTER);
    EXPECT(create(S("n"), NULL, 3, &id, out, sizeof out, NULL), AUTHKV_NULL_POINTER);
    EXPECT_MESSAGE("abilities is NULL with a length of 3");
    EXPECT(create(S("n"), NULL, 0, NULL, out, sizeof out, NULL), AUTHKV_NULL_POINTER);
    EXPECT_MESSAGE("id_out is NULL");
    EXPECT(create(S("n"), NULL, 0, &id, NULL, sizeof out, NULL), AUTHKV_NULL_POINTER);
    EXPECT(create(S("n"), NULL, 0, &id, small, sizeof small, &required), AUTHKV_BUFFER_TOO_SMALL);
    CHECK(required == AUTHKV_TOKEN_MAX_SIZE);
    EXPECT(create(NULL, 0, NULL, 0, &id, out, sizeof out, NULL), AUTHKV_INVALID_ARGUMENT);
    EXPECT_MESSAGE("token name must not be empty");
    EXPECT(create(repeat('n', 256), 256, NULL, 0, &id, out, sizeof out, NULL),
           AUTHKV_INVALID_ARGUMENT);
    EXPECT_MESSAGE("256 bytes exceeds the limit of 255");
    EXPECT(create(S("n" BAD_UTF8), NULL, 0, &id, out, sizeof out, NULL), AUTHKV_INVALID_ARGUMENT);
    EXPECT_MESSAGE("name is not valid UTF-8");
    EXPECT(create(S("a\0b"), NULL, 0, &id, out, sizeof out, NULL), AUTHKV_INVALID_ARGUMENT);
    EXPECT(create(S("n"), S("a\n\nb"), &id, out, sizeof out, NULL), AUTHKV_INVALID_ARGUMENT);
    EXPECT_MESSAGE("position 1 is empty");
    EXPECT(create(S("n"), repeat('a', 256), 256, &id, out, sizeof out, NULL),
           AUTHKV_INVALID_ARGUMENT);
    EXPECT_MESSAGE("256 bytes, over the limit of 255");
    for (i = 0; i < 65; i++) { /* 65 one-letter abilities */
        list[2 * i] = 'a';
        list[2 * i + 1] = '\n';
    }
    EXPECT(create(S("n"), list, 2 * 65 - 1, &id, out, sizeof out, NULL), AUTHKV_INVALID_ARGUMENT);
    EXPECT_MESSAGE("65 token abilities exceed the limit of 64");
    EXPECT(create(S("n"), repeat('a', 16385), 16385, &id, out, sizeof out, NULL),
           AUTHKV_INVALID_ARGUMENT);
    EXPECT(create(S("n"), S("ok\n" BAD_UTF8), &id, out, sizeof out, NULL), AUTHKV_INVALID_ARGUMENT);
    CHECK(id == 77 && out[0] == 'x');

    EXPECT(authkv_token_authenticate(NULL, token, strlen(token), &t), AUTHKV_NULL_POINTER);
    EXPECT(authkv_token_authenticate(e, NULL, 5, &t), AUTHKV_NULL_POINTER);
    EXPECT(authkv_token_authenticate(e, token, strlen(token), NULL), AUTHKV_NULL_POINTER);
    {
        static const struct {
            const char *ptr;
            size_t len;
        } bad[] = {
            {"", 0},
            {"garbage", 7},
            {"1|Xq7Lr2VbN9sKd4TfWm1Zc8Hy3Gp6Ju5Ae0RoBiYt6dfacdf6", 50}, /* checksum */
            {"0|Xq7Lr2VbN9sKd4TfWm1Zc8Hy3Gp6Ju5Ae0RoBiYt6dfacdf5", 50}, /* id 0 */
            {"Xq7Lr2VbN9sKd4TfWm1Zc8Hy3Gp6Ju5Ae0RoBiYt", 40},          /* legacy */
            {"1|Xq7Lr2VbN9sKd4TfWm1Zc8Hy3Gp6Ju5Ae0RoBiYt6dfacdf" BAD_UTF8, 51},
            {"1|Xq7Lr2VbN9sKd4TfWm1Zc8Hy3G\0p6Ju5Ae0RoBiYt6dfacdf5", 51},
        };
        for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            EXPECT(authkv_token_authenticate(e, bad[i].ptr, bad[i].len, &t),
                   AUTHKV_UNAUTHENTICATED);
        }
        EXPECT(authkv_token_authenticate(e, repeat('1', 102), 102, &t), AUTHKV_UNAUTHENTICATED);
        EXPECT_MESSAGE("longer than any token");
    }
    CHECK(t == NULL);

    EXPECT(authkv_token_authenticate(e, token, strlen(token), &t), AUTHKV_OK);
    EXPECT(authkv_token_can(NULL, S("a"), &yes), AUTHKV_NULL_POINTER);
    EXPECT(authkv_token_can(t, NULL, 3, &yes), AUTHKV_NULL_POINTER);
    EXPECT(authkv_token_can(t, S("a"), NULL), AUTHKV_NULL_POINTER);
    EXPECT_MESSAGE("can_out is NULL");
    EXPECT(authkv_token_cant(NULL, S("a"), &yes), AUTHKV_NULL_POINTER);
    EXPECT(authkv_token_cant(t, NULL, 3, &yes), AUTHKV_NULL_POINTER);
    EXPECT(authkv_token_cant(t, S("a"), NULL), AUTHKV_NULL_POINTER);
    EXPECT_MESSAGE("cant_out is NULL");
    CHECK(!yes);
    EXPECT(authkv_token_can(t, S(BAD_UTF8), &yes), AUTHKV_OK); /* any bytes: just not granted */
    CHECK(!yes);
    authkv_token_free(t);
    authkv_token_free(NULL);

    EXPECT(authkv_token_revoke(NULL, 1), AUTHKV_NULL_POINTER);
    EXPECT(authkv_token_revoke(e, 12345), AUTHKV_NOT_FOUND);
    EXPECT(authkv_token_revoke_user(NULL, 9, &revoked), AUTHKV_NULL_POINTER);
    EXPECT(authkv_token_revoke_user(e, 9, NULL), AUTHKV_NULL_POINTER);
    EXPECT(authkv_token_prune(NULL, 0, &pruned), AUTHKV_NULL_POINTER);
    EXPECT(authkv_token_prune(e, 0, NULL), AUTHKV_NULL_POINTER);
    CHECK(revoked == 77 && pruned == 77);
    EXPECT(authkv_token_list_user(NULL, 9, &l), AUTHKV_NULL_POINTER);
    EXPECT(authkv_token_list_user(e, 9, NULL), AUTHKV_NULL_POINTER);
    CHECK(l == NULL);
    authkv_token_list_free(NULL);

    EXPECT(authkv_token_import_sanctum(NULL, 600, 3, S("n"), S(OTHER_DIGEST), NULL, 0, T0, false,
                                       0, false, 0),
           AUTHKV_NULL_POINTER);
    EXPECT(import_row(600, NULL, 3, S(OTHER_DIGEST), NULL, 0), AUTHKV_NULL_POINTER);
    EXPECT(import_row(600, S("n"), NULL, 64, NULL, 0), AUTHKV_NULL_POINTER);
    EXPECT(import_row(600, S("n"), S(OTHER_DIGEST), NULL, 4), AUTHKV_NULL_POINTER);
    EXPECT(import_row(0, S("n"), S(OTHER_DIGEST), NULL, 0), AUTHKV_INVALID_ARGUMENT);
    EXPECT_MESSAGE("ids start at 1");
    EXPECT(import_row(600, S("n"), OTHER_DIGEST, 63, NULL, 0), AUTHKV_INVALID_ARGUMENT);
    EXPECT_MESSAGE("64 hex characters");
    EXPECT(import_row(600, S("n"), S(NOT_HEX), NULL, 0), AUTHKV_INVALID_ARGUMENT);
    EXPECT(import_row(600, S("n"), S(BAD_UTF8), NULL, 0), AUTHKV_INVALID_ARGUMENT);
    EXPECT(import_row(1, S("n"), S(OTHER_DIGEST), NULL, 0), AUTHKV_ALREADY_EXISTS);
    EXPECT_MESSAGE("token id 1 already exists");
    EXPECT(import_row(600, S("n"), S(DIGEST), NULL, 0), AUTHKV_ALREADY_EXISTS);
    EXPECT_MESSAGE("already stored as token id 2");
}

static void credential_calls(void) {
    uint64_t user = 77, retry = 77;
    EXPECT(authkv_password_set(NULL, 42, S("ada"), S("pw")), AUTHKV_NULL_POINTER);
    EXPECT(authkv_password_set(e, 42, NULL, 3, S("pw")), AUTHKV_NULL_POINTER);
    EXPECT(authkv_password_set(e, 42, S("ada"), NULL, 2), AUTHKV_NULL_POINTER);
    EXPECT(authkv_password_set(e, 42, NULL, 0, S("pw")), AUTHKV_INVALID_ARGUMENT);
    EXPECT_MESSAGE("login must not be empty");
    EXPECT(authkv_password_set(e, 42, S("ada"), NULL, 0), AUTHKV_INVALID_ARGUMENT);
    EXPECT_MESSAGE("password must not be empty");
    EXPECT(authkv_password_set(e, 42, repeat('l', 321), 321, S("pw")), AUTHKV_INVALID_ARGUMENT);
    EXPECT_MESSAGE("321 bytes exceeds the limit of 320");
    EXPECT(authkv_password_set(e, 42, S("ada"), repeat('p', 4097), 4097), AUTHKV_INVALID_ARGUMENT);
    EXPECT_MESSAGE("4097 bytes exceeds the limit of 4096");
    EXPECT(authkv_password_set(e, 42, S("ada" BAD_UTF8), S("pw")), AUTHKV_INVALID_ARGUMENT);
    EXPECT(authkv_password_set(e, 42, S("ada"), S("p\0w")), AUTHKV_INVALID_ARGUMENT);
    EXPECT(authkv_password_set(e, 43, S("ada"), S("pw")), AUTHKV_ALREADY_EXISTS);

#define ATTEMPT(...) authkv_password_attempt(e, __VA_ARGS__)
    EXPECT(authkv_password_attempt(NULL, S("ada"), S("pw"), S("ip"), &user, &retry),
           AUTHKV_NULL_POINTER);
    EXPECT(ATTEMPT(NULL, 3, S("pw"), S("ip"), &user, &retry), AUTHKV_NULL_POINTER);
    EXPECT(ATTEMPT(S("ada"), NULL, 2, S("ip"), &user, &retry), AUTHKV_NULL_POINTER);
    EXPECT(ATTEMPT(S("ada"), S("pw"), NULL, 2, &user, &retry), AUTHKV_NULL_POINTER);
    EXPECT(ATTEMPT(S("ada"), S("pw"), S("ip"), NULL, &retry), AUTHKV_NULL_POINTER);
    EXPECT(ATTEMPT(S("ada"), S("pw"), S("ip"), &user, NULL), AUTHKV_NULL_POINTER);
    EXPECT_MESSAGE("retry_after_out is NULL");
    EXPECT(ATTEMPT(NULL, 0, S("pw"), S("ip"), &user, &retry), AUTHKV_INVALID_ARGUMENT);
    EXPECT(ATTEMPT(S("ada"), NULL, 0, S("ip"), &user, &retry), AUTHKV_INVALID_ARGUMENT);
    EXPECT(ATTEMPT(repeat('l', 321), 321, S("pw"), S("ip"), &user, &retry),
           AUTHKV_INVALID_ARGUMENT);
    EXPECT(ATTEMPT(S("ada"), repeat('p', 4097), 4097, S("ip"), &user, &retry),
           AUTHKV_INVALID_ARGUMENT);
    EXPECT(ATTEMPT(S("ada"), S("pw"), repeat('1', 46), 46, &user, &retry),
           AUTHKV_INVALID_ARGUMENT);
    EXPECT_MESSAGE("46 bytes exceeds the limit of 45");
    EXPECT(ATTEMPT(S("ada" BAD_UTF8), S("pw"), S("ip"), &user, &retry), AUTHKV_INVALID_ARGUMENT);
    EXPECT(ATTEMPT(S("ada"), S("pw"), S("i" BAD_UTF8), &user, &retry), AUTHKV_INVALID_ARGUMENT);
#undef ATTEMPT
    CHECK(user == 77 && retry == 77);

    EXPECT(authkv_password_verify(NULL, 42, S("pw")), AUTHKV_NULL_POINTER);
    EXPECT(authkv_password_verify(e, 42, NULL, 2), AUTHKV_NULL_POINTER);
    EXPECT(authkv_password_verify(e, 42, NULL, 0), AUTHKV_INVALID_ARGUMENT);
    EXPECT(authkv_password_verify(e, 42, S(BAD_UTF8)), AUTHKV_INVALID_ARGUMENT);

    EXPECT(authkv_password_change(NULL, 42, S("new"), NULL, 0, true), AUTHKV_NULL_POINTER);
    EXPECT(authkv_password_change(e, 42, NULL, 3, NULL, 0, true), AUTHKV_NULL_POINTER);
    EXPECT(authkv_password_change(e, 42, S("new"), NULL, 40, true), AUTHKV_NULL_POINTER);
    EXPECT(authkv_password_change(e, 42, NULL, 0, NULL, 0, true), AUTHKV_INVALID_ARGUMENT);
    EXPECT(authkv_password_change(e, 42, S("new"), S("short"), true), AUTHKV_INVALID_ARGUMENT);
    EXPECT_MESSAGE("keep_id is malformed");
    EXPECT(authkv_password_change(e, 42, S("new" BAD_UTF8), NULL, 0, true),
           AUTHKV_INVALID_ARGUMENT);
    EXPECT(authkv_password_change(e, 77, S("new"), S(SESSION_ID), true), AUTHKV_NOT_FOUND);
    EXPECT_MESSAGE("user 77 has no password set");
}

static void remember_calls(void) {
    char out[AUTHKV_REMEMBER_TOKEN_SIZE];
    char small[AUTHKV_REMEMBER_TOKEN_SIZE - 1];
    uint64_t user = 77;
    size_t required = 0, revoked = 77;
    memset(out, 'x', sizeof out);
    EXPECT(authkv_remember_create(NULL, 42, out, sizeof out, NULL), AUTHKV_NULL_POINTER);
    EXPECT(authkv_remember_create(e, 42, NULL, sizeof out, NULL), AUTHKV_NULL_POINTER);
    EXPECT(authkv_remember_create(e, 42, small, sizeof small, &required), AUTHKV_BUFFER_TOO_SMALL);
    CHECK(required == AUTHKV_REMEMBER_TOKEN_SIZE);

#define CONSUME(...) authkv_remember_consume(e, __VA_ARGS__)
    EXPECT(authkv_remember_consume(NULL, remember, strlen(remember), &user, out, sizeof out, NULL),
           AUTHKV_NULL_POINTER);
    EXPECT(CONSUME(NULL, 57, &user, out, sizeof out, NULL), AUTHKV_NULL_POINTER);
    EXPECT(CONSUME(remember, strlen(remember), NULL, out, sizeof out, NULL), AUTHKV_NULL_POINTER);
    EXPECT(CONSUME(remember, strlen(remember), &user, NULL, sizeof out, NULL), AUTHKV_NULL_POINTER);
    /* Too small: refused before the token is used, so it keeps working. */
    required = 0;
    EXPECT(CONSUME(remember, strlen(remember), &user, small, sizeof small, &required),
           AUTHKV_BUFFER_TOO_SMALL);
    CHECK(required == AUTHKV_REMEMBER_TOKEN_SIZE);
    EXPECT(CONSUME(NULL, 0, &user, out, sizeof out, NULL), AUTHKV_UNAUTHENTICATED);
    EXPECT(CONSUME(remember, strlen(remember) - 1, &user, out, sizeof out, NULL),
           AUTHKV_UNAUTHENTICATED);
    EXPECT(CONSUME(repeat('a', 57), 57, &user, out, sizeof out, NULL), AUTHKV_UNAUTHENTICATED);
    EXPECT(CONSUME(S("aaaaaaaaaaaaaaaa:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" BAD_UTF8), &user,
                   out, sizeof out, NULL),
           AUTHKV_UNAUTHENTICATED);
    EXPECT(CONSUME(S("aaaaaaaaaaaaaaaa:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), &user, out,
                   sizeof out, NULL),
           AUTHKV_UNAUTHENTICATED); /* well formed, unknown */
#undef CONSUME
    CHECK(user == 77 && out[0] == 'x');

    EXPECT(authkv_remember_revoke_user(NULL, 42, &revoked), AUTHKV_NULL_POINTER);
    EXPECT(authkv_remember_revoke_user(e, 42, NULL), AUTHKV_NULL_POINTER);
    CHECK(revoked == 77);
}

static void guard_calls(void) {
    authkv_request r = request_for("GET");
    authkv_principal *p = NULL;
    char bearer[AUTHKV_TOKEN_MAX_SIZE + 8];
    char cookies[129 * 4];
    size_t i;
    EXPECT(authkv_guard_authenticate(NULL, &r, &p), AUTHKV_NULL_POINTER);
    EXPECT(authkv_guard_authenticate(e, NULL, &p), AUTHKV_NULL_POINTER);
    EXPECT(authkv_guard_authenticate(e, &r, NULL), AUTHKV_NULL_POINTER);
    EXPECT(authkv_guard_authenticate_lean(NULL, &r, &p), AUTHKV_NULL_POINTER);
    EXPECT(authkv_guard_authenticate_lean(e, NULL, &p), AUTHKV_NULL_POINTER);
    EXPECT(authkv_guard_authenticate_lean(e, &r, NULL), AUTHKV_NULL_POINTER);
    r.method = NULL;
    EXPECT(authkv_guard_authenticate(e, &r, &p), AUTHKV_NULL_POINTER);
    r = request_for("GET");
    r.method_len = 0;
    EXPECT(authkv_guard_authenticate(e, &r, &p), AUTHKV_INVALID_ARGUMENT);
    EXPECT_MESSAGE("request.method is empty");
    r = request_for("GET");
    r.cookie_len = 5; /* NULL pointer, non-zero length */
    EXPECT(authkv_guard_authenticate(e, &r, &p), AUTHKV_NULL_POINTER);
    EXPECT_MESSAGE("request.cookie is NULL with a length of 5");
    r = request_for("GET");
    r.referer = "https://x" BAD_UTF8;
    r.referer_len = 11;
    EXPECT(authkv_guard_authenticate(e, &r, &p), AUTHKV_INVALID_ARGUMENT);
    EXPECT_MESSAGE("request.referer is not valid UTF-8");
    r = request_for("GET");
    r.authorization = repeat('b', 8193);
    r.authorization_len = 8193;
    EXPECT(authkv_guard_authenticate(e, &r, &p), AUTHKV_INVALID_ARGUMENT);
    EXPECT_MESSAGE("Authorization header is 8193 bytes");
    for (i = 0; i < 129; i++) {
        memcpy(cookies + 4 * i, "a=1;", 4);
    }
    r = request_for("GET");
    r.cookie = cookies;
    r.cookie_len = sizeof cookies;
    r.origin = "http://localhost";
    r.origin_len = strlen(r.origin);
    EXPECT(authkv_guard_authenticate(e, &r, &p), AUTHKV_INVALID_ARGUMENT);
    EXPECT_MESSAGE("more than 128 cookie pairs");
    CHECK(p == NULL);

    CHECK(snprintf(bearer, sizeof bearer, "Bearer %s", token) > 0);
    r = request_for("GET");
    r.authorization = bearer;
    r.authorization_len = strlen(bearer);
    EXPECT(authkv_guard_authenticate(e, &r, &p), AUTHKV_OK);
    EXPECT(authkv_principal_require(NULL, S("a"), NULL, 0), AUTHKV_NULL_POINTER);
    EXPECT(authkv_principal_require(p, NULL, 3, NULL, 0), AUTHKV_NULL_POINTER);
    EXPECT(authkv_principal_require(p, NULL, 0, NULL, 3), AUTHKV_NULL_POINTER);
    EXPECT(authkv_principal_require(p, S(BAD_UTF8), NULL, 0), AUTHKV_INVALID_ARGUMENT);
    EXPECT(authkv_principal_require(p, repeat('a', 16385), 16385, NULL, 0),
           AUTHKV_INVALID_ARGUMENT);
    EXPECT(authkv_principal_require(p, S("orders:write"), NULL, 0), AUTHKV_FORBIDDEN);
    authkv_principal_free(p);
    authkv_principal_free(NULL);
}

static void cookie_calls(void) {
    authkv_string *text = NULL;
    EXPECT(authkv_cookie_session(NULL, S(SESSION_ID), &text), AUTHKV_NULL_POINTER);
    EXPECT(authkv_cookie_session(e, NULL, 40, &text), AUTHKV_NULL_POINTER);
    EXPECT(authkv_cookie_session(e, S(SESSION_ID), NULL), AUTHKV_NULL_POINTER);
    EXPECT(authkv_cookie_session(e, S("short"), &text), AUTHKV_NOT_FOUND);
    EXPECT(authkv_cookie_session(e, S(SESSION_ID "A"), &text), AUTHKV_NOT_FOUND);
    EXPECT(authkv_cookie_xsrf(NULL, S(SESSION_ID), &text), AUTHKV_NULL_POINTER);
    EXPECT(authkv_cookie_xsrf(e, NULL, 40, &text), AUTHKV_NULL_POINTER);
    EXPECT(authkv_cookie_xsrf(e, S(SESSION_ID), NULL), AUTHKV_NULL_POINTER);
    EXPECT(authkv_cookie_xsrf(e, S("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA;"), &text),
           AUTHKV_INVALID_ARGUMENT);
    EXPECT_MESSAGE("csrf_token is malformed");
    EXPECT(authkv_cookie_xsrf(e, S(BAD_UTF8), &text), AUTHKV_INVALID_ARGUMENT);
    EXPECT(authkv_cookie_clear_session(NULL, &text), AUTHKV_NULL_POINTER);
    EXPECT(authkv_cookie_clear_session(e, NULL), AUTHKV_NULL_POINTER);
    CHECK(text == NULL);
}

/* Open `path` with one change from `base`: must fail with `want`. */
static void refused_options(const char *path, authkv_options options, authkv_status want,
                            const char *message) {
    authkv_engine *other = NULL;
    EXPECT(authkv_open(path, strlen(path), &options, &other), want);
    EXPECT_MESSAGE(message);
    CHECK(other == NULL);
}

static void option_calls(const char *dir, const char *path, const authkv_options *base) {
    char fresh[4096];
    char prefix_copy[8];
    authkv_options o;
    authkv_engine *again = NULL;
    join_path(fresh, sizeof fresh, dir, "fresh.redb");
    o = *base;
    o.token_prefix = "a b";
    o.token_prefix_len = 3;
    refused_options(fresh, o, AUTHKV_INVALID_ARGUMENT, "token_prefix");
    o.token_prefix = repeat('p', 33);
    o.token_prefix_len = 33;
    refused_options(fresh, o, AUTHKV_INVALID_ARGUMENT, "at most 32 bytes");
    o.token_prefix = NULL;
    refused_options(fresh, o, AUTHKV_NULL_POINTER, "opts.token_prefix is NULL");
    o = *base;
    o.stateful_domains = "ok.test,https://bad.test";
    o.stateful_domains_len = strlen(o.stateful_domains);
    refused_options(fresh, o, AUTHKV_INVALID_ARGUMENT, "pattern #1");
    o = *base;
    o.session_cookie = "bad name";
    o.session_cookie_len = 8;
    refused_options(fresh, o, AUTHKV_INVALID_ARGUMENT, "session_cookie");
    o.session_cookie = "s" BAD_UTF8;
    o.session_cookie_len = 3;
    refused_options(fresh, o, AUTHKV_INVALID_ARGUMENT, "opts.session_cookie is not valid UTF-8");
    o = *base;
    o.cookie_same_site = 9;
    refused_options(fresh, o, AUTHKV_INVALID_ARGUMENT, "cookie_same_site");
    o = *base;
    o.cookie_host_prefix = true;
    o.cookie_domain = "example.com";
    o.cookie_domain_len = 11;
    refused_options(fresh, o, AUTHKV_INVALID_ARGUMENT, "Domain");
    o = *base;
    o.argon2_m_cost = 1;
    refused_options(fresh, o, AUTHKV_INVALID_ARGUMENT, "argon2");
    o = *base;
    o.throttle_max_attempts = 0;
    refused_options(fresh, o, AUTHKV_INVALID_ARGUMENT, "throttle_max_attempts");
    o = *base;
    o.throttle_window_secs = 0;
    refused_options(fresh, o, AUTHKV_INVALID_ARGUMENT, "throttle_window");
    o = *base;
    o.remember_lifetime_secs = 0;
    refused_options(fresh, o, AUTHKV_INVALID_ARGUMENT, "remember_lifetime");

    /* A second open compares text by content, not by address. */
    memcpy(prefix_copy, base->token_prefix, base->token_prefix_len);
    o = *base;
    o.token_prefix = prefix_copy;
    EXPECT(authkv_open(path, strlen(path), &o, &again), AUTHKV_OK);
    EXPECT(authkv_close(again), AUTHKV_OK);
    o.token_prefix_len = 2;
    refused_options(path, o, AUTHKV_MISUSE, "token_prefix = \"akv_\"");
    o = *base;
    o.throttle_window_secs = 61;
    refused_options(path, o, AUTHKV_MISUSE, "throttle_window_secs = 60");
}

int main(int argc, char **argv) {
    char path[4096];
    char rotated[AUTHKV_REMEMBER_TOKEN_SIZE];
    authkv_options options;
    authkv_engine_stats before, after;
    authkv_token *t = NULL;
    uint64_t id = 0, user = 0;
    CHECK(argc == 2);
    join_path(path, sizeof path, argv[1], "misuse.redb");
    options = test_options();
    options.token_prefix = "akv_";
    options.token_prefix_len = 4;
    e = open_at(path, &options);

    /* The state every refused call must leave alone. */
    EXPECT(authkv_token_create(e, 9, S("cli"), S("orders:read"), false, 0, &id, token,
                               sizeof token, NULL),
           AUTHKV_OK);
    EXPECT(authkv_token_import_sanctum(e, 2, 3, S("imported"), S(DIGEST), NULL, 0, T0, false, 0,
                                       false, 0),
           AUTHKV_OK);
    EXPECT(authkv_password_set(e, 42, S("ada"), S("pw")), AUTHKV_OK);
    EXPECT(authkv_remember_create(e, 42, remember, sizeof remember, NULL), AUTHKV_OK);
    EXPECT(authkv_session_create(e, S("192.0.2.1"), S("ua"), session, sizeof session, csrf,
                                 sizeof csrf, NULL),
           AUTHKV_OK);
    EXPECT(authkv_flush(e, NULL), AUTHKV_OK);
    EXPECT(authkv_stats(e, &before), AUTHKV_OK);

    token_calls();
    credential_calls();
    remember_calls();
    guard_calls();
    cookie_calls();
    option_calls(argv[1], path, &options);

    /* Nothing above wrote. */
    EXPECT(authkv_stats(e, &after), AUTHKV_OK);
    CHECK(after.write_commits == before.write_commits);
    CHECK(after.tokens == 2 && after.credentials == 1 && after.remember_tokens == 1);
    CHECK(after.sessions == 1);
    expect_consistent(e);
    EXPECT(authkv_token_authenticate(e, token, strlen(token), &t), AUTHKV_OK);
    CHECK(t->id == id && t->user_id == 9);
    authkv_token_free(t);
    EXPECT(authkv_password_verify(e, 42, S("pw")), AUTHKV_OK);
    EXPECT(authkv_remember_consume(e, remember, strlen(remember), &user, rotated, sizeof rotated,
                                   NULL),
           AUTHKV_OK);
    CHECK(user == 42);
    EXPECT(authkv_close(e), AUTHKV_OK);
    printf("misuse_auth: ok\n");
    return 0;
}
