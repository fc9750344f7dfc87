/* Finding, opening and creating workspaces. */
#include "core/core.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

static bool is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static bool exists(const char *p)
{
    struct stat st;
    return lstat(p, &st) == 0;
}

/* Does `dir` look like a workspace (either of its two marks present)? */
static bool has_workspace_mark(const char *dir)
{
    char *ini = g_build_filename(dir, SH_WORKSPACE_CONFIG, NULL);
    char *state = g_build_filename(dir, SH_WORKSPACE_STATE_DIR, NULL);
    bool found = is_file(ini) || exists(state);
    g_free(ini);
    g_free(state);
    return found;
}

/* The nearest folder at or above `start` that carries a workspace mark, or NULL. */
static char *find_upwards(const char *start)
{
    char *dir = realpath(start, NULL);
    if (!dir)
        return NULL;
    for (;;) {
        if (has_workspace_mark(dir))
            return dir; /* malloc()ed by realpath: free() it */
        if (strcmp(dir, "/") == 0)
            break;
        char *slash = strrchr(dir, '/');
        if (slash == dir)
            slash[1] = '\0';
        else
            *slash = '\0';
    }
    free(dir);
    return NULL;
}

sh_status sh_workspace_open(const char *dir, const char *start, const char *config_override,
                            sh_workspace *ws, sh_error *err)
{
    memset(ws, 0, sizeof *ws);
    sh_config_defaults(&ws->config);
    char *root = NULL;
    sh_status st = SH_OK;
    if (dir) {
        root = realpath(dir, NULL);
        if (!root)
            st = sh_fail_errno(err, SH_USAGE, errno, _("workspace %s"), dir);
        else if (!has_workspace_mark(root))
            st = sh_fail(err, SH_USAGE,
                         _("%s is not a sohoa workspace (no sohoa.ini); create one with "
                           "\"sohoa init %s --station ID --operator NAME\""),
                         root, dir);
    } else {
        char cwd[PATH_MAX];
        if (!start && !getcwd(cwd, sizeof cwd))
            st = sh_fail_errno(err, SH_INTERNAL, errno, _("cannot read the current folder"));
        else if (!(root = find_upwards(start ? start : cwd)))
            st = sh_fail(err, SH_USAGE,
                         _("no sohoa workspace here or in any folder above %s; go into one, "
                           "give --workspace DIR, or create one with \"sohoa init\""),
                         start ? start : cwd);
    }
    if (st != SH_OK) {
        free(root);
        sh_workspace_close(ws);
        return st;
    }
    ws->root = g_strdup(root);
    free(root);
    ws->config_path = config_override ? g_strdup(config_override)
                                      : g_build_filename(ws->root, SH_WORKSPACE_CONFIG, NULL);
    ws->ledger_path = g_build_filename(ws->root, SH_WORKSPACE_STATE_DIR, SH_WORKSPACE_LEDGER, NULL);
    /* Only "sohoa init" makes a ledger: a workspace without its ledger, or with an emptied
     * one, is refused here, before any command could start a new chain in its place. */
    struct stat sb;
    if (stat(ws->ledger_path, &sb) != 0 || !S_ISREG(sb.st_mode))
        st = sh_fail(err, SH_INPUT,
                     _("the ledger %s is missing; restore it from the backup copy before "
                       "going on (only \"sohoa init\" makes a new ledger)"),
                     ws->ledger_path);
    else if (sb.st_size == 0)
        st = sh_fail(err, SH_INPUT,
                     _("the ledger %s is empty (0 bytes): the records it held are gone from "
                       "this disk. Restore it from the backup copy before going on; nothing "
                       "was changed"),
                     ws->ledger_path);
    if (st != SH_OK) {
        sh_workspace_close(ws);
        return st;
    }
    st = sh_config_load(ws->config_path, &ws->config, err);
    if (st != SH_OK)
        sh_workspace_close(ws);
    return st;
}

sh_status sh_workspace_open_optional(const char *dir, const char *start,
                                     const char *config_override, sh_workspace *ws, bool *found,
                                     sh_error *err)
{
    char *root = NULL;
    char cwd[PATH_MAX];
    *found = dir || (root = find_upwards(start ? start : getcwd(cwd, sizeof cwd) ? cwd : "."));
    if (*found) { /* open the root found, rather than walking up a second time */
        sh_status st = sh_workspace_open(dir ? dir : root, NULL, config_override, ws, err);
        free(root);
        return st;
    }
    memset(ws, 0, sizeof *ws);
    sh_config_defaults(&ws->config);
    if (!config_override)
        return SH_OK;
    sh_status st = sh_config_load(config_override, &ws->config, err);
    if (st != SH_OK)
        sh_workspace_close(ws);
    return st;
}

void sh_workspace_close(sh_workspace *ws)
{
    g_free(ws->root);
    g_free(ws->config_path);
    g_free(ws->ledger_path);
    sh_config_free(&ws->config);
    memset(ws, 0, sizeof *ws);
}

static void remove_ledger_files(const char *state_dir)
{
    const char *names[] = {SH_WORKSPACE_LEDGER, SH_WORKSPACE_LEDGER "-wal",
                           SH_WORKSPACE_LEDGER "-shm", SH_WORKSPACE_LEDGER "-journal"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char *p = g_build_filename(state_dir, names[i], NULL);
        g_unlink(p);
        g_free(p);
    }
    g_rmdir(state_dir);
}

/* Refuse a `dir` that is a workspace already or lies inside one. Checked before any folder is
 * created, so that a refusal leaves nothing behind. */
static sh_status check_unnested(const char *dir, sh_error *err)
{
    sh_status st = SH_OK;
    char *self = realpath(dir, NULL); /* NULL while dir does not exist yet */
    char *start = NULL;
    if (self) {
        if (has_workspace_mark(self)) {
            st = sh_fail(err, SH_USAGE, _("%s is already a sohoa workspace; nothing was changed"),
                         self);
            free(self);
            return st;
        }
        if (strcmp(self, "/") != 0)
            start = g_path_get_dirname(self);
    } else {
        /* The nearest folder above dir that exists: the one mkdir -p would start from. */
        start = g_path_get_dirname(dir);
        while (!exists(start) && strcmp(start, ".") != 0 && strcmp(start, "/") != 0) {
            char *up = g_path_get_dirname(start);
            g_free(start);
            start = up;
        }
    }
    char *outer = start ? find_upwards(start) : NULL;
    if (outer)
        st = sh_fail(err, SH_USAGE,
                     _("%s is inside the workspace %s; a workspace cannot hold another"),
                     self ? self : dir, outer);
    free(outer); /* from realpath */
    g_free(start);
    free(self);
    return st;
}

/* The ledger with its first audit entry, then sohoa.ini (last: it is what marks a workspace
 * as finished). */
static sh_status fill_workspace(const char *root, const char *ledger_path, const char *ini,
                                const char *station_id, const char *operator_name, sh_error *err)
{
    sh_ledger *ledger = NULL;
    sh_status st = sh_ledger_open(ledger_path, true, &ledger, err);
    if (st == SH_OK) {
        sh_actor actor = {station_id, operator_name};
        sh_json *j = sh_json_new();
        sh_json_begin_object(j);
        sh_json_kv_str(j, "root", root);
        sh_json_kv_str(j, "sohoa_version", SOHOA_VERSION);
        sh_json_end_object(j);
        const char *details = sh_json_finish(j, err);
        st = details ? sh_audit_record(ledger, &actor, "workspace.init", root, details, NULL, err)
                     : SH_INTERNAL;
        sh_json_free(j);
    }
    sh_ledger_close(ledger);
    if (st == SH_OK) {
        char *text = sh_config_template(station_id, operator_name);
        st = sh_write_file_atomic(ini, text, strlen(text), SH_ATOMIC_NO_REPLACE, err);
        g_free(text);
    }
    return st;
}

sh_status sh_workspace_create(const char *dir, const char *station_id, const char *operator_name,
                              sh_error *err)
{
    sh_status st = sh_check_station_id(station_id, err);
    if (st == SH_OK)
        st = sh_check_operator_name(operator_name, err);
    if (st != SH_OK)
        return st;
    if ((st = check_unnested(dir, err)) != SH_OK)
        return st;
    if (g_mkdir_with_parents(dir, 0755) != 0)
        return sh_fail_errno(err, SH_USAGE, errno, _("cannot create folder %s"), dir);
    char *root = realpath(dir, NULL);
    if (!root)
        return sh_fail_errno(err, SH_USAGE, errno, "%s", dir);
    char *ini = g_build_filename(root, SH_WORKSPACE_CONFIG, NULL);
    char *state = g_build_filename(root, SH_WORKSPACE_STATE_DIR, NULL);
    char *ledger_path = g_build_filename(state, SH_WORKSPACE_LEDGER, NULL);
    if (g_mkdir(state, 0700) != 0)
        st = sh_fail_errno(err, SH_INPUT, errno, _("cannot create %s"), state);
    else if ((st = fill_workspace(root, ledger_path, ini, station_id, operator_name, err)) != SH_OK)
        remove_ledger_files(state);
    g_free(ledger_path);
    g_free(state);
    g_free(ini);
    free(root);
    return st;
}

char *sh_workspace_relpath(const char *root, const char *path)
{
    if (!root)
        return NULL;
    char *abs = realpath(path, NULL);
    size_t n = strlen(root);
    char *rel = NULL;
    if (abs && strncmp(abs, root, n) == 0 && abs[n] == '/')
        rel = g_strdup(abs + n + 1);
    free(abs);
    return rel;
}

int sh_workspace_lock(const sh_workspace *ws, const char *name, const char *waiting, sh_error *err)
{
    char *file = g_strconcat(name, ".lock", NULL);
    char *path = g_build_filename(ws->root, SH_WORKSPACE_STATE_DIR, file, NULL);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        sh_fail_errno(err, SH_INTERNAL, errno, _("cannot open %s"), path);
    } else if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        sh_warn("%s", waiting);
        while (flock(fd, LOCK_EX) != 0 && errno == EINTR)
            ;
    }
    g_free(path);
    g_free(file);
    return fd;
}
