/*
 * Built the way a user of an installed copy builds: the header and the
 * library found through `pkg-config --cflags --libs authkv` after
 * packaging/install.sh, run with the installed libauthkv.so.0.
 *
 * Usage: pkgconfig DIR   (DIR is an empty scratch directory)
 */
#include "check.h"

int main(int argc, char **argv) {
    char path[4096];
    char id[AUTHKV_SESSION_ID_SIZE], csrf[AUTHKV_CSRF_TOKEN_SIZE];
    authkv_options options = test_options();
    authkv_engine *engine;
    authkv_session *session = NULL;

    CHECK(argc == 2);
    /* The installed header and the loaded library are the same release. */
    CHECK(authkv_version() == AUTHKV_VERSION_NUMBER);

    join_path(path, sizeof path, argv[1], "pkgconfig.redb");
    engine = open_at(path, &options);
    EXPECT(authkv_session_create(engine, S("192.0.2.1"), S("pkgconfig"), id, sizeof id, csrf,
                                 sizeof csrf, NULL),
           AUTHKV_OK);
    CHECK(is_alnum_text(id, AUTHKV_SESSION_ID_LEN));

    EXPECT(authkv_session_load(engine, id, strlen(id), &session), AUTHKV_OK);
    CHECK(session != NULL);
    CHECK(!session->has_user);
    CHECK(strcmp(session->csrf_token, csrf) == 0);
    CHECK(view_is(session->ip.ptr, session->ip.len, "192.0.2.1"));
    authkv_session_free(session);

    EXPECT(authkv_close(engine), AUTHKV_OK);
    printf("pkgconfig: ok (authkv %s)\n", authkv_version_str());
    return 0;
}
