"""The peer figure for table extraction: pdfplumber's tables of each PDF given, page by page.

Usage: python pdfplumber_tables.py lines|text FILE...
"lines" is pdfplumber's default (tables from drawn lines); "text" finds columns and rows from the
words' alignment (for borderless tables). Prints {file: [table rows, ...]} as one JSON line, the
tables of all pages in order.
"""
import json
import sys

import pdfplumber

strategy = sys.argv[1]
settings = {} if strategy == "lines" else {"vertical_strategy": "text", "horizontal_strategy": "text"}
out = {}
for path in sys.argv[2:]:
    tables = []
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            for table in page.extract_tables(settings):
                tables.append([[cell if cell is not None else "" for cell in row] for row in table])
    out[path] = tables
print(json.dumps(out))
