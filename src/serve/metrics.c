/* SPDX-License-Identifier: Apache-2.0 */
/* Prometheus metrics for anchor serve (src/serve/serve.h), in the text exposition format
 * (version 0.0.4) that Prometheus scrapes from GET /metrics.
 *
 * Series: requests by route and status code (a counter), request latency (a histogram
 * with cumulative buckets, as Prometheus expects, from 5 ms to 5 min since explanations
 * take seconds), images sent to the model, perturbations answered by the explainer's memo
 * instead of the model, and requests in flight. One mutex guards it all: a request takes it
 * twice, which is nothing next to an explanation. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/serve.h"

#define MAX_SERIES 128

static const double bucket_bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};
#define N_BUCKETS (sizeof bucket_bounds / sizeof bucket_bounds[0])

typedef struct series {
    const char *route;
    int code;
    uint64_t count;
} series;

struct anc_metrics {
    pthread_mutex_t lock;
    series requests[MAX_SERIES];
    int n_series;
    uint64_t buckets[N_BUCKETS]; /* not cumulative here; summed when printed */
    uint64_t latency_count;
    double latency_sum;
    uint64_t images_predicted, memo_hits, explanations;
    int64_t in_flight;
};

anchor_status anc_metrics_create(anc_metrics **out, anchor_error *err)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&(*out)->lock, NULL);
    return ANCHOR_OK;
}

void anc_metrics_destroy(anc_metrics *m)
{
    if (m) {
        pthread_mutex_destroy(&m->lock);
        free(m);
    }
}

void anc_metrics_request(anc_metrics *m, const char *route, int code, double seconds)
{
    pthread_mutex_lock(&m->lock);
    int i = 0;
    while (i < m->n_series && (m->requests[i].code != code || strcmp(m->requests[i].route, route)))
        i++;
    if (i == m->n_series && i < MAX_SERIES)
        m->requests[m->n_series++] = (series){route, code, 0};
    if (i < MAX_SERIES)
        m->requests[i].count++;
    size_t b = 0;
    while (b < N_BUCKETS && seconds > bucket_bounds[b])
        b++;
    if (b < N_BUCKETS)
        m->buckets[b]++;
    m->latency_count++;
    m->latency_sum += seconds;
    pthread_mutex_unlock(&m->lock);
}

void anc_metrics_explained(anc_metrics *m, int64_t images_sampled, int64_t images_predicted)
{
    pthread_mutex_lock(&m->lock);
    m->explanations++;
    m->images_predicted += (uint64_t)images_predicted;
    m->memo_hits += (uint64_t)(images_sampled - images_predicted);
    pthread_mutex_unlock(&m->lock);
}

void anc_metrics_in_flight(anc_metrics *m, int delta)
{
    pthread_mutex_lock(&m->lock);
    m->in_flight += delta;
    pthread_mutex_unlock(&m->lock);
}

char *anc_metrics_text(anc_metrics *m, size_t *len)
{
    size_t cap = 8192 + (size_t)MAX_SERIES * 128;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    size_t n = 0;
#define OUT(...) n += (size_t)snprintf(s + n, n < cap ? cap - n : 0, __VA_ARGS__)
    pthread_mutex_lock(&m->lock);
    OUT("# HELP anchor_requests_total HTTP requests answered, by route and status code.\n"
        "# TYPE anchor_requests_total counter\n");
    for (int i = 0; i < m->n_series; i++)
        OUT("anchor_requests_total{route=\"%s\",code=\"%d\"} %llu\n", m->requests[i].route, m->requests[i].code,
            (unsigned long long)m->requests[i].count);
    OUT("# HELP anchor_request_duration_seconds Time from a request's first byte to its answer.\n"
        "# TYPE anchor_request_duration_seconds histogram\n");
    uint64_t cum = 0;
    for (size_t b = 0; b < N_BUCKETS; b++) {
        cum += m->buckets[b];
        OUT("anchor_request_duration_seconds_bucket{le=\"%g\"} %llu\n", bucket_bounds[b], (unsigned long long)cum);
    }
    OUT("anchor_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)m->latency_count);
    OUT("anchor_request_duration_seconds_sum %.6f\n", m->latency_sum);
    OUT("anchor_request_duration_seconds_count %llu\n", (unsigned long long)m->latency_count);
    OUT("# HELP anchor_explanations_total Explanations computed.\n# TYPE anchor_explanations_total counter\n"
        "anchor_explanations_total %llu\n",
        (unsigned long long)m->explanations);
    OUT("# HELP anchor_model_images_total Images the explainer sent to the model.\n"
        "# TYPE anchor_model_images_total counter\nanchor_model_images_total %llu\n",
        (unsigned long long)m->images_predicted);
    OUT("# HELP anchor_memo_hits_total Perturbed images answered from the explainer's memo, not the model.\n"
        "# TYPE anchor_memo_hits_total counter\nanchor_memo_hits_total %llu\n",
        (unsigned long long)m->memo_hits);
    OUT("# HELP anchor_requests_in_flight Requests being received or answered.\n"
        "# TYPE anchor_requests_in_flight gauge\nanchor_requests_in_flight %lld\n",
        (long long)m->in_flight);
    pthread_mutex_unlock(&m->lock);
#undef OUT
    if (n >= cap) { /* cannot happen with MAX_SERIES bounded; refuse rather than truncate */
        free(s);
        return NULL;
    }
    *len = n;
    return s;
}
