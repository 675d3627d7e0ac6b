#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""libanchor.so exports exactly the functions declared in include/anchor/*.h.

Usage: exported_symbols.py LIBANCHOR_SO INCLUDE_DIR

The declarations are read from the headers (comments and preprocessor lines removed, one
statement per ';'); the exports from `nm -D --defined-only`. Fails, naming each symbol,
when a declared function is not exported (typically: its declaration lacks ANCHOR_API),
when a declaration lacks ANCHOR_API, or when anything else is exported (an internal
function that escaped -fvisibility=hidden, a dependency linked in whole)."""
import pathlib
import re
import subprocess
import sys


def declared_functions(include_dir):
    declared, unmarked = {}, []
    for header in sorted(pathlib.Path(include_dir).glob("*.h")):
        text = header.read_text()
        text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
        text = re.sub(r"//[^\n]*", " ", text)
        text = re.sub(r"^[ \t]*#(?:[^\n]*\\\n)*[^\n]*", " ", text, flags=re.M)
        for statement in text.split(";"):
            # drop what a struct or enum body left in front (and extern "C" braces)
            statement = re.split(r"[{}]", statement)[-1].strip()
            if not statement or statement.startswith("typedef"):
                continue
            m = re.search(r"\b(anchor_\w+)\s*\(", statement)
            if not m:
                continue
            declared[m.group(1)] = header.name
            if not re.match(r"ANCHOR_API\b", statement):
                unmarked.append(f"{m.group(1)} ({header.name})")
    return declared, unmarked


def exported_symbols(library):
    out = subprocess.run(["nm", "-D", "--defined-only", library], check=True, capture_output=True,
                         text=True).stdout
    return {line.split()[-1].split("@")[0] for line in out.splitlines() if line.strip()}


def main():
    library, include_dir = sys.argv[1], sys.argv[2]
    declared, unmarked = declared_functions(include_dir)
    exported = exported_symbols(library)
    problems = []
    if len(declared) < 50:
        problems.append(f"only {len(declared)} declarations found in {include_dir}: the header reader is broken")
    for name in unmarked:
        problems.append(f"declared without ANCHOR_API: {name}")
    for name in sorted(set(declared) - exported):
        problems.append(f"declared in {declared[name]} but not exported by {library}: {name}")
    for name in sorted(exported - set(declared)):
        problems.append(f"exported by {library} but declared in no public header: {name}")
    for p in problems:
        print(p)
    print(f"{len(declared)} public functions declared, {len(exported)} symbols exported")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
