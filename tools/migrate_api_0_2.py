#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Rewrite C calls of anchor's public API from the 0.1 argument order to 0.2's.

0.2 puts the object a call creates or returns right before the final `anchor_error *err`,
and gives sizes as (height, width) everywhere. This moves the arguments of every call
(and definition) of the changed functions in the files given, in place:

    tools/migrate_api_0_2.py src/**/*.c tests/**/*.c examples/*.c

It parses each call's argument list with bracket matching (comments and strings inside
are kept with their argument), so it is safe on nested calls; files it cannot parse are
left alone with a message. Run it once: a second run would move the arguments again.
"""
import re
import sys

# name -> function taking the argument list, returning it reordered
def out_first_to_second_last(args):
    return args[1:-1] + [args[0], args[-1]]

def swap_width_height(args):  # anchor_resize(src, width, height, f, out, err)
    return [args[0], args[2], args[1]] + args[3:]

def normalize_out_to_second_last(args):  # (labels, out, n, changed, err)
    return [args[0], args[2], args[3], args[1], args[4]]

MOVES = {name: (arity, fn) for name, arity, fn in [
    ("anchor_image_create", 7, out_first_to_second_last),
    ("anchor_image_clone", 3, out_first_to_second_last),
    ("anchor_image_slice", 4, out_first_to_second_last),
    ("anchor_image_load", 4, out_first_to_second_last),
    ("anchor_image_decode", 5, out_first_to_second_last),
    ("anchor_image_load_any", 4, out_first_to_second_last),
    ("anchor_npy_load", 3, out_first_to_second_last),
    ("anchor_predictor_create_callback", 5, out_first_to_second_last),
    ("anchor_predictor_create_command", 4, out_first_to_second_last),
    ("anchor_predictor_create_model", 3, out_first_to_second_last),
    ("anchor_model_load", 4, out_first_to_second_last),
    ("anchor_segmenter_create", 3, out_first_to_second_last),
    ("anchor_resize", 6, swap_width_height),
    ("anchor_labels_normalize", 5, normalize_out_to_second_last),
]}
CALL = re.compile(r"\b(" + "|".join(sorted(MOVES, key=len, reverse=True)) + r")\s*\(")
WIDTH = 120


def split_args(text, start):
    """Arguments of the call whose '(' is at text[start-1]; returns (args, index of ')')."""
    depth, i, args, cur = 0, start, [], start
    while i < len(text):
        c = text[i]
        if c in "\"'":
            q = c
            i += 1
            while text[i] != q:
                i += 2 if text[i] == "\\" else 1
        elif text.startswith("/*", i):
            i = text.index("*/", i) + 1
        elif text.startswith("//", i):
            i = text.index("\n", i) - 1
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                args.append(text[cur:i])
                return args, i
            depth -= 1
        elif c == "," and depth == 0:
            args.append(text[cur:i])
            cur = i + 1
        i += 1
    raise ValueError("unbalanced call")


def layout(prefix_col, head, args, tail_col_limit=WIDTH):
    """head(args...) on one line when it fits, else wrapped under the '('."""
    one = head + "(" + ", ".join(args) + ")"
    if prefix_col + len(one) <= tail_col_limit:
        return one
    indent = " " * (prefix_col + len(head) + 1)
    lines, line = [], head + "("
    col0 = prefix_col
    for k, a in enumerate(args):
        piece = a + (", " if k < len(args) - 1 else ")")
        if len(line) > len(head) + 1 and col0 + len(line) + len(piece.rstrip()) > tail_col_limit:
            lines.append(line.rstrip())
            line, col0 = indent + piece, 0
        else:
            line += piece
    lines.append(line)
    return "\n".join(lines)


def rewrite(text):
    out, pos = [], 0
    for m in CALL.finditer(text):
        if m.start() < pos:
            continue
        name = m.group(1)
        line_start = text.rfind("\n", 0, m.start()) + 1
        if re.fullmatch(r"\s*(static\s+)?anchor_status\s+", text[line_start:m.start()]):
            continue  # a prototype or definition: its parameters are renamed by hand
        args, close = split_args(text, m.end())
        arity, fn = MOVES[name]
        if len(args) != arity:  # a prototype with another shape, or a macro: leave it
            continue
        # inner calls first (an argument may itself be a changed call)
        args = [" ".join(rewrite(a).split()) if "\n" in a else rewrite(a).strip() for a in args]
        args = fn(args)
        out.append(text[pos:m.start()])
        out.append(layout(m.start() - line_start, text[m.start():m.end() - 1].rstrip(), args))
        pos = close + 1
    out.append(text[pos:])
    return "".join(out)


def main(paths):
    for p in paths:
        with open(p, encoding="utf-8") as f:
            text = f.read()
        try:
            new = rewrite(text)
        except (ValueError, IndexError) as e:
            print(f"{p}: left alone ({e})", file=sys.stderr)
            continue
        if new != text:
            with open(p, "w", encoding="utf-8") as f:
                f.write(new)
            print(f"{p}: rewritten")


if __name__ == "__main__":
    main(sys.argv[1:])
