console.error("bench: sections are wired in by src/bench.ts");
