// Types of scripts/contracts.mjs, for the tests that import it.
export declare const GENERATED_DIR: string;
export declare const CONTRACTS: readonly { schema: string; module: string; type: string; validators?: Record<string, string> }[];
export declare function generateContracts(read?: (file: string) => unknown): Promise<Map<string, string>>;
export declare function writeContracts(): Promise<string[]>;
