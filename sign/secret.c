/* The PIN or passphrase: from an environment variable, a file, or the terminal without echo. It
 * lives in a page of its own, locked in memory (never swapped) and left out of core dumps, and is
 * wiped when freed. Nothing here prints it. */
#include "sign_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#define SECRET_MAX                                                                                 \
    1024 /* bytes of a secret, its NUL included: a PIN is 4–16, a passphrase < 100               \
          */

/* The size of a secret's mapping: whole pages. */
static size_t area_size(void)
{
    long page = sysconf(_SC_PAGESIZE);
    size_t p = page > 0 ? (size_t)page : 4096;
    return (SECRET_MAX + p - 1) / p * p;
}

static char *area_new(sh_error *err)
{
    size_t size = area_size();
    void *a = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (a == MAP_FAILED) {
        sh_fail_errno(err, SH_INTERNAL, errno, _("cannot allocate memory for the PIN"));
        return NULL;
    }
    /* Best effort: a low RLIMIT_MEMLOCK must not stop signing, and the page is wiped anyway. */
    (void)mlock(a, size);
#ifdef MADV_DONTDUMP
    (void)madvise(a, size, MADV_DONTDUMP);
#endif
    return a;
}

void sg_secret_free(char *secret)
{
    if (!secret)
        return;
    size_t size = area_size();
    explicit_bzero(secret, size);
    munlock(secret, size);
    munmap(secret, size);
}

/* ---- the environment ---- */

/* The value is copied, then wiped where it lies (the environment block the kernel shows in
 * /proc/PID/environ and writes into core dumps, or the copy setenv made) and the variable
 * removed: from here on only the locked copy holds it. Done whatever the outcome. */
static sh_status from_env(const char *var, char *out, sh_error *err)
{
    char *v = getenv(var);
    size_t len = v ? strlen(v) : 0;
    sh_status st = SH_OK;
    if (len == 0)
        st = sh_fail(err, SH_USAGE,
                     _("the environment variable %s is not set or is empty: set it to the PIN "
                       "or passphrase, or use --pin-file FILE"),
                     var);
    else if (len >= SECRET_MAX)
        st = sh_fail(err, SH_USAGE,
                     _("the environment variable %s is too long for a PIN or passphrase (at "
                       "most %d bytes)"),
                     var, SECRET_MAX - 1);
    else
        memcpy(out, v, len + 1);
    if (v) {
        explicit_bzero(v, len);
        unsetenv(var);
    }
    return st;
}

/* ---- a file ---- */

static sh_status read_first_line(int fd, const char *path, char *out, sh_error *err)
{
    size_t len = 0;
    while (len < SECRET_MAX - 1 && !memchr(out, '\n', len)) {
        ssize_t n = read(fd, out + len, SECRET_MAX - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return sh_fail_errno(err, SH_INPUT, errno, _("cannot read %s"), path);
        if (n == 0)
            break;
        len += (size_t)n;
    }
    char *nl = memchr(out, '\n', len);
    if (!nl && len == SECRET_MAX - 1)
        return sh_fail(err, SH_USAGE,
                       _("the first line of %s is too long for a PIN or passphrase (at most %d "
                         "bytes)"),
                       path, SECRET_MAX - 1);
    size_t line = nl ? (size_t)(nl - out) : len;
    while (line > 0 && (out[line - 1] == '\r' || out[line - 1] == '\n'))
        line--;
    explicit_bzero(out + line, SECRET_MAX - line); /* the rest of the file goes */
    if (line == 0)
        return sh_fail(err, SH_USAGE,
                       _("the first line of %s is empty: write the PIN or passphrase on it"), path);
    if (memchr(out, '\0', line))
        return sh_fail(err, SH_USAGE, _("the first line of %s holds a NUL byte"), path);
    return SH_OK;
}

static sh_status from_file(const char *path, char *out, sh_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return sh_fail_errno(err, errno == ENOENT ? SH_USAGE : SH_INPUT, errno,
                             _("cannot open the PIN file %s"), path);
    struct stat sb;
    sh_status st = SH_OK;
    if (fstat(fd, &sb) != 0)
        st = sh_fail_errno(err, SH_INPUT, errno, _("cannot read %s"), path);
    else if (!S_ISREG(sb.st_mode))
        st = sh_fail(err, SH_USAGE, _("the PIN file %s is not a regular file"), path);
    if (st == SH_OK && (sb.st_mode & 077))
        sh_warn(_("the PIN file %s can be read or changed by other users: make it private with "
                  "chmod 600 %s"),
                path, path);
    if (st == SH_OK)
        st = read_first_line(fd, path, out, err);
    close(fd);
    return st;
}

/* ---- the terminal ---- */

/* The terminal's settings while echo is off, for the signal handler to put back. */
static int tty_fd = -1;
static struct termios tty_saved;

static void restore_and_raise(int sig)
{
    if (tty_fd >= 0)
        tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* The prompt is a courtesy: a failed write does not stop the reading. */
static void tty_say(int fd, const char *s)
{
    ssize_t n = write(fd, s, strlen(s));
    (void)n;
}

static sh_status read_tty_line(int fd, char *out, sh_error *err)
{
    size_t len = 0;
    for (;;) {
        char c;
        ssize_t n = read(fd, &c, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return sh_fail_errno(err, SH_INPUT, errno, _("cannot read the PIN from the terminal"));
        if (n == 0 || c == '\n' || c == '\r')
            break;
        if (len == SECRET_MAX - 1) {
            explicit_bzero(out, SECRET_MAX);
            return sh_fail(err, SH_USAGE,
                           _("the PIN or passphrase typed is too long (at most %d bytes)"),
                           SECRET_MAX - 1);
        }
        out[len++] = c;
    }
    out[len] = '\0';
    return SH_OK;
}

static sh_status from_tty(const char *prompt, char *out, sh_error *err)
{
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
    struct termios saved, quiet;
    if (fd < 0 || tcgetattr(fd, &saved) != 0) {
        if (fd >= 0)
            close(fd);
        return sh_fail(err, SH_USAGE,
                       _("there is no terminal to ask for the PIN or passphrase: give it with "
                         "--pin-env VAR or --pin-file FILE"));
    }
    quiet = saved;
    quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
    quiet.c_lflag |= ICANON;

    tty_saved = saved;
    tty_fd = fd;
    struct sigaction sa = {.sa_handler = restore_and_raise}, old_int, old_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    sh_status st = SH_OK;
    if (tcsetattr(fd, TCSAFLUSH, &quiet) != 0)
        st = sh_fail_errno(err, SH_INPUT, errno, _("cannot turn off the terminal's echo"));
    if (st == SH_OK) {
        const char *p = prompt ? prompt : _("PIN or passphrase: ");
        tty_say(fd, p);
        st = read_tty_line(fd, out, err);
        tty_say(fd, "\n"); /* the typist's Enter was not echoed */
    }

    tcsetattr(fd, TCSAFLUSH, &saved);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    tty_fd = -1;
    close(fd);
    return st;
}

sh_status sg_secret_get(const char *env_var, const char *pin_file, const char *prompt,
                        char **secret, sh_error *err)
{
    *secret = NULL;
    char *out = area_new(err);
    if (!out)
        return SH_INTERNAL;
    sh_status st;
    if (env_var)
        st = from_env(env_var, out, err);
    else if (pin_file)
        st = from_file(pin_file, out, err);
    else
        st = from_tty(prompt, out, err);
    if (st != SH_OK) {
        sg_secret_free(out);
        return st;
    }
    *secret = out;
    return SH_OK;
}
