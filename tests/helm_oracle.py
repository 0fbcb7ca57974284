#!/usr/bin/env python3
"""Renders a chart with the real Helm (v4 SDK, via helm-python-sdk) and prints JSON:
{"<template path relative to the chart>": "<manifest>"} — the oracle for tests/helm_render.rs.

Usage: helm_oracle.py CHART_DIR [VALUES_FILE...]   (values files relative to CHART_DIR)
Exit 3 when helm_python is not installed, so the caller can skip rather than fail.
"""

import json
import os
import sys

try:
    import helm_python as helm
except ImportError:
    sys.exit(3)


def merge(base, over):
    """Helm's -f merging: maps merge key by key, anything else replaces."""
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = value
    return base


def main():
    chart_dir = sys.argv[1]
    values = {}
    for name in sys.argv[2:]:
        with open(os.path.join(chart_dir, name), encoding="utf-8") as f:
            merge(values, helm.values_from_yaml(f.read()))
    chart = helm.Chart.load(chart_dir)
    rendered = chart.render(values or None, name="release-name", namespace="default")
    prefix = chart.name + "/"
    out = {}
    for path, text in rendered.items():
        rel = path[len(prefix):] if path.startswith(prefix) else path
        out[rel] = text
    json.dump(out, sys.stdout, sort_keys=True)


if __name__ == "__main__":
    main()
