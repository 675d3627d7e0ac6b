/* SPDX-License-Identifier: Apache-2.0 */
/* report.html: a batch's results as one static page to look at.
 *
 * The page needs nothing but the files beside it: no network, no CDN, no fonts; styles and
 * the small sorting/filtering script are inline, the charts are inline SVG drawn here. Every
 * card and every count is written out by this file, so the page reads correctly with
 * scripts off; the script only reorders and hides cards. Pictures are linked by relative
 * paths (the image folders' anchor.png, overlay.png and overlay_full.png, and the original
 * photo when the browser can show it), so the page still opens after the whole folder
 * tree is copied elsewhere. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "batch/batch_internal.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/file.h"

static void html(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* A relative link as a URL path: each byte outside the unreserved set percent-encoded. */
static void url(FILE *f, const char *a, const char *b)
{
    const char *parts[2] = {a, b};
    for (int p = 0; p < 2; p++) {
        if (!parts[p])
            continue;
        if (p == 1 && a)
            fputc('/', f);
        for (const unsigned char *s = (const unsigned char *)parts[p]; *s; s++) {
            if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
                strchr("-._~/", *s))
                fputc(*s, f);
            else
                fprintf(f, "%%%02X", *s);
        }
    }
}

static int exists_in(const char *dir, const char *output, const char *name)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s/%s", dir, output, name);
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* ---- charts ------------------------------------------------------------------------------ */

/* A bar chart of counts[0..n) with a label under each bar. */
static void svg_bars(FILE *f, const char *title, const int64_t *counts, int n, const char *const *labels,
                     const char *id)
{
    int64_t max = 1;
    for (int i = 0; i < n; i++)
        max = counts[i] > max ? counts[i] : max;
    const int W = 320, H = 150, top = 30, bottom = 24, left = 6;
    double bw = (double)(W - 2 * left) / n;
    fprintf(f, "<figure class=\"chart\"><svg id=\"%s\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
               "role=\"img\" aria-label=\"", id, W, H, W, H);
    html(f, title);
    fprintf(f, "\"><text x=\"%d\" y=\"14\" class=\"t\">", left);
    html(f, title);
    fputs("</text>", f);
    for (int i = 0; i < n; i++) {
        double h = (double)(H - top - bottom) * (double)counts[i] / (double)max;
        double x = left + i * bw;
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"><title>%s: %lld</title></rect>", x + 1,
                H - bottom - h, bw - 2, h, labels[i], (long long)counts[i]);
        if (counts[i])
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"c\">%lld</text>", x + bw / 2, H - bottom - h - 3,
                    (long long)counts[i]);
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" class=\"l\">%s</text>", x + bw / 2, H - 8, labels[i]);
    }
    fputs("</svg></figure>\n", f);
}

static void svg_unit_hist(FILE *f, const char *title, const anc_record *recs, int64_t n, int which, const char *id)
{
    int64_t counts[10] = {0};
    static const char *const labels[10] = {"0", ".1", ".2", ".3", ".4", ".5", ".6", ".7", ".8", ".9"};
    for (int64_t i = 0; i < n; i++) {
        if (!anc_record_ok(&recs[i]))
            continue;
        double v = which ? recs[i].r.coverage : recs[i].r.precision;
        if (!isfinite(v))
            continue;
        int b = (int)floor(v * 10);
        counts[b < 0 ? 0 : b > 9 ? 9 : b]++;
    }
    svg_bars(f, title, counts, 10, labels, id);
}

static void svg_size_hist(FILE *f, const anc_record *recs, int64_t n)
{
    int maxsize = 0;
    for (int64_t i = 0; i < n; i++)
        if (anc_record_ok(&recs[i]) && recs[i].r.n_features > maxsize)
            maxsize = recs[i].r.n_features;
    int bins = maxsize + 1 < 12 ? maxsize + 1 : 12; /* the last bin holds 11 and more */
    int64_t counts[12] = {0};
    char text[12][8];
    const char *labels[12];
    for (int b = 0; b < bins; b++) {
        snprintf(text[b], sizeof text[b], b == 11 ? "11+" : "%d", b);
        labels[b] = text[b];
    }
    for (int64_t i = 0; i < n; i++)
        if (anc_record_ok(&recs[i]))
            counts[recs[i].r.n_features < bins ? recs[i].r.n_features : bins - 1]++;
    svg_bars(f, "anchor size (superpixels)", counts, bins, labels, "chart-size");
}

/* ---- the page ------------------------------------------------------------------------------ */

static const char STYLE[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f6f6f4;color:#222}"
    "header{padding:12px 20px;background:#24313f;color:#fff}h1{font-size:20px;margin:0}"
    "section{padding:10px 20px}table.counts{border-collapse:collapse;margin-right:24px;display:inline-table;"
    "vertical-align:top}table.counts td,table.counts th{border-bottom:1px solid #ddd;padding:2px 8px;text-align:left}"
    "figure.chart{display:inline-block;margin:0 12px 0 0;background:#fff;border:1px solid #ddd}"
    "svg rect{fill:#3b6ea8}svg text{font-size:10px;fill:#333}svg .l,svg .c{text-anchor:middle}"
    "svg .t{font-size:12px;font-weight:600}.controls{position:sticky;top:0;background:#e9ecef;padding:8px 20px;"
    "z-index:1}.controls label{margin-right:14px}#gallery{display:flex;flex-wrap:wrap;gap:12px;padding:12px 20px}"
    ".card{background:#fff;border:1px solid #ccc;border-radius:6px;padding:8px;width:340px}"
    ".card.ERROR{border-color:#c0392b}.card .pics{display:flex;gap:4px}.card .pics a{flex:1}"
    ".card img{width:100%;height:auto;display:block;image-rendering:auto;background:#000}"
    ".card .name{font-weight:600;word-break:break-all}.card .err{color:#c0392b;word-break:break-word}"
    ".st{font-size:11px;padding:1px 5px;border-radius:3px;background:#ddd}.st.FOUND{background:#cdeccd}"
    ".st.ERROR{background:#f4c7c3}.st.BELOW_THRESHOLD{background:#f8e3b0}.muted{color:#777}";

/* Sorting and filtering of the cards, by their data- attributes. */
static const char SCRIPT[] =
    "(function(){var g=document.getElementById('gallery');"
    "var cards=Array.prototype.slice.call(g.querySelectorAll('.card'));"
    "var fs=document.getElementById('f-status'),fc=document.getElementById('f-class'),"
    "fp=document.getElementById('f-precision'),so=document.getElementById('sort'),"
    "sh=document.getElementById('shown'),pv=document.getElementById('f-precision-value');"
    "function num(c,k){var v=parseFloat(c.dataset[k]);return isNaN(v)?-1:v;}"
    "function apply(){var s=fs.value,c=fc.value,p=parseFloat(fp.value),k=so.value,n=0;"
    "pv.textContent=p.toFixed(2);"
    "var sorted=cards.slice().sort(function(a,b){"
    "if(k==='path')return a.dataset.path<b.dataset.path?-1:a.dataset.path>b.dataset.path?1:0;"
    "if(k==='class')return (a.dataset.class||'').localeCompare(b.dataset.class||'')||"
    "(a.dataset.path<b.dataset.path?-1:1);"
    "return num(b,k)-num(a,k)||(a.dataset.path<b.dataset.path?-1:1);});"
    "sorted.forEach(function(e){var ok=(!s||e.dataset.status===s)&&(!c||e.dataset.class===c)&&"
    "(p<=0||num(e,'precision')>=p);e.hidden=!ok;if(ok)n++;g.appendChild(e);});"
    "sh.textContent=n;}"
    "[fs,fc,fp,so].forEach(function(e){e.addEventListener('input',apply);e.addEventListener('change',apply);});"
    /* a link may preset the controls: report.html#status=ERROR&class=tabby&precision=0.9&sort=coverage */
    "location.hash.replace(/^#/,'').split('&').forEach(function(kv){var p=kv.split('='),v=decodeURIComponent("
    "p[1]||''),e={status:fs,'class':fc,precision:fp,sort:so}[p[0]];if(e)e.value=v;});"
    "apply();document.body.setAttribute('data-ready','1');"
    /* pictures that failed to load (not lazy ones still waiting), for whoever checks the page */
    "window.addEventListener('load',function(){var b=0;Array.prototype.forEach.call(document.images,"
    "function(i){if(i.complete&&!i.naturalWidth)b++;});document.body.setAttribute('data-broken-images',b);});"
    "})();";

typedef struct count {
    const char *key;
    int64_t n;
} count;

static void tally(count *c, int *n, const char *key)
{
    for (int i = 0; i < *n; i++)
        if (!strcmp(c[i].key, key)) {
            c[i].n++;
            return;
        }
    c[*n].key = key;
    c[*n].n = 1;
    (*n)++;
}

static int cmp_count(const void *a, const void *b)
{
    const count *x = a, *y = b;
    return x->n != y->n ? (x->n < y->n ? 1 : -1) : strcmp(x->key, y->key);
}

static const char *class_key(const anchor_batch_result *r, char *buf, size_t cap)
{
    if (r->class_name)
        return r->class_name;
    if (r->class_index < 0)
        return "";
    snprintf(buf, cap, "%lld", (long long)r->class_index);
    return buf;
}

static int is_web_photo(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot && (!strcasecmp(dot, ".png") || !strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg"));
}

static void write_card(FILE *f, const char *dir, const char *realdir, const anchor_batch_result *r)
{
    char *photo = NULL;
    struct stat sb;
    if (r->file && is_web_photo(r->file) && stat(r->file, &sb) == 0)
        photo = anc_relative_path(realdir, r->file);
    char cbuf[32];
    const char *cls = class_key(r, cbuf, sizeof cbuf);
    fprintf(f, "<div class=\"card %s\" data-status=\"%s\" data-path=\"", r->status, r->status);
    html(f, r->path);
    fputs("\" data-class=\"", f);
    html(f, cls);
    if (strcmp(r->status, "ERROR"))
        fprintf(f, "\" data-precision=\"%.6f\" data-coverage=\"%.6f", r->precision, r->coverage);
    fprintf(f, "\" data-seconds=\"%.3f\" data-size=\"%d\">\n<div class=\"name\">", r->seconds, r->n_features);
    html(f, r->path);
    fputs("</div>\n", f);
    if (strcmp(r->status, "ERROR") && r->output) {
        fputs("<div class=\"pics\">", f);
        const char *full = exists_in(dir, r->output, "overlay_full.png") ? "overlay_full.png" : "overlay.png";
        static const char *const caps[3] = {"photo", "overlay", "anchor"};
        const char *files[3] = {NULL, full, "anchor.png"};
        for (int k = 0; k < 3; k++) {
            if (k == 0) {
                /* the original photo, where the browser can show it */
                if (!photo)
                    continue;
                files[0] = photo;
            }
            fputs("<a href=\"", f);
            url(f, k ? r->output : NULL, files[k]);
            fprintf(f, "\" title=\"%s\"><img loading=\"lazy\" alt=\"%s\" src=\"", caps[k], caps[k]);
            url(f, k ? r->output : NULL, files[k]);
            fputs("\"></a>", f);
        }
        fputs("</div>\n", f);
    }
    fprintf(f, "<div><span class=\"st %s\">%s</span> ", r->status, r->status);
    if (*cls) {
        fputs("class <b>", f);
        html(f, cls);
        fputs("</b>", f);
        if (r->class_name && r->class_index >= 0)
            fprintf(f, " <span class=\"muted\">(%lld)</span>", (long long)r->class_index);
    }
    fputs("</div>\n", f);
    if (strcmp(r->status, "ERROR")) {
        fprintf(f, "<div>precision <b class=\"precision\">%.4f</b> coverage <b>%.4f</b> anchor [", r->precision,
                r->coverage);
        for (int k = 0; k < r->n_features; k++)
            fprintf(f, "%s%d", k ? ", " : "", r->features[k]);
        fprintf(f, "] of %d</div>\n", r->n_segments);
    } else {
        fputs("<div class=\"err\">", f);
        html(f, r->error ? r->error : "failed");
        fputs("</div>\n", f);
    }
    fprintf(f, "<div class=\"muted\">%.2f s, %lld images to the model", r->seconds, (long long)r->images_predicted);
    if (r->output) {
        fputs(" &middot; <a href=\"", f);
        url(f, r->output, NULL);
        fputs("/\">folder</a>", f);
    }
    fputs("</div></div>\n", f);
    free(photo);
}

anchor_status anc_report_write(const char *path, const anc_record *recs, int64_t n, anchor_error *err)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    else
        strcpy(dir, ".");
    char realdir[PATH_MAX];
    if (!realpath(dir, realdir))
        snprintf(realdir, sizeof realdir, "%s", dir);
    count *by_status = calloc((size_t)n + 1, sizeof *by_status), *by_class = calloc((size_t)n + 1, sizeof *by_class);
    char(*cbufs)[32] = calloc((size_t)n + 1, sizeof *cbufs);
    if (!by_status || !by_class || !cbufs) {
        free(by_status);
        free(by_class);
        free(cbufs);
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory for the report");
    }
    int ns = 0, nc = 0;
    int64_t ok = 0;
    for (int64_t i = 0; i < n; i++) {
        tally(by_status, &ns, recs[i].r.status);
        if (anc_record_ok(&recs[i])) {
            ok++;
            const char *k = class_key(&recs[i].r, cbufs[i], sizeof cbufs[i]);
            if (*k)
                tally(by_class, &nc, k);
        }
    }
    qsort(by_status, (size_t)ns, sizeof *by_status, cmp_count);
    qsort(by_class, (size_t)nc, sizeof *by_class, cmp_count);

    anchor_atomic_file af;
    anchor_status st = anc_atomic_open(&af, path, err);
    if (st)
        goto done;
    FILE *f = af.fp;
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
               "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src 'self' data: "
               "file:; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n"
               "<title>anchor: %lld images</title>\n<style>%s</style></head>\n<body>\n",
            (long long)n, STYLE);
    fprintf(f, "<header><h1>Anchors of %lld images</h1><div>anchor %s &middot; %lld explained, %lld failed</div>"
               "</header>\n",
            (long long)n, anchor_version(), (long long)ok, (long long)(n - ok));
    fprintf(f, "<section id=\"summary\" data-total=\"%lld\" data-ok=\"%lld\">\n", (long long)n, (long long)ok);
    fputs("<table class=\"counts\" id=\"by-status\"><tr><th>status</th><th>images</th></tr>\n", f);
    for (int i = 0; i < ns; i++)
        fprintf(f, "<tr data-status=\"%s\"><td>%s</td><td class=\"n\">%lld</td></tr>\n", by_status[i].key,
                by_status[i].key, (long long)by_status[i].n);
    fputs("</table>\n<table class=\"counts\" id=\"by-class\"><tr><th>class</th><th>images</th></tr>\n", f);
    for (int i = 0; i < nc; i++) {
        fputs("<tr><td>", f);
        html(f, by_class[i].key);
        fprintf(f, "</td><td class=\"n\">%lld</td></tr>\n", (long long)by_class[i].n);
    }
    fputs("</table>\n", f);
    svg_unit_hist(f, "precision", recs, n, 0, "chart-precision");
    svg_unit_hist(f, "coverage", recs, n, 1, "chart-coverage");
    svg_size_hist(f, recs, n);
    fputs("</section>\n<div class=\"controls\"><label>status <select id=\"f-status\"><option value=\"\">all</option>",
          f);
    for (int i = 0; i < ns; i++)
        fprintf(f, "<option>%s</option>", by_status[i].key);
    fputs("</select></label><label>class <select id=\"f-class\"><option value=\"\">all</option>", f);
    for (int i = 0; i < nc; i++) {
        fputs("<option value=\"", f);
        html(f, by_class[i].key);
        fputs("\">", f);
        html(f, by_class[i].key);
        fputs("</option>", f);
    }
    fputs("</select></label><label>precision &ge; <input id=\"f-precision\" type=\"range\" min=\"0\" max=\"1\" "
          "step=\"0.01\" value=\"0\"> <span id=\"f-precision-value\">0.00</span></label>"
          "<label>sort by <select id=\"sort\"><option value=\"path\">path</option><option value=\"precision\">"
          "precision</option><option value=\"coverage\">coverage</option><option value=\"class\">class</option>"
          "<option value=\"seconds\">seconds</option><option value=\"size\">anchor size</option></select></label>",
          f);
    fprintf(f, "<span><span id=\"shown\">%lld</span> shown</span></div>\n<main id=\"gallery\">\n", (long long)n);
    for (int64_t i = 0; i < n; i++)
        write_card(f, dir, realdir, &recs[i].r);
    fprintf(f, "</main>\n<script>%s</script>\n</body></html>\n", SCRIPT);
    st = anc_atomic_commit(&af, err);
done:
    free(by_status);
    free(by_class);
    free(cbufs);
    return st;
}
