export declare const CLOUD_STACKS: readonly string[];
export declare const AFFECTS_ALL: readonly string[];
export declare function affectedStacks(changedPaths: readonly string[], stacks?: readonly string[]): string[];
