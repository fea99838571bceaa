/**
 * The page's files, from `ui/` at the project root (two levels up from this file in the source,
 * three from dist/ in the image, where the Dockerfile copies ui/ beside dist/): read once at start,
 * served from memory with their media type. No CDN, nothing fetched from elsewhere.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const UI_DIR = [path.resolve(here, '../../ui'), path.resolve(here, '../../../ui')].find((d) => existsSync(path.join(d, 'index.html')))
  ?? path.resolve(here, '../../ui');

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };

/** `GET /<file>` routes for each page file of ui/ (and `GET /` for index.html). */
export function staticFiles(dir = UI_DIR): Record<string, { type: string; text: string }> {
  const out: Record<string, { type: string; text: string }> = {};
  for (const f of readdirSync(dir).filter((f) => TYPES[path.extname(f)]).sort()) {
    const file = { type: TYPES[path.extname(f)]!, text: readFileSync(path.join(dir, f), 'utf8') };
    out[`GET /${f}`] = file;
    if (f === 'index.html') out['GET /'] = file;
  }
  return out;
}
