/* naming — Phụ lục 1 and 2 of Công văn 1361-CV/BTCTW: the catalog of 104 document types,
 * Vietnamese → ASCII transliteration, and the parts of folder and file names.
 *
 * Folder: <M1>.<M2>.<M3>.<M4>.<M5>/<CCCD>_<HoTenDangVien>
 *         93.000.036.001.015/012345678901_NguyenVanA
 *         (or, for a member without a CCCD, a CMND or passport number: 123456789_NguyenVanA,
 *         C1234567_NguyenVanA)
 * File:   <STT>.<Ten tai lieu>[.<SoThuTu>].pdf
 *         02.Ly lich dang vien.pdf, 55.Giay gioi thieu sinh hoat dang tam thoi.2.pdf
 */
#ifndef SOHOA_NAMING_H
#define SOHOA_NAMING_H

#include <stdbool.h>
#include <stddef.h>

#include "core/core.h"

/* ---- the catalog (naming/catalog.def, compiled in) ---- */

#define NM_CATALOG_SIZE 104
#define NM_NAME_MAX 80 /* longest canonical ASCII name */
#define NM_SEQ_MAX 999 /* largest SoThuTu */

typedef struct {
    int stt;                /* 1..104 */
    int priority;           /* 1, 2 or 3 */
    const char *name_vi;    /* as printed in Phụ lục 1 (NFC) */
    const char *name_ascii; /* canonical, as used in file names */
    const char *aliases;    /* other accepted spellings, '|'-separated; "" for none */
} nm_doc_type;

/* The types in STT order: nm_catalog()[i].stt == i + 1. */
const nm_doc_type *nm_catalog(void);
/* The type with this STT, or NULL. */
const nm_doc_type *nm_catalog_find(int stt);
/* Is `name` (ASCII, compared case-insensitively) the canonical name or an alias of t? A name
 * without any space also matches with the official spaces left out: LyLichDangVien. */
bool nm_type_has_name(const nm_doc_type *t, const char *name);
/* "Ly lich dang vien" → "LyLichDangVien": the form rule 2.3 read strictly asks for. g_free() it. */
char *nm_spaceless(const char *name);

/* ---- transliteration ---- */

/* Vietnamese text, NFC or NFD, to ASCII: tone and vowel marks dropped, đ/Đ → d/D; other
 * characters unchanged. NULL for invalid UTF-8. g_free() the result. */
char *nm_ascii(const char *utf8);
/* A document title by the canonical rule: transliterated, punctuation dropped, spaces
 * collapsed, lower case with the first letter upper case. NULL for invalid UTF-8. */
char *nm_document_title(const char *utf8);
/* A person's full name as used in dossier folders: "Nguyễn Văn A" → "NguyenVanA". NULL when the
 * text is invalid UTF-8 or holds a character that is not a letter, space, hyphen or apostrophe. */
char *nm_person_name(const char *utf8);
/* Does s hold any character outside printable ASCII? */
bool nm_has_non_ascii(const char *s);
/* A name or path as text for a person: itself when it is UTF-8; otherwise each byte that is not
 * part of a UTF-8 character is written \xNN, so two different names never look alike (U+FFFD
 * would make them). g_free() it. */
char *nm_shown(const char *bytes);

/* ---- parts of folder names ---- */

/* "93.000.036.001.015": five dot-separated groups of 2, 3, 3, 3 and 3 digits. */
bool nm_org_code_valid(const char *code);

typedef enum {
    NM_CCCD_OK,
    NM_CCCD_FORMAT,         /* not exactly 12 digits */
    NM_CCCD_PROVINCE,       /* digits 1-3 are not one of the 63 provincial codes */
    NM_CCCD_IMPLAUSIBLE_AGE /* digits 4-6 give a birth year that makes no Party member: a warning */
} nm_cccd_result;

/* Check a citizen ID number; current_year is for the age check. birth_year (may be NULL) gets
 * the year of birth encoded in digits 4-6 when the format is right. */
nm_cccd_result nm_cccd_check(const char *cccd, int current_year, int *birth_year);
/* The province whose code is digits 1-3 of a CCCD (1 → "Hà Nội"), or NULL. */
const char *nm_province_name(int code);

/* The member key a dossier folder starts with (QĐ-KN Đ17.2): the CCCD, or for a member without
 * one a temporary key, the old ID card (CMND) or the passport number. */
typedef enum {
    NM_KEY_NONE,    /* none of the shapes below */
    NM_KEY_CCCD,    /* 12 digits (a 12-digit CMND reads as one: the same shape) */
    NM_KEY_CMND,    /* 9 digits */
    NM_KEY_PASSPORT /* a capital letter and 7 digits: C1234567 */
} nm_key_kind;

#define NM_KEY_LEN 12 /* the longest key, a CCCD */
#define NM_KEY_SIZE (NM_KEY_LEN + 1)

/* The kind a key's shape says; only the shape (nm_cccd_check checks a CCCD's digits). */
nm_key_kind nm_key_kind_of(const char *key);
/* "cccd", "cmnd", "passport" as package.json writes them; NULL for NM_KEY_NONE. */
const char *nm_key_kind_name(nm_key_kind kind);
/* The kind of such a word; NM_KEY_NONE for any other. */
nm_key_kind nm_key_kind_from_name(const char *name);
/* The kind as an operator reads it (translated): CCCD, CMND, passport. */
const char *nm_key_kind_label(nm_key_kind kind);

/* "012345678901_NguyenVanA", "123456789_NguyenVanA", "C1234567_NguyenVanA": the key and the
 * name part; false unless it has that shape: 12 characters (any, the CCCD check says what is
 * wrong with them), or a CMND or passport number, then "_". */
SH_NODISCARD bool nm_split_dossier_folder(const char *folder, char key[NM_KEY_SIZE],
                                          const char **person);
/* A person-name part is ASCII letters, at least two words, each capitalised: NguyenVanA. */
bool nm_person_part_valid(const char *person);
/* The CCCD a dossier folder's name starts with: 12 digits after any leading spaces, whatever
 * follows ("012345678901 - Nguyen Van A" too); false when it does not start so. */
SH_NODISCARD bool nm_dossier_cccd(const char *folder_name, char cccd[NM_KEY_SIZE]);
/* The same for any member key: 12 digits (CCCD), 9 digits (CMND) or a capital letter and 7
 * digits (passport), not followed by another digit; its kind in *kind (may be NULL). */
SH_NODISCARD bool nm_dossier_key(const char *folder_name, char key[NM_KEY_SIZE], nm_key_kind *kind);

/* ---- file names ---- */

/* "02.Ly lich dang vien.pdf"; seq 0 means no SoThuTu; signed_suffix ("_signed" or ".signed")
 * or NULL for the unsigned file. g_free() it. */
char *nm_file_name(const nm_doc_type *t, int seq, const char *signed_suffix);
/* The STT as written in file names: 2 digits, 3 for 100-104. */
void nm_stt_text(int stt, char out[4]);

/* ---- [naming] in sohoa.ini, naming's own section (config.c) ---- */

typedef enum { NM_SPACES_ALLOW, NM_SPACES_FORBID } nm_spaces_policy;

/* The words of signed_suffix, NULL-terminated: "_signed", ".signed". */
extern const char *const nm_signed_suffixes[];

typedef struct {
    nm_spaces_policy spaces; /* spaces = allow | forbid */
    int signed_suffix;       /* its index in nm_signed_suffixes */
} nm_config;

/* The table of [naming]: a program that reads it lists this section (sh_config_use_sections). */
extern const sh_config_section nm_config_section;
/* The [naming] values of cfg; NULL when the program does not list nm_config_section. */
const nm_config *nm_config_get(const sh_config *cfg);

/* ---- the rules a workspace applies ---- */

typedef struct {
    nm_spaces_policy spaces;   /* spaces inside the document name: allowed, or not */
    const char *signed_suffix; /* "_signed" or ".signed" */
    int current_year;          /* for the CCCD age check */
} nm_rules;

/* The defaults of [naming] (its table), and this year. */
void nm_rules_default(nm_rules *r);
/* The rules of a workspace's configuration; the defaults when it has no [naming] table. */
void nm_rules_from_config(nm_rules *r, const sh_config *cfg);

/* What a document file name says. */
typedef struct {
    const nm_doc_type *type;
    int seq; /* SoThuTu; 0 when none */
    bool is_signed;
} nm_file_id;

/* The canonical file name of id under r (spaces policy and signed suffix). g_free() it. */
char *nm_canonical_file_name(const nm_file_id *id, const nm_rules *r);

/* Is `name` a correct document file name under r? Fills *id when it is. The fast path. */
SH_NODISCARD bool nm_parse_file_name(const char *name, const nm_rules *r, nm_file_id *id);

/* What is wrong with a file name, as bits of nm_file_diagnosis.problems. */
enum {
    NM_BAD_UTF8 = 1 << 0,         /* bytes that are not UTF-8 (an old Windows code page) */
    NM_NOT_PDF = 1 << 1,          /* another extension, or none */
    NM_EXT_CASE = 1 << 2,         /* .PDF, .Pdf */
    NM_DIACRITICS = 1 << 3,       /* letters with marks, đ */
    NM_STRAY_SPACES = 1 << 4,     /* leading, trailing, doubled, or around a dot */
    NM_SPACES_FORBIDDEN = 1 << 5, /* spaces in the name under naming.spaces = forbid */
    NM_NO_STT = 1 << 6,           /* the name does not start with the STT */
    NM_STT_PADDING = 1 << 7,      /* 2 or 002 instead of 02 */
    NM_STT_UNKNOWN = 1 << 8,      /* a number that is not an STT of Phụ lục 1 */
    NM_SEPARATOR = 1 << 9,        /* "02 Ly lich", "02_Ly lich", "02-Ly lich" */
    NM_NAME_MISSING = 1 << 10,    /* "02.pdf" */
    NM_NAME_CHARS = 1 << 11,      /* punctuation in the name */
    NM_NAME_APPROX = 1 << 12,     /* the STT's type, misspelt or abbreviated */
    NM_NAME_OTHER_TYPE = 1 << 13, /* the name of another type than the STT's */
    NM_NAME_UNKNOWN = 1 << 14,    /* a name of no type */
    NM_SEQ_FORMAT = 1 << 15,      /* .01 or .0 */
    NM_SUFFIX_FORM = 1 << 16,     /* the signed suffix in the form not configured */
};

typedef struct {
    unsigned problems;
    nm_file_id guess;              /* what the name most likely meant; type NULL when unknown */
    bool sure;                     /* the guess is certain enough to rename without a person */
    int stt_written;               /* the number the name starts with; -1 when none */
    const nm_doc_type *named_type; /* with NM_NAME_OTHER_TYPE: the type the name part names */
} nm_file_diagnosis;

/* Take a file name that nm_parse_file_name refused apart as leniently as a person would read it.
 * Bounded: names longer than NAME_MAX bytes are read up to that length. */
void nm_diagnose_file_name(const char *name, const nm_rules *r, nm_file_diagnosis *d);

/* ---- checking a tree of dossiers (check.c) ---- */

typedef struct {
    size_t org_folders, dossiers, files; /* what was looked at */
    size_t errors, warnings;             /* findings reported */
    size_t unreadable;                   /* folders that could not be listed */
} nm_check_summary;

/* Check the names under `path`: a file, a dossier folder, an organisation folder, or a folder
 * holding organisation folders (a workspace root). Each finding (name.*) goes to sink, with the
 * path as the user wrote it (bytes that are not UTF-8 shown as by nm_shown), a suggested name
 * where one can be worked out, and whether that suggestion is certain (fixable). Hidden entries
 * (.name), Thumbs.db and desktop.ini are not looked at. Returns SH_INPUT when path, or a folder
 * under it, could not be read (the rest is still checked); findings do not change the status.
 *
 * One member key (a CCCD, or a CMND or passport number: the same kind and number) in two
 * dossier folders is name.cccd_duplicate on each, naming the other. The
 * dossiers compared: every one the walk meets, and for an organisation or dossier folder given
 * on its own, those of the organisation folders beside it (docs/naming.md). Before the walk,
 * one listing of each organisation folder builds the index: 16 bytes per dossier and its
 * folder name. */
SH_NODISCARD sh_status nm_check_path(const char *path, const nm_rules *r, sh_finding_sink sink,
                                     void *ctx, nm_check_summary *sum, sh_error *err);
/* Does the name end in .pdf, in any case? */
bool nm_is_pdf_name(const char *name);

/* The same walk for validate, which also reads each PDF: the visitor is given every file whose
 * name ends in .pdf (any case), whatever its name's findings, after those findings; and each
 * dossier once all its files have been given. A file given alone is visited with its folder as
 * the dossier when it lies in one, but no dossier_done follows. */
typedef struct {
    /* dossier: the dossier folder's path as walked, NULL for a document outside any; id: what
     * the name says or most likely means (type NULL when unknown). */
    void (*file)(const char *path, const char *dossier, const nm_file_id *id, void *ctx);
    void (*dossier_done)(const char *path, void *ctx);
    void *ctx;
} nm_visitor;

SH_NODISCARD sh_status nm_walk_path(const char *path, const nm_rules *r, sh_finding_sink sink,
                                    void *ctx, const nm_visitor *visit, nm_check_summary *sum,
                                    sh_error *err);
/* For ingest: another dossier folder of this member key (nm_dossier_key) in the organisation
 * folders of a workspace root than `folder_rel` ("ORG/KEY_HoTen"): its path relative to root
 * ("ORG/NAME", the first by name), or NULL. One listing of root and of each folder in it.
 * g_free() it. */
char *nm_other_dossier_of(const char *root, const char *key, const char *folder_rel);
/* The checks of an organisation code (name.folder) and a CCCD (name.cccd) on their own, for
 * "sohoa name folder"; path may be NULL. False when there is an error (a warning is not one). */
bool nm_check_org_code(const char *code, const char *path, const nm_rules *r, sh_finding_sink sink,
                       void *ctx);
bool nm_check_cccd(const char *cccd, const char *path, const nm_rules *r, sh_finding_sink sink,
                   void *ctx);
/* A member key of any kind: a CCCD as nm_check_cccd; a CMND or passport number is accepted
 * with the warning name.temporary_key (the member has no CCCD yet); anything else is the error
 * name.cccd. */
bool nm_check_key(const char *key, const char *path, const nm_rules *r, sh_finding_sink sink,
                  void *ctx);
/* The dossier folder "ORG/KEY_NguyenVanA" of an organisation code, a member key and a full name
 * as typed ("Nguyễn Văn A"), after the checks above (nm_check_key) and of the name
 * (name.person); NULL when any of them has an error, each reported to sink. g_free() it. */
char *nm_dossier_folder(const char *org, const char *key, const char *person_utf8,
                        const nm_rules *r, sh_finding_sink sink, void *ctx);

/* ---- repairing names (fix.c) ---- */

typedef struct {
    char *from, *to; /* paths as the check saw them */
} nm_rename;

typedef struct {
    char *path;
    const char *code;
    char *message;
    char *suggestion; /* may be NULL */
} nm_undecided;

typedef struct {
    nm_rename *renames; /* in the order to perform: a folder's contents before the folder */
    size_t n_renames;
    nm_undecided *undecided; /* what a person must decide: no certain name, or a clash */
    size_t n_undecided;
    nm_check_summary summary;
} nm_fix_plan;

/* Check `path` and turn every certain suggestion into a rename. A rename onto a name that is
 * taken, or two onto the same name, goes to the undecided list instead. */
SH_NODISCARD sh_status nm_fix_plan_make(const char *path, const nm_rules *r, nm_fix_plan *plan,
                                        sh_error *err);
void nm_fix_plan_free(nm_fix_plan *plan);

typedef enum {
    NM_STEP_DONE,    /* renamed */
    NM_STEP_ALREADY, /* undo: already under its old name */
    NM_STEP_FAILED,  /* not renamed; `why` says why */
} nm_step_result;

typedef void (*nm_step_fn)(const char *from, const char *to, nm_step_result result, const char *why,
                           void *ctx);

/* Write the journal (atomically; an existing one is never replaced), then perform the renames
 * in order, never overwriting anything; each step is told to fn. Counts in *done / *failed. */
SH_NODISCARD sh_status nm_fix_apply(const nm_fix_plan *plan, const char *journal, nm_step_fn fn,
                                    void *ctx, size_t *done, size_t *failed, sh_error *err);
/* The same in steps, for a caller that records its intent in between (sohoa name fix --apply:
 * the journal's SHA-256 in the audit chain, with the intent to publish the journal, before the
 * first rename): the journal's text written and sealed under a hidden temp name (core.h,
 * "Publishing a file the ledger records"), NULL with err filled on failure; then the renames. */
sh_atomic_file *nm_fix_journal_open(const nm_fix_plan *plan, const char *journal,
                                    char sha256_hex[SH_SHA256_HEX_LEN + 1], sh_error *err);
void nm_fix_apply_renames(const nm_fix_plan *plan, nm_step_fn fn, void *ctx, size_t *done,
                          size_t *failed);
/* The SHA-256 of a journal's bytes (and that it parses). */
SH_NODISCARD sh_status nm_journal_sha256(const char *journal,
                                         char sha256_hex[SH_SHA256_HEX_LEN + 1], sh_error *err);
/* What an interrupted apply of a journal did, from what is on disk; a case-only rename killed
 * halfway (the file parked as .NAME.sohoa-rename) gets its old name back, never deleted. */
typedef struct {
    char sha256[SH_SHA256_HEX_LEN + 1]; /* of the journal's bytes */
    size_t renamed;                     /* under the new name */
    size_t not_renamed;                 /* under the old name, or gone */
    size_t restored;                    /* parked halfway, given the old name back */
} nm_fix_settlement;
SH_NODISCARD sh_status nm_fix_settle(const char *journal, nm_fix_settlement *out, sh_error *err);

/* The audit trail of an apply (docs/audit.md): NM_FIX_BEGIN before the first rename (subject:
 * the journal; details: its SHA-256), then "name.fix" with "begin": that entry's id. An apply
 * killed in between is closed by NM_FIX_INTERRUPTED (what was renamed, from the disk) at the
 * next apply, or by its --undo ("name.fix.undo" naming the begin too). */
#define NM_FIX_BEGIN "name.fix.begin"
#define NM_FIX_INTERRUPTED "name.fix.interrupted"
/* The id of the NM_FIX_BEGIN entry of journal (an absolute path), or 0 when none; *open when
 * no entry has closed it yet. */
SH_NODISCARD sh_status nm_fix_begin_of(sh_ledger *l, const char *journal, int64_t *id, bool *open,
                                       sh_error *err);
/* Close the begun applies that have no end and whose process is gone (their journal is not
 * locked, nor being published: run sh_publish_recover first): each is settled (nm_fix_settle)
 * and recorded as NM_FIX_INTERRUPTED under actor. root: the workspace's. *closed counts them. */
SH_NODISCARD sh_status nm_fix_recover(sh_ledger *l, const char *root, const sh_actor *actor,
                                      size_t *closed, sh_error *err);
/* Reverse a journal, last rename first: what is found under its new name gets its old name
 * back; what is already under its old name is left; what a case-only rename left parked halfway
 * (.NAME.sohoa-rename) gets its old name back. */
SH_NODISCARD sh_status nm_fix_undo(const char *journal, nm_step_fn fn, void *ctx, size_t *done,
                                   size_t *failed, sh_error *err);

/* The journal's text form (docs/naming.md): parse, bounded; renames hold absolute paths. */
SH_NODISCARD sh_status nm_journal_parse(const char *text, size_t len, nm_rename **renames,
                                        size_t *n, sh_error *err);
void nm_renames_free(nm_rename *renames, size_t n);

/* ---- matching a title typed by a person to a type ---- */

typedef struct {
    const nm_doc_type *type;
    double score; /* 0..1, 1 = exact */
} nm_match;

/* Rank the types by how well `title` (Vietnamese with or without diacritics, abbreviated as
 * officials write — QĐ, NQ, ĐV, GGT… — or with typos) names them. Fills out[0..max) best first
 * and returns how many. A title that is only a number is taken as an STT. */
size_t nm_match_title(const char *title, nm_match *out, size_t max);
/* Is the best match clear? (good enough, and well ahead of the next) */
bool nm_match_is_clear(const nm_match *m, size_t n);

#endif
