#!/usr/bin/python3
"""Validate a JSON document on stdin against one of pgmig's schemas.

    python3 test/validate-json.py SCHEMA_DIR SCHEMA.json < document

Prints "valid", or the validation error and exits 1.  The schemas refer to
each other by $id (common.json); every file of SCHEMA_DIR is loaded so that
no reference leaves the folder.  Needs python3-jsonschema (Debian's).
"""
import json
import pathlib
import sys

import jsonschema

schema_dir = pathlib.Path(sys.argv[1])
schema = json.loads((schema_dir / sys.argv[2]).read_text())
store = {}
for path in schema_dir.glob("*.json"):
    other = json.loads(path.read_text())
    jsonschema.Draft7Validator.check_schema(other)
    store[other["$id"]] = other
resolver = jsonschema.RefResolver(base_uri=schema["$id"], referrer=schema, store=store)
try:
    jsonschema.Draft7Validator(schema, resolver=resolver).validate(json.load(sys.stdin))
except jsonschema.ValidationError as e:
    print("invalid: %s at %s" % (e.message, "/".join(str(p) for p in e.absolute_path)))
    sys.exit(1)
print("valid")
