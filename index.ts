// The program: read and validate config, then compose the platform's components.
// Exported as a function so that the offline harness can evaluate it once per stack.

import * as aws from "@pulumi/aws";
import { loadConfig } from "./config";
import { physicalNames, standardTags } from "./lib/naming";
import { Network } from "./components/network";

export = async () => {
    const cfg = loadConfig();
    const names = physicalNames(cfg);

    // One explicit provider: the region and the tags every resource carries come from the stack's config.
    const provider = new aws.Provider("aws", { region: cfg.region, defaultTags: { tags: standardTags(cfg) } });
    const providers = { providers: [provider] };

    const network = new Network(`${names.prefix}-network`, {
        region: cfg.region,
        ...cfg.network,
        clusterName: names.clusterName,
    }, providers);

    return {
        vpcId: network.vpcId,
        vpcCidr: network.vpcCidr,
        publicSubnetIds: network.publicSubnetIds,
        privateSubnetIds: network.privateSubnetIds,
    };
};
