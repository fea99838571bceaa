export function sourcesUnder(root: string, dirs: readonly string[]): Promise<string[]>;
export function cachedBuild(root: string, name: string, sources: readonly string[], salt: string, done: string,
  make: (tmp: string) => Promise<void>): Promise<string>;
