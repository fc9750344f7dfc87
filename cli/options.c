/* The command line, driven by each command's option table (cli.h, "Commands and their
 * options"): parsing, the values' checks with one wording for every command, and the help text.
 * The manual page and the completion script are made from the same tables (generate.c). */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#define HELP_WIDTH 79

sh_status cli_usage(sh_error *err, const char *command, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    sh_status st = command ? sh_fail(err, SH_USAGE, "%s: %s", command, msg)
                           : sh_fail(err, SH_USAGE, "%s", msg);
    g_free(msg);
    return st;
}

/* ---- values ---- */

sh_status cli_int_value(const char *command, const char *option, const char *text, long long lo,
                        long long hi, long long *out, sh_error *err)
{
    char *end = NULL;
    errno = 0;
    long long v = text && *text ? strtoll(text, &end, 10) : 0;
    if (!text || !*text || *end || errno || v < lo || v > hi)
        return cli_usage(err, command, _("--%s takes a whole number from %lld to %lld"), option, lo,
                         hi);
    *out = v;
    return SH_OK;
}

static sh_status real_value(const char *command, const cli_option *o, const char *text, double *out,
                            sh_error *err)
{
    char *end = NULL;
    errno = 0;
    double v = *text ? strtod(text, &end) : NAN; /* LC_NUMERIC is "C": a point, as documented */
    if (!*text || *end || errno || !isfinite(v) || v < o->lo || v > o->hi)
        return cli_usage(err, command, _("--%s takes a number from %g to %g"), o->name, o->lo,
                         o->hi);
    *out = v;
    return SH_OK;
}

static char *choices_text(const cli_option *o, const char *sep)
{
    return g_strjoinv(sep, (char **)o->choices);
}

static sh_status enum_value(const char *command, const cli_option *o, const char *text,
                            long long *out, sh_error *err)
{
    for (int i = 0; o->choices[i]; i++)
        if (strcmp(o->choices[i], text) == 0) {
            *out = i;
            return SH_OK;
        }
    char *list = choices_text(o, ", ");
    sh_status st = cli_usage(err, command, _("--%s takes one of: %s"), o->name, list);
    g_free(list);
    return st;
}

/* The value of one occurrence of option o, checked as its kind says. */
static sh_status take_value(const char *command, const cli_option *o, const char *text,
                            cli_value *v, sh_error *err)
{
    if (v->count > 0 && !(o->flags & CLI_REPEAT))
        return cli_usage(err, command, _("--%s is given twice; give it once"), o->name);
    sh_status st = SH_OK;
    if (o->kind == CLI_INT)
        st =
            cli_int_value(command, o->name, text, (long long)o->lo, (long long)o->hi, &v->num, err);
    else if (o->kind == CLI_REAL)
        st = real_value(command, o, text, &v->real, err);
    else if (o->kind == CLI_ENUM)
        st = enum_value(command, o, text, &v->num, err);
    if (st != SH_OK)
        return st;
    v->text = text;
    if (o->flags & CLI_REPEAT) {
        v->all = g_renew(const char *, v->all, (size_t)v->count + 2);
        v->all[v->count] = text;
        v->all[v->count + 1] = NULL;
    }
    v->count++;
    return SH_OK;
}

/* ---- parsing ---- */

static size_t count_options(const cli_option *opts)
{
    size_t n = 0;
    while (opts && opts[n].name)
        n++;
    return n;
}

/* The index of the entry that arg names ("--name" or "-x"; len: the part before any '='), or
 * -1. Entries marked
 * CLI_GLOBAL are the global options shown in a command's help: the global table parses them. */
static int find_option(const cli_option *opts, const char *arg, size_t len)
{
    for (int i = 0; opts && opts[i].name; i++) {
        const cli_option *o = &opts[i];
        if (o->flags & CLI_GLOBAL)
            continue;
        if (arg[1] == '-' ? strlen(o->name) == len - 2 && strncmp(o->name, arg + 2, len - 2) == 0
                          : len == 2 && o->short_name && arg[1] == o->short_name)
            return i;
    }
    return -1;
}

const cli_command *cli_find_command(const cli_command *top, const char *name)
{
    for (const cli_command *const *c = top->commands; c && *c; c++)
        if (strcmp((*c)->name, name) == 0)
            return *c;
    return NULL;
}

/* One option word at argv[*i], with its value when it takes one. */
static sh_status parse_option(const cli_command *top, cli_args *a, int argc, char **argv, int *i,
                              sh_error *err)
{
    const char *arg = argv[*i], *eq = strchr(arg, '=');
    size_t len = eq && arg[1] == '-' ? (size_t)(eq - arg) : strlen(arg);
    const char *where = a->cmd ? a->cmd->name : NULL;
    int k = a->cmd ? find_option(a->cmd->options, arg, len) : -1;
    const cli_option *o = k >= 0 ? &a->cmd->options[k] : NULL;
    cli_value *v = k >= 0 ? &a->opt[k] : NULL;
    if (!o && (k = find_option(top->options, arg, len)) >= 0) {
        o = &top->options[k];
        v = &a->global[k];
    }
    if (!o && a->cmd)
        return cli_usage(err, where, _("unknown option %.*s; see \"sohoa help %s\""), (int)len, arg,
                         a->cmd->name);
    if (!o)
        return cli_usage(err, NULL, _("unknown option %.*s; see \"sohoa help\""), (int)len, arg);
    if (o->kind == CLI_FLAG) {
        if (eq && arg[1] == '-')
            return cli_usage(err, where, _("--%s takes no value"), o->name);
        v->count++;
        return SH_OK;
    }
    const char *text = eq && arg[1] == '-' ? eq + 1 : NULL;
    if (!text && *i + 1 >= argc)
        return cli_usage(err, where, _("--%s needs a value"), o->name);
    if (!text)
        text = argv[++*i];
    return take_value(where, o, text, v, err);
}

sh_status cli_parse_line(const cli_command *top, int argc, char **argv, cli_args *a, sh_error *err)
{
    *a = (cli_args){0};
    a->global = g_new0(cli_value, count_options(top->options) + 1);
    a->args = g_new0(char *, (size_t)argc + 1);
    bool ended = false;
    for (int i = 0; i < argc; i++) {
        char *arg = argv[i];
        sh_status st = SH_OK;
        if (!ended && strcmp(arg, "--") == 0)
            ended = true;
        else if (!ended && arg[0] == '-' && arg[1] != '\0')
            st = parse_option(top, a, argc, argv, &i, err);
        else if (a->cmd)
            a->args[a->nargs++] = arg;
        else if (!(a->cmd = cli_find_command(top, arg)))
            st = cli_usage(err, NULL, _("unknown command \"%s\"; \"sohoa help\" lists them"), arg);
        else
            a->opt = g_new0(cli_value, count_options(a->cmd->options) + 1);
        if (st != SH_OK)
            return st;
    }
    return SH_OK;
}

void cli_args_free(cli_args *a)
{
    for (size_t i = 0; a->opt && i < count_options(a->cmd->options); i++)
        g_free(a->opt[i].all);
    g_free(a->opt);
    g_free(a->global);
    g_free(a->args);
    *a = (cli_args){0};
}

/* ---- help ---- */

static int width_of(const char *s) { return (int)g_utf8_strlen(s, -1); }

/* Words of text from column col, wrapped at HELP_WIDTH with continuation lines at indent;
 * "\n" in text starts a new line, "\n\n" a new paragraph. */
static void put_wrapped(GString *s, const char *text, int col, int indent)
{
    char **lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        if (l != lines) {
            g_string_append_c(s, '\n');
            col = 0;
        }
        char **words = g_strsplit(*l, " ", -1);
        bool first = true;
        for (char **w = words; *w; w++) {
            if (!**w)
                continue;
            int ww = width_of(*w);
            if (col < indent || (!first && col + 1 + ww > HELP_WIDTH)) {
                if (col >= indent) {
                    g_string_append_c(s, '\n');
                    col = 0;
                }
                g_string_append_printf(s, "%*s", indent - col, "");
                col = indent;
            } else if (!first) {
                g_string_append_c(s, ' ');
                col++;
            }
            g_string_append(s, *w);
            col += ww;
            first = false;
        }
        g_strfreev(words);
    }
    g_strfreev(lines);
    g_string_append_c(s, '\n');
}

char *cli_option_label(const cli_option *o, bool roff)
{
    GString *s = g_string_new(NULL);
    const char *dash = roff ? "\\-" : "-";
    if (o->short_name)
        g_string_append_printf(s, roff ? "\\fB%s%c\\fR, " : "%s%c, ", dash, o->short_name);
    g_string_append_printf(s, roff ? "\\fB%s%s%s\\fR" : "%s%s%s", dash, dash, o->name);
    char *value = o->kind == CLI_ENUM   ? choices_text(o, "|")
                  : o->kind == CLI_FLAG ? NULL
                                        : g_strdup(_(o->metavar));
    if (value)
        g_string_append_printf(s, roff ? " \\fI%s\\fR" : " %s", value);
    g_free(value);
    return g_string_free(s, FALSE);
}

/* The label column: wide enough for most labels; a longer label puts its text on the next
 * line. */
static int label_column(const cli_command *c)
{
    int w = 0;
    for (const cli_option *o = c->options; o && o->name; o++) {
        char *l = cli_option_label(o, false);
        if (!(o->flags & CLI_HIDDEN) && width_of(l) <= 22)
            w = MAX(w, width_of(l));
        g_free(l);
    }
    for (const cli_item *it = c->verbs; it && it->name; it++)
        w = MAX(w, width_of(it->name) + 1 + (it->args ? width_of(_(it->args)) : 0));
    for (const cli_item *it = c->arguments; it && it->args; it++)
        w = MAX(w, MIN(22, width_of(_(it->args))));
    for (const cli_command *const *cc = c->commands; cc && *cc; cc++)
        w = MAX(w, width_of((*cc)->name));
    return 2 + MAX(w, 12) + 2;
}

static void put_entry(GString *s, const char *label, const char *help, int column)
{
    g_string_append_printf(s, "  %s", label);
    int col = 2 + width_of(label);
    if (col + 1 >= column) {
        g_string_append_c(s, '\n');
        col = 0;
    }
    put_wrapped(s, help, col, column);
}

/* The synopsis lines, the first after the label and the others under it. */
static void put_usage(GString *s, const char *usage)
{
    const char *label = _("Usage:");
    char **lines = g_strsplit(_(usage), "\n", -1);
    for (char **l = lines; *l; l++)
        if (**l)
            g_string_append_printf(s, "%s%*s %s\n", l == lines ? label : "",
                                   l == lines ? 0 : width_of(label), "", *l);
    g_strfreev(lines);
}

static void put_items(GString *s, const char *heading, const cli_item *items, int column)
{
    if (!items || !(items->name || items->args))
        return;
    g_string_append_printf(s, "\n%s\n", heading);
    for (const cli_item *it = items; it->name || it->args; it++) {
        char *label = it->name && it->args ? g_strdup_printf("%s %s", it->name, _(it->args))
                                           : g_strdup(it->name ? it->name : _(it->args));
        put_entry(s, label, _(it->help), column);
        g_free(label);
    }
}

static void put_options(GString *s, const char *heading, const cli_option *opts, int column)
{
    if (!opts || !opts->name)
        return;
    g_string_append_printf(s, "\n%s\n", heading);
    for (const cli_option *o = opts; o->name; o++) {
        if (o->flags & CLI_HIDDEN)
            continue;
        char *label = cli_option_label(o, false);
        put_entry(s, label, _(o->help), column);
        g_free(label);
    }
}

static void put_paragraphs(GString *s, const char *text)
{
    if (!text)
        return;
    g_string_append_c(s, '\n');
    put_wrapped(s, _(text), 0, 0);
}

char *cli_help_text(const cli_command *top, const cli_command *c)
{
    GString *s = g_string_new(NULL);
    put_usage(s, c->usage);
    put_paragraphs(s, c->description);
    int column = label_column(c);
    if (c->commands) {
        g_string_append_printf(s, "\n%s\n", _("Commands:"));
        for (const cli_command *const *cc = c->commands; *cc; cc++)
            put_entry(s, (*cc)->name, _((*cc)->summary), column);
    }
    put_items(s, _("Verbs:"), c->verbs, column);
    put_items(s, _("Arguments:"), c->arguments, column);
    put_options(s, c == top ? _("Options for every command:") : _("Options:"), c->options, column);
    put_paragraphs(s, c->notes);
    put_paragraphs(s, c->exit_status ? c->exit_status : top->exit_status);
    if (c != top)
        put_paragraphs(s, N_("The options for every command (--workspace, --operator, --json, -q, "
                             "-v and others): \"sohoa help\"."));
    return g_string_free(s, FALSE);
}

void cli_print_help(const cli_command *top, const cli_command *c)
{
    char *text = cli_help_text(top, c);
    fputs(text, stdout);
    g_free(text);
}
