import type { Command } from 'commander';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('Validate governance YAML: every document against its kind, then every reference across the set.')
    .argument('[paths...]', 'files or directories to read (default: the current directory)')
    .action(() => {
      throw new Error('validate: under construction');
    });
}
