export { main, buildProgram } from './program.ts';
export { loadConfig, type CliConfig, type ConfigFlags } from './config.ts';
export { CliError, UsageError } from './errors.ts';
