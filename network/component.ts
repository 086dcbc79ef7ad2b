import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { NatStrategy } from "./config-keys";
import { planNetwork, type NetworkPlan } from "./plan";
import { NAT_IMAGE_PARAMETER, natInstanceUserData } from "./nat-instance";

export interface NetworkArgs {
    readonly region: string;
    readonly vpcCidr: string;
    readonly availabilityZones: readonly string[];
    readonly natStrategy: NatStrategy;
    /** Arm instance type for natStrategy "instance". */
    readonly natInstanceType: string;
    /** The EKS cluster that will live here: its name goes into the subnet tags. */
    readonly clusterName: string;
    /** The zones whose public subnets carry the load balancers' role tag (the UI's ALB spans them); default: all. */
    readonly loadBalancerZones?: readonly string[];
}

/**
 * A VPC with one public and one private subnet per zone, internet egress for the private subnets by
 * the chosen NAT strategy, and a free S3 gateway endpoint. Built from plain AWS resources (not the
 * awsx remote component) so that every subnet and route is visible to the tests.
 */
export class Network extends pulumi.ComponentResource {
    public readonly vpcId: pulumi.Output<string>;
    public readonly vpcCidr: string;
    public readonly publicSubnetIds: pulumi.Output<string>[];
    public readonly privateSubnetIds: pulumi.Output<string>[];
    /** The private subnet of each zone, by zone name: where a zone-bound service is placed. */
    public readonly privateSubnetIdByZone: Readonly<Record<string, pulumi.Output<string>>>;
    /** The layout this network was built from (subnets, NAT placement, and why). */
    public readonly plan: NetworkPlan;

    constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("data-platform:index:Network", name, {}, opts);
        const plan = planNetwork(args);
        const parent = { parent: this };
        const named = (part: string) => ({ Name: `${name}-${part}` });

        const vpc = new aws.ec2.Vpc(`${name}-vpc`, {
            cidrBlock: plan.vpcCidr,
            enableDnsSupport: true,
            // EKS nodes, RDS and OpenSearch endpoints resolve through VPC DNS hostnames.
            enableDnsHostnames: true,
            tags: named("vpc"),
        }, parent);

        // The default security group allows all traffic between its members; adopting it with no rules
        // empties it, so nothing can fall back on it (Checkov CKV2_AWS_12).
        new aws.ec2.DefaultSecurityGroup(`${name}-default-sg`, { vpcId: vpc.id, tags: named("default-locked") }, parent);

        const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: named("igw") }, parent);

        const subnet = (s: NetworkPlan["publicSubnets"][number]) =>
            new aws.ec2.Subnet(`${name}-${s.tier}-${s.zoneId}`, {
                vpcId: vpc.id,
                cidrBlock: s.cidr,
                availabilityZone: s.az,
                // Nothing here needs an automatic public IP: NATs use Elastic IPs, load balancers their own.
                mapPublicIpOnLaunch: false,
                tags: { ...named(`${s.tier}-${s.zoneId}`), ...s.tags },
            }, parent);
        const publicSubnets = plan.publicSubnets.map(subnet);
        const privateSubnets = plan.privateSubnets.map(subnet);

        const publicRouteTable = new aws.ec2.RouteTable(`${name}-public-rt`, { vpcId: vpc.id, tags: named("public") }, parent);
        new aws.ec2.Route(`${name}-public-default`, {
            routeTableId: publicRouteTable.id,
            destinationCidrBlock: "0.0.0.0/0",
            gatewayId: igw.id,
        }, parent);
        publicSubnets.forEach((s, i) =>
            new aws.ec2.RouteTableAssociation(`${name}-public-rta-${plan.publicSubnets[i].zoneId}`, {
                subnetId: s.id,
                routeTableId: publicRouteTable.id,
            }, parent));

        const natGatewayIds = plan.natGateways.map(({ zoneIndex }) => {
            const zone = plan.publicSubnets[zoneIndex].zoneId;
            const eip = new aws.ec2.Eip(`${name}-nat-eip-${zone}`, { domain: "vpc", tags: named(`nat-${zone}`) }, parent);
            return new aws.ec2.NatGateway(`${name}-nat-${zone}`, {
                allocationId: eip.id,
                subnetId: publicSubnets[zoneIndex].id,
                tags: named(`nat-${zone}`),
            }, { parent: this, dependsOn: [igw] }).id;
        });

        const natInterfaceId = plan.natInstance
            ? this.natInstance(name, args, plan, plan.natInstance.zoneIndex, publicSubnets[plan.natInstance.zoneIndex], vpc, igw)
            : undefined;

        const privateRouteTables = plan.privateSubnets.map((s, i) => {
            const table = new aws.ec2.RouteTable(`${name}-private-rt-${s.zoneId}`, { vpcId: vpc.id, tags: named(`private-${s.zoneId}`) }, parent);
            const egress = plan.privateEgress[i];
            new aws.ec2.Route(`${name}-private-default-${s.zoneId}`, {
                routeTableId: table.id,
                destinationCidrBlock: "0.0.0.0/0",
                ...(egress.kind === "nat-gateway" ? { natGatewayId: natGatewayIds[egress.gateway] } : { networkInterfaceId: natInterfaceId! }),
            }, parent);
            new aws.ec2.RouteTableAssociation(`${name}-private-rta-${s.zoneId}`, {
                subnetId: privateSubnets[i].id,
                routeTableId: table.id,
            }, parent);
            return table;
        });

        // S3 traffic (task logs, image layers from ECR's S3 backing) bypasses NAT for free.
        new aws.ec2.VpcEndpoint(`${name}-s3-endpoint`, {
            vpcId: vpc.id,
            serviceName: `com.amazonaws.${args.region}.s3`,
            vpcEndpointType: "Gateway",
            routeTableIds: privateRouteTables.map((t) => t.id),
            tags: named("s3"),
        }, parent);

        this.plan = plan;
        this.vpcId = vpc.id;
        this.vpcCidr = plan.vpcCidr;
        this.publicSubnetIds = publicSubnets.map((s) => s.id);
        this.privateSubnetIds = privateSubnets.map((s) => s.id);
        this.privateSubnetIdByZone = Object.fromEntries(plan.privateSubnets.map((s, i) => [s.az, privateSubnets[i].id]));
        this.registerOutputs({
            vpcId: this.vpcId,
            vpcCidr: this.vpcCidr,
            publicSubnetIds: this.publicSubnetIds,
            privateSubnetIds: this.privateSubnetIds,
        });
    }

    /**
     * One Arm instance that forwards and masquerades the private subnets' traffic. Routes point at a
     * standalone network interface, not at the instance, so replacing the instance (a new image, a new
     * type) keeps every route and the Elastic IP.
     */
    private natInstance(
        name: string,
        args: NetworkArgs,
        plan: NetworkPlan,
        zoneIndex: number,
        subnet: aws.ec2.Subnet,
        vpc: aws.ec2.Vpc,
        igw: aws.ec2.InternetGateway,
    ): pulumi.Output<string> {
        const parent = { parent: this };
        const zone = plan.publicSubnets[zoneIndex].zoneId;

        const sg = new aws.ec2.SecurityGroup(`${name}-nat-sg`, {
            vpcId: vpc.id,
            description: "NAT instance: forwards traffic from the private subnets only",
            tags: { Name: `${name}-nat` },
        }, parent);
        plan.privateSubnets.forEach((s) =>
            new aws.vpc.SecurityGroupIngressRule(`${name}-nat-in-${s.zoneId}`, {
                securityGroupId: sg.id,
                description: `All traffic from private subnet ${s.cidr} (${s.az}) to be forwarded`,
                ipProtocol: "-1",
                cidrIpv4: s.cidr,
            }, parent));
        new aws.vpc.SecurityGroupEgressRule(`${name}-nat-out`, {
            securityGroupId: sg.id,
            description: "Forwarded traffic to the internet",
            ipProtocol: "-1",
            cidrIpv4: "0.0.0.0/0",
        }, parent);

        // No SSH and no key pair: operators reach the instance through SSM Session Manager.
        const role = new aws.iam.Role(`${name}-nat-role`, {
            description: "NAT instance: SSM Session Manager access only",
            assumeRolePolicy: JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
            }),
        }, parent);
        new aws.iam.RolePolicyAttachment(`${name}-nat-ssm`, {
            role: role.name,
            policyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
        }, parent);
        const profile = new aws.iam.InstanceProfile(`${name}-nat-profile`, { role: role.name }, parent);

        const eni = new aws.ec2.NetworkInterface(`${name}-nat-eni`, {
            subnetId: subnet.id,
            securityGroups: [sg.id],
            // A NAT forwards packets addressed to others: EC2 drops them unless this check is off.
            sourceDestCheck: false,
            description: "NAT instance primary interface; private routes target it",
            tags: { Name: `${name}-nat-${zone}` },
        }, parent);
        const eip = new aws.ec2.Eip(`${name}-nat-eip-${zone}`, {
            domain: "vpc",
            networkInterface: eni.id,
            tags: { Name: `${name}-nat-${zone}` },
        }, { parent: this, dependsOn: [igw] });

        // The image comes from the public SSM parameter AWS maintains for Amazon Linux 2023 on arm64,
        // readable by anyone: `aws ssm get-parameter --name <NAT_IMAGE_PARAMETER>`.
        const image = aws.ssm.getParameterOutput({ name: NAT_IMAGE_PARAMETER }, parent);

        new aws.ec2.Instance(`${name}-nat`, {
            instanceType: args.natInstanceType,
            ami: image.value,
            primaryNetworkInterface: { networkInterfaceId: eni.id },
            iamInstanceProfile: profile.name,
            userData: natInstanceUserData(),
            userDataReplaceOnChange: true,
            metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
            rootBlockDevice: { encrypted: true, volumeType: "gp3", volumeSize: 8 },
            // "standard" credits: a busy NAT is throttled to baseline instead of billing surplus credits.
            creditSpecification: { cpuCredits: "standard" },
            // EC2 restarts the instance on new hardware if its host fails.
            maintenanceOptions: { autoRecovery: "default" },
            tags: { Name: `${name}-nat-${zone}` },
        }, {
            parent: this,
            // "ami": a new image every few weeks must not replace the NAT (and cut egress) on a routine
            // `pulumi up`; patch deliberately with `pulumi up --replace <urn>`.
            // "sourceDestCheck": the instance's own attribute defaults to true while AWS reports the
            // attached interface's false, so every later update would call ModifyInstanceAttribute and turn
            // the check back on, after which the NAT drops forwarded traffic (terraform-provider-aws issue
            // 44768). The provider refuses sourceDestCheck: false beside primaryNetworkInterface, so the
            // interface alone owns the setting and the instance ignores it.
            ignoreChanges: ["ami", "sourceDestCheck"],
            // The interface can be attached to one instance at a time.
            deleteBeforeReplace: true,
            // Boot only once the Elastic IP is on the interface: the boot script installs packages, which
            // needs egress (the script also retries, in case association lags behind the API's answer).
            dependsOn: [eip],
        });
        return eni.id;
    }
}
