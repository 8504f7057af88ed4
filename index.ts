// Entry point for the Pulumi CLI (`pulumi up -s <stack>`): the whole program is stacks/program.ts,
// which the test harness and the offline plan run too.
import { main } from "./stacks/program";

export = main();
