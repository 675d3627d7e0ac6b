/* SPDX-License-Identifier: Apache-2.0 */
/* A fast pipe predictor for the kill test: answers each (N,H,W,C) uint8 .npy request with
 * (N,2) float64 scores [m, 1-m], m = the image's mean brightness / 255 (a model that
 * "sees" light images), so the search is real but a run takes a fraction of a second. It
 * parses only what numpy's own headers hold (descr '|u1', shape tuple) and exits 0 at EOF. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int read_exact(void *buf, size_t n)
{
    return fread(buf, 1, n, stdin) == n;
}

int main(void)
{
    unsigned char pre[10];
    while (read_exact(pre, 10)) {
        if (memcmp(pre, "\x93NUMPY\x01\x00", 8) != 0)
            return 2;
        size_t hl = pre[8] | (size_t)pre[9] << 8;
        char head[65536];
        if (!read_exact(head, hl))
            return 2;
        head[hl] = 0;
        const char *s = strstr(head, "'shape': (");
        if (!s)
            return 2;
        long long dim[4];
        if (sscanf(s, "'shape': (%lld, %lld, %lld, %lld)", &dim[0], &dim[1], &dim[2], &dim[3]) != 4)
            return 2;
        size_t per = (size_t)(dim[1] * dim[2] * dim[3]);
        unsigned char *img = malloc(per ? per : 1);
        char out[128];
        int64_t shape_n = dim[0];
        int len = snprintf(out, sizeof out, "{'descr': '<f8', 'fortran_order': False, 'shape': (%lld, 2), }",
                           (long long)shape_n);
        while (len < 117)
            out[len++] = ' ';
        out[len++] = '\n';
        fwrite("\x93NUMPY\x01\x00", 1, 8, stdout);
        fputc(len & 0xff, stdout);
        fputc(len >> 8, stdout);
        fwrite(out, 1, (size_t)len, stdout);
        for (long long i = 0; i < dim[0]; i++) {
            if (!read_exact(img, per))
                return 2;
            double sum = 0;
            for (size_t k = 0; k < per; k++)
                sum += img[k];
            double m = sum / (double)per / 255.0, row[2] = {m, 1 - m};
            fwrite(row, sizeof row, 1, stdout);
        }
        fflush(stdout);
        free(img);
    }
    return 0;
}
