/*
 * Bad calls: NULL for every pointer parameter, buffers that are too small,
 * lengths past each limit, invalid UTF-8, malformed ids and handles, wrong
 * options. Each must return its status with a message, write no output,
 * and leave the stored state exactly as it was.
 *
 * Usage: misuse DIR   (DIR is an empty scratch directory)
 */
#include "check.h"

#define BAD_UTF8 "\xff\xfe"
#define NOT_HEX "zz00000000000000000000000000000000000000000000000000000000000000"
#define UNKNOWN_HANDLE "0000000000000000000000000000000000000000000000000000000000000000"
#define UNKNOWN_ID "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

static authkv_engine *e;
static char id[AUTHKV_SESSION_ID_SIZE];
static char csrf[AUTHKV_CSRF_TOKEN_SIZE];

/* Ids that cannot name a session: each is AUTHKV_NOT_FOUND, read nothing. */
static const struct {
    const char *ptr;
    size_t len;
} malformed_ids[] = {
    {"", 0},
    {"short", 5},
    {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA!", 40},  /* not alphanumeric */
    {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 41}, /* one too long */
    {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" BAD_UTF8, 40},
    {"AAAAAAAAAAAAAAAAAAAA\0AAAAAAAAAAAAAAAAAAA", 40}, /* embedded NUL */
};
#define MALFORMED_COUNT (sizeof malformed_ids / sizeof malformed_ids[0])

static void engine_calls(void) {
    authkv_engine_stats st;
    authkv_gc_report report;
    size_t n = 0;
    authkv_string *text = NULL;
    EXPECT(authkv_options_default(NULL), AUTHKV_NULL_POINTER);
    EXPECT(authkv_set_time(NULL, T0), AUTHKV_NULL_POINTER);
    EXPECT(authkv_flush(NULL, &n), AUTHKV_NULL_POINTER);
    EXPECT(authkv_gc(NULL, &report), AUTHKV_NULL_POINTER);
    EXPECT(authkv_verify(NULL, &n, &text), AUTHKV_NULL_POINTER);
    EXPECT(authkv_verify(e, NULL, &text), AUTHKV_NULL_POINTER);
    CHECK(text == NULL);
    EXPECT(authkv_stats(NULL, &st), AUTHKV_NULL_POINTER);
    EXPECT(authkv_stats(e, NULL), AUTHKV_NULL_POINTER);
    EXPECT_MESSAGE("authkv_stats: out is NULL");
}

static void open_calls(const char *dir, const char *path, const authkv_options *options) {
    authkv_engine *other = NULL;
    authkv_options different = *options;
    char long_path[5000];
    char garbage[4096];
    FILE *f;

    EXPECT(authkv_open(NULL, 5, options, &other), AUTHKV_NULL_POINTER);
    EXPECT(authkv_open(path, strlen(path), options, NULL), AUTHKV_NULL_POINTER);
    EXPECT(authkv_open(NULL, 0, options, &other), AUTHKV_INVALID_ARGUMENT);
    EXPECT_MESSAGE("path is empty");
    EXPECT(authkv_open(S("a\0b"), options, &other), AUTHKV_INVALID_ARGUMENT);
    memset(long_path, 'a', sizeof long_path);
    EXPECT(authkv_open(long_path, sizeof long_path, options, &other), AUTHKV_INVALID_ARGUMENT);
    EXPECT_MESSAGE("exceeds the limit of 4096 bytes");
    EXPECT(authkv_open(S("/nonexistent-authkv-dir/x.redb"), options, &other), AUTHKV_IO);

    /* A second open of the same file must pass the same options. */
    different.max_ip = 64;
    EXPECT(authkv_open(path, strlen(path), &different, &other), AUTHKV_MISUSE);
    EXPECT_MESSAGE("max_ip = 45");
    EXPECT(authkv_open(path, strlen(path), NULL, &other), AUTHKV_MISUSE);
    CHECK(other == NULL);

    /* Options out of range. */
    join_path(garbage, sizeof garbage, dir, "fresh.redb");
    different = *options;
    different.idle_lifetime_secs = 0;
    EXPECT(authkv_open(garbage, strlen(garbage), &different, &other), AUTHKV_INVALID_ARGUMENT);
    EXPECT_MESSAGE("idle_lifetime");
    different = *options;
    different.gc_batch_size = 0;
    EXPECT(authkv_open(garbage, strlen(garbage), &different, &other), AUTHKV_INVALID_ARGUMENT);

    /* A file that is not a database. */
    join_path(garbage, sizeof garbage, dir, "garbage.redb");
    f = fopen(garbage, "wb");
    CHECK(f != NULL);
    {
        char junk[8192];
        memset(junk, 'x', sizeof junk);
        CHECK(fwrite(junk, 1, sizeof junk, f) == sizeof junk);
    }
    CHECK(fclose(f) == 0);
    EXPECT(authkv_open(garbage, strlen(garbage), options, &other), AUTHKV_NOT_REDB);
    CHECK(other == NULL);

    /* Setting the time of a system-clock engine. */
    join_path(garbage, sizeof garbage, dir, "system-clock.redb");
    other = open_at(garbage, NULL);
    EXPECT(authkv_set_time(other, T0), AUTHKV_MISUSE);
    EXPECT_MESSAGE("system clock");
    EXPECT(authkv_close(other), AUTHKV_OK);
}

static void create_calls(void) {
    char small[AUTHKV_SESSION_ID_SIZE - 1];
    char a[AUTHKV_SESSION_ID_SIZE];
    char b[AUTHKV_CSRF_TOKEN_SIZE];
    size_t required = 0;
    char long_ip[46];
    memset(long_ip, '1', sizeof long_ip);
    memset(a, 'x', sizeof a);

#define CREATE(...) authkv_session_create(e, __VA_ARGS__)
    EXPECT(authkv_session_create(NULL, S("1.2.3.4"), S("ua"), a, sizeof a, b, sizeof b, NULL),
           AUTHKV_NULL_POINTER);
    EXPECT(CREATE(NULL, 7, S("ua"), a, sizeof a, b, sizeof b, NULL), AUTHKV_NULL_POINTER);
    EXPECT(CREATE(S("1.2.3.4"), NULL, 2, a, sizeof a, b, sizeof b, NULL), AUTHKV_NULL_POINTER);
    EXPECT(CREATE(S("1.2.3.4"), S("ua"), NULL, sizeof a, b, sizeof b, NULL), AUTHKV_NULL_POINTER);
    EXPECT(CREATE(S("1.2.3.4"), S("ua"), a, sizeof a, NULL, sizeof b, NULL), AUTHKV_NULL_POINTER);
    EXPECT(CREATE(S("1.2.3.4"), S("ua"), small, sizeof small, b, sizeof b, &required),
           AUTHKV_BUFFER_TOO_SMALL);
    CHECK(required == AUTHKV_SESSION_ID_SIZE);
    required = 0;
    EXPECT(CREATE(S("1.2.3.4"), S("ua"), a, sizeof a, small, sizeof small, &required),
           AUTHKV_BUFFER_TOO_SMALL);
    CHECK(required == AUTHKV_CSRF_TOKEN_SIZE);
    EXPECT(CREATE(S("1.2.3.4"), S("ua"), a, 0, b, sizeof b, NULL), AUTHKV_BUFFER_TOO_SMALL);
    EXPECT(CREATE(S(BAD_UTF8), S("ua"), a, sizeof a, b, sizeof b, NULL), AUTHKV_INVALID_ARGUMENT);
    EXPECT_MESSAGE("ip is not valid UTF-8");
    EXPECT(CREATE(S("1.2.3.4"), S("ok" BAD_UTF8), a, sizeof a, b, sizeof b, NULL),
           AUTHKV_INVALID_ARGUMENT);
    EXPECT_MESSAGE("user_agent is not valid UTF-8 (invalid byte at offset 2)");
    EXPECT(CREATE(S("1.2\0.4"), S("ua"), a, sizeof a, b, sizeof b, NULL), AUTHKV_INVALID_ARGUMENT);
    EXPECT_MESSAGE("NUL byte at offset 3");
    EXPECT(CREATE(long_ip, sizeof long_ip, S("ua"), a, sizeof a, b, sizeof b, NULL),
           AUTHKV_INVALID_ARGUMENT);
    EXPECT_MESSAGE("46 bytes exceeds the limit of 45");
#undef CREATE
    CHECK(a[0] == 'x'); /* nothing was written */
}

/* An unconditional save. */
static authkv_status SAVE(const authkv_engine *eng, const char *i, size_t il, const uint8_t *p,
                          size_t pl, uint64_t *out) {
    return authkv_session_save(eng, i, il, p, pl, false, 0, out);
}

static void load_save_calls(void) {
    authkv_session *s = NULL;
    uint64_t version = 99;
    uint8_t big[65];
    size_t i;
    memset(big, 'p', sizeof big);

    EXPECT(authkv_session_load(NULL, id, strlen(id), &s), AUTHKV_NULL_POINTER);
    EXPECT(authkv_session_load(e, NULL, AUTHKV_SESSION_ID_LEN, &s), AUTHKV_NULL_POINTER);
    EXPECT(authkv_session_load(e, id, strlen(id), NULL), AUTHKV_NULL_POINTER);
    EXPECT(authkv_session_load(e, S(UNKNOWN_ID), &s), AUTHKV_NOT_FOUND);
    for (i = 0; i < MALFORMED_COUNT; i++) {
        EXPECT(authkv_session_load(e, malformed_ids[i].ptr, malformed_ids[i].len, &s),
               AUTHKV_NOT_FOUND);
        EXPECT_MESSAGE("malformed");
    }
    EXPECT(authkv_session_load(e, NULL, 0, &s), AUTHKV_NOT_FOUND);
    CHECK(s == NULL);

    EXPECT(SAVE(NULL, id, strlen(id), big, 1, &version), AUTHKV_NULL_POINTER);
    EXPECT(SAVE(e, NULL, AUTHKV_SESSION_ID_LEN, big, 1, &version), AUTHKV_NULL_POINTER);
    EXPECT(SAVE(e, id, strlen(id), NULL, 5, &version), AUTHKV_NULL_POINTER);
    EXPECT_MESSAGE("payload is NULL with a length of 5");
    EXPECT(SAVE(e, id, strlen(id), big, 1, NULL), AUTHKV_NULL_POINTER);
    EXPECT(SAVE(e, id, strlen(id), big, sizeof big, &version), AUTHKV_PAYLOAD_TOO_LARGE);
    EXPECT_MESSAGE("65 bytes exceeds the limit of 64 bytes");
    EXPECT(SAVE(e, S(UNKNOWN_ID), big, 1, &version), AUTHKV_NOT_FOUND);
    for (i = 0; i < MALFORMED_COUNT; i++) {
        EXPECT(SAVE(e, malformed_ids[i].ptr, malformed_ids[i].len, big, 1, &version),
               AUTHKV_NOT_FOUND);
    }
    EXPECT(authkv_session_save(e, id, strlen(id), big, 1, true, 5, &version), AUTHKV_CONFLICT);
    EXPECT_MESSAGE("expected version 5, stored version is 1");
    CHECK(version == 99);
}

typedef authkv_status (*rotation)(const authkv_engine *, const char *, size_t, char *, size_t,
                                  char *, size_t, size_t *);

static authkv_status login_42(const authkv_engine *eng, const char *i, size_t il, char *io,
                              size_t in, char *co, size_t cn, size_t *req) {
    return authkv_session_login(eng, i, il, 42, io, in, co, cn, req);
}

static void rotation_calls(rotation rotate) {
    char a[AUTHKV_SESSION_ID_SIZE];
    char b[AUTHKV_CSRF_TOKEN_SIZE];
    char small[AUTHKV_SESSION_ID_SIZE - 1];
    size_t required = 0;
    size_t i;
    EXPECT(rotate(NULL, id, strlen(id), a, sizeof a, b, sizeof b, NULL), AUTHKV_NULL_POINTER);
    EXPECT(rotate(e, NULL, AUTHKV_SESSION_ID_LEN, a, sizeof a, b, sizeof b, NULL),
           AUTHKV_NULL_POINTER);
    EXPECT(rotate(e, id, strlen(id), NULL, sizeof a, b, sizeof b, NULL), AUTHKV_NULL_POINTER);
    EXPECT(rotate(e, id, strlen(id), a, sizeof a, NULL, sizeof b, NULL), AUTHKV_NULL_POINTER);
    /* Too small: refused before rotating, so the current id keeps working. */
    EXPECT(rotate(e, id, strlen(id), small, sizeof small, b, sizeof b, &required),
           AUTHKV_BUFFER_TOO_SMALL);
    CHECK(required == AUTHKV_SESSION_ID_SIZE);
    required = 0;
    EXPECT(rotate(e, id, strlen(id), a, sizeof a, small, sizeof small, &required),
           AUTHKV_BUFFER_TOO_SMALL);
    CHECK(required == AUTHKV_CSRF_TOKEN_SIZE);
    EXPECT(rotate(e, S(UNKNOWN_ID), a, sizeof a, b, sizeof b, NULL), AUTHKV_NOT_FOUND);
    for (i = 0; i < MALFORMED_COUNT; i++) {
        EXPECT(rotate(e, malformed_ids[i].ptr, malformed_ids[i].len, a, sizeof a, b, sizeof b,
                      NULL),
               AUTHKV_NOT_FOUND);
    }
}

static void csrf_calls(void) {
    char t[AUTHKV_CSRF_TOKEN_SIZE];
    char small[AUTHKV_CSRF_TOKEN_SIZE - 1];
    size_t required = 0;
    size_t i;
    EXPECT(authkv_session_destroy(NULL, id, strlen(id)), AUTHKV_NULL_POINTER);
    EXPECT(authkv_session_destroy(e, NULL, AUTHKV_SESSION_ID_LEN), AUTHKV_NULL_POINTER);
    EXPECT(authkv_session_destroy(e, S(UNKNOWN_ID)), AUTHKV_NOT_FOUND);
    for (i = 0; i < MALFORMED_COUNT; i++) {
        EXPECT(authkv_session_destroy(e, malformed_ids[i].ptr, malformed_ids[i].len),
               AUTHKV_NOT_FOUND);
    }

    EXPECT(authkv_session_csrf_token(NULL, id, strlen(id), t, sizeof t, NULL),
           AUTHKV_NULL_POINTER);
    EXPECT(authkv_session_csrf_token(e, NULL, 40, t, sizeof t, NULL), AUTHKV_NULL_POINTER);
    EXPECT(authkv_session_csrf_token(e, id, strlen(id), NULL, sizeof t, NULL),
           AUTHKV_NULL_POINTER);
    EXPECT(authkv_session_csrf_token(e, id, strlen(id), small, sizeof small, &required),
           AUTHKV_BUFFER_TOO_SMALL);
    CHECK(required == AUTHKV_CSRF_TOKEN_SIZE);
    EXPECT(authkv_session_csrf_token(e, S("bad"), t, sizeof t, NULL), AUTHKV_NOT_FOUND);

    EXPECT(authkv_session_csrf_verify(NULL, id, strlen(id), csrf, strlen(csrf)),
           AUTHKV_NULL_POINTER);
    EXPECT(authkv_session_csrf_verify(e, NULL, 40, csrf, strlen(csrf)), AUTHKV_NULL_POINTER);
    EXPECT(authkv_session_csrf_verify(e, id, strlen(id), NULL, 40), AUTHKV_NULL_POINTER);
    EXPECT(authkv_session_csrf_verify(e, id, strlen(id), S(BAD_UTF8)), AUTHKV_CSRF_MISMATCH);
    EXPECT(authkv_session_csrf_verify(e, id, strlen(id), csrf, strlen(csrf) - 1),
           AUTHKV_CSRF_MISMATCH);
    EXPECT(authkv_session_csrf_verify(e, S("bad"), csrf, strlen(csrf)), AUTHKV_NOT_FOUND);

    required = 0;
    EXPECT(authkv_session_csrf_rotate(NULL, id, strlen(id), t, sizeof t, NULL),
           AUTHKV_NULL_POINTER);
    EXPECT(authkv_session_csrf_rotate(e, NULL, 40, t, sizeof t, NULL), AUTHKV_NULL_POINTER);
    EXPECT(authkv_session_csrf_rotate(e, id, strlen(id), NULL, sizeof t, NULL),
           AUTHKV_NULL_POINTER);
    EXPECT(authkv_session_csrf_rotate(e, id, strlen(id), small, sizeof small, &required),
           AUTHKV_BUFFER_TOO_SMALL);
    CHECK(required == AUTHKV_CSRF_TOKEN_SIZE);
    EXPECT(authkv_session_csrf_rotate(e, S("bad"), t, sizeof t, NULL), AUTHKV_NOT_FOUND);
    /* The token did not rotate. */
    EXPECT(authkv_session_csrf_verify(e, id, strlen(id), csrf, strlen(csrf)), AUTHKV_OK);
}

static void device_calls(void) {
    authkv_session_list *list = NULL;
    size_t revoked = 99;
    EXPECT(authkv_session_list_user(NULL, 42, &list), AUTHKV_NULL_POINTER);
    EXPECT(authkv_session_list_user(e, 42, NULL), AUTHKV_NULL_POINTER);
    CHECK(list == NULL);

    EXPECT(authkv_session_revoke(NULL, S(UNKNOWN_HANDLE)), AUTHKV_NULL_POINTER);
    EXPECT(authkv_session_revoke(e, NULL, 64), AUTHKV_NULL_POINTER);
    EXPECT(authkv_session_revoke(e, S(UNKNOWN_HANDLE)), AUTHKV_NOT_FOUND);
    EXPECT(authkv_session_revoke(e, S(NOT_HEX)), AUTHKV_INVALID_ARGUMENT);
    EXPECT_MESSAGE("64 hex characters");
    EXPECT(authkv_session_revoke(e, S("abc")), AUTHKV_INVALID_ARGUMENT);
    EXPECT(authkv_session_revoke(e, NULL, 0), AUTHKV_INVALID_ARGUMENT);
    EXPECT(authkv_session_revoke(e, S(BAD_UTF8)), AUTHKV_INVALID_ARGUMENT);

    EXPECT(authkv_session_revoke_user(NULL, 42, id, strlen(id), &revoked), AUTHKV_NULL_POINTER);
    EXPECT(authkv_session_revoke_user(e, 42, id, strlen(id), NULL), AUTHKV_NULL_POINTER);
    EXPECT(authkv_session_revoke_user(e, 42, NULL, 40, &revoked), AUTHKV_NULL_POINTER);
    /* A malformed keep id is refused, never read as "keep none". */
    EXPECT(authkv_session_revoke_user(e, 42, S("short"), &revoked), AUTHKV_INVALID_ARGUMENT);
    EXPECT_MESSAGE("keep_id is malformed");
    EXPECT(authkv_session_revoke_user(e, 42, S(BAD_UTF8), &revoked), AUTHKV_INVALID_ARGUMENT);
    CHECK(revoked == 99);
}

static void free_and_text_calls(void) {
    /* _free(NULL) is a no-op and keeps the last message. */
    EXPECT(authkv_stats(e, NULL), AUTHKV_NULL_POINTER);
    authkv_session_free(NULL);
    authkv_session_list_free(NULL);
    authkv_string_free(NULL);
    CHECK(authkv_last_error()[0] != '\0');
    CHECK(strcmp(authkv_status_str(9999), "unknown status code") == 0);
    CHECK(strcmp(authkv_status_str(AUTHKV_OK), "success") == 0);
    CHECK(strcmp(authkv_status_str(AUTHKV_LOCKED), "database is locked by another process") == 0);
    CHECK(authkv_last_error()[0] != '\0'); /* status_str leaves it too */
    EXPECT(authkv_close(NULL), AUTHKV_OK);
    CHECK(authkv_last_error()[0] == '\0');
}

int main(int argc, char **argv) {
    char path[4096];
    authkv_options options;
    authkv_engine_stats before, after;
    authkv_session *s;
    size_t problems = 99;
    uint64_t version = 0;
    CHECK(argc == 2);
    join_path(path, sizeof path, argv[1], "misuse.redb");
    options = test_options();
    options.max_payload = 64;
    e = open_at(path, &options);

    EXPECT(authkv_session_create(e, S("192.0.2.1"), S("Agent"), id, sizeof id, csrf, sizeof csrf,
                                 NULL),
           AUTHKV_OK);
    EXPECT(authkv_session_save(e, id, strlen(id), (const uint8_t *)"data", 4, false, 0, &version),
           AUTHKV_OK);
    EXPECT(authkv_stats(e, &before), AUTHKV_OK);

    engine_calls();
    open_calls(argv[1], path, &options);
    create_calls();
    load_save_calls();
    rotation_calls(login_42);
    rotation_calls(authkv_session_regenerate);
    rotation_calls(authkv_session_invalidate);
    csrf_calls();
    device_calls();
    free_and_text_calls();

    /* Nothing above wrote: same records, same commit count, same session. */
    EXPECT(authkv_stats(e, &after), AUTHKV_OK);
    CHECK(after.sessions == before.sessions && after.sessions == 1);
    CHECK(after.write_commits == before.write_commits);
    EXPECT(authkv_verify(e, &problems, NULL), AUTHKV_OK);
    CHECK(problems == 0);
    EXPECT(authkv_session_load(e, id, strlen(id), &s), AUTHKV_OK);
    CHECK(s->version == 1 && s->payload.len == 4 && memcmp(s->payload.ptr, "data", 4) == 0);
    CHECK(strcmp(s->csrf_token, csrf) == 0 && !s->has_user);
    authkv_session_free(s);
    EXPECT(authkv_close(e), AUTHKV_OK);
    printf("misuse: ok\n");
    return 0;
}
