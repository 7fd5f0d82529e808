#!/usr/bin/env python3
"""Writes a copy of layerkit.h with one ABI-breaking change (a field inserted
into lk_layer_info), for the self-test of the ABI check."""
import sys

src, dst = sys.argv[1], sys.argv[2]
text = open(src, encoding="utf-8").read()
anchor = "typedef struct lk_layer_info {\n  size_t size;"
if anchor not in text:
    sys.exit("make_mutant.py: lk_layer_info not found in " + src)
text = text.replace(anchor, "typedef struct lk_layer_info {\n  size_t size;\n  int abi_selftest_inserted_field;", 1)
open(dst, "w", encoding="utf-8").write(text)
