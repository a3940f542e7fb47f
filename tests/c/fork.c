/*
 * fork() after open, as a prefork server does it: the children inherit the
 * parent's handle, which must refuse every call (AUTHKV_MISUSE) without
 * touching the file; each child closes it, opens the file again and writes.
 * The parent's data and its own writes stay intact.
 *
 * Usage: fork DIR   (DIR is an empty scratch directory)
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define CHILDREN 3
#define SESSIONS_PER_CHILD 20

static void path_in(char *out, size_t size, const char *dir) {
    CHECK((size_t)snprintf(out, size, "%s/forked.redb", dir) < size);
}

static void create_logged_in(authkv_engine *e, uint64_t user, char *id_out) {
    char id[AUTHKV_SESSION_ID_SIZE];
    char csrf[AUTHKV_CSRF_TOKEN_SIZE];
    EXPECT(authkv_session_create(e, S("10.0.0.1"), S("fork"), id, sizeof id, csrf, sizeof csrf,
                                 NULL),
           AUTHKV_OK);
    EXPECT(authkv_session_login(e, id, strlen(id), user, id_out, AUTHKV_SESSION_ID_SIZE, csrf,
                                sizeof csrf, NULL),
           AUTHKV_OK);
}

static int child(authkv_engine *inherited, const char *path, const char *parent_id,
                 uint64_t user) {
    authkv_session *s = NULL;
    char id[AUTHKV_SESSION_ID_SIZE];
    char csrf[AUTHKV_CSRF_TOKEN_SIZE];
    authkv_engine *own = NULL;
    int i;
    EXPECT(authkv_session_load(inherited, parent_id, strlen(parent_id), &s), AUTHKV_MISUSE);
    CHECK(s == NULL);
    CHECK(strstr(authkv_last_error(), "open it again in the child") != NULL);
    EXPECT(authkv_session_create(inherited, S("10.0.0.2"), S("fork"), id, sizeof id, csrf,
                                 sizeof csrf, NULL),
           AUTHKV_MISUSE);
    EXPECT(authkv_flush(inherited, NULL), AUTHKV_MISUSE);
    /* Closing the inherited handle releases it and leaves the file alone. */
    EXPECT(authkv_close(inherited), AUTHKV_OK);
    EXPECT(authkv_open(path, strlen(path), NULL, &own), AUTHKV_OK);
    EXPECT(authkv_session_load(own, parent_id, strlen(parent_id), &s), AUTHKV_OK);
    authkv_session_free(s);
    for (i = 0; i < SESSIONS_PER_CHILD; i++) {
        create_logged_in(own, user, id);
    }
    EXPECT(authkv_close(own), AUTHKV_OK);
    return 0;
}

/* Another thread opening and closing a file while the main thread forks:
 * a child must never inherit a library lock that nobody will release. */
static atomic_bool churning = true;
static char churn_path[4096];

static void *churn(void *arg) {
    (void)arg;
    while (atomic_load(&churning)) {
        authkv_engine *e = NULL;
        EXPECT(authkv_open(churn_path, strlen(churn_path), NULL, &e), AUTHKV_OK);
        EXPECT(authkv_close(e), AUTHKV_OK);
    }
    return NULL;
}

static void forks_while_another_thread_opens_and_closes(const char *dir) {
    pthread_t thread;
    int i;
    CHECK((size_t)snprintf(churn_path, sizeof churn_path, "%s/churn.redb", dir) <
          sizeof churn_path);
    CHECK(pthread_create(&thread, NULL, churn, NULL) == 0);
    for (i = 0; i < 20; i++) {
        int status = 0;
        pid_t pid;
        fflush(stdout);
        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            authkv_engine *e = NULL;
            alarm(10); /* a child stuck on an inherited lock dies, and fails */
            EXPECT(authkv_open(churn_path, strlen(churn_path), NULL, &e), AUTHKV_OK);
            EXPECT(authkv_close(e), AUTHKV_OK);
            _exit(0);
        }
        CHECK(waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    atomic_store(&churning, false);
    CHECK(pthread_join(thread, NULL) == 0);
}

int main(int argc, char **argv) {
    char path[4096];
    char parent_id[AUTHKV_SESSION_ID_SIZE];
    char id[AUTHKV_SESSION_ID_SIZE];
    authkv_engine *e = NULL;
    authkv_session *s = NULL;
    authkv_session_list *list = NULL;
    size_t problems = 1;
    pid_t pids[CHILDREN];
    int i;
    CHECK(argc == 2);
    path_in(path, sizeof path, argv[1]);
    EXPECT(authkv_open(path, strlen(path), NULL, &e), AUTHKV_OK);
    create_logged_in(e, 1, parent_id);
    for (i = 0; i < CHILDREN; i++) {
        fflush(stdout);
        pids[i] = fork();
        CHECK(pids[i] >= 0);
        if (pids[i] == 0) {
            _exit(child(e, path, parent_id, 100 + (uint64_t)i));
        }
    }
    for (i = 0; i < 10; i++) {
        create_logged_in(e, 1, id);
    }
    for (i = 0; i < CHILDREN; i++) {
        int status = 0;
        CHECK(waitpid(pids[i], &status, 0) == pids[i]);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    EXPECT(authkv_session_load(e, parent_id, strlen(parent_id), &s), AUTHKV_OK);
    authkv_session_free(s);
    for (i = 0; i < CHILDREN; i++) {
        EXPECT(authkv_session_list_user(e, 100 + (uint64_t)i, &list), AUTHKV_OK);
        CHECK(list->len == SESSIONS_PER_CHILD);
        authkv_session_list_free(list);
    }
    EXPECT(authkv_verify(e, &problems, NULL), AUTHKV_OK);
    CHECK(problems == 0);
    EXPECT(authkv_close(e), AUTHKV_OK);
    forks_while_another_thread_opens_and_closes(argv[1]);
    printf("fork: ok\n");
    return 0;
}
