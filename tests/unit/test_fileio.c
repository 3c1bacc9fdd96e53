/*
 * util/fileio: the atomic write's failure paths (every step that can fail
 * closes its descriptor and leaves no temporary file), and the capped reader.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include "util/error.h"
#include "util/fileio.h"

static int open_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* Entries in dir (besides . and ..). */
static int entries(const char *dir) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static int fail_eio(int fd, mode_t mode) {
    (void)fd;
    (void)mode;
    errno = EPERM;
    return -1;
}

static int fail_fsync(int fd) {
    (void)fd;
    errno = EIO;
    return -1;
}

static void write_fails(const kt_fileio_seam *seam, const char *want) {
    char *dir = kt_test_mkdtemp();
    char path[512];
    snprintf(path, sizeof path, "%s/out.bin", dir);
    int before = open_fds();
    kt_fileio_test_seam = seam;
    kt_error err = {0};
    kt_status st = kt_file_write_atomic(path, "abc", 3, 0644, &err);
    kt_fileio_test_seam = NULL;
    assert_int_equal(st, KT_E_IO);
    assert_non_null(strstr(err.message, want));
    assert_non_null(strstr(err.message, path));
    assert_int_equal(open_fds(), before); /* the descriptor was closed */
    assert_int_equal(entries(dir), 0);    /* no temporary file left */
    kt_test_rmtree(dir);
    free(dir);
}

static void test_fchmod_fails(void **state) {
    (void)state;
    const kt_fileio_seam seam = {fail_eio, NULL};
    write_fails(&seam, strerror(EPERM));
}

static void test_fsync_fails(void **state) {
    (void)state;
    const kt_fileio_seam seam = {NULL, fail_fsync};
    write_fails(&seam, strerror(EIO));
}

static void test_rename_fails(void **state) {
    (void)state;
    /* the target is a non-empty directory: rename refuses, the temporary goes */
    char *dir = kt_test_mkdtemp();
    char path[512], inner[600];
    snprintf(path, sizeof path, "%s/target", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(inner, sizeof inner, "%s/keep", path);
    FILE *f = fopen(inner, "w");
    assert_non_null(f);
    fclose(f);
    int before = open_fds();
    kt_error err = {0};
    assert_int_equal(kt_file_write_atomic(path, "abc", 3, 0644, &err), KT_E_IO);
    assert_non_null(strstr(err.message, "cannot move"));
    assert_int_equal(open_fds(), before);
    assert_int_equal(entries(dir), 1);
    kt_test_rmtree(dir);
    free(dir);
}

static void test_no_directory(void **state) {
    (void)state;
    kt_error err = {0};
    assert_int_equal(kt_file_write_atomic("/nonexistent-kt-dir/x", "a", 1, 0644, &err), KT_E_IO);
    assert_non_null(strstr(err.message, "temporary file"));
}

static void test_write_then_read(void **state) {
    (void)state;
    char *dir = kt_test_mkdtemp();
    char path[512];
    snprintf(path, sizeof path, "%s/ok.bin", dir);
    kt_error err = {0};
    assert_int_equal(kt_file_write_atomic(path, "hello", 5, 0600, &err), KT_OK);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    uint8_t *data = NULL;
    size_t len = 0;
    assert_int_equal(kt_file_read(path, 5, &data, &len, &err), KT_OK);
    assert_int_equal(len, 5);
    assert_memory_equal(data, "hello", 5);
    free(data);
    assert_int_equal(kt_file_read(path, 4, &data, &len, &err), KT_E_TOO_LARGE);
    assert_null(data);
    assert_int_equal(kt_file_read(dir, 4, &data, &len, &err), KT_E_IO);
    assert_int_equal(entries(dir), 1);
    kt_test_rmtree(dir);
    free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fchmod_fails),   cmocka_unit_test(test_fsync_fails),
        cmocka_unit_test(test_rename_fails),   cmocka_unit_test(test_no_directory),
        cmocka_unit_test(test_write_then_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
