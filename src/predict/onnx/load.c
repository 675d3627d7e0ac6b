/* SPDX-License-Identifier: Apache-2.0 */
/* Reading an ONNX file into an ox_graph.
 *
 * The bytes are parsed by protobuf-c code generated at build time from Debian's
 * onnx.proto, so a truncated or corrupt file is refused by the protobuf decoder itself.
 * On top of that we check what the decoder cannot: IR version and opset in the ranges we
 * were written for (IR 3..8, opset 7..17), one float input, known operators, and tensor
 * sizes that agree with their data. Names are mapped to small integer ids with an open
 * addressing hash table, so the planner never compares strings. Initializers become
 * constant tensors: float32 as is, float16 widened to float32 (exactly), integers as int64.
 * Old exporters also list initializers among the graph inputs; such inputs are constants,
 * not things to feed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "onnx.pb-c.h"
#include "predict/onnx/onnx_internal.h"

/* ---- name -> id --------------------------------------------------------------------- */
typedef struct name_table {
    char **names;
    int n, cap;
    int *slots; /* open addressing, -1 = empty */
    size_t nslots;
} name_table;

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static int name_find(const name_table *t, const char *s)
{
    size_t i = hash_name(s) & (t->nslots - 1);
    while (t->slots[i] >= 0) {
        if (!strcmp(t->names[t->slots[i]], s))
            return t->slots[i];
        i = (i + 1) & (t->nslots - 1);
    }
    return -1;
}

/* The table is sized for every name the graph can mention, so it never fills. */
static int name_add(name_table *t, char *s)
{
    int id = name_find(t, s);
    if (id >= 0)
        return id;
    size_t i = hash_name(s) & (t->nslots - 1);
    while (t->slots[i] >= 0)
        i = (i + 1) & (t->nslots - 1);
    t->names[t->n] = s;
    t->slots[i] = t->n;
    return t->n++;
}

void anc_ox_graph_free(ox_graph *g)
{
    if (g->init)
        for (int i = 0; i < g->n_values; i++)
            anc_ox_tensor_free(g->init[i]);
    free(g->init);
    free(g->names);
    free(g->consumers);
    if (g->node_in)
        for (int i = 0; i < g->n_nodes; i++)
            free(g->node_in[i]);
    if (g->node_out)
        for (int i = 0; i < g->n_nodes; i++)
            free(g->node_out[i]);
    free(g->node_in);
    free(g->node_out);
    free(g->node_op);
    if (g->proto)
        onnx__model_proto__free_unpacked(g->proto, NULL);
    memset(g, 0, sizeof *g);
}

static anchor_status check_value_type(const Onnx__ValueInfoProto *v, const char *role, anchor_error *err)
{
    if (!v->type || v->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !v->type->tensor_type)
        return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "graph %s '%s' is not a tensor", role,
                                v->name ? v->name : "?");
    int et = v->type->tensor_type->elem_type;
    if (et != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT && et != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16 &&
        et != ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE)
        return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "graph %s '%s' has element type %d (float expected)",
                                role, v->name ? v->name : "?", et);
    return ANCHOR_OK;
}

/* One node against its operator's row in ops.c: known operator, arity, required inputs
 * present (an empty name is ONNX's mark for an omitted optional input), a named first
 * output, no value defined twice, known attributes, and no training-time behaviour. */
static anchor_status check_node(ox_graph *g, int i, char *produced, anchor_error *err)
{
    const Onnx__NodeProto *n = g->g->node[i];
    char label[256];
    anc_ox_node_label(n, label, sizeof label);
    const ox_op *op = anc_ox_op_find(n->op_type);
    if (n->domain && n->domain[0] && strcmp(n->domain, "ai.onnx"))
        op = NULL;
    if (!op)
        return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "unsupported operator %s%s%s in %s",
                                n->domain && n->domain[0] ? n->domain : "", n->domain && n->domain[0] ? "." : "",
                                n->op_type ? n->op_type : "(none)", label);
    g->node_op[i] = op;
    int nin = (int)n->n_input, need = op->max_in < 0 ? nin : op->min_in;
    if (nin < op->min_in || (op->max_in >= 0 && nin > op->max_in)) {
        if (op->max_in < 0)
            return anchor_error_set(err, ANCHOR_ERR_FORMAT, "%s has %d inputs (at least %d)", label, nin, op->min_in);
        return anchor_error_set(err, ANCHOR_ERR_FORMAT, "%s has %d inputs (%d to %d)", label, nin, op->min_in,
                                op->max_in);
    }
    for (int k = 0; k < need; k++)
        if (g->node_in[i][k] < 0)
            return anchor_error_set(err, ANCHOR_ERR_FORMAT, "%s: input %d is required but its name is empty", label, k);
    if (n->n_output < 1 || g->node_out[i][0] < 0)
        return anchor_error_set(err, ANCHOR_ERR_FORMAT, "%s has no output", label);
    for (size_t k = 0; k < n->n_output; k++) {
        int id = g->node_out[i][k];
        if (id < 0)
            continue;
        if (op->max_out >= 0 && (int)k >= op->max_out)
            return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "%s declares output %zu ('%s'): %s takes at most %d "
                                    "(more are training-mode outputs)", label, k, g->names[id], op->name, op->max_out);
        if (produced[id])
            return anchor_error_set(err, ANCHOR_ERR_FORMAT, "%s defines '%s', which is already defined", label,
                                    g->names[id]);
        produced[id] = 1;
    }
    for (size_t k = 0; k < n->n_attribute; k++) {
        const char *a = n->attribute[k]->name;
        size_t len = a ? strlen(a) : 0;
        const char *hit = len ? strstr(op->attrs, a) : NULL;
        while (hit && ((hit > op->attrs && hit[-1] != ' ') || (hit[len] && hit[len] != ' ')))
            hit = strstr(hit + 1, a);
        if (!hit)
            return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "%s: attribute '%s' is not supported", label,
                                    a ? a : "");
    }
    if (anc_ox_attr_int(n, "training_mode", 0))
        return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "%s: training_mode=1 is not supported (inference only)",
                                label);
    const Onnx__AttributeProto *ap = anc_ox_attr(n, "auto_pad");
    if (ap) {
        static const char *const modes[] = {"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"};
        int ok = 0;
        for (int k = 0; k < 4; k++)
            ok |= ap->s.len == strlen(modes[k]) && ap->s.data && !memcmp(ap->s.data, modes[k], ap->s.len);
        if (!ok)
            return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "%s: auto_pad is not NOTSET, SAME_UPPER, SAME_LOWER "
                                    "or VALID", label);
    }
    int64_t lrn_size = anc_ox_attr_int(n, "size", 1);
    if (!strcmp(op->name, "LRN") && (lrn_size < 1 || lrn_size % 2 == 0 || lrn_size > OX_MAX_DIM_VALUE))
        return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "%s: size %lld (only odd sizes are computed exactly)",
                                label, (long long)lrn_size);
    if (!strcmp(op->name, "BatchNormalization") && !anc_ox_attr_int(n, "spatial", 1))
        return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "%s: spatial=0 is not supported", label);
    for (int k = 0; k < nin; k++)
        if (g->node_in[i][k] >= 0)
            g->consumers[g->node_in[i][k]]++;
    return ANCHOR_OK;
}

/* Outputs past the first (MaxPool's indices, Dropout's mask) are never computed: no node
 * and no graph output may read them. */
static anchor_status check_extra_outputs(const ox_graph *g, int i, anchor_error *err)
{
    const Onnx__NodeProto *n = g->g->node[i];
    if (g->node_op[i]->max_out < 0) /* it computes all its outputs */
        return ANCHOR_OK;
    for (size_t k = 1; k < n->n_output; k++) {
        int id = g->node_out[i][k];
        int is_output = 0;
        for (size_t o = 0; o < g->g->n_output && id >= 0; o++)
            is_output |= g->g->output[o]->name && !strcmp(g->g->output[o]->name, g->names[id]);
        if (id >= 0 && (g->consumers[id] || is_output)) {
            char label[256];
            return anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "%s: its output %zu ('%s') is read, but only the "
                                    "first output is computed", anc_ox_node_label(n, label, sizeof label), k,
                                    g->names[id]);
        }
    }
    return ANCHOR_OK;
}

anchor_status anc_ox_graph_load(ox_graph *g, const char *path, anchor_error *err)
{
    memset(g, 0, sizeof *g);
    unsigned char *bytes;
    size_t size;
    anchor_status st = anc_read_file(path, &bytes, &size, OX_MAX_FILE_BYTES, err);
    if (st)
        return st;
    st = anc_ox_graph_parse(g, bytes, size, path, err);
    free(bytes);
    return st;
}

anchor_status anc_ox_graph_parse(ox_graph *g, const unsigned char *bytes, size_t size, const char *path,
                                 anchor_error *err)
{
    memset(g, 0, sizeof *g);
    if (size > OX_MAX_FILE_BYTES)
        return anchor_error_set(err, ANCHOR_ERR_LIMIT, "%s: more than %zu bytes", path, OX_MAX_FILE_BYTES);
    g->budget.file_bytes = size;
    g->budget.limit = OX_MEM_FLOOR + OX_MEM_PER_FILE_BYTE * (int64_t)size;
    g->proto = onnx__model_proto__unpack(NULL, size, bytes);
    if (!g->proto || !g->proto->graph)
        return anchor_error_set(err, ANCHOR_ERR_FORMAT, "%s: not an ONNX model (corrupt or truncated protobuf)",
                                path);
    const Onnx__ModelProto *mp = g->proto;
    if (!mp->has_ir_version || mp->ir_version < 3 || mp->ir_version > 8) {
        anchor_status s = anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED,
                                           "%s: ONNX IR version %lld (supported: 3 to 8)", path,
                                           (long long)mp->ir_version);
        anc_ox_graph_free(g);
        return s;
    }
    g->opset = -1;
    for (size_t i = 0; i < mp->n_opset_import; i++) {
        const char *d = mp->opset_import[i]->domain;
        if (!d || !d[0] || !strcmp(d, "ai.onnx"))
            g->opset = mp->opset_import[i]->version;
    }
    if (g->opset < 7 || g->opset > 17) {
        anchor_status s = anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "%s: opset %lld (supported: 7 to 17)",
                                           path, (long long)g->opset);
        anc_ox_graph_free(g);
        return s;
    }
    const Onnx__GraphProto *gp = mp->graph;
    g->g = gp;

    /* Every name that can appear: inputs, initializers, node inputs and outputs. */
    size_t max_names = gp->n_input + gp->n_initializer + gp->n_output + 1;
    for (size_t i = 0; i < gp->n_node; i++)
        max_names += gp->node[i]->n_input + gp->node[i]->n_output;
    name_table t = {0};
    t.nslots = 16;
    while (t.nslots < 2 * max_names)
        t.nslots <<= 1;
    t.names = calloc(max_names, sizeof *t.names);
    t.slots = malloc(t.nslots * sizeof *t.slots);
    g->n_nodes = (int)gp->n_node;
    g->node_in = calloc(gp->n_node + 1, sizeof *g->node_in);
    g->node_out = calloc(gp->n_node + 1, sizeof *g->node_out);
    if (!t.names || !t.slots || !g->node_in || !g->node_out) {
        free(t.names);
        free(t.slots);
        anc_ox_graph_free(g);
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory reading %s", path);
    }
    memset(t.slots, 0xff, t.nslots * sizeof *t.slots);
    static char empty[] = "";
    for (size_t i = 0; i < gp->n_input; i++)
        name_add(&t, gp->input[i]->name ? gp->input[i]->name : empty);
    for (size_t i = 0; i < gp->n_initializer; i++)
        name_add(&t, gp->initializer[i]->name ? gp->initializer[i]->name : empty);
    anchor_status st = ANCHOR_OK;
    for (size_t i = 0; i < gp->n_node && !st; i++) {
        const Onnx__NodeProto *n = gp->node[i];
        g->node_in[i] = malloc((n->n_input + 1) * sizeof(int));
        g->node_out[i] = malloc((n->n_output + 1) * sizeof(int));
        if (!g->node_in[i] || !g->node_out[i]) {
            st = anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory reading %s", path);
            break;
        }
        for (size_t k = 0; k < n->n_input; k++)
            g->node_in[i][k] = n->input[k][0] ? name_add(&t, n->input[k]) : -1;
        for (size_t k = 0; k < n->n_output; k++)
            g->node_out[i][k] = n->output[k][0] ? name_add(&t, n->output[k]) : -1;
    }
    for (size_t i = 0; i < gp->n_output; i++)
        name_add(&t, gp->output[i]->name ? gp->output[i]->name : empty);
    g->names = t.names;
    g->n_values = t.n;
    g->init = calloc((size_t)t.n + 1, sizeof *g->init);
    g->consumers = calloc((size_t)t.n + 1, sizeof *g->consumers);
    if (!st && (!g->init || !g->consumers))
        st = anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory reading %s", path);

    /* Operators and the graph's structure, checked once here and before any weight is
     * converted, so that the planner can trust them. */
    g->node_op = calloc(gp->n_node + 1, sizeof *g->node_op);
    char *produced = calloc((size_t)t.n + 1, 1);
    if (!st && (!g->node_op || !produced))
        st = anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory reading %s", path);
    for (size_t i = 0; i < gp->n_input && !st; i++)
        produced[name_find(&t, gp->input[i]->name ? gp->input[i]->name : empty)] = 1;
    for (size_t i = 0; i < gp->n_initializer && !st; i++)
        produced[name_find(&t, gp->initializer[i]->name ? gp->initializer[i]->name : empty)] = 1;
    for (size_t i = 0; i < gp->n_node && !st; i++) {
        st = check_node(g, (int)i, produced, err);
        if (st)
            anchor_error_prefix(err, "%s", path);
    }
    for (size_t i = 0; i < gp->n_node && !st; i++) {
        st = check_extra_outputs(g, (int)i, err);
        if (st)
            anchor_error_prefix(err, "%s", path);
    }
    free(produced);
    for (size_t i = 0; i < gp->n_initializer && !st; i++) {
        const Onnx__TensorProto *tp = gp->initializer[i];
        int id = name_find(&t, tp->name ? tp->name : empty);
        ox_tensor *x;
        st = anc_ox_tensor_from_proto(&x, tp, tp->name ? tp->name : "?", &g->budget, err);
        if (st)
            anchor_error_prefix(err, "%s", path);
        else {
            anc_ox_tensor_free(g->init[id]);
            g->init[id] = x;
            /* the converted copy is all we use: give the parsed bytes back now (protobuf-c's
             * free skips NULL fields), which halves the model's footprint */
            Onnx__TensorProto *w = gp->initializer[i];
            free(w->raw_data.data);
            w->raw_data.data = NULL;
            w->raw_data.len = 0;
            w->has_raw_data = 0;
            free(w->float_data);
            w->float_data = NULL;
            w->n_float_data = 0;
            free(w->int32_data);
            w->int32_data = NULL;
            w->n_int32_data = 0;
            free(w->int64_data);
            w->int64_data = NULL;
            w->n_int64_data = 0;
        }
    }
    /* The one runtime input: a graph input that is not an initializer. */
    g->input = -1;
    for (size_t i = 0; i < gp->n_input && !st; i++) {
        int id = name_find(&t, gp->input[i]->name ? gp->input[i]->name : empty);
        if (g->init[id])
            continue;
        if (g->input >= 0) {
            st = anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "%s: the model has more than one input ('%s', '%s')",
                                  path, g->names[g->input], g->names[id]);
            break;
        }
        g->input = id;
        const Onnx__ValueInfoProto *v = gp->input[i];
        st = check_value_type(v, "input", err);
        if (st) {
            anchor_error_prefix(err, "%s", path);
            break;
        }
        const Onnx__TensorShapeProto *sp = v->type->tensor_type->shape;
        if (!sp || sp->n_dim < 1 || sp->n_dim > OX_MAX_DIMS) {
            st = anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "%s: input '%s' has %s", path, v->name,
                                  sp ? "an unsupported rank" : "no declared shape");
            break;
        }
        g->input_shape.ndims = (int)sp->n_dim;
        for (size_t k = 0; k < sp->n_dim && !st; k++) {
            const Onnx__TensorShapeProto__Dimension *d = sp->dim[k];
            int64_t v64 = d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE ? d->dim_value : -1;
            if (k == 0 && v64 <= 0) {
                v64 = -1; /* the batch dimension may be symbolic */
            } else if (v64 <= 0) {
                st = anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED,
                                      "%s: cannot resolve dimension %zu of input '%s' (%s); export the model "
                                      "with a fixed input size", path, k, v->name,
                                      d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM
                                          ? d->dim_param : "unknown");
            } else if (v64 > OX_MAX_DIM_VALUE) {
                st = anchor_error_set(err, ANCHOR_ERR_LIMIT, "%s: input '%s' declares dimension %zu = %lld (limit %lld)",
                                      path, v->name, k, (long long)v64, (long long)OX_MAX_DIM_VALUE);
            }
            g->input_shape.d[k] = v64;
        }
        if (!st) {
            ox_shape one = g->input_shape;
            one.d[0] = 1;
            int64_t per = anc_ox_shape_elems(&one); /* checked at each product: no overflow */
            if (per < 0 || per > OX_MAX_TENSOR_ELEMS / 4)
                st = anchor_error_set(err, ANCHOR_ERR_LIMIT, "%s: input '%s' declares more than %lld values per image",
                                      path, v->name, (long long)OX_MAX_TENSOR_ELEMS / 4);
        }
    }
    /* Dropout's training_mode input is checked when planning (op_shape.c), once Constant
     * nodes and shape arithmetic have been folded */
    if (!st && g->input < 0)
        st = anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "%s: the model has no runtime input", path);
    if (!st && gp->n_output < 1)
        st = anchor_error_set(err, ANCHOR_ERR_FORMAT, "%s: the model has no output", path);
    if (!st) {
        g->output = name_find(&t, gp->output[0]->name ? gp->output[0]->name : empty);
        st = check_value_type(gp->output[0], "output", err);
        if (st)
            anchor_error_prefix(err, "%s", path);
    }
    free(t.slots);
    if (st) {
        anc_ox_graph_free(g);
        return st;
    }
    return ANCHOR_OK;
}
