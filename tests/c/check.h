/*
 * Helpers shared by the C test programs: status assertions that print the
 * library's message, and engine set-up with a manual clock.
 */
#ifndef AUTHKV_TEST_CHECK_H
#define AUTHKV_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authkv.h"

/* Unix seconds the manual clock starts at. */
#define T0 1700000000ull

/* A string literal as the (pointer, length) pair the API takes. */
#define S(lit) (lit), (sizeof(lit) - 1)

#define CHECK(cond)                                                                     \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);    \
            exit(1);                                                                    \
        }                                                                               \
    } while (0)

/* The call must return `want`. A failure must leave a message, a success none. */
#define EXPECT(call, want) expect_status((call), (want), #call, __FILE__, __LINE__)

static inline void expect_status(authkv_status got, authkv_status want, const char *expr,
                                 const char *file, int line) {
    const char *message = authkv_last_error();
    if (got != want) {
        fprintf(stderr, "%s:%d: %s\n  returned %u (%s), expected %u (%s)\n  last error: %s\n",
                file, line, expr, (unsigned)got, authkv_status_str(got), (unsigned)want,
                authkv_status_str(want), message);
        exit(1);
    }
    if (message == NULL) {
        fprintf(stderr, "%s:%d: %s: authkv_last_error() returned NULL\n", file, line, expr);
        exit(1);
    }
    if (want != AUTHKV_OK && message[0] == '\0') {
        fprintf(stderr, "%s:%d: %s failed with %u but left no message\n", file, line, expr,
                (unsigned)got);
        exit(1);
    }
    if (want == AUTHKV_OK && message[0] != '\0') {
        fprintf(stderr, "%s:%d: %s succeeded but left the message \"%s\"\n", file, line, expr,
                message);
        exit(1);
    }
}

/* The last error must mention `needle`. */
#define EXPECT_MESSAGE(needle)                                                          \
    do {                                                                                \
        if (strstr(authkv_last_error(), (needle)) == NULL) {                            \
            fprintf(stderr, "%s:%d: last error \"%s\" does not mention \"%s\"\n",       \
                    __FILE__, __LINE__, authkv_last_error(), (needle));                 \
            exit(1);                                                                    \
        }                                                                               \
    } while (0)

/* dir + "/" + name into `out`. */
static inline void join_path(char *out, size_t size, const char *dir, const char *name) {
    int n = snprintf(out, size, "%s/%s", dir, name);
    CHECK(n > 0 && (size_t)n < size);
}

/* Options used by the tests: a manual clock at T0, no fsync, and argon2
 * costs low enough that password tests stay fast under the sanitizers. */
static inline authkv_options test_options(void) {
    authkv_options options;
    EXPECT(authkv_options_default(&options), AUTHKV_OK);
    options.manual_clock = true;
    options.manual_clock_start = T0;
    options.durable_commits = false;
    options.exclusive = true; /* this process alone: commits without fsync */
    options.argon2_m_cost = 64;
    options.argon2_t_cost = 1;
    options.argon2_p_cost = 1;
    return options;
}

/* A (pointer, length) view holds exactly `text`. */
static inline int view_is(const char *ptr, size_t len, const char *text) {
    return ptr != NULL && len == strlen(text) && memcmp(ptr, text, len) == 0 && ptr[len] == '\0';
}

/* A header request: every header absent, the method set. */
static inline authkv_request request_for(const char *method) {
    authkv_request r;
    memset(&r, 0, sizeof r);
    r.method = method;
    r.method_len = strlen(method);
    return r;
}

/* The file's tables and indexes agree. */
static inline void expect_consistent(authkv_engine *e) {
    size_t problems = 99;
    authkv_string *report = NULL;
    EXPECT(authkv_verify(e, &problems, &report), AUTHKV_OK);
    if (problems != 0) {
        fprintf(stderr, "verify found %zu problems:\n%s\n", problems, report->text.ptr);
        exit(1);
    }
    CHECK(report != NULL && report->text.ptr != NULL && report->text.len == 0);
    authkv_string_free(report);
}

static inline authkv_engine *open_at(const char *path, const authkv_options *options) {
    authkv_engine *engine = NULL;
    EXPECT(authkv_open(path, strlen(path), options, &engine), AUTHKV_OK);
    CHECK(engine != NULL);
    return engine;
}

static inline int is_alnum_text(const char *s, size_t len) {
    size_t i;
    if (strlen(s) != len) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
            return 0;
        }
    }
    return 1;
}

#endif /* AUTHKV_TEST_CHECK_H */
