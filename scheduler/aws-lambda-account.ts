// The operator's account check (`npm run power -- account`): Lambda's GetAccountSettings, read with
// the operator's credentials. Not part of any deployed function.

import type { LambdaClient } from "@aws-sdk/client-lambda";
import type { LambdaAccountSettings } from "./account";

export async function lambdaAccountSettings(client: LambdaClient): Promise<LambdaAccountSettings> {
    const { GetAccountSettingsCommand } = require("@aws-sdk/client-lambda") as typeof import("@aws-sdk/client-lambda");
    const out = await client.send(new GetAccountSettingsCommand({}));
    const limit = out.AccountLimit;
    if (limit?.ConcurrentExecutions === undefined || limit.UnreservedConcurrentExecutions === undefined) {
        throw new Error(`GetAccountSettings did not report the account's concurrency: ${JSON.stringify(out.AccountLimit ?? {})}`);
    }
    return { concurrentExecutions: limit.ConcurrentExecutions, unreservedConcurrentExecutions: limit.UnreservedConcurrentExecutions };
}
