// Preloaded by bench/start.ts: reports the process's peak resident memory (KiB) when it exits.
process.on('exit', () => process.stderr.write(`\nmaxrss-kib ${process.resourceUsage().maxRSS}\n`));
