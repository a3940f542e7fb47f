/*
 * The whole session flow through the C API, as a web host would drive it:
 * open, create, save with versions, login, CSRF, devices, rotation,
 * logout, housekeeping, close and reopen.
 *
 * Usage: flow DIR   (DIR is an empty scratch directory)
 */
#include "check.h"

typedef struct {
    char id[AUTHKV_SESSION_ID_SIZE];
    char csrf[AUTHKV_CSRF_TOKEN_SIZE];
} keys;

static keys create(authkv_engine *e, const char *ip, const char *agent) {
    keys k;
    size_t required = 0;
    EXPECT(authkv_session_create(e, ip, strlen(ip), agent, strlen(agent), k.id, sizeof k.id,
                                 k.csrf, sizeof k.csrf, &required),
           AUTHKV_OK);
    CHECK(is_alnum_text(k.id, AUTHKV_SESSION_ID_LEN));
    CHECK(is_alnum_text(k.csrf, AUTHKV_CSRF_TOKEN_LEN));
    CHECK(strcmp(k.id, k.csrf) != 0);
    CHECK(required == 0); /* only written on AUTHKV_BUFFER_TOO_SMALL */
    return k;
}

static keys login(authkv_engine *e, const keys *old, uint64_t user) {
    keys k;
    EXPECT(authkv_session_login(e, old->id, strlen(old->id), user, k.id, sizeof k.id, k.csrf,
                                sizeof k.csrf, NULL),
           AUTHKV_OK);
    CHECK(is_alnum_text(k.id, AUTHKV_SESSION_ID_LEN));
    CHECK(strcmp(k.id, old->id) != 0);
    CHECK(strcmp(k.csrf, old->csrf) != 0);
    return k;
}

static authkv_session *load(authkv_engine *e, const char *id) {
    authkv_session *s = NULL;
    EXPECT(authkv_session_load(e, id, strlen(id), &s), AUTHKV_OK);
    CHECK(s != NULL);
    return s;
}

static void expect_gone(authkv_engine *e, const char *id) {
    authkv_session *s = NULL;
    EXPECT(authkv_session_load(e, id, strlen(id), &s), AUTHKV_NOT_FOUND);
    CHECK(s == NULL);
}

static authkv_engine_stats stats(authkv_engine *e) {
    authkv_engine_stats st;
    EXPECT(authkv_stats(e, &st), AUTHKV_OK);
    return st;
}

/* A token whose secret is known in advance: "akv_" + 40 characters + the
 * CRC-32 of the 40, imported as a Sanctum row holding its SHA-256. */
#define KNOWN_SECRET "akv_Xq7Lr2VbN9sKd4TfWm1Zc8Hy3Gp6Ju5Ae0RoBiYt6dfacdf5"
#define KNOWN_DIGEST "a235ebf9b23dd703f95348303d8617653b38a195624118fd2fdd917afb382cd3"
#define SPA "https://spa.test/dashboard"

static void expect_unauthenticated(authkv_engine *e, const char *token) {
    authkv_token *t = NULL;
    EXPECT(authkv_token_authenticate(e, token, strlen(token), &t), AUTHKV_UNAUTHENTICATED);
    CHECK(t == NULL);
}

static int can(const authkv_token *t, const char *ability) {
    bool yes = false;
    bool no = true;
    EXPECT(authkv_token_can(t, ability, strlen(ability), &yes), AUTHKV_OK);
    EXPECT(authkv_token_cant(t, ability, strlen(ability), &no), AUTHKV_OK);
    CHECK(yes != no);
    return yes;
}

static void token_flow(authkv_engine *e) {
    char text[AUTHKV_TOKEN_MAX_SIZE];
    char wildcard[AUTHKV_TOKEN_MAX_SIZE];
    uint64_t id = 0, wildcard_id = 0, pruned = 99;
    size_t revoked = 99;
    authkv_token *t = NULL;
    authkv_token_list *list = NULL;

    /* Create with abilities; the plaintext is {id}|{prefix}{48}. */
    EXPECT(authkv_token_create(e, 9, S("cli"), S("orders:read\norders:write"), false, 0, &id,
                               text, sizeof text, NULL),
           AUTHKV_OK);
    CHECK(id == 1);
    CHECK(strncmp(text, "1|akv_", 6) == 0 && strlen(text) == 6 + AUTHKV_TOKEN_SECRET_LEN);

    /* Authenticate: id, user, abilities; can / cant. */
    EXPECT(authkv_token_authenticate(e, text, strlen(text), &t), AUTHKV_OK);
    CHECK(t->id == 1 && t->user_id == 9 && t->abilities.len == 2);
    CHECK(view_is(t->abilities.items[0].ptr, t->abilities.items[0].len, "orders:read"));
    CHECK(view_is(t->abilities.items[1].ptr, t->abilities.items[1].len, "orders:write"));
    CHECK(can(t, "orders:read") && can(t, "orders:write"));
    CHECK(!can(t, "orders:delete") && !can(t, "Orders:read") && !can(t, "*"));
    authkv_token_free(t);

    /* A wildcard token that expires: listed, then expired, then pruned. */
    EXPECT(authkv_token_create(e, 9, S("deploy"), S("*"), true, T0 + 100, &wildcard_id, wildcard,
                               sizeof wildcard, NULL),
           AUTHKV_OK);
    CHECK(wildcard_id == 2);
    EXPECT(authkv_token_authenticate(e, wildcard, strlen(wildcard), &t), AUTHKV_OK);
    CHECK(can(t, "anything") && t->abilities.len == 1);
    authkv_token_free(t);
    EXPECT(authkv_set_time(e, T0 + 101), AUTHKV_OK);
    expect_unauthenticated(e, wildcard);
    EXPECT(authkv_token_list_user(e, 9, &list), AUTHKV_OK);
    CHECK(list->len == 2 && list->items[0].id == 1);
    CHECK(view_is(list->items[0].name.ptr, list->items[0].name.len, "cli"));
    CHECK(list->items[0].has_last_used_at && list->items[0].last_used_at == T0);
    CHECK(!list->items[0].has_expires_at && !list->items[0].expired);
    CHECK(list->items[0].abilities.len == 2 && list->items[0].created_at == T0);
    CHECK(list->items[1].has_expires_at && list->items[1].expires_at == T0 + 100);
    CHECK(list->items[1].expired);
    authkv_token_list_free(list);
    EXPECT(authkv_token_prune(e, 0, &pruned), AUTHKV_OK);
    CHECK(pruned == 1);

    /* Revoke one, then all of a user's. */
    EXPECT(authkv_token_revoke(e, id), AUTHKV_OK);
    expect_unauthenticated(e, text);
    EXPECT(authkv_token_revoke(e, id), AUTHKV_NOT_FOUND);
    EXPECT_MESSAGE("no token has id 1");
    EXPECT(authkv_token_create(e, 9, S("a"), NULL, 0, false, 0, &id, text, sizeof text, NULL),
           AUTHKV_OK);
    CHECK(id == 3); /* revoked ids are never issued again */
    EXPECT(authkv_token_revoke_user(e, 9, &revoked), AUTHKV_OK);
    CHECK(revoked == 1);
    EXPECT(authkv_token_list_user(e, 9, &list), AUTHKV_OK);
    CHECK(list->len == 0 && list->items == NULL);
    authkv_token_list_free(list);

    /* A Sanctum row keeps working after import; its id is never reissued. */
    EXPECT(authkv_token_import_sanctum(e, 500, 3, S("legacy"), S(KNOWN_DIGEST), S("read"), T0,
                                       false, 0, false, 0),
           AUTHKV_OK);
    EXPECT(authkv_token_authenticate(e, S("500|" KNOWN_SECRET), &t), AUTHKV_OK);
    CHECK(t->id == 500 && t->user_id == 3 && can(t, "read"));
    authkv_token_free(t);
    EXPECT(authkv_token_authenticate(e, S(KNOWN_SECRET), &t), AUTHKV_OK); /* by digest */
    CHECK(t->id == 500);
    authkv_token_free(t);
    expect_unauthenticated(e, "501|" KNOWN_SECRET);
    EXPECT(authkv_token_import_sanctum(e, 500, 3, S("again"), S(KNOWN_DIGEST), NULL, 0, T0, false,
                                       0, false, 0),
           AUTHKV_ALREADY_EXISTS);
    EXPECT(authkv_token_create(e, 3, S("next"), NULL, 0, false, 0, &id, text, sizeof text, NULL),
           AUTHKV_OK);
    CHECK(id == 501);
}

/* Rate limit and quota: 429 statuses with the wait in authkv_last_retry_after,
 * counted without a commit, read back, set anew, refused when out of range. */
static void limits_flow(authkv_engine *e, uint64_t now) {
    char text[AUTHKV_TOKEN_MAX_SIZE];
    uint64_t id = 0, commits = 0;
    authkv_token *t = NULL;
    authkv_token_limits limits, read;
    memset(&limits, 0, sizeof limits);
    limits.has_rate_limit = true;
    limits.rate_max = 2;
    limits.rate_window = 60;
    limits.has_quota = true;
    limits.quota_remaining = 3;
    EXPECT(authkv_token_create_limited(e, 4, S("metered"), S("*"), false, 0, &limits, &id, text,
                                       sizeof text, NULL),
           AUTHKV_OK);
    commits = stats(e).write_commits;
    for (int i = 0; i < 2; i++) {
        EXPECT(authkv_token_authenticate(e, text, strlen(text), &t), AUTHKV_OK);
        authkv_token_free(t);
    }
    CHECK(stats(e).write_commits == commits); /* counting writes nothing */
    EXPECT(authkv_set_time(e, now + 10), AUTHKV_OK);
    t = NULL;
    EXPECT(authkv_token_authenticate(e, text, strlen(text), &t), AUTHKV_RATE_LIMITED);
    CHECK(t == NULL && authkv_last_retry_after() == 50);
    EXPECT_MESSAGE("retry in 50 s");
    EXPECT(authkv_set_time(e, now + 60), AUTHKV_OK);
    EXPECT(authkv_token_authenticate(e, text, strlen(text), &t), AUTHKV_OK);
    authkv_token_free(t);
    CHECK(authkv_last_retry_after() == 0);
    EXPECT(authkv_token_authenticate(e, text, strlen(text), &t), AUTHKV_QUOTA_EXHAUSTED);
    CHECK(authkv_last_retry_after() == 0); /* this quota never refills */
    EXPECT(authkv_token_get_limits(e, id, &read), AUTHKV_OK);
    CHECK(read.has_rate_limit && read.rate_max == 2 && read.rate_window == 60);
    CHECK(read.has_quota && read.quota_remaining == 0 && read.quota_refill_interval == 0);

    /* Set anew: the counts start over; out of range is refused. */
    limits.has_rate_limit = false;
    limits.quota_remaining = 1;
    limits.quota_refill_amount = 1;
    limits.quota_refill_interval = 3600;
    EXPECT(authkv_token_set_limits(e, id, &limits), AUTHKV_OK);
    EXPECT(authkv_token_authenticate(e, text, strlen(text), &t), AUTHKV_OK);
    authkv_token_free(t);
    EXPECT(authkv_token_authenticate(e, text, strlen(text), &t), AUTHKV_QUOTA_EXHAUSTED);
    CHECK(authkv_last_retry_after() == 3600);
    limits.quota_refill_amount = 0;
    EXPECT(authkv_token_set_limits(e, id, &limits), AUTHKV_INVALID_ARGUMENT);
    EXPECT_MESSAGE("refill_amount");
    EXPECT(authkv_token_set_limits(e, 999999, &limits), AUTHKV_INVALID_ARGUMENT);
    limits.quota_refill_amount = 1;
    EXPECT(authkv_token_set_limits(e, 999999, &limits), AUTHKV_NOT_FOUND);
    EXPECT(authkv_token_set_limits(e, id, NULL), AUTHKV_NULL_POINTER);
    EXPECT(authkv_token_get_limits(e, id, NULL), AUTHKV_NULL_POINTER);

    /* Unlimited: no limits left to read. */
    memset(&limits, 0, sizeof limits);
    EXPECT(authkv_token_set_limits(e, id, &limits), AUTHKV_OK);
    EXPECT(authkv_token_get_limits(e, id, &read), AUTHKV_OK);
    CHECK(!read.has_rate_limit && !read.has_quota);
    EXPECT(authkv_token_authenticate(e, text, strlen(text), &t), AUTHKV_OK);
    authkv_token_free(t);
}

static authkv_status attempt(authkv_engine *e, const char *password, const char *ip,
                             uint64_t *user, uint64_t *retry_after) {
    return authkv_password_attempt(e, S("ada@example.com"), password, strlen(password), ip,
                                   strlen(ip), user, retry_after);
}

static void password_flow(authkv_engine *e, const authkv_options *options) {
    uint64_t user = 0, retry_after = 0;
    uint32_t i;
    EXPECT(authkv_password_set(e, 42, S("ada@example.com"), S("correct horse")), AUTHKV_OK);
    EXPECT(authkv_password_set(e, 43, S("ada@example.com"), S("other")), AUTHKV_ALREADY_EXISTS);
    EXPECT_MESSAGE("already taken");
    EXPECT(attempt(e, "correct horse", "192.0.2.5", &user, &retry_after), AUTHKV_OK);
    CHECK(user == 42 && retry_after == 0);

    /* Failures count per (login, ip); past the limit even the right
     * password is refused, with the seconds to wait. */
    for (i = 0; i < options->throttle_max_attempts; i++) {
        user = 0;
        EXPECT(attempt(e, "wrong", "192.0.2.5", &user, &retry_after), AUTHKV_INVALID_CREDENTIALS);
        CHECK(user == 0);
    }
    EXPECT(authkv_password_attempt(e, S("nobody@example.com"), S("x"), S("192.0.2.5"), &user,
                                   &retry_after),
           AUTHKV_INVALID_CREDENTIALS);
    EXPECT(attempt(e, "correct horse", "192.0.2.5", &user, &retry_after), AUTHKV_THROTTLED);
    CHECK(authkv_last_retry_after() == retry_after);
    CHECK(retry_after == options->throttle_window_secs && user == 0);
    EXPECT_MESSAGE("retry in");
    EXPECT(attempt(e, "correct horse", "192.0.2.6", &user, &retry_after), AUTHKV_OK);
    CHECK(user == 42);
    EXPECT(authkv_set_time(e, T0 + 101 + options->throttle_window_secs), AUTHKV_OK);
    EXPECT(attempt(e, "correct horse", "192.0.2.5", &user, &retry_after), AUTHKV_OK);

    /* Confirmation. */
    EXPECT(authkv_password_verify(e, 42, S("correct horse")), AUTHKV_OK);
    EXPECT(authkv_password_verify(e, 42, S("correct hors")), AUTHKV_INVALID_CREDENTIALS);
    EXPECT(authkv_password_verify(e, 77, S("correct horse")), AUTHKV_INVALID_CREDENTIALS);

    /* A change keeps the session making it and logs everything else out. */
    {
        keys here = create(e, "192.0.2.5", "laptop"), there = create(e, "192.0.2.6", "phone");
        char token[AUTHKV_TOKEN_MAX_SIZE];
        char remember[AUTHKV_REMEMBER_TOKEN_SIZE];
        char rotated[AUTHKV_REMEMBER_TOKEN_SIZE];
        uint64_t id = 0;
        authkv_session *s;
        here = login(e, &here, 42);
        there = login(e, &there, 42);
        EXPECT(authkv_token_create(e, 42, S("app"), NULL, 0, false, 0, &id, token, sizeof token,
                                   NULL),
               AUTHKV_OK);
        EXPECT(authkv_remember_create(e, 42, remember, sizeof remember, NULL), AUTHKV_OK);
        EXPECT(authkv_password_change(e, 42, S("new battery"), here.id, strlen(here.id), true),
               AUTHKV_OK);
        s = load(e, here.id);
        CHECK(s->user_id == 42);
        authkv_session_free(s);
        expect_gone(e, there.id);
        expect_unauthenticated(e, token);
        EXPECT(authkv_remember_consume(e, remember, strlen(remember), &user, rotated,
                                       sizeof rotated, NULL),
               AUTHKV_UNAUTHENTICATED);
        EXPECT(attempt(e, "correct horse", "192.0.2.5", &user, &retry_after),
               AUTHKV_INVALID_CREDENTIALS);
        EXPECT(attempt(e, "new battery", "192.0.2.5", &user, &retry_after), AUTHKV_OK);
        EXPECT(authkv_password_change(e, 77, S("x"), NULL, 0, false), AUTHKV_NOT_FOUND);
    }
}

static void remember_flow(authkv_engine *e) {
    char first[AUTHKV_REMEMBER_TOKEN_SIZE];
    char second[AUTHKV_REMEMBER_TOKEN_SIZE];
    char unused[AUTHKV_REMEMBER_TOKEN_SIZE];
    uint64_t user = 0;
    size_t revoked = 0;

    EXPECT(authkv_remember_create(e, 42, first, sizeof first, NULL), AUTHKV_OK);
    CHECK(strlen(first) == AUTHKV_REMEMBER_TOKEN_LEN && first[16] == ':');

    /* Use rotates the validator; the selector stays. */
    EXPECT(authkv_remember_consume(e, first, strlen(first), &user, second, sizeof second, NULL),
           AUTHKV_OK);
    CHECK(user == 42 && strlen(second) == AUTHKV_REMEMBER_TOKEN_LEN);
    CHECK(strncmp(first, second, 16) == 0 && strcmp(first, second) != 0);

    /* The old copy shown again is theft: the user is named, all revoked. */
    user = 0;
    memset(unused, 'x', sizeof unused);
    EXPECT(authkv_remember_consume(e, first, strlen(first), &user, unused, sizeof unused, NULL),
           AUTHKV_THEFT_DETECTED);
    CHECK(user == 42 && unused[0] == 'x');
    EXPECT_MESSAGE("user 42");
    EXPECT(authkv_remember_consume(e, second, strlen(second), &user, unused, sizeof unused, NULL),
           AUTHKV_UNAUTHENTICATED);

    EXPECT(authkv_remember_create(e, 42, first, sizeof first, NULL), AUTHKV_OK);
    EXPECT(authkv_remember_create(e, 42, second, sizeof second, NULL), AUTHKV_OK);
    EXPECT(authkv_remember_revoke_user(e, 42, &revoked), AUTHKV_OK);
    CHECK(revoked == 2);
}

/* A rendered Set-Cookie value is `expected`, NUL-terminated. */
static void expect_rendered(authkv_string *text, const char *expected) {
    CHECK(text != NULL && text->text.ptr[text->text.len] == '\0');
    if (strcmp(text->text.ptr, expected) != 0) {
        fprintf(stderr, "rendered \"%s\"\nexpected \"%s\"\n", text->text.ptr, expected);
        exit(1);
    }
}

static void guard_flow(authkv_engine *e) {
    keys s = create(e, "192.0.2.5", "browser");
    char cookie[128], bearer[AUTHKV_TOKEN_MAX_SIZE + 16], token[AUTHKV_TOKEN_MAX_SIZE];
    char expected[256];
    uint64_t token_id = 0;
    authkv_request r;
    authkv_principal *p = NULL;
    authkv_string *text = NULL;

    s = login(e, &s, 42);
    CHECK(snprintf(cookie, sizeof cookie, "theme=dark; authkv_session=%s", s.id) > 0);

    /* First party, reading: the session's user, with every ability. */
    r = request_for("GET");
    r.cookie = cookie;
    r.cookie_len = strlen(cookie);
    r.referer = SPA;
    r.referer_len = strlen(SPA);
    EXPECT(authkv_guard_authenticate(e, &r, &p), AUTHKV_OK);
    CHECK(p->via == AUTHKV_VIA_SESSION && p->user_id == 42 && p->token_id == 0);
    CHECK(p->session != NULL && strcmp(p->session->csrf_token, s.csrf) == 0);
    CHECK(p->abilities.len == 1 && view_is(p->abilities.items[0].ptr, 1, "*"));
    EXPECT(authkv_principal_require(p, S("orders:read\nanything"), NULL, 0), AUTHKV_OK);
    authkv_principal_free(p);

    /* The lean call decides the same without loading the session. */
    p = NULL;
    EXPECT(authkv_guard_authenticate_lean(e, &r, &p), AUTHKV_OK);
    CHECK(p->via == AUTHKV_VIA_SESSION && p->user_id == 42 && p->session == NULL);
    CHECK(p->has_password_confirmed_at && p->abilities.len == 1);
    authkv_principal_free(p);

    /* First party, writing: the CSRF token must come along. */
    p = NULL;
    r = request_for("POST");
    r.cookie = cookie;
    r.cookie_len = strlen(cookie);
    r.referer = SPA;
    r.referer_len = strlen(SPA);
    EXPECT(authkv_guard_authenticate(e, &r, &p), AUTHKV_CSRF_MISMATCH);
    CHECK(p == NULL);
    EXPECT(authkv_guard_authenticate_lean(e, &r, &p), AUTHKV_CSRF_MISMATCH);
    CHECK(p == NULL);
    r.xsrf_token = s.csrf;
    r.xsrf_token_len = strlen(s.csrf);
    EXPECT(authkv_guard_authenticate(e, &r, &p), AUTHKV_OK);
    authkv_principal_free(p);
    r.form_token = "wrong"; /* the form field is read first */
    r.form_token_len = 5;
    EXPECT(authkv_guard_authenticate(e, &r, &p), AUTHKV_CSRF_MISMATCH);

    /* A third party with a bearer token: the token's abilities. */
    EXPECT(authkv_token_create(e, 9, S("cli"), S("orders:read"), false, 0, &token_id, token,
                               sizeof token, NULL),
           AUTHKV_OK);
    CHECK(snprintf(bearer, sizeof bearer, "Bearer %s", token) > 0);
    r = request_for("POST");
    r.authorization = bearer;
    r.authorization_len = strlen(bearer);
    EXPECT(authkv_guard_authenticate(e, &r, &p), AUTHKV_OK);
    CHECK(p->via == AUTHKV_VIA_TOKEN && p->user_id == 9 && p->token_id == token_id);
    CHECK(p->session == NULL && p->abilities.len == 1);
    EXPECT(authkv_principal_require(p, S("orders:read"), NULL, 0), AUTHKV_OK);
    EXPECT(authkv_principal_require(p, S("orders:read\norders:write"), NULL, 0), AUTHKV_FORBIDDEN);
    EXPECT_MESSAGE("missing ability orders:write");
    EXPECT(authkv_principal_require(p, NULL, 0, S("a\nb")), AUTHKV_FORBIDDEN);
    EXPECT_MESSAGE("a or b");
    EXPECT(authkv_principal_require(p, NULL, 0, S("a\norders:read")), AUTHKV_OK);
    authkv_principal_free(p);

    /* Nobody. */
    r = request_for("GET");
    EXPECT(authkv_guard_authenticate(e, &r, &p), AUTHKV_UNAUTHENTICATED);

    /* The cookies a response sends, and the session cookie sent back. */
    EXPECT(authkv_cookie_session(e, s.id, strlen(s.id), &text), AUTHKV_OK);
    CHECK(snprintf(expected, sizeof expected,
                   "authkv_session=%s; Path=/; Max-Age=7200; Secure; HttpOnly; SameSite=Lax",
                   s.id) > 0);
    expect_rendered(text, expected);
    CHECK(snprintf(cookie, sizeof cookie, "%.*s", (int)strcspn(text->text.ptr, ";"),
                   text->text.ptr) > 0);
    authkv_string_free(text);
    r = request_for("GET");
    r.cookie = cookie;
    r.cookie_len = strlen(cookie);
    r.origin = "https://spa.test";
    r.origin_len = strlen(r.origin);
    EXPECT(authkv_guard_authenticate(e, &r, &p), AUTHKV_OK);
    CHECK(p->user_id == 42);
    authkv_principal_free(p);
    EXPECT(authkv_cookie_xsrf(e, s.csrf, strlen(s.csrf), &text), AUTHKV_OK);
    CHECK(snprintf(expected, sizeof expected,
                   "XSRF-TOKEN=%s; Path=/; Max-Age=7200; Secure; SameSite=Lax", s.csrf) > 0);
    expect_rendered(text, expected);
    authkv_string_free(text);
    EXPECT(authkv_cookie_clear_session(e, &text), AUTHKV_OK);
    expect_rendered(text, "authkv_session=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 "
                          "GMT; Secure; HttpOnly; SameSite=Lax");
    authkv_string_free(text);
}

/* Tokens, passwords, remember-me and the guard on one engine, with a token
 * prefix, a stricter throttle and one first-party domain. */
static void auth_flow(const char *dir) {
    char path[4096];
    authkv_options options = test_options();
    authkv_engine *e;
    authkv_engine_stats st;
    authkv_gc_report report;
    join_path(path, sizeof path, dir, "auth.redb");
    options.token_prefix = "akv_";
    options.token_prefix_len = 4;
    options.throttle_max_attempts = 3;
    options.stateful_domains = "spa.test";
    options.stateful_domains_len = strlen("spa.test");
    e = open_at(path, &options);

    token_flow(e);
    password_flow(e, &options);
    remember_flow(e);
    guard_flow(e);

    EXPECT(authkv_stats(e, &st), AUTHKV_OK);
    CHECK(st.tokens == 3 && st.credentials == 1 && st.remember_tokens == 0);
    CHECK(st.password_verifications >= 10);
    /* The spent throttle counter of the unknown login is collected. */
    EXPECT(authkv_set_time(e, T0 + 1000), AUTHKV_OK);
    EXPECT(authkv_gc(e, &report), AUTHKV_OK);
    CHECK(report.throttles_deleted == 1 && report.sessions_deleted == 0);
    CHECK(report.tokens_deleted == 0 && report.remember_tokens_deleted == 0);
    limits_flow(e, T0 + 1000);
    expect_consistent(e);
    EXPECT(authkv_close(e), AUTHKV_OK);
}

int main(int argc, char **argv) {
    char path[4096];
    authkv_options options;
    authkv_engine *e;
    keys visitor, user, phone, tablet;
    authkv_session *s;
    uint64_t version = 0;
    CHECK(argc == 2);
    join_path(path, sizeof path, argv[1], "flow.redb");
    options = test_options();
    e = open_at(path, &options);

    /* A visitor arrives. */
    visitor = create(e, "203.0.113.9", "Mozilla/5.0 (X11)");
    s = load(e, visitor.id);
    CHECK(!s->has_user && s->user_id == 0);
    CHECK(s->version == 0);
    CHECK(s->payload.ptr != NULL && s->payload.len == 0 && s->payload.ptr[0] == 0);
    CHECK(s->ip.len == 11 && strcmp(s->ip.ptr, "203.0.113.9") == 0);
    CHECK(strcmp(s->user_agent.ptr, "Mozilla/5.0 (X11)") == 0);
    CHECK(strcmp(s->csrf_token, visitor.csrf) == 0);
    CHECK(s->created_at == T0 && s->last_activity == T0);
    authkv_session_free(s);

    /* Saves carry versions; a stale version is a conflict and writes nothing. */
    EXPECT(authkv_session_save(e, visitor.id, strlen(visitor.id), (const uint8_t *)"cart=3", 6,
                               true, 0, &version),
           AUTHKV_OK);
    CHECK(version == 1);
    version = 77;
    EXPECT(authkv_session_save(e, visitor.id, strlen(visitor.id), (const uint8_t *)"cart=9", 6,
                               true, 0, &version),
           AUTHKV_CONFLICT);
    EXPECT_MESSAGE("expected version 0");
    CHECK(version == 77);
    s = load(e, visitor.id);
    CHECK(s->version == 1 && s->payload.len == 6 && memcmp(s->payload.ptr, "cart=3", 6) == 0);
    CHECK(s->payload.ptr[6] == 0);
    authkv_session_free(s);
    EXPECT(authkv_session_save(e, visitor.id, strlen(visitor.id), (const uint8_t *)"cart=4", 6,
                               false, 0, &version),
           AUTHKV_OK);
    CHECK(version == 2);

    /* Login rotates id and CSRF token; the old id is dead at once. */
    user = login(e, &visitor, 42);
    expect_gone(e, visitor.id);
    s = load(e, user.id);
    CHECK(s->has_user && s->user_id == 42);
    CHECK(memcmp(s->payload.ptr, "cart=4", 6) == 0);
    CHECK(strcmp(s->csrf_token, user.csrf) == 0);
    authkv_session_free(s);

    /* CSRF: match, mismatch, old token, rotation. */
    EXPECT(authkv_session_csrf_verify(e, user.id, strlen(user.id), user.csrf, strlen(user.csrf)),
           AUTHKV_OK);
    EXPECT(authkv_session_csrf_verify(e, user.id, strlen(user.id), visitor.csrf,
                                      strlen(visitor.csrf)),
           AUTHKV_CSRF_MISMATCH);
    EXPECT(authkv_session_csrf_verify(e, user.id, strlen(user.id), NULL, 0),
           AUTHKV_CSRF_MISMATCH);
    EXPECT(authkv_session_csrf_verify(e, visitor.id, strlen(visitor.id), visitor.csrf,
                                      strlen(visitor.csrf)),
           AUTHKV_NOT_FOUND);
    {
        char token[AUTHKV_CSRF_TOKEN_SIZE];
        char rotated[AUTHKV_CSRF_TOKEN_SIZE];
        EXPECT(authkv_session_csrf_token(e, user.id, strlen(user.id), token, sizeof token, NULL),
               AUTHKV_OK);
        CHECK(strcmp(token, user.csrf) == 0);
        EXPECT(authkv_session_csrf_rotate(e, user.id, strlen(user.id), rotated, sizeof rotated,
                                          NULL),
               AUTHKV_OK);
        CHECK(is_alnum_text(rotated, AUTHKV_CSRF_TOKEN_LEN) && strcmp(rotated, token) != 0);
        EXPECT(authkv_session_csrf_verify(e, user.id, strlen(user.id), token, strlen(token)),
               AUTHKV_CSRF_MISMATCH);
        EXPECT(authkv_session_csrf_verify(e, user.id, strlen(user.id), rotated, strlen(rotated)),
               AUTHKV_OK);
        memcpy(user.csrf, rotated, sizeof rotated);
    }

    /* Two more devices of the same user, created later. */
    EXPECT(authkv_set_time(e, T0 + 10), AUTHKV_OK);
    phone = create(e, "198.51.100.7", "Phone");
    phone = login(e, &phone, 42);
    EXPECT(authkv_set_time(e, T0 + 20), AUTHKV_OK);
    tablet = create(e, "2001:db8::1", "Tablet");
    tablet = login(e, &tablet, 42);
    {
        authkv_session_list *list = NULL;
        size_t i;
        EXPECT(authkv_session_list_user(e, 42, &list), AUTHKV_OK);
        CHECK(list != NULL && list->len == 3);
        for (i = 0; i < list->len; i++) {
            CHECK(strlen(list->items[i].handle) == AUTHKV_SESSION_HANDLE_LEN);
        }
        CHECK(list->items[0].created_at == T0);
        CHECK(strcmp(list->items[1].ip.ptr, "198.51.100.7") == 0);
        CHECK(strcmp(list->items[1].user_agent.ptr, "Phone") == 0);
        CHECK(list->items[2].created_at == T0 + 20);
        /* Revoke the tablet by its public handle. */
        EXPECT(authkv_session_revoke(e, list->items[2].handle, strlen(list->items[2].handle)),
               AUTHKV_OK);
        EXPECT(authkv_session_revoke(e, list->items[2].handle, strlen(list->items[2].handle)),
               AUTHKV_NOT_FOUND);
        authkv_session_list_free(list);
    }
    expect_gone(e, tablet.id);
    {
        size_t revoked = 0;
        authkv_session_list *list = NULL;
        /* Log out the other devices: the phone goes, this session stays. */
        EXPECT(authkv_session_revoke_user(e, 42, user.id, strlen(user.id), &revoked), AUTHKV_OK);
        CHECK(revoked == 1);
        expect_gone(e, phone.id);
        EXPECT(authkv_session_list_user(e, 42, &list), AUTHKV_OK);
        CHECK(list->len == 1);
        authkv_session_list_free(list);
        EXPECT(authkv_session_list_user(e, 7, &list), AUTHKV_OK);
        CHECK(list->len == 0 && list->items == NULL);
        authkv_session_list_free(list);
    }

    /* Regenerate keeps user and data; invalidate (logout) clears both. */
    {
        keys regenerated, anonymous;
        EXPECT(authkv_session_regenerate(e, user.id, strlen(user.id), regenerated.id,
                                         sizeof regenerated.id, regenerated.csrf,
                                         sizeof regenerated.csrf, NULL),
               AUTHKV_OK);
        expect_gone(e, user.id);
        s = load(e, regenerated.id);
        CHECK(s->has_user && s->user_id == 42 && s->payload.len == 6);
        CHECK(strcmp(s->csrf_token, regenerated.csrf) == 0);
        authkv_session_free(s);
        EXPECT(authkv_session_invalidate(e, regenerated.id, strlen(regenerated.id),
                                         anonymous.id, sizeof anonymous.id, anonymous.csrf,
                                         sizeof anonymous.csrf, NULL),
               AUTHKV_OK);
        expect_gone(e, regenerated.id);
        s = load(e, anonymous.id);
        CHECK(!s->has_user && s->payload.len == 0);
        authkv_session_free(s);
        EXPECT(authkv_session_destroy(e, anonymous.id, strlen(anonymous.id)), AUTHKV_OK);
        EXPECT(authkv_session_destroy(e, anonymous.id, strlen(anonymous.id)), AUTHKV_NOT_FOUND);
        expect_gone(e, anonymous.id);
    }

    /* Touches: a load after touch_interval is kept in memory until flush. */
    {
        keys late = create(e, "192.0.2.1", "Late");
        size_t flushed = 99;
        EXPECT(authkv_set_time(e, T0 + 200), AUTHKV_OK);
        s = load(e, late.id);
        CHECK(s->last_activity == T0 + 200);
        authkv_session_free(s);
        CHECK(stats(e).touches_pending == 1);
        EXPECT(authkv_flush(e, &flushed), AUTHKV_OK);
        CHECK(flushed == 1);
        CHECK(stats(e).touches_pending == 0);
        EXPECT(authkv_flush(e, NULL), AUTHKV_OK);
    }

    /* Expiry and collection. */
    {
        authkv_engine_stats before = stats(e);
        authkv_gc_report report;
        CHECK(before.sessions == 1);
        CHECK(before.write_commits > 0);
        EXPECT(authkv_set_time(e, T0 + 200 + options.idle_lifetime_secs + 1), AUTHKV_OK);
        EXPECT(authkv_gc(e, &report), AUTHKV_OK);
        CHECK(report.sessions_deleted == 1);
        CHECK(report.batches >= 1);
        CHECK(stats(e).sessions == 0);
        CHECK(stats(e).gc_deleted == 1);
        EXPECT(authkv_gc(e, NULL), AUTHKV_OK);
    }
    expect_consistent(e);

    /* Close, reopen: committed state survives. */
    {
        keys kept = create(e, "192.0.2.2", "Kept");
        EXPECT(authkv_close(e), AUTHKV_OK);
        EXPECT(authkv_close(NULL), AUTHKV_OK);
        options.manual_clock_start = T0 + 200 + options.idle_lifetime_secs + 2;
        e = open_at(path, &options);
        s = load(e, kept.id);
        CHECK(strcmp(s->user_agent.ptr, "Kept") == 0);
        authkv_session_free(s);
        expect_consistent(e);
        EXPECT(authkv_close(e), AUTHKV_OK);
    }
    auth_flow(argv[1]);
    printf("flow: ok\n");
    return 0;
}
