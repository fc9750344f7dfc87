/* The manual page sohoa(1) and the bash completion script, made from the commands' tables
 * ("sohoa help --man", "sohoa help --completion bash"; the build runs them), so that neither
 * can drift from what sohoa parses. */
#include "cli.h"

#include <string.h>

#include <glib.h>

/* ---- roff ---- */

/* Text for a roff line: backslashes escaped, a leading '.' or '\'' made literal, and the
 * dashes of option names made minus signs (so that they can be copied into a terminal). */
static void roff(GString *s, const char *text)
{
    if (text[0] == '.' || text[0] == '\'')
        g_string_append(s, "\\&");
    for (const char *p = text; *p; p++) {
        bool word_start = p == text || strchr(" ([|\"-", p[-1]);
        if (*p == '\\')
            g_string_append(s, "\\e");
        else if (*p == '-' && word_start)
            g_string_append(s, "\\-");
        else
            g_string_append_c(s, *p);
    }
}

/* Paragraphs ("\n\n" between, "\n" a line break) as .PP blocks. */
static void roff_paragraphs(GString *s, const char *text)
{
    if (!text)
        return;
    char **paras = g_strsplit(_(text), "\n\n", -1);
    for (char **p = paras; *p; p++) {
        g_string_append(s, ".PP\n");
        char **lines = g_strsplit(*p, "\n", -1);
        for (char **l = lines; *l; l++) {
            if (l != lines)
                g_string_append(s, ".br\n");
            roff(s, *l);
            g_string_append_c(s, '\n');
        }
        g_strfreev(lines);
    }
    g_strfreev(paras);
}

static void roff_entry(GString *s, const char *label, const char *help)
{
    g_string_append_printf(s, ".TP\n%s\n", label);
    roff(s, help);
    g_string_append_c(s, '\n');
}

static void roff_usage(GString *s, const char *usage)
{
    g_string_append(s, ".nf\n");
    char **lines = g_strsplit(_(usage), "\n", -1);
    for (char **l = lines; *l; l++) {
        roff(s, *l);
        g_string_append_c(s, '\n');
    }
    g_strfreev(lines);
    g_string_append(s, ".fi\n");
}

static void roff_options(GString *s, const cli_option *opts)
{
    for (const cli_option *o = opts; o && o->name; o++) {
        if (o->flags & CLI_HIDDEN)
            continue;
        char *label = cli_option_label(o, true);
        roff_entry(s, label, _(o->help));
        g_free(label);
    }
}

static void roff_items(GString *s, const cli_item *items)
{
    for (const cli_item *it = items; it && (it->name || it->args); it++) {
        GString *label = g_string_new(NULL);
        if (it->name)
            g_string_append_printf(label, "\\fB%s\\fR", it->name);
        if (it->args)
            g_string_append_printf(label, "%s\\fI%s\\fR", it->name ? " " : "", _(it->args));
        roff_entry(s, label->str, _(it->help));
        g_string_free(label, TRUE);
    }
}

static void roff_command(GString *s, const cli_command *top, const cli_command *c)
{
    g_string_append_printf(s, ".SS \"sohoa %s\"\n", c->name);
    roff(s, _(c->summary));
    g_string_append(s, "\n.PP\n");
    roff_usage(s, c->usage);
    roff_paragraphs(s, c->description);
    roff_items(s, c->verbs);
    roff_items(s, c->arguments);
    roff_options(s, c->options);
    roff_paragraphs(s, c->notes);
    if (c->exit_status && c->exit_status != top->exit_status)
        roff_paragraphs(s, c->exit_status);
}

static const struct {
    const char *path, *help;
} FILES[] = {
    {"sohoa.ini", N_("the workspace's configuration: the station, the operator, and the naming, "
                     "validation and signing settings")},
    {".sohoa/ledger.db", N_("the ledger: documents, verdicts, signatures and the audit log")},
    {".sohoa/journals/", N_("the journals of \"sohoa name fix --apply\", for --undo")},
    {".sohoa/superseded/", N_("documents replaced by a rescan (ingest --replace), and their "
                              "signed copies")},
};

void cli_print_man(const cli_command *top)
{
    GString *s = g_string_new(".\\\" -*- coding: UTF-8 -*-\n");
    g_string_append(s, ".\\\" Made by \"sohoa help --man\" from the command tables.\n");
    g_string_append_printf(s, ".TH SOHOA 1 \"\" \"sohoa %s\" \"%s\"\n", SOHOA_VERSION,
                           _("User Commands"));
    g_string_append_printf(s, ".SH \"%s\"\nsohoa \\- ", _("NAME"));
    roff(s, _(top->summary));
    g_string_append_printf(s, "\n.SH \"%s\"\n", _("SYNOPSIS"));
    roff_usage(s, top->usage);
    for (const cli_command *const *c = top->commands; *c; c++)
        roff_usage(s, (*c)->usage);
    g_string_append_printf(s, ".SH \"%s\"\n", _("DESCRIPTION"));
    roff_paragraphs(s, top->description);
    g_string_append_printf(s, ".SH \"%s\"\n", _("GLOBAL OPTIONS"));
    roff_options(s, top->options);
    g_string_append_printf(s, ".SH \"%s\"\n", _("COMMANDS"));
    for (const cli_command *const *c = top->commands; *c; c++)
        roff_command(s, top, *c);
    g_string_append_printf(s, ".SH \"%s\"\n", _("EXIT STATUS"));
    roff_paragraphs(s, top->exit_status);
    g_string_append_printf(s, ".SH \"%s\"\n", _("FILES"));
    for (size_t i = 0; i < G_N_ELEMENTS(FILES); i++) {
        char *label = g_strdup_printf("\\fI%s\\fR", FILES[i].path);
        roff_entry(s, label, _(FILES[i].help));
        g_free(label);
    }
    g_string_append_printf(s, ".SH \"%s\"\n", _("SEE ALSO"));
    roff(s, _("The guides of the sohoa sources: DESIGN.md, docs/ingest.md, docs/validate.md, "
              "docs/architecture.md."));
    g_string_append_c(s, '\n');
    fputs(s->str, stdout);
    g_string_free(s, TRUE);
}

/* ---- bash completion ---- */

/* What an option's value is, for the completion: a file, a folder, the words of an
 * enumeration, or any text; NULL for a flag. */
static char *value_kind(const cli_option *o)
{
    switch (o->kind) {
    case CLI_FLAG:
        return NULL;
    case CLI_FILE:
        return g_strdup("@file");
    case CLI_DIR:
        return g_strdup("@dir");
    case CLI_ENUM:
        return g_strjoinv(" ", (char **)o->choices);
    case CLI_INT:
        if (o->hi - o->lo < 10) { /* a few numbers: offer them */
            GString *s = g_string_new(NULL);
            for (long long i = (long long)o->lo; i <= (long long)o->hi; i++)
                g_string_append_printf(s, "%s%lld", s->len ? " " : "", i);
            return g_string_free(s, FALSE);
        }
        return g_strdup("@text");
    default:
        return g_strdup("@text");
    }
}

static void option_words(GString *s, const cli_option *opts)
{
    for (const cli_option *o = opts; o && o->name; o++)
        if (!(o->flags & (CLI_HIDDEN | CLI_GLOBAL))) {
            if (o->short_name)
                g_string_append_printf(s, " -%c", o->short_name);
            g_string_append_printf(s, " --%s", o->name);
        }
}

static void value_cases(GString *s, const char *command, const cli_option *opts)
{
    for (const cli_option *o = opts; o && o->name; o++) {
        char *kind = value_kind(o);
        if (kind && !(o->flags & (CLI_HIDDEN | CLI_GLOBAL))) {
            g_string_append_printf(s, "    %s:--%s", command, o->name);
            if (o->short_name)
                g_string_append_printf(s, " | %s:-%c", command, o->short_name);
            g_string_append_printf(s, ") echo '%s' ;;\n", kind);
        }
        g_free(kind);
    }
}

static const char COMPLETION_BODY[] =
    "_sohoa() {\n"
    "  local cur=${COMP_WORDS[COMP_CWORD]} prev= cmd= verb= i w kind\n"
    "  [ \"$COMP_CWORD\" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD-1]}\n"
    "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
    "    w=${COMP_WORDS[i]}\n"
    "    case $w in\n"
    "      --) break ;;\n"
    "      --*=*) ;;\n"
    "      -*) [ -n \"$(_sohoa_value \"$cmd\" \"$w\")\" ] && ((i++)) ;;\n"
    "      *) if [ -z \"$cmd\" ]; then cmd=$w; elif [ -z \"$verb\" ]; then verb=$w; fi ;;\n"
    "    esac\n"
    "  done\n"
    "  kind=$(_sohoa_value \"$cmd\" \"$prev\")\n"
    "  if [ -z \"$kind\" ] && [[ $cur == -* ]]; then\n"
    "    kind=\"$(_sohoa_options \"$cmd\") $_sohoa_globals\"\n"
    "  elif [ -z \"$kind\" ] && [ -z \"$cmd\" ]; then\n"
    "    kind=$_sohoa_commands\n"
    "  elif [ -z \"$kind\" ] && [ \"$cmd\" = help ] && [ -z \"$verb\" ]; then\n"
    "    kind=$_sohoa_commands\n"
    "  elif [ -z \"$kind\" ] && [ -z \"$verb\" ] && [ -n \"$(_sohoa_verbs \"$cmd\")\" ]; then\n"
    "    kind=$(_sohoa_verbs \"$cmd\")\n"
    "  elif [ -z \"$kind\" ]; then\n"
    "    kind=@file\n"
    "  fi\n"
    "  case $kind in\n"
    "    @text) COMPREPLY=() ;;\n"
    "    @file) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n"
    "    @dir) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- \"$cur\")) ;;\n"
    "    *) COMPREPLY=($(compgen -W \"$kind\" -- \"$cur\")) ;;\n"
    "  esac\n"
    "}\n"
    "complete -F _sohoa sohoa\n";

void cli_print_completion(const cli_command *top)
{
    GString *s = g_string_new("# bash completion for sohoa(1); made by \"sohoa help --completion "
                              "bash\" from the command tables.\n");
    g_string_append(s, "_sohoa_commands='");
    for (const cli_command *const *c = top->commands; *c; c++)
        g_string_append_printf(s, "%s%s", c == top->commands ? "" : " ", (*c)->name);
    g_string_append(s, "'\n_sohoa_globals='");
    option_words(s, top->options);
    g_string_append(s, "'\n\n# _sohoa_value COMMAND OPTION: what OPTION's value is (@file, @dir, "
                       "@text or its words); nothing for a flag\n_sohoa_value() {\n  case "
                       "$1:$2 in\n");
    value_cases(s, "*", top->options);
    for (const cli_command *const *c = top->commands; *c; c++)
        value_cases(s, (*c)->name, (*c)->options);
    g_string_append(s, "  esac\n}\n\n_sohoa_options() {\n  case $1 in\n");
    for (const cli_command *const *c = top->commands; *c; c++) {
        g_string_append_printf(s, "    %s) echo '", (*c)->name);
        option_words(s, (*c)->options);
        g_string_append(s, "' ;;\n");
    }
    g_string_append(s, "  esac\n}\n\n_sohoa_verbs() {\n  case $1 in\n");
    for (const cli_command *const *c = top->commands; *c; c++)
        if ((*c)->verbs) {
            g_string_append_printf(s, "    %s) echo '", (*c)->name);
            for (const cli_item *v = (*c)->verbs; v->name; v++)
                g_string_append_printf(s, "%s%s", v == (*c)->verbs ? "" : " ", v->name);
            g_string_append(s, "' ;;\n");
        }
    g_string_append(s, "  esac\n}\n\n");
    g_string_append(s, COMPLETION_BODY);
    fputs(s->str, stdout);
    g_string_free(s, TRUE);
}
