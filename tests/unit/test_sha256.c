/* SHA-256: the NIST FIPS 180-2 vectors through sh_sha256_buf and sh_sha256_file, file hashing
 * across the 256 KiB read-chunk boundaries, the errors for missing, folder and unreadable
 * inputs, and sh_hex. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>

#define CHUNK (256 * 1024)

static const char *const ABC_448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

static void hex_of(const uint8_t digest[SH_SHA256_LEN], char out[SH_SHA256_HEX_LEN + 1])
{
    sh_hex(digest, SH_SHA256_LEN, out);
}

static void assert_buf_hash(const void *data, size_t len, const char *expected_hex)
{
    uint8_t d[SH_SHA256_LEN];
    char hex[SH_SHA256_HEX_LEN + 1];
    sh_sha256_buf(data, len, d);
    hex_of(d, hex);
    assert_string_equal(hex, expected_hex);
}

static void assert_file_hash(const char *path, const char *expected_hex)
{
    uint8_t d[SH_SHA256_LEN];
    char hex[SH_SHA256_HEX_LEN + 1];
    sh_error err;
    sh_error_clear(&err);
    sh_status st = sh_sha256_file(path, d, &err);
    if (st != SH_OK)
        print_error("sh_sha256_file: %s\n", err.msg);
    assert_int_equal(st, SH_OK);
    hex_of(d, hex);
    assert_string_equal(hex, expected_hex);
}

/* Deterministic non-repeating bytes, so a dropped, repeated or reordered chunk changes the hash. */
static char *pattern(size_t len)
{
    char *p = g_malloc(len ? len : 1);
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (char)(x & 0xff);
    }
    return p;
}

/* ---- NIST vectors ---- */

static void buf_nist_vectors(void **state)
{
    (void)state;
    assert_buf_hash("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_buf_hash("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_buf_hash(ABC_448, strlen(ABC_448),
                    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    char *million = g_malloc(1000000);
    memset(million, 'a', 1000000);
    assert_buf_hash(million, 1000000,
                    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    g_free(million);
}

static void file_nist_vectors(void **state)
{
    const char *dir = *state;
    char *p = test_path(dir, "empty");
    test_write(p, "", 0);
    assert_file_hash(p, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    g_free(p);

    p = test_path(dir, "abc");
    test_write(p, "abc", 3);
    assert_file_hash(p, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    g_free(p);

    p = test_path(dir, "448");
    test_write(p, ABC_448, strlen(ABC_448));
    assert_file_hash(p, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    g_free(p);

    /* One million 'a': spans several read chunks. */
    p = test_path(dir, "million");
    char *million = g_malloc(1000000);
    memset(million, 'a', 1000000);
    test_write(p, million, 1000000);
    g_free(million);
    assert_file_hash(p, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    g_free(p);
}

/* ---- file = buffer across chunk boundaries ---- */

static void file_matches_buf_at_chunk_boundaries(void **state)
{
    const char *dir = *state;
    const size_t sizes[] = {0,  1,  CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * 1024 * 1024 + 7,
                            55, 56, 64};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        size_t n = sizes[i];
        char *data = pattern(n);
        char name[64];
        snprintf(name, sizeof name, "size-%zu", n);
        char *p = test_path(dir, name);
        test_write(p, data, n);

        uint8_t from_buf[SH_SHA256_LEN], from_file[SH_SHA256_LEN];
        sh_sha256_buf(data, n, from_buf);
        sh_error err;
        sh_error_clear(&err);
        assert_int_equal(sh_sha256_file(p, from_file, &err), SH_OK);
        if (memcmp(from_buf, from_file, SH_SHA256_LEN) != 0)
            fail_msg("file and buffer hashes differ for %zu bytes", n);
        g_free(p);
        g_free(data);
    }
}

/* ---- errors ---- */

static void missing_file_is_input_error_naming_path(void **state)
{
    const char *dir = *state;
    char *p = test_path(dir, "không có.pdf");
    uint8_t d[SH_SHA256_LEN];
    sh_error err;
    sh_error_clear(&err);
    assert_int_equal(sh_sha256_file(p, d, &err), SH_INPUT);
    assert_int_equal(err.status, SH_INPUT);
    assert_non_null(strstr(err.msg, p));
    g_free(p);
}

static void folder_is_input_error_naming_path(void **state)
{
    const char *dir = *state;
    char *p = test_path(dir, "folder");
    assert_int_equal(mkdir(p, 0755), 0);
    uint8_t d[SH_SHA256_LEN];
    sh_error err;
    sh_error_clear(&err);
    assert_int_equal(sh_sha256_file(p, d, &err), SH_INPUT);
    assert_int_equal(err.status, SH_INPUT);
    assert_non_null(strstr(err.msg, p));
    g_free(p);
}

static void null_err_still_returns_status(void **state)
{
    const char *dir = *state;
    char *p = test_path(dir, "missing");
    uint8_t d[SH_SHA256_LEN];
    assert_int_equal(sh_sha256_file(p, d, NULL), SH_INPUT);
    g_free(p);
}

/* Hash an unreadable file; returns the status, or -1 when the child could not run the check. */
static int hash_unreadable_as_nobody(const char *path)
{
    /* root reads any file, so drop to an unprivileged user in a child process. */
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        struct stat sb;
        if (setgid(65534) != 0 || setuid(65534) != 0 || stat(path, &sb) != 0)
            _exit(100); /* cannot drop privileges, or cannot even reach the file */
        uint8_t d[SH_SHA256_LEN];
        sh_error err;
        sh_error_clear(&err);
        sh_status st = sh_sha256_file(path, d, &err);
        if (st != SH_OK && !strstr(err.msg, path))
            _exit(101);
        _exit((int)st);
    }
    int ws = 0;
    if (waitpid(pid, &ws, 0) != pid || !WIFEXITED(ws) || WEXITSTATUS(ws) == 100)
        return -1;
    return WEXITSTATUS(ws);
}

static void unreadable_file_is_input_error(void **state)
{
    const char *dir = *state;
    char *p = test_path(dir, "secret.pdf");
    test_write(p, "classified", 10);
    assert_int_equal(chmod(p, 0), 0);
    if (geteuid() != 0) {
        uint8_t d[SH_SHA256_LEN];
        sh_error err;
        sh_error_clear(&err);
        assert_int_equal(sh_sha256_file(p, d, &err), SH_INPUT);
        assert_non_null(strstr(err.msg, p));
    } else {
        /* The folder must be traversable by the unprivileged user, so that the refusal comes
         * from the file's own permissions. */
        assert_int_equal(chmod(dir, 0755), 0);
        int st = hash_unreadable_as_nobody(p);
        if (st < 0)
            fail_msg("as root this test runs as user nobody (65534), who cannot reach %s: put "
                     "SOHOA_TEST_TMP where every user can go",
                     p);
        if (st == 101)
            fail_msg("the error message does not name %s", p);
        assert_int_equal(st, SH_INPUT);
    }
    g_free(p);
}

/* ---- sh_hex ---- */

static void hex_is_lowercase_and_terminated(void **state)
{
    (void)state;
    const uint8_t bytes[] = {0x00, 0x01, 0x0f, 0x10, 0x7f, 0x80, 0xab, 0xcd, 0xef, 0xff};
    char out[2 * sizeof bytes + 1 + 4];
    memset(out, '#', sizeof out);
    sh_hex(bytes, sizeof bytes, out);
    assert_string_equal(out, "00010f107f80abcdefff");
    /* Nothing written past the terminator. */
    assert_memory_equal(out + 2 * sizeof bytes + 1, "####", 4);

    char empty[3] = {'#', '#', '#'};
    sh_hex(bytes, 0, empty);
    assert_int_equal(empty[0], '\0');
    assert_int_equal(empty[1], '#');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(buf_nist_vectors),
        cmocka_unit_test_setup_teardown(file_nist_vectors, test_setup_tmpdir, test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(file_matches_buf_at_chunk_boundaries, test_setup_tmpdir,
                                        test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(missing_file_is_input_error_naming_path, test_setup_tmpdir,
                                        test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(folder_is_input_error_naming_path, test_setup_tmpdir,
                                        test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(null_err_still_returns_status, test_setup_tmpdir,
                                        test_teardown_tmpdir),
        cmocka_unit_test_setup_teardown(unreadable_file_is_input_error, test_setup_tmpdir,
                                        test_teardown_tmpdir),
        cmocka_unit_test(hex_is_lowercase_and_terminated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
