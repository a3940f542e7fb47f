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

static void expect_consistent(authkv_engine *e) {
    size_t problems = 99;
    authkv_string *report = NULL;
    EXPECT(authkv_verify(e, &problems, &report), AUTHKV_OK);
    CHECK(problems == 0);
    CHECK(report != NULL && report->text.ptr != NULL && report->text.len == 0);
    authkv_string_free(report);
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
    printf("flow: ok\n");
    return 0;
}
