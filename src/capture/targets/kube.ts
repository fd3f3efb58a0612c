/**
 * `pod:[NAMESPACE/]NAME`: a Kubernetes pod on this node, found through the node's CRI runtime.
 */
import { TargetError, type CaptureTarget } from './target.js';

export async function resolvePod(value: string, spec: string): Promise<CaptureTarget> {
  throw new TargetError(`'${spec}': pod targets need the node's CRI runtime, which this build cannot query yet (${value})`);
}
