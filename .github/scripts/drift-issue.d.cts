export interface DriftResult {
  stack: string;
  outcome: string;
  output: string;
}
export declare const LABEL: string;
export declare const MAX_OUTPUT: number;
export declare function issueTitle(stack: string): string;
export declare function cleanOutput(text: string): string;
export declare function issueBody(r: DriftResult & { runUrl: string; sha: string }): string;
export declare function readResults(dir: string): DriftResult[];
export declare function run(args: {
  github: unknown;
  context: unknown;
  core: unknown;
  dir: string;
}): Promise<{ opened: string[]; commented: string[]; closed: string[]; drifted: string[] }>;
