/* SPDX-License-Identifier: Apache-2.0 */
/* Constant tensors and node attributes: what the loader and the operator planners share.
 *
 * A constant tensor is float32 or int64 whatever its type on disk: float16 is widened
 * exactly, double rounded once, and every integer type held as int64 for shape
 * arithmetic. Sizes are checked against OX_MAX_DIM_VALUE and OX_MAX_TENSOR_ELEMS before
 * anything is allocated, and data lengths against the declared shape. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx.pb-c.h"
#include "predict/onnx/onnx_internal.h"

int64_t anc_ox_shape_elems(const ox_shape *s)
{
    int64_t c = 1;
    for (int i = 0; i < s->ndims; i++) {
        if (s->d[i] < 0 || s->d[i] > OX_MAX_DIM_VALUE)
            return -1;
        c *= s->d[i]; /* at most 2^30 * 2^28: no overflow */
        if (c > OX_MAX_TENSOR_ELEMS)
            return -1;
    }
    return c;
}

int64_t anc_ox_shape_count(const ox_shape *s)
{
    int64_t c = anc_ox_shape_elems(s);
    return c < 0 ? 0 : c;
}

anchor_status anc_ox_budget_charge(ox_budget *b, int64_t bytes, anchor_error *err)
{
    if (!b)
        return ANCHOR_OK;
    if (bytes < 0 || bytes > b->limit - b->used)
        return anchor_error_set(err, ANCHOR_ERR_LIMIT,
                                "the model would make the loader allocate more than %lld MiB (the limit for a "
                                "%zu-byte file: %lld MiB + %d bytes per byte of the file)",
                                (long long)(b->limit >> 20), b->file_bytes, (long long)(OX_MEM_FLOOR >> 20),
                                OX_MEM_PER_FILE_BYTE);
    b->used += bytes;
    return ANCHOR_OK;
}

const char *anc_ox_node_label(const Onnx__NodeProto *n, char *buf, size_t size)
{
    if (n->name && n->name[0])
        snprintf(buf, size, "node '%s' (%s)", n->name, n->op_type ? n->op_type : "?");
    else
        snprintf(buf, size, "unnamed %s node with output '%s'", n->op_type ? n->op_type : "?",
                 n->n_output ? n->output[0] : "?");
    return buf;
}

const Onnx__AttributeProto *anc_ox_attr(const Onnx__NodeProto *n, const char *name)
{
    for (size_t i = 0; i < n->n_attribute; i++)
        if (n->attribute[i]->name && !strcmp(n->attribute[i]->name, name))
            return n->attribute[i];
    return NULL;
}

int64_t anc_ox_attr_int(const Onnx__NodeProto *n, const char *name, int64_t dflt)
{
    const Onnx__AttributeProto *a = anc_ox_attr(n, name);
    return a ? a->i : dflt;
}

float anc_ox_attr_float(const Onnx__NodeProto *n, const char *name, float dflt)
{
    const Onnx__AttributeProto *a = anc_ox_attr(n, name);
    return a ? a->f : dflt;
}

anchor_status anc_ox_tensor_new(ox_tensor **out, ox_type type, const ox_shape *shape, ox_budget *b, anchor_error *err)
{
    *out = NULL;
    for (int i = 0; i < shape->ndims; i++)
        if (shape->d[i] < 0 || shape->d[i] > OX_MAX_DIM_VALUE)
            return anchor_error_set(err, ANCHOR_ERR_LIMIT, "tensor dimension %d is %lld (limit %lld)", i,
                                    (long long)shape->d[i], (long long)OX_MAX_DIM_VALUE);
    int64_t count = anc_ox_shape_elems(shape);
    if (count < 0)
        return anchor_error_set(err, ANCHOR_ERR_LIMIT, "tensor has more than %lld elements",
                                (long long)OX_MAX_TENSOR_ELEMS);
    size_t esize = type == OX_F32 ? sizeof(float) : sizeof(int64_t);
    int64_t bytes = count * (int64_t)esize;
    if (b && b->fold_limit && bytes > b->fold_limit - b->fold_used)
        return anchor_error_set(err, ANCHOR_ERR_LIMIT,
                                "folding the model's constant subgraphs would make the loader allocate more than %lld MiB "
                                "(the limit for a %zu-byte file: %lld MiB + %d bytes per byte of the file)",
                                (long long)(b->fold_limit >> 20), b->file_bytes, (long long)(OX_FOLD_FLOOR >> 20),
                                OX_FOLD_PER_FILE_BYTE);
    anchor_status st = anc_ox_budget_charge(b, bytes, err);
    if (st)
        return st;
    if (b && b->fold_limit)
        b->fold_used += bytes;
    ox_tensor *t = calloc(1, sizeof *t);
    if (t)
        t->data = calloc((size_t)(count ? count : 1), esize);
    if (!t || !t->data) {
        free(t);
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory for a tensor of %lld elements",
                                (long long)count);
    }
    t->type = type;
    t->shape = *shape;
    t->count = count;
    *out = t;
    return ANCHOR_OK;
}

void anc_ox_tensor_free(ox_tensor *t)
{
    if (t) {
        free(t->data);
        free(t);
    }
}

/* IEEE binary16 to binary32, exactly (every half is a float). */
static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else { /* subnormal: renormalise */
            int e = -1;
            do {
                e++;
                mant <<= 1;
            } while (!(mant & 0x400));
            bits = sign | (uint32_t)(127 - 15 - e) << 23 | (mant & 0x3ff) << 13;
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | mant << 13;
    } else {
        bits = sign | (exp + 127 - 15) << 23 | mant << 13;
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

anchor_status anc_ox_tensor_from_proto(ox_tensor **out, const Onnx__TensorProto *t, const char *what, ox_budget *b,
                                   anchor_error *err)
{
    *out = NULL;
    if (t->n_external_data || (t->has_data_location && t->data_location == 1))
        return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "tensor '%s' keeps its data in an external file",
                                what);
    if (t->n_dims > OX_MAX_DIMS)
        return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "tensor '%s' has %zu dimensions (at most %d)", what,
                                t->n_dims, OX_MAX_DIMS);
    ox_shape shape = {.ndims = (int)t->n_dims};
    for (size_t i = 0; i < t->n_dims; i++)
        shape.d[i] = t->dims[i];
    int dt = t->data_type;
    ox_type type;
    size_t raw_esize;
    switch (dt) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: type = OX_F32; raw_esize = 4; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16: type = OX_F32; raw_esize = 2; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: type = OX_F32; raw_esize = 8; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: type = OX_I64; raw_esize = 8; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: type = OX_I64; raw_esize = 4; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
    case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: type = OX_I64; raw_esize = 1; break;
    default:
        return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "tensor '%s' has data type %d (only float32, "
                                "float16, double and integer tensors are supported)", what, dt);
    }
    /* the data must be there before anything is allocated for it */
    int64_t count = anc_ox_shape_elems(&shape);
    if (count < 0)
        return anchor_error_set(err, ANCHOR_ERR_LIMIT, "tensor '%s' has a dimension outside 0..%lld or more than "
                                "%lld elements", what, (long long)OX_MAX_DIM_VALUE, (long long)OX_MAX_TENSOR_ELEMS);
    size_t n = (size_t)count;
    if (t->has_raw_data && t->raw_data.len != n * raw_esize)
        return anchor_error_set(err, ANCHOR_ERR_FORMAT, "tensor '%s' declares %zu elements but holds %zu bytes",
                                what, n, t->raw_data.len);
    if (!t->has_raw_data) {
        size_t have;
        switch (dt) {
        case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: have = t->n_float_data; break;
        case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: have = t->n_double_data; break;
        case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: have = t->n_int64_data; break;
        default: have = t->n_int32_data; break; /* float16, int32, uint8, bool */
        }
        if (have != n)
            return anchor_error_set(err, ANCHOR_ERR_FORMAT, "tensor '%s' declares %zu elements but holds %zu",
                                    what, n, have);
    }
    ox_tensor *x;
    anchor_status st = anc_ox_tensor_new(&x, type, &shape, b, err);
    if (st)
        return anchor_error_prefix(err, "tensor '%s'", what);
    float *f = x->data;
    int64_t *l = x->data;
    if (t->has_raw_data) {
        const uint8_t *r = t->raw_data.data;
        for (size_t i = 0; i < n; i++) {
            switch (dt) { /* little-endian on disk, as is this machine */
            case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: memcpy(&f[i], r + 4 * i, 4); break;
            case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16: {
                uint16_t h;
                memcpy(&h, r + 2 * i, 2);
                f[i] = half_to_float(h);
                break;
            }
            case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: {
                double d;
                memcpy(&d, r + 8 * i, 8);
                f[i] = ox_sat_f32(d);
                break;
            }
            case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: memcpy(&l[i], r + 8 * i, 8); break;
            case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: {
                int32_t v;
                memcpy(&v, r + 4 * i, 4);
                l[i] = v;
                break;
            }
            default: l[i] = r[i]; break;
            }
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            switch (dt) {
            case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: f[i] = t->float_data[i]; break;
            case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: f[i] = ox_sat_f32(t->double_data[i]); break;
            case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16: f[i] = half_to_float((uint16_t)t->int32_data[i]); break;
            case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: l[i] = t->int64_data[i]; break;
            default: l[i] = t->int32_data[i]; break;
            }
        }
    }
    *out = x;
    return ANCHOR_OK;
}
