export function cliBundle(root: string): Promise<string>;
