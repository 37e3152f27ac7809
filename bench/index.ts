/** Public API of the benchmark engine (in-process and through the proxy). */
export { runBenchmark, type BenchOptions, type BenchReport, type ModuleFigures } from './engine.js';
