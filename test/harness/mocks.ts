/**
 * The mocked cloud's answers live in tools/mockcloud/answers.ts (product code, also served to
 * the real engine by the mock provider plugin in tools/mockcloud/). Re-exported here so the
 * harness and existing tests keep importing from "./mocks".
 */
export { FAKE_ACCOUNT, computedOutputs, invokeResult, mockId } from "../../tools/mockcloud/answers";
