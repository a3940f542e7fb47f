/*
 * Concurrency: 8 threads share one engine and run mixed session operations
 * and authenticate one shared personal access token every round, creating
 * and revoking tokens of their own in between; half of them also open the
 * file themselves, as a host that opens per thread would, and get the same
 * engine. Afterwards the file is consistent. Then: two opens of one file in
 * one process are one engine.
 *
 * Usage: threads DIR   (DIR is an empty scratch directory)
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>

#include "check.h"

#define THREADS 8
#define ROUNDS 300

static char path[4096];
static char dotted[4200]; /* the same file, spelled differently */
static authkv_options options;
static authkv_engine *shared;
static char shared_token[AUTHKV_TOKEN_MAX_SIZE]; /* user 500, orders:read */
static uint64_t shared_token_id;

/* The shared token authenticates, as its user, with its ability. */
static void authenticate_shared(authkv_engine *e) {
    authkv_token *t = NULL;
    bool can = false;
    EXPECT(authkv_token_authenticate(e, shared_token, strlen(shared_token), &t), AUTHKV_OK);
    CHECK(t->id == shared_token_id && t->user_id == 500 && t->abilities.len == 1);
    EXPECT(authkv_token_can(t, S("orders:read"), &can), AUTHKV_OK);
    CHECK(can);
    authkv_token_free(t);
}

/* A token of this thread's own, authenticated, then revoked. */
static void own_token(authkv_engine *e, uint64_t user) {
    char text[AUTHKV_TOKEN_MAX_SIZE];
    uint64_t id = 0;
    authkv_token *t = NULL;
    EXPECT(authkv_token_create(e, user, S("worker"), S("jobs:run"), false, 0, &id, text,
                               sizeof text, NULL),
           AUTHKV_OK);
    EXPECT(authkv_token_authenticate(e, text, strlen(text), &t), AUTHKV_OK);
    CHECK(t->id == id && t->user_id == user);
    authkv_token_free(t);
    EXPECT(authkv_token_revoke(e, id), AUTHKV_OK);
    EXPECT(authkv_token_authenticate(e, text, strlen(text), &t), AUTHKV_UNAUTHENTICATED);
}

/* A status another thread's work can legitimately cause: a revoke by a
 * thread of the same user removes this thread's session. */
static int tolerated(authkv_status s) {
    return s == AUTHKV_OK || s == AUTHKV_NOT_FOUND;
}

#define TOLERATE(call)                                                                      \
    do {                                                                                    \
        authkv_status status_ = (call);                                                     \
        if (!tolerated(status_)) {                                                          \
            fprintf(stderr, "%s:%d: %s returned %u: %s\n", __FILE__, __LINE__, #call,       \
                    (unsigned)status_, authkv_last_error());                                \
            exit(1);                                                                        \
        }                                                                                   \
    } while (0)

static void *worker(void *arg) {
    int n = *(const int *)arg;
    uint64_t user = 100 + (uint64_t)(n % 3);
    authkv_engine *e = shared;
    authkv_engine *own = NULL;
    char id[AUTHKV_SESSION_ID_SIZE];
    char csrf[AUTHKV_CSRF_TOKEN_SIZE];
    char next[AUTHKV_SESSION_ID_SIZE];
    char next_csrf[AUTHKV_CSRF_TOKEN_SIZE];
    int round;

    if (n % 2 == 0) {
        /* Opens of an open file share it, whatever the path's spelling. */
        EXPECT(authkv_open(dotted, strlen(dotted), &options, &own), AUTHKV_OK);
        e = own;
    }
    for (round = 0; round < ROUNDS; round++) {
        authkv_session *s = NULL;
        authkv_status st;
        uint64_t version = 0;
        char payload[32];
        int len = snprintf(payload, sizeof payload, "t%d-r%d", n, round);

        authenticate_shared(e);
        if (round % 13 == 0) {
            own_token(e, 1000 + (uint64_t)n);
        }
        EXPECT(authkv_session_create(e, S("192.0.2.1"), S("worker"), id, sizeof id, csrf,
                                     sizeof csrf, NULL),
               AUTHKV_OK);
        TOLERATE(authkv_session_save(e, id, strlen(id), (const uint8_t *)payload, (size_t)len,
                                     true, 0, &version));
        st = authkv_session_load(e, id, strlen(id), &s);
        TOLERATE(st);
        if (st == AUTHKV_OK) {
            CHECK(s->payload.len == (size_t)len);
            CHECK(memcmp(s->payload.ptr, payload, s->payload.len) == 0);
            authkv_session_free(s);
        }
        st = authkv_session_login(e, id, strlen(id), user, next, sizeof next, next_csrf,
                                  sizeof next_csrf, NULL);
        TOLERATE(st);
        if (st != AUTHKV_OK) {
            continue;
        }
        st = authkv_session_csrf_verify(e, next, strlen(next), next_csrf, strlen(next_csrf));
        TOLERATE(st);
        if (round % 5 == 0) {
            authkv_session_list *list = NULL;
            EXPECT(authkv_session_list_user(e, user, &list), AUTHKV_OK);
            authkv_session_list_free(list);
        }
        if (round % 7 == 0) {
            size_t revoked = 0;
            TOLERATE(authkv_session_revoke_user(e, user, next, strlen(next), &revoked));
        }
        if (round % 11 == 0) {
            TOLERATE(authkv_flush(e, NULL));
            TOLERATE(authkv_gc(e, NULL));
        }
        if (round % 2 == 0) {
            TOLERATE(authkv_session_destroy(e, next, strlen(next)));
        } else {
            TOLERATE(authkv_session_csrf_rotate(e, next, strlen(next), next_csrf,
                                                sizeof next_csrf, NULL));
        }
    }
    if (own != NULL) {
        EXPECT(authkv_close(own), AUTHKV_OK);
    }
    return NULL;
}

static void two_opens_share_one_engine(const char *dir) {
    char one[4096];
    char other_spelling[4200];
    authkv_engine *a, *b;
    authkv_session *s = NULL;
    char id[AUTHKV_SESSION_ID_SIZE];
    char csrf[AUTHKV_CSRF_TOKEN_SIZE];
    authkv_engine_stats sa, sb;

    join_path(one, sizeof one, dir, "shared.redb");
    CHECK(snprintf(other_spelling, sizeof other_spelling, "%s/./shared.redb", dir) > 0);
    a = open_at(one, &options);
    b = open_at(other_spelling, &options);
    EXPECT(authkv_session_create(a, S("192.0.2.9"), S("one"), id, sizeof id, csrf, sizeof csrf,
                                 NULL),
           AUTHKV_OK);
    EXPECT(authkv_session_load(b, id, strlen(id), &s), AUTHKV_OK);
    CHECK(strcmp(s->user_agent.ptr, "one") == 0);
    authkv_session_free(s);
    /* Same engine: same counters, same clock. */
    EXPECT(authkv_stats(a, &sa), AUTHKV_OK);
    EXPECT(authkv_stats(b, &sb), AUTHKV_OK);
    CHECK(sa.write_commits == sb.write_commits && sa.lookups == sb.lookups);
    EXPECT(authkv_set_time(a, T0 + options.idle_lifetime_secs + 1), AUTHKV_OK);
    EXPECT(authkv_session_load(b, id, strlen(id), &s), AUTHKV_NOT_FOUND);
    EXPECT(authkv_set_time(b, T0), AUTHKV_OK);
    /* Closing one handle leaves the other working. */
    EXPECT(authkv_close(a), AUTHKV_OK);
    EXPECT(authkv_session_load(b, id, strlen(id), &s), AUTHKV_OK);
    authkv_session_free(s);
    EXPECT(authkv_close(b), AUTHKV_OK);
    /* After the last close the file is released and opens afresh. */
    a = open_at(one, &options);
    EXPECT(authkv_session_load(a, id, strlen(id), &s), AUTHKV_OK);
    authkv_session_free(s);
    EXPECT(authkv_close(a), AUTHKV_OK);
}

int main(int argc, char **argv) {
    pthread_t threads[THREADS];
    int ids[THREADS];
    int i;
    CHECK(argc == 2);
    join_path(path, sizeof path, argv[1], "threads.redb");
    CHECK(snprintf(dotted, sizeof dotted, "%s/./threads.redb", argv[1]) > 0);
    options = test_options();
    shared = open_at(path, &options);
    EXPECT(authkv_token_create(shared, 500, S("shared"), S("orders:read"), false, 0,
                               &shared_token_id, shared_token, sizeof shared_token, NULL),
           AUTHKV_OK);
    for (i = 0; i < THREADS; i++) {
        ids[i] = i;
        CHECK(pthread_create(&threads[i], NULL, worker, &ids[i]) == 0);
    }
    for (i = 0; i < THREADS; i++) {
        CHECK(pthread_join(threads[i], NULL) == 0);
    }
    EXPECT(authkv_flush(shared, NULL), AUTHKV_OK);
    expect_consistent(shared);
    {
        /* Every thread's tokens were revoked; the shared one was used. */
        authkv_token_list *list = NULL;
        authkv_engine_stats st;
        EXPECT(authkv_stats(shared, &st), AUTHKV_OK);
        CHECK(st.tokens == 1);
        EXPECT(authkv_token_list_user(shared, 500, &list), AUTHKV_OK);
        CHECK(list->len == 1 && list->items[0].has_last_used_at);
        authkv_token_list_free(list);
    }
    EXPECT(authkv_close(shared), AUTHKV_OK);

    two_opens_share_one_engine(argv[1]);
    printf("threads: ok\n");
    return 0;
}
