"""Validates OCSF findings, one JSON object per line of the file named on the command
line, against the official OCSF 1.1.0 Detection Finding schema with the cloud profile,
as the PyPI package ocsf-json-schema compiles it. Used by tests/sinks.rs; exits 1 when
any finding is invalid, naming the line and the reason."""

import json
import sys

import jsonschema
from ocsf_json_schema import OcsfJsonSchemaEmbedded, get_ocsf_schema

schema = OcsfJsonSchemaEmbedded(get_ocsf_schema(version="1.1.0")).get_class_schema("detection_finding", ["cloud"])
validator = jsonschema.Draft202012Validator(schema)
invalid = 0
count = 0
with open(sys.argv[1], encoding="utf-8") as findings:
    for number, line in enumerate(findings, start=1):
        count += 1
        for error in validator.iter_errors(json.loads(line)):
            invalid += 1
            print(f"line {number}: {error.json_path}: {error.message[:300]}")
if invalid:
    sys.exit(1)
print(f"{count} findings valid")
