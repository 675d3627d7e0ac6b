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

void ox_graph_free(ox_graph *g)
{
    if (g->init)
        for (int i = 0; i < g->n_values; i++)
            ox_tensor_free(g->init[i]);
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

anchor_status ox_graph_load(ox_graph *g, const char *path, anchor_error *err)
{
    memset(g, 0, sizeof *g);
    unsigned char *bytes;
    size_t size;
    anchor_status st = anchor_read_file(path, &bytes, &size, OX_MAX_FILE_BYTES, err);
    if (st)
        return st;
    g->proto = onnx__model_proto__unpack(NULL, size, bytes);
    free(bytes);
    if (!g->proto || !g->proto->graph)
        return anchor_error_set(err, ANCHOR_ERR_FORMAT, "%s: not an ONNX model (corrupt or truncated protobuf)",
                                path);
    const Onnx__ModelProto *mp = g->proto;
    if (!mp->has_ir_version || mp->ir_version < 3 || mp->ir_version > 8) {
        anchor_status s = anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED,
                                           "%s: ONNX IR version %lld (supported: 3 to 8)", path,
                                           (long long)mp->ir_version);
        ox_graph_free(g);
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
        ox_graph_free(g);
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
        ox_graph_free(g);
        return anchor_error_set(err, ANCHOR_ERR_NOMEM, "out of memory reading %s", path);
    }
    memset(t.slots, 0xff, t.nslots * sizeof *t.slots);
    static char empty[] = "";
    for (size_t i = 0; i < gp->n_input; i++)
        name_add(&t, gp->input[i]->name ? gp->input[i]->name : empty);
    for (size_t i = 0; i < gp->n_initializer; i++)
        name_add(&t, gp->initializer[i]->name ? gp->initializer[i]->name : empty);
    st = ANCHOR_OK;
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

    /* Operators, checked before any weight is converted. */
    for (size_t i = 0; i < gp->n_node && !st; i++) {
        const Onnx__NodeProto *n = gp->node[i];
        char label[256];
        int known = anc_ox_op_find(n->op_type) != NULL;
        if (n->domain && n->domain[0] && strcmp(n->domain, "ai.onnx"))
            known = 0;
        if (!known)
            st = anchor_error_set(err, ANCHOR_ERR_UNSUPPORTED, "%s: unsupported operator %s%s%s in %s", path,
                                  n->domain && n->domain[0] ? n->domain : "", n->domain && n->domain[0] ? "." : "",
                                  n->op_type ? n->op_type : "(none)", ox_node_label(n, label, sizeof label));
        for (size_t k = 0; k < n->n_input && !st; k++)
            if (g->node_in[i][k] >= 0)
                g->consumers[g->node_in[i][k]]++;
    }
    for (size_t i = 0; i < gp->n_initializer && !st; i++) {
        const Onnx__TensorProto *tp = gp->initializer[i];
        int id = name_find(&t, tp->name ? tp->name : empty);
        ox_tensor *x;
        st = ox_tensor_from_proto(&x, tp, tp->name ? tp->name : "?", err);
        if (st)
            anchor_error_prefix(err, "%s", path);
        else {
            ox_tensor_free(g->init[id]);
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
            int64_t per = 1;
            for (int k = 1; k < g->input_shape.ndims; k++)
                per *= g->input_shape.d[k];
            if (per > OX_MAX_TENSOR_ELEMS / 4)
                st = anchor_error_set(err, ANCHOR_ERR_LIMIT, "%s: input '%s' declares %lld values per image", path,
                                      v->name, (long long)per);
        }
    }
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
        ox_graph_free(g);
        return st;
    }
    return ANCHOR_OK;
}
