#!/usr/bin/python3
"""Validates a PGXN META.json against the PGXN Meta Spec v1 JSON Schemas
(test/pgxn/schema/v1, Draft 2020-12), offline, with Debian's python3-jsonschema.

Usage: validate.py META.json   -> prints each violation; exit 1 if any.

The schemas write POSIX character classes as Java and ECMAScript do
(\\p{lower}, \\p{Cntrl}, \\p{Space}, [[:digit:]]); Python's re has neither
form, so they are rewritten to the ASCII ranges they name there before the
patterns are compiled.
"""
import json
import pathlib
import re
import sys

import jsonschema
from jsonschema import Draft202012Validator, RefResolver

SCHEMAS = pathlib.Path(__file__).resolve().parent / "schema" / "v1"
POSIX_CLASSES = {"lower": "a-z", "Cntrl": r"\x00-\x1f\x7f", "Space": r" \t\n\x0b\f\r", "digit": "0-9"}


def python_pattern(pattern):
    """The pattern with \\p{Name} and [:name:] written as ASCII ranges."""
    out, in_set, i = [], False, 0
    while i < len(pattern):
        m = re.match(r"\\p\{(\w+)\}|\[:(\w+):\]", pattern[i:])
        if m and (m.group(1) or m.group(2)) in POSIX_CLASSES:
            ranges = POSIX_CLASSES[m.group(1) or m.group(2)]
            out.append(ranges if in_set else "[" + ranges + "]")
            i += m.end()
            continue
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if c == "[" and not in_set:
            in_set = True
        elif c == "]" and in_set:
            in_set = False
        out.append(c)
        i += 1
    return "".join(out)


def rewrite(node):
    if isinstance(node, dict):
        return {k: (python_pattern(v) if k == "pattern" and isinstance(v, str) else rewrite(v))
                for k, v in node.items()}
    if isinstance(node, list):
        return [rewrite(v) for v in node]
    return node


def validator():
    store = {}
    for path in SCHEMAS.glob("*.schema.json"):
        schema = rewrite(json.loads(path.read_text()))
        store[schema["$id"]] = schema
    root = store["https://pgxn.org/meta/v1/distribution.schema.json"]
    return Draft202012Validator(root, resolver=RefResolver.from_schema(root, store=store),
                                format_checker=jsonschema.FormatChecker())


def main():
    meta = json.loads(pathlib.Path(sys.argv[1]).read_text())
    errors = sorted(validator().iter_errors(meta), key=lambda e: list(e.absolute_path))
    for e in errors:
        print("%s: %s" % ("/".join(map(str, e.absolute_path)) or "(top)", e.message))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
