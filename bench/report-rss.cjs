// Preloaded by bench/start.ts: reports the process's peak resident memory (KiB) and its CPU time (µs, all
// threads) when it exits.
process.on('exit', () => {
  const usage = process.resourceUsage();
  process.stderr.write(`\nmaxrss-kib ${usage.maxRSS} cpu-us ${usage.userCPUTime + usage.systemCPUTime}\n`);
});
