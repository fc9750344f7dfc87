/* The PKCS#11 half of sg_key_open: load the token's module, choose the token and the key, log in
 * once for the batch, and sign digests on the token. Everything read from the module is bounded:
 * a token is a device we do not control. */
#include "sign_impl.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>

#include <p11-kit/pkcs11.h>

#define MAX_SLOTS 64
#define MAX_OBJECTS 256
#define MAX_ATTR_BYTES (64u * 1024)
#define MAX_LABEL_SHOWN 64 /* bytes of a label put in a message */
#define TOKEN_LABEL_LEN 32 /* CK_TOKEN_INFO.label: space-padded, not NUL-terminated */

struct sg_token {
    void *lib;
    CK_FUNCTION_LIST_PTR f;
    bool finalize; /* we initialised the module, so we finalise it */
    bool have_session;
    bool logged_in;
    bool login_required; /* CKF_LOGIN_REQUIRED */
    bool pin_pad;        /* CKF_PROTECTED_AUTHENTICATION_PATH: the PIN is typed on the token */
    CK_SLOT_ID slot;
    CK_SESSION_HANDLE session;
    CK_OBJECT_HANDLE key;
    char label[TOKEN_LABEL_LEN + 1];
};

/* The standard's names of the codes a token is likely to give, for messages. */
static const char *rv_text(CK_RV rv, char buf[32])
{
    static const struct {
        CK_RV rv;
        const char *name;
    } names[] = {
        {CKR_HOST_MEMORY, "CKR_HOST_MEMORY"},
        {CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR"},
        {CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED"},
        {CKR_ARGUMENTS_BAD, "CKR_ARGUMENTS_BAD"},
        {CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR"},
        {CKR_DEVICE_MEMORY, "CKR_DEVICE_MEMORY"},
        {CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED"},
        {CKR_KEY_TYPE_INCONSISTENT, "CKR_KEY_TYPE_INCONSISTENT"},
        {CKR_KEY_FUNCTION_NOT_PERMITTED, "CKR_KEY_FUNCTION_NOT_PERMITTED"},
        {CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID"},
        {CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID"},
        {CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT"},
        {CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN"},
        {CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED"},
    };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (names[i].rv == rv)
            return names[i].name;
    snprintf(buf, 32, "CKR 0x%lx", (unsigned long)rv);
    return buf;
}

/* A label from the token made safe to print: control bytes replaced, length bounded. */
static void label_copy(char *dst, size_t dst_size, const void *src, size_t len)
{
    const unsigned char *s = src;
    if (len > dst_size - 1)
        len = dst_size - 1;
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\0'))
        len--;
    for (size_t i = 0; i < len; i++)
        dst[i] = (s[i] < 0x20 || s[i] == 0x7f) ? '?' : (char)s[i];
    dst[len] = '\0';
}

/* ---- the module ---- */

static sh_status module_load(sg_token *t, const char *module, sh_error *err)
{
    t->lib = dlopen(module, RTLD_NOW | RTLD_LOCAL);
    if (!t->lib) {
        if (access(module, F_OK) != 0)
            return sh_fail(err, SH_INPUT,
                           _("the PKCS#11 module %s does not exist: install the token's driver "
                             "or give the path of its module (.so)"),
                           module);
        return sh_fail(err, SH_INPUT, _("cannot load the PKCS#11 module %s: %s"), module,
                       dlerror());
    }
    CK_C_GetFunctionList get_list = NULL;
    void *sym = dlsym(t->lib, "C_GetFunctionList");
    memcpy(&get_list, &sym, sizeof get_list); /* ISO C has no object-to-function cast */
    if (!get_list || get_list(&t->f) != CKR_OK || !t->f || t->f->version.major < 2) {
        t->f = NULL;
        return sh_fail(err, SH_INPUT,
                       _("%s is not a PKCS#11 module: give the module (.so) that came with the "
                         "token's driver"),
                       module);
    }
    CK_C_INITIALIZE_ARGS args = {.flags = CKF_OS_LOCKING_OK};
    CK_RV rv = t->f->C_Initialize(&args);
    if (rv == CKR_CANT_LOCK) /* a module that cannot use the system's locks: single-threaded */
        rv = t->f->C_Initialize(NULL);
    if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED)
        return SH_OK; /* someone else in this process uses it: they finalise it */
    if (rv != CKR_OK) {
        char buf[32];
        return sh_fail(err, SH_INTERNAL, _("the PKCS#11 module %s failed to start (%s)"), module,
                       rv_text(rv, buf));
    }
    t->finalize = true;
    return SH_OK;
}

/* ---- the token ---- */

typedef struct {
    CK_SLOT_ID slot;
    char label[TOKEN_LABEL_LEN + 1];
} token_seen;

/* The initialised tokens present, at most MAX_SLOTS. */
static sh_status list_tokens(sg_token *t, const char *module, token_seen *seen, int *n_seen,
                             sh_error *err)
{
    CK_SLOT_ID slots[MAX_SLOTS];
    CK_ULONG n = 0;
    CK_RV rv = CKR_BUFFER_TOO_SMALL;
    /* a token plugged in between the size query and the call: ask again */
    for (int attempt = 0; rv == CKR_BUFFER_TOO_SMALL && attempt < 3; attempt++) {
        rv = t->f->C_GetSlotList(CK_TRUE, NULL, &n);
        if (rv != CKR_OK)
            break;
        if (n > MAX_SLOTS)
            return sh_fail(err, SH_INPUT,
                           _("the PKCS#11 module %s shows more than %d tokens: unplug the tokens "
                             "that are not used for signing"),
                           module, MAX_SLOTS);
        rv = t->f->C_GetSlotList(CK_TRUE, slots, &n);
    }
    if (rv != CKR_OK) {
        char buf[32];
        return sh_fail(err, SH_INTERNAL, _("the PKCS#11 module %s cannot list its tokens (%s)"),
                       module, rv_text(rv, buf));
    }
    *n_seen = 0;
    for (CK_ULONG i = 0; i < n && i < MAX_SLOTS; i++) {
        CK_TOKEN_INFO info;
        if (t->f->C_GetTokenInfo(slots[i], &info) != CKR_OK ||
            !(info.flags & CKF_TOKEN_INITIALIZED))
            continue;
        seen[*n_seen].slot = slots[i];
        label_copy(seen[*n_seen].label, sizeof seen[*n_seen].label, info.label, sizeof info.label);
        (*n_seen)++;
    }
    return SH_OK;
}

static char *labels_joined(const token_seen *seen, int n)
{
    GString *s = g_string_new(NULL);
    for (int i = 0; i < n; i++)
        g_string_append_printf(s, "%s\"%s\"", i ? ", " : "", seen[i].label);
    return g_string_free(s, FALSE);
}

/* The token labelled `wanted`, or the only one when wanted is NULL. */
static sh_status choose_token(sg_token *t, const char *module, const char *wanted, CK_SLOT_ID *slot,
                              sh_error *err)
{
    token_seen seen[MAX_SLOTS];
    int n = 0;
    sh_status st = list_tokens(t, module, seen, &n, err);
    if (st != SH_OK)
        return st;
    if (n == 0)
        return sh_fail(err, SH_INPUT,
                       _("no token found through %s: plug in the token (USB key) and try again"),
                       module);
    int found = -1;
    for (int i = 0; i < n && found < 0; i++)
        if ((wanted && *wanted) ? strcmp(seen[i].label, wanted) == 0 : n == 1)
            found = i;
    if (found < 0) {
        char *list = labels_joined(seen, n);
        if (wanted && *wanted)
            st = sh_fail(err, SH_INPUT,
                         _("no token labelled \"%s\" is present; the tokens present are %s: "
                           "give one of these labels"),
                         wanted, list);
        else
            st = sh_fail(err, SH_INPUT,
                         _("several tokens are present (%s): choose one with --token LABEL or "
                           "token_label in sohoa.ini"),
                         list);
        g_free(list);
        return st;
    }
    *slot = seen[found].slot;
    memcpy(t->label, seen[found].label, sizeof t->label);
    return SH_OK;
}

/* Why the PIN was refused, with what the token says about the tries left. */
static sh_status wrong_pin(sg_token *t, CK_SLOT_ID slot, sh_error *err)
{
    CK_TOKEN_INFO info;
    CK_FLAGS flags = t->f->C_GetTokenInfo(slot, &info) == CKR_OK ? info.flags : 0;
    if (flags & CKF_USER_PIN_LOCKED)
        return sh_fail(err, SH_INPUT,
                       _("wrong PIN for token %s, and the PIN is now locked: the token's security "
                         "officer (SO) must unlock it"),
                       t->label);
    if (flags & CKF_USER_PIN_FINAL_TRY)
        return sh_fail(err, SH_INPUT,
                       _("wrong PIN for token %s: the next wrong PIN locks the token; make sure "
                         "of the PIN before trying again"),
                       t->label);
    if (flags & CKF_USER_PIN_COUNT_LOW)
        return sh_fail(err, SH_INPUT,
                       _("wrong PIN for token %s: few tries are left before the token locks; "
                         "make sure of the PIN before trying again"),
                       t->label);
    return sh_fail(err, SH_INPUT, _("wrong PIN for token %s: check the PIN and try again"),
                   t->label);
}

/* A session on the chosen token (before login: what it shows to anyone), and whether it wants
 * a PIN. */
static sh_status open_session(sg_token *t, sh_error *err)
{
    char buf[32];
    CK_RV rv = t->f->C_OpenSession(t->slot, CKF_SERIAL_SESSION, NULL, NULL, &t->session);
    if (rv != CKR_OK)
        return sh_fail(err, SH_INTERNAL, _("cannot open a session on token %s (%s)"), t->label,
                       rv_text(rv, buf));
    t->have_session = true;
    CK_TOKEN_INFO info;
    rv = t->f->C_GetTokenInfo(t->slot, &info);
    t->login_required = rv != CKR_OK || (info.flags & CKF_LOGIN_REQUIRED);
    t->pin_pad = rv == CKR_OK && (info.flags & CKF_PROTECTED_AUTHENTICATION_PATH);
    return SH_OK;
}

bool sg_token_needs_pin(const sg_token *t) { return t->login_required && !t->pin_pad; }

const char *sg_token_label(const sg_token *t) { return t->label; }

static sh_status login(sg_token *t, const char *pin, sh_error *err)
{
    char buf[32];
    CK_SLOT_ID slot = t->slot;
    if (!t->login_required)
        return SH_OK;
    /* A token with its own PIN pad takes no PIN from us. */
    bool pad = t->pin_pad && (!pin || !*pin);
    CK_RV rv = t->f->C_Login(t->session, CKU_USER, pad ? NULL : (CK_UTF8CHAR_PTR)pin,
                             pad || !pin ? 0 : (CK_ULONG)strlen(pin));
    switch (rv) {
    case CKR_OK:
        t->logged_in = true;
        return SH_OK;
    case CKR_USER_ALREADY_LOGGED_IN: /* by another user of the module in this process */
        return SH_OK;
    case CKR_PIN_INCORRECT:
    case CKR_PIN_INVALID:
    case CKR_PIN_LEN_RANGE:
    case CKR_ARGUMENTS_BAD: /* no PIN at all */
        return wrong_pin(t, slot, err);
    case CKR_PIN_LOCKED:
        return sh_fail(err, SH_INPUT,
                       _("the PIN of token %s is locked after too many wrong tries: the token's "
                         "security officer (SO) must unlock it"),
                       t->label);
    case CKR_PIN_EXPIRED:
        return sh_fail(err, SH_INPUT,
                       _("the PIN of token %s has expired: set a new one with the token's own "
                         "tool"),
                       t->label);
    default:
        return sh_fail(err, SH_INTERNAL, _("cannot log in to token %s (%s)"), t->label,
                       rv_text(rv, buf));
    }
}

/* ---- objects ---- */

/* The handles of the objects matching tmpl, at most MAX_OBJECTS. */
static sh_status find_objects(sg_token *t, CK_ATTRIBUTE *tmpl, CK_ULONG n_tmpl,
                              CK_OBJECT_HANDLE *found, CK_ULONG *n_found, sh_error *err)
{
    char buf[32];
    *n_found = 0;
    CK_RV rv = t->f->C_FindObjectsInit(t->session, tmpl, n_tmpl);
    if (rv != CKR_OK)
        return sh_fail(err, SH_INTERNAL, _("cannot search token %s (%s)"), t->label,
                       rv_text(rv, buf));
    while (*n_found < MAX_OBJECTS) {
        CK_ULONG got = 0;
        rv = t->f->C_FindObjects(t->session, found + *n_found, MAX_OBJECTS - *n_found, &got);
        if (rv != CKR_OK || got == 0 || got > MAX_OBJECTS - *n_found)
            break;
        *n_found += got;
    }
    t->f->C_FindObjectsFinal(t->session);
    if (rv != CKR_OK)
        return sh_fail(err, SH_INTERNAL, _("cannot search token %s (%s)"), t->label,
                       rv_text(rv, buf));
    return SH_OK;
}

/* One attribute's value (g_free), NULL when the object has none or it is over the bound. */
static uint8_t *read_attr(sg_token *t, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type, size_t *len)
{
    CK_ATTRIBUTE a = {type, NULL, 0};
    if (t->f->C_GetAttributeValue(t->session, obj, &a, 1) != CKR_OK ||
        a.ulValueLen == CK_UNAVAILABLE_INFORMATION || a.ulValueLen > MAX_ATTR_BYTES)
        return NULL;
    CK_ULONG size = a.ulValueLen;
    uint8_t *v = g_malloc(size + 1); /* never 0 bytes; room for a NUL */
    a.pValue = v;
    if (t->f->C_GetAttributeValue(t->session, obj, &a, 1) != CKR_OK || a.ulValueLen > size) {
        g_free(v);
        return NULL;
    }
    v[a.ulValueLen] = 0;
    *len = a.ulValueLen;
    return v;
}

static X509 *read_cert(sg_token *t, CK_OBJECT_HANDLE obj)
{
    size_t len = 0;
    uint8_t *der = read_attr(t, obj, CKA_VALUE, &len);
    const unsigned char *p = der;
    X509 *x = der ? d2i_X509(NULL, &p, (long)len) : NULL;
    g_free(der);
    ERR_clear_error();
    return x;
}

/* The X.509 certificate with this CKA_ID, or NULL. */
static X509 *cert_with_id(sg_token *t, const uint8_t *id, size_t id_len)
{
    CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
    CK_CERTIFICATE_TYPE type = CKC_X_509;
    CK_ATTRIBUTE tmpl[] = {
        {CKA_CLASS, &cls, sizeof cls},
        {CKA_CERTIFICATE_TYPE, &type, sizeof type},
        {CKA_ID, (void *)id, (CK_ULONG)id_len},
    };
    CK_OBJECT_HANDLE found[MAX_OBJECTS];
    CK_ULONG n = 0;
    if (find_objects(t, tmpl, 3, found, &n, NULL) != SH_OK)
        return NULL;
    for (CK_ULONG i = 0; i < n; i++) {
        X509 *x = read_cert(t, found[i]);
        if (x)
            return x;
    }
    return NULL;
}

/* Every X.509 certificate on the token (the chain is picked from them). */
static sh_status all_certs(sg_token *t, STACK_OF(X509) * *out, sh_error *err)
{
    CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
    CK_CERTIFICATE_TYPE type = CKC_X_509;
    CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof cls},
                           {CKA_CERTIFICATE_TYPE, &type, sizeof type}};
    CK_OBJECT_HANDLE found[MAX_OBJECTS];
    CK_ULONG n = 0;
    sh_status st = find_objects(t, tmpl, 2, found, &n, err);
    if (st != SH_OK)
        return st;
    STACK_OF(X509) *certs = sk_X509_new_null();
    if (!certs)
        return sh_fail(err, SH_INTERNAL, _("out of memory"));
    for (CK_ULONG i = 0; i < n; i++) {
        X509 *x = read_cert(t, found[i]);
        if (x && !sk_X509_push(certs, x))
            X509_free(x);
    }
    *out = certs;
    return SH_OK;
}

typedef struct {
    CK_OBJECT_HANDLE handle;
    char label[MAX_LABEL_SHOWN + 1];
    X509 *cert; /* the certificate with its CKA_ID; NULL when none */
} key_seen;

/* The private keys with attribute `type` = value[0..value_len) (none: all of them), each with its
 * certificate. */
static sh_status list_keys(sg_token *t, CK_ATTRIBUTE_TYPE type, const void *value, size_t value_len,
                           key_seen *keys, CK_ULONG *n, sh_error *err)
{
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof cls},
                           {type, (void *)value, (CK_ULONG)value_len}};
    CK_OBJECT_HANDLE found[MAX_OBJECTS];
    sh_status st = find_objects(t, tmpl, value ? 2 : 1, found, n, err);
    for (CK_ULONG i = 0; st == SH_OK && i < *n; i++) {
        keys[i].handle = found[i];
        size_t len = 0;
        uint8_t *v = read_attr(t, found[i], CKA_LABEL, &len);
        label_copy(keys[i].label, sizeof keys[i].label, v ? v : (const uint8_t *)"", v ? len : 0);
        g_free(v);
        uint8_t *id = read_attr(t, found[i], CKA_ID, &len);
        keys[i].cert = id && len > 0 ? cert_with_id(t, id, len) : NULL;
        g_free(id);
    }
    return st;
}

/* Which of the keys found is the one to sign with: the only one with a certificate. */
static sh_status pick_key(const sg_token *t, const char *wanted, const key_seen *keys, CK_ULONG n,
                          CK_ULONG *chosen, sh_error *err)
{
    CK_ULONG usable = 0;
    for (CK_ULONG i = 0; i < n; i++)
        if (keys[i].cert) {
            usable++;
            *chosen = i;
        }
    if (n == 0 && wanted)
        return sh_fail(err, SH_INPUT,
                       _("token %s holds no private key labelled \"%s\": check the key label "
                         "(pkcs11-tool --list-objects shows them)"),
                       t->label, wanted);
    if (usable == 0)
        return sh_fail(err, SH_INPUT,
                       _("token %s holds no private key with its certificate: the signing "
                         "certificate must be stored on the token with the same ID as its key"),
                       t->label);
    if (usable == 1)
        return SH_OK;
    GString *list = g_string_new(NULL);
    for (CK_ULONG i = 0; i < n; i++)
        if (keys[i].cert)
            g_string_append_printf(list, "%s\"%s\"", list->len ? ", " : "", keys[i].label);
    sh_fail(err, SH_INPUT,
            _("token %s holds several signing keys (%s): choose one with --key LABEL or "
              "key_label in sohoa.ini"),
            t->label, list->str);
    g_string_free(list, TRUE);
    return SH_INPUT;
}

/* The private keys whose certificate is labelled `wanted` (same CKA_ID): the label the
 * operator sees on the certificate chooses its key too. */
static sh_status keys_of_certificate(sg_token *t, const char *wanted, key_seen *keys, CK_ULONG *n,
                                     sh_error *err)
{
    CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
    CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof cls},
                           {CKA_LABEL, (void *)wanted, (CK_ULONG)strlen(wanted)}};
    CK_OBJECT_HANDLE certs[MAX_OBJECTS];
    CK_ULONG n_certs = 0;
    sh_status st = find_objects(t, tmpl, 2, certs, &n_certs, err);
    for (CK_ULONG i = 0; st == SH_OK && i < n_certs && *n == 0; i++) {
        size_t len = 0;
        uint8_t *id = read_attr(t, certs[i], CKA_ID, &len);
        if (id && len > 0)
            st = list_keys(t, CKA_ID, id, len, keys, n, err);
        g_free(id);
    }
    return st;
}

/* The key labelled `wanted`, or the only one with a certificate: its handle goes to t->key, its
 * certificate to *cert, its label to label. */
static sh_status choose_key(sg_token *t, const char *wanted, X509 **cert,
                            char label[MAX_LABEL_SHOWN + 1], sh_error *err)
{
    if (wanted && !*wanted)
        wanted = NULL;
    key_seen *keys = g_new0(key_seen, MAX_OBJECTS);
    CK_ULONG n = 0, chosen = 0;
    sh_status st = list_keys(t, CKA_LABEL, wanted, wanted ? strlen(wanted) : 0, keys, &n, err);
    if (st == SH_OK && n == 0 && wanted)
        st = keys_of_certificate(t, wanted, keys, &n, err);
    if (st == SH_OK)
        st = pick_key(t, wanted, keys, n, &chosen, err);
    if (st == SH_OK) {
        t->key = keys[chosen].handle;
        *cert = keys[chosen].cert;
        keys[chosen].cert = NULL;
        memcpy(label, keys[chosen].label, MAX_LABEL_SHOWN + 1);
    }
    for (CK_ULONG i = 0; i < n; i++)
        X509_free(keys[i].cert);
    g_free(keys);
    return st;
}

/* ---- signing ---- */

/* DER of DigestInfo { sha256, NULL } up to the OCTET STRING's header: the digest follows. */
static const uint8_t sha256_digest_info[19] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
                                               0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                                               0x01, 0x05, 0x00, 0x04, 0x20};

/* One C_SignInit + C_Sign, the size asked first; the signature into out (room: max). */
static CK_RV token_sign_raw(sg_token *t, CK_MECHANISM_TYPE mech, const uint8_t *in, size_t in_len,
                            uint8_t *out, size_t max, size_t *out_len)
{
    CK_MECHANISM m = {mech, NULL, 0};
    CK_RV rv = t->f->C_SignInit(t->session, &m, t->key);
    if (rv != CKR_OK)
        return rv;
    CK_ULONG n = 0;
    rv = t->f->C_Sign(t->session, (CK_BYTE_PTR)in, (CK_ULONG)in_len, NULL, &n);
    if (rv != CKR_OK)
        return rv;
    if (n > max) {
        /* A size query leaves the operation active: end it with a buffer of the size asked
         * (bounded), so the session can sign again, and report. */
        if (n <= MAX_ATTR_BYTES) {
            uint8_t *scratch = g_malloc(n);
            t->f->C_Sign(t->session, (CK_BYTE_PTR)in, (CK_ULONG)in_len, scratch, &n);
            g_free(scratch);
        }
        return CKR_BUFFER_TOO_SMALL;
    }
    rv = t->f->C_Sign(t->session, (CK_BYTE_PTR)in, (CK_ULONG)in_len, out, &n);
    if (rv == CKR_OK)
        *out_len = n;
    return rv;
}

/* raw r‖s (each half the size) → DER ECDSA-Sig-Value; false when it does not fit. */
static bool ecdsa_to_der(const uint8_t *raw, size_t raw_len, uint8_t *out, size_t max,
                         size_t *out_len)
{
    if (raw_len == 0 || raw_len % 2 != 0)
        return false;
    size_t half = raw_len / 2;
    ECDSA_SIG *s = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(raw, (int)half, NULL);
    BIGNUM *sv = BN_bin2bn(raw + half, (int)half, NULL);
    if (!s || !r || !sv || !ECDSA_SIG_set0(s, r, sv)) {
        ECDSA_SIG_free(s);
        BN_free(r);
        BN_free(sv);
        return false;
    }
    int len = i2d_ECDSA_SIG(s, NULL);
    bool ok = len > 0 && (size_t)len <= max;
    if (ok) {
        unsigned char *p = out;
        ok = i2d_ECDSA_SIG(s, &p) == len;
        *out_len = (size_t)len;
    }
    ECDSA_SIG_free(s);
    return ok;
}

sh_status sg_token_sign(sg_token *t, sg_key_kind kind, const uint8_t digest[SG_SHA256_LEN],
                        uint8_t *sig, size_t *sig_len, size_t max_len, sh_error *err)
{
    uint8_t raw[512];
    size_t raw_len = 0;
    CK_RV rv;
    if (kind == SG_KEY_RSA) {
        uint8_t info[sizeof sha256_digest_info + SG_SHA256_LEN];
        memcpy(info, sha256_digest_info, sizeof sha256_digest_info);
        memcpy(info + sizeof sha256_digest_info, digest, SG_SHA256_LEN);
        rv = token_sign_raw(t, CKM_RSA_PKCS, info, sizeof info, sig, max_len, sig_len);
    } else {
        rv = token_sign_raw(t, CKM_ECDSA, digest, SG_SHA256_LEN, raw, sizeof raw, &raw_len);
        if (rv == CKR_OK && !ecdsa_to_der(raw, raw_len, sig, max_len, sig_len))
            return sh_fail(err, SH_INTERNAL,
                           _("token %s gave an ECDSA signature that cannot be read (%zu bytes)"),
                           t->label, raw_len);
    }
    char buf[32];
    switch (rv) {
    case CKR_OK:
        return SH_OK;
    case CKR_DEVICE_REMOVED:
    case CKR_TOKEN_NOT_PRESENT:
    case CKR_SESSION_HANDLE_INVALID:
    case CKR_SESSION_CLOSED:
        return sh_fail(err, SH_INPUT,
                       _("token %s was removed while signing: plug it in and sign again"),
                       t->label);
    default:
        return sh_fail(err, SH_INTERNAL, _("token %s cannot sign (%s)"), t->label,
                       rv_text(rv, buf));
    }
}

void sg_token_close(sg_token *t)
{
    if (!t)
        return;
    if (t->f) {
        if (t->logged_in)
            t->f->C_Logout(t->session);
        if (t->have_session)
            t->f->C_CloseSession(t->session);
        if (t->finalize)
            t->f->C_Finalize(NULL);
    }
    if (t->lib)
        dlclose(t->lib);
    free(t);
}

/* ---- before the PIN: is the key label there? ---- */

/* The labels of the keys and certificates the token shows now, quoted, comma-separated;
 * NULL when it shows none. */
static char *labels_shown(sg_token *t)
{
    CK_OBJECT_HANDLE found[MAX_OBJECTS];
    CK_ULONG n = 0;
    if (find_objects(t, NULL, 0, found, &n, NULL) != SH_OK)
        return NULL;
    GString *list = g_string_new(NULL);
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (CK_ULONG i = 0; i < n; i++) {
        size_t len = 0;
        uint8_t *raw = read_attr(t, found[i], CKA_CLASS, &len);
        CK_OBJECT_CLASS cls = CKO_DATA;
        if (raw && len == sizeof cls)
            memcpy(&cls, raw, sizeof cls);
        g_free(raw);
        bool keyish = cls == CKO_CERTIFICATE || cls == CKO_PUBLIC_KEY || cls == CKO_PRIVATE_KEY;
        uint8_t *v = keyish ? read_attr(t, found[i], CKA_LABEL, &len) : NULL;
        if (v && len > 0) {
            char label[MAX_LABEL_SHOWN + 1];
            label_copy(label, sizeof label, v, len);
            if (*label && g_hash_table_add(seen, g_strdup(label)))
                g_string_append_printf(list, "%s\"%s\"", list->len ? ", " : "", label);
        }
        g_free(v);
    }
    g_hash_table_destroy(seen);
    if (list->len == 0) {
        g_string_free(list, TRUE);
        return NULL;
    }
    return g_string_free(list, FALSE);
}

/* Before login a token shows its certificates and public keys (its private keys mostly not):
 * a label that none of them carries, on a token that shows some, is a mistake found without
 * costing a PIN entry. A token that shows nothing before login is checked after it. After
 * login the label may be the key's or its certificate's (choose_key), so any label listed here
 * works. */
static sh_status check_key_label(sg_token *t, const char *wanted, sh_error *err)
{
    if (!wanted || !*wanted)
        return SH_OK;
    CK_ATTRIBUTE tmpl[] = {{CKA_LABEL, (void *)wanted, (CK_ULONG)strlen(wanted)}};
    CK_OBJECT_HANDLE found[MAX_OBJECTS];
    CK_ULONG n = 0;
    sh_status st = find_objects(t, tmpl, 1, found, &n, err);
    if (st != SH_OK || n > 0)
        return st;
    char *shown = labels_shown(t);
    if (shown)
        st = sh_fail(err, SH_INPUT,
                     _("token %s holds no key or certificate labelled \"%s\"; the labels it "
                       "shows are %s: give one of them with --key LABEL or key_label in "
                       "sohoa.ini"),
                     t->label, wanted, shown);
    g_free(shown);
    return st;
}

/* ---- sg_key_prepare's and sg_key_unlock's PKCS#11 halves ---- */

sh_status sg_pkcs11_prepare(const sg_key_source *src, sg_token **out, sh_error *err)
{
    *out = NULL;
    sg_token *t = calloc(1, sizeof *t);
    if (!t)
        return sh_fail(err, SH_INTERNAL, _("out of memory"));
    sh_status st = module_load(t, src->pkcs11_module, err);
    if (st == SH_OK)
        st = choose_token(t, src->pkcs11_module, src->token_label, &t->slot, err);
    if (st == SH_OK)
        st = open_session(t, err);
    if (st == SH_OK)
        st = check_key_label(t, src->key_label, err);
    if (st != SH_OK) {
        sg_token_close(t);
        return st;
    }
    *out = t;
    return SH_OK;
}

sh_status sg_pkcs11_unlock(sg_token *t, const char *key_label, const char *pin, sg_key **out,
                           sh_error *err)
{
    *out = NULL;
    X509 *cert = NULL;
    STACK_OF(X509) *pool = NULL;
    char label[MAX_LABEL_SHOWN + 1] = "";
    sh_status st = login(t, pin, err);
    if (st == SH_OK)
        st = choose_key(t, key_label, &cert, label, err);
    if (st == SH_OK)
        st = all_certs(t, &pool, err);
    if (st != SH_OK) {
        X509_free(cert);
        sg_token_close(t);
        return st;
    }
    char *what = g_strdup_printf(_("key %s on token %s"), label, t->label);
    st = sg_key_from_token(t, cert, pool, what, out, err);
    g_free(what);
    sk_X509_pop_free(pool, X509_free);
    return st;
}
