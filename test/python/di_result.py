"""Parses batch result files (`<name>.ocr.json`) with the official Python client's models.

Reads the file paths from argv; prints, per file, what the client's `AnalyzeResult` model makes of
the tables, paragraph roles, page angles and warnings, as one JSON line.
"""
import json
import sys

from azure.ai.documentintelligence.models import AnalyzeResult

out = {}
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as handle:
        result = AnalyzeResult(json.load(handle)["analyzeResult"])
    out[path.rsplit("/", 1)[-1]] = {
        "angles": [page.angle for page in result.pages],
        "roles": sorted({paragraph.role for paragraph in result.paragraphs or [] if paragraph.role}),
        "tables": [
            {
                "rows": table.row_count,
                "columns": table.column_count,
                "headers": [cell.content for cell in table.cells if cell.kind == "columnHeader"],
                "merged": [[cell.row_span or 1, cell.column_span or 1] for cell in table.cells if (cell.row_span or 1) > 1 or (cell.column_span or 1) > 1],
                "pages": [region.page_number for region in table.bounding_regions or []],
                "firstSpan": [table.spans[0].offset, table.spans[0].length],
            }
            for table in result.tables or []
        ],
        "warnings": [[warning.code, warning.target] for warning in result.warnings or []],
    }
print(json.dumps(out))
