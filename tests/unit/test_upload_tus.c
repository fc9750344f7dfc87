/* The tus 1.0.0 client (upload/tus*.c) against tests/tus_server.py, a minimal tus server on
 * loopback that injects the faults of a hostile network on a chosen PATCH: each behaviour of
 * issue 16's protocol list, the bytes on the server compared with ours. */
#include "testutil.h"

#include <glib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tus_impl.h"

#define CHUNK (128u * 1024u)
#define SIZE (CHUNK * 9u + 1000u) /* ten PATCHes, the last one short */

typedef struct {
    GPid pid;
    char endpoint[64];
} server;

static char *script_path(void)
{
    char *dir = g_path_get_dirname(__FILE__); /* tests/unit */
    char *path = g_build_filename(dir, "..", "tus_server.py", NULL);
    g_free(dir);
    return path;
}

/* Starts the server on dir with flags (NULL-terminated), and reads its port. */
static void server_start(server *s, const char *dir, const char *const *flags)
{
    test_need_tool("python3");
    char *script = script_path();
    const char *argv[32] = {"python3", script, "--dir", dir};
    size_t n = 4;
    for (; flags && *flags && n < 31; flags++)
        argv[n++] = *flags;
    argv[n] = NULL;
    int out = -1;
    GError *error = NULL;
    gboolean ok = g_spawn_async_with_pipes(NULL, (char **)argv, NULL,
                                           G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
                                               G_SPAWN_STDERR_TO_DEV_NULL,
                                           NULL, NULL, &s->pid, NULL, &out, NULL, &error);
    if (!ok)
        fail_msg("cannot start %s: %s", script, error->message);
    g_free(script);
    char line[32];
    size_t len = 0;
    while (len < sizeof line - 1 && read(out, line + len, 1) == 1 && line[len] != '\n')
        len++;
    line[len] = '\0';
    close(out);
    assert_true(len > 0);
    g_snprintf(s->endpoint, sizeof s->endpoint, "http://127.0.0.1:%s/files/", line);
}

static void server_stop(server *s)
{
    kill(s->pid, SIGTERM);
    int status;
    waitpid(s->pid, &status, 0);
    g_spawn_close_pid(s->pid);
}

/* What the stored-URL callback saw. */
typedef struct {
    char url[UP_TUS_URL_MAX];
    unsigned calls, replaced;
} stored_log;

static sh_status on_stored(void *ctx, const char *url, bool replaced, sh_error *err)
{
    (void)err;
    stored_log *log = ctx;
    g_strlcpy(log->url, url, sizeof log->url);
    log->calls++;
    log->replaced += replaced;
    return SH_OK;
}

static up_tus_options options(const server *s, stored_log *log)
{
    return (up_tus_options){.endpoint = s->endpoint,
                            .chunk_size = CHUNK,
                            .stall_seconds = 1,
                            .give_up_after = 20,
                            .backoff_ms = 50,
                            .stored = on_stored,
                            .stored_ctx = log};
}

static const up_tus_metadata md = {.package = "HN-0001-2026-000042",
                                   .volume = 1,
                                   .volumes = 2,
                                   .org = "HN-0001",
                                   .filename = "vol1.zip.p7m",
                                   .sha256 = "00ff"};

/* A volume of SIZE pseudo-random bytes in dir; returns its path (g_free). */
static char *make_volume(const char *dir)
{
    char *path = test_path(dir, "vol1.zip.p7m");
    char *data = g_malloc(SIZE);
    GRand *rand = g_rand_new_with_seed(16);
    for (size_t i = 0; i < SIZE; i++)
        data[i] = (char)g_rand_int_range(rand, 0, 256);
    g_rand_free(rand);
    test_write(path, data, SIZE);
    g_free(data);
    return path;
}

/* The server's copy of the upload at url, compared with the file at path. */
static void assert_same(const char *srv_dir, const char *url, const char *path)
{
    const char *id = strrchr(url, '/');
    assert_non_null(id);
    char *name = g_strconcat(id + 1, ".bin", NULL);
    char *copy = test_path(srv_dir, name);
    size_t a_len, b_len;
    char *a = test_slurp(copy, &a_len), *b = test_slurp(path, &b_len);
    assert_int_equal(a_len, b_len);
    assert_memory_equal(a, b, a_len);
    g_free(a);
    g_free(b);
    g_free(copy);
    g_free(name);
}

static double now_s(void) { return (double)g_get_monotonic_time() / G_USEC_PER_SEC; }

/* A fresh upload, every chunk checksummed (the server requires it), byte-identical on the server
 * with its metadata; again with the stored URL: already complete, nothing sent. */
static void test_full(void **state)
{
    const char *tmp = *state;
    char *srv = test_mkdirs(tmp, "srv"), *vol = make_volume(tmp);
    server s;
    const char *const flags[] = {"--require-checksum", NULL};
    server_start(&s, srv, flags);
    stored_log log = {0};
    up_tus_caps caps = {0};
    up_tus_options o = options(&s, &log);
    o.caps = &caps;
    up_tus_result res;
    sh_error err;
    assert_int_equal(up_tus_upload(&o, vol, &md, NULL, &res, &err), SH_OK);
    assert_true(caps.known && caps.sha256 && caps.creation && caps.termination);
    assert_int_equal(res.bytes_sent, SIZE);
    assert_int_equal(res.offset, SIZE);
    assert_true(res.created && !res.already_complete && res.retries == 0);
    assert_int_equal(log.calls, 1);
    assert_int_equal(log.replaced, 0);
    assert_string_equal(log.url, res.url);
    assert_true(g_str_has_prefix(res.url, s.endpoint)); /* the relative Location resolved */
    assert_same(srv, res.url, vol);
    char *info_name = g_strconcat(strrchr(res.url, '/') + 1, ".json", NULL);
    char *info_path = test_path(srv, info_name);
    size_t info_len;
    char *info = test_slurp(info_path, &info_len);
    test_assert_contains(info, "\"package\": \"HN-0001-2026-000042\"");
    test_assert_contains(info, "\"volumes\": \"2\"");
    test_assert_contains(info, "\"filename\": \"vol1.zip.p7m\"");

    up_tus_result again;
    assert_int_equal(up_tus_upload(&o, vol, &md, res.url, &again, &err), SH_OK);
    assert_true(again.already_complete && !again.created);
    assert_int_equal(again.bytes_sent, 0);
    assert_int_equal(log.calls, 1);

    /* Termination: the upload is gone, and terminating it again is no error. */
    assert_int_equal(up_tus_terminate(&o, res.url, &err), SH_OK);
    assert_false(g_file_test(info_path, G_FILE_TEST_EXISTS));
    assert_int_equal(up_tus_terminate(&o, res.url, &err), SH_OK);
    server_stop(&s);
    g_free(info);
    g_free(info_path);
    g_free(info_name);
    g_free(srv);
    g_free(vol);
}

/* A 400 stops the upload for good; a restarted server and the stored URL resume it from the
 * server's offset, sending no more than the rest and one chunk. */
static void test_stop_and_resume(void **state)
{
    const char *tmp = *state;
    char *srv = test_mkdirs(tmp, "srv"), *vol = make_volume(tmp);
    server s;
    const char *const stop[] = {"--fault", "400@4", NULL};
    server_start(&s, srv, stop);
    stored_log log = {0};
    up_tus_options o = options(&s, &log);
    up_tus_result res;
    sh_error err;
    double t0 = now_s();
    assert_int_equal(up_tus_upload(&o, vol, &md, NULL, &res, &err), SH_INPUT);
    assert_true(now_s() - t0 < 2.0); /* at once: no retries */
    assert_false(res.retryable);
    test_assert_contains(err.msg, "400");
    test_assert_contains(err.msg, vol);
    assert_int_equal(res.offset, 3 * CHUNK);
    assert_string_equal(res.url, log.url);
    server_stop(&s);

    server_start(&s, srv, NULL);
    o = options(&s, &log);
    char url[UP_TUS_URL_MAX];
    /* The same upload under the new port: a restarted server keeps its uploads. */
    g_snprintf(url, sizeof url, "%s%s", s.endpoint, strrchr(log.url, '/') + 1);
    up_tus_result again;
    assert_int_equal(up_tus_upload(&o, vol, &md, url, &again, &err), SH_OK);
    assert_false(again.created || again.already_complete);
    assert_int_equal(log.calls, 1);
    assert_true(again.bytes_sent <= SIZE - 3 * CHUNK + CHUNK);
    assert_int_equal(again.bytes_sent, SIZE - 3 * CHUNK);
    assert_same(srv, url, vol);
    server_stop(&s);
    g_free(srv);
    g_free(vol);
}

/* Retry-After honoured, as delta-seconds (429) and as an HTTP-date (503). */
static void retry_after(const char *tmp, const char *fault, const char *value)
{
    char *srv = test_mkdirs(tmp, fault), *vol = make_volume(tmp);
    server s;
    const char *const flags[] = {"--fault", fault, "--retry-after", value, NULL};
    server_start(&s, srv, flags);
    stored_log log = {0};
    up_tus_options o = options(&s, &log);
    up_tus_result res;
    sh_error err;
    double t0 = now_s();
    assert_int_equal(up_tus_upload(&o, vol, &md, NULL, &res, &err), SH_OK);
    double waited = now_s() - t0;
    if (waited < 1.0) /* the backoff alone is 50 ms: the header was ignored */
        fail_msg("%s with Retry-After %s: done after %.2f s, less than 1 s", fault, value, waited);
    assert_int_equal(res.retries, 1);
    assert_same(srv, res.url, vol);
    server_stop(&s);
    g_free(srv);
    g_free(vol);
}

static void test_retry_after(void **state)
{
    retry_after(*state, "429@2", "1");
    retry_after(*state, "503@3", "date+2");
}

/* Every other fault of a hostile network in one upload: a dropped connection, a stall, a 409
 * with a wrong offset, a 460, a 500, and an upload forgotten (404): created anew, reported, and
 * still byte-identical. */
static void test_faults(void **state)
{
    const char *tmp = *state;
    char *srv = test_mkdirs(tmp, "srv"), *vol = make_volume(tmp);
    server s;
    const char *const flags[] = {"--fault", "drop@2",  "--fault", "stall@4", "--fault",
                                 "409@6",   "--fault", "460@7",   "--fault", "500@8",
                                 "--stall", "9",       NULL};
    server_start(&s, srv, flags);
    stored_log log = {0};
    up_tus_options o = options(&s, &log);
    up_tus_result res;
    sh_error err;
    double t0 = now_s();
    assert_int_equal(up_tus_upload(&o, vol, &md, NULL, &res, &err), SH_OK);
    assert_true(now_s() - t0 < 8.0);
    /* stall and 500 waited; 409 and 460 at once; the drop is waited, unless libcurl resent the
     * chunk itself on a new connection (a reused connection found dead), which is also right. */
    assert_in_range(res.retries, 2, 3);
    assert_true(res.bytes_sent > SIZE);
    assert_int_equal(log.calls, 1);
    assert_same(srv, res.url, vol);
    server_stop(&s);

    const char *const forget[] = {"--fault", "forget@3", NULL};
    server_start(&s, srv, forget);
    o = options(&s, &log);
    assert_int_equal(up_tus_upload(&o, vol, &md, NULL, &res, &err), SH_OK);
    assert_int_equal(log.calls, 3);
    assert_int_equal(log.replaced, 1);
    assert_string_equal(log.url, res.url);
    assert_true(res.created);
    assert_same(srv, res.url, vol);
    server_stop(&s);
    g_free(srv);
    g_free(vol);
}

/* An upload that expired while the station was away: HEAD says 410, a new one is created. */
static void test_expired(void **state)
{
    const char *tmp = *state;
    char *srv = test_mkdirs(tmp, "srv"), *vol = make_volume(tmp);
    server s;
    const char *const stop[] = {"--fault", "400@2", NULL};
    server_start(&s, srv, stop);
    stored_log log = {0};
    up_tus_options o = options(&s, &log);
    up_tus_result res;
    sh_error err;
    assert_int_equal(up_tus_upload(&o, vol, &md, NULL, &res, &err), SH_INPUT);
    server_stop(&s);
    const char *const expire[] = {"--expire-existing", NULL};
    server_start(&s, srv, expire);
    o = options(&s, &log);
    char url[UP_TUS_URL_MAX];
    g_snprintf(url, sizeof url, "%s%s", s.endpoint, strrchr(log.url, '/') + 1);
    assert_int_equal(up_tus_upload(&o, vol, &md, url, &res, &err), SH_OK);
    assert_true(res.created);
    assert_int_equal(log.calls, 2);
    assert_int_equal(log.replaced, 1);
    assert_string_not_equal(res.url, url);
    assert_int_equal(res.bytes_sent, SIZE);
    assert_same(srv, res.url, vol);
    /* A stored URL of another file's upload (another length) is not resumed either. */
    char *other = test_path(tmp, "other.bin");
    test_write(other, "short", 5);
    g_strlcpy(url, res.url, sizeof url);
    assert_int_equal(up_tus_upload(&o, other, &md, url, &res, &err), SH_OK);
    assert_int_equal(log.replaced, 2);
    assert_int_equal(res.bytes_sent, 5);
    server_stop(&s);
    g_free(other);
    g_free(srv);
    g_free(vol);
}

/* Plain HTTP only to loopback; no credentials in URLs; a network that never answers gives up
 * after give_up_after with the state kept (retryable). */
static void test_refusals(void **state)
{
    const char *tmp = *state;
    char *vol = make_volume(tmp);
    sh_error err;
    static const char *const ok[] = {"https://hub.example.vn/files/", "http://127.0.0.1:1/files/",
                                     "http://127.8.9.10/files/", "http://[::1]:8080/files/",
                                     "http://LOCALHOST/files/"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        assert_int_equal(up_tus_check_url(ok[i], "endpoint", &err), SH_OK);
    static const char *const bad[] = {"http://hub.example.vn/files/",
                                      "http://128.0.0.1/files/",
                                      "http://[::2]/files/",
                                      "ftp://127.0.0.1/files/",
                                      "https://user:secret@hub.example.vn/files/",
                                      "",
                                      "files/"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(up_tus_check_url(bad[i], "endpoint", &err), SH_USAGE);

    stored_log log = {0};
    server s = {0};
    g_strlcpy(s.endpoint, "http://hub.example.vn/files/", sizeof s.endpoint);
    up_tus_options o = options(&s, &log);
    up_tus_result res;
    assert_int_equal(up_tus_upload(&o, vol, &md, NULL, &res, &err), SH_USAGE);
    test_assert_contains(err.msg, "http://hub.example.vn/files/");
    /* The server's Location is held to the same rule. */
    char out[UP_TUS_URL_MAX];
    assert_int_equal(up_tus_resolve("http://127.0.0.1:5/files/", "abc", out, &err), SH_OK);
    assert_string_equal(out, "http://127.0.0.1:5/files/abc");
    assert_int_equal(up_tus_resolve("http://127.0.0.1:5/files/", "/up/x?y=1", out, &err), SH_OK);
    assert_string_equal(out, "http://127.0.0.1:5/up/x?y=1");
    assert_int_equal(
        up_tus_resolve("http://127.0.0.1:5/files/", "http://evil.example/x", out, &err), SH_INPUT);

    g_strlcpy(s.endpoint, "http://127.0.0.1:1/files/", sizeof s.endpoint); /* refused */
    o = options(&s, &log);
    o.give_up_after = 1;
    double t0 = now_s();
    assert_int_equal(up_tus_upload(&o, vol, &md, NULL, &res, &err), SH_INTERNAL);
    assert_true(res.retryable && res.retries >= 2);
    assert_true(now_s() - t0 < 3.0);
    test_assert_contains(err.msg, "127.0.0.1:1");
    o.chunk_size = UP_TUS_CHUNK_MAX + 1;
    assert_int_equal(up_tus_upload(&o, vol, &md, NULL, &res, &err), SH_USAGE);
    o.chunk_size = 0;
    o.ca_file = "/nonexistent/ca.pem";
    assert_int_equal(up_tus_upload(&o, vol, &md, NULL, &res, &err), SH_USAGE);
    test_assert_contains(err.msg, "/nonexistent/ca.pem");
    g_free(vol);
}

/* A CA, a server certificate for 127.0.0.1 and a client certificate (mutual TLS), and another
 * CA that signed neither, in dir. */
static void make_pki(const char *dir)
{
    test_need_tool("openssl");
    char *cmd = g_strdup_printf(
        "cd '%s' && k='-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes' && "
        "openssl req -x509 $k -keyout ca.key -out ca.pem -subj /CN=ca -days 2 && "
        "openssl req -x509 $k -keyout other.key -out other.pem -subj /CN=other -days 2 && "
        "openssl req $k -keyout srv.key -out srv.csr -subj /CN=127.0.0.1 && "
        "echo subjectAltName=IP:127.0.0.1 > srv.ext && "
        "openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem "
        "-days 2 -extfile srv.ext && "
        "openssl req $k -keyout cli.key -out cli.csr -subj /CN=station && "
        "echo extendedKeyUsage=clientAuth > cli.ext && "
        "openssl x509 -req -in cli.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out cli.pem "
        "-days 2 -extfile cli.ext",
        dir);
    bool ok;
    g_free(test_run(cmd, &ok));
    assert_true(ok);
    g_free(cmd);
}

/* HTTPS with the receiver's CA and a client certificate; a server certificate from another CA
 * is a configuration error at once, not something to retry. */
static void test_tls(void **state)
{
    const char *tmp = *state;
    char *srv = test_mkdirs(tmp, "srv"), *vol = make_volume(tmp);
    make_pki(tmp);
    char *cert = test_path(tmp, "srv.pem"), *key = test_path(tmp, "srv.key");
    char *ca = test_path(tmp, "ca.pem"), *other = test_path(tmp, "other.pem");
    char *cli = test_path(tmp, "cli.pem"), *cli_key = test_path(tmp, "cli.key");
    server s;
    const char *const flags[] = {"--tls-cert", cert, "--tls-key", key, "--client-ca", ca, NULL};
    server_start(&s, srv, flags);
    char *port = strrchr(s.endpoint, ':') + 1;
    char https[64];
    g_snprintf(https, sizeof https, "https://127.0.0.1:%s", port);
    g_strlcpy(s.endpoint, https, sizeof s.endpoint);
    stored_log log = {0};
    up_tus_options o = options(&s, &log);
    o.ca_file = ca;
    o.client_cert = cli;
    o.client_key = cli_key;
    up_tus_result res;
    sh_error err;
    assert_int_equal(up_tus_upload(&o, vol, &md, NULL, &res, &err), SH_OK);
    assert_true(g_str_has_prefix(res.url, "https://127.0.0.1:"));
    assert_same(srv, res.url, vol);

    o.ca_file = other;
    double t0 = now_s();
    assert_int_equal(up_tus_upload(&o, vol, &md, NULL, &res, &err), SH_USAGE);
    assert_true(now_s() - t0 < 1.0 && res.retries == 0);
    test_assert_contains(err.msg, s.endpoint);
    o.ca_file = ca;
    o.client_cert = o.client_key = NULL; /* the server asks for one */
    o.give_up_after = 1;
    assert_int_not_equal(up_tus_upload(&o, vol, &md, NULL, &res, &err), SH_OK);
    server_stop(&s);
    g_free(cert);
    g_free(key);
    g_free(ca);
    g_free(other);
    g_free(cli);
    g_free(cli_key);
    g_free(srv);
    g_free(vol);
}

/* Header values: bounded integers, Retry-After's two forms. */
static void test_parse(void **state)
{
    (void)state;
    uint64_t v;
    assert_true(up_tus_parse_u64("0", 10, &v) && v == 0);
    assert_true(up_tus_parse_u64("18446744073709551615", UINT64_MAX, &v) && v == UINT64_MAX);
    static const char *const bad[] = {
        "", "-1", "+1", " 1", "1 ", "0x10", "11", "18446744073709551616", "000000000000000000001"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(up_tus_parse_u64(bad[i], 10, &v));
    assert_int_equal(up_tus_retry_after("7", 0), 7);
    assert_int_equal(up_tus_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111770), 7);
    assert_int_equal(up_tus_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111787), 0);
    assert_int_equal(up_tus_retry_after("soon", 0), -1);
    assert_int_equal(up_tus_retry_after("99999999", 0), -1);
    char meta[UP_TUS_METADATA_MAX];
    sh_error err;
    up_tus_metadata m = {.package = "P", .volume = 2};
    assert_int_equal(up_tus_metadata_header(&m, meta, &err), SH_OK);
    assert_string_equal(meta, "package UA==,volume Mg==");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test_setup_teardown(test_full, test_setup_tmpdir, test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(test_stop_and_resume, test_setup_tmpdir,
                                        test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(test_retry_after, test_setup_tmpdir, test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(test_faults, test_setup_tmpdir, test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(test_expired, test_setup_tmpdir, test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(test_refusals, test_setup_tmpdir, test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(test_tls, test_setup_tmpdir, test_teardown_tmpdir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
