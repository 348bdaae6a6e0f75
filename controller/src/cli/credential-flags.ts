// What the CLI prints when a credential reaches its command line: a --github-token style flag is refused with a
// pointer to the command's file option (which also reads standard input), and nothing that looks like a token is
// ever echoed back, whether in commander's usage errors or in Vigil's own.
import type { Command } from 'commander';
import { looksLikeCredential } from '../forge/github/credentials.js';
import { redact } from '../forge/github/redact.js';

const CREDENTIAL_WORD =
  /(^|[-_])(token|tokens|password|passwd|pwd|secret|pat|bearer|api-?key|private-?key|access-?key|credentials?|auth)([-_]|$)/;
const NAMES_A_FILE = /[-_](file|path|dir)$/;

/** Whether an option's name (`--github-token`, `--token=...`) says that its value is a credential itself. */
export function isCredentialFlag(flag: string): boolean {
  const name = flagName(flag).replace(/^-+/, '').toLowerCase();
  return flag.startsWith('--') && CREDENTIAL_WORD.test(name) && !NAMES_A_FILE.test(name);
}

/** `--name` of `--name=value`; `-t` of a short option run together with its value (`-tVALUE`). */
function flagName(flag: string): string {
  if (flag.startsWith('--')) return flag.split('=')[0]!;
  return flag.slice(0, 2);
}

/** The full name of a command as typed: `vigil forge approve`. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

const longOptions = (cmd: Command) => cmd.options.flatMap((o) => (o.long ? [o.long] : []));

/** The command's options that take a file holding a credential, best match for `flag` first. */
function credentialFileOptions(cmd: Command, flag: string): string[] {
  const files = longOptions(cmd).filter((o) => CREDENTIAL_WORD.test(o.slice(2)) && /-file$/.test(o));
  const name = flagName(flag);
  const exact = files.filter((o) => o === `${name}-file`);
  if (exact.length) return exact;
  const words = name.slice(2).split(/[-_]/);
  const sameKind = files.filter((o) => words.some((w) => CREDENTIAL_WORD.test(w) && o.includes(w)));
  return sameKind.length ? sameKind : files;
}

/**
 * Why a credential flag is refused and where the credential goes instead: the command's credential file option
 * (FILE, or - for standard input), else the seed or kubeconfig it takes its credentials from. One line.
 */
export function credentialFlagRefusal(cmd: Command, flag: string): string {
  const name = flagName(flag);
  const command = commandPath(cmd);
  const refused = `${name} is refused: ${command} takes no token on its command line, where other processes and shell history would see it.`;
  const files = credentialFileOptions(cmd, flag);
  const options = longOptions(cmd);
  if (files.length === 1) {
    const [file] = files;
    return `${refused} Put the token in a file readable only by you and pass ${file} FILE, or pipe it in with ${file} - (standard input).`;
  }
  if (files.length > 1) {
    const list = files.map((f) => `${f} FILE`);
    return `${refused} Pass credentials in files: ${list.slice(0, -1).join(', ')} or ${list.at(-1)} (each also takes - for standard input).`;
  }
  const seed = options.find((o) => o === '--seed' || o === '--forge-seed');
  if (seed) return `${refused} It acts with the tokens of the users in its seed file (${seed} FILE).`;
  if (options.includes('--kubeconfig'))
    return `${refused} It reads its cluster credentials from the kubeconfig (--kubeconfig FILE).`;
  if (cmd.parent === null && cmd.commands.length > 0)
    return `${refused} Credentials go in files; see the --help of each command.`;
  return `${refused} ${command} needs no token.`;
}

// Where a credential may sit inside a message: between spaces, quotes, brackets, and the parts of a URL or option.
const SEPARATORS = /([\s"'`,;:()<>[\]{}=@/?&]+)/;

/** A message with every word that looks like a credential replaced by [REDACTED]: for text that echoes argv. */
export function redactCommandLine(text: string): string {
  const words = text
    .split(SEPARATORS)
    .map((w, i) => (i % 2 === 0 && w && looksLikeCredential(w) ? '[REDACTED]' : w))
    .join('');
  return redact(words);
}

/**
 * Commander's error message for `cmd`, made safe to print: an unknown option is named without its value (refused
 * with a pointer to the file option when its name says it holds a credential), and no credential-looking word
 * of the command line is echoed.
 */
export function explainCommanderError(cmd: Command, message: string): string {
  const unknown = /^error: unknown option '(.*)'$/m.exec(message.split('\n')[0] ?? '');
  if (unknown) {
    const flag = unknown[1]!;
    const newline = message.indexOf('\n');
    const rest = newline >= 0 ? message.slice(newline) : '';
    if (isCredentialFlag(flag)) return `error: ${credentialFlagRefusal(cmd, flag)}\n`;
    const name = flagName(flag);
    if (name !== flag && longOptions(cmd).includes(name))
      return redactCommandLine(
        `error: option '${name}' takes no value (the value given is not shown)${rest}`,
      );
    const hidden = name !== flag ? ' (its value is not shown)' : '';
    return redactCommandLine(`error: unknown option '${name}'${hidden}${rest}`);
  }
  return redactCommandLine(message);
}
