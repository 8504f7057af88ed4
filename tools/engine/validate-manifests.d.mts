export interface ManifestObject {
  file: string;
  apiVersion: string;
  kind: string;
  name: string;
  status: "valid" | "invalid" | "unchecked";
  error?: string;
}
export function manifestFiles(dir: string): string[];
export function modelPath(apiVersion: string, kind: string): string;
export function validateManifestDir(dir: string): { files: number; objects: ManifestObject[] };
