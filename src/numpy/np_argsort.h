/* SPDX-License-Identifier: Apache-2.0 */
/* numpy 1.24's np.argsort(kind='quicksort') on float64, with its exact tie order. */
#ifndef ANCHOR_NUMPY_NP_ARGSORT_H
#define ANCHOR_NUMPY_NP_ARGSORT_H

#include <stdint.h>

/* idx receives the permutation (n entries) numpy would return for v. */
void anc_np_argsort_f64(const double *v, int64_t *idx, int64_t n);

#endif
