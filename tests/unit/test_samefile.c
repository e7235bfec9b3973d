/* test_samefile.c - mk_output_not_input: an output naming an input is refused however it is
 * spelled (same path, ./ and // spellings, relative vs absolute, a symlink on either side, a hard
 * link); a different file with equal bytes, a missing output and a missing input are not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "mpikit/samefile.h"

static char dir[64];

static void path_of(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", dir, name);
}

static void write_file(const char *name, const char *text)
{
    char p[256];
    path_of(p, sizeof p, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/mk-samefile-XXXXXX", tmp != NULL && strlen(tmp) < 32 ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL)
        return -1;
    write_file("corpus.txt", "the cat\n");
    write_file("copy.txt", "the cat\n");
    char a[256], b[256];
    path_of(a, sizeof a, "corpus.txt");
    path_of(b, sizeof b, "link-to-corpus");
    if (symlink(a, b) != 0)
        return -1;
    path_of(b, sizeof b, "hard-corpus");
    return link(a, b);
}

static int teardown(void **state)
{
    (void)state;
    const char *names[] = {"corpus.txt", "copy.txt", "link-to-corpus", "hard-corpus"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char p[256];
        path_of(p, sizeof p, names[i]);
        unlink(p);
    }
    return rmdir(dir);
}

/* The verdict for output `out` against inputs `in` (paths relative to dir unless absolute). */
static int verdict(const char *out, const char *const *in, int n, mk_err *err)
{
    char o[256], p[4][256];
    const char *inputs[4];
    if (out[0] == '/')
        snprintf(o, sizeof o, "%s", out);
    else
        path_of(o, sizeof o, out);
    for (int i = 0; i < n; i++) {
        if (in[i][0] == '/')
            snprintf(p[i], sizeof p[i], "%s", in[i]);
        else
            path_of(p[i], sizeof p[i], in[i]);
        inputs[i] = p[i];
    }
    mk_err_clear(err);
    return mk_output_not_input("--counts", o, inputs, n, err);
}

static void test_same_path_refused(void **state)
{
    (void)state;
    mk_err err;
    const char *in[] = {"corpus.txt"};
    assert_int_equal(verdict("corpus.txt", in, 1, &err), -1);
    assert_int_equal(err.code, 1);
    char want[512];
    snprintf(want, sizeof want,
             "--counts '%s/corpus.txt' is the same file as the input '%s/corpus.txt'; refusing to overwrite an input",
             dir, dir);
    assert_string_equal(err.msg, want);
    assert_null(strchr(err.msg, '\n'));
}

static void test_other_spellings_refused(void **state)
{
    (void)state;
    mk_err err;
    const char *in[] = {"corpus.txt"};
    assert_int_equal(verdict("./corpus.txt", in, 1, &err), -1);
    assert_int_equal(verdict(".//corpus.txt", in, 1, &err), -1);
    char up[256];
    snprintf(up, sizeof up, "%s/../%s/corpus.txt", dir, strrchr(dir, '/') + 1);
    assert_int_equal(verdict(up, in, 1, &err), -1);
    /* relative to the working directory against an absolute input */
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    char abs_in[256];
    path_of(abs_in, sizeof abs_in, "corpus.txt");
    const char *inputs[] = {abs_in};
    mk_err_clear(&err);
    assert_int_equal(mk_output_not_input("--save", "corpus.txt", inputs, 1, &err), -1);
    assert_non_null(strstr(err.msg, "--save 'corpus.txt' is the same file as the input"));
    assert_int_equal(chdir(cwd), 0);
}

static void test_links_refused(void **state)
{
    (void)state;
    mk_err err;
    const char *in[] = {"corpus.txt"};
    assert_int_equal(verdict("link-to-corpus", in, 1, &err), -1); /* output is a symlink to the input */
    assert_int_equal(verdict("hard-corpus", in, 1, &err), -1);    /* a hard link is the same file */
    const char *via_link[] = {"link-to-corpus"};
    assert_int_equal(verdict("corpus.txt", via_link, 1, &err), -1); /* input is a symlink to the output */
    assert_non_null(strstr(err.msg, "link-to-corpus"));
}

static void test_others_allowed(void **state)
{
    (void)state;
    mk_err err;
    const char *in[] = {"corpus.txt"};
    assert_int_equal(verdict("copy.txt", in, 1, &err), 0); /* equal bytes, another file */
    assert_int_equal(err.code, 0);
    assert_int_equal(verdict("new.csv", in, 1, &err), 0); /* not there yet */
    const char *missing[] = {"nope.txt"};
    assert_int_equal(verdict("copy.txt", missing, 1, &err), 0); /* reported where it is opened */
    assert_int_equal(mk_output_not_input("--counts", NULL, NULL, 0, &err), 0);
    assert_int_equal(verdict("copy.txt", in, 0, &err), 0);
}

static void test_names_the_matching_input(void **state)
{
    (void)state;
    mk_err err;
    const char *in[] = {"copy.txt", "nope.txt", "link-to-corpus", "corpus.txt"};
    assert_int_equal(verdict("hard-corpus", in, 4, &err), -1);
    char want[512];
    snprintf(want, sizeof want, "the input '%s/link-to-corpus';", dir);
    assert_non_null(strstr(err.msg, want));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_path_refused),
        cmocka_unit_test(test_other_spellings_refused),
        cmocka_unit_test(test_links_refused),
        cmocka_unit_test(test_others_allowed),
        cmocka_unit_test(test_names_the_matching_input),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
