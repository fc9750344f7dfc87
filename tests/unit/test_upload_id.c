/* Package IDs are ULIDs: the time readable by any ULID library, random after it, sortable. */
#include "testutil.h"

#include <string.h>

#include "upload/upload.h"

/* The ULID specification's example: 1469918176385 ms is "01ARYZ6S41" in its first 10 digits. */
static void time_is_encoded_as_the_specification_says(void **state)
{
    (void)state;
    char id[UP_PACKAGE_ID_LEN + 1];
    sh_error err;
    assert_int_equal(up_package_id_new(1469918176385, id, &err), SH_OK);
    assert_int_equal(strlen(id), UP_PACKAGE_ID_LEN);
    assert_memory_equal(id, "01ARYZ6S41", 10);
    assert_true(up_package_id_valid(id));
}

static void ids_differ_and_sort_by_time(void **state)
{
    (void)state;
    char a[UP_PACKAGE_ID_LEN + 1], b[UP_PACKAGE_ID_LEN + 1], c[UP_PACKAGE_ID_LEN + 1];
    sh_error err;
    assert_int_equal(up_package_id_new(1780000000000, a, &err), SH_OK);
    assert_int_equal(up_package_id_new(1780000000000, b, &err), SH_OK);
    assert_int_equal(up_package_id_new(1780000000001, c, &err), SH_OK);
    assert_string_not_equal(a, b); /* 80 random bits */
    assert_true(strcmp(a, c) < 0 && strcmp(b, c) < 0);
}

static void bad_ids_and_times_are_refused(void **state)
{
    (void)state;
    char id[UP_PACKAGE_ID_LEN + 1];
    sh_error err;
    assert_int_equal(up_package_id_new(-1, id, &err), SH_INTERNAL);
    assert_int_equal(up_package_id_new(INT64_C(1) << 48, id, &err), SH_INTERNAL);
    assert_false(up_package_id_valid(NULL));
    assert_false(up_package_id_valid(""));
    assert_false(up_package_id_valid("01ARYZ6S41TSV4RRFFQ69G5FA"));   /* 25 */
    assert_false(up_package_id_valid("01ARYZ6S41TSV4RRFFQ69G5FAVV")); /* 27 */
    assert_false(up_package_id_valid("01ARYZ6S41TSV4RRFFQ69G5FAU"));  /* U is not a digit */
    assert_false(up_package_id_valid("01arYZ6S41TSV4RRFFQ69G5FAV"));  /* lower case */
    assert_false(up_package_id_valid("81ARYZ6S41TSV4RRFFQ69G5FAV"));  /* past 2^128 */
    assert_true(up_package_id_valid("01ARYZ6S41TSV4RRFFQ69G5FAV"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(time_is_encoded_as_the_specification_says),
        cmocka_unit_test(ids_differ_and_sort_by_time),
        cmocka_unit_test(bad_ids_and_times_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
