export function bundledEntry(root: string, entry: string, dirs: readonly string[]): Promise<string>;
export function cliBundle(root: string): Promise<string>;
