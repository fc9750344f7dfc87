/* naming — Phụ lục 1 and 2 of Công văn 1361-CV/BTCTW: the catalog of 104 document types,
 * Vietnamese → ASCII transliteration, and the parts of folder and file names.
 *
 * Folder: <M1>.<M2>.<M3>.<M4>.<M5>/<CCCD>_<HoTenDangVien>
 *         93.000.036.001.015/012345678901_NguyenVanA
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
/* Is `name` (ASCII, compared case-insensitively) the canonical name or an alias of t? */
bool nm_type_has_name(const nm_doc_type *t, const char *name);

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

/* "012345678901_NguyenVanA": the CCCD and the name part; false unless it has that shape. */
bool nm_split_dossier_folder(const char *folder, char cccd[13], const char **person);
/* A person-name part is ASCII letters, at least two words, each capitalised: NguyenVanA. */
bool nm_person_part_valid(const char *person);

/* ---- file names ---- */

/* "02.Ly lich dang vien.pdf"; seq 0 means no SoThuTu; signed_suffix ("_signed" or ".signed")
 * or NULL for the unsigned file. g_free() it. */
char *nm_file_name(const nm_doc_type *t, int seq, const char *signed_suffix);
/* The STT as written in file names: 2 digits, 3 for 100-104. */
void nm_stt_text(int stt, char out[4]);

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
