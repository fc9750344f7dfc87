/* CMS AuthEnvelopedData (AES-256-GCM): what we encrypt, `openssl cms -decrypt` opens; what
 * `openssl cms -encrypt` makes, we open; any change, truncation or wrong key is refused; 100 MB go
 * through both ways in bounded memory. The keys and certificates are made by `openssl req`. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "envelope_impl.h"

typedef struct {
    char *dir;
    X509 *rsa_cert, *ec_cert, *other_cert;
    EVP_PKEY *rsa_key, *ec_key, *other_key;
} keys;

static keys K;

static char *at(const char *name) { return test_path(K.dir, name); }

static void run_ok(const char *cmd)
{
    bool ok = false;
    g_free(test_run(cmd, &ok));
    if (!ok)
        fail_msg("command failed: %s", cmd);
}

static void make_pair(const char *name, const char *newkey, X509 **cert, EVP_PKEY **key)
{
    char *cmd = g_strdup_printf("cd '%s' && openssl req -x509 -newkey %s -nodes -subj /CN=%s "
                                "-days 2 -keyout %s.key -out %s.pem 2>/dev/null",
                                K.dir, newkey, name, name, name);
    run_ok(cmd);
    g_free(cmd);
    char *path = g_strdup_printf("%s/%s.pem", K.dir, name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    *cert = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    g_free(path);
    path = g_strdup_printf("%s/%s.key", K.dir, name);
    f = fopen(path, "r");
    assert_non_null(f);
    *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    g_free(path);
    assert_non_null(*cert);
    assert_non_null(*key);
}

static int setup(void **state)
{
    (void)state;
    test_need_tool("openssl");
    K.dir = test_tmpdir("envelope");
    make_pair("rsa", "rsa:2048", &K.rsa_cert, &K.rsa_key);
    make_pair("ec", "ec -pkeyopt ec_paramgen_curve:P-256", &K.ec_cert, &K.ec_key);
    make_pair("other", "rsa:2048", &K.other_cert, &K.other_key);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    X509_free(K.rsa_cert);
    X509_free(K.ec_cert);
    X509_free(K.other_cert);
    EVP_PKEY_free(K.rsa_key);
    EVP_PKEY_free(K.ec_key);
    EVP_PKEY_free(K.other_key);
    test_rmtree(K.dir);
    g_free(K.dir);
    return 0;
}

/* Sinks and sources. */
static sh_status file_sink(void *ctx, const uint8_t *buf, size_t len, sh_error *err)
{
    if (fwrite(buf, 1, len, ctx) != len)
        return sh_fail(err, SH_INTERNAL, "write failed");
    return SH_OK;
}

static sh_status array_sink(void *ctx, const uint8_t *buf, size_t len, sh_error *err)
{
    (void)err;
    g_byte_array_append(ctx, buf, (guint)len);
    return SH_OK;
}

static sh_status file_source(void *ctx, uint8_t *buf, size_t cap, size_t *got, sh_error *err)
{
    *got = fread(buf, 1, cap, ctx);
    if (*got == 0 && ferror(ctx))
        return sh_fail(err, SH_INPUT, "read failed");
    return SH_OK;
}

typedef struct {
    const uint8_t *data;
    size_t len, pos;
} mem_source_ctx;

static sh_status mem_source(void *ctx, uint8_t *buf, size_t cap, size_t *got, sh_error *err)
{
    (void)err;
    mem_source_ctx *m = ctx;
    size_t n = m->len - m->pos < cap ? m->len - m->pos : cap;
    n = n > 7777 ? 7777 : n; /* odd pieces: the reader must not depend on where reads end */
    memcpy(buf, m->data + m->pos, n);
    m->pos += n;
    *got = n;
    return SH_OK;
}

static void plaintext(uint8_t *buf, size_t len, uint32_t seed)
{
    for (size_t i = 0; i < len; i++) {
        seed = seed * 1103515245u + 12345u;
        buf[i] = (uint8_t)(seed >> 16);
    }
}

/* Encrypt data to the given recipients into the file name (in the scratch folder). */
static void encrypt_to(const char *name, X509 *const *certs, int n, const uint8_t *data, size_t len)
{
    char *path = at(name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    sh_error err;
    up_envelope_writer *w = up_envelope_begin(certs, n, file_sink, f, &err);
    assert_non_null(w);
    for (size_t off = 0; off < len;) { /* uneven writes */
        size_t part = len - off < 10000 ? len - off : 10000 - off % 77;
        assert_int_equal(up_envelope_write(w, data + off, part, &err), SH_OK);
        off += part;
    }
    assert_int_equal(up_envelope_finish(w, &err), SH_OK);
    assert_int_equal(fclose(f), 0);
    g_free(path);
}

/* Our decryption of bytes; the plaintext in *out (g_byte_array_unref), the status returned. */
static sh_status decrypt_bytes(const uint8_t *env, size_t len, X509 *cert, EVP_PKEY *key,
                               GByteArray **out, sh_error *err)
{
    mem_source_ctx m = {env, len, 0};
    *out = g_byte_array_new();
    return up_envelope_decrypt(mem_source, &m, cert, key, array_sink, *out, err);
}

static void decrypt_file_expect(const char *name, X509 *cert, EVP_PKEY *key, const uint8_t *data,
                                size_t len)
{
    char *path = at(name);
    size_t n = 0;
    char *env = test_slurp(path, &n);
    GByteArray *out = NULL;
    sh_error err = {0};
    sh_status st = decrypt_bytes((const uint8_t *)env, n, cert, key, &out, &err);
    if (st != SH_OK)
        fail_msg("%s: %s", name, err.msg);
    assert_int_equal(out->len, len);
    assert_memory_equal(out->data, data, len);
    g_byte_array_unref(out);
    g_free(env);
    g_free(path);
}

/* (a) Our envelope to an RSA and an EC recipient: openssl opens it with either key, and shows
 * RSA-OAEP with SHA-256 and the ECDH SHA-256 KDF with AES-256 key wrap. */
static void openssl_opens_our_envelope(void **state)
{
    (void)state;
    size_t len = 300000;
    uint8_t *data = g_malloc(len);
    plaintext(data, len, 1);
    X509 *certs[] = {K.rsa_cert, K.ec_cert};
    encrypt_to("ours.cms", certs, 2, data, len);
    char *plain = at("plain.bin");
    test_write(plain, (const char *)data, len);
    for (int i = 0; i < 2; i++) {
        const char *who = i == 0 ? "rsa" : "ec";
        char *cmd = g_strdup_printf("cd '%s' && openssl cms -decrypt -binary -inform DER -in "
                                    "ours.cms -recip %s.pem -inkey %s.key -out out-%s.bin && cmp "
                                    "out-%s.bin plain.bin",
                                    K.dir, who, who, who, who);
        run_ok(cmd);
        g_free(cmd);
    }
    char *cmd = g_strdup_printf("openssl cms -cmsout -print -inform DER -in '%s/ours.cms'", K.dir);
    bool ok = false;
    char *dump = test_run(cmd, &ok);
    assert_true(ok);
    test_assert_contains(dump, "authEnvelopedData");
    test_assert_contains(dump, "rsaesOaep");
    test_assert_contains(dump, ":sha256");
    test_assert_contains(dump, ":mgf1");
    test_assert_contains(dump, "dhSinglePass-stdDH-sha256kdf-scheme");
    test_assert_contains(dump, "id-aes256-wrap");
    test_assert_contains(dump, "aes-256-gcm");
    g_free(dump);
    g_free(cmd);
    /* And we open it with either key too. */
    decrypt_file_expect("ours.cms", K.rsa_cert, K.rsa_key, data, len);
    decrypt_file_expect("ours.cms", K.ec_cert, K.ec_key, data, len);
    g_free(plain);
    g_free(data);
}

/* (b) openssl's envelopes, DER and streamed BER, RSA-OAEP and ECDH: we open them. */
static void we_open_openssl_envelopes(void **state)
{
    (void)state;
    size_t len = 123457;
    uint8_t *data = g_malloc(len);
    plaintext(data, len, 2);
    char *plain = at("plain2.bin");
    test_write(plain, (const char *)data, len);
    const char *variants[][2] = {
        {"rsa", "-keyopt rsa_padding_mode:oaep -keyopt rsa_oaep_md:sha256 "
                "-keyopt rsa_mgf1_md:sha256"},
        {"ec", "-keyopt ecdh_kdf_md:sha256"},
    };
    for (int v = 0; v < 2; v++) {
        for (int stream = 0; stream < 2; stream++) {
            const char *who = variants[v][0];
            char *name = g_strdup_printf("theirs-%s-%d.cms", who, stream);
            char *cmd = g_strdup_printf(
                "cd '%s' && openssl cms -encrypt -binary -aes-256-gcm %s -in plain2.bin -recip "
                "%s.pem %s -outform DER -out %s",
                K.dir, stream ? "-stream" : "", who, variants[v][1], name);
            run_ok(cmd);
            decrypt_file_expect(name, v == 0 ? K.rsa_cert : K.ec_cert,
                                v == 0 ? K.rsa_key : K.ec_key, data, len);
            g_free(cmd);
            g_free(name);
        }
    }
    g_free(plain);
    g_free(data);
}

static void expect_refused(const uint8_t *env, size_t len, X509 *cert, EVP_PKEY *key,
                           const char *message)
{
    GByteArray *out = NULL;
    sh_error err = {0};
    assert_int_equal(decrypt_bytes(env, len, cert, key, &out, &err), SH_INPUT);
    test_assert_contains(err.msg, message);
    g_byte_array_unref(out); /* a caller discards what its sink got */
}

/* (c) A flipped ciphertext or tag byte, a cut file, the wrong key: each refused as such. */
static void changes_cuts_and_wrong_keys_are_refused(void **state)
{
    (void)state;
    size_t len = 100000;
    uint8_t *data = g_malloc(len);
    plaintext(data, len, 3);
    X509 *certs[] = {K.rsa_cert};
    encrypt_to("tamper.cms", certs, 1, data, len);
    char *path = at("tamper.cms");
    size_t n = 0;
    uint8_t *env = (uint8_t *)test_slurp(path, &n);
    /* The tag: 04 10 <16 bytes>, then the end-of-contents of three indefinite lengths. */
    assert_int_equal(env[n - 6 - 18], 0x04);
    assert_int_equal(env[n - 6 - 17], 0x10);
    env[n / 2] ^= 0x01;
    expect_refused(env, n, K.rsa_cert, K.rsa_key, "altered or damaged");
    env[n / 2] ^= 0x01;
    env[n - 6 - 3] ^= 0x80;
    expect_refused(env, n, K.rsa_cert, K.rsa_key, "altered or damaged");
    env[n - 6 - 3] ^= 0x80;
    expect_refused(env, n - 1, K.rsa_cert, K.rsa_key, "truncated");
    expect_refused(env, n / 2, K.rsa_cert, K.rsa_key, "truncated");
    expect_refused(env, 40, K.rsa_cert, K.rsa_key, "truncated");
    expect_refused(env, n, K.other_cert, K.other_key, "not encrypted for this key");
    expect_refused(env, n, K.rsa_cert, K.other_key, "not encrypted for this key");
    expect_refused(env, n, K.ec_cert, K.ec_key, "not encrypted for this key");
    /* Intact, it opens. */
    GByteArray *out = NULL;
    sh_error err = {0};
    assert_int_equal(decrypt_bytes(env, n, K.rsa_cert, K.rsa_key, &out, &err), SH_OK);
    assert_int_equal(out->len, len);
    g_byte_array_unref(out);
    /* Not an AuthEnvelopedData (a signed file, say). */
    static const uint8_t signed_data[] = {0x30, 0x80, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86,
                                          0xF7, 0x0D, 0x01, 0x07, 0x02, 0xA0, 0x80};
    expect_refused(signed_data, sizeof signed_data, K.rsa_cert, K.rsa_key, "not encrypted the way");
    g_free(env);
    g_free(path);
    g_free(data);
}

/* The AES-CBC EnvelopedData of older tools is refused as not ours. */
static void cbc_envelopes_are_refused(void **state)
{
    (void)state;
    char *cmd = g_strdup_printf("cd '%s' && printf hello > hello.txt && openssl cms -encrypt "
                                "-binary -aes-256-cbc -in hello.txt -recip rsa.pem -outform DER "
                                "-out cbc.cms",
                                K.dir);
    run_ok(cmd);
    char *path = at("cbc.cms");
    size_t n = 0;
    uint8_t *env = (uint8_t *)test_slurp(path, &n);
    expect_refused(env, n, K.rsa_cert, K.rsa_key, "not encrypted the way");
    g_free(env);
    g_free(path);
    g_free(cmd);
}

static sh_status full_disk(void *ctx, const uint8_t *buf, size_t len, sh_error *err)
{
    (void)buf;
    size_t *room = ctx;
    if (len > *room)
        return sh_fail(err, SH_INTERNAL, "the disk is full");
    *room -= len;
    return SH_OK;
}

/* A sink's failure (disk full) stops encryption and decryption with the sink's own message. */
static void sink_failures_are_reported(void **state)
{
    (void)state;
    uint8_t data[50000];
    plaintext(data, sizeof data, 4);
    X509 *certs[] = {K.rsa_cert};
    size_t room = 20000;
    sh_error err = {0};
    up_envelope_writer *w = up_envelope_begin(certs, 1, full_disk, &room, &err);
    assert_non_null(w);
    sh_status st = up_envelope_write(w, data, sizeof data, &err);
    if (st == SH_OK)
        st = up_envelope_finish(w, &err);
    else
        up_envelope_abort(w);
    assert_int_equal(st, SH_INTERNAL);
    test_assert_contains(err.msg, "the disk is full");
    encrypt_to("sinkfail.cms", certs, 1, data, sizeof data);
    char *path = at("sinkfail.cms");
    size_t n = 0;
    char *env = test_slurp(path, &n);
    mem_source_ctx m = {(const uint8_t *)env, n, 0};
    room = 1000;
    memset(&err, 0, sizeof err);
    assert_int_equal(
        up_envelope_decrypt(mem_source, &m, K.rsa_cert, K.rsa_key, full_disk, &room, &err),
        SH_INTERNAL);
    test_assert_contains(err.msg, "the disk is full");
    g_free(env);
    g_free(path);
}

/* Recipients sohoa does not encrypt to (EC P-384, too many) are refused before any output. */
static void unsupported_recipients_are_refused(void **state)
{
    (void)state;
    X509 *p384 = NULL;
    EVP_PKEY *p384_key = NULL;
    make_pair("p384", "ec -pkeyopt ec_paramgen_curve:P-384", &p384, &p384_key);
    size_t room = 0;
    sh_error err = {0};
    X509 *certs[17];
    certs[0] = K.rsa_cert;
    certs[1] = p384;
    assert_null(up_envelope_begin(certs, 2, full_disk, &room, &err));
    test_assert_contains(err.msg, "recipient certificate 2 has neither an RSA nor an EC P-256");
    for (int i = 0; i < 17; i++)
        certs[i] = K.rsa_cert;
    assert_null(up_envelope_begin(certs, 17, full_disk, &room, &err));
    X509_free(p384);
    EVP_PKEY_free(p384_key);
}

static long peak_rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    assert_non_null(f);
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

static void reset_peak_rss(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    assert_non_null(f);
    assert_true(fputs("5", f) >= 0);
    assert_int_equal(fclose(f), 0);
}

typedef struct {
    EVP_MD_CTX *md;
    size_t len;
} hash_sink_ctx;

static sh_status hash_sink(void *ctx, const uint8_t *buf, size_t len, sh_error *err)
{
    (void)err;
    hash_sink_ctx *h = ctx;
    h->len += len;
    return EVP_DigestUpdate(h->md, buf, len) == 1 ? SH_OK : SH_INTERNAL;
}

/* (d) 100 MB encrypted to a file and decrypted into a hash, peak RSS growing by under 32 MiB. */
static void hundred_megabytes_in_bounded_memory(void **state)
{
    (void)state;
    enum { CHUNK = 1 << 20, CHUNKS = 100 };
    uint8_t *chunk = g_malloc(CHUNK);
    uint8_t want[32], got[32];
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestInit_ex(md, EVP_sha256(), NULL), 1);
    char *path = at("big.cms");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    X509 *certs[] = {K.rsa_cert, K.ec_cert};
    sh_error err;
    reset_peak_rss();
    long base = peak_rss_kib();
    up_envelope_writer *w = up_envelope_begin(certs, 2, file_sink, f, &err);
    assert_non_null(w);
    for (uint32_t i = 0; i < CHUNKS; i++) {
        plaintext(chunk, CHUNK, i);
        assert_int_equal(EVP_DigestUpdate(md, chunk, CHUNK), 1);
        assert_int_equal(up_envelope_write(w, chunk, CHUNK, &err), SH_OK);
    }
    assert_int_equal(up_envelope_finish(w, &err), SH_OK);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(EVP_DigestFinal_ex(md, want, NULL), 1);
    long enc_peak = peak_rss_kib() - base;
    reset_peak_rss();
    base = peak_rss_kib();
    f = fopen(path, "rb");
    assert_non_null(f);
    hash_sink_ctx h = {EVP_MD_CTX_new(), 0};
    assert_int_equal(EVP_DigestInit_ex(h.md, EVP_sha256(), NULL), 1);
    sh_status st = up_envelope_decrypt(file_source, f, K.ec_cert, K.ec_key, hash_sink, &h, &err);
    if (st != SH_OK)
        fail_msg("%s", err.msg);
    fclose(f);
    long dec_peak = peak_rss_kib() - base;
    assert_int_equal(EVP_DigestFinal_ex(h.md, got, NULL), 1);
    assert_int_equal(h.len, (size_t)CHUNK * CHUNKS);
    assert_memory_equal(got, want, 32);
    print_message("100 MB: peak RSS growth encrypt %ld KiB, decrypt %ld KiB\n", enc_peak, dec_peak);
    assert_true(enc_peak < 32 * 1024);
    assert_true(dec_peak < 32 * 1024);
    EVP_MD_CTX_free(h.md);
    EVP_MD_CTX_free(md);
    g_free(path);
    g_free(chunk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(openssl_opens_our_envelope),
        cmocka_unit_test(we_open_openssl_envelopes),
        cmocka_unit_test(changes_cuts_and_wrong_keys_are_refused),
        cmocka_unit_test(cbc_envelopes_are_refused),
        cmocka_unit_test(sink_failures_are_reported),
        cmocka_unit_test(unsupported_recipients_are_refused),
        cmocka_unit_test(hundred_megabytes_in_bounded_memory),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
