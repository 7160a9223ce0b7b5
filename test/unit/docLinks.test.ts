// Every relative link in README.md and docs/*.md leads to a file that exists and, when it names an
// anchor, to a heading of that file.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { headingAnchors, headingSlug, relativeLinks } from '../support/markdownLinks.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const DOCS = [join(REPO, 'README.md'), ...readdirSync(join(REPO, 'docs')).filter((name) => name.endsWith('.md')).map((name) => join(REPO, 'docs', name))];

function brokenLinks(file: string): string[] {
  const broken: string[] = [];
  for (const link of relativeLinks(readFileSync(file, 'utf8'))) {
    const target = link.path === '' ? file : join(dirname(file), decodeURIComponent(link.path));
    const where = `${relative(REPO, file)}:${link.lineNumber}: ${link.path}${link.anchor ? `#${link.anchor}` : ''}`;
    if (!existsSync(target)) {
      broken.push(`${where}: no such file`);
      continue;
    }
    if (link.anchor === '') continue;
    if (!target.endsWith('.md')) {
      broken.push(`${where}: an anchor in a file that is not markdown`);
      continue;
    }
    if (!headingAnchors(readFileSync(target, 'utf8')).has(link.anchor)) broken.push(`${where}: no heading with that anchor`);
  }
  return broken;
}

describe('the links of the README and docs/', () => {
  it('slugs headings as GitHub does', () => {
    expect(headingSlug('A declarative file: `sigma apply`')).toBe('a-declarative-file-sigma-apply');
    expect(headingSlug('Limits, as they stand')).toBe('limits-as-they-stand');
    expect(headingSlug('Jobs, groups and logs')).toBe('jobs-groups-and-logs');
    expect(headingSlug('job_tracking / cgroup-v2')).toBe('job_tracking--cgroup-v2');
    expect([...headingAnchors('# Top\n## Top\n```\n# not a heading\n```\n')]).toEqual(['top', 'top-1']);
  });

  it('finds a broken link and a broken anchor', () => {
    expect(relativeLinks('[a](x.md#y) [b](https://example.com) `[c](z.md)`\n```\n[d](w.md)\n```\n[e](#f)')).toEqual([
      { lineNumber: 1, path: 'x.md', anchor: 'y' },
      { lineNumber: 5, path: '', anchor: 'f' },
    ]);
  });

  it.each(DOCS.map((file) => [relative(REPO, file), file]))('%s: every relative link and anchor resolves', (_name, file) => {
    expect(brokenLinks(file)).toEqual([]);
  });
});
