// Validates AsyncAPI documents with the AsyncAPI initiative's own parser (@asyncapi/parser, pinned in
// package.json). Prints one JSON line per file: {file, errors: [...], warnings: n}; exits 1 if any has an error.
// Used by tests/unit/test_asyncapi_documents.py; run by hand: node contracts/asyncapi/validate.mjs FILE...
import { readFileSync } from "node:fs";
import { Parser, DiagnosticSeverity } from "@asyncapi/parser";

const parser = new Parser();
let failed = false;
for (const file of process.argv.slice(2)) {
  const { document, diagnostics } = await parser.parse(readFileSync(file, "utf8"));
  const errors = diagnostics
    .filter((d) => d.severity === DiagnosticSeverity.Error)
    .map((d) => ({ code: d.code, message: d.message, path: d.path.join(".") }));
  const warnings = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Warning)
    .map((d) => ({ code: d.code, message: d.message, path: d.path.join(".") }));
  if (errors.length || !document) failed = true;
  console.log(JSON.stringify({ file, parsed: Boolean(document), errors, warnings,
    channels: document ? document.channels().length : 0 }));
}
process.exit(failed ? 1 : 0);
