import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';

/** A bcrypt htpasswd file (the only hash distribution accepts), made with apache2-utils' htpasswd. */
export async function writeHtpasswd(path: string, users: Record<string, string>): Promise<void> {
  const lines = Object.entries(users).map(([u, p]) =>
    execFileSync('htpasswd', ['-nbB', u, p], { encoding: 'utf8' }).trim(),
  );
  await writeFile(path, lines.join('\n') + '\n');
}
