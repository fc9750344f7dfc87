/* Page analysis on a labelled corpus (samples/make_corpus.py): one tab-separated row per page
 * with the labels, what vd_analyse_page found, its cues and its time; optionally Leptonica's
 * pixOrientDetect on the same page for comparison. Summarised by bench/bench_page_analysis.sh.
 *
 * Usage: page_accuracy DIR [--lept]     (DIR holds labels.csv and the images)
 * Images are read with Leptonica (TIFF, PNG, JPEG) and converted to 8-bit grey, as validate's
 * renderer hands pages over; the time reported is vd_analyse_page's alone.
 *
 * PAGE_WORK_PPI=N: pages scanned finer are first box-reduced to N ppi, as validate decodes them
 * (page_source.h: VD_WORK_PPI, 125).
 * PAGE_PAIRS=FILE: also every pair of pages compared as duplicates (page.h: vd_compare_pages),
 * one tab-separated row each: the two files, their hash distance, what the comparison found
 * and its time in microseconds, and the time of making each page's print. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <leptonica/allheaders.h>

#include "page_impl.h"
#include "page_cc_impl.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Leptonica's own orientation, as measured in MEASUREMENTS.md: the page at ~150 ppi, bilevel. */
static int lept_rotate(PIX *g, double ppi)
{
    float scale = ppi > 0 ? (float)(150.0 / ppi) : 0.5f;
    PIX *s = scale < 0.99f ? pixScale(g, scale, scale) : pixClone(g);
    PIX *b = pixThresholdToBinary(s, 150);
    l_float32 up = 0, left = 0;
    l_int32 orient = 0;
    pixOrientDetect(b, &up, &left, 0, 0);
    makeOrientDecision(up, left, 0, 0, &orient, 0);
    pixDestroy(&s);
    pixDestroy(&b);
    /* the clockwise turn that makes it upright; -1: no decision */
    switch (orient) {
    case L_TEXT_ORIENT_UP:
        return 0;
    case L_TEXT_ORIENT_LEFT:
        return 90;
    case L_TEXT_ORIENT_DOWN:
        return 180;
    case L_TEXT_ORIENT_RIGHT:
        return 270;
    default:
        return -1;
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: page_accuracy DIR [--lept]\n");
        return 2;
    }
    int lept = argc > 2 && !strcmp(argv[2], "--lept");
    double work_ppi = getenv("PAGE_WORK_PPI") ? atof(getenv("PAGE_WORK_PPI")) : 0;
    FILE *pairs = getenv("PAGE_PAIRS") ? fopen(getenv("PAGE_PAIRS"), "w") : NULL;
    vd_page_print **prints = NULL;
    char **files = NULL;
    uint64_t *hashes = NULL;
    int n = 0;
    setMsgSeverity(L_SEVERITY_NONE);
    char path[4096], line[4096];
    snprintf(path, sizeof path, "%s/labels.csv", argv[1]);
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return 1;
    }
    if (!fgets(line, sizeof line, f))
        return 1;
    line[strcspn(line, "\r\n")] = 0;
    printf("%s\tgot_blank\tink\tgot_rotate\trot_conf\tgot_skew\tskew_conf\tgot_cropped\t"
           "got_corner\tphash\tms\taxis_ratio\tasym\talign\tlines\tlept_rotate\n",
           line);
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        char file[1024];
        if (sscanf(line, "%1023[^,]", file) != 1)
            continue;
        snprintf(path, sizeof path, "%s/%s", argv[1], file);
        PIX *pix = pixRead(path);
        if (!pix) {
            fprintf(stderr, "%s: unreadable\n", path);
            continue;
        }
        PIX *g = pixGetDepth(pix) == 32 ? pixConvertRGBToLuminance(pix) : pixConvertTo8(pix, 0);
        double ppi = pixGetXRes(pix);
        if (work_ppi > 0 && ppi > work_ppi) { /* as validate decodes a scan: box-reduced */
            PIX *reduced = pixScaleAreaMap(g, (float)(work_ppi / ppi), (float)(work_ppi / ppi));
            ppi *= (double)pixGetWidth(reduced) / pixGetWidth(g);
            pixDestroy(&g);
            g = reduced;
        }
        uint32_t w = (uint32_t)pixGetWidth(g), h = (uint32_t)pixGetHeight(g);
        uint8_t *buf = malloc((size_t)w * h);
        l_uint32 *data = pixGetData(g);
        l_int32 wpl = pixGetWpl(g);
        for (uint32_t y = 0; y < h; y++)
            for (uint32_t x = 0; x < w; x++)
                buf[(size_t)y * w + x] = (uint8_t)GET_DATA_BYTE(data + (size_t)y * wpl, x);
        vd_image img = {w, h, w, buf, ppi};
        vd_page_result r;
        vd_page_print *print = NULL;
        double t0 = now();
        if (pairs)
            vd_analyse_page_print(&img, &r, &print);
        else
            vd_analyse_page(&img, &r);
        double ms = (now() - t0) * 1e3;
        vd_orient_cues cu = vd_last_cues;
        int lr = lept ? lept_rotate(g, img.ppi) : -2;
        printf(
            "%s\t%d\t%.5f\t%d\t%.2f\t%.3f\t%.2f\t%d\t%d\t%016llx\t%.2f\t%.2f\t%.3f\t%.3f\t%d\t%d\n",
            line, r.blank, r.ink_ratio, r.rotate, r.rotate_confidence, r.skew_deg,
            r.skew_confidence, r.cropped_edges, r.corner, (unsigned long long)r.phash, ms,
            cu.axis_ratio, cu.asym, cu.align, cu.lines, lr);
        fflush(stdout);
        if (pairs) {
            prints = realloc(prints, (size_t)(n + 1) * sizeof *prints);
            files = realloc(files, (size_t)(n + 1) * sizeof *files);
            hashes = realloc(hashes, (size_t)(n + 1) * sizeof *hashes);
            prints[n] = print;
            files[n] = strdup(file);
            hashes[n] = r.phash;
            n++;
        }
        free(buf);
        pixDestroy(&g);
        pixDestroy(&pix);
    }
    fclose(f);
    if (pairs) {
        fprintf(pairs, "a\tb\tphash\tregistered\tcells\tdiffering\tspecks\tunseen\tworst\t"
                       "dx_mm\tdy_mm\tangle\tscale\tduplicate\tnear\tus\n");
        for (int j = 1; j < n; j++)
            for (int i = 0; i < j; i++) {
                vd_page_match m;
                double t0 = now();
                vd_compare_pages(prints[i], prints[j], &m);
                double us = (now() - t0) * 1e6;
                fprintf(
                    pairs,
                    "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.2f\t%.2f\t%.3f\t%.4f\t%d\t%d\t%.1f\n",
                    files[i], files[j], vd_phash_distance(hashes[i], hashes[j]), m.registered,
                    m.cells, m.differing, m.specks, m.unseen, m.worst, m.dx_mm, m.dy_mm,
                    m.angle_deg, m.scale, m.duplicate, vd_match_is_near(&m), us);
            }
        for (int i = 0; i < n; i++) {
            vd_page_print_free(prints[i]);
            free(files[i]);
        }
        free(prints);
        free(files);
        free(hashes);
        fclose(pairs);
    }
    return 0;
}
