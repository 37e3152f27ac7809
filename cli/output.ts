import YAML from 'yaml';

export type OutputFormat = 'text' | 'json' | 'yaml' | 'table';

/** Every command that reports something takes -o; JSON goes to stdout, nothing else does. */
export function parseOutputFormat(value: string | undefined, allowed: OutputFormat[] = ['text', 'json']): OutputFormat {
  const v = (value ?? allowed[0]) as OutputFormat;
  if (!allowed.includes(v)) {
    throw new Error(`unknown output format "${value}"; use one of: ${allowed.join(', ')}`);
  }
  return v;
}

let printed = false;

/** True once a command printed its result: a failure after that (exit 9 for findings) adds no second JSON document. */
export function resultPrinted(): boolean {
  return printed;
}

export function printResult(format: OutputFormat, data: unknown, text: () => string): void {
  printed = true;
  if (format === 'json') process.stdout.write(JSON.stringify(data, null, 2) + '\n');
  else if (format === 'yaml') process.stdout.write(YAML.stringify(data));
  else {
    const out = text();
    if (out) process.stdout.write(out.endsWith('\n') ? out : out + '\n');
  }
}

/** Progress goes to stderr and only when stderr is a terminal, so pipes and CI logs stay clean. */
export function progress(message: string): void {
  if (process.stderr.isTTY) process.stderr.write(message + '\n');
}

/** A one-line progress updater (for uploads/downloads); a no-op off a TTY. */
export function progressLine(): { update(msg: string): void; done(msg?: string): void } {
  if (!process.stderr.isTTY) return { update() {}, done() {} };
  return {
    update(msg) {
      process.stderr.write('\r\x1b[K' + msg);
    },
    done(msg) {
      process.stderr.write('\r\x1b[K' + (msg ? msg + '\n' : ''));
    },
  };
}
