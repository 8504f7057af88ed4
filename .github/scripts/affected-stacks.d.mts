export declare const CLOUD_STACKS: readonly string[];
export declare const AFFECTS_ALL: readonly string[];
export declare function affectedStacks(changedPaths: readonly string[], stacks?: readonly string[]): string[];
export interface Affected {
  stacks: string[];
  because: Record<string, string>;
}
export declare function explainAffected(changedPaths: readonly string[], stacks?: readonly string[]): Affected;
export declare function summaryMarkdown(r: Affected, changedCount: number): string;
