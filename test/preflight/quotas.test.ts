// Elastic IPs of the committed stacks, counted on what the program registers: dev + staging + prod
// share one account and region, and AWS's default quota is 5 per region. Before, the beta host's
// EIP made it 6 with the NAT gateways, and the third deploy would have failed midway. The count
// preflight adds up (stacks/compose/footprint.ts) must be the planned one.
import { describe, expect, it } from "vitest";
import { awsFootprint } from "../../stacks/compose/footprint";
import { specOfStackFile } from "../../stacks/preflight";
import { QUOTAS, accountOf } from "../../stacks/preflight/quotas";
import { readStackFile } from "../../stacks/preflight/stack-file";
import { planned } from "../harness/planned";

const CLOUD = ["dev", "staging", "prod"] as const;

describe("Elastic IPs across the committed stacks", () => {
  it("every stack's planned EIPs and NAT gateways equal its footprint, and together they fit the default quota of one account and region", async () => {
    let total = 0;
    const where = new Set<string>();
    for (const stack of CLOUD) {
      const { inventory } = await planned({ stack });
      const spec = specOfStackFile(readStackFile(stack)).spec!;
      const fp = awsFootprint(spec)!;
      const eips = inventory.resources.filter((r) => r.type === "aws:ec2/eip:Eip");
      const nats = inventory.resources.filter((r) => r.type === "aws:ec2/natGateway:NatGateway");
      expect(eips.length, stack).toBe(fp.elasticIps);
      expect(nats.length, stack).toBe(fp.natGateways);
      expect(inventory.resources.filter((r) => r.type === "aws:ec2/vpc:Vpc").length, stack).toBe(fp.vpcs);
      total += eips.length;
      where.add(`${accountOf(spec)} ${fp.region}`);
    }
    expect([...where]).toEqual(["123456789012 us-east-1"]);
    expect(total).toBe(5);
    expect(total).toBeLessThanOrEqual(QUOTAS.elasticIps.default);
  });
});
